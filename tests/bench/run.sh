#!/bin/sh
# make bench: throughput and peak memory of `sipscope cdr -r` on generated captures, beside the
# bare libpcap read of the same file. Captures go to a temporary folder and are deleted.
# Usage: tests/bench/run.sh /abs/path/sipscope   (BENCH_CALLS, BENCH_DURATION, BENCH_CONC override)
set -eu
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
gen=$top/../shared/tools/gen_bench_pcap.py
[ -f "$gen" ] || { echo "bench: $gen not found (../shared is needed for benchmarks)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -O2 -std=c11 -D_DEFAULT_SOURCE -o "$tmp/pcapread" "$here/pcapread.c" $(pkg-config --cflags --libs libpcap)

measure() { # label, command...: prints user+sys seconds, wall seconds and peak RSS (KiB)
    label=$1; shift
    /usr/bin/time -f "%U %S %e %M" -o "$tmp/time" "$@" > /dev/null 2> "$tmp/err" || {
        echo "bench: $label failed:"; cat "$tmp/err"; exit 1; }
    read -r u s e m < "$tmp/time"
    echo "$label $u $s $e $m"
}

run_case() { # name, with_tshark, generator args...
    name=$1; with_tshark=$2; shift 2
    /usr/bin/python3 "$gen" -o "$tmp/$name.pcap" --no-per-call "$@" > /dev/null
    pkts=$(/usr/bin/python3 -c "import json,sys; t=json.load(open(sys.argv[1])); print(t.get('totals',t).get('packets', 0))" "$tmp/$name.pcap.truth.json" 2>/dev/null || echo 0)
    bytes=$(stat -c %s "$tmp/$name.pcap")
    [ "$pkts" -gt 0 ] 2>/dev/null || pkts=$("$tmp/pcapread" "$tmp/$name.pcap" | cut -d' ' -f1)
    # warm the page cache so both runs read from memory
    cat "$tmp/$name.pcap" > /dev/null
    r1=$(measure pcapread "$tmp/pcapread" "$tmp/$name.pcap")
    r2=$(measure sipscope "$bin" cdr -r "$tmp/$name.pcap")
    echo "$r1" "$r2" | awk -v name="$name" -v pkts="$pkts" -v bytes="$bytes" '{
        rcpu = $2 + $3; rwall = $4; scpu = $7 + $8; swall = $9; srss = $10;
        if (rcpu < 0.01) rcpu = 0.01; if (scpu < 0.01) scpu = 0.01;
        if (swall < 0.01) swall = 0.01; if (rwall < 0.01) rwall = 0.01;
        printf "%-12s %9d pkts %7.1f MB | libpcap read: %6.2f s cpu, %9.0f pkt/s | sipscope cdr: %6.2f s cpu, %6.2f s wall, %9.0f pkt/s, %7.1f MB/s, peak RSS %6.1f MiB | cost x%.2f of bare read\n",
            name, pkts, bytes / 1e6, rcpu, pkts / rcpu, scpu, swall, pkts / swall, bytes / 1e6 / swall, srss / 1024, scpu / rcpu
    }'
    if [ "$with_tshark" = tshark ] && command -v tshark > /dev/null; then
        r3=$(measure tshark tshark -n -q -z rtp,streams -r "$tmp/$name.pcap")
        echo "$r2" "$r3" | awk -v name="$name" -v pkts="$pkts" '{
            scpu = $2 + $3; tcpu = $7 + $8; twall = $9; trss = $10;
            if (scpu < 0.01) scpu = 0.01; if (twall < 0.01) twall = 0.01;
            printf "%-12s tshark -q -z rtp,streams: %6.2f s cpu, %6.2f s wall, %9.0f pkt/s, peak RSS %7.1f MiB | tshark costs x%.1f what sipscope does\n",
                name, tcpu, twall, pkts / twall, trss / 1024, tcpu / scpu
        }'
    fi
}

echo "sipscope bench ($(date -u +%Y-%m-%d), $(nproc) cores; times from /usr/bin/time)"
run_case sip-heavy no --calls "${BENCH_SIP_CALLS:-20000}" --duration 1 --ptime 200 --concurrency 500
run_case rtp-heavy tshark --calls "${BENCH_CALLS:-2000}" --duration "${BENCH_DURATION:-60}" --concurrency "${BENCH_CONC:-200}"
