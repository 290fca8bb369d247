/*
 * What the profiles and vouchers files of api/ share (profiles.c,
 * vouchers.c, voucher_batch.c, voucher_print.c): money input, the audit
 * row, the answer to a failed statement.  Defined in profiles.c.
 */
#ifndef HS_API_VOUCHERS_INT_H
#define HS_API_VOUCHERS_INT_H

#include <stdbool.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "api/http.h"

/* SQL: N units of DIV in COL, an integer when it divides, else 3 decimals. */
#define API__SQL_UNITS(col, div)                                                                   \
	"CASE WHEN " col " % " div " = 0 THEN to_json(" col " / " div ") ELSE to_json(round(" col  \
	"::numeric / " div ", 3)) END"

/*
 * SQL: a voucher as answers show it, from vouchers v joined to its profile
 * p (LEFT JOIN: the name only).  The seed's members (code, password,
 * profile, validity_hours, data_limit_mb, price, currency, status,
 * customer_id, mikrotik_device_id, activated_at, expires_at) and the
 * voucher's own copy of its terms.
 */
#define API__VOUCHER_JSON                                                                          \
	"json_build_object('id', v.id, 'code', v.code, 'password', v.password,"                    \
	" 'profile', p.name, 'profile_id', v.profile_id, 'batch_id', v.batch_id,"                  \
	" 'status', v.status, 'validity_seconds', v.validity_seconds,"                             \
	" 'validity_hours', " API__SQL_UNITS(                                                      \
		"v.validity_seconds",                                                              \
		"3600") ","                                                                        \
			" 'data_limit_bytes', v.data_limit_bytes,"                                 \
			" 'data_limit_mb', " API__SQL_UNITS(                                       \
				"v.data_limit_bytes",                                              \
				"1048576") ","                                                     \
					   " 'time_limit_seconds', v.time_limit_seconds, "         \
					   "'rate_limit', v.rate_limit,"                           \
					   " 'idle_timeout_seconds', v.idle_timeout_s, "           \
					   "'shared_users', v.shared_users,"                       \
					   " 'mac_lock', v.mac_lock, 'price', "                    \
					   "hs_money_major(v.price_minor, v.currency),"            \
					   " 'price_minor', v.price_minor, 'currency', "           \
					   "v.currency, 'customer_id', v.customer_id,"             \
					   " 'router_id', v.router_id, 'mikrotik_device_id', "     \
					   "v.router_id,"                                          \
					   " 'auto_activate', v.auto_activate, 'sold_at', "        \
					   "v.sold_at,"                                            \
					   " 'activated_at', v.activated_at, 'expires_at', "       \
					   "v.expires_at,"                                         \
					   " 'used_bytes', v.used_bytes, 'used_seconds', "         \
					   "v.used_seconds,"                                       \
					   " 'refunded_at', v.refunded_at,"                        \
					   " 'refund_amount', hs_money_major(v.refund_minor, "     \
					   "v.currency),"                                          \
					   " 'created_at', v.created_at, 'updated_at', "           \
					   "v.updated_at)"

/*
 * SQL: the id of the tenant's customer with phone $P (the oldest), made
 * with name $N when there is none.  P and N are parameter numbers.
 */
#define API__CUSTOMER_SQL(P, N)                                                                    \
	"WITH f AS (SELECT id FROM customers WHERE phone = $" P                                    \
	" ORDER BY created_at, id LIMIT 1),"                                                       \
	" c AS (INSERT INTO customers (tenant_id, name, phone) SELECT hs_current_tenant(),"        \
	" coalesce($" N ", ''), $" P " WHERE NOT EXISTS (SELECT 1 FROM f) RETURNING id)"           \
	" SELECT id FROM f UNION ALL SELECT id FROM c"

/* Whether s is a phone number as customers and SMS store it (+, 4-20 digits). */
bool api__phone_ok(const char *s);

/* Room for the decimal text of an amount (api__money_text). */
#define API__MONEY_TEXT_MAX 40

/* Largest amount in major units a request may give. */
#define API__MONEY_MAX 1e13

/*
 * The JSON number v (an amount in major units, 0..API__MONEY_MAX, at most
 * 4 decimals) as decimal text for a numeric parameter.  false with an error
 * added under field otherwise.  The currency's own decimals are checked in
 * SQL (hs_money_minor).
 */
bool api__money_text(const json_t *v, const char *field, char out[API__MONEY_TEXT_MAX],
		     json_t *errors);

/*
 * Appends an audit_log row in conn's transaction: the caller's admin and
 * address, action ("voucher.refund"), object type and id, and details (a
 * JSON object, stolen; NULL for {}).  Returns the statement's outcome.
 */
hs_db_result api__audit(PGconn *conn, const api_req *req, const char *action, const char *type,
			const char *id, json_t *details);

/*
 * Answers a failed statement of module what: 422 for invalid_parameter_value
 * raised with a COLUMN (errors {column: [message]}), 409 for a unique or
 * foreign-key conflict (conflict, when not NULL, is the message), 503 when
 * the database may answer later, else 500 (logged).
 */
void api__reply_db_failure(api_req *req, PGconn *conn, const PGresult *res, const char *what,
			   const char *conflict);

/* The names of body's members, as a JSON array (for audit details). */
json_t *api__member_names(const json_t *body);

/* Parses the JSON text of row 0, column col of res; NULL when it is not JSON. */
json_t *api__row_json(const PGresult *res, int col);

/*
 * Commits conn's transaction (api_tx_end).  true when it committed; false
 * with a 500 answered (the connection is given back either way).
 */
bool api__commit(api_req *req, PGconn *conn);

#endif
