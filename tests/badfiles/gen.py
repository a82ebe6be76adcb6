#!/usr/bin/env python3
"""gen.py: damaged, odd and foreign capture files for tests/badfiles/run.sh, made at test time.

Usage: tests/badfiles/gen.py DIR
Writes DIR/hostile-text.pcap (the call with terminal escapes in its Call-ID), DIR/<case>.<ext>
for every case and DIR/cases.txt, one line per case:
  name file expected-exit expected-calls stderr-pattern
expected-calls is how many CDRs stdout must hold (0 when nothing could be read). Every file is
built here from one synthetic SIP call (RFC 3261 INVITE..BYE over UDP, with RTP), so the
expectations are known: one call, Call-ID 'badfile-call@192.0.2.1'.
Formats: pcap-savefile(5) (either byte order, us/ns), pcapng (draft-ietf-opsawg-pcapng:
SHB 0x0A0D0D0A, IDB 1, EPB 6), gzip (RFC 1952).
"""
import gzip
import os
import random
import struct
import sys

CALL_ID = "badfile-call@192.0.2.1"
A, B = bytes([192, 0, 2, 1]), bytes([198, 51, 100, 2])
T0 = 1700000000  # 2023-11-14T22:13:20Z


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4_udp(src, dst, sport, dport, payload, ident=1):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), ident, 0, 64, 17, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + udp


def ether(ip):
    return b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00" + ip


def sll(ip):
    # Linux cooked v1: packet type, ARPHRD, address length, 8 address bytes, protocol
    return struct.pack("!HHH8sH", 0, 1, 6, b"\x02\0\0\0\0\x01\0\0", 0x0800) + ip


def sip(first, cseq, from_tag, to_tag="", sdp=None, branch="z9hG4bK1"):
    body = sdp or ""
    to = "<sip:bob@example.net>" + (";tag=" + to_tag if to_tag else "")
    lines = [first,
             "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=" + branch,
             "From: <sip:alice@example.com>;tag=" + from_tag,
             "To: " + to,
             "Call-ID: " + CALL_ID,
             "CSeq: " + cseq,
             "Contact: <sip:alice@192.0.2.1:5060>",
             "Max-Forwards: 70"]
    if sdp:
        lines.append("Content-Type: application/sdp")
    lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def sdp(addr, port):
    return ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=sendrecv\r\n" % (addr, addr, port))


def rtp(seq, ts, ssrc):
    return struct.pack("!BBHII", 0x80, 8, seq, ts, ssrc) + b"\xd5" * 160


def call_packets():
    """(seconds, ip packet) of one complete call: INVITE .. 200 to BYE, 10 RTP packets each way."""
    inv = "INVITE sip:bob@example.net SIP/2.0"
    msgs = [
        (0.000, A, B, sip(inv, "1 INVITE", "ft1", sdp=sdp("192.0.2.1", 16384))),
        (0.010, B, A, sip("SIP/2.0 100 Trying", "1 INVITE", "ft1")),
        (0.020, B, A, sip("SIP/2.0 180 Ringing", "1 INVITE", "ft1", "tt1")),
        (1.000, B, A, sip("SIP/2.0 200 OK", "1 INVITE", "ft1", "tt1", sdp("198.51.100.2", 20000))),
        (1.010, A, B, sip("ACK sip:bob@example.net SIP/2.0", "1 ACK", "ft1", "tt1", branch="z9hG4bK2")),
    ]
    out = [(t, ipv4_udp(s, d, 5060, 5060, p)) for t, s, d, p in msgs]
    for i in range(10):
        t = 1.02 + i * 0.02
        out.append((t, ipv4_udp(A, B, 16384, 20000, rtp(100 + i, 160 * i, 0x11111111), 100 + i)))
        out.append((t + 0.001, ipv4_udp(B, A, 20000, 16384, rtp(500 + i, 160 * i, 0x22222222),
                                        300 + i)))
    out.append((2.0, ipv4_udp(A, B, 5060, 5060,
                              sip("BYE sip:bob@example.net SIP/2.0", "2 BYE", "ft1", "tt1",
                                  branch="z9hG4bK3"))))
    out.append((2.01, ipv4_udp(B, A, 5060, 5060,
                               sip("SIP/2.0 200 OK", "2 BYE", "ft1", "tt1", branch="z9hG4bK3"))))
    return out


def pcap(frames, link=1, snaplen=65535, endian="<", nsec=False, rec=None):
    """A classic pcap; rec(i, caplen, wirelen) may change a record's lengths."""
    magic = 0xA1B23C4D if nsec else 0xA1B2C3D4
    out = struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, snaplen, link)
    for i, (t, f) in enumerate(frames):
        sec = T0 + int(t)
        frac = int(round((t - int(t)) * (1e9 if nsec else 1e6)))
        cap, wire = len(f), len(f)
        if rec:
            cap, wire = rec(i, cap, wire)
        out += struct.pack(endian + "IIII", sec, frac, cap, wire) + f[:cap]
    return out


def block(btype, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def shb():
    return block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))


def idb(link, snaplen=65535):
    return block(1, struct.pack("<HHI", link, 0, snaplen))


def epb(iface, t, frame):
    us = int(round((T0 + t) * 1e6))
    return block(6, struct.pack("<IIIII", iface, us >> 32, us & 0xFFFFFFFF, len(frame), len(frame))
                 + frame)


def eth_frames():
    return [(t, ether(ip)) for t, ip in call_packets()]


def cut_after_packets(data, npackets, extra):
    """A pcap cut `extra` bytes into the record after the first npackets."""
    off = 24
    for _ in range(npackets):
        cap = struct.unpack("<I", data[off + 8:off + 12])[0]
        off += 16 + cap
    return data[:off + extra]


def cases(d):
    good = pcap(eth_frames())
    n = len(call_packets())
    rnd = random.Random(7)
    c = []

    def add(name, ext, data, code, calls, pattern):
        path = os.path.join(d, name + "." + ext)
        with open(path, "wb") as fh:
            fh.write(data)
        c.append((name, path, code, calls, pattern))

    # the reference: the same call, undamaged, in each container
    add("good", "pcap", good, 0, 1, "-")
    add("good-gzip", "pcap.gz", gzip.compress(good, mtime=0), 0, 1, "-")
    frames = call_packets()
    ng = shb() + idb(1) + b"".join(epb(0, t, ether(ip)) for t, ip in frames)
    add("good-pcapng", "pcapng", ng, 0, 1, "-")
    add("header-only", "pcap", good[:24], 0, 0, "-")
    # nothing readable: exit 2, no output
    add("empty", "pcap", b"", 2, 0, "empty")
    add("short-header", "pcap", good[:13], 2, 0, "truncated|short|cannot read")
    add("text", "pcap", b"This is not a capture.\nJust some text, as a README would be.\n" * 20,
        2, 0, "unknown file format")
    with open(sys.executable, "rb") as fh:  # an ELF executable (the Python interpreter)
        add("elf", "pcap", fh.read(4096), 2, 0, "unknown file format")
    add("random", "pcap", bytes(rnd.getrandbits(8) for _ in range(4096)), 2, 0,
        "unknown file format")
    add("gzip-garbage", "pcap.gz", gzip.compress(bytes(rnd.getrandbits(8) for _ in range(4096)),
                                                 mtime=0), 2, 0, "unknown file format")
    add("gzip-header-only", "pcap.gz", gzip.compress(good, mtime=0)[:10], 2, 0,
        "truncated|ends early")
    add("gzip-empty-member", "pcap.gz", gzip.compress(b"", mtime=0), 2, 0, "empty")
    # damage after the call: exit 1, the call on stdout, one line on stderr
    more = good + pcap(eth_frames())[24:]  # the call twice (retransmissions the second time)
    add("cut-record-header", "pcap", cut_after_packets(more, n, 7), 1, 1, "truncated")
    add("cut-record-data", "pcap", cut_after_packets(good, n - 1, 16 + 30), 1, 1, "truncated")
    add("cut-first-record", "pcap", cut_after_packets(good, 0, 16 + 30), 2, 0,
        "truncated.*no packet could be read")
    add("cut-mid-data-after-call", "pcap", cut_after_packets(more, n, 40), 1, 1, "truncated")
    gz = gzip.compress(good + pcap(eth_frames())[24:], mtime=0)
    add("gzip-cut", "pcap.gz", gz[:len(gz) * 3 // 4], 1, 1, "ends early|truncated")
    bad = bytearray(gz)
    for i in range(len(bad) * 3 // 4, len(bad) * 3 // 4 + 16):
        bad[i] ^= 0x5A
    add("gzip-corrupt", "pcap.gz", bytes(bad), 1, 1, "corrupt|crc|invalid")
    add("pcapng-cut-block", "pcapng", ng + epb(0, 3.0, ether(frames[0][1]))[:40], 1, 1,
        "truncated")
    bad_len = ng + struct.pack("<II", 6, 7) + b"\0" * 64
    add("pcapng-bad-block-length", "pcapng", bad_len, 1, 1, "block|length|truncated")
    # mixed link types in one pcapng section: Ethernet, then raw IP and Linux SLL interfaces
    mixed = shb() + idb(1) + idb(101) + idb(113)
    for i, (t, ip) in enumerate(frames):
        iface = i % 3
        frame = ether(ip) if iface == 0 else ip if iface == 1 else sll(ip)
        mixed += epb(iface, t, frame)
    add("pcapng-mixed-links", "pcapng", mixed, 2, 0, "mixes link types.*no packet could be read")
    sll_only = shb() + idb(1) + idb(113)
    for i, (t, ip) in enumerate(frames):
        sll_only += epb(i % 2, t, ether(ip) if i % 2 == 0 else sll(ip))
    add("pcapng-ether-sll", "pcapng", sll_only, 2, 0, "mixes link types")
    # the second interface appears after the call: the call is read first
    late = shb() + idb(1) + b"".join(epb(0, t, ether(ip)) for t, ip in frames) + idb(101) + \
        epb(1, 3.0, frames[0][1])
    add("pcapng-late-second-link", "pcapng", late, 1, 1, "mixes link types")
    # a second section with another link type (pcapng allows it; libpcap may not)
    two = ng + shb() + idb(101) + b"".join(epb(0, 3.0 + t, ip) for t, ip in frames)
    add("pcapng-second-section-raw", "pcapng", two, 1, 1, "mixes link types")
    # record lengths that contradict the header
    # libpcap cuts a record longer than the file's snaplen to the snaplen (sf-pcap.c), as
    # tcpdump shows it: the SIP messages arrive cut, so no call, and no error
    add("caplen-over-snaplen", "pcap", pcap(eth_frames(), snaplen=128), 0, 0, "-")
    add("caplen-over-wirelen", "pcap", pcap(eth_frames(), rec=lambda i, c, w: (c, c // 2)), 0, 1,
        "-")
    add("snaplen-zero", "pcap", pcap(eth_frames(), snaplen=0), 0, 1, "-")
    add("snaplen-huge", "pcap", pcap(eth_frames(), snaplen=0xFFFFFFFF), 0, 1, "-")
    huge = bytearray(good + pcap(eth_frames())[24:])
    off = len(good)
    huge[off + 8:off + 12] = struct.pack("<I", 0x7FFFFFF0)  # a record claiming 2 GB
    add("caplen-huge", "pcap", bytes(huge), 1, 1, "capture length|caplen|invalid|truncated")
    add("caplen-zero", "pcap", pcap(eth_frames(), rec=lambda i, c, w: (0, w) if i == 3 else (c, w)),
        0, 1, "-")
    add("bigendian-cut", "pcap", pcap(eth_frames(), endian=">")[:-5], 1, 1, "truncated")
    add("nsec-sll", "pcap", pcap([(t, sll(ip)) for t, ip in frames], link=113, nsec=True), 0, 1,
        "-")
    add("unknown-link", "pcap", pcap(eth_frames(), link=147), 0, 0, "-")
    return c


def hostile(d):
    """The call again, its Call-ID carrying terminal escapes (OSC set-title, clear screen)."""
    global CALL_ID
    keep = CALL_ID
    CALL_ID = "esc\x1b]0;pwned\x07\x1b[2J@192.0.2.1"
    with open(os.path.join(d, "hostile-text.pcap"), "wb") as fh:
        fh.write(pcap(eth_frames()))
    CALL_ID = keep


def main():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    hostile(d)
    with open(os.path.join(d, "cases.txt"), "w") as fh:
        for name, path, code, calls, pattern in cases(d):
            fh.write("%s %s %d %d %s\n" % (name, path, code, calls, pattern))


if __name__ == "__main__":
    main()
