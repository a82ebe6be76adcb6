#!/bin/sh
# Sum what every runner recorded in build/results.txt and print the closing line CI reads.
results=${RESULTS:-build/results.txt}
[ -f "$results" ] || { echo "0 passed, 0 failed"; exit 1; }
line=$(awk '{p += $2; f += $3} END {printf "%d passed, %d failed", p, f}' "$results")
rm -f "$results"
echo "$line"
case "$line" in *" 0 failed") exit 0 ;; *) exit 1 ;; esac
