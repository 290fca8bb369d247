/*
 * The simulated router's state and its menus.  Most menus are tables of
 * items with an .id and a fixed set of fields, answered by one generic set
 * of verbs (print, add, set, remove, enable, disable); the commands that
 * are not tables (/system/resource, /export, /import, /system/backup/save,
 * /file/read) have handlers of their own.
 */
#include "routeros/internal.h"
#include "tests/sim/ros_sim.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_FIELDS 16
#define LOG_MAX    500
#define F_REQUIRED 1u /* add needs it */
#define F_UNIQUE   2u /* no two items share it; also names an item in numbers= */
#define F_READONLY 4u /* the router sets it */

#define OP_PRINT  1u
#define OP_ADD    2u
#define OP_SET    4u
#define OP_REMOVE 8u
#define OP_ENABLE 16u /* enable and disable */

struct field {
	const char *name;
	const char *def; /* NULL: unset */
	unsigned flags;
};

struct item {
	uint32_t id;
	char *vals[MAX_FIELDS];
};

struct table {
	const char *path;    /* "/ip/hotspot/user" */
	const char *section; /* the export section header, NULL: not exported */
	struct field fields[MAX_FIELDS];
	unsigned ops;
	bool single; /* one item, no .id (/system/identity, /radius/incoming) */
	struct item *items;
	size_t count;
	size_t cap;
};

static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct sim_config *conf;
static time_t started;
static uint32_t next_id = 1;
static char *log_lines[LOG_MAX][3]; /* time, topics, message */
static size_t log_first, log_count;
static uint32_t log_next_id = 1;

static struct table tables[] = {
	{.path = "/interface",
	 .fields = {{"name", NULL, F_REQUIRED | F_UNIQUE},
		    {"type", "ether", F_READONLY},
		    {"mtu", "1500", 0},
		    {"mac-address", NULL, F_READONLY},
		    {"running", "true", F_READONLY},
		    {"disabled", "false", 0},
		    {"comment", NULL, 0},
		    {"rx-byte", "0", F_READONLY},
		    {"tx-byte", "0", F_READONLY},
		    {"rx-packet", "0", F_READONLY},
		    {"tx-packet", "0", F_READONLY}},
	 .ops = OP_PRINT | OP_SET | OP_ENABLE},
	{.path = "/ip/hotspot/user/profile",
	 .section = "/ip hotspot user profile",
	 .fields = {{"name", NULL, F_REQUIRED | F_UNIQUE},
		    {"rate-limit", NULL, 0},
		    {"session-timeout", NULL, 0},
		    {"idle-timeout", "none", 0},
		    {"keepalive-timeout", "2m", 0},
		    {"shared-users", "1", 0},
		    {"status-autorefresh", "1m", 0},
		    {"comment", NULL, 0}},
	 .ops = OP_PRINT | OP_ADD | OP_SET | OP_REMOVE},
	{.path = "/ip/hotspot/user",
	 .section = "/ip hotspot user",
	 .fields = {{"name", NULL, F_REQUIRED | F_UNIQUE},
		    {"password", NULL, 0},
		    {"profile", "default", 0},
		    {"server", "all", 0},
		    {"mac-address", NULL, 0},
		    {"limit-uptime", NULL, 0},
		    {"limit-bytes-total", NULL, 0},
		    {"comment", NULL, 0},
		    {"disabled", "false", 0}},
	 .ops = OP_PRINT | OP_ADD | OP_SET | OP_REMOVE | OP_ENABLE},
	{.path = "/ip/hotspot/active",
	 .fields = {{"user", NULL, F_REQUIRED},
		    {"server", "hotspot1", 0},
		    {"address", NULL, 0},
		    {"mac-address", NULL, 0},
		    {"login-by", "http-chap", 0},
		    {"uptime", "0s", F_READONLY},
		    {"bytes-in", "0", F_READONLY},
		    {"bytes-out", "0", F_READONLY},
		    {"radius", "true", 0}},
	 .ops = OP_PRINT | OP_REMOVE},
	{.path = "/ip/hotspot/profile",
	 .section = "/ip hotspot profile",
	 .fields = {{"name", NULL, F_REQUIRED | F_UNIQUE},
		    {"hotspot-address", NULL, 0},
		    {"dns-name", NULL, 0},
		    {"html-directory", "hotspot", 0},
		    {"login-by", "cookie,http-chap", 0},
		    {"use-radius", "no", 0},
		    {"radius-accounting", "yes", 0},
		    {"radius-interim-update", "received", 0},
		    {"nas-port-type", "wireless-802.11", 0}},
	 .ops = OP_PRINT | OP_ADD | OP_SET},
	{.path = "/ip/hotspot/walled-garden",
	 .section = "/ip hotspot walled-garden",
	 .fields = {{"dst-host", NULL, F_REQUIRED},
		    {"action", "allow", 0},
		    {"server", NULL, 0},
		    {"path", NULL, 0},
		    {"comment", NULL, 0}},
	 .ops = OP_PRINT | OP_ADD | OP_REMOVE},
	{.path = "/radius",
	 .section = "/radius",
	 .fields = {{"service", NULL, F_REQUIRED},
		    {"address", NULL, F_REQUIRED},
		    {"secret", NULL, 0},
		    {"authentication-port", "1812", 0},
		    {"accounting-port", "1813", 0},
		    {"timeout", "300ms", 0},
		    {"src-address", "0.0.0.0", 0},
		    {"comment", NULL, 0},
		    {"disabled", "false", 0}},
	 .ops = OP_PRINT | OP_ADD | OP_SET | OP_REMOVE | OP_ENABLE},
	{.path = "/radius/incoming",
	 .section = "/radius incoming",
	 .fields = {{"accept", "no", 0}, {"port", "3799", 0}},
	 .ops = OP_PRINT | OP_SET,
	 .single = true},
	{.path = "/system/identity",
	 .section = "/system identity",
	 .fields = {{"name", "MikroTik", 0}},
	 .ops = OP_PRINT | OP_SET,
	 .single = true},
	{.path = "/file",
	 .fields = {{"name", NULL, F_REQUIRED | F_UNIQUE},
		    {"type", "file", 0},
		    {"size", "0", F_READONLY},
		    {"creation-time", NULL, F_READONLY},
		    {"contents", NULL, 0}},
	 .ops = OP_PRINT | OP_ADD | OP_SET | OP_REMOVE},
};
#define NTABLES (sizeof(tables) / sizeof(tables[0]))

/* --- output helpers ---------------------------------------------------- */

void sim_oom(void)
{
	fprintf(stderr, "ros-sim: out of memory\n");
	abort();
}

void sim_check(ros_err err)
{
	if (err != ROS_OK) {
		fprintf(stderr, "ros-sim: %s\n", ros_err_str(err));
		abort();
	}
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p)
		sim_oom();
	return p;
}

/* The array v grown as ros__grow does (8 entries at first); out of memory aborts. */
static void *xgrow(void *v, size_t *cap, size_t size)
{
	void *nv = ros__grow(v, cap, 8, size);

	if (!nv)
		sim_oom();
	return nv;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		sim_oom();
	return d;
}

ros_sentence *sim_out_add(struct sim_out *out, const char *type)
{
	ros_sentence *s = ros_sentence_create();

	if (!s)
		sim_oom();
	sim_check(ros_sentence_add_str(s, type));
	if (out->count == out->cap)
		out->v = xgrow(out->v, &out->cap, sizeof(*out->v));
	out->v[out->count++] = s;
	return s;
}

void sim_attr(ros_sentence *s, const char *key, const char *value)
{
	sim_check(ros_sentence_add_attr_str(s, key, value));
}

void sim_trap(struct sim_out *out, int category, const char *msg)
{
	ros_sentence *s = sim_out_add(out, "!trap");
	char num[12];

	if (category >= 0) {
		snprintf(num, sizeof(num), "%d", category);
		sim_attr(s, "category", num);
	}
	sim_attr(s, "message", msg);
}

void sim_out_free(struct sim_out *out)
{
	size_t i;

	for (i = 0; i < out->count; i++)
		ros_sentence_destroy(out->v[i]);
	free(out->v);
	out->v = NULL;
	out->count = out->cap = 0;
}

static void done(struct sim_out *out)
{
	sim_out_add(out, "!done");
}

/* --- log --------------------------------------------------------------- */

static void clock_text(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%H:%M:%S", &tm);
}

/* Appends to the log; state_lock must be held. */
static void log_locked(const char *topics, const char *msg)
{
	char when[16];
	size_t slot, i;

	clock_text(when, sizeof(when));
	if (log_count == LOG_MAX) {
		for (i = 0; i < 3; i++)
			free(log_lines[log_first][i]);
		log_first = (log_first + 1) % LOG_MAX;
		log_count--;
	}
	slot = (log_first + log_count) % LOG_MAX;
	log_lines[slot][0] = xstrdup(when);
	log_lines[slot][1] = xstrdup(topics);
	log_lines[slot][2] = xstrdup(msg);
	log_count++;
	log_next_id++;
}

void sim_log(const char *topics, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&state_lock);
	log_locked(topics, msg);
	pthread_mutex_unlock(&state_lock);
}

static void log_print(struct sim_out *out)
{
	size_t i;
	char id[16];

	for (i = 0; i < log_count; i++) {
		size_t slot = (log_first + i) % LOG_MAX;
		ros_sentence *s = sim_out_add(out, "!re");

		snprintf(id, sizeof(id), "*%zX", log_next_id - log_count + i);
		sim_attr(s, ".id", id);
		sim_attr(s, "time", log_lines[slot][0]);
		sim_attr(s, "topics", log_lines[slot][1]);
		sim_attr(s, "message", log_lines[slot][2]);
	}
}

/* --- tables ------------------------------------------------------------ */

static int field_index(const struct table *t, const char *name, size_t len)
{
	int i;

	for (i = 0; i < MAX_FIELDS && t->fields[i].name; i++)
		if (strlen(t->fields[i].name) == len && memcmp(t->fields[i].name, name, len) == 0)
			return i;
	return -1;
}

static struct table *table_find(const char *path, size_t len)
{
	size_t i;

	for (i = 0; i < NTABLES; i++)
		if (strlen(tables[i].path) == len && memcmp(tables[i].path, path, len) == 0)
			return &tables[i];
	return NULL;
}

static void item_set(struct item *it, int field, const char *value)
{
	free(it->vals[field]);
	it->vals[field] = value ? xstrdup(value) : NULL;
}

static struct item *item_new(struct table *t)
{
	struct item *it;
	int i;

	if (t->count == t->cap)
		t->items = xgrow(t->items, &t->cap, sizeof(*t->items));
	it = &t->items[t->count++];
	memset(it, 0, sizeof(*it));
	it->id = next_id++;
	for (i = 0; i < MAX_FIELDS && t->fields[i].name; i++)
		if (t->fields[i].def)
			it->vals[i] = xstrdup(t->fields[i].def);
	return it;
}

static void item_remove(struct table *t, size_t idx)
{
	int i;

	for (i = 0; i < MAX_FIELDS; i++)
		free(t->items[idx].vals[i]);
	memmove(&t->items[idx], &t->items[idx + 1], (t->count - idx - 1) * sizeof(struct item));
	t->count--;
}

static const char *item_get(const struct table *t, const struct item *it, const char *name)
{
	int f = field_index(t, name, strlen(name));

	return f < 0 ? NULL : it->vals[f];
}

/* An item by ".id" ("*1F") or by its unique field (a name). -1 when absent. */
static long item_ref(const struct table *t, const char *ref, size_t len)
{
	size_t i;
	int f;

	if (len > 1 && ref[0] == '*') {
		char *end;
		unsigned long id = strtoul(ref + 1, &end, 16);

		if (end != ref + len)
			return -1;
		for (i = 0; i < t->count; i++)
			if (t->items[i].id == id)
				return (long)i;
		return -1;
	}
	for (f = 0; f < MAX_FIELDS && t->fields[f].name; f++) {
		if (!(t->fields[f].flags & F_UNIQUE))
			continue;
		for (i = 0; i < t->count; i++) {
			const char *v = t->items[i].vals[f];

			if (v && strlen(v) == len && memcmp(v, ref, len) == 0)
				return (long)i;
		}
	}
	return -1;
}

static struct table *table_by_path(const char *path)
{
	return table_find(path, strlen(path));
}

/* --- state set-up ------------------------------------------------------- */

static struct item *add_row(const char *path, const char *const *kv)
{
	struct table *t = table_by_path(path);
	struct item *it = item_new(t);

	for (; kv[0]; kv += 2)
		item_set(it, field_index(t, kv[0], strlen(kv[0])), kv[1]);
	return it;
}

static void time_text(time_t t, char *buf, size_t len)
{
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

void sim_state_init(const struct sim_config *cfg)
{
	static const char *const ifaces[][2] = {{"ether1", "ether"},
						{"ether2", "ether"},
						{"ether3", "ether"},
						{"wlan1", "wlan"},
						{"bridge-hotspot", "bridge"}};
	char mac[32];
	size_t i;

	conf = cfg;
	started = time(NULL);
	for (i = 0; i < sizeof(ifaces) / sizeof(ifaces[0]); i++) {
		const char *kv[] = {"name",        ifaces[i][0], "type", ifaces[i][1],
				    "mac-address", mac,          NULL};

		snprintf(mac, sizeof(mac), "4C:5E:0C:00:00:%02zX", i + 1);
		add_row("/interface", kv);
	}
	{
		const char *kv[] = {"name", "default", NULL};

		add_row("/ip/hotspot/user/profile", kv);
	}
	{
		const char *kv[] = {"name",      "hsprof1",  "hotspot-address",
				    "10.5.50.1", "dns-name", "login.hotspot",
				    NULL};

		add_row("/ip/hotspot/profile", kv);
	}
	{
		const char *a[] = {"user",        "voucher-a1",        "address", "10.5.50.10",
				   "mac-address", "02:00:00:00:00:10", NULL};
		const char *b[] = {"user",        "voucher-b2",        "address", "10.5.50.11",
				   "mac-address", "02:00:00:00:00:11", NULL};

		add_row("/ip/hotspot/active", a);
		add_row("/ip/hotspot/active", b);
	}
	item_new(table_by_path("/radius/incoming"));
	item_set(item_new(table_by_path("/system/identity")), 0, cfg->identity);
	log_locked("system,info", "router simulator started");
}

/* Counters grow with time so that two prints show traffic. */
static void refresh_counters(void)
{
	struct table *ifs = table_by_path("/interface"), *act = table_by_path("/ip/hotspot/active");
	uint64_t age = (uint64_t)(time(NULL) - started) + 1;
	char buf[32];
	size_t i;

	for (i = 0; i < ifs->count; i++) {
		struct item *it = &ifs->items[i];
		bool up = strcmp(item_get(ifs, it, "disabled"), "false") == 0;
		uint64_t rate = 125000 * (i + 1);

		if (!up)
			continue;
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)(age * rate * 3));
		item_set(it, field_index(ifs, "rx-byte", 7), buf);
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)(age * rate));
		item_set(it, field_index(ifs, "tx-byte", 7), buf);
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)(age * rate * 3 / 1000));
		item_set(it, field_index(ifs, "rx-packet", 9), buf);
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)(age * rate / 1000));
		item_set(it, field_index(ifs, "tx-packet", 9), buf);
	}
	for (i = 0; i < act->count; i++) {
		struct item *it = &act->items[i];

		snprintf(buf, sizeof(buf), "%llus", (unsigned long long)age);
		item_set(it, field_index(act, "uptime", 6), buf);
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)(age * 40000));
		item_set(it, field_index(act, "bytes-in", 8), buf);
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)(age * 400000));
		item_set(it, field_index(act, "bytes-out", 9), buf);
	}
}

bool sim_interface_rates(const char *name, uint64_t *rx_bps, uint64_t *tx_bps)
{
	struct table *ifs = table_by_path("/interface");
	long idx;
	bool ok = false;

	pthread_mutex_lock(&state_lock);
	idx = item_ref(ifs, name, strlen(name));
	if (idx >= 0) {
		uint64_t rate = 125000 * ((uint64_t)idx + 1) * 8;
		bool up = strcmp(item_get(ifs, &ifs->items[idx], "disabled"), "false") == 0;

		*rx_bps = up ? rate * 3 : 0;
		*tx_bps = up ? rate : 0;
		ok = true;
	}
	pthread_mutex_unlock(&state_lock);
	return ok;
}

/* --- generic verbs ----------------------------------------------------- */

/* Splits "=key=value" words: key in *k (klen), value in *v. False for other words. */
static bool split_attr(const char *w, size_t len, const char **k, size_t *klen, const char **v)
{
	const char *eq;

	if (len < 2 || w[0] != '=')
		return false;
	eq = memchr(w + 1, '=', len - 1);
	if (!eq)
		return false;
	*k = w + 1;
	*klen = (size_t)(eq - w - 1);
	*v = eq + 1;
	return true;
}

/* Whether item matches every "?key=value" query word of cmd. */
static bool item_matches(const struct table *t, const struct item *it, const ros_sentence *cmd)
{
	char id[16];
	size_t i, len;

	for (i = 1; i < ros_sentence_count(cmd); i++) {
		const char *w = ros_sentence_word(cmd, i, &len), *eq, *v;
		size_t klen;
		int f;

		if (w[0] != '?' || !(eq = memchr(w + 1, '=', len - 1)))
			continue;
		klen = (size_t)(eq - w - 1);
		if (klen == 3 && memcmp(w + 1, ".id", 3) == 0) {
			snprintf(id, sizeof(id), "*%X", it->id);
			v = id;
		} else {
			f = field_index(t, w + 1, klen);
			v = f < 0 ? NULL : it->vals[f];
		}
		if (!v || strcmp(v, eq + 1) != 0)
			return false;
	}
	return true;
}

/* Whether field name is in the =.proplist= of cmd (every field when there is none). */
static bool in_proplist(const char *proplist, const char *name)
{
	size_t n = strlen(name);
	const char *p = proplist;

	if (!proplist)
		return true;
	while ((p = strstr(p, name)) != NULL) {
		if ((p == proplist || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

static void verb_print(struct table *t, const ros_sentence *cmd, struct sim_out *out)
{
	const char *proplist = ros_sentence_attr(cmd, ".proplist", NULL);
	size_t i, shown = 0;
	int f;

	if (strcmp(t->path, "/interface") == 0 || strcmp(t->path, "/ip/hotspot/active") == 0)
		refresh_counters();
	for (i = 0; i < t->count; i++) {
		const struct item *it = &t->items[i];
		ros_sentence *s;

		if (!item_matches(t, it, cmd))
			continue;
		s = sim_out_add(out, "!re");
		if (!t->single && in_proplist(proplist, ".id")) {
			char id[16];

			snprintf(id, sizeof(id), "*%X", it->id);
			sim_attr(s, ".id", id);
		}
		for (f = 0; f < MAX_FIELDS && t->fields[f].name; f++) {
			const char *name = t->fields[f].name;

			if (!it->vals[f] || !in_proplist(proplist, name))
				continue;
			/* RouterOS shows no contents for files past its API limit. */
			if (strcmp(name, "contents") == 0 &&
			    strlen(it->vals[f]) > (size_t)conf->file_contents_max)
				continue;
			sim_attr(s, name, it->vals[f]);
		}
		shown++;
	}
	if (shown == 0 && conf->version >= 7)
		sim_out_add(out, "!empty");
	done(out);
}

/* Applies the =key=value words of cmd to it.  Returns an error message or NULL. */
static const char *apply_attrs(struct table *t, struct item *it, const ros_sentence *cmd, char *err,
			       size_t errlen)
{
	size_t i, len, klen;

	for (i = 1; i < ros_sentence_count(cmd); i++) {
		const char *w = ros_sentence_word(cmd, i, &len), *k, *v;
		int f;

		if (!split_attr(w, len, &k, &klen, &v))
			continue;
		if ((klen == 3 && memcmp(k, ".id", 3) == 0) ||
		    (klen == 7 && memcmp(k, "numbers", 7) == 0))
			continue;
		f = field_index(t, k, klen);
		if (f < 0 || (t->fields[f].flags & F_READONLY)) {
			snprintf(err, errlen, "unknown parameter %.*s", (int)klen, k);
			return err;
		}
		if (strlen(v) != len - klen - 2) {
			snprintf(err, errlen, "invalid value for %s", t->fields[f].name);
			return err;
		}
		if (strcmp(t->fields[f].name, "contents") == 0 &&
		    strlen(v) > (size_t)conf->file_contents_max) {
			snprintf(err, errlen, "failure: contents too long (at most %d bytes)",
				 conf->file_contents_max);
			return err;
		}
		if ((t->fields[f].flags & F_UNIQUE) && item_ref(t, v, strlen(v)) >= 0 &&
		    &t->items[item_ref(t, v, strlen(v))] != it) {
			snprintf(err, errlen, "failure: already have item with this %s",
				 t->fields[f].name);
			return err;
		}
		item_set(it, f, v);
	}
	return NULL;
}

static void file_touch(struct table *t, struct item *it)
{
	const char *c = item_get(t, it, "contents");
	char buf[32];

	snprintf(buf, sizeof(buf), "%zu", c ? strlen(c) : 0);
	item_set(it, field_index(t, "size", 4), buf);
	time_text(time(NULL), buf, sizeof(buf));
	item_set(it, field_index(t, "creation-time", 13), buf);
}

static void verb_add(struct table *t, const ros_sentence *cmd, struct sim_out *out)
{
	struct item *it = item_new(t);
	char err[160], id[16];
	const char *msg = apply_attrs(t, it, cmd, err, sizeof(err));
	int f;

	for (f = 0; !msg && f < MAX_FIELDS && t->fields[f].name; f++) {
		if ((t->fields[f].flags & F_REQUIRED) && !it->vals[f]) {
			snprintf(err, sizeof(err), "failure: %s must be set", t->fields[f].name);
			msg = err;
		}
	}
	if (msg) {
		item_remove(t, t->count - 1);
		sim_trap(out, 1, msg);
		done(out);
		return;
	}
	if (strcmp(t->path, "/file") == 0)
		file_touch(t, it);
	snprintf(id, sizeof(id), "*%X", it->id);
	log_locked("system,info", t->path);
	sim_attr(sim_out_add(out, "!done"), "ret", id);
}

/* The items named by =.id= or =numbers= ("*1,*2" or names). */
static const char *item_refs(const ros_sentence *cmd)
{
	const char *r = ros_sentence_attr(cmd, ".id", NULL);

	return r ? r : ros_sentence_attr(cmd, "numbers", NULL);
}

/*
 * Runs fn on each item cmd names; a trap for each reference that names no
 * item, then one !done, as RouterOS does for a list of numbers.
 */
static void for_each_ref(struct table *t, const ros_sentence *cmd, struct sim_out *out,
			 void (*fn)(struct table *, size_t, const ros_sentence *, struct sim_out *))
{
	const char *refs = item_refs(cmd), *p;
	char msg[160];

	if (!refs) {
		sim_trap(out, 1, "failure: no item given (=.id= or =numbers=)");
		done(out);
		return;
	}
	for (p = refs; *p;) {
		size_t n = strcspn(p, ",");
		long idx = item_ref(t, p, n);

		if (idx < 0) {
			snprintf(msg, sizeof(msg), "no such item (%.*s)", (int)n, p);
			sim_trap(out, 0, msg);
		} else {
			fn(t, (size_t)idx, cmd, out);
		}
		p += n;
		if (*p == ',')
			p++;
	}
	done(out);
}

static void do_remove(struct table *t, size_t idx, const ros_sentence *cmd, struct sim_out *out)
{
	(void)cmd;
	(void)out;
	if (strcmp(t->path, "/ip/hotspot/active") == 0)
		log_locked("hotspot,info,debug", "active session removed over the API");
	item_remove(t, idx);
}

static void do_set(struct table *t, size_t idx, const ros_sentence *cmd, struct sim_out *out)
{
	char err[160];
	const char *msg = apply_attrs(t, &t->items[idx], cmd, err, sizeof(err));

	if (msg)
		sim_trap(out, 1, msg);
	else if (strcmp(t->path, "/file") == 0)
		file_touch(t, &t->items[idx]);
}

static void do_enable(struct table *t, size_t idx, const ros_sentence *cmd, struct sim_out *out)
{
	bool disable = strcmp(strrchr(ros_sentence_command(cmd), '/'), "/disable") == 0;

	(void)out;
	item_set(&t->items[idx], field_index(t, "disabled", 8), disable ? "true" : "false");
	if (strcmp(t->path, "/interface") == 0)
		item_set(&t->items[idx], field_index(t, "running", 7), disable ? "false" : "true");
}

static void verb_set(struct table *t, const ros_sentence *cmd, struct sim_out *out)
{
	if (t->single) {
		do_set(t, 0, cmd, out);
		done(out);
		return;
	}
	for_each_ref(t, cmd, out, do_set);
}

/* --- commands that are not tables --------------------------------------- */

static void uptime_text(char *buf, size_t len)
{
	long s = (long)(time(NULL) - started);

	snprintf(buf, len, "%ldw%ldd%02ld:%02ld:%02ld", s / 604800, s / 86400 % 7, s / 3600 % 24,
		 s / 60 % 60, s % 60);
}

static void cmd_resource(const ros_sentence *cmd, struct sim_out *out)
{
	ros_sentence *s = sim_out_add(out, "!re");
	char up[48], load[8];

	(void)cmd;
	uptime_text(up, sizeof(up));
	snprintf(load, sizeof(load), "%d", (int)(time(NULL) % 17) + 3);
	sim_attr(s, "uptime", up);
	sim_attr(s, "version", conf->version >= 7 ? "7.18.2 (stable)" : "6.42.12 (long-term)");
	sim_attr(s, "build-time", "2025-03-11 11:59:04");
	sim_attr(s, "free-memory", "98304000");
	sim_attr(s, "total-memory", "134217728");
	sim_attr(s, "cpu", "ARMv7");
	sim_attr(s, "cpu-count", "4");
	sim_attr(s, "cpu-frequency", "716");
	sim_attr(s, "cpu-load", load);
	sim_attr(s, "free-hdd-space", "5242880");
	sim_attr(s, "total-hdd-space", "16777216");
	sim_attr(s, "architecture-name", "arm");
	sim_attr(s, "board-name", "hAP ac^2 (simulated)");
	sim_attr(s, "platform", "MikroTik");
	done(out);
}

static struct item *file_put(const char *name, const char *type, const char *contents)
{
	struct table *t = table_by_path("/file");
	long idx = item_ref(t, name, strlen(name));
	struct item *it = idx >= 0 ? &t->items[idx] : item_new(t);

	item_set(it, 0, name);
	item_set(it, field_index(t, "type", 4), type);
	item_set(it, field_index(t, "contents", 8), contents);
	file_touch(t, it);
	return it;
}

/* Appends s to the growing buffer *buf, quoting it as a RouterOS script value when needed. */
static void buf_add(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t ncap = (*cap ? *cap : 1024);
		char *nb;

		while (*len + n + 1 > ncap)
			ncap *= 2;
		nb = realloc(*buf, ncap);
		if (!nb)
			sim_oom();
		*buf = nb;
		*cap = ncap;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
}

static void buf_str(char **buf, size_t *len, size_t *cap, const char *s)
{
	buf_add(buf, len, cap, s, strlen(s));
}

static void buf_value(char **buf, size_t *len, size_t *cap, const char *v)
{
	bool quote = *v == '\0' || strpbrk(v, " \"\\;$[]{}=\n\t") != NULL;

	if (!quote) {
		buf_str(buf, len, cap, v);
		return;
	}
	buf_str(buf, len, cap, "\"");
	for (; *v; v++) {
		if (*v == '"' || *v == '\\' || *v == '$')
			buf_add(buf, len, cap, "\\", 1);
		if (*v == '\n')
			buf_str(buf, len, cap, "\\n");
		else
			buf_add(buf, len, cap, v, 1);
	}
	buf_str(buf, len, cap, "\"");
}

/* The configuration as a RouterOS script: sections in table order, defaults left out. */
static char *export_text(void)
{
	char *buf = NULL, when[32];
	size_t len = 0, cap = 0, i, j;
	int f;

	time_text(time(NULL), when, sizeof(when));
	buf_str(&buf, &len, &cap, "# ");
	buf_str(&buf, &len, &cap, when);
	buf_str(&buf, &len, &cap,
		conf->version >= 7 ? " by RouterOS 7.18.2\n" : " by RouterOS 6.42.12\n");
	buf_str(&buf, &len, &cap, "# model = simulated\n");
	for (i = 0; i < NTABLES; i++) {
		const struct table *t = &tables[i];

		if (!t->section || t->count == 0)
			continue;
		buf_str(&buf, &len, &cap, t->section);
		buf_str(&buf, &len, &cap, "\n");
		for (j = 0; j < t->count; j++) {
			buf_str(&buf, &len, &cap, t->single ? "set" : "add");
			for (f = 0; f < MAX_FIELDS && t->fields[f].name; f++) {
				const char *v = t->items[j].vals[f], *def = t->fields[f].def;

				if (!v || (def && strcmp(v, def) == 0))
					continue;
				buf_str(&buf, &len, &cap, " ");
				buf_str(&buf, &len, &cap, t->fields[f].name);
				buf_str(&buf, &len, &cap, "=");
				buf_value(&buf, &len, &cap, v);
			}
			buf_str(&buf, &len, &cap, "\n");
		}
	}
	return buf;
}

static void cmd_export(const ros_sentence *cmd, struct sim_out *out)
{
	const char *file = ros_sentence_attr(cmd, "file", NULL);
	char name[256];
	char *text;

	if (!file || !*file) {
		sim_trap(out, 1, "failure: give file= to export over the API");
		done(out);
		return;
	}
	snprintf(name, sizeof(name), "%s%s", file,
		 strlen(file) > 4 && strcmp(file + strlen(file) - 4, ".rsc") == 0 ? "" : ".rsc");
	text = export_text();
	file_put(name, "script", text);
	free(text);
	log_locked("system,info", "configuration exported");
	done(out);
}

/* Reads one script value at *p (bare or quoted); returns it malloc'd, or NULL when malformed. */
static char *script_value(const char **p)
{
	char *v = xcalloc(strlen(*p) + 1, 1);
	size_t n = 0;
	const char *s = *p;

	if (*s != '"') {
		while (*s && *s != ' ')
			v[n++] = *s++;
		*p = s;
		return v;
	}
	for (s++; *s && *s != '"'; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			v[n++] = *s == 'n' ? '\n' : *s;
		} else {
			v[n++] = *s;
		}
	}
	if (*s != '"') {
		free(v);
		return NULL;
	}
	*p = s + 1;
	return v;
}

/* Runs one "add k=v ..." or "set k=v ..." line in table t.  Returns false on a script error. */
static bool script_line(struct table *t, const char *line)
{
	bool add = strncmp(line, "add", 3) == 0;
	struct item *it;
	const char *p;

	if (!t || (!add && strncmp(line, "set", 3) != 0))
		return false;
	if (add && t->single)
		return false;
	it = add ? item_new(t) : &t->items[0];
	for (p = line + 3; *p;) {
		const char *eq;
		char *v;
		int f;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		eq = strchr(p, '=');
		if (!eq)
			return false;
		f = field_index(t, p, (size_t)(eq - p));
		p = eq + 1;
		v = script_value(&p);
		if (f < 0 || !v) {
			free(v);
			return false;
		}
		item_set(it, f, v);
		free(v);
	}
	return true;
}

/* Runs the subset of RouterOS script that export_text writes. Returns the failing line or 0. */
static size_t run_script(const char *text)
{
	struct table *t = NULL;
	char path[128];
	size_t lineno = 0;
	const char *p = text;

	while (*p) {
		size_t n = strcspn(p, "\n");
		char *line = xcalloc(n + 1, 1);
		bool ok = true;

		memcpy(line, p, n);
		lineno++;
		if (line[0] == '/') {
			size_t i;

			snprintf(path, sizeof(path), "%s", line);
			for (i = 0; path[i]; i++)
				if (path[i] == ' ')
					path[i] = '/';
			t = table_by_path(path);
			ok = t != NULL;
		} else if (line[0] != '#' && line[0] != '\0') {
			ok = script_line(t, line);
		}
		free(line);
		if (!ok)
			return lineno;
		p += n;
		if (*p == '\n')
			p++;
	}
	return 0;
}

static void cmd_import(const ros_sentence *cmd, struct sim_out *out)
{
	const char *name = ros_sentence_attr(cmd, "file-name", NULL);
	struct table *files = table_by_path("/file");
	long idx = name ? item_ref(files, name, strlen(name)) : -1;
	const char *text = idx >= 0 ? item_get(files, &files->items[idx], "contents") : NULL;
	char msg[160];
	size_t bad;

	if (!text) {
		sim_trap(out, 1, "failure: no such script file (give =file-name=)");
		done(out);
		return;
	}
	bad = run_script(text);
	if (bad) {
		snprintf(msg, sizeof(msg), "failure: script error on line %zu of %s", bad, name);
		sim_trap(out, 1, msg);
		done(out);
		return;
	}
	log_locked("system,info", "configuration imported");
	sim_attr(sim_out_add(out, "!re"), "message",
		 "Script file loaded and executed successfully");
	done(out);
}

static void cmd_backup(const ros_sentence *cmd, struct sim_out *out)
{
	const char *name = ros_sentence_attr(cmd, "name", NULL);
	char file[256];
	struct item *it;
	struct table *t = table_by_path("/file");

	snprintf(file, sizeof(file), "%s.backup", name && *name ? name : "MikroTik");
	/* A binary backup: it has a size, but no contents can be read over the API. */
	it = file_put(file, "backup", NULL);
	item_set(it, field_index(t, "size", 4), "34816");
	log_locked("system,info", "configuration backup saved");
	done(out);
}

/* /file/read (RouterOS 7.13 and later): a chunk of a file at an offset. */
static void cmd_file_read(const ros_sentence *cmd, struct sim_out *out)
{
	const char *name = ros_sentence_attr(cmd, "file", NULL);
	const char *off_s = ros_sentence_attr(cmd, "offset", NULL);
	const char *size_s = ros_sentence_attr(cmd, "chunk-size", NULL);
	struct table *t = table_by_path("/file");
	long idx = name ? item_ref(t, name, strlen(name)) : -1;
	const char *text = idx >= 0 ? item_get(t, &t->items[idx], "contents") : NULL;
	unsigned long off = off_s ? strtoul(off_s, NULL, 10) : 0;
	unsigned long size = size_s ? strtoul(size_s, NULL, 10) : 4096;
	size_t len;
	ros_sentence *s;

	if (idx < 0 || !text) {
		sim_trap(out, 1, idx < 0 ? "no such file" : "failure: file cannot be read");
		done(out);
		return;
	}
	if (size == 0 || size > 32768)
		size = 32768;
	len = strlen(text);
	if (off > len)
		off = len;
	if (size > len - off)
		size = len - off;
	s = sim_out_add(out, "!re");
	sim_check(ros_sentence_add_attr(s, "data", text + off, size));
	done(out);
}

static void cmd_log_print(const ros_sentence *cmd, struct sim_out *out)
{
	(void)cmd;
	log_print(out);
	if (log_count == 0 && conf->version >= 7)
		sim_out_add(out, "!empty");
	done(out);
}

static const struct special {
	const char *word;
	bool write;
	int min_version;
	void (*fn)(const ros_sentence *, struct sim_out *);
} specials[] = {
	{"/system/resource/print", false, 6, cmd_resource},
	{"/export", false, 6, cmd_export},
	{"/import", true, 6, cmd_import},
	{"/system/backup/save", true, 6, cmd_backup},
	{"/file/read", false, 7, cmd_file_read},
	{"/log/print", false, 6, cmd_log_print},
};

static const struct verb {
	const char *name;
	unsigned op;
	bool write;
} verbs[] = {
	{"print", OP_PRINT, false},   {"getall", OP_PRINT, false}, {"add", OP_ADD, true},
	{"set", OP_SET, true},        {"remove", OP_REMOVE, true}, {"enable", OP_ENABLE, true},
	{"disable", OP_ENABLE, true},
};

static void run_verb(struct table *t, const struct verb *v, const ros_sentence *cmd,
		     struct sim_out *out)
{
	switch (v->op) {
	case OP_PRINT:
		verb_print(t, cmd, out);
		break;
	case OP_ADD:
		verb_add(t, cmd, out);
		break;
	case OP_SET:
		verb_set(t, cmd, out);
		break;
	case OP_REMOVE:
		for_each_ref(t, cmd, out, do_remove);
		break;
	default:
		for_each_ref(t, cmd, out, do_enable);
		break;
	}
}

static void denied(struct sim_out *out)
{
	sim_trap(out, -1, "not enough permissions (9)");
	done(out);
}

bool sim_menu_command(const ros_sentence *cmd, struct sim_out *out)
{
	const char *word = ros_sentence_command(cmd), *slash = strrchr(word, '/');
	struct table *t;
	size_t i;
	bool known = false;

	pthread_mutex_lock(&state_lock);
	for (i = 0; i < sizeof(specials) / sizeof(specials[0]); i++) {
		if (strcmp(word, specials[i].word) != 0 || conf->version < specials[i].min_version)
			continue;
		if (specials[i].write && conf->read_only)
			denied(out);
		else
			specials[i].fn(cmd, out);
		known = true;
		goto out;
	}
	t = slash ? table_find(word, (size_t)(slash - word)) : NULL;
	for (i = 0; t && i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(slash + 1, verbs[i].name) != 0 || !(t->ops & verbs[i].op))
			continue;
		if (verbs[i].write && conf->read_only)
			denied(out);
		else
			run_verb(t, &verbs[i], cmd, out);
		known = true;
		break;
	}
out:
	pthread_mutex_unlock(&state_lock);
	return known;
}
