/*
 * The provisioner's idempotent set-ups: our profiles on
 * /ip/hotspot/user/profile, and the RADIUS side of a router (/radius,
 * /radius/incoming, hotspot server profiles, walled garden).  Each reads
 * what the router has first and changes only what differs.
 */
#include "routeros/prov_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_COMMENT "hotspot-aaa"

static const char *const action_names[] = {"unchanged", "created", "updated", "failed"};

const char *ros_sync_action_name(ros_sync_action a)
{
	return (unsigned)a <= ROS_SYNC_FAILED ? action_names[a] : "unknown";
}

/* The item of r whose key equals value, or NULL. */
static const ros_sentence *item_with(const ros_reply *r, const char *key, const char *value)
{
	size_t i;

	for (i = 0; i < ros_reply_count(r); i++) {
		const char *v = ros_sentence_attr(ros_reply_item(r, i), key, NULL);

		if (v && strcmp(v, value) == 0)
			return ros_reply_item(r, i);
	}
	return NULL;
}

static ros_err print_all(ros_pool *p, const char *cmd, const char *proplist, ros_reply **r,
			 ros_msg *msg)
{
	ros__cmd c;

	ros__cmd_print(&c, cmd, proplist);
	return ros__run(p, &c, false, r, msg);
}

/* --- profile sync -------------------------------------------------------------------- */

static const char *shared_text(uint32_t n, char *buf, size_t len)
{
	if (n == 0)
		return "unlimited";
	snprintf(buf, len, "%" PRIu32, n);
	return buf;
}

/* Whether the router's profile item already says what ours does. */
static bool profile_same(const ros_sentence *it, const ros_prov_profile *want)
{
	const char *rate = ros_sentence_attr(it, "rate-limit", NULL);
	const char *shared = ros_sentence_attr(it, "shared-users", NULL);
	uint64_t timeout = 0, n = 1;

	if (strcmp(rate ? rate : "", want->rate_limit ? want->rate_limit : "") != 0)
		return false;
	if (!ros_parse_duration(ros_sentence_attr(it, "session-timeout", NULL)
					? ros_sentence_attr(it, "session-timeout", NULL)
					: "",
				&timeout) ||
	    timeout != want->session_timeout)
		return false;
	if (shared && strcmp(shared, "unlimited") == 0)
		n = 0;
	else if (shared && !ros_parse_bytes(shared, &n))
		return false;
	return n == want->shared_users;
}

static ros_err profile_write(ros_pool *p, const ros_prov_profile *want, const char *id,
			     ros_msg *msg)
{
	char tbuf[48], nbuf[16];
	ros__cmd c;

	ros__cmd_start(&c, id ? "/ip/hotspot/user/profile/set" : "/ip/hotspot/user/profile/add");
	if (id)
		ros__cmd_attr(&c, ".id", id);
	else
		ros__cmd_attr(&c, "name", want->name);
	ros__cmd_attr(&c, "rate-limit", want->rate_limit ? want->rate_limit : "");
	ros__cmd_attr(&c, "session-timeout",
		      ros_format_duration(want->session_timeout, tbuf, sizeof(tbuf)));
	ros__cmd_attr(&c, "shared-users", shared_text(want->shared_users, nbuf, sizeof(nbuf)));
	return ros__run_drop(p, &c, true, msg);
}

static ros_err sync_one(ros_pool *p, const ros_reply *have, const ros_prov_profile *want,
			ros_prov_sync *res)
{
	const ros_sentence *it;
	ros_msg m = {{0}};
	ros_err err;

	if (!want->name || !*want->name) {
		res->action = ROS_SYNC_FAILED;
		res->err = ROS_ERR_INVALID;
		snprintf(res->message, sizeof(res->message), "a profile needs a name");
		return res->err;
	}
	it = item_with(have, "name", want->name);
	if (it && profile_same(it, want)) {
		res->action = ROS_SYNC_UNCHANGED;
		return ROS_OK;
	}
	err = profile_write(p, want, it ? ros_sentence_attr(it, ".id", NULL) : NULL, &m);
	res->err = err;
	res->action = err != ROS_OK ? ROS_SYNC_FAILED : it ? ROS_SYNC_UPDATED : ROS_SYNC_CREATED;
	snprintf(res->message, sizeof(res->message), "%s", err != ROS_OK ? m.text : "");
	return err;
}

ros_err ros_prov_sync_profiles(ros_pool *p, const ros_prov_profile *profiles, size_t n,
			       ros_prov_sync *out, ros_msg *msg)
{
	ros_reply *have = NULL;
	ros_err err, first = ROS_OK;
	size_t i;

	memset(out, 0, n * sizeof(*out));
	err = print_all(p, "/ip/hotspot/user/profile/print",
			".id,name,rate-limit,session-timeout,shared-users", &have, msg);
	for (i = 0; i < n; i++) {
		if (err != ROS_OK) {
			out[i].action = ROS_SYNC_FAILED;
			out[i].err = err;
			continue;
		}
		if (sync_one(p, have, &profiles[i], &out[i]) != ROS_OK && first == ROS_OK) {
			first = out[i].err;
			ros__msg(msg, "profile \"%s\": %s",
				 profiles[i].name ? profiles[i].name : "", out[i].message);
		}
	}
	ros_reply_destroy(have);
	return err != ROS_OK ? err : first;
}

/* --- RADIUS: /radius ------------------------------------------------------------------- */

/* service= with hotspot added to what the entry already serves. */
static void service_with_hotspot(const char *have, char *out, size_t len)
{
	const char *p = have ? strstr(have, "hotspot") : NULL;

	if (p && (p == have || p[-1] == ',') && (p[7] == '\0' || p[7] == ','))
		snprintf(out, len, "%s", have);
	else if (have && *have)
		snprintf(out, len, "%s,hotspot", have);
	else
		snprintf(out, len, "hotspot");
}

static bool radius_same(const ros_sentence *it, const ros_prov_radius_spec *s, const char *service,
			unsigned auth, unsigned acct)
{
	const char *have = ros_sentence_attr(it, "service", NULL);
	const char *secret = ros_sentence_attr(it, "secret", NULL);

	/* A user without the sensitive policy sees no secret: set it to be sure. */
	return have && strcmp(have, service) == 0 && secret && strcmp(secret, s->secret) == 0 &&
	       ros__num(it, "authentication-port", 1812) == auth &&
	       ros__num(it, "accounting-port", 1813) == acct;
}

static ros_err setup_radius_entry(ros_pool *p, const ros_prov_radius_spec *s,
				  ros_sync_action *action, ros_msg *msg)
{
	char service[128], auth[8], acct[8];
	const ros_sentence *it = NULL;
	ros_reply *r = NULL;
	ros__cmd c;
	ros_err err;

	snprintf(auth, sizeof(auth), "%u", s->auth_port ? s->auth_port : 1812u);
	snprintf(acct, sizeof(acct), "%u", s->acct_port ? s->acct_port : 1813u);
	ros__cmd_start(&c, "/radius/print");
	ros__cmd_query(&c, "address", s->address);
	err = ros__run(p, &c, false, &r, msg);
	if (err != ROS_OK)
		goto out;
	it = ros_reply_count(r) ? ros_reply_item(r, 0) : NULL;
	service_with_hotspot(it ? ros_sentence_attr(it, "service", NULL) : NULL, service,
			     sizeof(service));
	*action = ROS_SYNC_UNCHANGED;
	if (it && radius_same(it, s, service, (unsigned)atoi(auth), (unsigned)atoi(acct)))
		goto out;
	ros__cmd_start(&c, it ? "/radius/set" : "/radius/add");
	if (it)
		ros__cmd_attr(&c, ".id", ros_sentence_attr(it, ".id", NULL));
	else
		ros__cmd_attr(&c, "comment", s->comment ? s->comment : DEFAULT_COMMENT);
	ros__cmd_attr(&c, "service", service);
	ros__cmd_attr(&c, "address", s->address);
	ros__cmd_attr(&c, "secret", s->secret);
	ros__cmd_attr(&c, "authentication-port", auth);
	ros__cmd_attr(&c, "accounting-port", acct);
	err = ros__run_drop(p, &c, true, msg);
	*action = err != ROS_OK ? ROS_SYNC_FAILED : it ? ROS_SYNC_UPDATED : ROS_SYNC_CREATED;
out:
	ros_reply_destroy(r);
	return err;
}

/* --- RADIUS: /radius/incoming ------------------------------------------------------------ */

static ros_err setup_incoming(ros_pool *p, uint16_t port, ros_sync_action *action, ros_msg *msg)
{
	char num[8];
	ros_reply *r = NULL;
	ros__cmd c;
	ros_err err;

	snprintf(num, sizeof(num), "%u", port ? port : 3799u);
	err = print_all(p, "/radius/incoming/print", "accept,port", &r, msg);
	if (err != ROS_OK)
		goto out;
	*action = ROS_SYNC_UNCHANGED;
	if (ros_reply_count(r) == 1 && ros__flag(ros_reply_item(r, 0), "accept", false) &&
	    ros__num(ros_reply_item(r, 0), "port", 0) == (uint64_t)atoi(num))
		goto out;
	ros__cmd_start(&c, "/radius/incoming/set");
	ros__cmd_attr(&c, "accept", "yes");
	ros__cmd_attr(&c, "port", num);
	err = ros__run_drop(p, &c, true, msg);
	*action = err == ROS_OK ? ROS_SYNC_UPDATED : ROS_SYNC_FAILED;
out:
	ros_reply_destroy(r);
	return err;
}

/* --- RADIUS: hotspot server profiles ------------------------------------------------------ */

static ros_err radius_profile(ros_pool *p, const ros_sentence *it, ros_prov_radius_result *res,
			      ros_msg *msg)
{
	const char *interim = ros_sentence_attr(it, "radius-interim-update", NULL);
	ros__cmd c;
	ros_err err;

	if (ros__flag(it, "use-radius", false) && interim && strcmp(interim, "received") == 0) {
		res->profiles_unchanged++;
		return ROS_OK;
	}
	ros__cmd_start(&c, "/ip/hotspot/profile/set");
	ros__cmd_attr(&c, ".id", ros_sentence_attr(it, ".id", NULL));
	ros__cmd_attr(&c, "use-radius", "yes");
	/* The router then follows the Acct-Interim-Interval our RADIUS server sends. */
	ros__cmd_attr(&c, "radius-interim-update", "received");
	err = ros__run_drop(p, &c, true, msg);
	if (err == ROS_OK)
		res->profiles_updated++;
	return err;
}

static ros_err setup_profiles(ros_pool *p, const ros_prov_radius_spec *s,
			      ros_prov_radius_result *res, ros_msg *msg)
{
	ros_reply *r = NULL;
	ros_err err;
	size_t i;

	err = print_all(p, "/ip/hotspot/profile/print", ".id,name,use-radius,radius-interim-update",
			&r, msg);
	for (i = 0; err == ROS_OK && i < s->n_hotspot_profiles; i++) {
		const ros_sentence *it = item_with(r, "name", s->hotspot_profiles[i]);

		if (!it) {
			ros__msg(msg,
				 "%s has no hotspot server profile \"%s\" (/ip hotspot profile)",
				 ros_pool_host(p), s->hotspot_profiles[i]);
			err = ROS_ERR_NOT_FOUND;
		} else {
			err = radius_profile(p, it, res, msg);
		}
	}
	for (i = 0; err == ROS_OK && !s->hotspot_profiles && i < ros_reply_count(r); i++)
		err = radius_profile(p, ros_reply_item(r, i), res, msg);
	ros_reply_destroy(r);
	return err;
}

/* --- RADIUS: walled garden ----------------------------------------------------------------- */

static bool walled_has(const ros_reply *r, const char *host)
{
	size_t i;

	for (i = 0; i < ros_reply_count(r); i++) {
		const ros_sentence *it = ros_reply_item(r, i);
		const char *h = ros_sentence_attr(it, "dst-host", NULL);
		const char *a = ros_sentence_attr(it, "action", NULL);

		if (h && strcmp(h, host) == 0 && (!a || strcmp(a, "allow") == 0))
			return true;
	}
	return false;
}

static ros_err setup_walled(ros_pool *p, const ros_prov_radius_spec *s, ros_prov_radius_result *res,
			    ros_msg *msg)
{
	ros_reply *r = NULL;
	ros_err err = ROS_OK;
	size_t i;

	if (s->n_walled_garden == 0)
		return ROS_OK;
	err = print_all(p, "/ip/hotspot/walled-garden/print", ".id,dst-host,action", &r, msg);
	for (i = 0; err == ROS_OK && i < s->n_walled_garden; i++) {
		ros__cmd c;

		if (walled_has(r, s->walled_garden[i])) {
			res->walled_present++;
			continue;
		}
		ros__cmd_start(&c, "/ip/hotspot/walled-garden/add");
		ros__cmd_attr(&c, "dst-host", s->walled_garden[i]);
		ros__cmd_attr(&c, "action", "allow");
		ros__cmd_attr(&c, "comment", s->comment ? s->comment : DEFAULT_COMMENT);
		err = ros__run_drop(p, &c, true, msg);
		if (err == ROS_OK)
			res->walled_added++;
	}
	ros_reply_destroy(r);
	return err;
}

ros_err ros_prov_setup_radius(ros_pool *p, const ros_prov_radius_spec *spec,
			      ros_prov_radius_result *out, ros_msg *msg)
{
	ros_err err;

	memset(out, 0, sizeof(*out));
	out->radius = out->incoming = ROS_SYNC_FAILED;
	if (!spec || !spec->address || !*spec->address || !spec->secret || !*spec->secret) {
		ros__msg(msg, "%s: RADIUS set-up needs our server's address and the secret",
			 ros_pool_host(p));
		return ROS_ERR_INVALID;
	}
	err = setup_radius_entry(p, spec, &out->radius, msg);
	if (err == ROS_OK)
		err = setup_incoming(p, spec->incoming_port, &out->incoming, msg);
	if (err == ROS_OK)
		err = setup_profiles(p, spec, out, msg);
	if (err == ROS_OK)
		err = setup_walled(p, spec, out, msg);
	return err;
}
