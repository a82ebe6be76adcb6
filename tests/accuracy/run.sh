#!/bin/sh
# make accuracy: sipscope's RTP figures against tshark on every capture of samples/ and, when
# present, ../shared/captures, ../shared/public-captures and ../shared/edge-captures.
set -u
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export RESULTS=${RESULTS:-$root/build/results.txt}
command -v tshark >/dev/null || { echo "accuracy: tshark not found (Debian package tshark)"; echo "accuracy 0 1" >> "$RESULTS"; exit 1; }
set -- "$root"/samples/*.pcap "$root"/samples/*.pcapng "$root"/samples/*.gz
shared=$root/../shared
if [ -d "$shared/captures" ]; then
    set -- "$@" "$shared"/captures/*.pcap* "$shared"/public-captures/*.pcap* "$shared"/edge-captures/*.pcap*
fi
files=""
for f in "$@"; do case $f in *.txt|*.json|*.md) ;; *) [ -f "$f" ] && files="$files $f" ;; esac; done
# shellcheck disable=SC2086
exec /usr/bin/python3 "$here/accuracy.py" "$bin" $files
