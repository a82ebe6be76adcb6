#!/usr/bin/env python3
"""Send one complete SIP call over UDP on loopback (INVITE, 100, 180, 200, ACK, BYE, 200).

Both user agents are played from sockets of this process: caller 127.0.0.1:PORT_A,
callee 127.0.0.1:5060. Nobody needs to listen; the capture sees every datagram.
Usage: send_call.py CALL-ID [CALLER-PORT]
"""
import socket
import sys
import time

call_id = sys.argv[1]
port_a = int(sys.argv[2]) if len(sys.argv) > 2 else 5062
A, B = ("127.0.0.1", port_a), ("127.0.0.1", 5060)
sa = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sa.bind(A)
sb = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sb.bind(B)

SDP = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")


def msg(first, cseq, method, branch, to_tag="", body=""):
    hdr = [first,
           "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=%s" % (port_a, branch),
           "From: <sip:alice@live.test>;tag=live-a",
           "To: <sip:bob@live.test>" + (";tag=" + to_tag if to_tag else ""),
           "Call-ID: " + call_id,
           "CSeq: %d %s" % (cseq, method)]
    if body:
        hdr.append("Content-Type: application/sdp")
    hdr.append("Content-Length: %d" % len(body))
    return ("\r\n".join(hdr) + "\r\n\r\n" + body).encode()


steps = [
    (sa, B, msg("INVITE sip:bob@live.test SIP/2.0", 1, "INVITE", "z9hG4bK-l1", body=SDP)),
    (sb, A, msg("SIP/2.0 100 Trying", 1, "INVITE", "z9hG4bK-l1")),
    (sb, A, msg("SIP/2.0 180 Ringing", 1, "INVITE", "z9hG4bK-l1", "live-b")),
    (sb, A, msg("SIP/2.0 200 OK", 1, "INVITE", "z9hG4bK-l1", "live-b", SDP)),
    (sa, B, msg("ACK sip:bob@live.test SIP/2.0", 1, "ACK", "z9hG4bK-l2", "live-b")),
    (sa, B, msg("BYE sip:bob@live.test SIP/2.0", 2, "BYE", "z9hG4bK-l3", "live-b")),
    (sb, A, msg("SIP/2.0 200 OK", 2, "BYE", "z9hG4bK-l3", "live-b")),
]
for sock, dst, data in steps:
    sock.sendto(data, dst)
    time.sleep(0.05)
