#!/bin/sh
# Live capture on loopback: `sipscope cdr -i lo` with a BPF filter sees a call sent from sockets,
# and SIGINT flushes it as a CDR. Needs capture rights (root); skipped, not failed, without them.
# Prints "live: N passed, M failed" and appends "live N M" to $RESULTS.
set -u
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
results=${RESULTS:-$root/build/results.txt}
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL live: $*"; }
finish() {
    echo "live: $pass passed, $fail failed"
    echo "live $pass $fail" >> "$results"
    [ "$fail" -eq 0 ]
    exit $?
}
if [ "$(id -u)" -ne 0 ]; then
    echo "live: skipped (capture on lo needs root)"; finish
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" cdr -i lo -o "$tmp/cdr.json" --stats udp port 5060 2> "$tmp/err" &
pid=$!
sleep 1.5   # the capture is open and filtering once the process is up
/usr/bin/python3 "$here/send_call.py" "live-call-1@sipscope" 5062
/usr/bin/python3 "$here/send_call.py" "live-call-2@sipscope" 5064
# A datagram that the filter excludes must never show up.
/usr/bin/python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b"OPTIONS sip:x SIP/2.0\r\n\r\n", ("127.0.0.1", 5999))'
sleep 0.5
kill -INT $pid
wait $pid; rc=$?
[ $rc -eq 0 ] && ok || bad "exit status $rc after SIGINT: $(cat "$tmp/err")"
n=$(grep -c '"call_id"' "$tmp/cdr.json" 2>/dev/null || echo 0)
[ "$n" -eq 2 ] && ok || bad "expected 2 CDRs after SIGINT, got $n"
for id in live-call-1@sipscope live-call-2@sipscope; do
    if grep -q "\"call_id\":\"$id\".*\"state\":\"completed\",\"final_code\":200" "$tmp/cdr.json"; then ok
    else bad "no completed CDR for $id"; fi
done
grep -q '"sip_messages":14,' "$tmp/err" && ok || bad "counters: $(cat "$tmp/err")"
grep -q '"drop_ring":0,' "$tmp/err" && ok || bad "ring drops: $(cat "$tmp/err")"
finish
