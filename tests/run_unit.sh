#!/bin/sh
# Run every Criterion suite given; record the totals for tests/summary.sh; fail if any test failed.
# Criterion closes each run with "Synthesis: Tested: N | Passing: N | Failing: N | Crashing: N".
set -u
results=${RESULTS:-build/results.txt}
mkdir -p "$(dirname "$results")"
pass=0; fail=0; rc=0
for t in "$@"; do
    out=$("$t" --verbose=0 2>&1); r=$?
    printf '%s\n' "$out" | grep -v '^\[----\]' | grep -E 'FAIL|Synthesis|Assertion|CRASH|ERROR|runtime error|Sanitizer' || true
    p=$(printf '%s\n' "$out" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p' | tail -1)
    f=$(printf '%s\n' "$out" | sed -n 's/.*Failing: \([0-9]*\) | Crashing: \([0-9]*\).*/\1 \2/p' | tail -1)
    p=${p:-0}; f1=$(echo "${f:-1 0}" | cut -d' ' -f1); f2=$(echo "${f:-1 0}" | cut -d' ' -f2)
    pass=$((pass + p)); fail=$((fail + f1 + f2))
    [ $r -ne 0 ] && { rc=1; [ "$f1$f2" = "00" ] && fail=$((fail + 1)); echo "FAIL: $t exited $r"; }
done
echo "unit $pass $fail" >> "$results"
echo "unit: $pass passed, $fail failed"
exit $rc
