#!/bin/sh
# make fuzz: build every libFuzzer target with clang (ASan+UBSan) and run each for N seconds.
# Usage: tests/fuzz/run.sh SECONDS TARGET...   Crashes land in build/fuzz/<target>/crash-*;
# a crash becomes tests/regress/<target>-<symptom>.bin plus a unit test that replays it.
set -eu
secs=$1; shift
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
srcs="$(ls decoders/*.c) sensor/decode.c sensor/ipfrag.c sensor/tcpreasm.c"
fail=0
for t in "$@"; do
    out=build/fuzz/$t
    mkdir -p "$out/corpus"
    [ -d "tests/fuzz/seeds/$t" ] && cp -n tests/fuzz/seeds/"$t"/* "$out/corpus/" 2>/dev/null || true
    clang -std=c11 -D_DEFAULT_SOURCE -g -O1 -I. -fsanitize=fuzzer,address,undefined \
        -fno-sanitize-recover=all "tests/fuzz/fuzz_$t.c" $srcs -o "$out/fuzz_$t"
    echo "fuzz_$t: ${secs}s"
    if ! (cd "$out" && ./"fuzz_$t" -max_total_time="$secs" -print_final_stats=1 corpus \
            > log.txt 2>&1); then
        echo "fuzz_$t: CRASH, see $out/log.txt"; tail -20 "$out/log.txt"; fail=1
    else
        grep -E 'stat::number_of_executed_units' "$out/log.txt" || true
    fi
done
exit $fail
