#!/usr/bin/python3
"""check.py: run sipscope over captures and compare it with the ground truth and with tshark.

Called by tests/shared/run.sh (make shared). Standard library only (Debian's /usr/bin/python3).

Parts:
  0 samples  samples/*.pcap against samples/expected/*.json (always; needs no ../shared)
  1 captures ../shared/captures: calls (Call-IDs, users, transport, state, final code) per
             captures/expected.json; the REGISTER bindings of the k_ capture
  2 edge     ../shared/edge-captures: every call field of expected.json "files" exactly
             (times, tags, addresses, counters), truncated files, malformed-SIP counters
  3 tshark   every capture of captures/, public-captures/ and edge-captures/: no crash
             (exit status, sanitizer reports) and the SIP message and retransmission
             counters of --stats equal to what tshark 4.0.17 counts, apart from the
             documented KNOWN_DIFFERENCES below

Output: one line per check ("ok ..." or "FAIL ... expected X got Y"; the passing field
checks of one call are folded onto one "ok" line that says how many they were), then
exactly one line "shared: N passed, M failed". "shared N M" is appended to --results.
Exit status 1 when M > 0.

How tshark counts (see tshark_counts()):
  tshark -n -r FILE -o tcp.reassemble_out_of_order:TRUE -q -z "sip,stat,!icmp && !icmpv6"
  "Number of SIP messages" counts every SIP message the SIP dissector decoded, one per
  message even when one TCP segment or UDP datagram holds several (sip-tcp-segments:
  100 and 180 in one segment count 2). A segment that only continues a message it could
  not reassemble counts 0, and tshark 4.0 does not reassemble out-of-order TCP data
  unless tcp.reassemble_out_of_order is on (without it the INVITE of sip-tcp-segments,
  sent as segments 1,3,2, is lost: 6 instead of 7). TCP retransmissions are not counted
  again. SIP quoted inside ICMP errors is not counted by the sip,stat tap (it is shown by
  -Y sip, which is why "sip" display-filter counts are the wrong oracle); the filter
  "!icmp && !icmpv6" only makes that explicit. A malformed message that still has a SIP
  start line is counted (zeek-invalid-content-length, sip-content-length-mismatch).
  "Number of resent SIP messages" is tshark's retransmission flag (sip.resend); in 4.0.17
  it follows Call-ID and CSeq, not the Via branch (ipfixprobe-sip), and does not flag
  repeated identical provisional responses (heplify-sip_tcp_websocket).
  SIP on ports other than 5060 is found by tshark's heuristics; sipscope is told with
  --sip-port (SIP_PORTS below, or sip_ports in captures/expected.json).
"""

import argparse
import calendar
import concurrent.futures
import json
import os
import re
import subprocess
import sys

# --sip-port values for the files whose SIP is not on 5060 at either end (or not only).
# Worked out from the *.txt oracles, SOURCES.md and tshark's decode of each file.
SIP_PORTS = {
    # SIP inside GRE/ERSPAN between 5060, 5260 and ephemeral ports (53221, 20917 talk to
    # 5260); SOURCES.md names 5260 and 5860 (5860 appears only inside Via/Contact headers).
    "heplify-erspan_sip_ipv4_udp.pcapng": [5060, 5260, 5860],
    # SIP over TCP 33093 <-> 5090 inside an IP-in-IP tunnel.
    "sngrep-ipip.pcap": [5060, 5090],
}

# Files where what sipscope must count legitimately differs from tshark's sip,stat.
# Keys (all optional):
#   reason    why (printed with every check of the file)
#   exclude   tshark display filter for SIP that sipscope does not decode at all: the
#             expected message/resent counts are tshark's with "!(exclude)" added
#   rejected  filter for messages tshark counts but sipscope must refuse as malformed:
#             they leave sip_messages and must appear in sip_parse_errors
#   either    filter for messages that may be parsed or refused (both are acceptable):
#             sip_messages may be lower by their number, and what is not parsed must be
#             counted in sip_parse_errors
#   retrans   "rfc3261": recount retransmissions from tshark's decoded messages with the
#             RFC 3261 transaction key (top Via branch + CSeq method [+ status]) instead
#             of tshark's sip.resend flag
KNOWN_DIFFERENCES = {
    "ipfixprobe-sip.pcap": {
        "reason": "tshark flags 13 messages as resent: REGISTERs that reuse Call-ID and CSeq 2 "
                  "with a new Via branch each time, and their 401s. By RFC 3261 §17.2.3 a new "
                  "z9hG4bK branch is a new transaction, not a retransmission. (The 5 INVITEs "
                  "quoted inside ICMP port-unreachable are not counted by tshark's sip,stat tap "
                  "either, so the message count needs no adjustment.)",
        "retrans": "rfc3261",
    },
    "heplify-sip_sctp.pcap": {
        "reason": "SIP over SCTP: tshark decodes 4 messages; sipscope does not decode SCTP "
                  "(decode.h: PKT_L4_OTHER, counted as other_l4)",
        "exclude": "sctp",
    },
    "heplify-sip_tcp_websocket.pcap": {
        "reason": "11 SIP messages travel over WebSocket (RFC 7118, TCP 8080); tshark decodes "
                  "them, sipscope does not decode WebSocket yet; the 28 UDP messages must match. "
                  "The gateway re-sends a byte-identical 183 Session Progress 1.4 s and 4.8 s after "
                  "the first on both UDP legs (same branch, CSeq and status): 4 retransmissions by "
                  "the transaction key, which tshark's sip.resend does not flag",
        "exclude": "websocket",
        "retrans": "rfc3261",
    },
    "sip-content-length-mismatch.pcap": {
        "reason": "tshark counts the INVITE whose Content-Length (5000) overruns its 200-byte "
                  "body and the one with Content-Length: -1 as SIP; RFC 3261 §18.3 and the edge "
                  "ground truth (malformed.bad_content_length: 2, no call for either) make both "
                  "parse errors",
        "rejected": 'sip.Call-ID == "clen-big-1@192.0.2.80" || sip.Call-ID == "clen-neg-1@192.0.2.80"',
    },
    "zeek-invalid-content-length.pcap": {
        "reason": "both messages carry a non-numeric Content-Length ('bad', 'xyz'); tshark counts "
                  "them; sip.h allows parsing them with SIP_ANOM_CL_BAD, the edge ground truth "
                  "treats Content-Length: -1 as malformed: either is accepted here",
        "either": "sip",
    },
    "sip-huge-header.pcap": {
        "reason": "the INVITEs with a 30000-byte header line and with 400 Via headers may be "
                  "parsed or counted as oversize (edge README: both acceptable); tshark parses them",
        "either": 'sip.Call-ID == "huge-hdr-1@192.0.2.80" || sip.Call-ID == "many-via-1@192.0.2.80"',
    },
    "sip-nul-bytes.pcap": {
        "reason": "the OPTIONS has a NUL inside its Call-ID, a header line of two NULs with no "
                  "colon and no Via/From/To: tshark counts it (flagged malformed); parsing it "
                  "with SIP_ANOM_NUL or refusing it are both defensible",
        "either": 'sip.Method == "OPTIONS"',
    },
}

# Calls the ground truth does not list but that a correct sensor may report (with the
# state and message count it must then have), per edge capture.
EXTRA_CALLS = {
    "sip-nul-bytes.pcap": {
        "reason": "the INVITE nul-1 carries NULs only inside User-Agent and the SDP s= line and "
                  "must parse ('never treat NUL as end of message'); unanswered, it is a call in "
                  "state trying. expected.json lists only the valid call (acceptable_extra_calls "
                  "exists only for sip-huge-header)",
        "calls": [{"call_id": "nul-1@192.0.2.80", "state": "trying", "sip_messages": 1}],
    },
}

REQUIRED_COUNTERS = ["packets", "sip_messages", "sip_retransmissions", "sip_parse_errors",
                     "sip_keepalives", "calls"]

# Call fields compared exactly in the edge captures (floats with FLOAT_TOLERANCE).
EDGE_CALL_FIELDS = ["call_id", "from", "to", "from_tag", "to_tag", "src", "dst", "transport",
                    "start_ts", "ringing_ts", "answer_ts", "end_ts", "setup_ms", "duration_s",
                    "state", "final_code", "sip_messages", "retransmissions"]
CAPTURE_CALL_FIELDS = ["from_user", "to_user", "transport", "state", "final_code"]
FLOAT_FIELDS = {"setup_ms", "duration_s"}
FLOAT_TOLERANCE = 0.001

RUN_TIMEOUT_S = 120
CRASH_MARKERS = ("Sanitizer", "runtime error")
STATS_PREFIX = "sipscope-stats "


# Every passing check is printed with VERBOSE=1; by default only failures and the totals.
VERBOSE = os.environ.get("VERBOSE", "") not in ("", "0")


class Report:
    """Counts checks and prints one line per check."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def ok(self, what, n=1):
        self.passed += n
        if VERBOSE:
            print("ok %s" % what)

    def fail(self, what, expected=None, got=None, detail=None):
        self.failed += 1
        line = "FAIL %s" % what
        if detail is not None:
            line += ": %s" % detail
        else:
            line += ": expected %s got %s" % (show(expected), show(got))
        print(line)

    def check(self, what, expected, got):
        if same(expected, got):
            self.ok("%s = %s" % (what, show(got)))
            return True
        self.fail(what, expected, got)
        return False


def show(v):
    if isinstance(v, str):
        return json.dumps(v)
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)) and len(v) == 2 and all(isinstance(x, int) for x in v) \
            and not isinstance(v[0], bool):
        return "%d..%d" % (v[0], v[1])
    return json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else str(v)


def same(expected, got, tolerance=None):
    if expected is None or got is None:
        return expected is None and got is None
    if isinstance(expected, bool) or isinstance(got, bool):
        return expected is got
    if tolerance is not None and isinstance(expected, (int, float)) and isinstance(got, (int, float)):
        return abs(expected - got) <= tolerance
    if isinstance(expected, float) or isinstance(got, float):
        return isinstance(got, (int, float)) and isinstance(expected, (int, float)) \
            and abs(expected - got) <= 1e-9
    return type(expected) is type(got) and expected == got


def in_range(spec, got):
    """spec is an int (exact) or [lo, hi] (inclusive)."""
    if not isinstance(got, int) or isinstance(got, bool):
        return False
    if isinstance(spec, list):
        return spec[0] <= got <= spec[1]
    return got == spec


# ---------------------------------------------------------------- running things

class Run:
    def __init__(self, argv, rc, out, err):
        self.argv = argv
        self.rc = rc
        self.out = out
        self.err = err

    def cmdline(self):
        return " ".join(self.argv)


def run(argv, timeout=RUN_TIMEOUT_S):
    try:
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout, stdin=subprocess.DEVNULL)
        return Run(argv, p.returncode, p.stdout.decode("utf-8", "replace"),
                   p.stderr.decode("utf-8", "replace"))
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode("utf-8", "replace")
        err = (e.stderr or b"").decode("utf-8", "replace")
        return Run(argv, "timeout", out, err)
    except OSError as e:
        return Run(argv, "cannot run: %s" % e, "", "")


def port_args(ports):
    args = []
    for p in ports or []:
        args += ["--sip-port", str(p)]
    return args


def stats_of(r):
    """The sipscope-stats counters from stderr, or None."""
    for line in r.err.splitlines():
        if line.startswith(STATS_PREFIX):
            try:
                v = json.loads(line[len(STATS_PREFIX):])
                return v if isinstance(v, dict) else None
            except ValueError:
                return None
    return None


def message_lines(r):
    """stderr lines other than the stats line."""
    return [l for l in r.err.splitlines() if l.strip() and not l.startswith(STATS_PREFIX)]


def json_lines(r):
    """(objects, error) from stdout JSON lines."""
    objs = []
    for i, line in enumerate(r.out.splitlines(), 1):
        if not line.strip():
            continue
        try:
            o = json.loads(line)
        except ValueError as e:
            return objs, "stdout line %d is not JSON (%s): %.80s" % (i, e, line)
        if not isinstance(o, dict):
            return objs, "stdout line %d is not a JSON object" % i
        objs.append(o)
    return objs, None


def crashed(r):
    """A description of the crash, or None."""
    if isinstance(r.rc, str):
        return r.rc
    if r.rc < 0 or r.rc >= 128:
        return "exit status %s (signal)" % (r.rc if r.rc >= 128 else 128 - r.rc)
    for marker in CRASH_MARKERS:
        if marker in r.err:
            first = next(l for l in r.err.splitlines() if marker in l)
            return "stderr reports %s: %.160s" % (marker, first.strip())
    return None


def tshark_counts(path, filters):
    """{filter: (messages, resent)} for each tshark display filter, in one tshark pass."""
    argv = ["tshark", "-n", "-r", path, "-o", "tcp.reassemble_out_of_order:TRUE", "-q"]
    for f in filters:
        argv += ["-z", "sip,stat," + f]
    r = run(argv)
    res = {}
    cur = None
    for line in r.out.splitlines():
        m = re.match(r"^SIP Statistics with filter (.*)$", line)
        if m:
            cur = m.group(1)
            res[cur] = [None, None]
            continue
        m = re.match(r"^Number of SIP messages: (\d+)", line)
        if m and cur is not None:
            res[cur][0] = int(m.group(1))
        m = re.match(r"^Number of resent SIP messages: (\d+)", line)
        if m and cur is not None:
            res[cur][1] = int(m.group(1))
    out = {}
    for f in filters:
        v = res.get(f)
        if v is None or v[0] is None or v[1] is None:
            return None, "tshark gave no sip,stat for filter %r (rc %s): %.200s" % (
                f, r.rc, " ".join(r.err.split()))
        out[f] = tuple(v)
    return out, None


def _pairs(kv):
    d = {}
    for k, v in kv:
        d.setdefault(k, []).append(v)
    return d


def _get(node, *path):
    cur = [node]
    for k in path:
        nxt = []
        for c in cur:
            if isinstance(c, dict):
                nxt += c.get(k, [])
        cur = nxt
    return cur[0] if cur else None


def tshark_rfc3261_retransmissions(path, flt):
    """(messages, retransmissions) recounted from tshark's decode of every SIP message.

    A message is a retransmission when an earlier one had the same transaction key:
    requests (method, top Via branch, CSeq method), responses (status, top Via branch,
    CSeq method); a branch without the RFC 3261 magic cookie falls back to Call-ID and
    CSeq number (RFC 3261 §17.1.3, §17.2.3; correlate.h).
    """
    argv = ["tshark", "-n", "-r", path, "-o", "tcp.reassemble_out_of_order:TRUE",
            "-Y", "sip && (%s)" % flt, "-T", "json", "-J", "sip"]
    r = run(argv)
    try:
        packets = json.loads(r.out, object_pairs_hook=_pairs) if r.out.strip() else []
    except ValueError as e:
        return None, "tshark JSON: %s" % e
    seen = set()
    msgs = retrans = 0
    for p in packets:
        layers = _get(p, "_source", "layers")
        for s in (layers or {}).get("sip", []):
            method = _get(s, "sip.Request-Line_tree", "sip.Method")
            status = _get(s, "sip.Status-Line_tree", "sip.Status-Code")
            if method is None and status is None:
                continue  # a continuation, not a message
            msgs += 1
            branch = _get(s, "sip.msg_hdr_tree", "sip.Via_tree", "sip.Via.branch") or ""
            cseq_method = _get(s, "sip.msg_hdr_tree", "sip.CSeq_tree", "sip.CSeq.method")
            key = (method, status, branch, cseq_method)
            if not branch.startswith("z9hG4bK"):
                key += (_get(s, "sip.msg_hdr_tree", "sip.Call-ID"),
                        _get(s, "sip.msg_hdr_tree", "sip.CSeq_tree", "sip.CSeq.seq"))
            if key in seen:
                retrans += 1
            seen.add(key)
    return (msgs, retrans), None


def capinfos_packets(path):
    r = run(["capinfos", "-c", "-M", path])
    m = re.search(r"Number of packets:\s+(\d+)", r.out)
    return int(m.group(1)) if m else None


# ---------------------------------------------------------------- checks

def check_run_basics(rep, label, r, expect_rc, want_stats=True):
    """No crash, the exit status, the stderr line rule, the stats line. Returns stats or None."""
    c = crashed(r)
    if c:
        rep.fail("%s: no crash" % label, detail="%s  [%s]" % (c, r.cmdline()))
        return None
    rep.ok("%s: no crash" % label)
    msgs = message_lines(r)
    if expect_rc == 0:
        if r.rc != 0:
            rep.fail("%s: exit status" % label,
                     detail="expected 0 got %s; stderr: %.200s" % (r.rc, " | ".join(msgs)))
        else:
            rep.ok("%s: exit status 0" % label)
    else:
        if r.rc != expect_rc:
            rep.fail("%s: exit status" % label,
                     detail="expected %s got %s; stderr: %.200s" % (expect_rc, r.rc, " | ".join(msgs)))
        elif len(msgs) != 1:
            rep.fail("%s: one error line on stderr" % label, 1, len(msgs))
        else:
            rep.ok("%s: exit status %d, stderr: %s" % (label, r.rc, msgs[0].strip()[:120]))
    if not want_stats:
        return None
    st = stats_of(r)
    if st is None:
        rep.fail("%s: --stats line" % label, detail="no parseable '%s{...}' line on stderr" % STATS_PREFIX)
        return None
    missing = [k for k in REQUIRED_COUNTERS if not isinstance(st.get(k), int)]
    if missing:
        rep.fail("%s: --stats counters" % label, detail="missing %s" % ", ".join(missing))
    else:
        rep.ok("%s: --stats has %s" % (label, ", ".join(REQUIRED_COUNTERS)))
    return st


def check_call_fields(rep, label, exp, got, fields):
    passed = []
    for f in fields:
        if f not in exp:
            continue
        if f not in got:
            rep.fail("%s %s" % (label, f), detail="field missing from the output")
            continue
        tol = FLOAT_TOLERANCE if f in FLOAT_FIELDS else None
        if same(exp[f], got[f], tol):
            passed.append(f)
        else:
            rep.fail("%s %s" % (label, f), exp[f], got[f])
    if passed:
        rep.ok("%s: %s (%d fields)" % (label, " ".join(passed), len(passed)), n=len(passed))


def check_faults(rep, label, exp, got):
    """Issue 4: every fault the ground truth lists is reported; none of its must_not_report."""
    if "faults" not in exp and "must_not_report" not in exp:
        return
    codes = sorted({f.get("code") for f in got.get("faults") or []})
    want = sorted(set(exp.get("faults") or []))
    missing = [c for c in want if c not in codes]
    if missing:
        rep.fail("%s faults" % label, detail="expected %s among %s (missing %s)" % (
            show(want), show(codes), show(missing)))
    else:
        rep.ok("%s faults %s" % (label, ", ".join(want) if want else "none expected"))
    banned = [c for c in exp.get("must_not_report") or [] if c in codes]
    if banned:
        rep.fail("%s must_not_report" % label, detail="reported %s (details: %s)" % (
            show(banned), show([f.get("detail") for f in got.get("faults") or []
                                if f.get("code") in banned])))
    elif exp.get("must_not_report"):
        rep.ok("%s must_not_report %s" % (label, ", ".join(exp["must_not_report"])))


def check_calls(rep, label, calls, expected, fields, acceptable_extra=()):
    """The set of Call-IDs, then the fields of each expected call."""
    got = {}
    dups = []
    for c in calls:
        cid = c.get("call_id")
        if cid in got:
            dups.append(cid)
        got[cid] = c
    if dups:
        rep.fail("%s: each call reported once" % label, detail="repeated: %s" % ", ".join(map(str, dups)))
    exp_ids = [c["call_id"] for c in expected]
    extra_ok = {c["call_id"]: c for c in acceptable_extra}
    extra = sorted(str(k) for k in got if k not in exp_ids and k not in extra_ok)
    missing = [k for k in exp_ids if k not in got]
    if extra or missing:
        rep.fail("%s: calls" % label, detail="expected %s got %s (missing %s, unexpected %s)" % (
            show(sorted(exp_ids)), show(sorted(str(k) for k in got)), show(missing), show(extra)))
    else:
        rep.ok("%s: calls %s" % (label, ", ".join(exp_ids) if exp_ids else "none"))
    for e in expected:
        if e["call_id"] in got:
            check_call_fields(rep, "%s call %s" % (label, e["call_id"]), e, got[e["call_id"]], fields)
            check_faults(rep, "%s call %s" % (label, e["call_id"]), e, got[e["call_id"]])
    for cid, e in extra_ok.items():
        if cid in got:
            check_call_fields(rep, "%s extra call %s" % (label, cid), e, got[cid],
                              [f for f in e if f != "call_id"])


def check_registrations(rep, label, r, expected):
    objs, err = json_lines(r)
    if err:
        rep.fail("%s: registrations --json" % label, detail=err)
        return
    got = {}
    for o in objs:
        got.setdefault(o.get("aor"), o)
    exp_aors = sorted(b["aor"] for b in expected)
    if sorted(str(a) for a in got) != exp_aors:
        rep.fail("%s: bindings" % label, exp_aors, sorted(str(a) for a in got))
    else:
        rep.ok("%s: bindings %s" % (label, ", ".join(exp_aors)))
    for b in expected:
        g = got.get(b["aor"])
        if g is None:
            continue
        check_call_fields(rep, "%s binding %s" % (label, b["aor"]), b, g,
                          [k for k in b if k != "aor"])


def check_stats_spec(rep, label, st, spec):
    """spec: {counter: int or [lo, hi]}."""
    if st is None:
        return
    for k, v in spec.items():
        g = st.get(k)
        if in_range(v, g):
            rep.ok("%s: %s = %s" % (label, k, g))
        else:
            rep.fail("%s: %s" % (label, k), v, g)


# ---------------------------------------------------------------- the parts

class Ctx:
    def __init__(self, args):
        self.bin = args.bin
        self.root = args.root
        self.shared = args.shared
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(2, (os.cpu_count() or 2)))
        self.futures = {}

    def submit(self, key, fn, *a):
        if key not in self.futures:
            self.futures[key] = self.pool.submit(fn, *a)
        return self.futures[key]

    def result(self, key):
        return self.futures[key].result()

    def calls_run(self, path, ports):
        key = ("calls", path)
        return self.submit(key, run, [self.bin, "calls", "--json", "--stats", "-r", path] + port_args(ports))


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def part_samples(rep, ctx):
    sdir = os.path.join(ctx.root, "samples")
    edir = os.path.join(sdir, "expected")
    names = sorted(n for n in os.listdir(edir) if n.endswith(".json")) if os.path.isdir(edir) else []
    if not names:
        rep.fail("samples: expected data", detail="no samples/expected/*.json")
        return
    cases = []
    for n in names:
        e = load_json(os.path.join(edir, n))
        path = os.path.join("samples", e["sample"])
        cases.append((e, path))
        if os.path.exists(os.path.join(ctx.root, path)):
            ctx.calls_run(path, e.get("sip_ports"))
            if "registrations" in e:
                ctx.submit(("reg", path), run, [ctx.bin, "registrations", "--json", "-r", path]
                           + port_args(e.get("sip_ports")))
    # Unreadable input: exit 2 and one line on stderr.
    bad = [("samples/no-such-file.pcap", "missing file"), ("samples/README.md", "not a capture")]
    for p, _ in bad:
        ctx.submit(("bad", p), run, [ctx.bin, "calls", "-r", p])

    for e, path in cases:
        label = path
        if not os.path.exists(os.path.join(ctx.root, path)):
            rep.fail("%s: sample present" % label, detail="samples/expected names it, file missing")
            continue
        r = ctx.result(("calls", path))
        st = check_run_basics(rep, label, r, e.get("exit", 0))
        if crashed(r):
            continue
        calls, err = json_lines(r)
        if err:
            rep.fail("%s: calls --json" % label, detail=err)
        fields = e.get("fields", CAPTURE_CALL_FIELDS)
        check_calls(rep, label, calls, e.get("calls", []), fields, e.get("acceptable_extra_calls", ()))
        check_stats_spec(rep, label, st, e.get("stats", {}))
        if "registrations" in e:
            rr = ctx.result(("reg", path))
            check_run_basics(rep, label + " registrations", rr, 0, want_stats=False)
            if not crashed(rr):
                check_registrations(rep, label, rr, e["registrations"])
    for p, why in bad:
        r = ctx.result(("bad", p))
        c = crashed(r)
        msgs = message_lines(r)
        if c:
            rep.fail("%s (%s): no crash" % (p, why), detail=c)
        elif r.rc != 2 or len(msgs) != 1:
            rep.fail("%s (%s): exit 2 and one stderr line" % (p, why),
                     detail="exit %s, %d stderr lines: %.200s" % (r.rc, len(msgs), " | ".join(msgs)))
        else:
            rep.ok("%s (%s): exit 2, stderr: %s" % (p, why, msgs[0].strip()[:120]))


def captures_cases(ctx):
    exp = load_json(os.path.join(ctx.shared, "captures", "expected.json"))
    cases = []
    for name, e in exp.items():
        if not isinstance(e, dict) or "file" not in e:
            continue
        cases.append((name, e, os.path.join(ctx.shared, "captures", e["file"])))
    return cases


def edge_cases(ctx):
    exp = load_json(os.path.join(ctx.shared, "edge-captures", "expected.json"))
    return [(name, e, os.path.join(ctx.shared, "edge-captures", name))
            for name, e in exp["files"].items()]


def part_captures(rep, ctx, cases):
    for name, e, path in cases:
        label = "captures/" + e["file"]
        r = ctx.result(("calls", path))
        if crashed(r):
            continue  # reported by part 3
        calls, err = json_lines(r)
        if err:
            rep.fail("%s: calls --json" % label, detail=err)
            continue
        summary = e.get("call_summary")
        if summary and not e.get("calls"):
            counts = {}
            for c in calls:
                counts[c.get("state")] = counts.get(c.get("state"), 0) + 1
            rep.check("%s: number of calls" % label, summary["calls"], len(calls))
            for state in ("completed", "answered", "busy", "cancelled", "rejected", "timeout"):
                if state in summary:
                    rep.check("%s: calls %s" % (label, state), summary[state], counts.get(state, 0))
            other = {k: v for k, v in counts.items()
                     if k not in summary}
            if other:
                rep.fail("%s: no other states" % label, {}, other)
            ids = {c.get("call_id") for c in calls}
            rep.check("%s: distinct Call-IDs" % label, summary["calls"], len(ids))
            codes = {}
            for c in calls:
                codes[c.get("final_code")] = codes.get(c.get("final_code"), 0) + 1
            if "peak_concurrent" in summary:
                rep.check("%s: peak concurrent calls (start_ts to end_ts)" % label,
                          summary["peak_concurrent"], peak_concurrent(calls))
            if "busy" in summary and "completed" in summary:
                rep.check("%s: calls with final_code 200/486" % label,
                          {"200": summary["completed"], "486": summary["busy"]},
                          {str(k): v for k, v in codes.items()})
        else:
            check_calls(rep, label, calls, e.get("calls", []), CAPTURE_CALL_FIELDS)
        st = stats_of(r)
        if st is not None and isinstance(st.get("calls"), int):
            n = summary["calls"] if summary and not e.get("calls") else len(e.get("calls", []))
            rep.check("%s: --stats calls" % label, n, st.get("calls"))
        bindings = (e.get("non_invite") or {}).get("register_bindings")
        if bindings:
            rr = ctx.result(("reg", path))
            check_run_basics(rep, label + " registrations", rr, 0, want_stats=False)
            if not crashed(rr):
                want = []
                reg = register_counts(path)
                for b in bindings:
                    w = {"aor": b["aor"], "challenges": b["challenges"]}
                    if b.get("registered_then_unregistered"):
                        w["registered"] = False
                        w["unregistered"] = True
                    if reg and len(bindings) == 1:
                        w.update(reg)
                    want.append(w)
                check_registrations(rep, label, rr, want)


def rfc3339_s(ts):
    """Seconds since the epoch of "YYYY-MM-DDTHH:MM:SS.ffffffZ", or None."""
    m = re.match(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?Z$", ts or "")
    if not m:
        return None
    y, mo, d, h, mi, sec = (int(x) for x in m.groups()[:6])
    return calendar.timegm((y, mo, d, h, mi, sec)) + float(m.group(7) or 0)


def peak_concurrent(calls):
    """Most calls between their start_ts and end_ts at one time (calls without end_ts skipped)."""
    ev = []
    for c in calls:
        a, b = rfc3339_s(c.get("start_ts")), rfc3339_s(c.get("end_ts"))
        if a is not None and b is not None:
            ev += [(a, 1), (b, -1)]
    cur = peak = 0
    for _, d in sorted(ev):
        cur += d
        peak = max(peak, cur)
    return peak


def register_counts(path):
    """{requests, last_code} of the REGISTERs in tshark's message list NAME.sip_messages.tsv
    beside the capture (columns: time, src, dst, method, status, Call-ID, CSeq), or None."""
    tsv = re.sub(r"\.(pcapng|pcap)(\.gz)?$", "", path) + ".sip_messages.tsv"
    try:
        with open(tsv, encoding="utf-8") as f:
            rows = [l.rstrip("\n").split("\t") for l in f]
    except OSError:
        return None
    requests = sum(1 for r in rows if len(r) > 3 and r[3] == "REGISTER")
    codes = [r[4] for r in rows if len(r) > 6 and r[4] and r[6].endswith(" REGISTER")]
    return {"requests": requests, "last_code": int(codes[-1])} if codes else None


def part_edge(rep, ctx, cases):
    for name, e, path in cases:
        label = "edge-captures/" + name
        r = ctx.result(("calls", path))
        if crashed(r):
            continue  # reported by part 3
        # Truncated files: the exit status (1) and the one stderr line are checked in part 3;
        # here, that the calls before the damage are reported.
        calls, err = json_lines(r)
        if err:
            rep.fail("%s: calls --json" % label, detail=err)
            continue
        extra = [{"call_id": c["call_id"], "state": c["state"], "sip_messages": c["sip_messages"]}
                 for c in e.get("acceptable_extra_calls", [])]
        extra += EXTRA_CALLS.get(name, {}).get("calls", [])
        check_calls(rep, label, calls, e.get("calls", []), EDGE_CALL_FIELDS, extra)
        st = stats_of(r)
        if st is None:
            continue
        rep.check("%s: --stats calls = calls printed" % label, len(calls), st.get("calls"))
        mal = e.get("malformed") or {}
        if "keepalives" in mal:
            rep.check("%s: sip_keepalives" % label, mal["keepalives"], st.get("sip_keepalives"))
            rep.check("%s: keepalives are not parse errors" % label, 0, st.get("sip_parse_errors"))
        if "invalid_start_line" in mal:
            got = (st.get("sip_parse_errors") or 0) + (st.get("sip_not_sip") or 0)
            rep.check("%s: broken start lines counted (sip_parse_errors + sip_not_sip)" % label,
                      mal["invalid_start_line"], got)
        if "missing_call_id" in mal:
            rep.check("%s: sip_no_call_id" % label, mal["missing_call_id"], st.get("sip_no_call_id"))


def part_tshark(rep, ctx, files):
    """files: [(label, path, ports, expected_rc, expected_packets or None)]."""
    for label, path, ports, erc, epk in files:
        base = os.path.basename(path)
        kd = KNOWN_DIFFERENCES.get(base, {})
        r = ctx.result(("calls", path))
        st = check_run_basics(rep, label, r, erc)
        for cmd in ("ladder", "cdr"):
            rr = ctx.result((cmd, path))
            c = crashed(rr)
            if c:
                rep.fail("%s: %s: no crash" % (label, cmd), detail="%s  [%s]" % (c, rr.cmdline()))
            elif rr.rc not in ((0,) if erc == 0 else (erc,)):
                rep.fail("%s: %s: exit status" % (label, cmd), erc, rr.rc)
            else:
                rep.ok("%s: %s: no crash, exit %s" % (label, cmd, rr.rc))
        if st is None:
            continue
        if epk is None:
            epk = ctx.result(("capinfos", path))
        if epk is not None:
            rep.check("%s: packets" % label, epk, st.get("packets"))
        counts, err = ctx.result(("tshark", path))
        if err:
            rep.fail("%s: tshark" % label, detail=err)
            continue
        filters = tshark_filters(kd)
        msgs, resent = counts[filters["main"]]
        rejected = counts[filters["rejected"]][0] if "rejected" in filters else 0
        either = counts[filters["either"]][0] if "either" in filters else 0
        why = ("  [known difference: %s]" % kd["reason"]) if kd else ""
        if kd.get("retrans") == "rfc3261":
            v, err = ctx.result(("txn", path))
            if err:
                rep.fail("%s: tshark JSON" % label, detail=err)
                continue
            resent = v[1]
        got_m = st.get("sip_messages")
        lo, hi = msgs - rejected - either, msgs - rejected
        exp_m = lo if lo == hi else [lo, hi]
        if in_range(exp_m, got_m):
            rep.ok("%s: sip_messages = %s (tshark)%s" % (label, got_m, why))
        else:
            rep.fail("%s: sip_messages (tshark)%s" % (label, why), exp_m, got_m)
        if rejected or either:
            pe = st.get("sip_parse_errors")
            need = msgs - (got_m if isinstance(got_m, int) else 0)
            if isinstance(pe, int) and pe >= need:
                rep.ok("%s: sip_parse_errors = %s covers the %d messages not parsed" % (label, pe, need))
            else:
                rep.fail("%s: sip_parse_errors" % label, detail="expected >= %d got %s" % (need, show(pe)))
        rep.check("%s: sip_retransmissions (tshark%s)" % (
            label, ", RFC 3261 transaction key" if kd.get("retrans") == "rfc3261" else ""),
            resent, st.get("sip_retransmissions"))


def tshark_filters(kd):
    main = "!icmp && !icmpv6"
    if "exclude" in kd:
        main += " && !(%s)" % kd["exclude"]
    f = {"main": main}
    if "rejected" in kd:
        f["rejected"] = "(%s) && %s" % (kd["rejected"], main)
    if "either" in kd:
        f["either"] = "(%s) && %s" % (kd["either"], main)
    return f


# REGISTER bindings whose fault list the public captures settle (SOURCES.md: heplify-ipip0 holds a
# REGISTER/401 loop; the k_ capture registers after one challenge, which is normal).
REGISTER_FAULTS = [
    ("public-captures/heplify-ipip0.pcap", "sip:1154@157.161.10.73", ["auth_loop"]),
    ("captures/k_register_options_message_subscribe.pcap", "sip:alice@example.com", []),
]


def part_register_auth(rep, ctx):
    for rel, aor, want in REGISTER_FAULTS:
        path = os.path.join(ctx.shared, rel)
        r = run([ctx.bin, "registrations", "--json", "-r", path])
        regs = [json.loads(l) for l in r.out.splitlines() if l.startswith("{")]
        got = [x for x in regs if x.get("aor") == aor]
        if not got:
            rep.fail("%s registration %s" % (rel, aor), detail="not reported")
            continue
        codes = sorted({f.get("code") for g in got for f in g.get("faults") or []})
        rep.check("%s registration %s faults" % (rel, aor), sorted(want), codes)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bin", help="absolute path of the sipscope binary under test")
    ap.add_argument("--root", required=True, help="the checkout (samples/ lives there)")
    ap.add_argument("--shared", help="the shared directory; absent: parts 1-3 are skipped")
    ap.add_argument("--results", help="append 'shared N M' to this file")
    args = ap.parse_args()
    os.chdir(args.root)
    ctx = Ctx(args)
    rep = Report()

    cap = edge = []
    tfiles = []
    if ctx.shared:
        cap = captures_cases(ctx)
        edge = edge_cases(ctx)
        for name, e, path in cap:
            ctx.calls_run(path, e.get("sip_ports"))
            if (e.get("non_invite") or {}).get("register_bindings"):
                ctx.submit(("reg", path), run, [ctx.bin, "registrations", "--json", "-r", path]
                           + port_args(e.get("sip_ports")))
            tfiles.append(("captures/" + e["file"], path, e.get("sip_ports"), 0, None))
        pub = os.path.join(ctx.shared, "public-captures")
        for n in sorted(os.listdir(pub)):
            if n.endswith((".txt", ".md")):
                continue
            tfiles.append(("public-captures/" + n, os.path.join(pub, n), SIP_PORTS.get(n, [5060]), 0, None))
        for name, e, path in edge:
            ctx.calls_run(path, [5060])
            tfiles.append(("edge-captures/" + name, path, [5060], 1 if e.get("truncated") else 0,
                           e.get("packets")))
        for label, path, ports, erc, epk in tfiles:
            ctx.calls_run(path, ports)
            for cmd in ("ladder", "cdr"):
                ctx.submit((cmd, path), run, [ctx.bin, cmd, "-r", path] + port_args(ports))
            kd = KNOWN_DIFFERENCES.get(os.path.basename(path), {})
            ctx.submit(("tshark", path), tshark_counts, path, list(tshark_filters(kd).values()))
            if kd.get("retrans") == "rfc3261":
                ctx.submit(("txn", path), tshark_rfc3261_retransmissions, path, tshark_filters(kd)["main"])
            if epk is None:
                ctx.submit(("capinfos", path), capinfos_packets, path)

    print("== part 0: samples/ against samples/expected/")
    part_samples(rep, ctx)
    if not ctx.shared:
        print("skipped: ../shared not present (parts 1-3: captures, edge-captures, tshark)")
    else:
        print("== part 1: captures/ against captures/expected.json")
        part_captures(rep, ctx, cap)
        print("== part 2: edge-captures/ against edge-captures/expected.json")
        part_edge(rep, ctx, edge)
        print("== part 3: every capture: no crash; --stats SIP counts against tshark")
        part_tshark(rep, ctx, tfiles)
        print("== part 4: auth_loop on REGISTER bindings")
        part_register_auth(rep, ctx)
    ctx.pool.shutdown()

    print("shared: %d passed, %d failed" % (rep.passed, rep.failed))
    if args.results:
        d = os.path.dirname(args.results)
        if d:
            os.makedirs(d, exist_ok=True)
        with open(args.results, "a", encoding="utf-8") as f:
            f.write("shared %d %d\n" % (rep.passed, rep.failed))
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
