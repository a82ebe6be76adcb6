#!/bin/sh
# short.sh: the fuzz stage of make test: build every libFuzzer target (ASan+UBSan) into
# build/fuzz-short, replay tests/regress/<target>-*.bin through it, then fuzz it briefly from
# seeds made from samples/ (seeds.py) with a fixed seed, so a run is repeatable. One pass per
# target that ran clean. Prints "fuzz: N passed, M failed", appends "fuzz N M" to $RESULTS.
# FUZZ_SHORT_SECONDS (default 8) and FUZZ_SHORT_RUNS (default 200000) bound each target;
# FUZZ_SHORT_JOBS (default 2) targets run at once. Without clang every target counts failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
results=${RESULTS:-$root/build/results.txt}
cd "$root"
out=build/fuzz-short
secs=${FUZZ_SHORT_SECONDS:-8}
runs=${FUZZ_SHORT_RUNS:-200000}
jobs=${FUZZ_SHORT_JOBS:-2}
targets=$(ls tests/fuzz/fuzz_*.c | sed 's|.*/fuzz_\(.*\)\.c|\1|')
ntargets=$(echo $targets | wc -w)
mkdir -p "$out"

finish() {
    echo "fuzz: $1 passed, $2 failed"
    echo "fuzz $1 $2" >> "$results"
    [ "$2" -eq 0 ]
    exit $?
}

if ! "$here/build.sh" "$out" $targets > "$out/build.log" 2>&1; then
    cat "$out/build.log"
    echo "FAIL fuzz: the targets do not build (see $out/build.log)"
    finish 0 "$ntargets"
fi

# One target: regressions, then a bounded run from fresh seeds. Writes $out/<t>/status.
one() {
    t=$1
    d=$out/$t
    rm -rf "$d"
    mkdir -p "$d/corpus" "$d/seeds"
    regs=$(ls tests/regress/"$t"-* 2>/dev/null || true)
    if [ -n "$regs" ]; then
        # shellcheck disable=SC2086
        if ! "$out/fuzz_$t" $regs > "$d/regress.log" 2>&1; then
            echo "FAIL fuzz: fuzz_$t crashes on a regression input (see $d/regress.log)"
            tail -30 "$d/regress.log"
            echo fail > "$d/status"
            return
        fi
    fi
    python3 "$here/seeds.py" "$t" "$d/seeds" > /dev/null 2>&1 || true
    [ -d "$here/seeds/$t" ] && cp "$here/seeds/$t"/* "$d/seeds/" 2>/dev/null
    # shellcheck disable=SC2046
    if "$out/fuzz_$t" $("$here/options.sh" "$t") -seed=1 -runs="$runs" -max_total_time="$secs" \
            -print_final_stats=1 -artifact_prefix="$d/" "$d/corpus" "$d/seeds" > "$d/log.txt" 2>&1; then
        n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$d/log.txt")
        echo "fuzz_$t: ok, $n runs"
        echo pass > "$d/status"
    else
        echo "FAIL fuzz: fuzz_$t crashed; input kept as $(ls "$d"/crash-* "$d"/leak-* "$d"/timeout-* "$d"/oom-* 2>/dev/null | head -1)"
        grep -E 'ERROR|SUMMARY|runtime error' "$d/log.txt" | head -5
        echo fail > "$d/status"
    fi
}

running=0
for t in $targets; do
    one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait
        running=0
    fi
done
wait

pass=0; fail=0
for t in $targets; do
    if [ "$(cat "$out/$t/status" 2>/dev/null)" = pass ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
    fi
done
finish "$pass" "$fail"
