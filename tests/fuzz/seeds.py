#!/usr/bin/env python3
"""seeds.py: seed inputs for the libFuzzer targets, made from samples/ at run time (no blobs kept).

Usage: tests/fuzz/seeds.py TARGET OUTDIR
Reads every capture of samples/ (pcap either byte order and precision, pcapng, gzip of either) with
a small reader of its own, decodes Ethernet/802.1Q, Linux SLL/SLL2, null/loop and raw IP, IPv4/IPv6,
UDP/TCP, and writes inputs in the format each target documents at its top:
  sip        every SIP payload (UDP datagram or TCP segment)
  sdp        every SDP body of those
  rtp        one stream's first packets per flow, as fuzz_rtp's [len][step][bytes] records
  rtcp       every RTCP compound
  decode     every distinct frame alone, and each capture's frames as one FUZZ_SEP train
  tcpreasm   hand-made segment descriptors (in order, out of order, overlapping, SYN/FIN)
  ipfrag     hand-made fragment descriptors (in order, reversed, overlapping, IPv6, expiry)
  correlate  each capture's SIP and first RTP/RTCP packets as fuzz_correlate chunks
  pcap       each capture trimmed to its SIP and the first RTP packets of each flow, same format,
             at most SEEDS_PCAP_BYTES
  capture    each capture's first records in file order, same format, at most SEEDS_CAPTURE_BYTES
"""
import gzip
import hashlib
import os
import struct
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLES = os.path.join(TOP, "samples")
SEP = b"\xfe\xed\xfa\xce"
# fuzz_decode's link table, in order
LINKS = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276]
SEEDS_SIP_PER_CAPTURE = 60  # many-calls.pcap.gz alone has thousands
SEEDS_RTP_STREAMS = 8       # streams per capture
SEEDS_PCAP_BYTES = 8000     # a trimmed capture at most (fuzz_pcap's -max_len is 8192)
SEEDS_CAPTURE_BYTES = 30000  # fuzz_capture's -max_len is 32768: several of its 10 KiB windows


# ---- capture files ----

def read_capture(raw):
    """(format, header bytes, [(linktype, ts_ns, frame, raw record bytes)]) of a pcap/pcapng file."""
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    magic = raw[:4]
    pcap_magics = {b"\xd4\xc3\xb2\xa1": ("<", 1000), b"\xa1\xb2\xc3\xd4": (">", 1000),
                   b"\x4d\x3c\xb2\xa1": ("<", 1), b"\xa1\xb2\x3c\x4d": (">", 1)}
    if magic in pcap_magics:
        e, mul = pcap_magics[magic]
        link = struct.unpack(e + "I", raw[20:24])[0] & 0x0FFFFFFF
        recs, off = [], 24
        while off + 16 <= len(raw):
            sec, frac, cap, wire = struct.unpack(e + "IIII", raw[off:off + 16])
            if off + 16 + cap > len(raw):
                break
            recs.append((link, sec * 10**9 + frac * mul, raw[off + 16:off + 16 + cap],
                         raw[off:off + 16 + cap]))
            off += 16 + cap
        return "pcap", raw[:24], recs
    if magic == b"\x0a\x0d\x0d\x0a":
        recs, off, e, ifaces, head = [], 0, "<", [], b""
        while off + 12 <= len(raw):
            btype = struct.unpack(e + "I", raw[off:off + 4])[0]
            if btype == 0x0A0D0D0A:
                e = "<" if raw[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
                ifaces = []
            blen = struct.unpack(e + "I", raw[off + 4:off + 8])[0]
            if blen < 12 or off + blen > len(raw):
                break
            body = raw[off + 8:off + blen - 4]
            if btype == 1:
                ifaces.append(struct.unpack(e + "H", body[:2])[0])
            if btype in (0x0A0D0D0A, 1):
                head += raw[off:off + blen]
            if btype == 6 and len(body) >= 20:
                iface, hi, lo, cap, wire = struct.unpack(e + "IIIII", body[:20])
                link = ifaces[iface] if iface < len(ifaces) else 1
                recs.append((link, (hi << 32 | lo) * 1000, body[20:20 + cap], raw[off:off + blen]))
            off += blen
        return "pcapng", head, recs
    return None, b"", []


def decode(link, f):
    """(ip version, src, sport, dst, dport, proto, payload, frag) or None."""
    eth = None
    if link == 1:
        off, et = 12, None
        while off + 2 <= len(f):
            et = struct.unpack(">H", f[off:off + 2])[0]
            if et in (0x8100, 0x88A8, 0x9100):
                off += 4
                continue
            off += 2
            break
        eth = et
    elif link == 113:
        off, eth = 16, struct.unpack(">H", f[14:16])[0] if len(f) >= 16 else None
    elif link == 276:
        off, eth = 20, struct.unpack(">H", f[0:2])[0] if len(f) >= 20 else None
    elif link in (0, 108):
        off = 4
    elif link in (12, 14, 101, 228, 229):
        off = 0
    else:
        return None
    ip = f[off:]
    if not ip:
        return None
    ver = ip[0] >> 4
    if eth is not None and eth not in (0x0800, 0x86DD):
        return None
    if ver == 4 and len(ip) >= 20:
        ihl = (ip[0] & 15) * 4
        total = struct.unpack(">H", ip[2:4])[0]
        fl = struct.unpack(">H", ip[6:8])[0]
        frag = (fl & 0x3FFF) != 0
        proto, src, dst, l4 = ip[9], ip[12:16], ip[16:20], ip[ihl:total]
    elif ver == 6 and len(ip) >= 40:
        proto, src, dst = ip[6], ip[8:24], ip[24:40]
        l4 = ip[40:40 + struct.unpack(">H", ip[4:6])[0]]
        frag = proto == 44
    else:
        return None
    if frag:
        return (ver, src, 0, dst, 0, proto, b"", True)
    if proto == 17 and len(l4) >= 8:
        sp, dp = struct.unpack(">HH", l4[:4])
        return (ver, src, sp, dst, dp, 17, l4[8:], False)
    if proto == 6 and len(l4) >= 20:
        sp, dp = struct.unpack(">HH", l4[:4])
        return (ver, src, sp, dst, dp, 6, l4[(l4[12] >> 4) * 4:], False)
    return None


def is_sip(p):
    return len(p) >= 12 and (65 <= p[0] <= 90) and (b"SIP/2.0" in p[:200])


def is_rtp(p):
    return len(p) >= 12 and (p[0] & 0xC0) == 0x80


def is_rtcp(p):
    return is_rtp(p) and 192 <= p[1] <= 223


def captures():
    for name in sorted(os.listdir(SAMPLES)):
        path = os.path.join(SAMPLES, name)
        if not name.endswith((".pcap", ".pcapng", ".gz")):
            continue
        with open(path, "rb") as fh:
            raw = fh.read()
        fmt, head, recs = read_capture(raw)
        if fmt:
            yield name, raw, fmt, head, recs


# ---- writers ----

class Out:
    def __init__(self, d):
        self.d, self.n, self.seen = d, 0, set()
        os.makedirs(d, exist_ok=True)

    def add(self, data, tag="seed"):
        h = hashlib.sha1(data).hexdigest()[:12]
        if h in self.seen or not data:
            return
        self.seen.add(h)
        with open(os.path.join(self.d, "%s-%s" % (tag, h)), "wb") as fh:
            fh.write(data)
        self.n += 1


def flows(recs, keep_rtp):
    """Records kept for a trimmed capture: everything but RTP beyond keep_rtp packets a flow."""
    count = {}
    for r in recs:
        d = decode(r[0], r[2])
        if d and d[5] == 17 and is_rtp(d[6]) and not is_sip(d[6]):
            k = (d[1], d[2], d[3], d[4])
            count[k] = count.get(k, 0) + 1
            if count[k] > keep_rtp:
                continue
        yield r, d


def dt_byte(delta_ns):
    """fuzz_correlate's dt byte nearest to delta_ns: ((dt & 15) + 1) << (2 * (dt >> 4)) us."""
    best, err = 0, None
    for dt in range(256):
        v = (((dt & 15) + 1) * 1000) << (2 * (dt >> 4))
        e = abs(v - delta_ns)
        if err is None or e < err:
            best, err = dt, e
    return best


def seeds_correlate(out):
    for name, _raw, _fmt, _head, recs in captures():
        chunks, parties, last = [], [], None
        for r, d in flows(recs, 30):
            if not d or d[7]:
                continue
            ts = r[1]
            dt = dt_byte(ts - last) if last is not None else 0
            last = ts
            payload = d[6]
            if is_sip(payload):
                for ep in (d[1], d[3]):
                    if ep not in parties:
                        parties.append(ep)
                s, t = parties.index(d[1]) % 3, parties.index(d[3]) % 3
                pair = {(0, 1): 0, (1, 0): 1, (0, 2): 2, (2, 1): 3}.get((s, t), 0 if s == 0 else 1)
                meta = pair | (4 if d[5] == 6 else 0) | (8 if d[0] == 6 else 0)
                chunks.append(bytes([meta, dt]) + payload)
            elif d[5] == 17 and is_rtp(payload):
                v6 = d[0] == 6
                meta = 0x80 | (1 if v6 else 0)
                chunks.append(bytes([meta, dt]) + d[1] + struct.pack(">H", d[2]) + d[3] +
                              struct.pack(">H", d[4]) + payload)
        if chunks:
            out.add(SEP.join(chunks)[:SEEDS_PCAP_BYTES], name)


def cut_capture(raw, head, records, limit):
    """head and as many of the records (raw bytes) as fit in limit, gzipped when raw was."""
    body = head
    for r in records:
        if len(body) + len(r) > limit:
            break
        body += r
    return gzip.compress(body, mtime=0) if raw[:2] == b"\x1f\x8b" else body


def seeds_pcap(out):
    for name, raw, _fmt, head, recs in captures():
        out.add(cut_capture(raw, head, [r[3] for r, _d in flows(recs, 4)], SEEDS_PCAP_BYTES), name)
    # the smallest captures whole, and a gzip of a plain one
    for name, raw, _fmt, _head, _recs in captures():
        if len(raw) <= SEEDS_PCAP_BYTES:
            out.add(raw, name)


def seeds_capture(out):
    for name, raw, _fmt, head, recs in captures():
        out.add(cut_capture(raw, head, [r[3] for r in recs], SEEDS_CAPTURE_BYTES), name)


def seeds_packets(target, out):
    for name, _raw, _fmt, _head, recs in captures():
        rtp_streams = {}
        train = []
        sips = 0
        for link, ts, frame, _rec in recs:
            d = decode(link, frame)
            if target == "decode":
                continue
            if not d or d[7]:
                continue
            p = d[6]
            if target in ("sip", "sdp") and is_sip(p):
                sips += 1
                if sips > SEEDS_SIP_PER_CAPTURE:
                    continue
            if target == "sip" and is_sip(p):
                out.add(p, name)
            elif target == "sdp" and is_sip(p) and b"\r\n\r\nv=0" in p:
                out.add(p[p.index(b"\r\n\r\n") + 4:], name)
            elif target == "rtcp" and d[5] == 17 and is_rtcp(p):
                out.add(p, name)
            elif target == "rtp" and d[5] == 17 and is_rtp(p) and not is_rtcp(p):
                k = (d[1], d[2], d[3], d[4])
                s = rtp_streams.setdefault(k, [None, []])
                step = 0 if s[0] is None else min(127, max(0, (ts - s[0]) // 10**6))
                s[0] = ts
                if len(s[1]) < 40:
                    s[1].append(bytes([min(len(p), 255), step]) + p[:255])
        if target == "decode":
            for i, ((link, _ts, frame, _rec), _d) in enumerate(flows(recs, 3)):
                li = LINKS.index(link) if link in LINKS else 1
                if i < SEEDS_SIP_PER_CAPTURE:
                    out.add(frame, name)
                if len(train) < 64:
                    train.append(bytes([li]) + frame)
        if target == "decode" and train:
            # fragments of one datagram first, so the train reassembles
            frags = [t for t in train if (lambda d: d and d[7])(decode(LINKS[t[0]], t[1:]))]
            out.add(SEP.join(frags + train), name + "-train")
        for k, (_last, recs_) in list(rtp_streams.items())[:SEEDS_RTP_STREAMS]:
            out.add(b"\x00" + b"".join(recs_), name)
            out.add(b"\x61" + b"".join(recs_[:8]), name)


def seeds_tcpreasm(out):
    def desc(flags, off, ln, mult, mode, step):
        return bytes([flags, off >> 8 & 255, off & 255, ln, mult, mode, step])
    out.add(b"\x1b" + desc(0x08, 0, 0, 0, 1, 1) + desc(0, 1, 200, 0, 5, 1) +
            desc(0, 201, 100, 0, 1, 1) + desc(0x10, 301, 0, 0, 1, 1), "inorder")
    out.add(b"\x3a" + desc(0, 300, 100, 0, 1, 1) + desc(0, 0, 150, 1, 2, 1) +
            desc(0, 100, 250, 0, 5, 3) + desc(1, 0, 80, 0, 1, 1) + desc(0x20, 0, 0, 0, 0, 2), "ooo")
    out.add(b"\x9f" + desc(0, 0, 255, 15, 0, 0x41) + desc(0xc0, 0x4000, 10, 0, 1, 0x90) +
            desc(2, 0, 50, 0, 3, 5) + desc(4, 0, 50, 0, 6, 5), "caps")


def seeds_ipfrag(out):
    def desc(flags, blocks, ln, mult_step, extra=0):
        return bytes([flags, blocks >> 8 & 255, blocks & 255, ln, mult_step, extra])
    # a 600-byte datagram in 3 fragments of 200, in order, reversed, with a repeat
    f1, f2, f3 = desc(4, 0, 200, 0), desc(4, 25, 200, 0), desc(0, 50, 200, 0)
    out.add(b"\x05" + f1 + f2 + f3, "inorder")
    out.add(b"\x05" + f3 + f2 + f2 + f1, "reversed")
    out.add(b"\x0b" + desc(4, 0, 200, 0) + desc(4, 20, 200, 0) + desc(0, 40, 8, 0), "overlap")
    out.add(b"\x03" + desc(0x0c, 0, 128, 0) + desc(1, 0, 64, 0) + desc(0x28, 16, 64, 0x30) +
            desc(0x08, 16, 64, 0) + desc(0x40, 0, 0, 0), "v6-expire")
    out.add(b"\x01" + desc(4, 0, 255, 15) + desc(0, 510, 255, 0) +
            desc(0x80 | 5, 0, 100, 0, 7) + desc(1, 0x1fff, 255, 15), "big")


def main():
    target, outdir = sys.argv[1], sys.argv[2]
    out = Out(outdir)
    if target == "correlate":
        seeds_correlate(out)
    elif target == "pcap":
        seeds_pcap(out)
    elif target == "capture":
        seeds_capture(out)
    elif target == "tcpreasm":
        seeds_tcpreasm(out)
    elif target == "ipfrag":
        seeds_ipfrag(out)
    elif target in ("sip", "sdp", "rtp", "rtcp", "decode"):
        seeds_packets(target, out)
    else:
        sys.exit("seeds.py: unknown target " + target)
    print("seeds.py: %d %s seeds in %s" % (out.n, target, outdir))


if __name__ == "__main__":
    main()
