/*
 * Collecting the sentences of one command into a ros_reply, and reading it.
 */
#include "routeros/internal.h"

#include <stdlib.h>
#include <string.h>

/* A command answers with few traps; more than this are dropped, not kept. */
#define MAX_TRAPS 64

struct sentence_list {
	ros_sentence **v;
	size_t count;
	size_t cap;
};

struct ros_reply {
	struct sentence_list items;
	struct sentence_list traps;
	ros_sentence *done;
	size_t bytes;
	bool empty;
	bool overflow;
	bool nomem;
};

static bool list_push(struct sentence_list *l, ros_sentence *s)
{
	if (l->count == l->cap) {
		ros_sentence **nv = ros__grow(l->v, &l->cap, 8, sizeof(*nv));

		if (!nv)
			return false;
		l->v = nv;
	}
	l->v[l->count++] = s;
	return true;
}

static void list_free(struct sentence_list *l)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		ros_sentence_destroy(l->v[i]);
	free(l->v);
}

ros_reply *ros__reply_create(void)
{
	return calloc(1, sizeof(ros_reply));
}

void ros_reply_destroy(ros_reply *r)
{
	if (!r)
		return;
	list_free(&r->items);
	list_free(&r->traps);
	ros_sentence_destroy(r->done);
	free(r);
}

/* Keeps s in l if the budget allows; otherwise drops it and marks the reply. */
static void reply_keep(ros_reply *r, struct sentence_list *l, ros_sentence *s, size_t budget)
{
	size_t size = ros__sentence_size(s);

	if (r->overflow || size > budget - r->bytes || r->bytes > budget) {
		r->overflow = true;
		ros_sentence_destroy(s);
		return;
	}
	if (!list_push(l, s)) {
		r->nomem = true;
		ros_sentence_destroy(s);
		return;
	}
	r->bytes += size;
}

bool ros__reply_take(ros_reply *r, ros_sentence *s, size_t budget)
{
	const char *type = ros_sentence_command(s);

	if (strcmp(type, "!re") == 0) {
		reply_keep(r, &r->items, s, budget);
	} else if (strcmp(type, "!trap") == 0) {
		if (r->traps.count < MAX_TRAPS)
			reply_keep(r, &r->traps, s, budget);
		else
			ros_sentence_destroy(s);
	} else if (strcmp(type, "!empty") == 0) {
		r->empty = true;
		ros_sentence_destroy(s);
	} else if (strcmp(type, "!done") == 0) {
		ros_sentence_destroy(r->done);
		r->done = s;
		return true;
	} else {
		/* Reply words this client does not know are ignored, as the protocol asks. */
		ros_sentence_destroy(s);
	}
	return false;
}

bool ros__reply_overflowed(const ros_reply *r)
{
	return r->overflow;
}

/* RouterOS words a missing policy this way, whatever the command. */
static bool message_is_denied(const char *msg)
{
	return strncmp(msg, "not enough permissions", 22) == 0;
}

ros_err ros__reply_result(const ros_reply *r)
{
	size_t i;
	bool interrupted = false;

	if (r->nomem)
		return ROS_ERR_NOMEM;
	for (i = 0; i < r->traps.count; i++) {
		if (message_is_denied(ros_reply_trap_message(r, i)))
			return ROS_ERR_DENIED;
		/* Category 2: "execution of command interrupted", what /cancel causes. */
		if (ros_reply_trap_category(r, i) == 2)
			interrupted = true;
	}
	if (r->overflow)
		return ROS_ERR_TOO_LARGE;
	if (interrupted)
		return ROS_ERR_INTERRUPTED;
	return r->traps.count ? ROS_ERR_TRAP : ROS_OK;
}

size_t ros_reply_count(const ros_reply *r)
{
	return r ? r->items.count : 0;
}

const ros_sentence *ros_reply_item(const ros_reply *r, size_t i)
{
	if (!r || i >= r->items.count)
		return NULL;
	return r->items.v[i];
}

const char *ros_reply_ret(const ros_reply *r, size_t *len)
{
	if (!r || !r->done)
		return NULL;
	return ros_sentence_attr(r->done, "ret", len);
}

bool ros_reply_empty(const ros_reply *r)
{
	return r && r->empty;
}

size_t ros_reply_trap_count(const ros_reply *r)
{
	return r ? r->traps.count : 0;
}

const char *ros_reply_trap_message(const ros_reply *r, size_t i)
{
	const char *m;

	if (!r || i >= r->traps.count)
		return "";
	m = ros_sentence_attr(r->traps.v[i], "message", NULL);
	return m ? m : "";
}

int ros_reply_trap_category(const ros_reply *r, size_t i)
{
	const char *c;
	size_t len;
	int v = 0;

	if (!r || i >= r->traps.count)
		return -1;
	c = ros_sentence_attr(r->traps.v[i], "category", &len);
	if (!c || len == 0 || len > 3)
		return -1;
	for (; *c; c++) {
		if (*c < '0' || *c > '9')
			return -1;
		v = v * 10 + (*c - '0');
	}
	return v;
}
