/* test_pipeline.c: capture thread -> ring -> analysing thread: on_tick, the frame history, replay
 * pacing. */
#include <criterion/criterion.h>

#include <stdatomic.h>

#include <pcap/pcap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../sensor/pipeline.h"
#include "builders.h"

#define S 1000000000ull
#define MS 1000000ull
#define TEST_ERR_MAX 512
#define TEST_TICKS_MAX 100000 /* ticks one run records at most */

/*
 * samples/basic-call.pcap (samples/README.md): one G.711 call, 479 frames
 * over 9.01 s, Call-ID 3c26b1f2e9a0-22066-1@127.0.1.1.
 */
#define TEST_BASIC_FRAMES 479
#define TEST_BASIC_CALL "3c26b1f2e9a0-22066-1@127.0.1.1"

static const char *sample(const char *name)
{
    static char path[256];
    snprintf(path, sizeof path, "samples/%s", name);
    if (access(path, R_OK) != 0)
        snprintf(path, sizeof path, "../samples/%s", name);
    return path;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * S + (uint64_t)ts.tv_nsec;
}

/* What the hooks saw. */
struct seen {
    unsigned ticks; /* on_tick calls with done = false */
    unsigned done;  /* ... with done = true */
    bool tick_after_done;
    unsigned calls;         /* on_call */
    unsigned calls_at_done; /* calls ended before the done tick */
    uint32_t active_at_done;
    uint64_t packets_at_done;
    const struct stats *st_at_done;
    uint64_t last_tick_ns;
    uint64_t min_gap_ns; /* shortest wall time between two ticks */
    uint32_t history_frames_at_done;
    bool history_null;
    char call_id[CALL_ID_MAX];
    /* saves made from the done tick: the call's SIP only, then SIP and its RTP stream */
    const char *save_path;
    const char *save_path2;
    long saved, saved2;
    char save_msg[TEST_ERR_MAX];
    char save_msg2[TEST_ERR_MAX];
};

static void on_call(void *ctx, const struct call *c, const struct correlate *co)
{
    (void)co;
    struct seen *s = ctx;
    if (s->calls++ == 0)
        snprintf(s->call_id, sizeof s->call_id, "%s", c->call_id);
}

/* Set by on_tick once the analysing thread has counted a frame (the run has really started). */
static atomic_bool test_frames_seen;

static void on_tick(void *ctx, const struct correlate *co, const struct stats *st,
                    struct history *h, bool done)
{
    struct seen *s = ctx;
    uint64_t now = mono_ns();
    if (st->v[STAT_PACKETS] > 0)
        atomic_store(&test_frames_seen, true);
    if (!done) { /* the done tick comes whenever the input ends: not counted */
        if (s->last_tick_ns && now - s->last_tick_ns < s->min_gap_ns)
            s->min_gap_ns = now - s->last_tick_ns;
        s->last_tick_ns = now;
    }
    if (s->done)
        s->tick_after_done = true;
    s->history_null = h == NULL;
    if (!done) {
        s->ticks++;
        return;
    }
    s->done++;
    s->calls_at_done = s->calls;
    s->active_at_done = correlate_active_calls(co);
    s->packets_at_done = st->v[STAT_PACKETS];
    s->st_at_done = st;
    if (h) {
        s->history_frames_at_done = history_frames(h);
        if (s->save_path) {
            static char ids[1][CALL_ID_MAX];
            snprintf(ids[0], sizeof ids[0], "%s", s->call_id);
            struct history_match m = {.call_ids = (const char(*)[CALL_ID_MAX])ids, .call_count = 1};
            s->saved = history_save(h, &m, s->save_path, s->save_msg, sizeof s->save_msg);
            if (!s->save_path2)
                return;
            struct endpoint a = {.port = 16384}, b = {.port = 20000};
            cr_assert(addr_parse(SV_LIT("127.0.1.1"), &a.ip));
            cr_assert(addr_parse(SV_LIT("127.0.1.2"), &b.ip));
            m.pair_src = &a;
            m.pair_dst = &b;
            m.pair_count = 1;
            s->saved2 = history_save(h, &m, s->save_path2, s->save_msg2, sizeof s->save_msg2);
        }
    }
}

static void config(struct pipeline_config *cfg, const char *file)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->capture.file = file;
    worker_config_default(&cfg->worker);
    cfg->worker.correlate.max_calls = 256;
    cfg->worker.correlate.max_msgs = 4096;
    cfg->worker.correlate.max_txns = 1024;
    cfg->worker.correlate.max_regs = 64;
    cfg->worker.correlate.media.max_endpoints = 256;
    cfg->worker.correlate.media.max_streams = 256;
    cfg->worker.tcp.max_streams = 64;
    cfg->worker.dpi.max_flows = 256;
    cfg->worker.dpi.max_states = 64;
    cfg->worker.decode.frag_max = 4;
    cfg->ring_bytes = 1u << 20;
}

static enum pipeline_result run(struct pipeline_config *cfg, struct stats *st, struct seen *s)
{
    memset(st, 0, sizeof *st);
    s->min_gap_ns = UINT64_MAX;
    char err[TEST_ERR_MAX] = "";
    enum pipeline_result r = pipeline_run(cfg, st, on_call, NULL, NULL, s, err, sizeof err);
    cr_assert_eq(r, PIPELINE_OK, "%s", err);
    return r;
}

Test(pipeline, no_tick_hook_changes_nothing)
{
    struct pipeline_config cfg;
    config(&cfg, sample("basic-call.pcap"));
    struct stats st;
    struct seen s = {0};
    run(&cfg, &st, &s);
    cr_assert_eq(st.v[STAT_PACKETS], TEST_BASIC_FRAMES);
    cr_assert_eq(s.calls, 1);
    cr_assert_eq(s.ticks + s.done, 0);
}

Test(pipeline, done_tick_comes_last_after_every_call_ended)
{
    struct pipeline_config cfg;
    config(&cfg, sample("basic-call.pcap"));
    cfg.on_tick = on_tick;
    struct stats st;
    struct seen s = {0};
    cfg.on_tick_ctx = &s;
    cfg.tick_ms = 1;
    run(&cfg, &st, &s);
    cr_assert_eq(s.done, 1, "one done tick");
    cr_assert(!s.tick_after_done, "nothing after the done tick");
    cr_assert_geq(s.ticks, 1, "the first look at the clock ticks at once");
    cr_assert_eq(s.calls_at_done, 1, "the call was flushed before the done tick");
    cr_assert_eq(s.active_at_done, 0);
    cr_assert_eq(s.packets_at_done, TEST_BASIC_FRAMES);
    cr_assert_eq(s.st_at_done, &st, "done: the final sums themselves");
    cr_assert(s.history_null, "no history asked for");
    cr_assert_str_eq(s.call_id, TEST_BASIC_CALL);
}

Test(pipeline, ticks_are_at_least_tick_ms_apart)
{
    struct pipeline_config cfg;
    config(&cfg, sample("basic-call.pcap"));
    cfg.capture.speed = 20.0; /* 9 s of packets in ~450 ms */
    cfg.on_tick = on_tick;
    struct stats st;
    struct seen s = {0};
    cfg.on_tick_ctx = &s;
    cfg.tick_ms = 50;
    uint64_t t0 = mono_ns();
    run(&cfg, &st, &s);
    uint64_t took = mono_ns() - t0;
    cr_assert_geq(took, 400 * MS, "paced: took %llu ns", (unsigned long long)took);
    cr_assert_lt(took, 3000 * MS, "took %llu ns", (unsigned long long)took);
    /* every tick but the last (done comes whenever the input ends) is >= 50 ms after the one
     * before; with ~450 ms of input, at least 4 ticks came while frames trickled in */
    cr_assert_geq(s.ticks, 4, "%u ticks", s.ticks);
    cr_assert_leq(s.ticks, 450 / 50 + 2, "%u ticks", s.ticks);
    cr_assert_eq(s.done, 1);
    cr_assert_eq(st.v[STAT_PACKETS], TEST_BASIC_FRAMES);
}

/* A pcap of n UDP frames at the given packet times (ms after t0). */
static void write_pcap(const char *path, const unsigned *ms, unsigned n)
{
    pcap_t *dead =
        pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
    pcap_dumper_t *d = pcap_dump_open(dead, path);
    cr_assert_not_null(d, "%s", pcap_geterr(dead));
    for (unsigned i = 0; i < n; i++) {
        uint8_t f[256];
        static const char opt[] = "OPTIONS sip:x@10.0.0.2 SIP/2.0\r\nCall-ID: idle-1\r\n"
                                  "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
        size_t len =
            builders_udp4(f, sizeof f, "10.0.0.1", 5060, "10.0.0.2", 5060, opt, sizeof opt - 1);
        uint64_t ts = 1700000000ull * S + ms[i] * MS;
        struct pcap_pkthdr h = {.caplen = (uint32_t)len, .len = (uint32_t)len};
        h.ts.tv_sec = (time_t)(ts / S);
        h.ts.tv_usec = (suseconds_t)(ts % S);
        pcap_dump((u_char *)d, &h, f);
    }
    pcap_dump_close(d);
    pcap_close(dead);
}

Test(pipeline, idle_input_still_ticks)
{
    /* Two frames 600 ms apart replayed at 1x: the analysing thread idles in between. */
    char path[] = "/tmp/sipscope-pipeline-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    static const unsigned ms[2] = {0, 600};
    write_pcap(path, ms, 2);
    struct pipeline_config cfg;
    config(&cfg, path);
    cfg.capture.speed = 1.0;
    cfg.on_tick = on_tick;
    struct stats st;
    struct seen s = {0};
    cfg.on_tick_ctx = &s;
    cfg.tick_ms = 100;
    run(&cfg, &st, &s);
    unlink(path);
    cr_assert_eq(st.v[STAT_PACKETS], 2);
    /* 600 ms idle, one look per empty ring and per 100 ms peek: 4 to 8 ticks of 100 ms */
    cr_assert_geq(s.ticks, 4, "%u ticks", s.ticks);
    cr_assert_leq(s.ticks, 8, "%u ticks", s.ticks);
    cr_assert_geq(s.min_gap_ns, 100 * MS, "ticks %llu ns apart", (unsigned long long)s.min_gap_ns);
}

Test(pipeline, fast_replay_ticks_every_packet_second)
{
    /* 6 s of packet time read as fast as possible, with a wall-clock period far longer than
     * the run: the ticks that come are the per-second ones (looked at every 256 frames). */
    char path[] = "/tmp/sipscope-pipeline-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    static unsigned ms[1800];
    for (unsigned i = 0; i < 1800; i++)
        ms[i] = i * 6000 / 1800; /* 300 frames in each of 6 seconds */
    write_pcap(path, ms, 1800);
    struct pipeline_config cfg;
    config(&cfg, path);
    cfg.on_tick = on_tick;
    struct stats st;
    struct seen s = {0};
    cfg.on_tick_ctx = &s;
    cfg.tick_ms = 60000;
    run(&cfg, &st, &s);
    unlink(path);
    cr_assert_eq(st.v[STAT_PACKETS], 1800);
    /* the first wall-clock tick may come at once; then one per new second: 5 of them */
    cr_assert_geq(s.ticks, 5, "%u ticks", s.ticks);
    cr_assert_leq(s.ticks, 7, "%u ticks", s.ticks);
}

/* The saved file holds exactly frames [0, n) of the sample, bytes and times alike. */
static void same_frames_as_sample(const char *saved, const char *name, unsigned n)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *a = pcap_open_offline_with_tstamp_precision(saved, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    cr_assert_not_null(a, "%s", errbuf);
    pcap_t *b =
        pcap_open_offline_with_tstamp_precision(sample(name), PCAP_TSTAMP_PRECISION_NANO, errbuf);
    cr_assert_not_null(b, "%s", errbuf);
    cr_assert_eq(pcap_datalink(a), pcap_datalink(b));
    for (unsigned i = 0; i < n; i++) {
        struct pcap_pkthdr *ha, *hb;
        const u_char *da, *db;
        cr_assert_eq(pcap_next_ex(a, &ha, &da), 1, "saved frame %u", i);
        cr_assert_eq(pcap_next_ex(b, &hb, &db), 1);
        cr_assert_eq(ha->ts.tv_sec, hb->ts.tv_sec, "frame %u", i);
        cr_assert_eq(ha->ts.tv_usec, hb->ts.tv_usec, "frame %u", i);
        cr_assert_eq(ha->caplen, hb->caplen, "frame %u", i);
        cr_assert_eq(ha->len, hb->len, "frame %u", i);
        cr_assert(memcmp(da, db, ha->caplen) == 0, "frame %u", i);
    }
    struct pcap_pkthdr *h;
    const u_char *d;
    cr_assert_eq(pcap_next_ex(a, &h, &d), PCAP_ERROR_BREAK, "no more frames saved");
    pcap_close(a);
    pcap_close(b);
}

Test(pipeline, history_holds_every_frame_and_saves_the_call)
{
    char path[] = "/tmp/sipscope-pipeline-XXXXXX", path2[] = "/tmp/sipscope-pipeline-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    fd = mkstemp(path2);
    cr_assert_geq(fd, 0);
    close(fd);
    struct pipeline_config cfg;
    config(&cfg, sample("basic-call.pcap"));
    cfg.history_bytes = 4u << 20;
    cfg.on_tick = on_tick;
    struct stats st;
    struct seen s = {.save_path = path, .save_path2 = path2};
    cfg.on_tick_ctx = &s;
    run(&cfg, &st, &s);
    cr_assert(!s.history_null);
    cr_assert_eq(s.history_frames_at_done, TEST_BASIC_FRAMES);
    /* SIP only: tshark -Y 'sip.Call-ID == "3c26b1f2e9a0-22066-1@127.0.1.1"' lists frames 1-5,
     * 478 and 479. */
    cr_assert_eq(s.saved, 7, "%s", s.save_msg);
    char expect[TEST_ERR_MAX];
    snprintf(expect, sizeof expect, "saved 7 packets (7 SIP, 0 RTP/RTCP) to %s", path);
    cr_assert_str_eq(s.save_msg, expect);
    /* With its stream (tshark rtp,streams: 236 packets each way between 127.0.1.1:16384 and
     * 127.0.1.2:20000, no RTCP), that is the whole capture, frame for frame. */
    cr_assert_eq(s.saved2, TEST_BASIC_FRAMES, "%s", s.save_msg2);
    snprintf(expect, sizeof expect, "saved 479 packets (7 SIP, 472 RTP/RTCP) to %s", path2);
    cr_assert_str_eq(s.save_msg2, expect);
    same_frames_as_sample(path2, "basic-call.pcap", TEST_BASIC_FRAMES);
    unlink(path);
    unlink(path2);
}

/* A SIP-over-TCP sample: the SIP save takes every frame of the call's connection. */
static void tcp_case(const char *name, const char *call_id, long frames)
{
    char path[] = "/tmp/sipscope-pipeline-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    struct pipeline_config cfg;
    config(&cfg, sample(name));
    cfg.history_bytes = 4u << 20;
    cfg.on_tick = on_tick;
    struct stats st;
    struct seen s = {.save_path = path};
    cfg.on_tick_ctx = &s;
    run(&cfg, &st, &s);
    unlink(path);
    cr_assert_str_eq(s.call_id, call_id);
    cr_assert_eq(s.saved, frames, "%s", s.save_msg);
    char expect[TEST_ERR_MAX];
    snprintf(expect, sizeof expect, "saved %ld packets (%ld SIP, 0 RTP/RTCP) to %s", frames, frames,
             path);
    cr_assert_str_eq(s.save_msg, expect);
}

/* tshark: the call's messages are all in tcp.stream 0, which has 19 frames (SYN to FIN). */
Test(pipeline, sip_over_tcp_saves_the_calls_connection)
{
    tcp_case("basic-call-tcp.pcap", "0d9c8b7a-1-24198@127.0.11.1", 19);
}

/* tshark: split and coalesced messages, all in tcp.stream 0 of 17 frames. */
Test(pipeline, sip_over_tcp_split_segments)
{
    tcp_case("sip-tcp-segments.pcap", "edge-40-5f3a9c@192.0.2.40", 17);
}

/* Stop 100 ms after the first frame was analysed (table set-up under ASan can take longer than
 * that, and a stop before the run starts ends it before any frame). */
static void *stop_soon(void *arg)
{
    (void)arg;
    struct timespec poll = {0, 10 * MS};
    for (int i = 0; i < 500 && !atomic_load(&test_frames_seen); i++)
        nanosleep(&poll, NULL);
    struct timespec ts = {0, 100 * MS};
    nanosleep(&ts, NULL);
    pipeline_stop();
    return NULL;
}

Test(pipeline, stop_ends_a_paced_replay_with_a_done_tick, .timeout = 20)
{
    /* basic-call at 1x would take 9 s: a stop after 100 ms ends it within a few hundred ms. */
    struct pipeline_config cfg;
    config(&cfg, sample("basic-call.pcap"));
    cfg.capture.speed = 1.0;
    cfg.on_tick = on_tick;
    struct stats st;
    struct seen s = {0};
    cfg.on_tick_ctx = &s;
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, stop_soon, NULL), 0);
    uint64_t t0 = mono_ns();
    run(&cfg, &st, &s);
    uint64_t took = mono_ns() - t0;
    pthread_join(t, NULL);
    /* well under the 9 s the replay would take (loose: the machine may be busy) */
    cr_assert_lt(took, 4000 * MS, "took %llu ns", (unsigned long long)took);
    cr_assert_lt(st.v[STAT_PACKETS], TEST_BASIC_FRAMES);
    cr_assert_eq(s.done, 1);
    cr_assert_eq(s.calls_at_done, 1, "the open call was flushed");
}

/*
 * A file read at full speed (no on_tick, no pacing, no ring size given) is
 * analysed on the reading thread, without the ring, in batches whose frames
 * are decoded ahead (worker_frames). Both ways must count exactly the
 * same, calls included, on every kind of input, and a file damaged mid-way
 * is PIPELINE_DAMAGED either way.
 */
static enum pipeline_result run_mode(const char *file, size_t ring_bytes, struct stats *st,
                                     struct seen *s, char *err)
{
    struct pipeline_config cfg;
    config(&cfg, sample(file));
    cfg.ring_bytes = ring_bytes;
    memset(st, 0, sizeof *st);
    memset(s, 0, sizeof *s);
    return pipeline_run(&cfg, st, on_call, NULL, NULL, s, err, TEST_ERR_MAX);
}

Test(pipeline, reading_thread_and_ring_count_the_same)
{
    static const char *const files[] = {
        "basic-call.pcap",
        "basic-call-tcp.pcap",
        "sip-tcp-segments.pcap",
        "ipv4-frag-invite.pcap",
        "format-gzip.pcap.gz",
        "format-pcapng.pcapng",
        "many-calls.pcap.gz",
        "truncated-mid-packet.pcap",
        "ipv6-call.pcap",
        "link-vlan-8021q.pcap",
        "dtmf.pcap",
        "hold-resume.pcap",
        "one-way-audio.pcap",
        "link-sll2.pcap",
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        struct stats a, b;
        struct seen sa, sb;
        char ea[TEST_ERR_MAX] = "", eb[TEST_ERR_MAX] = "";
        enum pipeline_result ra = run_mode(files[i], 0, &a, &sa, ea);
        enum pipeline_result rb = run_mode(files[i], 1u << 20, &b, &sb, eb);
        cr_assert_eq(ra, rb, "%s: %d vs %d", files[i], ra, rb);
        cr_assert_str_eq(ea, eb, "%s", files[i]);
        cr_assert_gt(a.v[STAT_PACKETS], 0, "%s", files[i]);
        for (int k = 0; k < STAT__COUNT; k++)
            cr_assert_eq(a.v[k], b.v[k], "%s: counter %d: %llu vs %llu", files[i], k,
                         (unsigned long long)a.v[k], (unsigned long long)b.v[k]);
        cr_assert_eq(sa.calls, sb.calls, "%s", files[i]);
        cr_assert_str_eq(sa.call_id, sb.call_id, "%s", files[i]);
    }
    struct stats st;
    struct seen s;
    char err[TEST_ERR_MAX] = "";
    cr_assert_eq(run_mode("truncated-mid-packet.pcap", 0, &st, &s, err), PIPELINE_DAMAGED);
    cr_assert_neq(err[0], '\0');
    cr_assert_eq(run_mode("basic-call.pcap", 0, &st, &s, err), PIPELINE_OK);
    cr_assert_eq(st.v[STAT_PACKETS], TEST_BASIC_FRAMES);
    cr_assert_eq(s.calls, 1);
}
