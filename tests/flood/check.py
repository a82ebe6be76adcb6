#!/usr/bin/env python3
"""check.py: judge one `sipscope cdr --stats` run over a flood from gen_flood.py (its truth file).

    check.py LABEL TRUTH CDRS STDERR [--evicted NAME ...] [--zero NAME ...] [--all-reported]
             [--summary] [--streams-up-to N]

CDRS is the CDR output (JSON lines; '-' reads standard input, so a flood of a
million CDRs need not touch the disk); STDERR holds the "sipscope-stats {json}"
line. Prints one line per assertion, "ok LABEL: ..." or "FAIL LABEL: ...":
  - the stats line is there;
  - each --evicted counter is above zero (the flood was bounded, and counted);
  - each --zero counter is zero (e.g. drop_ring: a file is never dropped from);
  - every real call of the truth file has exactly one CDR: state completed,
    end_reason bye, and exactly its two streams (ssrc, src, dst) with every
    packet, none lost (with --streams-up-to N: its two streams whole, and at
    most N streams in all, for RTP injected at its ports);
  - with --all-reported: there are as many CDRs as calls counted (an evicted
    call is still reported: nothing is lost quietly).
With --summary the real calls get one verdict line together (for thousands of them).
"""

import json
import sys


def main():
    args = sys.argv[1:]
    if len(args) < 4:
        sys.exit(__doc__)
    label, truth_path, cdr_path, err_path = args[:4]
    evicted, zero, all_reported, summary, up_to = [], [], False, False, 0
    rest = args[4:]
    while rest:
        a = rest.pop(0)
        if a == "--evicted":
            evicted.append(rest.pop(0))
        elif a == "--zero":
            zero.append(rest.pop(0))
        elif a == "--all-reported":
            all_reported = True
        elif a == "--summary":
            summary = True
        elif a == "--streams-up-to":
            up_to = int(rest.pop(0))
        else:
            sys.exit("check.py: unknown argument " + a)
    out = []

    def verdict(ok, what):
        out.append(("ok " if ok else "FAIL ") + label + ": " + what)

    with open(truth_path) as f:
        truth = json.load(f)
    want = {c["call_id"]: c for c in truth["calls"]}
    found = {}
    cdrs = 0
    src = sys.stdin if cdr_path == "-" else open(cdr_path, errors="replace")
    for line in src:
        cdrs += 1
        if '"call_id":"real-' not in line:
            continue
        try:
            c = json.loads(line)
        except ValueError:
            verdict(False, "a CDR line is not JSON: " + line[:120])
            continue
        if c.get("call_id") in want:
            found.setdefault(c["call_id"], []).append(c)

    stats = None
    with open(err_path, errors="replace") as f:
        for line in f:
            if line.startswith("sipscope-stats "):
                stats = json.loads(line[len("sipscope-stats "):])
    verdict(stats is not None, "stats line on stderr")
    stats = stats or {}
    for name in evicted:
        v = stats.get(name)
        verdict(isinstance(v, int) and v > 0, "%s counted (%s)" % (name, v))
    for name in zero:
        v = stats.get(name)
        verdict(v == 0, "%s is 0 (%s)" % (name, v))
    if all_reported:
        verdict(cdrs == stats.get("calls"), "every call reported: %d CDRs, %s calls counted"
                % (cdrs, stats.get("calls")))

    calls_out, out = out, []
    for cid, t in want.items():
        got = found.get(cid, [])
        if len(got) != 1:
            verdict(False, "real call %s: %d CDRs, expected 1" % (cid, len(got)))
            continue
        c = got[0]
        ok = c.get("state") == "completed" and c.get("end_reason") == "bye"
        verdict(ok, "real call %s: state %s, end_reason %s" % (cid, c.get("state"), c.get("end_reason")))
        streams = c.get("streams") or []
        bad = []
        for ts in t["streams"]:
            m = [s for s in streams if s.get("ssrc") == ts["ssrc"] and s.get("src") == ts["src"]
                 and s.get("dst") == ts["dst"]]
            if len(m) != 1:
                bad.append("%s %s->%s: %d streams" % (ts["ssrc"], ts["src"], ts["dst"], len(m)))
            elif m[0].get("packets") != ts["packets"] or m[0].get("lost") != 0:
                bad.append("%s: %s packets, %s lost, expected %d and 0"
                           % (ts["ssrc"], m[0].get("packets"), m[0].get("lost"), ts["packets"]))
        if len(streams) != len(t["streams"]) and not (len(t["streams"]) <= len(streams) <= up_to):
            bad.append("%d streams, expected %s%d" % (len(streams), "at most " if up_to else "",
                                                       up_to or len(t["streams"])))
        verdict(not bad, "real call %s: streams %s" % (cid, "; ".join(bad) if bad else "complete"))
    failed = [line for line in out if line.startswith("FAIL")]
    if summary:
        out = failed[:5] or ["ok %s: %d real calls completed, with their streams whole"
                             % (label, len(want))]
        if len(failed) > 5:
            out.append("FAIL %s: %d more verdicts on real calls failed" % (label, len(failed) - 5))
    print("\n".join(calls_out + out))


if __name__ == "__main__":
    main()
