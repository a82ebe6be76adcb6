#!/usr/bin/env python3
"""check.py: compare the CDRs read back from Kafka (kcat -J) with `sipscope cdr` stdout.

Usage:
  check.py compare --expected CDR.jsonl --kafka KCAT.jsonl --sensor ID
                   [--fresh] [--ordered] [--no-dups] [--first-seq N]
  check.py stat ERRFILE NAME...

compare: every message must be a CDR of the expected file, and every
expected CDR must be there, compared field by field, every field, in order,
and also as text. The one field left out is "sequence": the per-sensor
de-duplication counter, which only the Kafka run draws from the counter
persisted in its spool directory (stdout numbers its own). It is checked on
its own instead: an integer, equal to the "sequence" header, distinct per
CDR; with --fresh the values are exactly FIRST..FIRST+N-1 (--first-seq,
default 1), i.e. a fresh spool directory starts at 1 and skips none.
Each message must have key == the CDR's call_id and the headers
schema_version = "1", sensor_id = ID, sequence = the CDR's sequence, each
exactly once. Messages with the same sequence are duplicates (at-least-once
delivery): they must be identical, are counted, and with --no-dups fail.
--ordered: within each partition, sequences (first copy of each) increase
with the offset: the order of sending is the order of making.
Prints "ok: M messages, U CDRs, D duplicates" or one "FAIL: ..." line per
problem (at most 20), and exits 0 or 1.

stat: the values of the named counters from the "sipscope-stats {json}" line
of a stderr capture, space-separated ("missing" for an absent one); exits 1
when there is no such line.
"""

import json
import re
import sys
from collections import OrderedDict

MAX_REPORTS = 20
SEQ_TAIL = re.compile(r',"sequence":(null|-?[0-9]+)\}$')


class Report:
    def __init__(self):
        self.fails = []

    def fail(self, msg):
        self.fails.append(msg)


def pairs(text):
    """JSON with key order kept (objects as OrderedDict)."""
    return json.loads(text, object_pairs_hook=OrderedDict)


def diff(path, a, b, out):
    """Field-by-field differences of two parsed JSON values, key order included."""
    if isinstance(a, OrderedDict) and isinstance(b, OrderedDict):
        if list(a.keys()) != list(b.keys()):
            ka, kb = list(a.keys()), list(b.keys())
            only_a = [k for k in ka if k not in b]
            only_b = [k for k in kb if k not in a]
            if only_a or only_b:
                out.append("%s: fields only in Kafka %s, only on stdout %s" % (path or "CDR", only_a, only_b))
            else:
                out.append("%s: field order differs" % (path or "CDR"))
        for k in a:
            if k in b:
                diff("%s.%s" % (path, k) if path else k, a[k], b[k], out)
        return
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append("%s: %d elements in Kafka, %d on stdout" % (path, len(a), len(b)))
        for i, (x, y) in enumerate(zip(a, b)):
            diff("%s[%d]" % (path, i), x, y, out)
        return
    if type(a) is not type(b) or a != b:
        out.append("%s: Kafka %s, stdout %s" % (path, json.dumps(a), json.dumps(b)))


def load_lines(path, what, rep):
    out = []
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line:
                continue
            try:
                out.append((line, pairs(line)))
            except ValueError as e:
                rep.fail("%s line %d is not JSON (%s): %.120s" % (what, n, e, line))
    return out


def compare(args):
    rep = Report()
    expected = load_lines(args.expected, "stdout", rep)
    msgs = load_lines(args.kafka, "kcat", rep)

    # stdout CDRs, by call_id (a list: a Call-ID may come back, e.g. a new call reusing it)
    want = {}
    for text, cdr in expected:
        want.setdefault(cdr.get("call_id"), []).append((text, cdr))
        sensor = cdr.get("sensor")
        if not isinstance(sensor, dict) or sensor.get("id") != args.sensor:
            rep.fail("stdout CDR of %s: sensor %s, expected id %r" % (cdr.get("call_id"), json.dumps(sensor), args.sensor))

    by_seq = {}
    dups = 0
    first_copies = []
    trailing_newline = 0
    for line, m in msgs:
        where = "message %s[%s]@%s" % (m.get("topic"), m.get("partition"), m.get("offset"))
        payload = m.get("payload")
        if not isinstance(payload, str):
            rep.fail("%s: no payload" % where)
            continue
        if payload.endswith("\n"):
            trailing_newline += 1
            payload = payload[:-1]
        try:
            cdr = pairs(payload)
        except ValueError as e:
            rep.fail("%s: payload is not JSON (%s): %.120s" % (where, e, payload))
            continue
        cid = cdr.get("call_id")
        if m.get("key") != cid:
            rep.fail("%s: key %s, CDR call_id %s" % (where, json.dumps(m.get("key")), json.dumps(cid)))
        # headers: kcat 1.7.1 prints them as a flat [name, value, name, value, ...] list
        h = m.get("headers")
        if not isinstance(h, list) or len(h) % 2:
            rep.fail("%s: headers %s" % (where, json.dumps(h)))
            h = []
        names = h[0::2]
        hd = dict(zip(h[0::2], h[1::2]))
        for name in ("schema_version", "sensor_id", "sequence"):
            if names.count(name) != 1:
                rep.fail("%s: header %s present %d times (headers %s)" % (where, name, names.count(name), json.dumps(h)))
        extra = [n for n in names if n not in ("schema_version", "sensor_id", "sequence")]
        if extra:
            rep.fail("%s: unexpected headers %s" % (where, extra))
        if hd.get("schema_version") != "1" or cdr.get("schema_version") != 1:
            rep.fail("%s: schema_version header %s, CDR %s" % (where, json.dumps(hd.get("schema_version")), json.dumps(cdr.get("schema_version"))))
        if hd.get("sensor_id") != args.sensor:
            rep.fail("%s: sensor_id header %s, expected %s" % (where, json.dumps(hd.get("sensor_id")), json.dumps(args.sensor)))
        seq = cdr.get("sequence")
        if type(seq) is not int or seq < 1:
            rep.fail("%s (%s): sequence %s is not a positive integer" % (where, cid, json.dumps(seq)))
            continue
        if hd.get("sequence") != str(seq):
            rep.fail("%s: sequence header %s, CDR sequence %d" % (where, json.dumps(hd.get("sequence")), seq))
        if seq in by_seq:
            dups += 1
            if by_seq[seq][0] != payload or by_seq[seq][1] != m.get("key"):
                rep.fail("%s: sequence %d sent twice with different contents (call %s and %s)" % (where, seq, by_seq[seq][2], cid))
            continue
        by_seq[seq] = (payload, m.get("key"), cid)
        first_copies.append((m.get("partition"), m.get("offset"), seq, cid, payload, cdr, where))

    # each distinct CDR against stdout
    for part, off, seq, cid, payload, cdr, where in first_copies:
        cands = want.get(cid)
        if not cands:
            rep.fail("%s: call %s is not in the stdout CDRs" % (where, cid))
            continue
        best = None
        for i, (text, exp) in enumerate(cands):
            d = []
            diff("", OrderedDict((k, v) for k, v in cdr.items() if k != "sequence"),
                 OrderedDict((k, v) for k, v in exp.items() if k != "sequence"), d)
            if "sequence" not in cdr or "sequence" not in exp:
                d.append("sequence field missing (Kafka %s, stdout %s)" % ("sequence" in cdr, "sequence" in exp))
            if best is None or len(d) < len(best[1]):
                best = (i, d, text)
            if not d:
                break
        i, d, text = best
        for x in d[:5]:
            rep.fail("call %s: %s" % (cid, x))
        if not d:
            # as text too: number formatting, escapes and spacing survive the trip
            ka, st = SEQ_TAIL.sub("}", payload), SEQ_TAIL.sub("}", text)
            if ka != st:
                at = next((i for i, (x, y) in enumerate(zip(ka, st)) if x != y), min(len(ka), len(st)))
                lo = max(0, at - 40)
                rep.fail("call %s: same fields, different text at byte %d: Kafka ...%s... stdout ...%s..." % (
                    cid, at, ka[lo:at + 40], st[lo:at + 40]))
        del cands[i]
    missing = [(cid, len(v)) for cid, v in want.items() if v]
    for cid, n in missing[:5]:
        rep.fail("call %s: %d CDR(s) on stdout never arrived in Kafka" % (cid, n))
    if len(missing) > 5:
        rep.fail("... and %d more calls missing from Kafka" % (len(missing) - 5))

    seqs = sorted(by_seq)
    if args.fresh and seqs != list(range(args.first_seq, args.first_seq + len(expected))):
        gaps = sorted(set(range(args.first_seq, args.first_seq + len(expected))) - set(seqs))
        rep.fail("sequences are not %d..%d: got %d distinct, %s..%s, missing %s" % (
            args.first_seq, args.first_seq + len(expected) - 1, len(seqs),
            seqs[0] if seqs else "-", seqs[-1] if seqs else "-", gaps[:10]))
    if args.ordered:
        last = {}
        for part, off, seq, cid, payload, cdr, where in sorted(first_copies, key=lambda t: (t[0], t[1])):
            if part in last and seq < last[part]:
                rep.fail("partition %s: sequence %d at offset %s after sequence %d" % (part, seq, off, last[part]))
            last[part] = seq
    if args.no_dups and dups:
        rep.fail("%d duplicate messages (same sequence) where none were expected" % dups)

    for f in rep.fails[:MAX_REPORTS]:
        print("FAIL: " + f)
    if len(rep.fails) > MAX_REPORTS:
        print("FAIL: ... %d more" % (len(rep.fails) - MAX_REPORTS))
    note = " (every value ends in a newline)" if trailing_newline and trailing_newline == len(msgs) else \
        " (%d values end in a newline)" % trailing_newline if trailing_newline else ""
    print("%s: %d messages, %d CDRs, %d duplicates%s" % (
        "ok" if not rep.fails else "summary", len(msgs), len(by_seq), dups, note))
    return 1 if rep.fails else 0


def stat(args):
    line = None
    with open(args[0], encoding="utf-8", errors="replace") as f:
        for l in f:
            if l.startswith("sipscope-stats "):
                line = l[len("sipscope-stats "):]
    if line is None:
        print("no sipscope-stats line")
        return 1
    d = json.loads(line)
    print(" ".join(str(d[n]) if n in d else "missing" for n in args[1:]))
    return 0


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "stat" and len(sys.argv) >= 4:
        return stat(sys.argv[2:])
    if len(sys.argv) >= 2 and sys.argv[1] == "compare":
        import argparse
        ap = argparse.ArgumentParser(prog="check.py compare")
        ap.add_argument("--expected", required=True)
        ap.add_argument("--kafka", required=True)
        ap.add_argument("--sensor", required=True)
        ap.add_argument("--fresh", action="store_true")
        ap.add_argument("--first-seq", type=int, default=1)
        ap.add_argument("--ordered", action="store_true")
        ap.add_argument("--no-dups", action="store_true")
        return compare(ap.parse_args(sys.argv[2:]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
