#!/bin/sh
# compare.sh: rtpstream (through tests/rtp/rtpcheck) against tshark 4.0.17 `-z rtp,streams`, stream by stream.
#
# Usage: tests/rtp/compare.sh [-v] FILE...
#   FILE   pcap, pcapng, or either gzipped (unpacked to a temporary file).
#   -v     print every stream, not only the ones that differ.
# Environment: TSHARK_OPTS  extra tshark options for every file (e.g. "-d udp.port==5080,sip");
#              RTPCHECK     the rtpcheck binary (default build/rtpcheck, built when missing or older).
#
# For each file: tshark lists the RTP streams (with -o rtp.heuristic_rtp:TRUE when the file holds
# no SDP, as the public captures' oracles were made); their (src, dst) pairs and the SDP rtpmaps
# are handed to rtpcheck, which runs decoders/rtpstream.c over the same packets. sharkd's
# rtp-analyse tap gives each stream's sequence errors (it takes IPv4 streams only: an IPv6
# stream's seq_err is shown as "?" and not compared). Packets and lost must be equal, sequence
# errors too, start/end times (from the first stream's start) within 1.5 us, the six delta/jitter columns within 0.001 ms.
# Prints "equal"/"NOT EQUAL" per stream (-v) or only the differences, then a total line;
# exit status 0 when every stream of every file agrees, 1 otherwise, 2 on usage errors.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[ $# -ge 1 ] || { echo "usage: $0 [-v] FILE..." >&2; exit 2; }
command -v tshark >/dev/null 2>&1 || { echo "compare.sh: tshark not found" >&2; exit 2; }
bin=${RTPCHECK:-$root/build/rtpcheck}
srcs="tests/rtp/rtpcheck.c sensor/decode.c sensor/ipfrag.c decoders/rtp.c decoders/rtpstream.c
      decoders/codec.c decoders/addr.c decoders/pool.c decoders/status.c decoders/stats.c"
if [ -z "${RTPCHECK:-}" ]; then
    need=0
    [ -x "$bin" ] || need=1
    for s in $srcs decoders/rtp.h decoders/rtpstream.h; do
        [ "$root/$s" -nt "$bin" ] && need=1
    done
    if [ $need = 1 ]; then
        mkdir -p "$root/build"
        (cd "$root" && cc -std=c11 -D_DEFAULT_SOURCE -O2 -g -Wall -Wextra -I. -o "$bin" $srcs -lpcap -lm) ||
            { echo "compare.sh: cannot build rtpcheck" >&2; exit 2; }
    fi
fi
exec python3 - "$bin" "$@" <<'EOF'
import gzip, json, os, re, shutil, subprocess, sys, tempfile

ROW = re.compile(r"^\s*(-?[\d.]+)\s+(-?[\d.]+)\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(0x[0-9A-Fa-f]+)\s+(.*?)\s+"
                 r"(\d+)\s+(-?\d+)\s+\((-?[\d.]+)%\)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+"
                 r"([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*(X?)\s*(?:\|\s*(.*))?$")
FLOATS = ["min_delta", "mean_delta", "max_delta", "min_jitter", "mean_jitter", "max_jitter"]

def rows(text):
    out = {}
    for line in text.splitlines():
        m = ROW.match(line)
        if not m:
            continue
        g = m.groups()
        key = ("%s:%s" % (g[2], g[3]), "%s:%s" % (g[4], g[5]), int(g[6], 16))
        r = {"start": float(g[0]), "end": float(g[1]), "payload": g[7], "packets": int(g[8]),
             "lost": int(g[9]), "lost_pct": g[10], "problem": g[17] == "X", "extra": g[18] or ""}
        for i, f in enumerate(FLOATS):
            r[f] = float(g[11 + i])
        for kv in (g[18] or "").split():
            if kv.startswith("seq_err="):
                r["seq_err"] = int(kv[8:])
        out[key] = r
    return out

def run(cmd, stdin=None):
    p = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    return p.stdout

def has_sdp(path, opts):
    out = run(["tshark", "-r", path] + opts + ["-Y", "sdp", "-T", "fields", "-e", "frame.number"])
    return bool(out.strip())

def rtpmaps(path, opts):
    out = run(["tshark", "-r", path] + opts + ["-Y", "sdp", "-T", "fields", "-e", "sdp.media_attr"])
    maps = {}
    for line in out.splitlines():
        for attr in line.split(","):
            m = re.match(r"rtpmap:(\d+)\s+([^/\s]+)/(\d+)", attr.strip())
            if m and int(m.group(1)) >= 96:
                maps[int(m.group(1))] = "%s=%s/%s" % m.groups()
    return sorted(maps.values())

def sharkd_seq_err(path, heur, keys):
    """seq_err of sharkd's rtp-analyse tap for every stream key."""
    if not keys or not shutil.which("sharkd"):
        return {}
    reqs = []
    if heur:
        reqs.append({"jsonrpc": "2.0", "id": 0, "method": "setconf",
                     "params": {"name": "rtp.heuristic_rtp", "value": "TRUE"}})
    reqs.append({"jsonrpc": "2.0", "id": 1, "method": "load", "params": {"file": path}})
    ids = {}
    for n, k in enumerate(keys):
        src, sport = k[0].rsplit(":", 1)
        dst, dport = k[1].rsplit(":", 1)
        tap = "rtp-analyse:%s_%s_%s_%s_0x%08X" % (src, sport, dst, dport, k[2])
        ids[2 + n] = k
        reqs.append({"jsonrpc": "2.0", "id": 2 + n, "method": "tap", "params": {"tap0": tap}})
    text = "\n".join(json.dumps(r) for r in reqs) + "\n"
    try:
        p = subprocess.run(["sharkd", "-"], input=text, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        return {}
    res = {}
    for line in p.stdout.splitlines():
        if not line.startswith("{"):
            continue
        try:
            j = json.loads(line)
        except ValueError:
            continue
        k = ids.get(j.get("id"))
        if k is None:
            continue
        for t in j.get("result", {}).get("taps", []):
            if "seq_err" in t:
                res[k] = t["seq_err"]
    return res

def compare(path, name, rtpcheck, verbose, extra_opts):
    tmp = None
    if open(path, "rb").read(2) == b"\x1f\x8b":
        fd, tmp = tempfile.mkstemp(suffix=".pcap")
        with os.fdopen(fd, "wb") as out, gzip.open(path, "rb") as src:
            shutil.copyfileobj(src, out)
        path = tmp
    try:
        opts = list(extra_opts)
        heur = not has_sdp(path, opts)
        if heur:
            opts += ["-o", "rtp.heuristic_rtp:TRUE"]
        ts = rows(run(["tshark", "-r", path] + opts + ["-q", "-z", "rtp,streams"]))
        pairs = "".join("%s %s\n" % (k[0], k[1]) for k in sorted(set((k[0], k[1]) for k in ts)))
        cmd = [rtpcheck, "-s", "-"]
        for m in rtpmaps(path, opts):
            cmd += ["-m", m]
        ours = rows(run(cmd + [path], stdin=pairs)) if ts else {}
        seqerr = sharkd_seq_err(path, heur, sorted(ts))
    finally:
        if tmp:
            os.unlink(tmp)
    # Start/end times are compared relative to the earliest stream start of each side: tshark
    # counts from its frame 1, which in a pcapng can be a block without a timestamp (epoch 0).
    for side in (ts, ours):
        t0 = min((r["start"] for r in side.values()), default=0.0)
        for r in side.values():
            r["start"] -= t0
            r["end"] -= t0
    good = bad = 0
    for k in sorted(set(ts) | set(ours)):
        t, o = ts.get(k), ours.get(k)
        label = "%s -> %s 0x%08X" % k
        if t is None or o is None:
            bad += 1
            print("NOT EQUAL %s %s: only in %s" % (name, label, "tshark" if o is None else "rtpcheck"))
            continue
        diffs = []
        for f in ("packets", "lost"):
            if t[f] != o[f]:
                diffs.append("%s %s/%s" % (f, o[f], t[f]))
        for f in FLOATS:
            if abs(t[f] - o[f]) > 0.001 + 1e-9:
                diffs.append("%s %.3f/%.3f" % (f, o[f], t[f]))
        for f in ("start", "end"):
            if abs(t[f] - o[f]) > 1.5e-6:
                diffs.append("%s %.6f/%.6f" % (f, o[f], t[f]))
        if t["problem"] != o["problem"]:
            diffs.append("problem %s/%s" % (o["problem"], t["problem"]))
        if k in seqerr and seqerr[k] != o.get("seq_err"):
            diffs.append("seq_err %s/%s" % (o.get("seq_err"), seqerr[k]))
        if diffs:
            bad += 1
            print("NOT EQUAL %s %s: %s (ours/tshark)" % (name, label, "; ".join(diffs)))
        else:
            good += 1
            if verbose:
                print("equal     %s %s pkts=%d lost=%d maxd=%.3f maxj=%.3f meanj=%.3f seq_err=%s%s" % (
                    name, label, o["packets"], o["lost"], o["max_delta"], o["max_jitter"],
                    o["mean_jitter"], seqerr.get(k, "?"), "" if k in seqerr else " (sharkd: n/a)"))
    print("%s: %d streams, %d equal, %d not equal%s" % (
        name, good + bad, good, bad, " (heuristic RTP)" if heur else ""))
    return good, bad

def main():
    rtpcheck = sys.argv[1]
    args = sys.argv[2:]
    verbose = False
    if args and args[0] == "-v":
        verbose = True
        args = args[1:]
    extra = os.environ.get("TSHARK_OPTS", "").split()
    tg = tb = 0
    for f in args:
        g, b = compare(f, os.path.basename(f), rtpcheck, verbose, extra)
        tg += g
        tb += b
    print("total: %d files, %d streams, %d equal, %d not equal" % (len(args), tg + tb, tg, tb))
    return 1 if tb else 0

sys.exit(main())
EOF
