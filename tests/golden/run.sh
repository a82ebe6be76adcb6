#!/bin/sh
# run.sh: golden tests: run sipscope over samples/ and diff stdout against the expected files.
# Usage: tests/golden/run.sh /abs/path/to/sipscope   (make golden)
#        UPDATE=1 tests/golden/run.sh /abs/path/to/sipscope   (make golden-update: rewrite them)
# Cases come from tests/golden/TESTLIST, one per line:  name|sample|args|expected-file
#   name           unique case name
#   sample         a file in samples/
#   args           sipscope's arguments; {} stands for samples/<sample>. Split on blanks,
#                  no quoting, no globbing.
#   expected-file  the expected stdout, relative to tests/golden/
# Blank lines and lines starting with # are ignored. Commands run from the top of the
# checkout, so file names in the output read samples/... on every machine.
# A case fails when stdout differs (the diff is shown), when sipscope crashes (signal,
# exit status >= 128, or a sanitizer report on stderr) or when the sample is missing.
# Ends with "golden: N passed, M failed" and appends "golden N M" to $RESULTS
# (default build/results.txt in the checkout) for tests/summary.sh.
set -u
[ $# -eq 1 ] || { echo "usage: $0 /abs/path/to/sipscope" >&2; exit 2; }
bin=$1
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
[ -x "$bin" ] || { echo "golden: $bin is not an executable" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
results=${RESULTS:-$root/build/results.txt}
case $results in /*) ;; *) results=$(pwd)/$results ;; esac
mkdir -p "$(dirname "$results")"
cd "$root" || exit 2
testlist=tests/golden/TESTLIST
[ -f "$testlist" ] || { echo "golden: $testlist missing" >&2; exit 2; }
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
# Output must not depend on the machine's zone or locale.
TZ=UTC LC_ALL=C
export TZ LC_ALL
pass=0; fail=0; lineno=0; names=" "

while IFS= read -r line || [ -n "$line" ]; do
    lineno=$((lineno + 1))
    case $line in ''|'#'*) continue ;; esac
    # name|sample|args|expected-file (args may not contain '|')
    name=${line%%|*}; rest=${line#*|}
    sample=${rest%%|*}; rest=${rest#*|}
    args=${rest%%|*}; expected=${rest#*|}
    if [ "$expected" = "$rest" ] || [ -z "$name" ] || [ -z "$sample" ] || [ -z "$expected" ]; then
        echo "FAIL TESTLIST line $lineno: want name|sample|args|expected-file: $line"
        fail=$((fail + 1)); continue
    fi
    case $names in *" $name "*)
        echo "FAIL TESTLIST line $lineno: case name '$name' used twice"; fail=$((fail + 1)); continue ;;
    esac
    names="$names$name "
    if [ ! -f "samples/$sample" ]; then
        echo "FAIL $name: samples/$sample missing"; fail=$((fail + 1)); continue
    fi
    # {} -> samples/<sample>; then split on blanks without globbing.
    cmdline=$(printf '%s\n' "$args" | sed "s|{}|samples/$sample|g")
    set -f
    # shellcheck disable=SC2086
    set -- $cmdline
    set +f
    "$bin" "$@" > "$tmp/out" 2> "$tmp/err"
    rc=$?
    if [ $rc -ge 128 ] || grep -qE 'Sanitizer|runtime error' "$tmp/err"; then
        echo "FAIL $name: sipscope $cmdline crashed (exit $rc)"
        sed 's/^/    /' "$tmp/err" | head -30
        fail=$((fail + 1)); continue
    fi
    exp=tests/golden/$expected
    if [ "${UPDATE:-}" = 1 ]; then
        mkdir -p "$(dirname "$exp")"
        if [ -f "$exp" ] && cmp -s "$tmp/out" "$exp"; then
            echo "ok $name (unchanged)"
        else
            cp "$tmp/out" "$exp"
            echo "ok $name (updated $exp, exit $rc; review the diff)"
        fi
        pass=$((pass + 1)); continue
    fi
    if [ ! -f "$exp" ]; then
        echo "FAIL $name: $exp missing (make golden-update writes it)"
        fail=$((fail + 1)); continue
    fi
    if diff -u --label "$exp" --label "sipscope $cmdline" "$exp" "$tmp/out" > "$tmp/diff"; then
        echo "ok $name"
        pass=$((pass + 1))
    else
        echo "FAIL $name: sipscope $cmdline (exit $rc) differs from $exp:"
        head -60 "$tmp/diff" | sed 's/^/    /'
        n=$(wc -l < "$tmp/diff")
        [ "$n" -gt 60 ] && echo "    ... ($n diff lines)"
        if [ -s "$tmp/err" ]; then
            echo "    stderr:"; head -5 "$tmp/err" | sed 's/^/      /'
        fi
        fail=$((fail + 1))
    fi
done < "$testlist"

echo "golden: $pass passed, $fail failed"
echo "golden $pass $fail" >> "$results"
[ $fail -eq 0 ]
