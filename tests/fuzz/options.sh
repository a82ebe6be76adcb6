#!/bin/sh
# options.sh TARGET: the libFuzzer options every run of a target uses (run.sh, short.sh, long runs).
here=$(cd "$(dirname "$0")" && pwd)
common="-timeout=20 -rss_limit_mb=2048 -malloc_limit_mb=1024"
case $1 in
sip|sdp) echo "$common -dict=$here/sip.dict -max_len=8192" ;;
correlate) echo "$common -dict=$here/sip.dict -max_len=8192" ;;
pcap) echo "$common -dict=$here/sip.dict -max_len=8192" ;;
decode) echo "$common -max_len=8192" ;;
capture) echo "$common -max_len=32768" ;;
*) echo "$common" ;;
esac
