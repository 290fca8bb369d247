#!/usr/bin/env bash
# Suite: a bounded libFuzzer run of the login exchange (plaintext and MD5
# challenge) and of the provisioner's readers after it, against arbitrary
# router bytes on loopback (make fuzz-ros-login runs a long one).  Seeds are
# real conversations: the client's tags run 1, 2, 3, ...
source "$HS_ROOT/tests/lib/harness.sh"

FUZZ=$HS_BUILD/fuzz/fuzz_ros_login
CORPUS=$HS_SUITE_DIR/corpus
RUNS=${ROS_LOGIN_FUZZ_RUNS:-20000}
mkdir -p "$CORPUS"

# word TEXT: a word shorter than 0x80 bytes with its length prefix.
word() { printf "\\$(printf '%03o' "${#1}")"; printf '%s' "$1"; }
# sentence WORDS...: the words, then the empty word that ends a sentence.
sentence() {
	local w
	for w in "$@"; do word "$w"; done
	printf '\0'
}
resource() { # resource TAG
	sentence '!re' '=uptime=1w2d03:04:05' '=version=7.18.2 (stable)' '=cpu-load=5' \
		'=free-memory=98304000' '=total-memory=128.0MiB' '=board-name=hAP ac^2' ".tag=$1"
	sentence '!done' ".tag=$1"
}
identity() { # identity TAG
	sentence '!re' '=name=MikroTik' ".tag=$1"
	sentence '!done' ".tag=$1"
}

{ printf '\0'; sentence '!done' '.tag=1'; resource 2; identity 3; sentence '!done' '.tag=4'; } >"$CORPUS/plain"
{
	printf '\0'
	sentence '!done' '=ret=0123456789abcdef0123456789abcdef' '.tag=1'
	sentence '!done' '.tag=2'
	resource 3; identity 4; sentence '!done' '.tag=5'
} >"$CORPUS/challenge"
{ printf '\0'; sentence '!trap' '=message=invalid user name or password (6)' '.tag=1'; sentence '!done' '.tag=1'; } >"$CORPUS/refused"
{ printf '\1'; sentence '!trap' '=message=not enough permissions (9)' '.tag=1'; sentence '!done' '.tag=1'; } >"$CORPUS/denied"
{ printf '\0'; sentence '!done' '=ret=xyz' '.tag=1'; } >"$CORPUS/bad-challenge"
{ printf '\0'; sentence '!done' '.tag=1'; sentence '!fatal' 'session terminated on request'; } >"$CORPUS/fatal"
{ printf '\0'; sentence '!future' '=x=1'; sentence '!done' '.tag=1'; sentence '!empty' '.tag=2'; sentence '!done' '.tag=2'; } >"$CORPUS/empty"

if [ ! -x "$FUZZ" ]; then
	t__result 0 "login fuzz target built (needs clang with libFuzzer)"
	t_done
fi
log=$HS_SUITE_DIR/fuzz.log
if "$FUZZ" -runs="$RUNS" -max_len=4096 -timeout=20 -rss_limit_mb=1024 "$CORPUS" >"$log" 2>&1; then
	t__result 1 "login exchange and readers: $RUNS runs, no crash, leak or overread"
else
	t__result 0 "login exchange and readers: $RUNS runs, no crash, leak or overread" "$log"
fi
t_done
