#!/bin/sh
# run.sh: integration tests of the sipscope binary over real captures (make shared).
# Usage: tests/shared/run.sh /abs/path/to/sipscope
# Part 0 checks samples/ against samples/expected/ and always runs. Parts 1-3 need the
# shared test data beside the checkout (../shared, found relative to this script):
# ground truth of captures/ and edge-captures/, and SIP counts against tshark on every
# capture (tests/shared/check.py says how tshark is asked and lists the known differences).
# Prints one line per check, then "shared: N passed, M failed"; appends "shared N M" to
# $RESULTS (default build/results.txt in the checkout) for tests/summary.sh.
set -u
[ $# -eq 1 ] || { echo "usage: $0 /abs/path/to/sipscope" >&2; exit 2; }
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
[ -x "$bin" ] || { echo "shared: $bin is not an executable" >&2; exit 2; }
results=${RESULTS:-$root/build/results.txt}
case $results in /*) ;; *) results=$(pwd)/$results ;; esac
py=/usr/bin/python3
[ -x "$py" ] || py=python3

shared=""
if [ -d "$root/../shared/captures" ]; then
    shared=$(cd "$root/../shared" && pwd)
    for tool in tshark capinfos; do
        command -v $tool >/dev/null 2>&1 || {
            echo "shared: $tool not found (Debian package tshark); cannot compare with tshark" >&2
            echo "shared 0 1" >> "$results"
            exit 1
        }
    done
fi
# A sanitizer report must fail the run even when the program's exit status is 0 (leaks).
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS UBSAN_OPTIONS
exec "$py" "$here/check.py" "$bin" --root "$root" ${shared:+--shared "$shared"} --results "$results"
