# Sourced by the benchmark scripts: CPU time as /proc counts it.

# cpu_ticks PID: user + system clock ticks of PID (all its threads), of its
# reaped children, and of its live children (a PostgreSQL postmaster's
# backends and workers).
cpu_ticks() {
	local pid=$1 t c
	t=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$pid/stat")
	for c in $(pgrep -P "$pid" || true); do
		t=$((t + $(awk '{print $14 + $15}' "/proc/$c/stat" 2>/dev/null || echo 0)))
	done
	echo "$t"
}
