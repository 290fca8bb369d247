/*
 * /api/v1/dashboard/stats: the tenant's figures at a glance, in one
 * statement under the caller's row-level security.
 *
 * Days are calendar days in the tenant's time zone (tenants.time_zone): a
 * local day d covers [d 00:00, d+1 00:00) local time, turned into UTC by
 * PostgreSQL's zone rules, so a day across a daylight-saving change is 23
 * or 25 hours long and a sale at 22:30 UTC falls on the next day in a
 * UTC+3 zone.  The period is the last `days` local days, today included.
 *
 * What is counted (docs/dashboard.md says the same for operators):
 *   sales     vouchers with sold_at in the day, at their own price and
 *             currency (the price copied at sale); refunded vouchers are
 *             left out;
 *   payments  succeeded payments by paid_at, amount and currency: the
 *             money received, whichever gateway;
 *   data      input + output octets of the sessions that started that day
 *             (a session is counted whole on its first day), summed as
 *             numeric, so totals past 2^32 and 2^53 stay exact;
 *   sessions  open sessions (not stopped) now, whatever their day.
 * Money is summed per currency, never across currencies.
 */
#include <stdio.h>

#include "api/crud.h"
#include "api/http.h"
#include "api/module.h"
#include "api/valid.h"

#define DASHBOARD_DAYS_MAX 90
#define DASHBOARD_DAYS_DEF 7

/* Per-currency sums of a per-day CTE x (day, currency, n, amount), as JSON. */
#define MONEY_JSON(x, where)                                                                       \
	"coalesce((SELECT json_agg(json_build_object('currency', m.currency, 'count', m.n,"        \
	" 'amount_minor', m.amount) ORDER BY m.currency) FROM (SELECT currency, sum(n) AS n,"      \
	" sum(amount) AS amount FROM " x " WHERE " where " GROUP BY currency) m), '[]')"

/* $1 the number of days. */
static const char stats_sql[] =
	"WITH t AS (SELECT time_zone AS tz, (now() AT TIME ZONE time_zone)::date AS today"
	" FROM tenants WHERE id = hs_current_tenant()),"
	" d AS (SELECT t.today - i AS day, ((t.today - i)::timestamp AT TIME ZONE t.tz) AS lo,"
	" ((t.today - i + 1)::timestamp AT TIME ZONE t.tz) AS hi"
	" FROM t, generate_series(0, $1::int - 1) i),"
	" r AS (SELECT min(lo) AS lo, max(hi) AS hi FROM d),"
	" sales AS (SELECT (v.sold_at AT TIME ZONE t.tz)::date AS day, v.currency, count(*) AS n,"
	" sum(v.price_minor) AS amount FROM vouchers v, t, r WHERE v.sold_at >= r.lo"
	" AND v.sold_at < r.hi AND v.status <> 'refunded' GROUP BY 1, 2),"
	" pay AS (SELECT (p.paid_at AT TIME ZONE t.tz)::date AS day, p.currency, count(*) AS n,"
	" sum(p.amount_minor) AS amount FROM payments p, t, r WHERE p.status = 'succeeded'"
	" AND p.paid_at >= r.lo AND p.paid_at < r.hi GROUP BY 1, 2),"
	" data AS (SELECT (s.started_at AT TIME ZONE t.tz)::date AS day, count(*) AS sessions,"
	" sum(s.input_octets::numeric + s.output_octets) AS bytes FROM radius_sessions s, t, r"
	" WHERE s.started_at >= r.lo AND s.started_at < r.hi GROUP BY 1)"
	" SELECT json_build_object('timezone', t.tz, 'today', t.today, 'days', $1::int,"
	" 'from', t.today - ($1::int - 1), 'to', t.today,"
	" 'routers', (SELECT json_build_object('total', count(*),"
	" 'online', count(*) FILTER (WHERE status = 'online'),"
	" 'offline', count(*) FILTER (WHERE status = 'offline'),"
	" 'error', count(*) FILTER (WHERE status = 'error')) FROM mikrotik_devices),"
	" 'vouchers', (SELECT json_build_object('total', count(*),"
	" 'active', count(*) FILTER (WHERE status = 'active'),"
	" 'unused', count(*) FILTER (WHERE status = 'active' AND activated_at IS NULL),"
	" 'disabled', count(*) FILTER (WHERE status = 'disabled'),"
	" 'expired', count(*) FILTER (WHERE status = 'expired'),"
	" 'used', count(*) FILTER (WHERE status = 'used'),"
	" 'refunded', count(*) FILTER (WHERE status = 'refunded')) FROM vouchers),"
	" 'sessions', json_build_object('active',"
	" (SELECT count(*) FROM radius_sessions WHERE stopped_at IS NULL)),"
	" 'data_used', json_build_object("
	" 'today_bytes', coalesce((SELECT bytes FROM data WHERE day = t.today), 0),"
	" 'period_bytes', coalesce((SELECT sum(bytes) FROM data), 0)),"
	" 'totals', json_build_object('sales', " MONEY_JSON(
		"sales",
		"true") ","
			" 'payments', " MONEY_JSON(
				"pay",
				"true") "),"
					" 'daily', (SELECT json_agg(json_build_object('date', "
					"d.day,"
					" 'sales', " MONEY_JSON(
						"sales",
						"day = d.day") ","
							       " 'payments', " MONEY_JSON(
								       "pay",
								       "day = d.day") ","
										      " 'sessions',"
										      " coalesce(("
										      "SELECT "
										      "x.sessions "
										      "FROM data x "
										      "WHERE x.day "
										      "= d.day), "
										      "0),"
										      " 'data_"
										      "bytes', "
										      "coalesce(("
										      "SELECT "
										      "x.bytes "
										      "FROM data x "
										      "WHERE x.day "
										      "= d.day), "
										      "0))"
										      " ORDER BY "
										      "d.day) FROM "
										      "d))::text "
										      "FROM t";

static void dashboard_stats(api_req *req)
{
	static const api_db_map map = {"dashboard", NULL, 0};
	json_t *errors = api_errors_new(req);
	const char *param;
	char days[16];
	long n;

	if (!errors)
		return;
	n = api_query_int(req, "days", DASHBOARD_DAYS_DEF, DASHBOARD_DAYS_MAX, errors);
	if (!api_errors_none(req, errors))
		return;
	snprintf(days, sizeof days, "%ld", n);
	param = days;
	/* Jansson keeps integers as 64-bit: byte sums below 2^63 come out exact. */
	api_get_json(req, stats_sql, 1, &param, 0, NULL, &map);
}

static const api_route routes[] = {
	{"GET", "/api/v1/dashboard/stats", dashboard_stats, "dashboard.read"},
};

const api_module api_mod_dashboard = {
	.name = "dashboard",
	.routes = routes,
	.nroutes = API_NELEM(routes),
};
