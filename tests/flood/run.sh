#!/bin/sh
# Floods (issue 7): an INVITE flood of distinct Call-IDs, a REGISTER storm, RTP to ports no SDP
# announced, IP fragments that never complete, TCP streams that never close; each with four
# real calls interleaved (tests/flood/gen_flood.py). `sipscope cdr -r` must keep memory capped
# (peak RSS, /usr/bin/time %M, the same at N and 4N), evict and count (--stats counters of
# decoders/stats.def), report every call it counted, and still report the real calls completed
# with both their streams whole (tests/flood/check.py). Then memory with legitimate calls: flat
# peak RSS for ten times the calls at the same concurrency, and the cost of one call held.
#   run.sh BIN              small tables, N = FLOOD_N (default 2000) and 4N: a few seconds
#   FLOOD_BIG=1 run.sh BIN  also the INVITE flood at default table sizes: 250,000 and 1,000,000
#                           Call-IDs (FLOOD_BIG_N sets the smaller), with RSS and time reported
# Prints "flood: N passed, M failed" and appends "flood N M" to $RESULTS.
set -u
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
results=${RESULTS:-$root/build/results.txt}
n=${FLOOD_N:-2000}
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL flood: $*"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Peak RSS at 4N may exceed that at N by this much at most (KiB): the tables are full at N already.
RSS_SLACK_KB=1024
# MEDIA_MAX_STREAMS_PER_CALL (decoders/media.h): RTP injected at a call's port adds at most this.
STREAMS_PER_CALL=$(sed -n 's/^#define MEDIA_MAX_STREAMS_PER_CALL \([0-9]*\).*/\1/p' "$root/decoders/media.h")
STREAMS_PER_CALL=${STREAMS_PER_CALL:-32}

# Tally check.py's verdict lines.
tally() {
    while IFS= read -r line; do
        case $line in
            ok\ *) ok ;;
            FAIL\ *) bad "${line#FAIL }" ;;
            *) bad "check.py said: $line" ;;
        esac
    done < "$1"
}

# run LABEL PCAP OPTIONS... -- CHECK-ARGS...: sipscope cdr over PCAP, then check.py on its output.
run() {
    label=$1 pcap=$2; shift 2
    opts=
    while [ $# -gt 0 ] && [ "$1" != -- ]; do opts="$opts $1"; shift; done
    [ $# -gt 0 ] && shift
    # shellcheck disable=SC2086
    /usr/bin/time -f "%M %e" -o "$tmp/$label.time" "$bin" cdr -r "$pcap" --stats $opts \
        > "$tmp/$label.cdr" 2> "$tmp/$label.err"
    rc=$?
    [ $rc -eq 0 ] && ok || bad "$label: sipscope exit status $rc: $(grep -v '^sipscope-stats' "$tmp/$label.err" | head -3)"
    python3 "$here/check.py" "$label" "$pcap.truth.json" "$tmp/$label.cdr" "$tmp/$label.err" \
        --zero drop_ring --all-reported "$@" > "$tmp/$label.verdict" 2>&1
    tally "$tmp/$label.verdict"
    # the last line: a run killed by a signal gets "Command terminated by signal N" before it
    set -- $(tail -n 1 "$tmp/$label.time")
    rss=${1:-0} secs=${2:-?}
    eval "rss_$label=\$rss"
    printf '  %-22s %8s packets  peak RSS %7s KiB  %6s s\n' "$label" \
        "$(grep -o '"packets": [0-9]*' "$pcap.truth.json" | head -1 | cut -d' ' -f2)" \
        "$rss" "$secs"
}

# flat LABEL_N LABEL_4N: the peak RSS does not grow with the flood.
flat() {
    eval "a=\${rss_$1:-} b=\${rss_$2:-}"
    [ -n "$a" ] && [ -n "$b" ] && [ "$b" -le $((a + a / 20 + RSS_SLACK_KB)) ] && ok \
        || bad "peak RSS grows with the flood: $1 ${a:-?} KiB, $2 ${b:-?} KiB"
}

for size in $n $((4 * n)); do
    mkdir -p "$tmp/$size"
    python3 "$here/gen_flood.py" --kind all -n "$size" -d "$tmp/$size" 2> "$tmp/gen.err" \
        || { bad "gen_flood.py -n $size: $(cat "$tmp/gen.err")"; echo "flood: $pass passed, $fail failed"; echo "flood $pass $fail" >> "$results"; exit 1; }
done

echo "flood: small tables, N=$n and 4N=$((4 * n))"
ring="--ring-mb 1"
for size in $n $((4 * n)); do
    s=$size
    [ "$size" = "$n" ] && t=n || t=4n
    # An INVITE's signature lives in its call (call_seen_check), so the flood is bounded by the
    # call table alone and never reaches the small transaction table.
    run invite_$t "$tmp/$s/invite.pcap" $ring --max-calls 256 --max-txns 512 --max-msgs 2048 \
        --max-endpoints 300 -- --evicted calls_evicted --zero txn_evicted \
        --evicted media_endpoints_dropped
    run register_$t "$tmp/$s/register.pcap" $ring --max-regs 256 --max-txns 512 \
        -- --evicted reg_evicted --evicted txn_evicted
    run rtp_$t "$tmp/$s/rtp.pcap" $ring --max-streams 64 --max-flows 64 \
        -- --evicted streams_evicted --evicted flow_evicted --streams-up-to $STREAMS_PER_CALL
    run frag_$t "$tmp/$s/frag.pcap" $ring --max-frags 16 \
        -- --evicted frag_evicted --evicted frag_reassembled
    run tcp_$t "$tmp/$s/tcp.pcap" $ring --max-tcp-streams 64 \
        -- --evicted tcp_evicted --evicted tcp_streams
done
for k in invite register rtp frag tcp; do flat ${k}_n ${k}_4n; done

echo "flood: default table sizes, 4N=$((4 * n))"
s=$((4 * n))
run invite_default "$tmp/$s/invite.pcap" --
run register_default "$tmp/$s/register.pcap" --
run rtp_default "$tmp/$s/rtp.pcap" -- --evicted streams_evicted --streams-up-to $STREAMS_PER_CALL
run frag_default "$tmp/$s/frag.pcap" -- --evicted frag_evicted
run tcp_default "$tmp/$s/tcp.pcap" -- --evicted tcp_evicted

echo "memory: legitimate calls (7 SIP messages, two streams of 10 packets each)"
calls() { # NAME N CONCURRENCY
    python3 "$here/gen_flood.py" --kind calls -n "$2" --concurrency "$3" -o "$tmp/$1.pcap" \
        2> "$tmp/gen.err" || bad "gen_flood.py --kind calls -n $2: $(cat "$tmp/gen.err")"
}
# The same calls in the table, ten times the packets: flat. --linger 1: an ended call leaves the
# table 1 s of packet time after its end instead of 32 (RFC 3261 Timer D/J), so these short
# captures (4 s and 40 s) reach the steady state.
mem_n=${FLOOD_MEM_N:-200}
calls calls_1x "$mem_n" 100
calls calls_10x $((10 * mem_n)) 100
run calls_1x "$tmp/calls_1x.pcap" --ring-mb 1 --linger 1 -- --summary
run calls_10x "$tmp/calls_10x.pcap" --ring-mb 1 --linger 1 -- --summary
flat calls_1x calls_10x
# What one call held costs (its record, ladder entries, streams, endpoints, transactions): a
# capture shorter than the linger (32 s) still holds every call at its end, so the growth of the
# peak RSS from 500 to 2000 calls, over 1500. Issue 7 asks for 2 KiB; this guards against worse
# than HELD_MAX_BYTES and reports the figure.
HELD_MAX_BYTES=6144
calls held_1 500 500
calls held_4 2000 2000
run held_1 "$tmp/held_1.pcap" --ring-mb 1 -- --summary
run held_4 "$tmp/held_4.pcap" --ring-mb 1 -- --summary
if [ -n "${rss_held_1:-}" ] && [ -n "${rss_held_4:-}" ]; then
    per=$(( (rss_held_4 - rss_held_1) * 1024 / 1500 ))
    echo "  memory per call held: $per bytes (peak RSS $rss_held_1 KiB at 500 calls, $rss_held_4 KiB at 2000)"
    [ "$per" -le $HELD_MAX_BYTES ] && ok || bad "a call held costs $per bytes, above $HELD_MAX_BYTES"
fi

if [ "${FLOOD_BIG:-0}" = 1 ]; then
    # The INVITE flood at default sizes: the call table (65536) is full long before the end, so
    # the second flood only evicts more. CDRs go through a pipe (a million lines): not to disk.
    big=${FLOOD_BIG_N:-250000}
    echo "flood: INVITE flood at default table sizes, $big and $((4 * big)) Call-IDs"
    for size in $big $((4 * big)); do
        [ "$size" = "$big" ] && t=n || t=4n
        pcap=$tmp/big-$size.pcap
        python3 "$here/gen_flood.py" --kind invite -n "$size" -o "$pcap" 2> "$tmp/gen.err" \
            || bad "gen_flood.py -n $size: $(cat "$tmp/gen.err")"
        /usr/bin/time -f "%M %e %U %S" -o "$tmp/big_$t.time" "$bin" cdr -r "$pcap" --stats \
            2> "$tmp/big_$t.err" \
            | python3 "$here/check.py" big_$t "$pcap.truth.json" - "$tmp/big_$t.err" \
                --zero drop_ring --all-reported --evicted calls_evicted > "$tmp/big_$t.verdict" 2>&1
        tally "$tmp/big_$t.verdict"
        set -- $(tail -n 1 "$tmp/big_$t.time")
        rss=${1:-0} secs=${2:-?} user=${3:-?} sys=${4:-?}
        eval "rss_big_$t=\$rss"
        ev=$(sed -n 's/^sipscope-stats .*"calls_evicted":\([0-9]*\).*/\1/p' "$tmp/big_$t.err")
        printf '  invite %8s Call-IDs  peak RSS %7s KiB  %6s s (user %s, sys %s)  calls_evicted %s\n' \
            "$size" "$rss" "$secs" "$user" "$sys" "$ev"
        rm -f "$pcap"
    done
    flat big_n big_4n
fi

echo "flood: $pass passed, $fail failed"
echo "flood $pass $fail" >> "$results"
[ "$fail" -eq 0 ]
