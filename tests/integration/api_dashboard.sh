#!/usr/bin/env bash
# hotspotd serve: GET /api/v1/dashboard/stats over real HTTP, checked
# against rows inserted as the owner: routers and vouchers by status, open
# sessions, sales (vouchers by sold_at) and payments (succeeded, by paid_at)
# per local day and currency, data used today and in the period (sums past
# 4 GiB exact). Days are calendar days of the tenant's zone: a UTC+3
# tenant's sale at 22:30 UTC is on the next local day; a zone with
# daylight saving time buckets by its own midnights across the change.
# 401/403/422 and tenant isolation.
source "$HS_ROOT/tests/lib/harness.sh"
source "$HS_ROOT/tests/lib/api.sh"

DB=hs_api_dashboard
hs_new_db $DB || { echo "Bail out! cannot create the database"; exit 1; }
hs_db_env $DB
# No sweeper: it would close the sessions below, silent for days.
export WORKER_THREADS=1 SWEEP_INTERVAL=0

api_two_tenants $DB || { echo "Bail out! cannot insert the tokens"; exit 1; }
owner() { hs_psql_as hs_owner $DB -At "$@"; }
TR=$(api_tok)
owner -c "INSERT INTO api_tokens (tenant_id, admin_id, name, token_hash, abilities)
          SELECT tenant_id, id, 'routers only', '$(api_sha "$TR")', ARRAY['routers.read']
            FROM admins WHERE email = 'ten-a@example.org'" >/dev/null

# Local midnight must not pass between the inserts and the checks.
left=$(owner -c "SELECT extract(epoch FROM ((now() AT TIME ZONE 'Africa/Kampala')::date + 1)
                 - (now() AT TIME ZONE 'Africa/Kampala'))::int")
[ "$left" -lt 90 ] && sleep $((left + 2))

# --- tenant A: Africa/Kampala (UTC+3 all year) ------------------------------
# d(N, 'HH:MM[:SS]', zone): the instant at local time HH:MM of today-N.
owner >/dev/null <<'SQL'
UPDATE tenants SET time_zone = 'Africa/Kampala' WHERE slug = 'ten-a';
CREATE FUNCTION pg_temp.d(n int, t text, z text DEFAULT 'Africa/Kampala') RETURNS timestamptz
LANGUAGE sql AS $$ SELECT (((now() AT TIME ZONE z)::date - n) + t::time) AT TIME ZONE z $$;
CREATE FUNCTION pg_temp.u(n int, t text) RETURNS timestamptz  -- HH:MM UTC of the local day today-n
LANGUAGE sql AS $$ SELECT ((((now() AT TIME ZONE 'Africa/Kampala')::date - n) + t::time) AT TIME ZONE 'UTC') $$;
INSERT INTO profiles (tenant_id, name, currency) SELECT id, 'P', 'UGX' FROM tenants;
-- code, price, currency, status, activated, sold_at
INSERT INTO vouchers (tenant_id, code, password, profile_id, price_minor, currency, status, activated_at, sold_at)
SELECT t.id, v.code, 'pw', p.id, v.price, v.cur, v.status, v.act, v.sold
  FROM tenants t JOIN profiles p ON p.tenant_id = t.id,
       (VALUES ('V1', 1000, 'UGX', 'active',   now(), pg_temp.u(1, '22:30')),    -- local today 01:30
               ('V2', 2000, 'UGX', 'used',     now(), pg_temp.u(1, '20:59:59')), -- local yesterday 23:59:59
               ('V3',  500, 'USD', 'expired',  now(), pg_temp.d(0, '00:00')),
               ('V4', 4000, 'UGX', 'active',   NULL,  pg_temp.d(6, '00:00')),    -- first instant of 7 days
               ('V5', 8000, 'UGX', 'active',   NULL,  pg_temp.d(7, '23:59:59')), -- last instant before them
               ('V6', 9000, 'UGX', 'refunded', now(), pg_temp.d(0, '08:00')),
               ('V7', 9900, 'UGX', 'disabled', NULL,  NULL::timestamptz)) v(code, price, cur, status, act, sold)
 WHERE t.slug = 'ten-a';
INSERT INTO payments (tenant_id, gateway, amount_minor, currency, status, paid_at)
SELECT t.id, 'cash', p.amount, p.cur, p.status, p.paid
  FROM tenants t,
       (VALUES (1000, 'UGX', 'succeeded', pg_temp.u(1, '22:30')),
               (3000, 'UGX', 'succeeded', pg_temp.d(2, '12:00')),
               (  70, 'USD', 'succeeded', pg_temp.d(2, '13:00')),
               (5000, 'UGX', 'failed',    pg_temp.d(0, '09:00')),
               (6000, 'UGX', 'pending',   NULL::timestamptz),
               (7000, 'UGX', 'succeeded', pg_temp.d(10, '12:00'))) p(amount, cur, status, paid)
 WHERE t.slug = 'ten-a';
INSERT INTO mikrotik_devices (tenant_id, name, ip_address, radius_secret, status)
SELECT t.id, 'r' || i, ('10.9.0.' || i)::inet, 'secret-123', s
  FROM tenants t, (VALUES (1, 'online'), (2, 'online'), (3, 'offline'), (4, 'error')) r(i, s)
 WHERE t.slug = 'ten-a';
INSERT INTO radius_sessions (tenant_id, username, acct_unique_id, acct_session_id, nas_ip,
                             started_at, last_update_at, stopped_at, input_octets, output_octets)
SELECT t.id, 'u', s.id, s.id, '10.9.0.1', s.started, s.started, s.stopped, s.i, s.o
  FROM tenants t,
       (VALUES ('s1', pg_temp.d(0, '00:10'), NULL::timestamptz, 3221225472, 2147483648),
               ('s2', pg_temp.d(1, '23:00'), pg_temp.d(0, '01:00'), 4294967297, 0),
               ('s3', pg_temp.d(3, '12:00'), NULL, 1000000000000, 7),
               ('s4', pg_temp.d(20, '12:00'), NULL, 999, 0)) s(id, started, stopped, i, o)
 WHERE t.slug = 'ten-a';
SQL
T=$(owner -c "SELECT (now() AT TIME ZONE 'Africa/Kampala')::date")
day() { date -d "$T - $1 day" +%F; }

t_ok "serve answers HTTP" serve_on serve
S=http://127.0.0.1:$SERVE_PORT/api/v1/dashboard/stats
b=$HS_SUITE_DIR/body.json

t_is "$(curl -s -o /dev/null -w '%{http_code}' "$S")" 401 "no token is 401"
t_is "$(as "$TR" GET "$S")" 403 "a token without dashboard.read is 403"
for bad in 0 91 -1 abc 7x ''; do
	t_is "$(as "$TA" GET "$S?days=$bad")" 422 "days=$bad is 422"
done
t_is "$(j '.errors | keys | join(",")')" days "naming days"

t_is "$(as "$TA" GET "$S")" 200 "the stats (default 7 days)"
t_is "$(j '[.data.timezone, .data.today, .data.days, .data.from, .data.to] | @tsv')" \
	"$(printf 'Africa/Kampala\t%s\t7\t%s\t%s' "$T" "$(day 6)" "$T")" \
	"in the tenant's zone: today and the 7 local days up to it"
t_is "$(j '.data.routers | [.total, .online, .offline, .error] | @tsv')" "$(printf '4\t2\t1\t1')" \
	"routers by status"
t_is "$(j '.data.vouchers | [.total, .active, .unused, .disabled, .expired, .used, .refunded] | @tsv')" \
	"$(printf '7\t3\t2\t1\t1\t1\t1')" "vouchers by status (unused: active, never logged in)"
t_is "$(j .data.sessions.active)" 3 "open sessions"
t_is "$(j '.data.daily | length')" 7 "seven daily buckets"
t_is "$(j '[.data.daily[].date] | join(",")')" "$(for n in 6 5 4 3 2 1 0; do day $n; done | paste -sd,)" \
	"oldest first"
dl() { j ".data.daily[] | select(.date == \"$(day "$1")\") | $2"; }
t_is "$(dl 0 '.sales | map("\(.currency):\(.count):\(.amount_minor)") | join(",")')" "UGX:1:1000,USD:1:500" \
	"today: the 22:30 UTC sale of yesterday's UTC date and today's USD sale, per currency"
t_is "$(dl 1 '.sales | map("\(.currency):\(.count):\(.amount_minor)") | join(",")')" "UGX:1:2000" \
	"yesterday: the sale at 20:59:59 UTC (23:59:59 local)"
t_is "$(dl 6 '.sales | map("\(.currency):\(.count):\(.amount_minor)") | join(",")')" "UGX:1:4000" \
	"the first local instant of the period counts"
t_is "$(j '.data.totals.sales | map("\(.currency):\(.count):\(.amount_minor)") | join(",")')" \
	"UGX:3:7000,USD:1:500" "period sales per currency: refunded, unsold and older ones left out"
t_is "$(dl 0 '.payments | map("\(.currency):\(.count):\(.amount_minor)") | join(",")')" "UGX:1:1000" \
	"today's succeeded payment (22:30 UTC yesterday)"
t_is "$(dl 2 '.payments | map("\(.currency):\(.count):\(.amount_minor)") | join(",")')" "UGX:1:3000,USD:1:70" \
	"payments per day and currency"
t_is "$(j '.data.totals.payments | map("\(.currency):\(.count):\(.amount_minor)") | join(",")')" \
	"UGX:2:4000,USD:1:70" "period payments: failed, pending and older ones left out"
t_is "$(j '.data.data_used | [.today_bytes, .period_bytes] | @tsv')" \
	"$(printf '5368709120\t1009663676424')" "data used today and in the period, exact past 4 GiB"
t_is "$(dl 1 '[.sessions, .data_bytes] | @tsv')" "$(printf '1\t4294967297')" \
	"a session is counted on its local start day"
t_is "$(grep -o '"period_bytes": *[0-9]*' "$b" | grep -o '[0-9]*$')" 1009663676424 \
	"the byte sum is an exact integer on the wire"

t_is "$(as "$TA" GET "$S?days=8")" 200 "days=8"
t_is "$(j '.data.totals.sales | map("\(.currency):\(.count):\(.amount_minor)") | join(",")')" \
	"UGX:4:15000,USD:1:500" "takes in the last instant before the 7 days"
t_is "$(as "$TA" GET "$S?days=1")" 200 "days=1"
t_is "$(j '[(.data.daily | length), .data.from, .data.data_used.period_bytes] | @tsv')" \
	"$(printf '1\t%s\t5368709120' "$T")" "is today alone"
t_is "$(as "$TA" GET "$S?days=90")" 200 "days=90"
t_is "$(j '[(.data.daily | length), .data.data_used.period_bytes] | @tsv')" \
	"$(printf '90\t1009663677423')" "covers the older session too"

# --- tenant isolation ---------------------------------------------------------------
t_is "$(as "$TB" GET "$S?days=90")" 200 "B's stats"
t_is "$(j '[.data.routers.total, .data.vouchers.total, .data.sessions.active, .data.data_used.period_bytes, (.data.totals.sales | length), (.data.totals.payments | length)] | @tsv')" \
	"$(printf '0\t0\t0\t0\t0\t0')" "hold none of A's rows"
t_is "$(j .data.timezone)" UTC "in B's own zone"

# --- a zone with daylight saving time ------------------------------------------------
# The most recent change within the last 85 days, in one of these zones:
# a day of 23 or 25 hours.
read -r Z D H < <(owner -F' ' -c "
SELECT z, d, extract(epoch FROM ((d + 1)::timestamp AT TIME ZONE z) - (d::timestamp AT TIME ZONE z))::int / 3600
  FROM unnest(ARRAY['Europe/London', 'America/New_York', 'Australia/Sydney', 'Pacific/Auckland',
                    'America/Santiago', 'Africa/Cairo']) z,
       LATERAL (SELECT (now() AT TIME ZONE z)::date - i AS d FROM generate_series(1, 85) i) x
 WHERE ((d + 1)::timestamp AT TIME ZONE z) - (d::timestamp AT TIME ZONE z) <> interval '24 hours'
 ORDER BY d DESC LIMIT 1")
if [ -z "$Z" ]; then
	echo "ok $((HS_T_N + 1)) # SKIP no daylight saving change in the last 85 days in the zones tried"
	HS_T_N=$((HS_T_N + 1))
else
	owner -v z="$Z" -v d="$D" >/dev/null <<'SQL'
UPDATE tenants SET time_zone = :'z' WHERE slug = 'ten-b';
INSERT INTO profiles (tenant_id, name, currency) SELECT id, 'P2', 'EUR' FROM tenants WHERE slug = 'ten-b';
INSERT INTO vouchers (tenant_id, code, password, profile_id, price_minor, currency, sold_at)
SELECT t.id, v.code, 'pw', p.id, v.price, 'EUR', (:'d'::date + v.off + v.t::time) AT TIME ZONE :'z'
  FROM tenants t JOIN profiles p ON p.tenant_id = t.id AND p.name = 'P2',
       (VALUES ('D1', 1, -1, '23:30'),  -- the evening before the change
               ('D2', 2,  0, '00:30'),  -- the change's day, first hour
               ('D3', 4,  0, '23:30'),  -- its last hour
               ('D4', 8,  1, '00:30'),  -- the next day's first hour
               ('D5', 16, 1, '23:30')) v(code, price, off, t)
 WHERE t.slug = 'ten-b';
SQL
	TB_TODAY=$(owner -v z="$Z" <<<"SELECT (now() AT TIME ZONE :'z')::date")
	N=$(( ($(date -d "$TB_TODAY" +%s) - $(date -d "$D" +%s)) / 86400 + 1 ))
	t_is "$(as "$TB" GET "$S?days=$N")" 200 "$Z: the $N days from $D (a day of $H hours)"
	bd() { j ".data.daily[] | select(.date == \"$(date -d "$D + $1 day" +%F)\") | .sales | map(\"\(.count):\(.amount_minor)\") | join(\",\")"; }
	t_is "$(j .data.from)" "$D" "the period starts on the change's day"
	t_is "$(bd 0)" "2:6" "the change's day holds its first and last local hour"
	t_is "$(bd 1)" "2:24" "the next day holds its own"
	t_is "$(j '.data.totals.sales | map("\(.count):\(.amount_minor)") | join(",")')" "4:30" \
		"the evening before the period is left out"
	t_is "$(as "$TB" GET "$S?days=$((N + 1))")" 200 "one day more"
	t_is "$(bd -1)" "1:1" "holds the evening before"
fi

hs_kill serve
t_is "$?" 0 "SIGTERM exits 0"
t_done
