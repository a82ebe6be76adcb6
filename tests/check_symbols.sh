#!/bin/sh
# House style rule 4: none of our global symbols may collide with one libndpi exports.
lib=$1
ndpi=$(pkg-config --variable=libdir libndpi 2>/dev/null)/libndpi.so
[ -e "$ndpi" ] || ndpi=$(ls /usr/lib/*/libndpi.so* 2>/dev/null | head -1)
[ -e "$ndpi" ] || { echo "check-symbols: libndpi not found, skipped"; exit 0; }
ours=$(nm --defined-only -g "$lib" 2>/dev/null | awk 'NF == 3 {print $3}' | sort -u)
theirs=$(nm -D --defined-only "$ndpi" | awk 'NF == 3 {print $3}' | sort -u)
clash=$(printf '%s\n' "$ours" | comm -12 - "$(printf '%s\n' "$theirs" > /tmp/ndpi.syms.$$; echo /tmp/ndpi.syms.$$)")
rm -f /tmp/ndpi.syms.$$
# Reserved prefixes of our dependencies. gzfile_ is our own module (STYLE.md names it): zlib's
# names are gz + a verb (gzopen, gzread...), none of them gzfile_*.
for p in pcap_ bpf_ ndpi_ rd_kafka_ gz z_ cr_; do
    clash="$clash $(printf '%s\n' "$ours" | grep "^$p" | grep -v '^gzfile_' || true)"
done
clash=$(echo $clash)
[ -z "$clash" ] && { echo "check-symbols: ok"; exit 0; }
echo "check-symbols: names that clash with a dependency: $clash"; exit 1
