#!/bin/sh
# make bench, Kafka part: `sipscope cdr -r FILE --kafka` into librdkafka's mock cluster
# (tests/kafka/mockbroker.c, loopback) on a generated SIP-heavy capture of many short calls,
# beside the same run writing its CDRs to /dev/null: CDRs per second (acknowledged / wall time),
# CPU seconds and peak RSS, from wait4 (tests/bench/cputime.c, to the microsecond). The capture
# and the spool go to a temporary folder and are deleted. The mock keeps about 5 MiB per partition (older data is dropped: see
# tests/kafka/mockbroker.c), so the topic gets enough partitions for the CDRs to stay under it;
# nothing is read back, acknowledgements are what is counted.
# Usage: tests/bench/kafka.sh /abs/path/sipscope /abs/path/mockbroker
#        (BENCH_KAFKA_CALLS, BENCH_KAFKA_PARTITIONS override the sizes)
set -eu
bin=$1
mock=$2
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
gen=$top/../shared/tools/gen_bench_pcap.py
calls=${BENCH_KAFKA_CALLS:-20000}
partitions=${BENCH_KAFKA_PARTITIONS:-32}
if [ ! -f "$gen" ]; then
    echo "bench kafka: skipped ($gen not found: ../shared is needed to generate the capture)"
    exit 0
fi
[ -x "$mock" ] || { echo "bench kafka: mock broker '$mock' not found (make builds it)"; exit 1; }

tmp=$(mktemp -d)
mock_pid=
cleanup() {
    exec 7>&- 2> /dev/null || true
    [ -z "$mock_pid" ] || { kill "$mock_pid" 2> /dev/null || true; wait "$mock_pid" 2> /dev/null || true; }
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cc -O2 -std=c11 -D_DEFAULT_SOURCE -o "$tmp/cputime" "$here/cputime.c"
/usr/bin/python3 "$gen" -o "$tmp/short.pcap" --no-per-call --calls "$calls" --duration 0.1 \
    --concurrency 200 > /dev/null 2> "$tmp/gen.err" || { echo "bench kafka: $gen failed:"; cat "$tmp/gen.err"; exit 1; }
cat "$tmp/short.pcap" > /dev/null   # page cache: both runs read from memory

mkfifo "$tmp/mock.in"
"$mock" --partitions "$partitions" --topic bench < "$tmp/mock.in" > "$tmp/mock.out" 2> "$tmp/mock.err" &
mock_pid=$!
exec 7> "$tmp/mock.in"
n=0
while [ ! -s "$tmp/mock.out" ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
B=$(head -n 1 "$tmp/mock.out")
[ -n "$B" ] || { echo "bench kafka: the mock broker did not start: $(cat "$tmp/mock.err")"; exit 1; }

measure() { # label, command...: "user sys wall maxrss_kib" into $tmp/LABEL.time, stderr into $tmp/LABEL.err
    label=$1; shift
    if ! timeout 600 "$tmp/cputime" "$tmp/$label.time" "$@" > /dev/null 2> "$tmp/$label.err"; then
        echo "bench kafka: $label failed:"; grep -v '^sipscope-stats ' "$tmp/$label.err" | head -n 5
        exit 1
    fi
}
counter() { # stderr file, name
    /usr/bin/python3 -c 'import json,sys
for l in open(sys.argv[1]):
    if l.startswith("sipscope-stats "): print(json.loads(l[15:]).get(sys.argv[2], "missing")); break
else: print("missing")' "$1" "$2"
}

# --kafka-timeout is how long the exit may wait for the last acknowledgements (not a sleep)
measure kafka "$bin" cdr -r "$tmp/short.pcap" --kafka "$B" --topic bench \
    --spool "$tmp/spool" --kafka-timeout 60 --stats
measure file "$bin" cdr -r "$tmp/short.pcap" -o /dev/null --stats

records=$(counter "$tmp/kafka.err" kafka_records)
delivered=$(counter "$tmp/kafka.err" kafka_delivered)
spooled=$(counter "$tmp/kafka.err" kafka_spooled)
lost=$(counter "$tmp/kafka.err" kafka_lost)
file_records=$(counter "$tmp/file.err" calls)   # kafka_records counts Kafka hand-overs only; one CDR per call
bytes=$(stat -c %s "$tmp/short.pcap")

echo "sipscope bench kafka ($(date -u +%Y-%m-%d), $(nproc) cores; mock cluster, 1 broker, $partitions partitions; times from wait4)"
read -r ku ks ke km < "$tmp/kafka.time"
read -r fu fs fe fm < "$tmp/file.time"
awk -v calls="$calls" -v bytes="$bytes" -v rec="$records" -v del="$delivered" -v sp="$spooled" \
    -v lost="$lost" -v frec="$file_records" \
    -v ku="$ku" -v ks="$ks" -v ke="$ke" -v km="$km" -v fu="$fu" -v fs="$fs" -v fe="$fe" -v fm="$fm" 'BEGIN {
    if (ke < 0.001) ke = 0.001; if (fe < 0.001) fe = 0.001;
    kc = ku + ks; fc = fu + fs; if (fc < 0.001) fc = 0.001;
    printf "short-calls  %d calls, %.1f MB | --kafka: %d CDRs, %d acknowledged (%d via the spool, %d lost), %6.3f s wall, %6.3f s cpu, %8.0f CDRs/s, peak RSS %6.1f MiB\n",
        calls, bytes / 1e6, rec, del, sp, lost, ke, kc, del / ke, km / 1024
    printf "short-calls  -o /dev/null: %d CDRs, %6.3f s wall, %6.3f s cpu, %8.0f CDRs/s, peak RSS %6.1f MiB | Kafka costs x%.2f the cpu of writing a file\n",
        frec, fe, fc, frec / fe, fm / 1024, kc / fc
}'
if [ "$delivered" != "$records" ] || [ "$lost" != 0 ]; then
    echo "bench kafka: only $delivered of $records CDRs were acknowledged ($lost lost)"
    exit 1
fi
