/* fuzz_pcap.c: libFuzzer target: a capture file (pcap, pcapng, gzip) through capture, worker,
 * correlation and every output. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../sensor/capture.h"
#include "../../sensor/worker.h"
#include "fuzzfile.h"
#include "fuzzout.h"
#include "ndpionce.h"

/*
 * Build and run: tests/fuzz/run.sh 60 pcap (links the whole sensor but
 * main.c and the UI, with tests/fuzz/fuzzout.c and tests/fuzz/ndpionce.c).
 * Seeds: samples/ (tests/fuzz/seeds.py pcap trims the long ones to their
 * SIP and the first RTP packets of each stream, in their own format).
 *
 * The input is a capture file as `sipscope -r FILE` would read it: it is
 * written to a POSIX shared-memory file (its name unlinked at once) and
 * opened by path (/proc/self/fd/N), so capture_open
 * takes the real path of a regular file: content sniffing, gzip through
 * sensor/gzfile.c, libpcap's pcap and pcapng readers. Each frame is copied
 * into a heap block of exactly caplen bytes, as the frame ring hands it to
 * the worker, so ASan sees any read past the captured bytes. The worker
 * (decode, IP fragments, TCP reassembly, nDPI classification, SIP, SDP,
 * RTP/RTCP, correlation, media) is created per input with small tables, so
 * evictions happen; ended calls go to every output sink (fuzzout.h checks
 * what they print). The pipeline's two threads and its ring are not used:
 * they only move frames (tests/test_ring.c, tests/test_pipeline.c), and one
 * thread keeps every input deterministic.
 *
 * Oracles beyond ASan/UBSan: capture_open's and capture_next's error is one
 * non-empty line (what the user sees on stderr), and fuzzout's checks. Each
 * input is analysed twice, a frame at a time and in batches decoded ahead
 * (the ring's way and the inline file read's way): the end, the error and
 * every counter must be the same.
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_PCAP_MAX_FRAMES 20000 /* frames read from one input at most */

static int fuzz_fd = -1;
static char fuzz_path[64];

static void fuzz_config(struct worker_config *c)
{
    worker_config_default(c);
    c->decode.frag_max = 8;
    c->decode.frag_timeout_s = 30;
    c->tcp.max_streams = 16;
    c->tcp.buffer_bytes = 16384;
    c->tcp.idle_timeout_s = 60;
    c->correlate.max_calls = 16;
    c->correlate.max_msgs = 256;
    c->correlate.msgs_per_call = 32;
    c->correlate.max_txns = 64;
    c->correlate.max_regs = 8;
    c->correlate.text_bytes = 32u << 10;
    c->correlate.media.max_endpoints = 64;
    c->correlate.media.max_streams = 32;
    c->dpi.max_flows = 32;
    c->dpi.max_states = 16;
    c->sip_ports[1] = 5080;
    c->sip_port_count = 2;
}

#define FUZZ_PCAP_BATCH WORKER_BATCH_MAX /* as sensor/pipeline.c takes them */

/*
 * Every frame of cap through a fresh worker and the output sinks: one at a
 * time (worker_frame, as frames from the ring), or in batches
 * (capture_next_batch, worker_frames, as a file read inline). Each frame is copied to exactly
 * caplen bytes on the heap first, so ASan sees a read past it; a batch's copies live until it is
 * done.
 */
static enum capture_result fuzz_run(struct capture *cap, bool batches, struct stats *st, char *err,
                                    size_t errlen)
{
    static struct worker_config wc;
    fuzz_config(&wc);
    memset(st, 0, sizeof *st);
    fuzzout_begin();
    struct worker *w = worker_create(&wc, st, fuzzout_call, fuzzout_reg, fuzzout_stream, NULL);
    if (!w)
        abort();
    enum capture_result r = CAPTURE_FRAME;
    for (int frames = 0; frames < FUZZ_PCAP_MAX_FRAMES;) {
        struct frame f[FUZZ_PCAP_BATCH];
        size_t n = 0;
        if (batches) {
            size_t max = FUZZ_PCAP_MAX_FRAMES - frames;
            if (max > FUZZ_PCAP_BATCH)
                max = FUZZ_PCAP_BATCH;
            r = capture_next_batch(cap, f, max, &n, err, errlen);
            if (r == CAPTURE_FRAME && (n == 0 || n > max))
                abort();
        } else {
            r = capture_next(cap, f, err, errlen);
            n = r == CAPTURE_FRAME;
        }
        if (r != CAPTURE_FRAME)
            break;
        uint8_t *copy[FUZZ_PCAP_BATCH];
        for (size_t i = 0; i < n; i++) {
            if (f[i].caplen > CAPTURE_DEFAULT_SNAPLEN)
                abort(); /* libpcap caps what it hands over, and so does the own reader */
            copy[i] = malloc(f[i].caplen ? f[i].caplen : 1);
            if (!copy[i])
                abort();
            memcpy(copy[i], f[i].data, f[i].caplen);
            f[i].data = copy[i];
        }
        if (batches)
            worker_frames(w, f, n);
        else
            worker_frame(w, &f[0]);
        for (size_t i = 0; i < n; i++)
            free(copy[i]);
        frames += (int)n;
    }
    if (r != CAPTURE_FRAME && r != CAPTURE_EOF && r != CAPTURE_ERROR)
        abort(); /* a file never times out or stops */
    worker_finish(w);
    fuzzout_end(st);
    worker_destroy(w);
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fuzz_fd < 0)
        fuzz_fd = fuzzfile_create("pcap", fuzz_path, sizeof fuzz_path);
    fuzzfile_write(fuzz_fd, data, size);

    struct capture_config cc;
    memset(&cc, 0, sizeof cc);
    cc.file = fuzz_path;
    struct capture *cap;
    char err[600] = "";
    if (capture_open(&cc, &cap, err, sizeof err) != STATUS_OK) {
        fuzzfile_one_line(err);
        return 0;
    }

    static struct stats st_frame;
    ndpionce_select(0); /* each way its own nDPI module: its caches see only that way's calls */
    enum capture_result r = fuzz_run(cap, false, &st_frame, err, sizeof err);
    capture_close(cap);
    if (r == CAPTURE_ERROR)
        fuzzfile_one_line(err);

    /* Again in batches, decoded ahead, as a file is read inline: the same counts. */
    char err_open[600] = "";
    if (capture_open(&cc, &cap, err_open, sizeof err_open) != STATUS_OK)
        abort(); /* it opened a moment ago */
    static struct stats st_batch;
    char err2[600] = "";
    ndpionce_select(1);
    enum capture_result r2 = fuzz_run(cap, true, &st_batch, err2, sizeof err2);
    capture_close(cap);
    if (r2 != r || strcmp(err, err2) != 0)
        abort();
    bool same = true;
    for (int k = 0; k < STAT__COUNT; k++) {
        if (st_frame.v[k] != st_batch.v[k]) {
            fprintf(stderr, "fuzz_pcap: %s: %llu a frame at a time, %llu in batches\n",
                    stats_name(k), (unsigned long long)st_frame.v[k],
                    (unsigned long long)st_batch.v[k]);
            same = false;
        }
    }
    if (!same)
        abort();
    return 0;
}
