#!/bin/sh
# The dashboard (issue 6), driven for real in tmux: each session runs `sipscope dashboard` on a
# sample in a pane of a known size, keys go in with send-keys, and what is ON THE SCREEN
# (capture-pane) is checked against what the other commands say about the same file:
# the call list's from/to/state and MOS (calls, streams --json), the ladder's INVITE arrow and
# 200 OK, the message text, the text/state/fault filters, help, the stream figures (packet
# counts of streams --json), saving (a pcap tshark can read, the ladder text), quitting with
# status 0 and the terminal restored (also after SIGINT and SIGTERM, and with the pcap on
# standard input), an 80x24 screen and a resize, and the keep-up test: many-calls replayed
# with --fast ends with the count of calls that `sipscope calls` prints.
# Usage: tests/ui/run.sh BIN. Prints "ui: N passed, M failed" and appends "ui N M" to $RESULTS.
set -u
bin=$1
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
results=${RESULTS:-$root/build/results.txt}
pass=0; fail=0
tmp=$(mktemp -d)
sock=$tmp/tmux.sock
T() { tmux -S "$sock" -f /dev/null "$@"; }
cleanup() { T kill-server > /dev/null 2>&1; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 1' INT TERM

ok() { pass=$((pass + 1)); }
# On failure, the screen that was last looked at.
bad() {
    fail=$((fail + 1)); echo "FAIL ui: $*"
    [ -f "$tmp/screen" ] && sed -n '1,40s/^/    | /p' "$tmp/screen"
}
finish() {
    echo "ui: $pass passed, $fail failed"
    mkdir -p "$(dirname "$results")"
    echo "ui $pass $fail" >> "$results"
    [ "$fail" -eq 0 ]
    exit $?
}

command -v tmux > /dev/null 2>&1 || { echo "ui: tmux is not installed"; fail=1; finish; }
[ -x "$bin" ] || { echo "ui: no program at $bin"; fail=1; finish; }

basic=$root/samples/basic-call.pcap
oneway=$root/samples/one-way-audio.pcap
many=$root/samples/many-calls.pcap.gz

# ---- what the other commands say about the samples ----
row=$("$bin" calls -r "$basic" | sed -n 2p)
exp_state=$(echo "$row" | awk '{print $4}')
exp_from=$(echo "$row" | awk '{print $6}')
exp_to=$(echo "$row" | awk '{print $7}')
exp_msgs=$(echo "$row" | awk '{print $9}')
exp_cid=$(echo "$row" | awk '{print $10}')
exp_pkts=$("$bin" streams --json -r "$basic" | grep -o '"packets":[0-9]*' | cut -d: -f2 | sort -n | tr '\n' ' ')
exp_mos=$("$bin" streams --json -r "$basic" | grep -o '"mos":[0-9.]*' | cut -d: -f2)
mos1=$(echo "$exp_mos" | sed -n 1p); mos2=$(echo "$exp_mos" | sed -n 2p)
exp_many=$("$bin" calls -r "$many" | tail -n +2 | wc -l | tr -d ' ')
saved_name=sipscope-$(printf '%s' "$exp_cid" | tr -c 'A-Za-z0-9._-' '_')
if [ -z "$exp_cid" ] || [ -z "$exp_pkts" ] || [ "$exp_many" -lt 100 ]; then
    echo "ui: cannot work out the expected values (calls/streams on the samples failed)"
    fail=1; finish
fi

# ---- driving tmux ----
# session NAME COLS ROWS STDIN ARGS...: run `sipscope dashboard ARGS` in a pane of COLS x ROWS
# (standard input from STDIN when not empty); afterwards the pane shows the exit status, the
# terminal's icanon/echo modes and RESTORED.
session() {
    name=$1; cols=$2; rows=$3; input=$4; shift 4
    {
        echo '#!/bin/sh'
        # ^C reaches the whole foreground group: the shell waits it out (a trap, not an
        # ignore, so the dashboard starts with SIGINT at its default) and reports
        echo 'trap : INT'
        echo "cd '$tmp'"
        if [ -n "$input" ]; then
            echo "cat '$input' | '$bin' dashboard $* 2> '$tmp/$name.err'"
        else
            echo "'$bin' dashboard $* 2> '$tmp/$name.err'"
        fi
        echo 'echo "rc=$?"'
        echo 'stty -a | tr " ;" "\n\n" | grep -x -e icanon -e -icanon -e echo -e -echo | tr "\n" " "; echo'
        echo 'echo RESTORED'
        echo 'exec sleep 100'
    } > "$tmp/$name.sh"
    chmod +x "$tmp/$name.sh"
    rm -f "$tmp/screen"
    T new-session -d -s "$name" -x "$cols" -y "$rows" "$tmp/$name.sh"
}
cap() { T capture-pane -p -t "$1" > "$tmp/screen" 2> /dev/null; }
keys() { n=$1; shift; T send-keys -t "$n" "$@"; }
text() { T send-keys -t "$1" -l "$2"; }
on_screen() { grep -Eq -- "$1" "$tmp/screen"; }
# Every wait is bounded, and so is the whole run: past the deadline a wait looks once.
deadline=$(($(date +%s) + 110))
budget() { # TENTHS -> TENTHS, or 1 past the deadline
    if [ "$(date +%s)" -ge "$deadline" ]; then echo 1; else echo "$1"; fi
}
# wait_for NAME REGEX [TENTHS]: until the screen shows REGEX (at most TENTHS/10 s, default 10 s);
# gives up at once when the dashboard has ended (the pane says RESTORED)
wait_for() {
    n=$(budget "${3:-100}")
    while [ "$n" -gt 0 ]; do
        cap "$1"
        on_screen "$2" && return 0
        on_screen '^RESTORED$' && return 1
        sleep 0.1; n=$((n - 1))
    done
    return 1
}
# wait_gone NAME REGEX [TENTHS]: until the screen no longer shows REGEX
wait_gone() {
    n=$(budget "${3:-100}")
    while [ "$n" -gt 0 ]; do
        cap "$1"
        on_screen "$2" || return 0
        sleep 0.1; n=$((n - 1))
    done
    return 1
}
expect() { # NAME REGEX WHAT
    if wait_for "$1" "$2"; then ok; else bad "$3 (expected /$2/ on the screen)"; fi
}
expect_not() { # NAME REGEX WHAT
    if wait_gone "$1" "$2"; then ok; else bad "$3 (/$2/ still on the screen)"; fi
}
# The pane after the program ended: status 0, terminal back in canonical mode with echo,
# the dashboard gone from the screen (the alternate screen was left), nothing on stderr.
expect_exit() { # NAME WHAT [RC]
    want=${3:-0}
    if wait_for "$1" '^RESTORED$' 50; then
        if on_screen "^rc=$want\$" && on_screen '(^| )icanon( |$)' && on_screen '(^| )echo( |$)' \
            && ! on_screen 'sipscope dashboard'; then ok
        else bad "$2: exit status or terminal modes wrong after the dashboard ended"; fi
        if [ -s "$tmp/$1.err" ]; then
            bad "$2: the dashboard wrote to stderr:"; head -20 "$tmp/$1.err" | sed 's/^/    ! /'
        else ok; fi
    else
        bad "$2: the dashboard did not end"
    fi
    T kill-session -t "$1" 2> /dev/null
}
# the pid of the dashboard in a pane (the child of the pane's shell)
dash_pid() {
    sh_pid=$(T list-panes -t "$1" -F '#{pane_pid}')
    ps -o pid= --ppid "$sh_pid" | tr -d ' ' | head -1
}
# no line wider than the pane, no escape sequences printed as text
clean_screen() { # COLS
    ! awk -v w="$1" 'length($0) > w { exit 1 }' "$tmp/screen" && return 1
    ! grep -q "$(printf '\033')" "$tmp/screen" && ! grep -Eq '\^\[|\[\?1049|\[[0-9;]*m' "$tmp/screen"
}

# ================= basic call, 120x40 =================
s=basic
session $s 120 40 "" -r "$basic" --fast
expect $s 'replay finished' "title bar says the replay is over"
expect $s "$exp_from[^ ]* +$exp_to[^ ]* +$exp_state" "call list row: $exp_from -> $exp_to $exp_state"
expect $s '(^| )calls 1 .*active 0' "header totals: calls 1, active 0"
expect $s 'START( v)? +FROM +TO +STATE +DUR +CODEC +MOS F/R +LOSS% F/R +FAULTS' "column headings"
expect $s "$exp_state +00:07 +PCMA +($mos1/$mos2|$mos2/$mos1) +0\\.0/0\\.0" \
    "row figures: duration 00:07, codec PCMA, MOS $mos1/$mos2, loss 0.0/0.0"
# the call view: ladder, first message's text, no faults
keys $s Enter
expect $s '\|-+INVITE \(SDP\)-+>\|' "call view: the INVITE arrow"
expect $s '\|<-+200 OK \(SDP\)-+\|' "call view: the 200 OK arrow"
expect $s '~RTP PCMA 236p' "call view: the RTP streams as bars"
expect $s 'INVITE sip:[^ ]+ SIP/2\.0' "call view: the INVITE's text"
expect $s 'No faults found' "call view: the fault pane"
keys $s Down
expect $s '^.*SIP/2\.0 100 Trying' "call view: Down selects the 100 Trying and shows its text"
keys $s End
expect $s 'CSeq: [0-9]+ BYE' "call view: End selects the last message (200 OK to BYE)"
# the stream view
keys $s Enter
expect $s 'Stream 1 of 2' "stream view opens from the call view"
got_pkts=$(grep -o 'packets [0-9]*' "$tmp/screen" | cut -d' ' -f2 | sort -n | tr '\n' ' ')
[ "$got_pkts" = "$exp_pkts" ] && ok || bad "stream view packets '$got_pkts', streams --json says '$exp_pkts'"
expect $s "MOS $mos1 \\(R [0-9.]+\\) +worst 10 s window" "stream view: MOS and worst window"
expect $s 'max jitter [0-9.]+ ms +mean jitter [0-9.]+ ms' "stream view: jitter figures"
expect $s 'RTCP: ' "stream view: RTCP line"
expect $s 'jitter +[0-9.]+\| *#' "stream view: jitter chart"
expect $s 'lost/second +\| *\.' "stream view: loss chart"
expect $s 'seconds +0s' "stream view: the chart's time axis"
keys $s q
expect_not $s 'Stream 1 of 2' "q leaves the stream view"
expect $s 'INVITE \(SDP\)' "q from the stream view goes back to the call view"
keys $s Escape
expect $s "showing 1 of 1" "Esc from the call view goes back to the list"
# help
keys $s '?'
expect $s 'Call list' "? opens help"
expect $s 'F2 s +save the marked calls' "help lists the save key"
expect $s 'J K +scroll the message text' "help lists the call view keys"
keys $s q
expect $s "showing 1 of 1" "q closes help"
keys $s F1
expect $s 'Call list' "F1 opens help"
keys $s Escape
expect_not $s 'help \(q or Esc' "Esc closes help"
# the text filter, like less: / text Enter; Esc cancels; empty clears
keys $s /
text $s zzz-nomatch
keys $s Enter
expect $s 'no call matches the filters' "a filter matching nothing shows no rows"
expect_not $s "$exp_from[^ ]* +$exp_to" "the filtered-out row is gone"
keys $s /
keys $s C-u Enter
expect $s "$exp_from[^ ]* +$exp_to[^ ]* +$exp_state" "an empty filter shows the call again"
keys $s /
text $s "$(echo "$exp_to" | tr a-z A-Z)"
keys $s Enter
expect $s "filter /$(echo "$exp_to" | tr a-z A-Z)/.*showing 1 of 1" "the filter matches To, case-insensitively"
keys $s /
text $s nomatch
keys $s Escape
expect $s "filter /$(echo "$exp_to" | tr a-z A-Z)/.*showing 1 of 1" "Esc cancels the filter being typed"
keys $s c
expect $s 'filter // ' "c clears the filters"
# state filter: t cycles all -> trying -> ringing -> answered -> completed
keys $s t
expect $s 'state trying .*showing 0 of 1' "t: state trying hides a completed call"
keys $s t t t
expect $s "state $exp_state .*showing 1 of 1" "t: state $exp_state shows it"
keys $s c
# sorting: > moves the sort column, r reverses it
keys $s '>'
expect $s 'sort FROM v' "> sorts by the next column"
keys $s r
expect $s 'sort FROM \^' "r reverses the sort"
keys $s '<'
expect $s 'sort START \^' "< sorts by the previous column"
keys $s z
expect $s 'sort START v' "z reverses the sort too"
# saving: the pcap (worker) and the ladder text (UI) beside it
keys $s s
expect $s "saved [1-9][0-9]* packets.*; ladder text in " "s reports the saved files in the status line"
n=0
while [ $n -lt 50 ] && [ ! -s "$tmp/$saved_name.pcap" ]; do sleep 0.1; n=$((n + 1)); done
if [ -s "$tmp/$saved_name.pcap" ]; then
    pk=$(capinfos -c -M "$tmp/$saved_name.pcap" 2> /dev/null | awk '/Number of packets/ {print $NF}')
    [ "${pk:-0}" -gt 0 ] && ok || bad "saved pcap has ${pk:-no} packets"
    sip=$(tshark -r "$tmp/$saved_name.pcap" -Y sip 2> /dev/null | wc -l)
    [ "$sip" -eq "$exp_msgs" ] && ok || bad "saved pcap holds $sip SIP messages, the call has $exp_msgs"
    rtp=$(tshark -r "$tmp/$saved_name.pcap" -d udp.port==16384,rtp -d udp.port==20000,rtp -Y rtp 2> /dev/null | wc -l)
    want_rtp=$(echo $exp_pkts | awk '{print $1 + $2}')
    [ "$rtp" -eq "$want_rtp" ] && ok || bad "saved pcap holds $rtp RTP packets, the streams have $want_rtp"
else
    bad "s did not write $saved_name.pcap"
fi
grep -Eq '\|-+INVITE \(SDP\)-+>\|' "$tmp/$saved_name.txt" 2> /dev/null && ok \
    || bad "the ladder text $saved_name.txt lacks the INVITE arrow"
# q quits: status 0, terminal restored
keys $s q
expect_exit $s "q on the list"

# ================= 80x24 =================
s=small
session $s 80 24 "" -r "$basic" --fast
expect $s "$exp_from[^ ]* +$exp_to[^ ]* +$exp_state" "80x24: the call row"
cap $s
[ "$(wc -l < "$tmp/screen")" -eq 24 ] && sed -n 1p "$tmp/screen" | grep -q '^ sipscope dashboard' \
    && sed -n 4p "$tmp/screen" | grep -Eq '^ +START( v)? +FROM +TO +STATE +DUR +CODEC' \
    && sed -n 24p "$tmp/screen" | grep -q '^F1 Help Enter Open' && ok \
    || bad "80x24: title on line 1, headings on line 4, key bar on line 24"
clean_screen 80 && ok || bad "80x24: the list has garbage (over-wide lines or raw escapes)"
keys $s Enter
expect $s '\|-+INVITE \(SDP\)-+>\|' "80x24: the INVITE arrow"
expect $s 'INVITE sip:' "80x24: the message text below the ladder"
cap $s; clean_screen 80 && ok || bad "80x24: the call view has garbage"
keys $s m
expect $s "packets $(echo $exp_pkts | awk '{print $1}')" "80x24: m opens the stream view with its figures"
keys $s q q q
expect_exit $s "80x24: q back to the list and q again"

# ================= resize: 120x40 -> 80x24 -> 100x30 =================
s=resize
session $s 120 40 "" -r "$basic" --fast
expect $s "$exp_from[^ ]* +$exp_to" "resize: the call row at 120x40"
T resize-window -t $s -x 80 -y 24
sleep 0.5
expect $s '^F1 Help Enter Open' "resize to 80x24: key bar redrawn"
n=0; while [ $n -lt 30 ] && ! { cap $s; [ "$(wc -l < "$tmp/screen")" -eq 24 ] && clean_screen 80 \
    && sed -n 24p "$tmp/screen" | grep -q '^F1 Help'; }; do sleep 0.1; n=$((n + 1)); done
[ $n -lt 30 ] && on_screen "$exp_from[^ ]* +$exp_to" && ok || bad "resize to 80x24: screen not redrawn cleanly"
T resize-window -t $s -x 100 -y 30
n=0; while [ $n -lt 30 ] && ! { cap $s; [ "$(wc -l < "$tmp/screen")" -eq 30 ] \
    && sed -n 30p "$tmp/screen" | grep -q '^F1 Help'; }; do sleep 0.1; n=$((n + 1)); done
[ $n -lt 30 ] && clean_screen 100 && on_screen "$exp_from[^ ]* +$exp_to" && ok \
    || bad "resize to 100x30: screen not redrawn cleanly"
keys $s q
expect_exit $s "resize: q"

# ================= faults: one-way audio =================
s=faults
session $s 120 40 "" --sip-port 5080 -r "$oneway" --fast
expect $s 'completed .*one_way_audio' "list: the faults column names one_way_audio"
keys $s f
expect $s 'fault any fault .*showing 1 of 1' "f: any fault keeps the faulty call"
keys $s f
expect $s 'fault one_way_audio .*showing 1 of 1' "f: one_way_audio keeps it"
keys $s f
expect $s 'fault no_audio .*showing 0 of 1' "f: no_audio hides it"
keys $s c Enter
expect $s 'Faults \(1\):' "call view: the fault pane"
expect $s 'one_way_audio: ' "call view: the fault and its meaning"
expect $s 'evidence: only the caller was heard' "call view: the fault's evidence"
expect $s 'fix: ' "call view: the usual fix"
expect $s '!+ ?one_way_audio ?!+' "call view: the fault marked in the ladder"
keys $s F4
expect $s 'Stream 1 of 1' "F4 opens the stream view"
keys $s Escape Escape F10
expect_exit $s "F10 quits"

# ================= many calls: keep up, marks, save two =================
s=many
session $s 120 40 "" -r "$many" --fast
if wait_for $s 'replay finished' 300; then ok; else bad "many-calls: replay not finished in 30 s"; fi
wait_for $s "(^| )calls $exp_many .*" 30 > /dev/null
got=$(grep -Eo '(^| )calls [0-9]+' "$tmp/screen" | head -1 | awk '{print $2}')
[ "$got" = "$exp_many" ] && ok || bad "keep-up: the header says calls ${got:-?}, sipscope calls counts $exp_many"
expect $s "showing $exp_many of $exp_many" "keep-up: every call has its row"
# newest first: the first row is the last call of `calls`
last_from=$("$bin" calls -r "$many" | tail -1 | awk '{print $6}')
sed -n 5p "$tmp/screen" | grep -q " $last_from" && ok || bad "newest first: the first row is not $last_from"
keys $s Space Space
expect $s 'marked 2 ' "Space marks two calls"
keys $s F2
expect $s 'ladder text in ' "F2 saves the marked calls"
f=$(ls "$tmp"/sipscope-bench-*.pcap 2> /dev/null | head -1)
n=0; while [ $n -lt 50 ] && { [ -z "$f" ] || [ ! -s "$f" ]; }; do
    sleep 0.1; n=$((n + 1)); f=$(ls "$tmp"/sipscope-bench-*.pcap 2> /dev/null | head -1); done
if [ -n "$f" ] && [ -s "$f" ]; then
    ids=$(tshark -r "$f" -Y sip -T fields -e sip.Call-ID 2> /dev/null | sort -u | grep -c .)
    [ "$ids" -eq 2 ] && ok || bad "the pcap of two marked calls holds $ids Call-IDs"
    [ "$(grep -c '^Call-ID:' "${f%.pcap}.txt")" -eq 2 ] && ok || bad "the ladder text holds not two ladders"
else
    bad "F2 with two marks wrote no pcap"
fi
keys $s q
expect_exit $s "many-calls: q"

# ================= the capture on standard input: keys still come from the terminal =================
s=stdin
session $s 100 30 "$basic" -r - --fast
expect $s "$exp_from[^ ]* +$exp_to[^ ]* +$exp_state" "pcap on stdin: the call row"
keys $s Enter
expect $s 'INVITE \(SDP\)' "pcap on stdin: Enter works (keys from the terminal)"
keys $s q q
expect_exit $s "pcap on stdin: q"

# ================= signals: SIGINT (^C) and SIGTERM restore the terminal =================
s=sigint
session $s 100 30 "" -r "$basic"
expect $s "$exp_from[^ ]* +$exp_to" "1x replay: the call appears in packet time"
keys $s C-c
expect_exit $s "^C (SIGINT)"
s=sigterm
session $s 100 30 "" -r "$basic"
expect $s 'sipscope dashboard' "1x replay: dashboard up"
pid=$(dash_pid $s)
if [ -n "$pid" ]; then kill -TERM "$pid"; expect_exit $s "SIGTERM"; else bad "no dashboard process found"; fi

finish
