#!/usr/bin/env bash
# bench/target.sh MODE: the project's side of `make bench` inside anchor.sh's run.
# Started by bench/bench.sh's environment (HSB_* variables), never by hand.
#
#   serve        anchor.sh's --target-cmd. Checks that the dataset the anchor
#                generated is the one loaded into our database, writes the
#                expected answers under our rules (auth.filter.hotspot, see
#                bench/README.md), then execs FreeRADIUS in the foreground so
#                that its PID is the server's PID.
#   before-warm  before the warm-up of each of our rounds (first round only):
#                probes the reply attributes of the anchor's probe vouchers.
#   after-warm   after that warm-up: restores the loaded state (bench_reset(),
#                VACUUM ANALYZE, CHECKPOINT), as the anchor resets its own
#                database before each stock round.
set -euo pipefail
: "${HSB_WORK:?}" "${HSB_ROOT:?}"
# shellcheck disable=SC1091
source "$HSB_ROOT/scripts/pglib.sh"
# shellcheck disable=SC1091
source "$HSB_WORK/env"

own() { PGPASSWORD=$HS_PW_OWNER psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$HSB_PG_PORT" -U hs_owner -d "$HSB_DB" "$@"; }

case ${1:-} in
serve)
	: "${ANCHOR_DATASET:?}"
	# (the accounting files differ only in Event-Timestamp, taken from the clock)
	for f in users.csv auth.req auth.filter.stock acct_start.req acct_interim.req acct_stop.req; do
		cmp -s <(sed 's/, Event-Timestamp = [0-9]*//' "$ANCHOR_DATASET/$f") \
			<(sed 's/, Event-Timestamp = [0-9]*//' "$HSB_WORK/ds/$f") ||
			{ echo "target: $f differs from the dataset loaded into our database" >&2; exit 1; }
	done
	# Our rule where the stock one differs: an accepted login reserves its
	# voucher's slot for that (router, device) for 120 s; every voucher here
	# has Simultaneous-Use = 1, so a second login of the same voucher from
	# another device (the dataset's requests all carry distinct
	# Calling-Station-Ids) is rejected (max_sessions) while stock accepts it.
	python3 - "$ANCHOR_DATASET" <<'EOF'
import re, sys
ds = sys.argv[1]
names = re.findall(r'^User-Name = "([^"]+)"', open(ds + "/auth.req").read(), re.M)
stock = re.findall(r"== (Access-[A-Za-z]+)", open(ds + "/auth.filter.stock").read())
assert len(names) == len(stock), (len(names), len(stock))
seen, out, changed = set(), [], 0
for n, e in zip(names, stock):
    if e == "Access-Accept":
        if n in seen:
            e, changed = "Access-Reject", changed + 1
        seen.add(n)
    out.append("Response-Packet-Type == %s\n" % e)
open(ds + "/auth.filter.hotspot", "w").write("\n".join(out))
print("target: expected accepts %d of %d (%d repeated logins of a voucher from another device: reject)"
      % (len(seen), len(names), changed), file=sys.stderr)
EOF
	exec freeradius -f -l "$HSB_WORK/radiusd.log" -d "$HSB_WORK/raddb"
	;;
before-warm)
	[ -f "$HSB_WORK/probe.done" ] && exit 0
	touch "$HSB_WORK/probe.done"
	# shellcheck disable=SC1091
	source "$HSB_WORK/ds/expect.env"
	for t in PROBE1 PROBE2; do
		u=$(eval echo "\${${t}_USER:-}")
		[ -n "$u" ] || continue
		pw=$(eval echo "\$${t}_PASS")
		{
			echo "== $t $u $(eval echo "\$${t}_PROFILE") session_timeout=$(eval echo "\$${t}_SESSION_TIMEOUT") octets_left=$(eval echo "\$${t}_OCTETS_LEFT")"
			printf 'User-Name = "%s", User-Password = "%s", NAS-IP-Address = 127.0.0.1, Calling-Station-Id = "02:00:00:00:00:0%s"\n' \
				"$u" "$pw" "${t#PROBE}" |
				radclient -4 -x -r 2 -t 5 "127.0.0.1:$HSB_AUTH_PORT" auth "$HSB_SECRET" 2>&1 || true
		} >>"$HSB_WORK/probe.out"
	done
	;;
after-warm)
	own -c "SELECT bench_reset()" >/dev/null
	# every table a round writes (our cluster runs without autovacuum)
	pg_as_postgres psql -X -q -h "$HSB_WORK/pg" -p "$HSB_PG_PORT" -d "$HSB_DB" \
		-c "VACUUM ANALYZE" -c CHECKPOINT >/dev/null
	;;
*)
	echo "usage: $0 serve|before-warm|after-warm" >&2
	exit 2
	;;
esac
