#!/usr/bin/env bash
# Suite: a bounded libFuzzer run of the RouterOS sentence parser and reply
# assembly (make fuzz-ros runs a long one).  Seeds are real sentences.
source "$HS_ROOT/tests/lib/harness.sh"

FUZZ=$HS_BUILD/fuzz/fuzz_ros_parser
CORPUS=$HS_SUITE_DIR/corpus
mkdir -p "$CORPUS"

# Seeds: a login reply, a print with a 0x80-byte word, traps and !done, !fatal.
printf '\x01\x05!done\x09=ret=abcd\x00' >"$CORPUS/done-ret"
{ printf '\x02\x03!re\x80\x80=name='; head -c 122 /dev/zero | tr '\0' x; printf '\x06.tag=1\x00'; } >"$CORPUS/re-long"
printf '\x83\x05!trap\x10=message=failure\x00\x05!trap\x0b=category=2\x00\x05!done\x00' >"$CORPUS/traps"
printf '\x04\x06!fatal\x0dnot logged in\x00\x06!empty\x00' >"$CORPUS/fatal"

if [ ! -x "$FUZZ" ]; then
	t__result 0 "fuzz target built (needs clang with libFuzzer)"
	t_done
fi
log=$HS_SUITE_DIR/fuzz.log
if "$FUZZ" -runs="${ROS_FUZZ_RUNS:-200000}" -max_len=4096 -timeout=10 -rss_limit_mb=1024 \
	"$CORPUS" >"$log" 2>&1; then
	t__result 1 "sentence parser: ${ROS_FUZZ_RUNS:-200000} runs, no crash, leak or overread"
else
	t__result 0 "sentence parser: ${ROS_FUZZ_RUNS:-200000} runs, no crash, leak or overread" "$log"
fi
t_done
