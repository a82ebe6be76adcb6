#!/usr/bin/env python3
"""feed.py: write a classic pcap (plain or gzip) into a FIFO part by part, for `sipscope -r FIFO`.

Usage: feed.py SRC FIFO --parts K --sync DIR [--timeout S]

The records of SRC are split into K parts of (nearly) equal record count.
Part i is written a few records at a time (so the reader sees a stream, not
one burst); then DIR/fed-i is created, and, unless it was the last part, the
feeder waits for DIR/go-i to appear before writing part i+1. After the last
part the FIFO is closed (the reader sees end of file).

Every wait is bounded by --timeout seconds (default 60): opening the FIFO
(which needs a reader) and each go-i. On timeout, or when the reader goes
away (EPIPE), it says so on stderr and exits 1. Only classic pcap (either
byte order, us or ns) is understood; that is what gen_bench_pcap.py writes.
"""

import argparse
import errno
import gzip
import os
import struct
import sys
import time

CHUNK_RECORDS = 50      # records per write
CHUNK_PAUSE_S = 0.002   # pause between writes


def records(data):
    """Split a classic pcap into (global header, [record bytes...])."""
    if len(data) < 24:
        raise ValueError("shorter than a pcap header")
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise ValueError("not a classic pcap (magic %s)" % magic.hex())
    out = []
    pos = 24
    while pos < len(data):
        if pos + 16 > len(data):
            raise ValueError("record header cut short at byte %d" % pos)
        incl = struct.unpack(endian + "I", data[pos + 8:pos + 12])[0]
        end = pos + 16 + incl
        if end > len(data):
            raise ValueError("record cut short at byte %d" % pos)
        out.append(data[pos:end])
        pos = end
    return data[:24], out


def open_writer(path, deadline):
    """Open the FIFO for writing once a reader has it open (bounded)."""
    while True:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as e:
            if e.errno != errno.ENXIO:
                raise
            if time.monotonic() > deadline:
                raise TimeoutError("no reader opened %s" % path)
            time.sleep(0.02)
            continue
        os.set_blocking(fd, True)
        return fd


def write_all(fd, buf):
    view = memoryview(buf)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def wait_for(path, deadline):
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise TimeoutError("%s did not appear" % path)
        time.sleep(0.02)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("src")
    ap.add_argument("fifo")
    ap.add_argument("--parts", type=int, default=1)
    ap.add_argument("--sync", required=True, help="directory for the fed-i / go-i files")
    ap.add_argument("--timeout", type=float, default=60.0)
    a = ap.parse_args()

    with open(a.src, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    header, recs = records(data)
    k = max(1, min(a.parts, len(recs)))
    bounds = [round(i * len(recs) / k) for i in range(k + 1)]

    try:
        fd = open_writer(a.fifo, time.monotonic() + a.timeout)
    except (TimeoutError, OSError) as e:
        print("feed.py: %s" % e, file=sys.stderr)
        return 1
    try:
        write_all(fd, header)
        for i in range(k):
            part = recs[bounds[i]:bounds[i + 1]]
            for j in range(0, len(part), CHUNK_RECORDS):
                write_all(fd, b"".join(part[j:j + CHUNK_RECORDS]))
                time.sleep(CHUNK_PAUSE_S)
            open(os.path.join(a.sync, "fed-%d" % (i + 1)), "w").close()
            if i + 1 < k:
                wait_for(os.path.join(a.sync, "go-%d" % (i + 1)), time.monotonic() + a.timeout)
    except BrokenPipeError:
        print("feed.py: the reader closed %s early" % a.fifo, file=sys.stderr)
        return 1
    except TimeoutError as e:
        print("feed.py: %s" % e, file=sys.stderr)
        return 1
    finally:
        try:
            os.close(fd)
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
