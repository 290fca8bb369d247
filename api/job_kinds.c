/*
 * The kinds of job hotspotd serve runs: one row per kind.  A periodic kind
 * names the setting that holds its period; the runtime registers it and the
 * SQL side enqueues it once per period across every hotspotd process.
 */
#include "api/jobs_int.h"
#include "api/router_ops.h"
#include "api/sms.h"

static int prune_period(const hs_config *cfg)
{
	return cfg->prune_interval;
}

static int sweep_period(const hs_config *cfg)
{
	return cfg->sweep_interval;
}

const api_job_kind api__jobs_builtin[] = {
	/* A failed prune is retried a few times; the next period starts a
	 * fresh one anyway. */
	{.kind = "prune", .handler = api__job_prune, .max_attempts = 3, .period_s = prune_period},
	/* Like prune: the next period sweeps again. */
	{.kind = "radius.sweep",
	 .handler = api__job_sweep,
	 .max_attempts = 3,
	 .period_s = sweep_period},
	/* The row's max_attempts (8 from the RADIUS path) decides: the last
	 * attempt records the timeout. */
	{.kind = "radius.disconnect", .handler = api__job_disconnect},
	/* The disconnect fallback; the row's max_attempts (5 from
	 * hs_radius_disconnect_fallback) decides, and the last attempt
	 * records kick_failed. */
	{.kind = "router.kick", .handler = api__job_kick},
	/* The scan of the backup schedules ({}) and one router's scheduled
	 * backup ({router_id}); a router's backup is tried three times. */
	{.kind = "router.backup",
	 .handler = api__job_backup,
	 .max_attempts = 3,
	 .period_s = api__job_backup_period},
	/* One SMS ({sms_message_id, voucher_id}); the row's max_attempts (5
	 * from the API) decides, and the last attempt marks the message
	 * failed. */
	{.kind = "sms.send", .handler = api__job_sms},
	/* A payment's status check; the row's max_attempts
	 * (PAYMENT_CHECK_ATTEMPTS) decides, and the last attempt expires the
	 * payment. */
	{.kind = "payment.check", .handler = api__job_payment_check},
};

const size_t api__jobs_nbuiltin = sizeof api__jobs_builtin / sizeof api__jobs_builtin[0];
