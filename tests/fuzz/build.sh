#!/bin/sh
# build.sh: build libFuzzer targets with clang, ASan+UBSan: tests/fuzz/build.sh OUTDIR TARGET...
# The sources are copied to OUTDIR/src first (a snapshot: edits made during the build do not mix
# in), each is compiled once into OUTDIR/obj (again only when its text, a header's or the flags
# changed), then each target links what it needs into OUTDIR/fuzz_<target>. Warnings are the
# project's, with -Werror.
set -eu
out=$1; shift
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
CC=${FUZZ_CC:-$(command -v clang || command -v clang-14)}
JOBS=${FUZZ_BUILD_JOBS:-2}
WARN="-Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla -Werror"
pc_isystem() { pkg-config --cflags "$@" 2>/dev/null | sed 's/-I/-isystem /g'; }
# SIP_CHECK_FAST: decoders/sip.c checks its fast paths against the general code on every message.
CFLAGS="-std=c11 -D_DEFAULT_SOURCE -DSIP_CHECK_FAST -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all $WARN $(pc_isystem libpcap libndpi zlib)"
LDFLAGS="-fsanitize=fuzzer,address,undefined"

# What each target links, beyond its own tests/fuzz/fuzz_<target>.c.
decoders=$(ls decoders/*.c)
exporters="exporters/output.c exporters/cdr.c exporters/json.c exporters/ladder.c exporters/stream.c exporters/table.c"
srcs_for() {
    case $1 in
    sip|sdp|rtp|rtcp) echo "$decoders" ;;
    decode|ipfrag) echo "$decoders sensor/decode.c sensor/ipfrag.c" ;;
    tcpreasm) echo "$decoders sensor/tcpreasm.c" ;;
    correlate) echo "$decoders $exporters tests/fuzz/fuzzout.c" ;;
    pcap) echo "$decoders $exporters tests/fuzz/fuzzout.c tests/fuzz/ndpionce.c sensor/capture.c sensor/gzfile.c sensor/worker.c sensor/decode.c sensor/ipfrag.c sensor/tcpreasm.c sensor/dpi.c sensor/flow.c" ;;
    capture) echo "decoders/status.c sensor/gzfile.c" ;; # sensor/capture.c is included by the target
    *) echo "build.sh: unknown fuzz target '$1'" >&2; return 1 ;;
    esac
}
libs_for() {
    case $1 in
    pcap) echo "-Wl,--wrap=ndpi_init_detection_module,--wrap=ndpi_set_protocol_detection_bitmask2,--wrap=ndpi_finalize_initialization,--wrap=ndpi_exit_detection_module $(pkg-config --libs libpcap libndpi zlib) -lpthread -lm" ;;
    capture) echo "$(pkg-config --libs libpcap zlib) -lpthread" ;; # zlib: the harness inflates gzip too
    *) echo "-lm" ;;
    esac
}

mkdir -p "$out/obj"
# one build at a time per OUTDIR (two runners may share it)
exec 9> "$out/.lock"
flock 9
all=""
for t in "$@"; do
    s=$(srcs_for "$t")
    all="$all tests/fuzz/fuzz_$t.c $s"
done
all=$(printf '%s\n' $all | sort -u)

# Compile from a snapshot of the tree, so that a file another person saves during the build
# cannot mix two versions of a header into one binary. An object is rebuilt when its source or
# any header differs from what it was built from (content hashes, not times).
snap=$out/src
rm -rf "$snap.new"
mkdir -p "$snap.new/tests"
cp -p -r decoders sensor exporters "$snap.new/"
cp -p -r tests/fuzz "$snap.new/tests/"
rm -rf "$snap"
mv "$snap.new" "$snap"
# (sensor/capture.c counts as a header: fuzz_capture.c includes it)
hdrs=$(cd "$snap" && cat decoders/*.h decoders/*.def sensor/*.h exporters/*.h tests/fuzz/*.h sensor/capture.c | sha1sum | cut -c1-40)
stale=""
for s in $all; do
    o="$out/obj/$(echo "$s" | tr / _).o"
    key="$hdrs $(sha1sum < "$snap/$s" | cut -c1-40) $CFLAGS"
    if [ ! -f "$o" ] || [ "$(cat "$o.key" 2>/dev/null)" != "$key" ]; then
        stale="$stale $s"
        rm -f "$o"
        echo "$key" > "$o.key.new"
    fi
done
if [ -n "$stale" ]; then
    echo "fuzz build: compiling $(echo $stale | wc -w) sources into $out/obj"
    # shellcheck disable=SC2086
    printf '%s\n' $stale | xargs -P "$JOBS" -I{} sh -c \
        'o="$1/obj/$(echo "$2" | tr / _).o"; cd "$1/src" && '"$CC"' '"$CFLAGS"' -I. -c "$2" -o "$o.tmp" && mv "$o.tmp" "$o" && mv "$o.key.new" "$o.key"' \
        sh "$(cd "$out" && pwd)" {}
fi
for t in "$@"; do
    objs=""
    for s in tests/fuzz/fuzz_$t.c $(srcs_for "$t"); do
        objs="$objs $out/obj/$(echo "$s" | tr / _).o"
    done
    # shellcheck disable=SC2086
    $CC $LDFLAGS $objs -o "$out/fuzz_$t" $(libs_for "$t")
done
