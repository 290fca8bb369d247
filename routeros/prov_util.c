/*
 * What the provisioner's operations share: building commands, running them
 * through the pool, reading attributes of reply items, finding an item's .id.
 */
#include "routeros/prov_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ros__cmd_start(ros__cmd *c, const char *command)
{
	c->err = ROS_ERR_NOMEM;
	c->s = ros_sentence_create();
	if (c->s)
		c->err = ros_sentence_add_str(c->s, command);
}

void ros__cmd_word(ros__cmd *c, const char *word)
{
	if (c->err == ROS_OK)
		c->err = ros_sentence_add_str(c->s, word);
}

void ros__cmd_attr(ros__cmd *c, const char *key, const char *value)
{
	if (c->err == ROS_OK)
		c->err = ros_sentence_add_attr_str(c->s, key, value ? value : "");
}

void ros__cmd_attr_len(ros__cmd *c, const char *key, const char *value, size_t len)
{
	if (c->err == ROS_OK)
		c->err = ros_sentence_add_attr(c->s, key, value, len);
}

/* "?key=value": the query word of a print. */
void ros__cmd_query(ros__cmd *c, const char *key, const char *value)
{
	size_t klen = strlen(key), vlen = strlen(value);
	char *w;

	if (c->err != ROS_OK)
		return;
	w = malloc(klen + vlen + 3);
	if (!w) {
		c->err = ROS_ERR_NOMEM;
		return;
	}
	w[0] = '?';
	memcpy(w + 1, key, klen);
	w[1 + klen] = '=';
	memcpy(w + 2 + klen, value, vlen + 1);
	c->err = ros_sentence_add_str(c->s, w);
	free(w);
}

void ros__cmd_free(ros__cmd *c)
{
	ros_sentence_destroy(c->s);
	c->s = NULL;
}

void ros__cmd_print(ros__cmd *c, const char *command, const char *proplist)
{
	ros__cmd_start(c, command);
	ros__cmd_attr(c, ".proplist", proplist);
}

ros_err ros__run(ros_pool *p, ros__cmd *c, bool write, ros_reply **out, ros_msg *msg)
{
	ros_err err = c->err;

	*out = NULL;
	if (err == ROS_OK)
		err = ros_pool_call(p, c->s, write, out, msg);
	else
		ros__msg(msg, "%s: cannot build the command: %s", ros_pool_host(p),
			 ros_err_str(err));
	ros__cmd_free(c);
	return err;
}

ros_err ros__run_drop(ros_pool *p, ros__cmd *c, bool write, ros_msg *msg)
{
	ros_reply *r = NULL;
	ros_err err = ros__run(p, c, write, &r, msg);

	ros_reply_destroy(r);
	return err;
}

ros_err ros__print_list(ros_pool *p, ros__cmd *c, const ros__list_kind *kind, size_t last, void **v,
			size_t *count, ros_msg *msg)
{
	ros_reply *r = NULL;
	ros_err err = ros__run(p, c, false, &r, msg);
	size_t i, total, first;
	char *e;

	*v = NULL;
	*count = 0;
	if (err != ROS_OK)
		goto out;
	total = ros_reply_count(r);
	first = last && last < total ? total - last : 0;
	e = calloc(total - first ? total - first : 1, kind->size);
	if (!e) {
		ros__msg(msg, "%s: out of memory", ros_pool_host(p));
		err = ROS_ERR_NOMEM;
		goto out;
	}
	for (i = first; i < total; i++)
		kind->read(ros_reply_item(r, i), e + (i - first) * kind->size);
	*v = e;
	*count = total - first;
out:
	ros_reply_destroy(r);
	return err;
}

void ros__copy(char *dst, size_t len, const ros_sentence *item, const char *key)
{
	const char *v = ros_sentence_attr(item, key, NULL);

	snprintf(dst, len, "%s", v ? v : "");
}

uint64_t ros__num(const ros_sentence *item, const char *key, uint64_t def)
{
	const char *v = ros_sentence_attr(item, key, NULL);
	uint64_t n;

	return v && ros_parse_bytes(v, &n) ? n : def;
}

uint64_t ros__dur(const ros_sentence *item, const char *key, uint64_t def)
{
	const char *v = ros_sentence_attr(item, key, NULL);
	uint64_t n;

	return v && ros_parse_duration(v, &n) ? n : def;
}

bool ros__flag(const ros_sentence *item, const char *key, bool def)
{
	const char *v = ros_sentence_attr(item, key, NULL);
	bool b;

	return v && ros_parse_bool(v, &b) ? b : def;
}

bool ros__trap_has(const ros_reply *r, const char *text)
{
	size_t i;

	for (i = 0; r && i < ros_reply_trap_count(r); i++)
		if (strstr(ros_reply_trap_message(r, i), text))
			return true;
	return false;
}

ros_err ros__find_id(ros_pool *p, const char *path, const char *key, const char *value, char id[24],
		     ros_msg *msg)
{
	char print[128];
	ros_reply *r = NULL;
	ros__cmd c;
	ros_err err;

	if (!value || !*value) {
		ros__msg(msg, "%s: no %s item given", ros_pool_host(p), path);
		return ROS_ERR_INVALID;
	}
	if (value[0] == '*') {
		snprintf(id, 24, "%s", value);
		return ROS_OK;
	}
	snprintf(print, sizeof(print), "%s/print", path);
	ros__cmd_print(&c, print, ".id");
	ros__cmd_query(&c, key, value);
	err = ros__run(p, &c, false, &r, msg);
	if (err == ROS_OK && ros_reply_count(r) == 0) {
		ros__msg(msg, "%s has no %s with %s \"%s\"", ros_pool_host(p), path, key, value);
		err = ROS_ERR_NOT_FOUND;
	} else if (err == ROS_OK) {
		ros__copy(id, 24, ros_reply_item(r, 0), ".id");
	}
	ros_reply_destroy(r);
	return err;
}
