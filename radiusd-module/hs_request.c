/*
 * The request side of rlm_hotspot: Access-Request decisions, dynamic
 * clients and Accounting-Requests (see hs_module.h).
 */
#include <freeradius/build.h>
#include <freeradius/radiusd.h>
#include <freeradius/md5.h>

#include "hs_module.h"

#include "common/text.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* What a customer reads when the device is blocked for guessing. */
#define HS_MSG_BLOCKED "Too many failed logins from this device; please try again later"
#define HS_MSG_INVALID "Invalid voucher code or password"

rlm_rcode_t hs_no_answer(REQUEST *request)
{
	/* Response-Packet-Type 256 is FreeRADIUS's Do-Not-Respond. */
	if (!pair_make_config("Response-Packet-Type", "256", T_OP_SET))
		REDEBUG("cannot mark the request unanswered: %s", fr_strerror());
	return RLM_MODULE_HANDLED;
}

/* The packet's source address as text: the router, by FreeRADIUS's rule. */
static void hs_src_text(REQUEST *request, char *out, size_t size)
{
	fr_ipaddr_t const *ip = &request->packet->src_ipaddr;

	if (!inet_ntop(ip->af, &ip->ipaddr, out, (socklen_t)size))
		out[0] = '\0';
}

/*
 * An attribute of the request; NULL when absent. A value of the wrong length
 * for its type is decoded by FreeRADIUS as a raw attribute of the same
 * number, whose value is not of that type: it counts as absent.
 */
static VALUE_PAIR *hs_attr(REQUEST *request, unsigned attr)
{
	VALUE_PAIR *vp;

	for (vp = request->packet->vps; vp; vp = vp->next)
		if (vp->da->attr == attr && vp->da->vendor == 0 && !vp->da->flags.is_unknown)
			return vp;
	return NULL;
}

/* --- Access-Request ------------------------------------------------------------- */

/*
 * Reads the name, the PAP password or CHAP response (challenge: CHAP-Challenge,
 * else the Request Authenticator), and the device. Returns 0, or -1 when the
 * request carries no name or no usable password.
 */
static int hs_auth_read(REQUEST *request, hs_auth_req *in)
{
	VALUE_PAIR *name = hs_attr(request, PW_USER_NAME), *vp;

	hs_src_text(request, in->nas, sizeof(in->nas));
	/* A device name that is not text names no device: it counts as absent. */
	vp = hs_attr(request, PW_CALLING_STATION_ID);
	if (vp && hs_utf8_text(vp->vp_strvalue, vp->vp_length))
		hs_copy_str(in->mac, sizeof(in->mac), vp->vp_strvalue, vp->vp_length);
	/* No stored code or password is anything but UTF-8 text. */
	if (!name || name->vp_length == 0 || !in->nas[0] ||
	    !hs_utf8_text(name->vp_strvalue, name->vp_length))
		return -1;
	hs_copy_str(in->user, sizeof(in->user), name->vp_strvalue, name->vp_length);

	vp = hs_attr(request, PW_USER_PASSWORD);
	if (vp) {
		if (!hs_utf8_text(vp->vp_strvalue, vp->vp_length))
			return -1;
		hs_copy_str(in->password, sizeof(in->password), vp->vp_strvalue, vp->vp_length);
		in->pap = true;
		return 0;
	}
	vp = hs_attr(request, PW_CHAP_PASSWORD);
	if (!vp || vp->vp_length != 17)
		return -1;
	snprintf(in->chap_ident, sizeof(in->chap_ident), "%u", vp->vp_octets[0]);
	memcpy(in->response, vp->vp_octets + 1, 16);
	vp = hs_attr(request, PW_CHAP_CHALLENGE);
	if (vp && vp->vp_length > 0 && vp->vp_length <= sizeof(in->challenge)) {
		memcpy(in->challenge, vp->vp_octets, vp->vp_length);
		in->challenge_len = vp->vp_length;
	} else {
		memcpy(in->challenge, request->packet->vector, AUTH_VECTOR_LEN);
		in->challenge_len = AUTH_VECTOR_LEN;
	}
	in->chap = true;
	return 0;
}

/* Appends an attribute of type integer to a list (allocated in ctx); returns 0 or -1. */
static int hs_add_u32(TALLOC_CTX *ctx, VALUE_PAIR **list, DICT_ATTR const *da, uint32_t value)
{
	VALUE_PAIR *vp = fr_pair_afrom_da(ctx, da);

	if (!vp)
		return -1;
	vp->op = T_OP_SET;
	vp->vp_integer = value;
	vp->type = VT_DATA;
	fr_pair_add(list, vp);
	return 0;
}

/* Appends an attribute of type string to a list (allocated in ctx); returns 0 or -1. */
static int hs_add_str(TALLOC_CTX *ctx, VALUE_PAIR **list, DICT_ATTR const *da, char const *value)
{
	VALUE_PAIR *vp = fr_pair_afrom_da(ctx, da);

	if (!vp)
		return -1;
	vp->op = T_OP_SET;
	fr_pair_value_strcpy(vp, value);
	if (vp->type != VT_DATA) { /* out of memory */
		talloc_free(vp);
		return -1;
	}
	fr_pair_add(list, vp);
	return 0;
}

/* Adds the limits of an accepted login to the reply; returns 0 or -1. */
static int hs_auth_limits(rlm_hotspot_t const *inst, REQUEST *request, hs_auth_req const *d)
{
	hs_reply_attrs const *a = &inst->attrs;
	RADIUS_PACKET *reply = request->reply;
	int rc = 0;

	if (d->has_timeout)
		rc |= hs_add_u32(reply, &reply->vps, a->session_timeout,
				 hs_seconds32(d->session_timeout));
	if (d->has_data_left) {
		uint32_t low, giga;

		hs_split_octets(d->data_left > 0 ? (uint64_t)d->data_left : 1, &low, &giga);
		/* Always both: a router keeps a Gigawords value from nowhere else. */
		rc |= hs_add_u32(reply, &reply->vps, a->total_limit, low);
		rc |= hs_add_u32(reply, &reply->vps, a->total_limit_giga, giga);
	}
	if (d->rate_limit[0])
		rc |= hs_add_str(reply, &reply->vps, a->rate_limit, d->rate_limit);
	if (d->has_idle)
		rc |= hs_add_u32(reply, &reply->vps, a->idle_timeout,
				 hs_seconds32(d->idle_timeout));
	rc |= hs_add_u32(reply, &reply->vps, a->interim_interval, inst->interim_interval);
	return rc;
}

/* Rejects with a message for the customer and the cause in the control list. */
static rlm_rcode_t hs_auth_reject(rlm_hotspot_t const *inst, REQUEST *request, char const *reason,
				  char const *message)
{
	if (hs_add_str(request->reply, &request->reply->vps, inst->attrs.reply_message,
		       message ? message : HS_MSG_INVALID) < 0 ||
	    hs_add_u32(request, &request->config, inst->attrs.reject_reason,
		       (uint32_t)hs_reason_value(reason)) < 0)
		REDEBUG("cannot build the reject: %s", fr_strerror());
	RDEBUG("rejected: %s", reason);
	return RLM_MODULE_REJECT;
}

/* Answers from the decision: accept with limits, reject, or nothing. */
static rlm_rcode_t hs_auth_answer(rlm_hotspot_t *inst, REQUEST *request, hs_auth_req const *in)
{
	char const *voucher = in->voucher[0] ? in->voucher : NULL;

	if (voucher && hs_add_str(request, &request->config, inst->attrs.voucher_id, voucher) < 0)
		REDEBUG("cannot record the voucher: %s", fr_strerror());
	if (strcmp(in->result, "unknown_client") == 0) {
		RWARN("no router has address %s; not answered", in->nas);
		return hs_no_answer(request);
	}
	if (strcmp(in->result, "accept") != 0) {
		if (hs_reason_is_guess(in->reason) &&
		    hs_throttle_fail(inst->throttle, in->mac, time(NULL)))
			RWARN("device %s blocked for %u s after repeated failed logins", in->mac,
			      inst->fail_block);
		return hs_auth_reject(inst, request, in->reason,
				      in->message[0] ? in->message : NULL);
	}
	hs_throttle_clear(inst->throttle, in->mac);
	if (hs_auth_limits(inst, request, in) < 0 ||
	    hs_add_u32(request, &request->config, inst->attrs.auth_type, PW_AUTH_TYPE_ACCEPT) < 0) {
		REDEBUG("cannot build the accept: %s; not answered", fr_strerror());
		return hs_no_answer(request);
	}
	RDEBUG("accepted voucher %s", voucher ? voucher : "?");
	return RLM_MODULE_OK;
}

rlm_rcode_t hs_authorize(rlm_hotspot_t *inst, REQUEST *request)
{
	hs_auth_req req = {0}, *in = &req;
	unsigned blocked;
	rlm_rcode_t rcode;

	/* The batch being gathered may wait for this request (see hs_batch.h). */
	hs_auth_announce(inst->auth);
	if (hs_auth_read(request, in) < 0) {
		hs_auth_withdraw(inst->auth);
		rcode = hs_auth_reject(inst, request, "bad_password", HS_MSG_INVALID);
		goto out;
	}
	blocked = hs_throttle_blocked(inst->throttle, in->mac, time(NULL));
	if (blocked) {
		hs_auth_withdraw(inst->auth);
		RDEBUG("device %s is blocked for %u more seconds", in->mac, blocked);
		rcode = hs_auth_reject(inst, request, "too_many_failures", HS_MSG_BLOCKED);
		goto out;
	}
	hs_auth_decide(inst->auth, in);
	if (in->rc != HS_DB_OK) {
		/* In 3.2 a fail here would become an Access-Reject: answer nothing instead. */
		RWARN("voucher database unavailable; not answered");
		rcode = hs_no_answer(request);
	} else {
		rcode = hs_auth_answer(inst, request, in);
	}
out:
	explicit_bzero(in, sizeof(*in)); /* the password */
	return rcode;
}

/* --- dynamic clients ------------------------------------------------------------ */

/* Logs an unknown address at most once a second (a scan must not flood the log). */
static void hs_log_unknown(rlm_hotspot_t const *inst, char const *addr)
{
	static time_t last;
	time_t now = time(NULL);

	if (__atomic_exchange_n(&last, now, __ATOMIC_RELAXED) == now)
		return;
	WARN("rlm_hotspot (%s): no router has address %s; its packets are dropped", inst->name,
	     addr);
}

rlm_rcode_t hs_dynamic_client(rlm_hotspot_t *inst, REQUEST *request)
{
	fr_ipaddr_t const *ip = &request->packet->src_ipaddr;
	char addr[48], shortname[48];
	hs_router r;
	bool ok;

	hs_src_text(request, addr, sizeof(addr));
	if (!inst->clients || !addr[0] ||
	    !hs_clients_find(inst->clients, ip->af, &ip->ipaddr, &r)) {
		hs_log_unknown(inst, addr);
		return RLM_MODULE_NOTFOUND;
	}
	snprintf(shortname, sizeof(shortname), "router-%.36s", r.id);
	ok = pair_make_config(ip->af == AF_INET6 ? "FreeRADIUS-Client-IPv6-Address"
						 : "FreeRADIUS-Client-IP-Address",
			      addr, T_OP_SET) &&
	     hs_add_str(request, &request->config, inst->attrs.client_secret, r.secret) == 0 &&
	     pair_make_config("FreeRADIUS-Client-Shortname", shortname, T_OP_SET) &&
	     pair_make_config("FreeRADIUS-Client-NAS-Type", "other", T_OP_SET) &&
	     pair_make_config("FreeRADIUS-Client-Require-MA", r.require_ma ? "yes" : "no",
			      T_OP_SET);
	memset(r.secret, 0, sizeof(r.secret));
	if (!ok) {
		REDEBUG("cannot define client %s: %s", addr, fr_strerror());
		return RLM_MODULE_FAIL;
	}
	return RLM_MODULE_OK;
}

/* --- Accounting-Request ----------------------------------------------------------- */

/* Copies a string attribute into dst and marks it present. */
static void hs_rec_str(REQUEST *request, unsigned attr, char *dst, size_t size, unsigned flag,
		       unsigned *present)
{
	VALUE_PAIR *vp = hs_attr(request, attr);

	if (!vp)
		return;
	hs_copy_str(dst, size, vp->vp_strvalue, vp->vp_length);
	*present |= flag;
}

/* A 64-bit counter from its Octets and Gigawords attributes. */
static void hs_rec_octets(REQUEST *request, unsigned octets, unsigned giga, uint64_t *dst,
			  unsigned flag, unsigned *present)
{
	VALUE_PAIR *lo = hs_attr(request, octets), *hi = hs_attr(request, giga);

	if (!lo && !hi)
		return;
	*dst = hs_octets64(lo ? lo->vp_integer : 0, hi ? hi->vp_integer : 0);
	*present |= flag;
}

/*
 * The session key per router: Acct-Unique-Session-Id when a policy set it,
 * else an MD5 of the attributes that name a session on a NAS (as FreeRADIUS's
 * acct_unique policy does).
 */
static void hs_rec_uid(REQUEST *request, hs_acct_rec *rec)
{
	static unsigned const attrs[] = {PW_USER_NAME,      PW_ACCT_SESSION_ID, PW_NAS_IP_ADDRESS,
					 PW_NAS_IDENTIFIER, PW_NAS_PORT_ID,     PW_NAS_PORT};
	char text[HS_STR_MAX * 4 + 64]; /* four strings, an address and a number: all fit */
	uint8_t digest[16];
	size_t off = 0, i;
	VALUE_PAIR *vp = hs_attr(request, PW_ACCT_UNIQUE_SESSION_ID);

	if (vp) {
		hs_copy_str(rec->uid, sizeof(rec->uid), vp->vp_strvalue, vp->vp_length);
		rec->present |= HS_F_UID;
		return;
	}
	if (!(rec->present & HS_F_SID))
		return;
	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]) && off < sizeof(text) - 1; i++) {
		vp = hs_attr(request, attrs[i]);
		/* It returns the length it would have printed, which can be more than fits. */
		if (vp)
			off += vp_prints_value(text + off, sizeof(text) - off, vp, 0);
		if (off > sizeof(text) - 1)
			off = sizeof(text) - 1;
		if (off < sizeof(text) - 1)
			text[off++] = ',';
	}
	fr_md5_calc(digest, (uint8_t const *)text, off);
	(void)fr_bin2hex(rec->uid, digest, sizeof(digest));
	rec->present |= HS_F_UID;
}

/* The record of an Accounting-Request, received at the packet's time minus Acct-Delay-Time. */
static void hs_rec_read(REQUEST *request, hs_acct_rec *rec)
{
	VALUE_PAIR *vp;
	uint32_t delay = 0;

	memset(rec, 0, sizeof(*rec));
	hs_src_text(request, rec->nas, sizeof(rec->nas));
	vp = hs_attr(request, PW_ACCT_STATUS_TYPE);
	rec->status = vp ? (int)vp->vp_integer : 0;
	hs_rec_str(request, PW_ACCT_SESSION_ID, rec->sid, sizeof(rec->sid), HS_F_SID,
		   &rec->present);
	hs_rec_str(request, PW_USER_NAME, rec->user, sizeof(rec->user), HS_F_USER, &rec->present);
	hs_rec_str(request, PW_CALLING_STATION_ID, rec->mac, sizeof(rec->mac), HS_F_MAC,
		   &rec->present);
	hs_rec_uid(request, rec);
	vp = hs_attr(request, PW_FRAMED_IP_ADDRESS);
	if (vp && inet_ntop(AF_INET, &vp->vp_ipaddr, rec->framed, sizeof(rec->framed)))
		rec->present |= HS_F_FRAMED;
	vp = hs_attr(request, PW_ACCT_TERMINATE_CAUSE);
	if (vp) {
		vp_prints_value(rec->cause, sizeof(rec->cause), vp, 0);
		rec->present |= HS_F_CAUSE;
	}
	hs_rec_octets(request, PW_ACCT_INPUT_OCTETS, PW_ACCT_INPUT_GIGAWORDS, &rec->in_octets,
		      HS_F_IN, &rec->present);
	hs_rec_octets(request, PW_ACCT_OUTPUT_OCTETS, PW_ACCT_OUTPUT_GIGAWORDS, &rec->out_octets,
		      HS_F_OUT, &rec->present);
	vp = hs_attr(request, PW_ACCT_SESSION_TIME);
	if (vp) {
		rec->session_time = vp->vp_integer;
		rec->present |= HS_F_TIME;
	}
	vp = hs_attr(request, PW_ACCT_DELAY_TIME);
	if (vp)
		delay = vp->vp_integer;
	rec->at_sec = (int64_t)request->packet->timestamp.tv_sec - delay;
	rec->at_usec = (long)request->packet->timestamp.tv_usec;
}

rlm_rcode_t hs_accounting(rlm_hotspot_t *inst, REQUEST *request)
{
	hs_acct_rec rec;

	hs_rec_read(request, &rec);
	switch (hs_acct_rec_storable(&rec) ? hs_acct_submit(inst->acct, &rec) : HS_ACCT_INVALID) {
	case HS_ACCT_STORED:
		return RLM_MODULE_OK;
	case HS_ACCT_SPOOLED:
		RDEBUG("accounting spooled (database unavailable)");
		return RLM_MODULE_OK;
	case HS_ACCT_INVALID:
		RWARN("accounting record refused as malformed (status %d); acknowledged",
		      rec.status);
		return RLM_MODULE_OK;
	case HS_ACCT_UNKNOWN:
		RWARN("no router has address %s; accounting not answered", rec.nas);
		return hs_no_answer(request);
	case HS_ACCT_FAILED:
		break;
	}
	RWARN("accounting neither stored nor spooled; not acknowledged");
	return hs_no_answer(request);
}
