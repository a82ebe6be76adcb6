#!/bin/sh
# long.sh: the long fuzz runs of tests/fuzz/RESULTS.md: tests/fuzz/long.sh RUNS TARGET...
# Each target runs (niced, one process) for RUNS executions, from its corpus in
# build/fuzz-lr/<target>/corpus (seeded by seeds.py, tests/fuzz/seeds/<target>, and every
# directory named in FUZZ_EXTRA_CORPUS), and prints one summary line: runs, seconds, exec/s,
# cov, ft, corpus size, crashes. Crash inputs land in build/fuzz-lr/<target>/crash-*.
# FUZZ_ENV: environment for the target (e.g. FUZZOUT_TEXT_RAW=1, see fuzzout.h); FUZZ_NO_BUILD=1
# runs the binaries already in build/fuzz-lr.
set -eu
runs=$1; shift
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
here=tests/fuzz
out=build/fuzz-lr
[ -n "${FUZZ_NO_BUILD:-}" ] || "$here/build.sh" "$out" "$@"
if [ -n "${FUZZ_NO_BUILD:-}" ]; then
    # A binary older than the sources is fuzzing code that is gone (a finding it reports may be
    # fixed already): say so, and run it anyway (a long run may mean to keep its binary).
    for t in "$@"; do
        newer=$(find decoders sensor exporters tests/fuzz -name '*.[ch]' -newer "$out/fuzz_$t" 2>/dev/null | head -1)
        [ -z "$newer" ] || echo "long.sh: $out/fuzz_$t is older than $newer (FUZZ_NO_BUILD=1: run as it is)" >&2
    done
fi
for t in "$@"; do
    d=$out/$t
    mkdir -p "$d/corpus"
    if [ -z "$(ls -A "$d/corpus")" ]; then
        python3 "$here/seeds.py" "$t" "$d/corpus" > /dev/null
        [ -d "$here/seeds/$t" ] && cp "$here/seeds/$t"/* "$d/corpus/" 2>/dev/null || true
    fi
    start=$(date +%s)
    rc=0
    # shellcheck disable=SC2046,SC2086
    env ${FUZZ_ENV:-} nice -n 10 "$out/fuzz_$t" $("$here/options.sh" "$t") -runs="$runs" \
        -print_final_stats=1 -artifact_prefix="$d/" "$d/corpus" ${FUZZ_EXTRA_CORPUS:-} \
        > "$d/log.txt" 2>&1 || rc=$?
    secs=$(( $(date +%s) - start ))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$d/log.txt")
    last=$(grep -E '^#[0-9]+' "$d/log.txt" | tail -1)
    cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
    crashes=$(ls "$d"/crash-* "$d"/leak-* "$d"/timeout-* "$d"/oom-* 2>/dev/null | wc -l)
    line="$(date -u +%Y-%m-%d) $t runs=${execs:-?} secs=$secs exec/s=$(( ${execs:-0} / (secs > 0 ? secs : 1) )) cov=$cov ft=$ft corpus=$(ls "$d/corpus" | wc -l) crashes=$crashes rc=$rc"
    echo "$line" | tee -a "$out/summary.txt"
done
