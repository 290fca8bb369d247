# What the RADIUS suites share, sourced after harness.sh: the raddb they
# generate, radclient as a router at a loopback address, and the lookups
# their checks make. The suite sets DB (its database), AUTH_PORT and
# ACCT_PORT (its server's ports), SECRET (the client secret gen-raddb.sh
# writes) and, for vcol, TA (the tenant of its vouchers).

GEN=$HS_ROOT/radiusd-module/raddb/gen-raddb.sh

# own SQL: the rows of one statement run as hs_owner, unaligned.
own() { hs_psql_as hs_owner "$DB" -At -c "$1"; }
# vcol CODE COLUMN: a column of tenant TA's voucher CODE.
vcol() { own "SELECT $2 FROM vouchers WHERE tenant_id = '$TA' AND code = '$1'"; }
# scol SESSION COLUMN: a column of the session with that Acct-Session-Id.
scol() { own "SELECT $2 FROM radius_sessions WHERE acct_session_id = '$1'"; }

# gen OUTDIR [VAR=value...]: gen-raddb.sh's raddb for the suite's ports and
# database (as hs_radius, clients refreshed every second, no reject delay,
# logging to stdout); each VAR=value adds a setting or overrides one.
gen() {
	local dir=$1
	shift
	env RADIUS_AUTH_PORT="$AUTH_PORT" RADIUS_ACCT_PORT="$ACCT_PORT" \
		RADIUS_CLIENT_SECRET="$SECRET" RADIUS_LOG_DESTINATION=stdout \
		RADIUS_REJECT_DELAY=0 RADIUS_CLIENTS_REFRESH=1 HS_MODULE_DIR="$HS_BUILD" \
		DB_HOST=127.0.0.1 DB_PORT="$PGPORT" DB_DATABASE="$DB" \
		DB_RADIUS_USERNAME=hs_radius DB_RADIUS_PASSWORD="${HS_PW_RADIUS:-}" \
		"$@" bash "$GEN" "$dir"
}

# radsend FROM auth|acct SECRET [radclient options] < attributes: radclient
# -x's output (and its complaints) for one request sent to the suite's
# server as if from address FROM, a router's.
radsend() {
	local from=$1 kind=$2 secret=$3 port=$ACCT_PORT attrs
	shift 3
	[ "$kind" = auth ] && port=$AUTH_PORT
	attrs=$(cat)
	printf 'Packet-Src-IP-Address = %s, %s\n' "$from" "$attrs" |
		radclient -x "$@" "127.0.0.1:$port" "$kind" "$secret" 2>&1 || true
}

# attr OUTPUT NAME: the value radclient printed for attribute NAME.
attr() { sed -n "s/^[[:space:]]*$2 = //p" <<<"$1" | head -n1 | tr -d '"'; }
# acked OUTPUT: the request was answered with an Accounting-Response.
acked() { grep -q "Received Accounting-Response" <<<"$1"; }
