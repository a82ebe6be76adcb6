#!/bin/sh
# Kafka export end to end: `sipscope cdr --kafka` against librdkafka's mock cluster
# (tests/kafka/mockbroker.c, loopback only), every record read back with kcat and compared with
# what `sipscope cdr` prints for the same capture. Covers, in order: 1 every field of every CDR,
# key and headers; 2 the sequence counter going on across runs; 3 the default sensor id; 4 SIGINT
# flushing open calls to Kafka; 5 the usage errors and unreadable inputs (exit 2, one stderr
# line); 6 -X passthrough; 7 a broker outage in the middle of a run (small in-memory queue, so the
# spool is used); 8 no broker at all (everything spooled, then sent by the next run, in order, none
# missing), a spool bound to its topic and locked by one process; 9 a spool too small (CDRs lost,
# counted, exit 1).
# Needs kcat (skipped without it) and python3; uses samples/ only.
# Usage: tests/kafka/run.sh /abs/path/sipscope /abs/path/mockbroker
# Prints "kafka: N passed, M failed" and appends "kafka N M" to $RESULTS.
set -u
bin=$1
mock=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
results=${RESULTS:-$root/build/results.txt}
py=${PYTHON:-python3}
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL kafka: $*"; }
finish() {
    echo "kafka: $pass passed, $fail failed"
    echo "kafka $pass $fail" >> "$results"
    [ "$fail" -eq 0 ]
    exit $?
}
if ! command -v kcat > /dev/null 2>&1; then
    echo "kafka: skipped (kcat is not installed; Debian: apt-get install kcat)"
    exit 0
fi
if [ ! -x "$mock" ]; then
    bad "mock broker '$mock' is not an executable (make builds it from tests/kafka/mockbroker.c)"
    finish
fi

tmp=$(mktemp -d)
mock_pid=
helpers=
cleanup() {
    exec 7>&- 2> /dev/null
    for p in $mock_pid $helpers; do kill "$p" 2> /dev/null; done
    for p in $mock_pid $helpers; do wait "$p" 2> /dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

S=kafka-test-sensor
samples=$root/samples
many=$samples/many-calls.pcap.gz
MANY_CALLS=300   # samples/many-calls.truth.json: "calls": 300

# ---- helpers ----

# until COMMAND succeeds, at most SECONDS (tenths of a second apart); false on timeout
wait_until() {
    secs=$1; shift
    n=$((secs * 10))
    while [ "$n" -gt 0 ]; do
        "$@" && return 0
        sleep 0.1
        n=$((n - 1))
    done
    return 1
}
has_lines() { [ -s "$1" ] && [ "$(wc -l < "$1")" -ge "$2" ]; }

# Start the mock (arguments as mockbroker's); sets $B to its bootstrap list. One at a time:
# its stdin is a FIFO this shell holds open on fd 7, its stdout a file.
mock_start() {
    rm -f "$tmp/mock.in" "$tmp/mock.out"
    mkfifo "$tmp/mock.in"
    "$mock" "$@" < "$tmp/mock.in" > "$tmp/mock.out" 2> "$tmp/mock.err" &
    mock_pid=$!
    exec 7> "$tmp/mock.in"
    if ! wait_until 10 has_lines "$tmp/mock.out" 1; then
        bad "mock broker did not start: $(cat "$tmp/mock.err")"
        finish
    fi
    B=$(head -n 1 "$tmp/mock.out")
}
# One command to the mock; waits for its answer, which must be "ok".
mock_cmd() {
    n=$(wc -l < "$tmp/mock.out")
    echo "$*" >&7
    if wait_until 5 has_lines "$tmp/mock.out" $((n + 1)) \
        && [ "$(tail -n 1 "$tmp/mock.out")" = ok ]; then return 0; fi
    bad "mock broker: '$*' answered '$(tail -n 1 "$tmp/mock.out")'"
    return 1
}
mock_stop() {
    echo quit >&7 2> /dev/null
    exec 7>&-
    wait_until 5 eval '! kill -0 $mock_pid 2> /dev/null' || kill "$mock_pid" 2> /dev/null
    wait "$mock_pid" 2> /dev/null
    mock_pid=
}

# Every message of TOPIC, as kcat -J lines, into FILE.
consume() { # topic, file
    timeout -k 2 20 kcat -C -b "$B" -t "$1" -o beginning -e -J -q > "$2" 2> "$2.err" \
        || bad "kcat could not read topic $1 back: $(tail -n 3 "$2.err")"
}
# Counters from the sipscope-stats line of a stderr capture.
stat() { "$py" "$here/check.py" stat "$@"; }
is_num() { case $1 in '' | *[!0-9]*) return 1 ;; esac; }
is_pos() { is_num "$1" && [ "$1" -gt 0 ]; }
# stderr without the --stats line
other_stderr() { grep -v '^sipscope-stats ' "$1"; }

# ---- 1. every CDR of several samples, read back from the topic, field by field ----
mock_start --brokers 3 --partitions 4 --missing-topic absent
n=0
for s in basic-call.pcap busy.pcap cancelled.pcap many-calls.pcap.gz; do
    n=$((n + 1))
    t=cdr-$n
    d=$tmp/spool-$n
    "$bin" cdr -r "$samples/$s" --sensor-id "$S" > "$tmp/exp-$n" 2> "$tmp/exp-$n.err"; rc=$?
    want=$(wc -l < "$tmp/exp-$n")
    if [ $rc -ne 0 ] || [ "$want" -eq 0 ]; then
        bad "$s: sipscope cdr -r --sensor-id: exit $rc, $want CDRs: $(head -n 2 "$tmp/exp-$n.err")"
        continue
    fi
    timeout -k 2 60 "$bin" cdr -r "$samples/$s" --sensor-id "$S" --kafka "$B" --topic "$t" \
        --spool "$d" --stats > "$tmp/k-$n.out" 2> "$tmp/k-$n.err"; rc=$?
    [ $rc -eq 0 ] && [ ! -s "$tmp/k-$n.out" ] && ok \
        || bad "$s --kafka: exit $rc, $(wc -l < "$tmp/k-$n.out") lines on stdout: $(head -n 3 "$tmp/k-$n.err")"
    set -- $(stat "$tmp/k-$n.err" kafka_records kafka_delivered kafka_spool_left kafka_lost kafka_rejected)
    [ "$*" = "$want $want 0 0 0" ] && ok \
        || bad "$s --kafka: kafka_records kafka_delivered kafka_spool_left kafka_lost kafka_rejected = $*, expected $want $want 0 0 0"
    # a summary line is allowed; anything about the spool or losses is not, on a clean run
    [ "$(other_stderr "$tmp/k-$n.err" | wc -l)" -le 1 ] \
        && ! other_stderr "$tmp/k-$n.err" | grep -qi 'spool\|lost\|fail\|error' && ok \
        || bad "$s --kafka: a clean run printed on stderr: $(other_stderr "$tmp/k-$n.err" | head -n 3)"
    consume "$t" "$tmp/got-$n"
    # A fresh spool directory: sequences 1..N; a steady broker: no duplicates; and in order.
    if r=$("$py" "$here/check.py" compare --expected "$tmp/exp-$n" --kafka "$tmp/got-$n" \
            --sensor "$S" --fresh --ordered --no-dups); then ok
    else bad "$s: Kafka records against stdout:
$r"; fi
done

# ---- 2. the sequence goes on across runs (persisted in the spool directory) ----
timeout -k 2 60 "$bin" cdr -r "$samples/basic-call.pcap" --sensor-id "$S" --kafka "$B" \
    --topic cdr-1 --spool "$tmp/spool-1" > /dev/null 2> "$tmp/again.err"; rc=$?
consume cdr-1 "$tmp/again.got"
cat "$tmp/exp-1" "$tmp/exp-1" > "$tmp/again.exp"
if [ $rc -eq 0 ] && r=$("$py" "$here/check.py" compare --expected "$tmp/again.exp" \
        --kafka "$tmp/again.got" --sensor "$S" --fresh --ordered --no-dups); then ok
else bad "second run on the same spool (sequence must be 2): exit $rc $(head -n 2 "$tmp/again.err")
${r:-}"; fi

# ---- 3. the sensor id defaults to the host name (CDR "sensor".id and the header) ----
host=$(uname -n)
"$bin" cdr -r "$samples/basic-call.pcap" --sensor-id "$host" > "$tmp/host.exp" 2> /dev/null
timeout -k 2 60 "$bin" cdr -r "$samples/basic-call.pcap" --kafka "$B" --topic hostname \
    --spool "$tmp/spool-host" > /dev/null 2> "$tmp/host.err"; rc=$?
consume hostname "$tmp/host.got"
if [ $rc -eq 0 ] && r=$("$py" "$here/check.py" compare --expected "$tmp/host.exp" \
        --kafka "$tmp/host.got" --sensor "$host" --fresh --no-dups); then ok
else bad "no --sensor-id: the sensor id should be the host name '$host': exit $rc $(head -n 2 "$tmp/host.err")
${r:-}"; fi

# ---- 4. SIGINT while reading a FIFO whose writer idles: the open call is flushed as a CDR and
# delivered before the exit (its 32 s linger has not run out in packet time) ----
mkfifo "$tmp/intfifo"
# --foreground: otherwise timeout(1) sends the signal to sipscope twice (to it, then to its
# process group), and a second SIGINT ends sipscope at once, by design
timeout --foreground -k 2 30 "$bin" cdr -r "$tmp/intfifo" --sensor-id "$S" --kafka "$B" --topic sigint \
    --spool "$tmp/spool-int" --stats > "$tmp/int.out" 2> "$tmp/int.err" &
int_pid=$!
{ : > "$tmp/int.opened"; cat "$samples/basic-call.pcap"; exec sleep 30; } > "$tmp/intfifo" &
writer_pid=$!
helpers="$int_pid $writer_pid"
wait_until 10 test -e "$tmp/int.opened" && sleep 1
kill -INT "$int_pid"           # timeout(1) passes it on
wait "$int_pid"; rc=$?
kill "$writer_pid" 2> /dev/null
wait "$writer_pid" 2> /dev/null
helpers=
consume sigint "$tmp/int.got"
if [ $rc -eq 0 ] && r=$("$py" "$here/check.py" compare --expected "$tmp/exp-1" --kafka "$tmp/int.got" \
        --sensor "$S" --fresh --no-dups); then ok
else bad "SIGINT with --kafka: exit $rc (124/137: did not end), $(other_stderr "$tmp/int.err" | head -n 3)
${r:-}"; fi

# ---- 5. usage errors: exit 2, exactly one line on stderr naming the culprit, nothing on stdout ----
usage() { # what the line must mention, then sipscope cdr's arguments
    what=$1; shift
    timeout -k 2 30 "$bin" cdr -r "$samples/basic-call.pcap" "$@" > "$tmp/u.out" 2> "$tmp/u.err"; rc=$?
    lines=$(wc -l < "$tmp/u.err")
    if [ $rc -eq 2 ] && [ "$lines" -eq 1 ] && [ ! -s "$tmp/u.out" ] \
        && grep -q "^sipscope: .*$what" "$tmp/u.err"; then ok
    else bad "cdr $*: exit $rc, $lines stderr lines (want 2 and one line starting 'sipscope: ' naming '$what'): $(head -n 3 "$tmp/u.err")"; fi
}
usage "nosuch\.invalid" --kafka nosuch.invalid:9092 --topic t --spool "$tmp/spool-u1"
usage "no\.such\.property" --kafka "$B" --topic t --spool "$tmp/spool-u2" -X no.such.property=1
usage "acks" --kafka "$B" --topic t --spool "$tmp/spool-u3" -X acks=banana
usage "linger\.ms" --kafka "$B" --topic t --spool "$tmp/spool-u4" -X linger.ms
usage "absent" --kafka "$B" --topic absent --spool "$tmp/spool-u5"
usage "--topic" --kafka "$B" --spool "$tmp/spool-u6"
# An input that cannot be read is reported at once, in one line, as without --kafka: before any
# attempt to reach the cluster (which may take --kafka-timeout) and without creating the spool.
for broker in "$B" 127.0.0.1:1; do
    for input in "$tmp/no-such.pcap" "$root/README.md"; do
        start=$(date +%s)
        timeout -k 2 30 "$bin" cdr -r "$input" --kafka "$broker" --topic t --spool "$tmp/spool-in" \
            --kafka-timeout 5 > "$tmp/u.out" 2> "$tmp/u.err"; rc=$?
        took=$(($(date +%s) - start))
        lines=$(wc -l < "$tmp/u.err")
        if [ $rc -eq 2 ] && [ "$lines" -eq 1 ] && [ ! -s "$tmp/u.out" ] && [ "$took" -lt 3 ] \
            && grep -q "^sipscope: cannot read '$input'" "$tmp/u.err"; then ok
        else bad "cdr -r $input --kafka $broker: exit $rc after $took s, $lines stderr lines (want 2, at once, one line 'sipscope: cannot read ...'): $(head -n 4 "$tmp/u.err" | tr '\n' '|')"; fi
        [ ! -e "$tmp/spool-in" ] && ok \
            || bad "cdr -r $input --kafka $broker: the input cannot be read, yet the spool was created: $(ls "$tmp/spool-in" | tr '\n' ' ')"
        rm -rf "$tmp/spool-in"
    done
done
# the missing topic must not have been created by asking for it
[ $rc -eq 2 ] && kcat -L -b "$B" -t absent 2>&1 | grep -q 'topic "absent" with 0 partitions' && ok \
    || bad "topic 'absent' exists now: $(kcat -L -b "$B" -t absent 2>&1 | head -n 6)"

# ---- 6. -X reaches librdkafka ----
timeout -k 2 60 "$bin" cdr -r "$samples/basic-call.pcap" --sensor-id "$S" --kafka "$B" --topic xprop \
    --spool "$tmp/spool-x1" --stats -X client.id=foo -X linger.ms=5 > /dev/null 2> "$tmp/x1.err"; rc=$?
consume xprop "$tmp/x1.got"
if [ $rc -eq 0 ] && [ "$(stat "$tmp/x1.err" kafka_delivered)" = 1 ] \
    && r=$("$py" "$here/check.py" compare --expected "$tmp/exp-1" --kafka "$tmp/x1.got" \
        --sensor "$S" --fresh --no-dups); then ok
else bad "-X client.id=foo -X linger.ms=5: exit $rc, $(head -n 3 "$tmp/x1.err")
${r:-}"; fi
# A property that changes the outcome: message.max.bytes below the size of the CDR (about 2.5 KB)
# makes librdkafka refuse it: counted as rejected, never delivered, not a usage error.
timeout -k 2 60 "$bin" cdr -r "$samples/basic-call.pcap" --sensor-id "$S" --kafka "$B" --topic xsmall \
    --spool "$tmp/spool-x2" --stats -X message.max.bytes=1000 > /dev/null 2> "$tmp/x2.err"; rc=$?
consume xsmall "$tmp/x2.got"
set -- $(stat "$tmp/x2.err" kafka_delivered kafka_rejected)
[ "$*" = "0 1" ] && [ ! -s "$tmp/x2.got" ] && [ $rc -ne 2 ] && ok \
    || bad "-X message.max.bytes=1000: exit $rc, delivered rejected = $*, $(wc -l < "$tmp/x2.got") messages on the topic; expected 0 1 and none"
mock_stop

# ---- 7. broker outage in the middle of a run ----
# The capture goes through a FIFO in 3 parts; the brokers go down after the first and come back
# after the second. --linger 1: a call's CDR comes 1 s of packet time after its end, so CDRs are
# made all along (the default, 32 s, is longer than the whole capture). --kafka-queue 5: beyond 5
# CDRs waiting for acknowledgement, new ones go to the spool.
mock_start --partitions 4 --topic outage
"$bin" cdr --linger 1 -r "$many" --sensor-id "$S" > "$tmp/out.exp" 2> /dev/null
mkdir "$tmp/sync"
mkfifo "$tmp/fifo"
timeout -k 2 60 "$bin" cdr --linger 1 -r "$tmp/fifo" --sensor-id "$S" --kafka "$B" --topic outage \
    --spool "$tmp/spool-out" --kafka-queue 5 --kafka-timeout 30 --stats \
    > "$tmp/out.out" 2> "$tmp/out.err" &
sip_pid=$!
"$py" "$here/feed.py" "$many" "$tmp/fifo" --parts 3 --sync "$tmp/sync" --timeout 30 2> "$tmp/feed.err" &
feed_pid=$!
helpers="$sip_pid $feed_pid"
step_ok=true
# part I written, or sipscope already gone (then the step fails at once)
fed() { [ -e "$tmp/sync/fed-$1" ] || ! kill -0 "$sip_pid" 2> /dev/null; }
wait_until 30 fed 1 && [ -e "$tmp/sync/fed-1" ] \
    || { step_ok=false; bad "outage: part 1 not written: $(cat "$tmp/feed.err")"; }
$step_ok && sleep 1.5            # the first part's CDRs go out while the brokers are up
$step_ok && { mock_cmd "down all" || step_ok=false; }
touch "$tmp/sync/go-1"
$step_ok && { wait_until 30 fed 2 && [ -e "$tmp/sync/fed-2" ] \
    || { step_ok=false; bad "outage: part 2 not written: $(cat "$tmp/feed.err")"; }; }
$step_ok && sleep 2              # CDRs made while down: memory (5), then the spool
$step_ok && { mock_cmd "up all" || step_ok=false; }
touch "$tmp/sync/go-2"
$step_ok || kill "$feed_pid" "$sip_pid" 2> /dev/null
wait "$feed_pid"; frc=$?
wait "$sip_pid"; rc=$?
helpers=
$step_ok && [ $frc -eq 0 ] && [ $rc -eq 0 ] && [ ! -s "$tmp/out.out" ] && ok \
    || bad "outage: sipscope exit $rc (124: still running after 60 s), feeder exit $frc: $(other_stderr "$tmp/out.err" | head -n 5) $(cat "$tmp/feed.err")"
set -- $(stat "$tmp/out.err" kafka_records kafka_spooled kafka_spool_sent kafka_spool_left kafka_lost kafka_rejected)
if [ "$*" = "$MANY_CALLS ${2:-} ${2:-} 0 0 0" ] && is_pos "${2:-}"; then ok
else bad "outage: kafka_records kafka_spooled kafka_spool_sent kafka_spool_left kafka_lost kafka_rejected = $*; expected $MANY_CALLS, >0, the same, 0 0 0"; fi
consume outage "$tmp/out.got"
if r=$("$py" "$here/check.py" compare --expected "$tmp/out.exp" --kafka "$tmp/out.got" \
        --sensor "$S" --fresh); then ok
else bad "outage: Kafka records against stdout:
$r"; fi
is_num "$(stat "$tmp/out.err" kafka_spooled)" && echo "kafka: outage: $(stat "$tmp/out.err" kafka_spooled) CDRs went through the spool; $(echo "$r" | tail -n 1 | sed 's/^[a-z]*: //') (what a consumer drops by sensor id and sequence)"
mock_stop

# ---- 8. no broker at all, then the next run sends the spool ----
# 127.0.0.1:1: nothing listens there. The spool is gzip-compressed in 16 KiB segments (compressed size: 300 CDRs make about 53 KB).
timeout -k 2 60 "$bin" cdr -r "$many" --sensor-id "$S" --kafka 127.0.0.1:1 --topic later \
    --spool "$tmp/spool-later" --spool-gzip --spool-segment 16K --kafka-timeout 1 --stats \
    > "$tmp/l1.out" 2> "$tmp/l1.err"; rc=$?
[ $rc -eq 0 ] && [ ! -s "$tmp/l1.out" ] && ok || bad "no broker: exit $rc: $(head -n 3 "$tmp/l1.err")"
other_stderr "$tmp/l1.err" | grep -qi 'spool' && ok \
    || bad "no broker: stderr does not say the CDRs were left in the spool: $(head -n 3 "$tmp/l1.err")"
[ "$(other_stderr "$tmp/l1.err" | wc -l)" -le 5 ] && ok \
    || bad "no broker: $(other_stderr "$tmp/l1.err" | wc -l) lines on stderr (librdkafka's retries should not reach the user line by line): $(head -n 3 "$tmp/l1.err")"
set -- $(stat "$tmp/l1.err" kafka_records kafka_delivered kafka_spooled kafka_spool_left kafka_lost)
[ "$*" = "$MANY_CALLS 0 $MANY_CALLS $MANY_CALLS 0" ] && ok \
    || bad "no broker: kafka_records kafka_delivered kafka_spooled kafka_spool_left kafka_lost = $*, expected $MANY_CALLS 0 $MANY_CALLS $MANY_CALLS 0"
segs=$(ls "$tmp/spool-later" 2> /dev/null | grep -c '\.seg\.gz$')
[ "$segs" -ge 2 ] && ok || bad "no broker: $segs gzip segments in the spool (16K gzip segments of about 53 KB: want several): $(ls "$tmp/spool-later" 2>&1 | head -n 5)"
# the spool remembers its topic: another topic on it is a usage error, and it is left alone
usage "later" --kafka 127.0.0.1:1 --topic other --spool "$tmp/spool-later" --kafka-timeout 1
# one process per spool: a second sipscope on a spool in use is refused
# (the first reads a FIFO whose writer sends one call and then idles; lock.opened appears once
# sipscope has the FIFO open, spool-lock/lock once it holds the spool)
mkfifo "$tmp/lockfifo"
timeout -k 2 30 "$bin" cdr -r "$tmp/lockfifo" --kafka 127.0.0.1:1 --topic lock --spool "$tmp/spool-lock" \
    --kafka-timeout 1 --stats > /dev/null 2> "$tmp/lock1.err" &
lock_pid=$!
{ : > "$tmp/lock.opened"; cat "$samples/basic-call.pcap"; exec sleep 30; } > "$tmp/lockfifo" &
writer_pid=$!
helpers="$lock_pid $writer_pid"
if wait_until 10 test -e "$tmp/spool-lock/lock" && wait_until 10 test -e "$tmp/lock.opened"; then
    usage "in use" --kafka 127.0.0.1:1 --topic lock --spool "$tmp/spool-lock" --kafka-timeout 1
else
    bad "spool lock: the first sipscope never locked '$tmp/spool-lock': $(head -n 3 "$tmp/lock1.err")"
fi
kill "$writer_pid" 2> /dev/null
wait "$writer_pid" 2> /dev/null
wait "$lock_pid"; rc=$?
helpers=
[ $rc -eq 0 ] && [ "$(stat "$tmp/lock1.err" kafka_spooled)" = 1 ] && ok \
    || bad "spool lock: the first sipscope (its input ended) exit $rc, kafka_spooled $(stat "$tmp/lock1.err" kafka_spooled) (want 0 and 1): $(head -n 3 "$tmp/lock1.err")"

mock_start --partitions 4 --topic later
# a capture without calls: only the spool is sent, under the sensor id it was made with
"$bin" cdr -r "$many" --sensor-id "$S" > "$tmp/l.exp" 2> /dev/null
timeout -k 2 60 "$bin" cdr -r "$samples/register-options.pcap" --sensor-id other-sensor \
    --kafka "$B" --topic later --spool "$tmp/spool-later" --stats > "$tmp/l2.out" 2> "$tmp/l2.err"; rc=$?
[ $rc -eq 0 ] && [ ! -s "$tmp/l2.out" ] && ok || bad "spool resend: exit $rc: $(head -n 3 "$tmp/l2.err")"
set -- $(stat "$tmp/l2.err" kafka_records kafka_spool_found kafka_spool_sent kafka_delivered kafka_spool_left kafka_lost)
[ "$*" = "0 $MANY_CALLS $MANY_CALLS $MANY_CALLS 0 0" ] && ok \
    || bad "spool resend: kafka_records kafka_spool_found kafka_spool_sent kafka_delivered kafka_spool_left kafka_lost = $*, expected 0 $MANY_CALLS $MANY_CALLS $MANY_CALLS 0 0"
left=$(ls "$tmp/spool-later" 2> /dev/null | grep -c '\.seg')
[ $rc -eq 0 ] && [ "$left" -eq 0 ] && ok || bad "spool resend: $left segment files still in the spool: $(ls "$tmp/spool-later" | head -n 5)"
consume later "$tmp/l.got"
if r=$("$py" "$here/check.py" compare --expected "$tmp/l.exp" --kafka "$tmp/l.got" \
        --sensor "$S" --fresh --ordered --no-dups); then ok
else bad "spool resend: Kafka records against the first run's CDRs:
$r"; fi
mock_stop

# ---- 9. a spool too small: what cannot be kept is lost, counted, said, and the exit status is 1 ----
timeout -k 2 60 "$bin" cdr -r "$many" --sensor-id "$S" --kafka 127.0.0.1:1 --topic cap \
    --spool "$tmp/spool-cap" --spool-max 8K --kafka-timeout 1 --stats \
    > "$tmp/c.out" 2> "$tmp/c.err"; rc=$?
set -- $(stat "$tmp/c.err" kafka_records kafka_delivered kafka_spooled kafka_lost)
if [ $rc -eq 1 ] && [ "${1:-}" = "$MANY_CALLS" ] && [ "${2:-}" = 0 ] && is_num "${3:-}" \
    && is_pos "${4:-}" && [ $(($3 + $4)) -eq "$MANY_CALLS" ]; then ok
else bad "--spool-max 8K, no broker: exit $rc, kafka_records kafka_delivered kafka_spooled kafka_lost = $*; expected exit 1, $MANY_CALLS 0, spooled + lost = $MANY_CALLS, lost > 0"; fi
other_stderr "$tmp/c.err" | grep -qi 'lost' && ok \
    || bad "--spool-max 8K: stderr does not report lost CDRs: $(head -n 3 "$tmp/c.err")"
spool_bytes=$(cat "$tmp"/spool-cap/*.seg* 2> /dev/null | wc -c)
[ $rc -eq 1 ] && [ "$spool_bytes" -le 8192 ] && ok || bad "--spool-max 8K: $spool_bytes bytes of segments on disk"

finish
