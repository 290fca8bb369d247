#!/usr/bin/env bash
# hotspotd serve: router configuration backups over real HTTP against
# RouterOS simulators on loopback. Create (the router's export read back
# and stored as a 'backup' history row by the admin), list (newest first,
# pages), download (the exact script as an .rsc attachment), restore onto a
# router that lost its configuration (a 'restore' row), 502/504 when the
# router fails, 404 for other tenants' routers and backups; the daily
# schedule (HH:MM in the tenant's zone) run by the router.backup job, once.
source "$HS_ROOT/tests/lib/harness.sh"
source "$HS_ROOT/tests/lib/api.sh"

H=$HS_BUILD/hotspotd
SIM=$HS_BUILD/ros-sim
DB=hs_api_router_backups
hs_new_db $DB || { echo "Bail out! cannot create the database"; exit 1; }
hs_db_env $DB
export WORKER_THREADS=1 APP_KEY=$("$H" gen-key)
export ROUTER_ALLOWED_NETWORKS=127.0.0.0/8 ROUTER_API_TIMEOUT=1 ROUTER_OP_TIMEOUT=20
export ROUTER_BACKUP_CHECK_INTERVAL=2 JOB_POLL_INTERVAL=1 JOB_BACKOFF_BASE=1 JOB_BACKOFF_CAP=2

api_two_tenants $DB || { echo "Bail out! cannot insert the tokens"; exit 1; }
b=$HS_SUITE_DIR/body.json
owner() { hs_psql_as hs_owner $DB -At -c "$1"; }
owner "UPDATE tenants SET time_zone = 'Africa/Kampala' WHERE slug = 'ten-a'" >/dev/null
ADMIN_A=$(owner "SELECT id FROM admins WHERE email = 'ten-a@example.org'")

ROS_PW="ros-pw-$RANDOM$RANDOM"
declare -A API=()
# sim N [options]: a simulator on 127.0.0.N (its port kept across restarts).
sim() {
	local n=$1
	shift
	API[$n]=${API[$n]:-$(hs_free_port)} || return 1
	hs_spawn "ros$n" "$SIM" --host "127.0.0.$n" --port "${API[$n]}" --user admin \
		--password "$ROS_PW" --identity "sim-$n" "$@"
	hs_wait_tcp "${API[$n]}" 5
}
t_ok "router 1 (tenant A) listens" sim 1
t_ok "router 2 (tenant B) listens" sim 2
t_ok "router 4 (answers after 2.5 s) listens" sim 4 --slow 2500
t_ok "router 5 (RouterOS 6, file contents up to 64 bytes) listens" sim 5 --ros6 --file-contents-max 64
API[3]=$(hs_free_port) # nothing listens on router 3

ros_word() { printf "\\$(printf %03o "${#1}")%s" "$1"; }
# ros_print N MENU PROP: PROP of every item of MENU on router N.
ros_print() {
	local n=$1 menu=$2 prop=$3
	exec 3<>"/dev/tcp/127.0.0.$n/${API[$n]}" || return 1
	{
		ros_word /login; ros_word =name=admin; ros_word "=password=$ROS_PW"; printf '\0'
		ros_word "$menu/print"; ros_word "=.proplist=$prop"; printf '\0'
		ros_word /quit; printf '\0'
	} >&3
	timeout 5 cat <&3 | tr -c '[:print:]' '\n' | sed -n "s/.*=$prop=//p" | sort | tr '\n' ' '
	exec 3<&-
}

t_ok "serve answers HTTP" serve_on serve
R=http://127.0.0.1:$SERVE_PORT/api/v1/router-management

create() { # create TOKEN N NAME: the new router's id
	as "$1" POST "$R" -d "$(jq -nc --arg ip "127.0.0.$2" --argjson port "${API[$2]}" \
		--arg pw "$ROS_PW" --arg name "$3" \
		'{name: $name, ip_address: $ip, api_port: $port, username: "admin", password: $pw}')" \
		>/dev/null && j .data.id
}
ID1=$(create "$TA" 1 "Router one")
ID2=$(create "$TB" 2 "B's router")
ID3=$(create "$TA" 3 "Down router")
ID4=$(create "$TA" 4 "Slow router")
ID5=$(create "$TA" 5 "Old router")
t_like "$ID1 $ID2 $ID3 $ID4 $ID5" '^([0-9a-f-]{36} ){4}[0-9a-f-]{36}$' "five routers"

# Something of ours on router 1 to back up and restore.
owner "INSERT INTO profiles (tenant_id, name, rate_limit, validity_seconds, currency)
	SELECT id, '1GB-DAILY', '2M/2M', 86400, 'UGX' FROM tenants WHERE slug = 'ten-a'" >/dev/null
t_is "$(as "$TA" POST "$R/$ID1/sync-profiles")" 200 "router 1 gets the profile 1GB-DAILY"
t_like "$(ros_print 1 /ip/hotspot/user/profile name)" '1GB-DAILY' "which is on the router"

# --- create -------------------------------------------------------------------------
t_is "$(as "$TA" POST "$R/$ID1/backups")" 201 "a backup of router 1: 201"
t_is "$(j .message)" "Backup created successfully" "with a message"
BK1=$(j .data.id)
t_like "$(j .data.file_name)" '^hotspot-aaa-[0-9]{8}-[0-9]{6}-[0-9a-f]{4}\.rsc$' "named after the time it was made"
t_is "$(j '[.data.change_type, .data.router_id, .data.changed_by, .data.changed_by_email, .data.source] | @tsv')" \
	"$(printf 'backup\t%s\t%s\tten-a@example.org\tapi' "$ID1" "$ADMIN_A")" \
	"a backup row by the admin who asked"
t_is "$(j '.data | has("content")')" false "the answer does not carry the script"
SIZE1=$(j .data.size_bytes)
t_is "$(owner "SELECT octet_length(content) FROM mikrotik_config_history WHERE id = '$BK1'")" "$SIZE1" \
	"size_bytes is the stored script's"
t_like "$(owner "SELECT content FROM mikrotik_config_history WHERE id = '$BK1'")" \
	'^# .* by RouterOS 7.*/ip hotspot user profile.*name=1GB-DAILY' \
	"the stored script is the router's export, with our profile"
t_is "$(owner "SELECT change_type, device_id, changed_by, tenant_id = (SELECT id FROM tenants WHERE slug = 'ten-a') FROM mikrotik_config_history WHERE id = '$BK1'" | tr '|' ' ')" \
	"backup $ID1 $ADMIN_A t" "in mikrotik_config_history, of tenant A"
t_is "$(owner "SELECT count(*) FROM audit_log WHERE action = 'router.backup' AND object_id = '$ID1' AND admin_id = '$ADMIN_A'")" \
	1 "and in the audit log"
t_is "$(ros_print 1 /file name | grep -c hotspot-aaa)" 0 "the export file is removed from the router"
sleep 1.1
t_is "$(as "$TA" POST "$R/$ID1/backup")" 201 "the seed's path POST .../backup makes one too"
BK2=$(j .data.id)

t_is "$(as "$TA" POST "$R/$ID3/backups")" 502 "a router that refuses: 502"
t_like "$(j .message)" "127\.0\.0\.3" "the message names the router"
t_is "$(j .data.error)" REFUSED "and the error"
t_is "$(as "$TA" POST "$R/$ID4/backups")" 504 "a router slower than ROUTER_API_TIMEOUT: 504"
t_is "$(as "$TA" POST "$R/$ID5/backups")" 502 "an export past what RouterOS 6 can show over the API: 502"
t_is "$(j .data.error)" UNSUPPORTED "UNSUPPORTED"
t_like "$(j .message)" '64|limit|FTP|read' "saying why"
t_is "$(owner "SELECT count(*) FROM mikrotik_config_history WHERE device_id IN ('$ID3', '$ID4', '$ID5')")" 0 \
	"failed backups store nothing"
t_is "$(as "$TB" POST "$R/$ID1/backups")" 404 "tenant B backing up A's router: 404"
t_is "$(as "$TA" POST "$R/00000000-0000-4000-8000-000000000000/backups")" 404 "an unknown router: 404"
t_is "$(as "$TB" POST "$R/$ID2/backups")" 201 "B backs up its own router"
BKB=$(j .data.id)

# --- list -------------------------------------------------------------------------------
t_is "$(as "$TA" GET "$R/$ID1/backups")" 200 "the list: 200"
t_is "$(j '[.data[].id] | join(",")')" "$BK2,$BK1" "newest first"
t_is "$(j '[.meta.total, .meta.current_page, .meta.last_page] | @tsv')" "$(printf '2\t1\t1')" "with meta"
t_is "$(as "$TA" GET "$R/$ID1/backups?per_page=1&page=2")" 200 "page 2 of 1 per page"
t_is "$(j '[(.data | map(.id) | join(",")), .meta.last_page] | @tsv')" "$(printf '%s\t2' "$BK1")" "holds the older one"
t_is "$(as "$TA" GET "$R/$ID1/backups?type=restore")" 200 "restores only"
t_is "$(j '.data | length')" 0 "none yet"
t_is "$(as "$TA" GET "$R/$ID1/backups?type=nope&per_page=0")" 422 "bad arguments: 422"
t_is "$(j '.errors | keys | join(",")')" "per_page,type" "each named"
t_is "$(as "$TA" GET "$R/$ID2/backups")" 404 "A listing B's router: 404"
t_is "$(as "$TB" GET "$R/$ID1/backups")" 404 "B listing A's router: 404"
t_is "$(as "$TB" GET "$R/$ID2/backups")" 200 "B lists its own"
t_is "$(j '[.data[].id] | join(",")')" "$BKB" "and sees only its backup"

# --- download -----------------------------------------------------------------------------
t_is "$(as "$TA" GET "$R/$ID1/backups/$BK1/download" -D "$HS_SUITE_DIR/headers")" 200 "download: 200"
t_is "$(sha256sum <"$b" | cut -d' ' -f1)" \
	"$(owner "SELECT encode(sha256(convert_to(content, 'UTF8')), 'hex') FROM mikrotik_config_history WHERE id = '$BK1'")" \
	"the body is the stored script, byte for byte"
t_like "$(tr -d '\r' <"$HS_SUITE_DIR/headers" | grep -i '^content-type:')" 'text/plain; charset=utf-8' \
	"as text/plain"
t_is "$(tr -d '\r' <"$HS_SUITE_DIR/headers" | grep -i '^content-disposition:' | cut -d' ' -f2-)" \
	"attachment; filename=\"$(owner "SELECT file_name FROM mikrotik_config_history WHERE id = '$BK1'")\"" \
	"as an attachment named after the backup"
t_is "$(as "$TA" GET "$R/$ID1/backups/00000000-0000-4000-8000-000000000000/download")" 404 "an unknown backup: 404"
t_is "$(j .message)" "backup not found" "says backup not found"
t_is "$(as "$TB" GET "$R/$ID1/backups/$BK1/download")" 404 "B downloading A's backup: 404"
t_is "$(as "$TB" GET "$R/$ID2/backups/$BK1/download")" 404 "B naming A's backup under its own router: 404"
t_is "$(as "$TA" GET "$R/$ID3/backups/$BK1/download")" 404 "a backup under another router of the tenant: 404"
t_is "$(as "$TA" GET "$R/$ID1/backups/nope/download")" 404 "a backup id that is not a UUID: 404"

# --- restore ------------------------------------------------------------------------------
hs_kill ros1
t_ok "router 1 comes back with its configuration lost" sim 1
t_is "$(ros_print 1 /ip/hotspot/user/profile name | grep -c 1GB-DAILY)" 0 "1GB-DAILY is gone from it"
t_is "$(as "$TA" POST "$R/$ID1/backups/$BK1/restore")" 200 "restore of the first backup: 200"
t_is "$(j .message)" "Backup restored successfully" "with a message"
RS1=$(j .data.id)
t_is "$(j '[.data.change_type, .data.changed_by, .data.configuration_data.backup_id, .data.configuration_data.result, .data.file_name] | @tsv')" \
	"$(printf 'restore\t%s\t%s\tok\t%s' "$ADMIN_A" "$BK1" "$(owner "SELECT file_name FROM mikrotik_config_history WHERE id = '$BK1'")")" \
	"a restore row naming the backup, by the admin"
t_like "$(j .data.configuration_data.parts)" '^[1-9][0-9]*$' "with the parts imported"
t_like "$(ros_print 1 /ip/hotspot/user/profile name)" '1GB-DAILY' "the profile is back on the router"
t_is "$(ros_print 1 /file name | grep -c hotspot-aaa)" 0 "and the uploaded parts are removed"
t_is "$(as "$TA" GET "$R/$ID1/backups?type=restore")" 200 "the restore is listed"
t_is "$(j '[.data[].id] | join(",")')" "$RS1" "under type=restore"
t_is "$(as "$TA" GET "$R/$ID1/backups?type=all")" 200 "and with type=all"
t_is "$(j '[.data[].change_type] | join(",")')" "restore,backup,backup,update" \
	"newest first, the profile sync's update row last"
t_is "$(as "$TA" POST "$R/$ID1/backups/$RS1/restore")" 404 "a restore row is not a backup: 404"

# --- delete --------------------------------------------------------------------------------
t_is "$(as "$TB" DELETE "$R/$ID1/backups/$BK2")" 404 "B deleting A's backup: 404"
t_is "$(as "$TB" DELETE "$R/$ID2/backups/$BK2")" 404 "B naming A's backup under its own router: 404"
t_is "$(owner "SELECT count(*) FROM mikrotik_config_history WHERE id = '$BK2'")" 1 "A's backup is still there"
t_is "$(as "$TA" DELETE "$R/$ID1/backups/$RS1")" 404 "a restore row cannot be deleted as a backup: 404"
t_is "$(as "$TA" DELETE "$R/$ID1/backups/$BK2")" 200 "A deletes its second backup: 200"
t_is "$(j .message)" "Backup deleted successfully" "with a message"
t_is "$(as "$TA" GET "$R/$ID1/backups")" 200 "the list"
t_is "$(j '[.data[].id] | join(",")')" "$BK1" "no longer shows it"
t_is "$(owner "SELECT count(*) FROM audit_log WHERE action = 'router.backup_delete' AND object_id = '$ID1' AND details->>'history_id' = '$BK2'")" \
	1 "the deletion is in the audit log"
t_is "$(as "$TA" DELETE "$R/$ID1/backups/$BK2")" 404 "deleting it again: 404"

t_is "$(as "$TA" POST "$R/$ID3/backups/$BK1/restore")" 404 "restoring another router's backup: 404"
owner "INSERT INTO mikrotik_config_history (tenant_id, device_id, change_type, file_name, content)
	SELECT tenant_id, id, 'backup', 'x.rsc', E'/ip hotspot user profile\nadd name=X\n' FROM mikrotik_devices WHERE id = '$ID3'" >/dev/null
BK3=$(owner "SELECT id FROM mikrotik_config_history WHERE device_id = '$ID3'")
t_is "$(as "$TA" POST "$R/$ID3/backups/$BK3/restore")" 502 "restoring onto a router that refuses: 502"
t_is "$(j .data.error)" REFUSED "REFUSED"
t_is "$(owner "SELECT configuration_data->>'result', changed_by FROM mikrotik_config_history WHERE device_id = '$ID3' AND change_type = 'restore'" | tr '|' ' ')" \
	"failed $ADMIN_A" "the attempt is recorded as failed"
t_is "$(as "$TB" POST "$R/$ID1/backups/$BK1/restore")" 404 "B restoring A's backup: 404"
t_is "$(as "$TB" POST "$R/$ID2/backups/$BK1/restore")" 404 "B restoring A's backup onto its own router: 404"
t_is "$(owner "SELECT count(*) FROM mikrotik_config_history WHERE device_id = '$ID2' AND change_type = 'restore'")" 0 \
	"which records nothing"

# --- the schedule ----------------------------------------------------------------------------
t_is "$(as "$TA" GET "$R/$ID1/backup-schedule")" 200 "a router without a schedule: 200"
t_is "$(j '[.data.enabled, .data.time_of_day, .data.time_zone, .data.next_run_at] | @tsv')" \
	"$(printf 'false\t\tAfrica/Kampala\t')" "disabled, in the tenant's time zone"
t_is "$(as "$TA" PUT "$R/$ID1/backup-schedule" -d '{"enabled":true}')" 422 "enabling without a time: 422"
t_is "$(j '.errors | keys | join(",")')" time_of_day "names time_of_day"
for bad in '"24:00"' '"7:30"' '"12:60"' '"12-30"' '1230' '"12:30:00"'; do
	t_is "$(as "$TA" PUT "$R/$ID1/backup-schedule" -d "{\"enabled\":true,\"time_of_day\":$bad}")" 422 \
		"time_of_day $bad: 422"
done
t_is "$(as "$TA" PUT "$R/$ID1/backup-schedule" -d '{"time_of_day":"02:00"}')" 422 "enabled is required: 422"
# Two minutes ago in Kampala: the next run is tomorrow, not now.
TOD=$(TZ=Africa/Kampala date -d '-2 minutes' +%H:%M)
t_is "$(as "$TA" PUT "$R/$ID1/backup-schedule" -d "{\"enabled\":true,\"time_of_day\":\"$TOD\"}")" 200 \
	"a daily backup at $TOD Kampala time: 200"
t_is "$(j '[.data.enabled, .data.time_of_day] | @tsv')" "$(printf 'true\t%s' "$TOD")" "is saved"
NEXT=$(j .data.next_run_at)
t_is "$(owner "SELECT '$NEXT'::timestamptz BETWEEN now() + interval '23 hours 57 minutes' AND now() + interval '23 hours 59 minutes'")" t \
	"its next run is tomorrow at that time ($NEXT)"
t_is "$(TZ=Africa/Kampala date -d "$NEXT" +%H:%M)" "$TOD" "at $TOD in Kampala"
t_is "$(as "$TB" PUT "$R/$ID1/backup-schedule" -d '{"enabled":false}')" 404 "B changing A's schedule: 404"
t_is "$(as "$TB" GET "$R/$ID1/backup-schedule")" 404 "B reading A's schedule: 404"
t_is "$(owner "SELECT enabled FROM router_backup_schedules WHERE device_id = '$ID1'")" t "A's schedule is as A set it"
t_is "$(as "$TA" PUT "$R/00000000-0000-4000-8000-000000000000/backup-schedule" -d '{"enabled":false}')" 404 \
	"an unknown router: 404"

sleep 3
t_is "$(owner "SELECT count(*) FROM mikrotik_config_history WHERE device_id = '$ID1' AND configuration_data->>'source' = 'schedule'")" 0 \
	"a schedule set after today's time does not run today"

# As if each schedule had been set yesterday: today's time has come.
t_is "$(as "$TA" PUT "$R/$ID3/backup-schedule" -d '{"enabled":true,"time_of_day":"00:00"}')" 200 "router 3 (down) has a schedule"
t_is "$(as "$TA" PUT "$R/$ID4/backup-schedule" -d '{"enabled":false,"time_of_day":"00:00"}')" 200 "router 4's is disabled"
t_is "$(as "$TB" PUT "$R/$ID2/backup-schedule" -d '{"enabled":true,"time_of_day":"00:00"}')" 200 "B's router has one"
owner "UPDATE router_backup_schedules SET set_at = now() - interval '1 day'" >/dev/null

# wait_for SQL WANT SECS: until the owner's SQL answers WANT.
wait_for() {
	local i
	for i in $(seq 1 $((10 * $3))); do
		[ "$(owner "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
t_ok "the router.backup job backs up router 1 on schedule" wait_for \
	"SELECT count(*) FROM mikrotik_config_history WHERE device_id = '$ID1' AND configuration_data->>'source' = 'schedule'" 1 20
t_is "$(owner "SELECT change_type, changed_by IS NULL, content LIKE '%name=1GB-DAILY%', file_name LIKE 'hotspot-aaa-%.rsc' FROM mikrotik_config_history WHERE device_id = '$ID1' AND configuration_data->>'source' = 'schedule'" | tr '|' ' ')" \
	"backup t t t" "a backup row made by no admin, with the router's script"
t_ok "B's router is backed up too" wait_for \
	"SELECT count(*) FROM mikrotik_config_history WHERE device_id = '$ID2' AND configuration_data->>'source' = 'schedule' AND tenant_id = (SELECT id FROM tenants WHERE slug = 'ten-b')" 1 20
t_is "$(as "$TA" GET "$R/$ID1/backups")" 200 "A's list"
t_is "$(j '[.data[0].source, .data[0].changed_by] | @tsv')" "$(printf 'schedule\t')" "shows the scheduled backup first"
t_is "$(j '[.data[].router_id] | unique | join(",")')" "$ID1" "and nothing of B's"
t_is "$(as "$TA" GET "$R/$ID1/backup-schedule")" 200 "router 1's schedule"
t_is "$(j '[(.data.last_run_at != null), (.data.last_backup_at != null), .data.last_error] | @tsv')" \
	"$(printf 'true\ttrue\t')" "tells when it last ran and backed up"
t_ok "router 3's failure is recorded after the job's attempts" wait_for \
	"SELECT last_error LIKE '%127.0.0.3%' FROM router_backup_schedules WHERE device_id = '$ID3'" t 25
t_is "$(owner "SELECT status, attempts FROM jobs WHERE kind = 'router.backup' AND payload->>'router_id' = '$ID3'" | tr '|' ' ')" \
	"dead 3" "a router that refuses is tried three times"
t_is "$(as "$TA" GET "$R/$ID3/backup-schedule")" 200 "router 3's schedule"
t_like "$(j .data.last_error)" '127\.0\.0\.3' "shows the last error"
sleep 4
t_is "$(owner "SELECT count(*) FROM mikrotik_config_history WHERE device_id = '$ID1' AND configuration_data->>'source' = 'schedule'")" 1 \
	"once a day: no second scheduled backup"
t_is "$(owner "SELECT count(*) FROM jobs WHERE kind = 'router.backup' AND payload->>'router_id' = '$ID4'")" 0 \
	"a disabled schedule queues nothing"
t_is "$(owner "SELECT count(*) FROM jobs WHERE kind = 'router.backup' AND payload->>'router_id' IS NOT NULL")" 3 \
	"one job per router due: 1, 2 and 3"
t_is "$(as "$TA" PUT "$R/$ID1/backup-schedule" -d '{"enabled":false}')" 200 "disabling keeps the time"
t_is "$(j '[.data.enabled, .data.time_of_day, .data.next_run_at] | @tsv')" "$(printf 'false\t%s\t' "$TOD")" \
	"and has no next run"

t_fail "no router password or token in hotspotd's log" grep -qF -e "$ROS_PW" -e "$TA" -e "$TB" \
	"$HS_SUITE_DIR/serve.log"
hs_kill serve
t_is "$?" 0 "SIGTERM exits 0"
t_done
