#!/bin/sh
# Bad files: damaged, foreign and odd captures (made at test time by gen.py, no blobs kept) read
# by `sipscope cdr -r FILE` and by `cat FILE | sipscope cdr -r -` (the pipe takes the gzfile path
# for every input). Each case states the exit status (0 read, 1 damaged after some packets: the
# calls before the damage on stdout, 2 unreadable), how many CDRs stdout holds, and a pattern for
# the single stderr line. Run it against an ASan+UBSan build (make BUILD=build/dev-fuzz-asan
# SANITIZE=1): a sanitizer report is a failure. One pass per case and way of reading, and one per
# text command that keeps the terminal escapes of a hostile Call-ID off stdout.
# Usage: tests/badfiles/run.sh BIN. Prints "badfiles: N passed, M failed", appends
# "badfiles N M" to $RESULTS.
set -u
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
results=${RESULTS:-$root/build/results.txt}
pass=0; fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
finish() {
    echo "badfiles: $pass passed, $fail failed"
    echo "badfiles $pass $fail" >> "$results"
    [ "$fail" -eq 0 ]
    exit $?
}
if [ ! -x "$bin" ]; then
    echo "FAIL badfiles: no program at '$bin'"
    fail=1; finish
fi
if ! python3 "$here/gen.py" "$tmp/files" > "$tmp/gen.err" 2>&1; then
    echo "FAIL badfiles: gen.py: $(cat "$tmp/gen.err")"
    fail=1; finish
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
call='"call_id":"badfile-call@192.0.2.1"'

check() { # how name code calls pattern: judge $tmp/out, $tmp/err and $rc
    how=$1 name=$2 code=$3 calls=$4 pattern=$5
    why=""
    cdrs=$(grep -c "$call" "$tmp/out")
    lines=$(wc -l < "$tmp/err")
    if grep -qE 'Sanitizer|runtime error:|AddressSanitizer|LeakSanitizer' "$tmp/err"; then
        why="sanitizer report"
    elif [ "$rc" -ne "$code" ]; then
        why="exit $rc, expected $code"
    elif [ "$cdrs" -ne "$calls" ]; then
        why="$cdrs CDRs on stdout, expected $calls"
    elif [ "$code" -eq 0 ] && [ "$lines" -ne 0 ]; then
        why="$lines lines on stderr, expected none"
    elif [ "$code" -ne 0 ] && [ "$lines" -ne 1 ]; then
        why="$lines lines on stderr, expected exactly one"
    elif [ "$code" -ne 0 ] && ! grep -qE "^sipscope: cannot read '[^']*': .*($pattern)" "$tmp/err"; then
        why="stderr does not match /$pattern/"
    fi
    if [ -z "$why" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL badfiles: $name ($how): $why"
        head -c 600 "$tmp/err" | sed 's/^/    stderr: /'
    fi
}

while read -r name path code calls pattern; do
    "$bin" cdr -r "$path" > "$tmp/out" 2> "$tmp/err"; rc=$?
    check "-r FILE" "$name" "$code" "$calls" "$pattern"
    cat "$path" | "$bin" cdr -r - > "$tmp/out" 2> "$tmp/err"; rc=$?
    check "pipe" "$name" "$code" "$calls" "$pattern"
done < "$tmp/files/cases.txt"

# Packet text never reaches a terminal raw: a Call-ID holding ESC sequences (set the window
# title, clear the screen) must come out of every text command as printable ASCII.
for cmd in calls ladder diagnose streams registrations; do
    "$bin" "$cmd" -r "$tmp/files/hostile-text.pcap" > "$tmp/out" 2> "$tmp/err"; rc=$?
    if [ "$rc" -ne 0 ] || [ -s "$tmp/err" ]; then
        fail=$((fail + 1)); echo "FAIL badfiles: hostile-text ($cmd): exit $rc, stderr: $(head -c 300 "$tmp/err")"
    elif LC_ALL=C grep -q '[^ -~]' "$tmp/out"; then
        fail=$((fail + 1)); echo "FAIL badfiles: hostile-text ($cmd): control bytes from the packet on stdout"
        LC_ALL=C grep -n '[^ -~]' "$tmp/out" | head -3 | cat -v | sed 's/^/    /'
    else
        pass=$((pass + 1))
    fi
done

# Inputs that are not files at all: a directory, a missing path.
"$bin" cdr -r "$tmp" > "$tmp/out" 2> "$tmp/err"; rc=$?
check "-r DIR" directory 2 0 "directory"
"$bin" cdr -r "$tmp/no-such.pcap" > "$tmp/out" 2> "$tmp/err"; rc=$?
check "-r FILE" missing 2 0 "No such file"
finish
