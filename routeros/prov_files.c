/*
 * Files over the API, within what RouterOS allows: /file/print shows the
 * contents of small files only (4095 bytes on RouterOS), /file/read
 * (RouterOS 7.13 and later) reads any file in chunks, /file/add and
 * /file/set take contents up to the same limit.  Exports are read back with
 * either; binary backups cannot be read at all; a restore uploads the
 * script in parts that fit and imports them in order.
 */
#include "routeros/prov_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_BYTES ((size_t)16 << 20)
#define DEFAULT_CHUNK     32768u
#define FILE_PROPS        ".id,name,type,size,creation-time"

void ros_prov_file_free(ros_prov_file *f)
{
	if (!f)
		return;
	free(f->data);
	f->data = NULL;
	f->len = 0;
}

ROS__LIST_FREE(ros_prov_files)

static void file_meta(const ros_sentence *it, void *entry)
{
	ros_prov_file *f = entry;

	ros__copy(f->name, sizeof(f->name), it, "name");
	ros__copy(f->type, sizeof(f->type), it, "type");
	ros__copy(f->created, sizeof(f->created), it, "creation-time");
	f->size = ros__num(it, "size", 0);
}

ros_err ros_prov_files_list(ros_pool *p, ros_prov_files *out, ros_msg *msg)
{
	static const ros__list_kind kind = {sizeof(ros_prov_file), file_meta};
	ros__cmd c;

	ros__cmd_print(&c, "/file/print", FILE_PROPS);
	return ros__print_list(p, &c, &kind, 0, (void **)&out->v, &out->count, msg);
}

/* /file/print of one file, contents included when with_contents; NOT_FOUND when absent. */
static ros_err file_print(ros_pool *p, const char *name, bool with_contents, ros_reply **r,
			  ros_msg *msg)
{
	ros__cmd c;
	ros_err err;

	ros__cmd_print(&c, "/file/print", with_contents ? FILE_PROPS ",contents" : FILE_PROPS);
	ros__cmd_query(&c, "name", name);
	err = ros__run(p, &c, false, r, msg);
	if (err == ROS_OK && ros_reply_count(*r) == 0) {
		ros__msg(msg, "%s has no file \"%s\"", ros_pool_host(p), name);
		err = ROS_ERR_NOT_FOUND;
	}
	return err;
}

/* --- reading ------------------------------------------------------------------------ */

static ros_err take_bytes(ros_pool *p, ros_prov_file *f, const char *data, size_t len, ros_msg *msg)
{
	f->data = malloc(len + 1);
	if (!f->data) {
		ros__msg(msg, "%s: out of memory for %zu bytes of %s", ros_pool_host(p), len,
			 f->name);
		return ROS_ERR_NOMEM;
	}
	memcpy(f->data, data, len);
	f->data[len] = '\0';
	f->len = len;
	return ROS_OK;
}

/* One /file/read: the chunk at off, appended to f->data (room for cap bytes). */
static ros_err read_chunk(ros_pool *p, ros_prov_file *f, uint64_t off, uint32_t chunk, size_t cap,
			  size_t *got, ros_msg *msg)
{
	char num[24];
	ros_reply *r = NULL;
	const char *data = NULL;
	ros__cmd c;
	ros_err err;

	*got = 0;
	ros__cmd_start(&c, "/file/read");
	ros__cmd_attr(&c, "file", f->name);
	snprintf(num, sizeof(num), "%" PRIu64, off);
	ros__cmd_attr(&c, "offset", num);
	snprintf(num, sizeof(num), "%" PRIu32, chunk);
	ros__cmd_attr(&c, "chunk-size", num);
	err = ros__run(p, &c, false, &r, msg);
	if (err == ROS_ERR_TRAP && ros__trap_has(r, "no such command")) {
		ros__msg(msg,
			 "%s is %" PRIu64 " bytes, past the %u bytes of file contents RouterOS "
			 "shows over the API, and %s has no /file/read (RouterOS 7.13 or later): "
			 "upgrade the router or fetch the file with FTP or SFTP",
			 f->name, f->size, ROS_FILE_CONTENTS_MAX, ros_pool_host(p));
		err = ROS_ERR_UNSUPPORTED;
	}
	if (err == ROS_OK && ros_reply_count(r) > 0)
		data = ros_sentence_attr(ros_reply_item(r, 0), "data", got);
	if (err == ROS_OK && data && f->len + *got > cap) {
		ros__msg(msg, "%s on %s grew past %zu bytes while being read", f->name,
			 ros_pool_host(p), cap);
		err = ROS_ERR_TOO_LARGE;
	} else if (err == ROS_OK && data) {
		memcpy(f->data + f->len, data, *got);
		f->len += *got;
		f->data[f->len] = '\0';
	}
	ros_reply_destroy(r);
	return err;
}

static ros_err read_chunks(ros_pool *p, ros_prov_file *f, const ros_prov_read_opts *o, ros_msg *msg)
{
	size_t cap = (size_t)f->size, got = 1, i, max_reads = cap / o->chunk_size + 2;
	ros_err err = ROS_OK;

	f->chunked = true;
	f->data = malloc(cap + 1);
	if (!f->data) {
		ros__msg(msg, "%s: out of memory for %zu bytes of %s", ros_pool_host(p), cap,
			 f->name);
		return ROS_ERR_NOMEM;
	}
	f->data[0] = '\0';
	for (i = 0; err == ROS_OK && f->len < cap && got > 0 && i < max_reads; i++)
		err = read_chunk(p, f, f->len, o->chunk_size, cap, &got, msg);
	if (err == ROS_OK && f->len != cap) {
		ros__msg(msg, "%s on %s: read %zu of its %zu bytes (did it change meanwhile?)",
			 f->name, ros_pool_host(p), f->len, cap);
		err = ROS_ERR_PROTOCOL;
	}
	return err;
}

static bool is_backup(const ros_prov_file *f)
{
	size_t n = strlen(f->name);

	return strstr(f->type, "backup") != NULL ||
	       (n > 7 && strcmp(f->name + n - 7, ".backup") == 0);
}

/* Which way to read f, given what /file/print showed. */
static ros_err read_from(ros_pool *p, const ros_sentence *it, const ros_prov_read_opts *o,
			 ros_prov_file *f, ros_msg *msg)
{
	size_t clen = 0;
	const char *contents = ros_sentence_attr(it, "contents", &clen);

	if (is_backup(f)) {
		ros__msg(msg,
			 "%s on %s is a binary backup (%" PRIu64 " bytes): RouterOS gives no "
			 "contents of it over the API; fetch it with FTP or SFTP",
			 f->name, ros_pool_host(p), f->size);
		return ROS_ERR_UNSUPPORTED;
	}
	if (f->size > o->max_bytes || clen > o->max_bytes) {
		ros__msg(msg, "%s on %s is %" PRIu64 " bytes, past the %zu bytes allowed", f->name,
			 ros_pool_host(p), f->size, o->max_bytes);
		return ROS_ERR_TOO_LARGE;
	}
	if (contents && !o->chunked && clen == f->size)
		return take_bytes(p, f, contents, clen, msg);
	return read_chunks(p, f, o, msg);
}

ros_err ros_prov_file_read(ros_pool *p, const char *name, const ros_prov_read_opts *opts,
			   ros_prov_file *out, ros_msg *msg)
{
	ros_prov_read_opts o = opts ? *opts : (ros_prov_read_opts){0};
	ros_reply *r = NULL;
	ros_err err;

	memset(out, 0, sizeof(*out));
	if (!name || !*name) {
		ros__msg(msg, "%s: no file name given", ros_pool_host(p));
		return ROS_ERR_INVALID;
	}
	if (o.max_bytes == 0)
		o.max_bytes = DEFAULT_MAX_BYTES;
	if (o.chunk_size == 0)
		o.chunk_size = DEFAULT_CHUNK;
	err = file_print(p, name, true, &r, msg);
	if (err == ROS_OK) {
		file_meta(ros_reply_item(r, 0), out);
		err = read_from(p, ros_reply_item(r, 0), &o, out, msg);
	}
	if (err != ROS_OK)
		ros_prov_file_free(out);
	ros_reply_destroy(r);
	return err;
}

/* --- writing ---------------------------------------------------------------------------- */

ros_err ros_prov_file_write(ros_pool *p, const char *name, const char *data, size_t len,
			    size_t max_contents, ros_msg *msg)
{
	ros_reply *r = NULL;
	char id[24] = "";
	ros__cmd c;
	ros_err err;

	if (max_contents == 0)
		max_contents = ROS_FILE_CONTENTS_MAX;
	if (len > max_contents) {
		ros__msg(msg,
			 "%s: %zu bytes for %s, but the router takes at most %zu bytes of file "
			 "contents over the API",
			 ros_pool_host(p), len, name, max_contents);
		return ROS_ERR_TOO_LARGE;
	}
	err = file_print(p, name, false, &r, msg);
	if (err == ROS_OK)
		ros__copy(id, sizeof(id), ros_reply_item(r, 0), ".id");
	ros_reply_destroy(r);
	if (err != ROS_OK && err != ROS_ERR_NOT_FOUND)
		return err;
	ros__cmd_start(&c, id[0] ? "/file/set" : "/file/add");
	if (id[0])
		ros__cmd_attr(&c, ".id", id);
	else
		ros__cmd_attr(&c, "name", name);
	ros__cmd_attr_len(&c, "contents", data, len);
	return ros__run_drop(p, &c, true, msg);
}

ros_err ros_prov_file_remove(ros_pool *p, const char *name, ros_msg *msg)
{
	char id[24];
	ros__cmd c;
	ros_err err = ros__find_id(p, "/file", "name", name, id, msg);

	if (err != ROS_OK)
		return err;
	ros__cmd_start(&c, "/file/remove");
	ros__cmd_attr(&c, ".id", id);
	return ros__run_drop(p, &c, true, msg);
}

/* --- export and backup -------------------------------------------------------------------- */

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && strcmp(s + n - t, tail) == 0;
}

/* A file the router saves on request, and how it is asked to. */
struct save {
	const char *what;    /* "export", for messages */
	const char *command; /* "/export" */
	const char *key;     /* the attribute that names the file */
	const char *suffix;  /* what the router appends to the name unless it ends so */
	bool write;          /* false when saving again is harmless (retried like a read) */
};

static const struct save export_save = {"export", "/export", "file", ".rsc", false};
static const struct save backup_save = {"backup", "/system/backup/save", "name", ".backup", true};

/*
 * Has the router save sv as name and puts the name of the file it makes in
 * file.  ROS_ERR_INVALID (msg says so) unless name is 1 to 120 bytes.
 */
static ros_err save_as(ros_pool *p, const struct save *sv, const char *name, char file[160],
		       ros_msg *msg)
{
	ros__cmd c;

	if (!name || !*name || strlen(name) > 120) {
		ros__msg(msg, "%s: give the %s a file name of 1 to 120 bytes", ros_pool_host(p),
			 sv->what);
		return ROS_ERR_INVALID;
	}
	snprintf(file, 160, "%s%s", name, ends_with(name, sv->suffix) ? "" : sv->suffix);
	ros__cmd_start(&c, sv->command);
	ros__cmd_attr(&c, sv->key, name);
	return ros__run_drop(p, &c, sv->write, msg);
}

ros_err ros_prov_export(ros_pool *p, const char *name, const ros_prov_read_opts *opts,
			ros_prov_file *out, ros_msg *msg)
{
	char file[160];
	ros_err err;

	memset(out, 0, sizeof(*out));
	err = save_as(p, &export_save, name, file, msg);
	if (err == ROS_OK)
		err = ros_prov_file_read(p, file, opts, out, msg);
	return err;
}

ros_err ros_prov_backup_save(ros_pool *p, const char *name, ros_prov_file *out, ros_msg *msg)
{
	char file[160];
	ros_reply *r = NULL;
	ros_err err;

	memset(out, 0, sizeof(*out));
	err = save_as(p, &backup_save, name, file, msg);
	if (err == ROS_OK)
		err = file_print(p, file, false, &r, msg);
	if (err == ROS_OK)
		file_meta(ros_reply_item(r, 0), out);
	ros_reply_destroy(r);
	return err;
}

/* --- restore ------------------------------------------------------------------------------- */

/* Splitting a script into parts that each fit the API's contents limit. */
struct splitter {
	const char *script;
	size_t len;
	size_t pos;
	size_t lineno;
	const char *menu; /* the last menu line ("/ip hotspot user"), repeated atop each part */
	size_t menu_len;
};

/* The next logical line (a "\" at the end continues it), its end-of-line included. */
static bool next_line(struct splitter *s, const char **line, size_t *n)
{
	size_t i = s->pos;

	if (i >= s->len)
		return false;
	while (i < s->len) {
		const char *nl = memchr(s->script + i, '\n', s->len - i);
		size_t end = nl ? (size_t)(nl - s->script) : s->len;
		size_t body = end > s->pos && s->script[end - 1] == '\r' ? end - 1 : end;

		s->lineno++;
		i = nl ? end + 1 : s->len;
		if (!nl || body == s->pos || s->script[body - 1] != '\\')
			break;
	}
	*line = s->script + s->pos;
	*n = i - s->pos;
	s->pos = i;
	return true;
}

struct part {
	char *buf;
	size_t len;
	size_t cap;
	size_t first_line;
};

/* Uploads part n as a file, imports it and removes the file again. */
static ros_err import_part(ros_pool *p, const char *name, struct part *part, size_t n,
			   ros_prov_import_result *res, ros_msg *msg)
{
	char file[200];
	ros_reply *r = NULL;
	ros__cmd c;
	ros_err err;
	ros_msg ignore;

	snprintf(file, sizeof(file), "%s-%zu.rsc", name, n);
	err = ros_prov_file_write(p, file, part->buf, part->len, part->cap, msg);
	if (err != ROS_OK)
		return err;
	ros__cmd_start(&c, "/import");
	ros__cmd_attr(&c, "file-name", file);
	err = ros__run(p, &c, true, &r, msg);
	if (err == ROS_OK) {
		const ros_sentence *it = ros_reply_count(r) ? ros_reply_item(r, 0) : NULL;

		ros__copy(res->message, sizeof(res->message), it, "message");
		res->parts++;
		res->bytes += part->len;
	} else if (err == ROS_ERR_TRAP) {
		ros__msg(msg, "%s refused part %zu of the restore (script lines from %zu): %s",
			 ros_pool_host(p), n, part->first_line, ros_reply_trap_message(r, 0));
	}
	ros_reply_destroy(r);
	/* A part left behind is only clutter; the import's result is what counts. */
	if (ros_prov_file_remove(p, file, &ignore) != ROS_OK)
		ignore.text[0] = '\0';
	part->len = 0;
	return err;
}

static void part_add(struct part *part, const char *s, size_t n)
{
	memcpy(part->buf + part->len, s, n);
	part->len += n;
}

/* Starts a part with the menu line it continues in (and its newline). */
static void part_start(struct part *part, const struct splitter *s, const char *line)
{
	part->len = 0;
	part->first_line = s->lineno;
	if (s->menu && line[0] != '/') {
		part_add(part, s->menu, s->menu_len);
		if (s->menu[s->menu_len - 1] != '\n')
			part_add(part, "\n", 1);
	}
}

static ros_err split_and_import(ros_pool *p, const char *name, struct splitter *s,
				struct part *part, ros_prov_import_result *res, ros_msg *msg)
{
	const char *line;
	size_t n, parts = 0;
	ros_err err = ROS_OK;

	while (err == ROS_OK && next_line(s, &line, &n)) {
		size_t need = n + (s->menu && line[0] != '/' ? s->menu_len + 1 : 0);

		if (need > part->cap) {
			ros__msg(msg,
				 "line %zu of the script is %zu bytes: past the %zu bytes of file "
				 "contents %s takes over the API",
				 s->lineno, n, part->cap, ros_pool_host(p));
			return ROS_ERR_TOO_LARGE;
		}
		if (part->len > 0 && part->len + n > part->cap) {
			err = import_part(p, name, part, ++parts, res, msg);
		}
		if (err != ROS_OK)
			break;
		if (part->len == 0)
			part_start(part, s, line);
		part_add(part, line, n);
		if (line[0] == '/') {
			s->menu = line;
			s->menu_len = n;
		}
	}
	if (err == ROS_OK && part->len > 0)
		err = import_part(p, name, part, ++parts, res, msg);
	return err;
}

ros_err ros_prov_import(ros_pool *p, const char *name, const char *script, size_t len,
			size_t max_contents, ros_prov_import_result *out, ros_msg *msg)
{
	struct splitter s = {.script = script, .len = len};
	struct part part = {0};
	ros_err err;

	memset(out, 0, sizeof(*out));
	if (!name || !*name || strlen(name) > 120 || !script) {
		ros__msg(msg, "%s: give the restore a name of 1 to 120 bytes and a script",
			 ros_pool_host(p));
		return ROS_ERR_INVALID;
	}
	part.cap = max_contents ? max_contents : ROS_FILE_CONTENTS_MAX;
	part.buf = malloc(part.cap + 1);
	if (!part.buf) {
		ros__msg(msg, "%s: out of memory", ros_pool_host(p));
		return ROS_ERR_NOMEM;
	}
	err = split_and_import(p, name, &s, &part, out, msg);
	free(part.buf);
	return err;
}
