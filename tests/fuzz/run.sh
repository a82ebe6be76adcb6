#!/bin/sh
# make fuzz: build every libFuzzer target with clang (ASan+UBSan) and run each for N seconds.
# Usage: tests/fuzz/run.sh SECONDS TARGET...   Corpora grow in build/fuzz/<target>/corpus (seeded
# from samples/ by seeds.py and from tests/fuzz/seeds/<target>); crashes land in
# build/fuzz/<target>/crash-*. A crash becomes tests/regress/<target>-<symptom>.bin (short.sh
# replays every one) plus a unit test named after the symptom in the module's suite.
# FUZZ_JOBS=N runs N targets at once (default 1); FUZZ_ARGS adds libFuzzer options.
set -eu
secs=$1; shift
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
here=tests/fuzz
out=build/fuzz
"$here/build.sh" "$out" "$@"

run_one() {
    t=$1
    d=$out/$t
    mkdir -p "$d/corpus"
    if [ -z "$(ls -A "$d/corpus")" ]; then
        python3 "$here/seeds.py" "$t" "$d/corpus" > /dev/null
        [ -d "$here/seeds/$t" ] && cp "$here/seeds/$t"/* "$d/corpus/" 2>/dev/null || true
    fi
    # shellcheck disable=SC2046
    if ! "$out/fuzz_$t" $("$here/options.sh" "$t") -max_total_time="$secs" -print_final_stats=1 \
            -artifact_prefix="$d/" ${FUZZ_ARGS:-} "$d/corpus" > "$d/log.txt" 2>&1; then
        echo "fuzz_$t: CRASH, see $d/log.txt"; tail -30 "$d/log.txt"; return 1
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$d/log.txt")
    cov=$(grep -E '^#[0-9]+' "$d/log.txt" | tail -1 | sed -n 's/.*\(cov: [0-9]* ft: [0-9]*\).*/\1/p')
    echo "fuzz_$t: ${secs}s, $execs runs, $cov, corpus $(ls "$d/corpus" | wc -l)"
}

fail=0
for t in "$@"; do
    run_one "$t" || fail=1
done
exit $fail
