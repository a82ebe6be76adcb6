#!/usr/bin/env python3
"""RTP accuracy: sipscope's per-stream figures against tshark 4.0.17's `-z rtp,streams`.

For every capture given, runs tshark (SDP-learned streams, tshark's default) and
`sipscope streams --json`, matches streams by (src, dst, SSRC) and requires:
identical packets and lost; max delta, max jitter and mean jitter within 0.001 ms
(tshark prints three decimals). A stream one side has and the other lacks fails
unless KNOWN_DIFFERENCES gives the reason. Streams sipscope found with no SDP
(origin "heuristic") are compared with tshark's heuristic RTP run instead.
Prints failures (every check with VERBOSE=1) and "accuracy: N passed, M failed".
"""
import json
import os
import re
import subprocess
import sys

VERBOSE = os.environ.get("VERBOSE", "") not in ("", "0")
TOL = 0.0011  # tshark rounds to 3 decimals; allow for the rounding of both sides

# Per file, per stream "src dst ssrc" (or "*"): why the two tools legitimately differ.
KNOWN_DIFFERENCES = {
}

SIP_PORTS = {  # files whose SIP is not on 5060 (sipscope needs --sip-port; tshark finds it)
    "b_one_way_audio_port5080.pcap": [5080],
    "one-way-audio.pcap": [5080],
    "heplify-erspan_sip_ipv4_udp.pcapng": [5060, 5260, 5860],
    "sngrep-ipip.pcap": [5060, 5090],
}

LINE = re.compile(
    r"^\s*(?P<start>[\d.]+)\s+(?P<end>[\d.]+)\s+(?P<src>\S+)\s+(?P<sport>\d+)\s+(?P<dst>\S+)\s+"
    r"(?P<dport>\d+)\s+(?P<ssrc>0x[0-9A-Fa-f]+)\s+(?P<payload>.+?)\s+(?P<pkts>\d+)\s+"
    r"(?P<lost>-?\d+)\s+\((?P<lostpct>[-\d.]+)%\)\s+(?P<mind>[-\d.]+)\s+(?P<meand>[-\d.]+)\s+"
    r"(?P<maxd>[-\d.]+)\s+(?P<minj>[-\d.]+)\s+(?P<meanj>[-\d.]+)\s+(?P<maxj>[-\d.]+)")


def ep(ip, port):
    return "[%s]:%s" % (ip, port) if ":" in ip else "%s:%s" % (ip, port)


def tshark_streams(path, heuristic):
    cmd = ["tshark", "-n", "-r", path, "-q", "-z", "rtp,streams"]
    if heuristic:
        cmd[4:4] = ["-o", "rtp.heuristic_rtp:TRUE"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300).stdout
    streams = {}
    for line in out.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        key = (ep(m["src"], m["sport"]), ep(m["dst"], m["dport"]), m["ssrc"].upper().replace("0X", "0x"))
        streams[key] = {
            "packets": int(m["pkts"]), "lost": int(m["lost"]),
            "max_delta_ms": float(m["maxd"]), "max_jitter_ms": float(m["maxj"]),
            "mean_jitter_ms": float(m["meanj"]), "payload": m["payload"],
            "min_jitter_ms": float(m["minj"]),
        }
    return streams


def ours(binary, path):
    args = [binary, "streams", "--json", "-r", path]
    for p in SIP_PORTS.get(os.path.basename(path), []):
        args += ["--sip-port", str(p)]
    r = subprocess.run(args, capture_output=True, text=True, timeout=300)
    streams = {}
    for line in r.stdout.splitlines():
        if line.startswith("{"):
            s = json.loads(line)
            streams[(s["src"], s["dst"], s["ssrc"].upper().replace("0X", "0x"))] = s
    return streams, r.returncode, r.stderr


class Report:
    def __init__(self):
        self.passed = self.failed = 0

    def ok(self, what):
        self.passed += 1
        if VERBOSE:
            print("ok " + what)

    def fail(self, what):
        self.failed += 1
        print("FAIL " + what)


def close(a, b):
    return a is not None and b is not None and abs(a - b) <= TOL


def compare(rep, name, key, t, s):
    label = "%s %s -> %s %s" % (name, key[0], key[1], key[2])
    if s["packets"] == t["packets"] and s["lost"] == t["lost"]:
        rep.ok(label + " packets/lost")
    else:
        rep.fail("%s packets/lost: tshark %d/%d, sipscope %d/%d" % (
            label, t["packets"], t["lost"], s["packets"], s["lost"]))
    for f in ("max_delta_ms", "max_jitter_ms", "mean_jitter_ms"):
        tv = t[f]
        sv = s.get(f)
        if tv < 0 and sv is None:  # tshark prints -1.000 where nothing was measured
            rep.ok(label + " " + f)
        elif f != "max_delta_ms" and t["min_jitter_ms"] < 0 and sv is None:
            # tshark never computed jitter (no clock rate for the payload type, or only
            # telephone-event packets, whose timestamp does not advance): it prints min -1.000
            # and 0.000 for max and mean. We say null: not measured is never 0 (DESIGN.md).
            rep.ok(label + " " + f + " (not measured by either)")
        elif close(sv, tv):
            rep.ok(label + " " + f)
        else:
            rep.fail("%s %s: tshark %.3f, sipscope %s" % (label, f, tv, sv))


def main():
    binary, files = sys.argv[1], sys.argv[2:]
    results = os.environ.get("RESULTS")
    rep = Report()
    for path in files:
        name = os.path.basename(path)
        known = KNOWN_DIFFERENCES.get(name, {})
        mine, rc, err = ours(binary, path)
        if rc >= 128 or "Sanitizer" in err or "runtime error" in err:
            rep.fail("%s: sipscope crashed (%d): %s" % (name, rc, err[-300:]))
            continue
        sdp = tshark_streams(path, False)
        heur = None
        for key, s in sorted(mine.items()):
            ref = sdp.get(key)
            if ref is None and s.get("origin") == "heuristic":
                if heur is None:
                    heur = tshark_streams(path, True)
                ref = heur.get(key)
            if ref is None:
                why = known.get(" ".join(key)) or known.get("*")
                if why:
                    rep.ok("%s %s: tshark does not list it (%s)" % (name, " ".join(key), why))
                else:
                    rep.fail("%s %s: sipscope reports a stream tshark does not list" % (name, " ".join(key)))
                continue
            compare(rep, name, key, ref, s)
        for key in sorted(sdp):
            if key not in mine:
                why = known.get(" ".join(key)) or known.get("*")
                if why:
                    rep.ok("%s %s: not reported (%s)" % (name, " ".join(key), why))
                else:
                    rep.fail("%s %s: tshark lists a stream sipscope does not report" % (name, " ".join(key)))
    print("accuracy: %d passed, %d failed" % (rep.passed, rep.failed))
    if results:
        with open(results, "a") as f:
            f.write("accuracy %d %d\n" % (rep.passed, rep.failed))
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
