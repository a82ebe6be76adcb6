/* fuzz_capture.c: libFuzzer target: sipscope's capture file reader against libpcap's own read of
 * the same file, frame by frame. */
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

/*
 * The reader of sensor/capture.c, built here with small sizes: records up to
 * 2 KiB are read in place (larger ones go to libpcap, as records above 256 KiB
 * do in the program), and a file larger than about 6 KiB is read through
 * windows of 10 KiB. So inputs of a few KiB take every path the program takes
 * on captures of megabytes: the buffer of a small file, windows mapped one
 * after the other with records across their ends, and the hand-over to libpcap
 * at the first record the reader does not take. Including the source (not
 * linking its object) keeps the program's sizes out of this build and this
 * build's out of the program.
 */
#define CAPTURE_FAST_MAX_CAPLEN 2048u
#define CAPTURE_MAP_PAGE_MAX 4096u
#define CAPTURE_MAP_BYTES (10u << 10)
#include "../../sensor/capture.c"
#include "fuzzfile.h"

/*
 * Build and run: tests/fuzz/run.sh 60 capture (links sensor/gzfile.c and
 * decoders/status.c besides, and zlib). Seeds: samples/ (tests/fuzz/seeds.py capture
 * keeps each capture's first records, up to 30 000 bytes, in its own format).
 *
 * The input is a capture file, written to a POSIX shared-memory file (its
 * name unlinked at once) and opened by path (/proc/self/fd/N), as
 * `sipscope -r FILE` opens it. It is read twice through capture_next, a frame
 * at a time and in batches of a size the input picks (capture_next_batch, as
 * the inline file read takes them), then once more from a pipe (stdin's way:
 * no seeking, no reading in place).
 *
 * Oracles beyond ASan/UBSan: every error is one non-empty line; the reader
 * never times out or stops on a file; and each way hands over exactly the
 * frames pcap_next_ex gives (time in ns, captured and wire lengths, bytes) on
 * the same file opened by libpcap itself, in order, and ends as it ends: at
 * the end of the file, or at an error. A gzip input is inflated here first
 * (zlib, member after member, bytes after the last member ignored, as
 * gzip -d does) and libpcap reads the result; when the gzip data is broken
 * (corrupt, cut short), the reader's frames need only be the first frames of
 * what was inflated before the damage, since it stops at the damage with its
 * own error. Inputs inflating past FUZZ_CAPTURE_PLAIN_MAX are read unchecked.
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CAPTURE_MAX_FRAMES 20000     /* frames read from one input at most */
#define FUZZ_CAPTURE_BATCH 32             /* the largest batch asked for */
#define FUZZ_CAPTURE_PLAIN_MAX (4u << 20) /* a gzip input inflated for libpcap, at most */

static int fuzz_fd = -1, fuzz_plain_fd = -1;
static char fuzz_path[64], fuzz_plain_path[64];
static uint8_t fuzz_plain[FUZZ_CAPTURE_PLAIN_MAX];

/* What libpcap reads: the input itself, or a gzip input inflated (see above). */
struct fuzz_ref {
    const char *path; /* NULL: no reference (inflated too large) */
    bool prefix;      /* the gzip data is broken: the reader's frames are a prefix */
};

/* The frame's time as capture_ts_ns gives it for a frame libpcap read. */
static uint64_t fuzz_ref_ts(pcap_t *ref, const struct pcap_pkthdr *h)
{
    uint64_t sec = h->ts.tv_sec < 0 ? (uint64_t)(uint32_t)h->ts.tv_sec : (uint64_t)h->ts.tv_sec;
    uint64_t mul = pcap_get_tstamp_precision(ref) == PCAP_TSTAMP_PRECISION_NANO ? 1 : 1000;
    return sec * 1000000000u + (uint64_t)h->ts.tv_usec * mul;
}

/* The next frame of the reference must be f. */
static void fuzz_same_frame(pcap_t *ref, const struct frame *f, int index)
{
    if (!ref)
        return;
    struct pcap_pkthdr *h;
    const u_char *d;
    int rc = pcap_next_ex(ref, &h, &d);
    if (rc != 1) { /* (a prefix too: the reader cannot have more than was inflated) */
        fprintf(stderr, "fuzz_capture: frame %d: the reader has it, libpcap says %d (%s)\n", index,
                rc, pcap_geterr(ref));
        abort();
    }
    uint64_t ts = fuzz_ref_ts(ref, h);
    if (f->ts_ns != ts || f->caplen != h->caplen || f->wirelen != h->len ||
        memcmp(f->data, d, h->caplen) != 0) {
        fprintf(stderr,
                "fuzz_capture: frame %d differs: reader ts %llu caplen %u len %u, libpcap ts "
                "%llu caplen %u len %u%s\n",
                index, (unsigned long long)f->ts_ns, f->caplen, f->wirelen, (unsigned long long)ts,
                h->caplen, h->len,
                f->caplen == h->caplen && memcmp(f->data, d, h->caplen) != 0 ? ", other bytes"
                                                                             : "");
        abort();
    }
}

/* The reference ends as the reader did: r is CAPTURE_EOF or CAPTURE_ERROR. */
static void fuzz_same_end(pcap_t *ref, enum capture_result r, int frames)
{
    if (!ref || frames >= FUZZ_CAPTURE_MAX_FRAMES)
        return;
    struct pcap_pkthdr *h;
    const u_char *d;
    int rc = pcap_next_ex(ref, &h, &d);
    if ((r == CAPTURE_EOF && rc != PCAP_ERROR_BREAK) || (r == CAPTURE_ERROR && rc != PCAP_ERROR)) {
        fprintf(stderr, "fuzz_capture: after %d frames the reader ends with %s, libpcap says %d\n",
                frames, r == CAPTURE_EOF ? "the end" : "an error", rc);
        abort();
    }
}

/*
 * A gzip input inflated into fuzz_plain as gzip -d would: members one after
 * the other while the next starts with the gzip magic. Returns the bytes
 * made, with *ok false when the data is broken; SIZE_MAX past the cap.
 */
static size_t fuzz_gunzip(const uint8_t *data, size_t size, bool *ok)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    *ok = false;
    if (inflateInit2(&zs, MAX_WBITS + 16) != Z_OK)
        abort();
    zs.next_in = (Bytef *)(uintptr_t)data;
    zs.avail_in = (uInt)size;
    zs.next_out = fuzz_plain;
    zs.avail_out = sizeof fuzz_plain;
    for (;;) {
        int ret = inflate(&zs, Z_NO_FLUSH);
        if (ret == Z_STREAM_END) {
            if (zs.avail_in < 2 || zs.next_in[0] != 0x1f || zs.next_in[1] != 0x8b) {
                *ok = true;
                break;
            }
            inflateReset(&zs);
        } else if (ret != Z_OK) {
            break; /* corrupt, or cut short (Z_BUF_ERROR: no input left) */
        }
        if (zs.avail_out == 0) {
            inflateEnd(&zs);
            return SIZE_MAX;
        }
    }
    size_t n = sizeof fuzz_plain - zs.avail_out;
    inflateEnd(&zs);
    return n;
}

/* Read the whole input once: a frame at a time (batch 0) or in batches of at most `batch`. */
static void fuzz_read(const struct capture_config *cc, const struct fuzz_ref *fr, size_t batch)
{
    struct capture *cap;
    char err[600] = "";
    if (capture_open(cc, &cap, err, sizeof err) != STATUS_OK) {
        fuzzfile_one_line(err);
        return;
    }
    char ref_err[PCAP_ERRBUF_SIZE];
    pcap_t *ref =
        fr->path
            ? pcap_open_offline_with_tstamp_precision(fr->path, PCAP_TSTAMP_PRECISION_NANO, ref_err)
            : NULL;
    int frames = 0;
    enum capture_result r = CAPTURE_FRAME;
    while (frames < FUZZ_CAPTURE_MAX_FRAMES) {
        struct frame f[FUZZ_CAPTURE_BATCH];
        size_t n = 0;
        if (batch) {
            size_t max = (size_t)(FUZZ_CAPTURE_MAX_FRAMES - frames);
            if (max > batch)
                max = batch;
            r = capture_next_batch(cap, f, max, &n, err, sizeof err);
            if (r == CAPTURE_FRAME && (n == 0 || n > max))
                abort();
        } else {
            r = capture_next(cap, f, err, sizeof err);
            n = r == CAPTURE_FRAME;
        }
        if (r != CAPTURE_FRAME)
            break;
        for (size_t i = 0; i < n; i++)
            fuzz_same_frame(ref, &f[i], frames++);
    }
    if (r != CAPTURE_FRAME && r != CAPTURE_EOF && r != CAPTURE_ERROR)
        abort(); /* a file never times out or stops */
    if (r == CAPTURE_ERROR)
        fuzzfile_one_line(err);
    if (r != CAPTURE_FRAME && !fr->prefix)
        fuzz_same_end(ref, r, frames);
    if (ref)
        pcap_close(ref);
    capture_close(cap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fuzz_fd < 0) {
        fuzz_fd = fuzzfile_create("capture-input", fuzz_path, sizeof fuzz_path);
        fuzz_plain_fd = fuzzfile_create("capture-plain", fuzz_plain_path, sizeof fuzz_plain_path);
    }
    fuzzfile_write(fuzz_fd, data, size);
    struct fuzz_ref fr = {.path = fuzz_path, .prefix = false};
    if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
        bool ok;
        size_t n = fuzz_gunzip(data, size, &ok);
        if (n == SIZE_MAX) {
            fr.path = NULL;
        } else {
            fuzzfile_write(fuzz_plain_fd, fuzz_plain, n);
            fr.path = fuzz_plain_path;
            fr.prefix = !ok;
        }
    }

    struct capture_config cc;
    memset(&cc, 0, sizeof cc);
    cc.file = fuzz_path;
    fuzz_read(&cc, &fr, 0);
    /* The batch size from the input's last byte: 1 to FUZZ_CAPTURE_BATCH. */
    size_t batch = size ? 1 + data[size - 1] % FUZZ_CAPTURE_BATCH : FUZZ_CAPTURE_BATCH;
    fuzz_read(&cc, &fr, batch);

    /*
     * Once more from a pipe, as `... | sipscope -r -` reads: sensor/gzfile.c
     * peeks at the first bytes without seeking and passes plain bytes through
     * or inflates. The whole input fits the pipe (64 KiB, -max_len 32 KiB),
     * so it is written and the writing end closed before the read.
     */
    int pfd[2];
    if (pipe(pfd) != 0 || fcntl(pfd[0], F_SETFD, FD_CLOEXEC) != 0 ||
        fcntl(pfd[1], F_SETFD, FD_CLOEXEC) != 0 || fcntl(pfd[1], F_SETFL, O_NONBLOCK) != 0)
        abort();
    if (size == 0 || write(pfd[1], data, size) == (ssize_t)size) { /* else: it did not fit */
        close(pfd[1]);
        char pipe_path[64];
        snprintf(pipe_path, sizeof pipe_path, "/proc/self/fd/%d", pfd[0]);
        cc.file = pipe_path;
        fuzz_read(&cc, &fr, batch);
    } else {
        close(pfd[1]);
    }
    close(pfd[0]);
    return 0;
}
