#!/usr/bin/env bash
# The job queue runtime (api/jobs.c) against a real PostgreSQL, driven
# through jobtool, which runs the runtime with hotspotd's kinds plus test
# kinds that record each run in jobtest.runs.  Real processes, real
# NOTIFY, real leases: every job exactly once across two processes, NOTIFY
# wake-up before the poll interval, delayed jobs, retries with exponential
# backoff then dead, a dead worker's job taken again after its lease,
# graceful stop, reconnection, and one periodic job per period.
set -u
source "$HS_ROOT/tests/lib/harness.sh"

DB=hs_jobs_queue
JOBTOOL=$HS_BUILD/tests/jobtool

q() { hs_psql_as hs_owner "$DB" -At -c "$1"; }

# wait_for SQL SECS: until SQL answers t; false on timeout.
wait_for() { hs_wait_sql "$DB" "$1" "$2"; }

# Connections the worker role should hold: a listener plus one per thread
# for each live jobtool.  Waiting for the exact number also waits for the
# connections of a killed process to go.
WANT_CONNS=0
declare -A CONNS=()

# start NAME THREADS [VAR=VALUE...]: a jobtool process; waits until its
# workers and its listener are connected.
start() {
	local name=$1 threads=$2
	shift 2
	hs_spawn "$name" env WORKER_THREADS="$threads" "$@" "$JOBTOOL"
	CONNS[$name]=$((threads + 1))
	WANT_CONNS=$((WANT_CONNS + threads + 1))
	wait_for "SELECT count(*) = $WANT_CONNS FROM pg_stat_activity
	          WHERE datname = '$DB' AND usename = 'hs_worker'" 15
}

# stop NAME [SIGNAL]: SIGTERM (hs_kill, its exit status) or kill -SIGNAL.
stop() {
	local rc=0
	WANT_CONNS=$((WANT_CONNS - ${CONNS[$1]:-0}))
	unset "CONNS[$1]"
	[ -n "${2:-}" ] && kill "-$2" "${HS_PIDS[$1]}"
	hs_kill "$1" || rc=$?
	[ -n "${2:-}" ] || return $rc
}

pid_of() { echo "${HS_PIDS[$1]}"; }

enqueue() { # enqueue KIND [PAYLOAD [RUN_AT [MAX_ATTEMPTS]]] -> job id
	q "SELECT job_enqueue('$1', '${2:-{\}}'::jsonb, ${3:-now()}, NULL, ${4:-8})"
}

hs_new_db "$DB" || { echo "Bail out! cannot create the database"; exit 1; }
hs_db_env "$DB"
export LOG_LEVEL=info

# The test kinds record their runs through a SECURITY DEFINER function,
# like every other write of the worker role.
hs_psql_as hs_owner "$DB" >"$HS_SUITE_DIR/setup.log" 2>&1 <<'SQL' || { echo "Bail out! setup"; exit 1; }
CREATE SCHEMA jobtest;
CREATE TABLE jobtest.runs (
    job_id   uuid NOT NULL,
    kind     text NOT NULL,
    worker   text NOT NULL,
    attempts int NOT NULL,
    at       timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE FUNCTION jobtest.record(p_id uuid, p_kind text, p_worker text, p_attempts int)
    RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = jobtest, pg_temp
AS $$ INSERT INTO jobtest.runs (job_id, kind, worker, attempts) VALUES (p_id, p_kind, p_worker, p_attempts) $$;
REVOKE ALL ON FUNCTION jobtest.record(uuid, text, text, int) FROM PUBLIC;
GRANT USAGE ON SCHEMA jobtest TO hs_worker;
GRANT EXECUTE ON FUNCTION jobtest.record(uuid, text, text, int) TO hs_worker;
SQL

# --- two processes, long poll interval: only NOTIFY makes them quick ----------

t_ok "first process starts (4 workers + listener connected)" \
	start a1 4 JOB_POLL_INTERVAL=60 PRUNE_INTERVAL=3600
t_ok "second process starts" start a2 4 JOB_POLL_INTERVAL=60 PRUNE_INTERVAL=3600

t_ok "prune (periodic) ran once for both processes" \
	wait_for "SELECT count(*) = 1 FROM jobs WHERE kind = 'prune' AND status = 'done'" 15
t_ok "prune logged its counts" grep -q "prune: removed {" "$HS_SUITE_DIR/a1.log" "$HS_SUITE_DIR/a2.log"
t_is "$(q "SELECT count(*) FROM jobs WHERE kind = 'prune'")" 1 "one prune job, not one per process"

sleep 1 # both idle, in their 60 s sleep
q "SELECT job_enqueue('test.record', jsonb_build_object('n', g)) FROM generate_series(1, 200) g" >/dev/null
t_ok "200 jobs done" wait_for "SELECT count(*) = 200 FROM jobs WHERE kind = 'test.record' AND status = 'done'" 30
t_is "$(q "SELECT count(*) || ' ' || count(DISTINCT job_id) FROM jobtest.runs WHERE kind = 'test.record'")" \
	"200 200" "each of the 200 jobs ran exactly once"
t_is "$(q "SELECT count(*) FROM jobs j JOIN jobtest.runs r ON r.job_id = j.id
           WHERE r.worker = j.locked_by AND r.attempts = 1")" 200 \
	"each ran on its first attempt, by the worker holding it"
t_is "$(q "SELECT count(DISTINCT split_part(worker, ':', 2)) FROM jobtest.runs")" 2 \
	"both processes took jobs"

sleep 1
id=$(enqueue test.record)
t_ok "a NOTIFY wakes an idle worker (poll interval 60 s)" \
	wait_for "SELECT EXISTS (SELECT 1 FROM jobtest.runs WHERE job_id = '$id')" 5
t_is "$(q "SELECT r.at - j.created_at < interval '2 seconds' FROM jobs j
           JOIN jobtest.runs r ON r.job_id = j.id WHERE j.id = '$id'")" t \
	"woken within 2 s of the enqueue"

t_ok "first process stops on SIGTERM" stop a1
t_ok "second process stops on SIGTERM" stop a2

# --- one process, short poll interval, small lease ----------------------------

t_ok "worker process starts" start b 2 JOB_POLL_INTERVAL=1 JOB_LEASE=10 \
	JOB_BACKOFF_BASE=1 JOB_BACKOFF_CAP=60 PRUNE_INTERVAL=0

id=$(enqueue test.record '{}' "now() + interval '3 seconds'")
sleep 2
t_is "$(q "SELECT status FROM jobs WHERE id = '$id'")" queued "a delayed job waits for its run_at"
t_ok "the delayed job runs once due" \
	wait_for "SELECT status = 'done' FROM jobs WHERE id = '$id'" 6
t_is "$(q "SELECT r.at >= j.run_at FROM jobs j JOIN jobtest.runs r ON r.job_id = j.id
           WHERE j.id = '$id'")" t "not before its run_at"

# Backoff: the delay job_fail sets (run_at - updated_at) after attempt n is
# base * 2^(n-1) plus at most 10% jitter; after max_attempts the job is dead.
id=$(enqueue test.fail '{}' 'now()' 4)
declare -A gap=()
for i in $(seq 1 200); do
	row=$(q "SELECT attempts, status, extract(epoch FROM run_at - updated_at) FROM jobs WHERE id = '$id'")
	IFS='|' read -r att st g <<<"$row"
	[ "$st" = queued ] && [ "$att" -gt 0 ] && gap[$att]=$g
	[ "$st" = dead ] && break
	sleep 0.1
done
t_is "$st $att" "dead 4" "a failing job is dead after max_attempts (4)"
for n in 1 2 3; do
	want=$((1 << (n - 1)))
	t_ok "backoff after attempt $n is ${want}s (+<=10%): ${gap[$n]:-none}" \
		awk -v g="${gap[$n]:-0}" -v w="$want" 'BEGIN { exit !(g >= w && g <= w * 1.1 + 0.001) }'
done
t_like "$(q "SELECT last_error FROM jobs WHERE id = '$id'")" "deliberate failure of attempt 4" \
	"last_error is the handler's reason"

id=$(enqueue test.nohandler)
sleep 2
t_is "$(q "SELECT status || ' ' || attempts FROM jobs WHERE id = '$id'")" "queued 0" \
	"a kind this process has no handler for is left to processes that have one"

# A worker that dies mid-job: its job comes back when the lease runs out.
t_ok "second worker process starts" start c 1 JOB_POLL_INTERVAL=1 JOB_LEASE=10 PRUNE_INTERVAL=0
stop b
id=$(enqueue test.sleep '{"sleep": 60}')
t_ok "the sleeping job is claimed by the process about to die" \
	wait_for "SELECT status = 'running' AND split_part(locked_by, ':', 2) = '$(pid_of c)' FROM jobs WHERE id = '$id'" 5
stop c KILL
start b 2 JOB_POLL_INTERVAL=1 JOB_LEASE=10 PRUNE_INTERVAL=0
t_ok "after the lease, another worker takes the job and finishes it" \
	wait_for "SELECT status = 'done' FROM jobs WHERE id = '$id'" 20
t_is "$(q "SELECT count(*) || ' ' || min(attempts) || ' ' || bool_and(split_part(worker, ':', 2) = '$(pid_of b)')
           FROM jobtest.runs WHERE job_id = '$id'")" "1 2 true" "run once, on the second attempt, by the survivor"
t_is "$(q "SELECT locked_until IS NULL FROM jobs WHERE id = '$id'")" t \
	"the lease is released when done"

# Graceful stop: a running handler is allowed to finish.
id=$(enqueue test.sleep '{"sleep": 2}')
t_ok "a slow job is running" wait_for "SELECT status = 'running' FROM jobs WHERE id = '$id'" 5
t_ok "SIGTERM during a handler exits cleanly" stop b
t_is "$(q "SELECT status FROM jobs WHERE id = '$id'")" done "the running handler finished before exit"

# The database drops the workers' connections: they reconnect, nothing crashes.
start b 2 JOB_POLL_INTERVAL=1 JOB_LEASE=10 PRUNE_INTERVAL=0
hs_psql_super -d "$DB" -Atc "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                             WHERE datname = '$DB' AND usename = 'hs_worker'" >/dev/null
id=$(enqueue test.record)
t_ok "after its connections were killed, the process runs jobs again" \
	wait_for "SELECT status = 'done' FROM jobs WHERE id = '$id'" 10
t_ok "and is still running" hs_running b
t_ok "and stops cleanly" stop b

# --- periodic: two processes, one job per 2 s period -----------------------

q "DELETE FROM jobtest.runs" >/dev/null
t_ok "two processes with a 2 s periodic kind start" \
	start p1 2 JOB_POLL_INTERVAL=1 JOB_LEASE=10 PRUNE_INTERVAL=0 JOBTOOL_PERIOD=2
start p2 2 JOB_POLL_INTERVAL=1 JOB_LEASE=10 PRUNE_INTERVAL=0 JOBTOOL_PERIOD=2
sleep 9
stop p1
stop p2
n=$(q "SELECT count(*) FROM jobs WHERE kind = 'test.periodic'")
t_ok "about one job per period over 9 s ($n)" test "$n" -ge 4 -a "$n" -le 6
t_is "$(q "SELECT count(DISTINCT split_part(dedup_key, ':', 2)) FROM jobs WHERE kind = 'test.periodic'")" \
	"$n" "each in its own period"
t_is "$(q "SELECT count(*) || ' ' || count(DISTINCT job_id) FROM jobtest.runs WHERE kind = 'test.periodic'")" \
	"$(q "SELECT count(*) || ' ' || count(*) FROM jobs WHERE kind = 'test.periodic' AND status = 'done'")" \
	"each periodic job ran exactly once"

# --- hotspotd serve: the real prune kind, two daemons, 2 s period -----------

q "DELETE FROM jobs WHERE kind = 'prune'; DELETE FROM periodic_jobs WHERE kind = 'prune'" >/dev/null
for d in d1 d2; do
	hs_spawn "$d" env API_PORT="$(hs_free_port)" WORKER_THREADS=2 JOB_POLL_INTERVAL=1 \
		PRUNE_INTERVAL=2 "$HS_BUILD/hotspotd" serve
done
sleep 9
t_ok "first hotspotd stops on SIGTERM" hs_kill d1
t_ok "second hotspotd stops on SIGTERM" hs_kill d2
n=$(q "SELECT count(*) FROM jobs WHERE kind = 'prune' AND status = 'done'")
t_ok "hotspotd serve runs prune about once per period over 9 s ($n)" test "$n" -ge 3 -a "$n" -le 6
t_is "$(q "SELECT count(*) || ' ' || count(DISTINCT dedup_key) FROM jobs WHERE kind = 'prune'")" \
	"$n $n" "one prune job per period for both daemons, all done"
t_ok "the daemons logged the prune counts" grep -q "prune: removed {" "$HS_SUITE_DIR/d1.log" "$HS_SUITE_DIR/d2.log"

t_done
