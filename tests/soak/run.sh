#!/bin/sh
# Live soak on loopback: sipp places calls with RTP both ways (tests/soak/uac.xml: the caller
# streams A-law; sipp's built-in uas echoes every packet back) while
# `sipscope cdr -i lo` runs. Every call sipp completed must have its CDR (completed, 200, two
# streams carrying the RTP sent), and the capture must drop nothing: kernel and ring
# drops 0 at this rate. Needs root (capture on lo) and sipp (Debian package sip-tester); skipped
# without them.
# Usage: tests/soak/run.sh /abs/path/sipscope [SECONDS [CALLS_PER_SECOND]]
#   make test runs 30 s at 10 calls/s (60 calls up at once); make soak runs 180 s.
# Prints "soak: N passed, M failed" and appends "soak N M" to $RESULTS.
set -u
bin=$1
secs=${2:-30}
rate=${3:-10}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
results=${RESULTS:-$root/build/results.txt}
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL soak: $*"; }
finish() {
    echo "soak: $pass passed, $fail failed"
    echo "soak $pass $fail" >> "$results"
    [ "$fail" -eq 0 ]
    exit $?
}
if [ "$(id -u)" -ne 0 ]; then echo "soak: skipped (capture on lo needs root)"; exit 0; fi
if ! command -v sipp > /dev/null 2>&1; then echo "soak: skipped (sipp is not installed; Debian: sip-tester)"; exit 0; fi

tmp=$(mktemp -d)
uas=; sc=
cleanup() {
    for p in $uas $sc; do kill "$p" 2> /dev/null; done
    for p in $uas $sc; do wait "$p" 2> /dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
calls=$((secs * rate))
# 16 s of A-law audio (a 0xD5/0x55 pattern), looped by sipp for the 6 s each call talks
python3 -c 'import sys; sys.stdout.buffer.write(bytes([0xD5, 0x55]) * 64000)' > "$tmp/tone.al"
sed "s|RTP_FILE|$tmp/tone.al|" "$here/uac.xml" > "$tmp/uac.xml"

sipp -sn uas -i 127.0.0.1 -p 5070 -mi 127.0.0.1 -mp 16000 -rtp_echo -nostdin > "$tmp/uas.out" 2>&1 &
uas=$!
"$bin" cdr -i lo -o "$tmp/cdr.json" --stats udp > /dev/null 2> "$tmp/sc.err" &
sc=$!
sleep 1
# the calls take secs + 6 s of talk + set-up; sipp exits 0 when every call succeeded
timeout $((secs + 60)) sipp 127.0.0.1:5070 -sf "$tmp/uac.xml" -i 127.0.0.1 -p 5061 -mi 127.0.0.1 \
    -m "$calls" -r "$rate" -l $((rate * 10)) -nostdin > "$tmp/uac.out" 2>&1; rc=$?
[ $rc -eq 0 ] && ok || bad "sipp placed $calls calls and exited $rc: $(tail -5 "$tmp/uac.out")"
sleep 1
kill -INT $sc
wait $sc; src=$?
sc=
[ $src -eq 0 ] && ok || bad "sipscope exited $src after SIGINT: $(tail -3 "$tmp/sc.err")"
python3 - "$tmp/cdr.json" "$tmp/sc.err" "$calls" <<'PY' > "$tmp/check.out"
import json, re, sys
cdrs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
calls = int(sys.argv[3])
stats = {}
for line in open(sys.argv[2]):
    if line.startswith("sipscope-stats "):
        stats = json.loads(line[len("sipscope-stats "):])
def check(ok, what):
    print(("ok " if ok else "bad ") + what)
check(len(cdrs) == calls, "%d CDRs for %d calls" % (len(cdrs), calls))
done = [c for c in cdrs if c["state"] == "completed" and c["final_code"] == 200]
check(len(done) == calls, "%d of %d CDRs completed with 200" % (len(done), calls))
# ~300 packets each way per call; sipp itself may lose a few on a loaded machine (its echo is
# a UDP socket), which is network loss as sipscope measures it, not capture loss.
# Every call's RTP uses the same addresses (sipp's [rtpstream_audio_port] is 6000 for every
# call, its uas echoes from 16000), so only the SSRC and the time tell streams apart. On a
# loaded machine sipp bunches calls, and a call's RTP can start after the next call's SDP was
# seen: the stream goes to the oldest call still waiting for one in its direction (media.c,
# ep_claim), not to the newest announcement. So every call has exactly two streams.
streams = [s for c in cdrs for s in c["streams"]]
full = [s for s in streams if s["packets"] >= 200 and s["origin"] == "sdp"]
check(len(streams) == 2 * calls and len(full) == len(streams),
      "%d streams for %d calls, %d with >= 200 packets bound by SDP" % (len(streams), calls, len(full)))
good = [c for c in cdrs if len(c["streams"]) == 2 and all(s["packets"] >= 200 for s in c["streams"])]
check(len(good) == calls, "%d of %d calls have both RTP streams (>= 200 packets each)" % (len(good), calls))
lossy = sum(1 for c in cdrs for s in c["streams"] if s["lost"] != 0)
print("info streams with loss reported by sipscope: %d (sipp's own)" % lossy)
check(len({c["call_id"] for c in cdrs}) == len(cdrs), "every Call-ID once")
check(stats.get("drop_kernel") == 0 and stats.get("drop_ring") == 0,
      "capture drops: kernel %s, ring %s" % (stats.get("drop_kernel"), stats.get("drop_ring")))
print("info packets %s rtp_packets %s calls %s" % (stats.get("packets"), stats.get("rtp_packets"), stats.get("calls")))
PY
while read -r verdict rest; do
    case $verdict in
        ok) ok ;;
        bad) bad "$rest" ;;
        info) echo "soak: $rest ($calls calls in ${secs} s at $rate/s)" ;;
    esac
done < "$tmp/check.out"
finish
