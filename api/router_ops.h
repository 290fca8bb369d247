/*
 * What the router-operation files share (api/router_ops.c,
 * api/router_backups.c, api/router_import.c, api/job_backup.c).
 *
 * Router access is api/router_conn.h's: the target, its sealed password,
 * the address restriction (ROUTER_ALLOWED_NETWORKS) and the router's pool
 * from the process-wide registry, so an operation spends the same request
 * budget as the MikroTik endpoints, the monitor and the router jobs.
 *
 * Backups (defined in api/job_backup.c, which the job runtime links on its
 * own): a configuration export as a backup, and the router.backup job.
 *
 * Answers (defined in api/router_ops.c): loading a saved router for a
 * request, a deadline on an operation (ROUTER_OP_TIMEOUT), and the answer
 * for a router that failed.
 */
#ifndef HS_API_ROUTER_OPS_H
#define HS_API_ROUTER_OPS_H

#include <stdbool.h>
#include <stddef.h>

#include "api/http.h"
#include "api/jobs.h"
#include "api/router_conn.h"
#include "common/config.h"
#include "routeros/provision.h"

/* Largest configuration export kept as a backup. */
#define API_ROUTER_BACKUP_MAX (8 * 1024 * 1024)

/* ---- backups (api/job_backup.c) ------------------------------------------------ */

/*
 * Exports the router's configuration (/export file=, read back, the file
 * then removed from the router) into *content (malloc'd, NUL-terminated,
 * *len bytes; caller frees) and its name for people into file_name
 * ("hotspot-aaa-20261124-083000-9f3c.rsc").  ROS_ERR_PROTOCOL when the export
 * is not UTF-8 text; ROS_ERR_TOO_LARGE past API_ROUTER_BACKUP_MAX.
 */
ros_err api_router_export(ros_pool *pool, char file_name[64], char **content, size_t *len,
			  ros_msg *msg);

/* The handler of the router.backup job kind (registered in api/job_kinds.c). */
api_job_result api__job_backup(api_job_ctx *ctx, const api_job *job);

/* Period of the router.backup scan: ROUTER_BACKUP_CHECK_INTERVAL. */
int api__job_backup_period(const hs_config *cfg);

/* ---- answers (api/router_ops.c) ---------------------------------------------- */

/*
 * Loads the saved router id of the caller's tenant into t (password
 * opened).  true when the operation may go ahead; false with the answer
 * given: 404 unknown id (or another tenant's), 409 when the router has no
 * API credentials or its password does not open with APP_KEY, 422 when its
 * address is outside ROUTER_ALLOWED_NETWORKS, 503 without APP_KEY.  Uses
 * and ends a transaction of its own.
 */
bool api_router_load(api_req *req, const char *id, api_router_target *t);

/*
 * One operation on a router, run on a thread of its own so that the
 * request waits at most ROUTER_OP_TIMEOUT for it.  fn does the work with
 * pool and leaves its result in data, err and msg.  The op owns
 * everything fn touches (the target, its hold on the router's shared pool,
 * data), because on a timeout the request answers 504 and fn finishes
 * alone; the op is then freed when fn returns.
 */
typedef struct api_router_op {
	api_router_target t;
	api_router *router; /* held from api_router_op_run until api_router_op_free */
	ros_pool *pool;     /* the router's shared pool */
	void (*fn)(struct api_router_op *op);
	void *data;                    /* the operation's input and output */
	void (*data_free)(void *data); /* may be NULL */
	ros_err err;
	ros_msg msg;
	long ms; /* how long fn took */
} api_router_op;

/*
 * A new op for target t (moved into the op: t is left cleared) running fn.
 * NULL when out of memory (t is then cleared all the same).
 */
api_router_op *api_router_op_new(api_router_target *t, void (*fn)(api_router_op *op));

/* Frees op, its target and data, and puts its router back.  NULL is a no-op. */
void api_router_op_free(api_router_op *op);

/*
 * Runs op within ROUTER_OP_TIMEOUT.  true when fn finished (read op->err
 * and op->data; the caller still owns op); false with the answer given
 * (504 on the timeout, 500 when no pool or thread could be had) and op
 * no longer the caller's.
 */
bool api_router_op_run(api_req *req, api_router_op *op);

/* The HTTP status of a router failure: 504 for timeouts, else 502. */
int api_router_failure_status(ros_err err);

/*
 * Answers a router that failed with api_router_failure_status: the
 * message names the router and what to check; data {error: "AUTH"...}.
 */
void api_router_reply_failure(api_req *req, ros_err err, const ros_msg *msg);

/* ---- configuration history (api/router_backups.c) ------------------------------ */

/*
 * Adds a mikrotik_config_history row of router id in the caller's tenant,
 * by the caller's admin, with an audit_log row: type "backup", "restore"
 * or "update", data (configuration_data), file_name and content (may be
 * NULL).  The row as answers show it goes to *row (caller owns it).  0, or
 * the status to answer: 404 router gone, 503 database, 500; -1 when
 * api_tx_begin has answered (503) already.
 */
int api_router_history_insert(api_req *req, const char *id, const char *type, const json_t *data,
			      const char *file_name, const char *content, json_t **row);

#endif
