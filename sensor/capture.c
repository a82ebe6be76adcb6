/* capture.c: the only libpcap user: pcap-savefile(5), pcapng (draft-ietf-opsawg-pcapng), live. */
#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <signal.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gzfile.h"

#define CAPTURE_POLL_MS CAPTURE_STOP_MS /* live read timeout: how often capture_next comes back */
#define CAPTURE_NAME_MAX 4096           /* file path or interface name kept for messages */
#define CAPTURE_ERR_MAX 512             /* a sticky end-of-input message */
/* stdio buffer for a plain file: libpcap freads record by record */
#define CAPTURE_IOBUF_BYTES (256u << 10)
/*
 * Where iobuf starts. read(2) fills it with the kernel's copy routine, which
 * on some CPUs (AMD Zen's rep movsb) runs several times slower into a
 * destination that is not 32-byte aligned: a 256 KiB buffer 16 bytes off
 * (what calloc gives a large block) cost 5x the system time on the bench.
 */
#define CAPTURE_IOBUF_ALIGN 64
/*
 * Classic pcap records in a regular file are read by capture_fast_next, not
 * by libpcap, which freads each record twice through stdio (its header, then
 * its data into its own buffer): ~400 instructions and two copies a frame,
 * a third of all the CPU sipscope spends on an RTP-heavy file. Here a frame
 * is a view into a large buffer filled by one fread at a time.
 * Its size: the largest record (CAPTURE_FAST_MAX_CAPLEN and its header) plus
 * a page. A larger buffer costs more than it saves: the kernel's copy into
 * it pushes the call and stream tables out of the core's cache. On the bench
 * captures 1 MiB took 8 % (SIP-heavy) to 12 % (2000 calls up) more CPU.
 */
#define CAPTURE_FAST_BYTES (CAPTURE_FAST_MAX_CAPLEN + 4096u)
#define CAPTURE_FAST_REC_HDR 16u /* pcap-savefile(5): ts_sec, ts_frac, caplen, len */
/*
 * The sizes below are #ifndef so that tests/fuzz/fuzz_capture.c can build this
 * file with small ones: its inputs (a few KiB) then cross window boundaries and
 * meet records the reader hands to libpcap. The program uses these values.
 */
#ifndef CAPTURE_FAST_MAX_CAPLEN
#define CAPTURE_FAST_MAX_CAPLEN 262144u /* libpcap's MAXIMUM_SNAPLEN */
#endif
/*
 * A file larger than that buffer is not copied at all: its records are read
 * where the kernel keeps the file, through a window of it mapped read-only
 * (capture_map_*), CAPTURE_MAP_BYTES at a time, its pages mapped in one go
 * (MAP_POPULATE). The kernel's copy into the buffer was a fifth of all the
 * CPU on the SIP-heavy bench capture, and most of the bytes it copied (RTP
 * payload) are never looked at. Read in place, the record headers would
 * each wait for memory, so the lines CAPTURE_MAP_AHEAD bytes ahead of the
 * reader are requested early (capture_map_prefetch). A window holds the
 * largest record wherever it starts in its first page. One is mapped at a
 * time, so a large file adds at most one window to the resident size of a
 * small one (windows of 1 to 16 MiB ran no faster on the bench captures).
 */
#ifndef CAPTURE_MAP_BYTES
#define CAPTURE_MAP_BYTES (512u << 10)
#endif
#ifndef CAPTURE_MAP_PAGE_MAX
#define CAPTURE_MAP_PAGE_MAX 65536u /* the largest page a window is used with (arm64, ppc64) */
#endif
#define CAPTURE_MAP_AHEAD 4096u
#define CAPTURE_MAP_SLOTS 8 /* captures reading through a window at once; more use the buffer */
_Static_assert(CAPTURE_MAP_BYTES >= CAPTURE_FAST_BYTES + CAPTURE_MAP_PAGE_MAX,
               "a window holds any record");

struct capture {
    pcap_t *p;
    struct gzfile *gz; /* gzip or non-seekable input (stdin, pipes); NULL otherwise */
    bool live;
    bool regular; /* a regular file (capture_is_regular_file) */
    int linktype;
    uint64_t ts_mul;  /* ns per unit of the header's tv_usec: 1 (nano precision) or 1000 */
    atomic_bool stop; /* set by capture_stop, possibly from a signal handler */
    const atomic_bool *ext_stop; /* capture_config.stop: the caller's flag, or NULL */
    enum capture_result end;     /* CAPTURE_FRAME while reading; then the sticky EOF or ERROR */
    uint32_t drop_last; /* pcap_stats ps_drop at the last look (a 32-bit counter that wraps) */
    uint64_t drops;     /* kernel drops, widened to 64 bits */
    /* replay pacing (capture_config.speed > 0, files only) */
    double speed;          /* 0: not paced */
    bool paced;            /* a frame was handed over: the fields below are set */
    uint64_t base_mono_ns; /* wall time (CLOCK_MONOTONIC) at which base_ts_ns is due */
    uint64_t base_ts_ns;   /* packet time the schedule started from */
    uint64_t prev_ts_ns;   /* packet time of the previous frame */
    uint64_t prev_due_ns;  /* when the previous frame was due */
    char name[CAPTURE_NAME_MAX];
    char end_err[CAPTURE_ERR_MAX];
    /* classic pcap records read here (capture_fast_*), while fast_buf is set */
    uint8_t *fast_buf;      /* fast_cap bytes, 64-byte aligned, or the mapped window (map set);
                               NULL: libpcap reads */
    size_t fast_cap;        /* CAPTURE_FAST_BYTES, or less for a small file (the buffer's size) */
    int fast_fd;            /* the file, read with pread or mapped (libpcap's stdio buffer is left
                               alone) */
    off_t fast_next;        /* file offset of the byte after fast_buf[fast_len - 1] */
    size_t fast_pos;        /* next record header in fast_buf */
    size_t fast_len;        /* end of the bytes in fast_buf */
    uint32_t fast_max;      /* largest caplen taken here: the file's snaplen as libpcap took it */
    uint32_t fast_mul;      /* ns per unit of the record's second field: 1000 or 1 */
    uint32_t fast_frac_end; /* that field's units per second: 1000000 or 1000000000 */
    bool fast_swapped;      /* the file's byte order is not ours */
    bool fast_eof;          /* fread found the end (or an error: libpcap will say which) */
    /* fast_buf is a window of the file mapped at file offset fast_next - fast_len, when set */
    struct capture_map_slot *map;
    size_t map_len; /* bytes mapped (fast_len rounded up to pages) */
    size_t map_pf;  /* the next byte of the window to prefetch */
    alignas(CAPTURE_IOBUF_ALIGN) char iobuf[CAPTURE_IOBUF_BYTES];
};

static void capture_fast_start(struct capture *c);
static void capture_fast_free(struct capture *c);

__attribute__((format(printf, 3, 4))) static void capture_err(char *err, size_t errlen,
                                                              const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* capture_stop() was called, or the caller's stop flag is set. Also the gzfile's stop callback. */
static bool capture_stopping(void *ctx)
{
    const struct capture *c = ctx;
    return atomic_load_explicit(&c->stop, memory_order_relaxed) ||
           (c->ext_stop && atomic_load_explicit(c->ext_stop, memory_order_relaxed));
}

/*
 * Turn a failed pcap_fopen_offline into one sentence. zlib's finding comes
 * first (libpcap only saw a read error); an input that gave no byte at all
 * is called empty; libpcap's "unknown file format" gets the list of what we read.
 */
static void capture_open_failure(const struct capture *c, const char *errbuf, char *err,
                                 size_t errlen)
{
    const char *gzerr = c->gz ? gzfile_error(c->gz) : NULL;
    if (gzerr)
        capture_err(err, errlen, "cannot read '%s': %s", c->name, gzerr);
    else if (c->gz && gzfile_stopped(c->gz))
        capture_err(err, errlen, "cannot read '%s': stopped before the capture header arrived",
                    c->name);
    else if (c->gz && gzfile_bytes(c->gz) == 0)
        capture_err(err, errlen, "cannot read '%s': the input is empty (0 bytes)", c->name);
    else if (strcmp(errbuf, "unknown file format") == 0)
        capture_err(err, errlen,
                    "cannot read '%s': unknown file format (not pcap, pcapng, or either gzipped)",
                    c->name);
    else
        capture_err(err, errlen, "cannot read '%s': %s", c->name, errbuf);
}

/*
 * -r FILE or -r - (stdin). The format is recognised by content: a regular
 * file's first two bytes are read with pread (no seek, no stdio state) and
 * gzip magic 1f 8b selects the zlib wrapper; everything else goes to libpcap,
 * which knows pcap (both byte orders, micro- and nanosecond magic) and pcapng.
 * A pipe cannot be peeked and rewound, so stdin, FIFOs and character devices
 * always go through the gzfile wrapper: zlib examines the first bytes itself
 * and passes non-gzip data through unchanged, peeked bytes first.
 * Files are opened with nanosecond precision, so frame.ts_ns keeps the
 * precision of nanosecond pcap files and pcapng interfaces with tsresol 10^-9.
 */
static enum status capture_open_file(struct capture *c, const char *path, char *err, size_t errlen)
{
    bool from_stdin = strcmp(path, "-") == 0;
    snprintf(c->name, sizeof c->name, "%s", from_stdin ? "stdin" : path);
    int fd;
    if (from_stdin) {
        if (isatty(STDIN_FILENO)) {
            capture_err(err, errlen,
                        "cannot read 'stdin': it is a terminal; pipe a capture in or use -r FILE");
            return STATUS_IO;
        }
        fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0); /* the stream closes its own copy */
    } else {
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0) {
        capture_err(err, errlen, "cannot read '%s': %s", c->name, strerror(errno));
        return STATUS_IO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        capture_err(err, errlen, "cannot read '%s': %s", c->name, strerror(errno));
        close(fd);
        return STATUS_IO;
    }
    if (S_ISDIR(st.st_mode)) {
        capture_err(err, errlen, "cannot read '%s': it is a directory, not a capture file",
                    c->name);
        close(fd);
        return STATUS_IO;
    }
    bool regular = S_ISREG(st.st_mode);
    if (regular && st.st_size == 0) {
        capture_err(err, errlen, "cannot read '%s': the file is empty (0 bytes)", c->name);
        close(fd);
        return STATUS_IO;
    }
    bool gzip = !regular;
    if (regular) {
        uint8_t magic[2];
        ssize_t n = pread(fd, magic, sizeof magic, 0);
        if (n < 0) {
            capture_err(err, errlen, "cannot read '%s': %s", c->name, strerror(errno));
            close(fd);
            return STATUS_IO;
        }
        gzip = n == 2 && magic[0] == 0x1f && magic[1] == 0x8b; /* RFC 1952 §2.3.1 ID1 ID2 */
    }

    FILE *fp;
    if (gzip) {
        c->gz = gzfile_create(fd, err, errlen); /* takes fd over, even on failure */
        if (!c->gz)
            return STATUS_IO;
        gzfile_set_stop(c->gz, capture_stopping, c); /* a pipe's idle wait ends on a stop */
        fp = gzfile_stream(c->gz);
    } else {
        fp = fdopen(fd, "rb");
        if (!fp) {
            capture_err(err, errlen, "cannot read '%s': %s", c->name, strerror(errno));
            close(fd);
            return STATUS_IO;
        }
        setvbuf(fp, c->iobuf, _IOFBF, sizeof c->iobuf);
    }

    /*
     * libpcap freads every record twice (header, then data) and stdio locks
     * the stream at each call once the process has a second thread. One
     * thread at a time ever reads it (opened here, read by the capture
     * thread, closed after the join), so the locking is turned off.
     */
    __fsetlocking(fp, FSETLOCKING_BYCALLER);
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    c->p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!c->p) {
        capture_open_failure(c, errbuf, err, errlen);
        if (c->gz) {
            gzfile_destroy(c->gz); /* fcloses the stream and the descriptor */
            c->gz = NULL;
        } else {
            fclose(fp);
        }
        return STATUS_IO;
    }
    c->live = false;
    c->regular = regular;
    return STATUS_OK;
}

/* pcap_activate failed: say why in one sentence, naming the usual fix. */
static void capture_activate_failure(const struct capture *c, int rc, char *err, size_t errlen)
{
    const char *detail = pcap_geterr(c->p);
    if (!detail || !*detail)
        detail = pcap_statustostr(rc);
    switch (rc) {
    case PCAP_ERROR_PERM_DENIED:
    case PCAP_ERROR_PROMISC_PERM_DENIED:
        capture_err(err, errlen, "cannot capture on '%s': you need root or CAP_NET_RAW (%s)",
                    c->name, detail);
        break;
    case PCAP_ERROR_NO_SUCH_DEVICE:
        capture_err(err, errlen, "cannot capture on '%s': no such interface (%s)", c->name, detail);
        break;
    case PCAP_ERROR_IFACE_NOT_UP:
        capture_err(err, errlen, "cannot capture on '%s': the interface is down", c->name);
        break;
    default:
        capture_err(err, errlen, "cannot capture on '%s': %s", c->name, detail);
        break;
    }
}

/* -i IFACE: promiscuous, snaplen, kernel buffer, immediate mode, 100 ms poll, ns stamps if any. */
static enum status capture_open_live(struct capture *c, const struct capture_config *cfg, char *err,
                                     size_t errlen)
{
    snprintf(c->name, sizeof c->name, "%s", cfg->iface);
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    c->p = pcap_create(cfg->iface, errbuf);
    if (!c->p) {
        capture_err(err, errlen, "cannot capture on '%s': %s", c->name, errbuf);
        return STATUS_IO;
    }
    int snaplen = cfg->snaplen > 0 ? cfg->snaplen : CAPTURE_DEFAULT_SNAPLEN;
    long long buf_bytes =
        (long long)(cfg->buffer_mb > 0 ? cfg->buffer_mb : CAPTURE_DEFAULT_BUFFER_MB) << 20;
    pcap_set_snaplen(c->p, snaplen);
    pcap_set_buffer_size(c->p, buf_bytes > INT_MAX ? INT_MAX : (int)buf_bytes);
    pcap_set_immediate_mode(c->p, cfg->immediate ? 1 : 0);
    pcap_set_promisc(c->p, 1);
    pcap_set_timeout(c->p, CAPTURE_POLL_MS);
    pcap_set_tstamp_precision(c->p, PCAP_TSTAMP_PRECISION_NANO); /* falls back to micro */
    int rc = pcap_activate(c->p);
    if (rc < 0) {
        capture_activate_failure(c, rc, err, errlen);
        pcap_close(c->p);
        c->p = NULL;
        return STATUS_IO;
    }
    /* rc > 0 is a warning (promiscuous mode or time stamp type not supported): capture anyway. */
    c->live = true;
    return STATUS_OK;
}

/* BPF filter for files and interfaces; a filter that does not compile is STATUS_MALFORMED. */
static enum status capture_set_filter(struct capture *c, const struct capture_config *cfg,
                                      char *err, size_t errlen)
{
    bpf_u_int32 net = 0;
    bpf_u_int32 mask = PCAP_NETMASK_UNKNOWN;
    char errbuf[PCAP_ERRBUF_SIZE];
    if (c->live && pcap_lookupnet(cfg->iface, &net, &mask, errbuf) != 0)
        mask = PCAP_NETMASK_UNKNOWN; /* only "ip broadcast" needs it */
    struct bpf_program prog;
    if (pcap_compile(c->p, &prog, cfg->filter, 1, mask) != 0) {
        capture_err(err, errlen, "bad capture filter '%s': %s", cfg->filter, pcap_geterr(c->p));
        return STATUS_MALFORMED;
    }
    int rc = pcap_setfilter(c->p, &prog);
    pcap_freecode(&prog);
    if (rc != 0) {
        capture_err(err, errlen, "cannot apply capture filter '%s' on '%s': %s", cfg->filter,
                    c->name, pcap_geterr(c->p));
        return STATUS_MALFORMED;
    }
    return STATUS_OK;
}

enum status capture_open(const struct capture_config *cfg, struct capture **out, char *err,
                         size_t errlen)
{
    *out = NULL;
    if (!cfg || (!cfg->file == !cfg->iface)) {
        capture_err(err, errlen, "give exactly one input: -r FILE or -i IFACE");
        return STATUS_IO;
    }
    /* aligned as iobuf needs (sizeof is a multiple of the alignment, as aligned_alloc wants) */
    struct capture *c = aligned_alloc(alignof(struct capture), sizeof *c);
    if (!c) {
        capture_err(err, errlen, "out of memory for the capture");
        return STATUS_IO;
    }
    memset(c, 0, offsetof(struct capture, iobuf)); /* the stdio buffer needs no clearing */
    atomic_init(&c->stop, false);
    c->ext_stop = cfg->stop;
    c->end = CAPTURE_FRAME;
    c->speed = cfg->file && cfg->speed > 0 ? cfg->speed : 0; /* NaN and negatives: not paced */
    enum status st = cfg->file ? capture_open_file(c, cfg->file, err, errlen)
                               : capture_open_live(c, cfg, err, errlen);
    if (st == STATUS_OK && cfg->filter && *cfg->filter)
        st = capture_set_filter(c, cfg, err, errlen);
    if (st != STATUS_OK) {
        capture_close(c);
        return st;
    }
    c->linktype = pcap_datalink(c->p);
    c->ts_mul = pcap_get_tstamp_precision(c->p) == PCAP_TSTAMP_PRECISION_NANO ? 1 : 1000;
    if (cfg->file && !(cfg->filter && *cfg->filter))
        capture_fast_start(c);
    *out = c;
    return STATUS_OK;
}

void capture_close(struct capture *c)
{
    if (!c)
        return;
    capture_fast_free(c);
    if (c->p)
        pcap_close(c->p); /* fcloses a file's stream, gzip or plain */
    gzfile_destroy(c->gz);
    free(c);
}

/* libpcap 1.10's message when a pcapng interface's link type differs from the first one's. */
#define CAPTURE_MIXED_LINKS "an interface has a type "

/* The end of a file: clean, unless zlib found the gzip data cut short or corrupt. */
static enum capture_result capture_finish(struct capture *c, const char *pcap_err)
{
    const char *gzerr = c->gz ? gzfile_error(c->gz) : NULL;
    if (gzerr) {
        capture_err(c->end_err, sizeof c->end_err, "cannot read '%s': %s", c->name, gzerr);
        c->end = CAPTURE_ERROR;
    } else if (pcap_err && !c->live &&
               strncmp(pcap_err, CAPTURE_MIXED_LINKS, sizeof CAPTURE_MIXED_LINKS - 1) == 0) {
        /*
         * libpcap 1.10 gives a pcapng file one link type, its first interface's:
         * an interface (or a later section) of another type ends the read. Say
         * so, and how to get the file read, rather than pass on its wording.
         */
        const char *first = pcap_datalink_val_to_name(c->linktype);
        capture_err(c->end_err, sizeof c->end_err,
                    "cannot read '%s': the pcapng file mixes link types (%s, then %lu) and "
                    "libpcap reads one per file; split it by interface first (tshark -r FILE "
                    "-Y frame.interface_id==0 -w PART.pcapng)",
                    c->name, first ? first : "?",
                    strtoul(pcap_err + sizeof CAPTURE_MIXED_LINKS - 1, NULL, 10));
        c->end = CAPTURE_ERROR;
    } else if (pcap_err) {
        capture_err(c->end_err, sizeof c->end_err, "%s '%s': %s",
                    c->live ? "capture failed on" : "cannot read", c->name, pcap_err);
        c->end = CAPTURE_ERROR;
    } else {
        c->end_err[0] = '\0';
        c->end = CAPTURE_EOF;
    }
    return c->end;
}

/*
 * Packet time in ns since the epoch. A pcap savefile stores the seconds as an
 * unsigned 32-bit field (pcap-savefile(5): good until 2106), but libpcap 1.10
 * reads them into a signed 32-bit integer and sign-extends it into tv_sec, so
 * a record at or after 2^31 s (2038-01-19) arrives negative. Reading the
 * seconds back as unsigned 32 bits undoes that. A negative tv_sec cannot come
 * from anywhere else: pcapng and live stamps are positive 64-bit values, which
 * are kept as they are (pcapng can go past 2106).
 */
static uint64_t capture_ts_ns(const struct capture *c, const struct timeval *tv)
{
    uint64_t sec = tv->tv_sec < 0 ? (uint64_t)(uint32_t)tv->tv_sec : (uint64_t)tv->tv_sec;
    return sec * 1000000000u + (uint64_t)tv->tv_usec * c->ts_mul;
}

#define CAPTURE_NS_PER_S 1000000000ull
#define CAPTURE_NS_PER_MS 1000000ull
#define CAPTURE_PACE_MAX_NS 1e18 /* a wait longer than 31 years is cut there (tiny speeds) */

static uint64_t capture_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * CAPTURE_NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* Packet time divided by the speed, in wall nanoseconds. */
static uint64_t capture_scaled(const struct capture *c, uint64_t packet_ns)
{
    double ns = (double)packet_ns / c->speed;
    return ns < CAPTURE_PACE_MAX_NS ? (uint64_t)ns : (uint64_t)CAPTURE_PACE_MAX_NS;
}

/*
 * When the frame of packet time ts is due (the rule is capture_config.speed's):
 * on the schedule that started at base, or, after a discontinuity, right
 * after the previous frame (a bounded wait for a gap), restarting the schedule.
 */
static uint64_t capture_due(struct capture *c, uint64_t ts)
{
    if (!c->paced) {
        c->paced = true;
        c->base_mono_ns = capture_mono_ns();
        c->base_ts_ns = ts;
        c->prev_ts_ns = ts;
        c->prev_due_ns = c->base_mono_ns;
        return c->base_mono_ns;
    }
    uint64_t due;
    if (ts < c->prev_ts_ns || ts - c->prev_ts_ns > CAPTURE_REPLAY_GAP_S * CAPTURE_NS_PER_S) {
        uint64_t wait = 0;
        if (ts > c->prev_ts_ns) {
            wait = capture_scaled(c, ts - c->prev_ts_ns);
            if (wait > CAPTURE_REPLAY_GAP_WAIT_MS * CAPTURE_NS_PER_MS)
                wait = CAPTURE_REPLAY_GAP_WAIT_MS * CAPTURE_NS_PER_MS;
        }
        due = c->prev_due_ns + wait;
        c->base_mono_ns = due;
        c->base_ts_ns = ts;
    } else {
        due = c->base_mono_ns + capture_scaled(c, ts - c->base_ts_ns);
    }
    c->prev_ts_ns = ts;
    c->prev_due_ns = due;
    return due;
}

/*
 * Sleep until the frame of packet time ts is due, in slices of at most
 * CAPTURE_STOP_MS; false when a stop came first.
 */
static bool capture_pace(struct capture *c, uint64_t ts)
{
    uint64_t due = capture_due(c, ts);
    for (;;) {
        if (capture_stopping(c))
            return false;
        uint64_t now = capture_mono_ns();
        if (now >= due)
            return true;
        uint64_t until = due - now > CAPTURE_STOP_MS * CAPTURE_NS_PER_MS
                             ? now + CAPTURE_STOP_MS * CAPTURE_NS_PER_MS
                             : due;
        struct timespec at = {.tv_sec = (time_t)(until / CAPTURE_NS_PER_S),
                              .tv_nsec = (long)(until % CAPTURE_NS_PER_S)};
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL); /* EINTR: look again */
    }
}

/* ---- classic pcap records read here (CAPTURE_FAST_BYTES at most) ------------------------ */

static uint32_t capture_fast_u32(const uint8_t *p, bool swapped)
{
    uint32_t v;
    memcpy(&v, p, sizeof v); /* the writer's byte order: ours, or swapped (its magic says) */
    return swapped ? __builtin_bswap32(v) : v;
}

static uint16_t capture_fast_u16(const uint8_t *p, bool swapped)
{
    uint16_t v;
    memcpy(&v, p, sizeof v);
    return swapped ? __builtin_bswap16(v) : v;
}

/*
 * A window's bytes can vanish under the reader: a file truncated by another
 * program while it is read (logrotate's copytruncate, say) takes its pages
 * with it, and touching one of them raises SIGBUS, which would end the
 * process. So each mapped window is registered in a slot, and the handler
 * below turns a fault inside one into zero bytes (an anonymous page mapped
 * over the rest of the window), marks the slot cut and lets the access run
 * again. The reader looks at the mark after each record header and ends the
 * read there with an error; frames already handed over may hold zeros where
 * the file went and are decoded as the damaged frames they are. A SIGBUS
 * anywhere else goes to the action that was there before: the handler puts it
 * back and returns, and the access faults again into it.
 */
struct capture_map_slot {
    atomic_uintptr_t lo, hi; /* the mapped window's addresses; hi 0: none */
    atomic_bool busy;        /* taken by a capture */
    atomic_bool cut;         /* a fault in the window was turned into zeros */
};

static struct capture_map_slot capture_map_slots[CAPTURE_MAP_SLOTS];
static struct sigaction capture_bus_prev;
static pthread_once_t capture_bus_once = PTHREAD_ONCE_INIT;
static bool capture_bus_ok;    /* the handler is in place */
static uintptr_t capture_page; /* the page size */

static void capture_bus(int sig, siginfo_t *si, void *uctx)
{
    (void)sig;
    (void)uctx;
    uintptr_t a = (uintptr_t)si->si_addr;
    for (int i = 0; i < CAPTURE_MAP_SLOTS; i++) {
        struct capture_map_slot *m = &capture_map_slots[i];
        uintptr_t lo = atomic_load(&m->lo), hi = atomic_load(&m->hi);
        if (a < lo || a >= hi)
            continue;
        uintptr_t page = a & ~(capture_page - 1);
        /* mmap is a plain system call on Linux, safe here though POSIX does not list it */
        if (mmap((void *)page, hi - page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
                 0) == MAP_FAILED)
            break;
        atomic_store(&m->cut, true);
        return;
    }
    sigaction(SIGBUS, &capture_bus_prev, NULL);
}

static void capture_bus_install(void)
{
    long page = sysconf(_SC_PAGESIZE);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = capture_bus;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    capture_page = page > 0 ? (uintptr_t)page : 4096u;
    capture_bus_ok = sigaction(SIGBUS, &sa, &capture_bus_prev) == 0;
}

/* A free slot for a window, the handler installed first; NULL: none (read into the buffer). */
static struct capture_map_slot *capture_map_claim(void)
{
    pthread_once(&capture_bus_once, capture_bus_install);
    if (!capture_bus_ok || capture_page > CAPTURE_MAP_PAGE_MAX)
        return NULL; /* a record could start too far into a window's first page to fit it */
    for (int i = 0; i < CAPTURE_MAP_SLOTS; i++) {
        bool free_slot = false;
        if (atomic_compare_exchange_strong(&capture_map_slots[i].busy, &free_slot, true)) {
            atomic_store(&capture_map_slots[i].cut, false);
            return &capture_map_slots[i];
        }
    }
    return NULL;
}

/*
 * Unmap the window (the frames in it are no longer valid: see capture_next),
 * then map the one that starts at the page holding file offset at: one
 * window at a time, so the resident size never holds two. False when the
 * file has no byte past what is mapped already (the window stays), or the
 * mapping failed (then none is mapped and fast_next says where the reading
 * stopped: capture_fast_stop hands over from there).
 */
static bool capture_map_window(struct capture *c, off_t at)
{
    struct stat st;
    if (fstat(c->fast_fd, &st) != 0 || st.st_size <= c->fast_next || st.st_size <= at)
        return false;
    off_t base = at & ~(off_t)(capture_page - 1);
    uint64_t left = (uint64_t)(st.st_size - base);
    size_t len = left < CAPTURE_MAP_BYTES ? (size_t)left : CAPTURE_MAP_BYTES;
    atomic_store(&c->map->hi, 0);
    if (c->fast_buf)
        munmap(c->fast_buf, c->map_len);
    void *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, c->fast_fd, base);
    if (p == MAP_FAILED) {
        c->fast_buf = NULL;
        c->fast_pos = c->fast_len = 0;
        c->fast_next = at;
        return false;
    }
    c->fast_buf = p;
    c->map_len = (len + capture_page - 1) & ~(size_t)(capture_page - 1);
    c->fast_len = len;
    c->fast_pos = (size_t)(at - base);
    c->fast_next = base + (off_t)len;
    c->map_pf = c->fast_pos & ~(size_t)63;
    atomic_store(&c->map->lo, (uintptr_t)p);
    atomic_store(&c->map->hi, (uintptr_t)p + c->map_len);
    return true;
}

/* Unmap the window and give its slot back. */
static void capture_map_release(struct capture *c)
{
    atomic_store(&c->map->hi, 0);
    atomic_store(&c->map->lo, 0);
    if (c->fast_buf)
        munmap(c->fast_buf, c->map_len);
    atomic_store(&c->map->busy, false);
    c->map = NULL;
    c->fast_buf = NULL;
}

/* The window or the buffer, whichever fast_buf is; fast_buf NULL after. */
static void capture_fast_free(struct capture *c)
{
    if (c->map)
        capture_map_release(c);
    free(c->fast_buf); /* NULL after a release */
    c->fast_buf = NULL;
}

/* Ask for the window's lines up to CAPTURE_MAP_AHEAD bytes past the reader. */
static void capture_map_prefetch(struct capture *c)
{
    size_t until = c->fast_pos + CAPTURE_MAP_AHEAD;
    if (until > c->fast_len)
        until = c->fast_len;
    for (; c->map_pf < until; c->map_pf += 64)
        __builtin_prefetch(c->fast_buf + c->map_pf);
}

/*
 * After libpcap opened and checked the file: read its records here when it
 * is classic pcap (pcap-savefile(5) magic, either byte order, micro- or
 * nanosecond) in a regular file, with no filter to run and a link type whose
 * frames libpcap hands over untouched (it rewrites USB and NFLOG headers).
 * Otherwise, or when the buffer cannot be had, libpcap reads as before.
 */
static void capture_fast_start(struct capture *c)
{
    /* Raw IP goes by several numbers: DLT_RAW is 12 on most systems and 14 on OpenBSD, and
     * files may also carry LINKTYPE_RAW (101) as written. */
    static const int plain_links[] = {DLT_NULL, DLT_EN10MB,    DLT_RAW,       12,
                                      14,       101,           DLT_LOOP,      DLT_IPV4,
                                      DLT_IPV6, DLT_LINUX_SLL, DLT_LINUX_SLL2};
    bool plain = false;
    for (size_t i = 0; i < sizeof plain_links / sizeof plain_links[0]; i++)
        plain = plain || plain_links[i] == c->linktype;
    FILE *fp = pcap_file(c->p);
    if (!plain || c->live || c->gz || !fp)
        return;
    uint8_t m[8];
    if (pread(fileno(fp), m, sizeof m, 0) != (ssize_t)sizeof m)
        return;
    uint32_t magic = capture_fast_u32(m, false);
    bool swapped;
    if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du)
        swapped = false;
    else if (magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u)
        swapped = true;
    else
        return; /* pcapng, or a variant with longer record headers */
    /*
     * Version 2.4 and later only. Before 2.3 a record held its wire length
     * before its captured length, and 2.3 files were written both ways;
     * libpcap swaps the two back (for 2.3 when caplen > len), so those go
     * to it. (Found by fuzz_capture: read here, a 2.1 file's records were
     * cut at their wire lengths.)
     */
    if (capture_fast_u16(m + 4, swapped) != 2 || capture_fast_u16(m + 6, swapped) < 4)
        return;
    off_t at = ftello(fp);
    int snap = pcap_snapshot(c->p);
    if (at < 0 || snap <= 0 || swapped != (pcap_is_swapped(c->p) == 1))
        return;
    /* A small file gets a buffer its size (plus a page): opening many small files stays cheap.
     * A file that grows meanwhile is still read whole: a record that does not fit goes to
     * libpcap (capture_fast_next). A file larger than the buffer is read through a mapped
     * window instead, when a slot is free and the mapping works. */
    struct stat st;
    size_t cap = CAPTURE_FAST_BYTES;
    bool have_size = fstat(fileno(fp), &st) == 0 && st.st_size >= 0;
    if (have_size && (uint64_t)st.st_size < cap)
        cap = (((size_t)st.st_size + 4095) & ~(size_t)4095) + 4096;
    c->fast_fd = fileno(fp);
    c->fast_buf = NULL;
    c->fast_next = at;
    if (have_size && (uint64_t)st.st_size > CAPTURE_FAST_BYTES && (c->map = capture_map_claim())) {
        if (!capture_map_window(c, at))
            capture_map_release(c); /* read into the buffer after all */
    }
    if (!c->map)
        c->fast_buf = aligned_alloc(CAPTURE_IOBUF_ALIGN, cap);
    if (!c->fast_buf)
        return;
    c->fast_swapped = swapped;
    c->fast_mul = (magic == 0xa1b23c4du || magic == 0x4d3cb2a1u) ? 1 : 1000;
    c->fast_frac_end = 1000000000u / c->fast_mul;
    c->fast_max =
        (uint32_t)snap < CAPTURE_FAST_MAX_CAPLEN ? (uint32_t)snap : CAPTURE_FAST_MAX_CAPLEN;
    c->fast_cap = cap;
    c->fast_eof = false;
    if (!c->map)
        c->fast_pos = c->fast_len = 0;
}

/*
 * Through a window: map the next one from the first unread record on, unless
 * the file was cut meanwhile. Into the buffer:
 * keep the unread bytes, append what the file has next; false when nothing
 * more came. The bytes kept are moved so that they end on a 64-byte boundary:
 * the kernel then copies into an aligned address (see CAPTURE_IOBUF_ALIGN).
 * pread at our own offset: stdio's buffer and position stay as libpcap left
 * them until capture_fast_stop repositions the stream.
 */
static bool capture_fast_fill(struct capture *c)
{
    if (c->map)
        return !atomic_load(&c->map->cut) &&
               capture_map_window(c, c->fast_next - (off_t)(c->fast_len - c->fast_pos));
    size_t keep = c->fast_len - c->fast_pos;
    size_t pad = (CAPTURE_IOBUF_ALIGN - keep % CAPTURE_IOBUF_ALIGN) % CAPTURE_IOBUF_ALIGN;
    if (keep)
        memmove(c->fast_buf + pad, c->fast_buf + c->fast_pos, keep);
    c->fast_pos = pad;
    c->fast_len = pad + keep;
    if (c->fast_eof)
        return false;
    ssize_t n;
    do
        n = pread(c->fast_fd, c->fast_buf + c->fast_len, c->fast_cap - c->fast_len, c->fast_next);
    while (n < 0 && errno == EINTR);
    if (n <= 0) {
        c->fast_eof = true; /* the end, or an error libpcap will meet again and name */
        return false;
    }
    c->fast_len += (size_t)n;
    c->fast_next += n;
    return true;
}

/*
 * Hand the rest of the file to libpcap from the first record not taken here:
 * the end, a record cut short, a caplen above the snaplen, a time field out
 * of range, a read error. libpcap then reads (or rejects) it as it always
 * has, with its own words for what is wrong.
 */
static void capture_fast_stop(struct capture *c)
{
    FILE *fp = pcap_file(c->p);
    off_t at = c->fast_next - (off_t)(c->fast_len - c->fast_pos);
    bool cut = c->map && atomic_load(&c->map->cut);
    capture_fast_free(c);
    if (cut) {
        capture_err(c->end_err, sizeof c->end_err,
                    "cannot read '%s': the file shrank while it was read (truncated by another "
                    "program?); the frames before are read",
                    c->name);
        c->end = CAPTURE_ERROR;
        return;
    }
    clearerr(fp);
    if (fseeko(fp, at, SEEK_SET) != 0) {
        capture_err(c->end_err, sizeof c->end_err, "cannot read '%s': %s", c->name,
                    strerror(errno));
        c->end = CAPTURE_ERROR;
    }
}

/*
 * The record at pos as a view into fast_buf, when it is whole there and one
 * taken here (caplen within the snaplen, time field in range); its end in *end.
 */
static bool capture_fast_record(const struct capture *c, size_t pos, struct frame *f, size_t *end)
{
    size_t avail = c->fast_len - pos;
    if (avail < CAPTURE_FAST_REC_HDR)
        return false;
    const uint8_t *h = c->fast_buf + pos;
    uint32_t caplen = capture_fast_u32(h + 8, c->fast_swapped);
    uint32_t frac = capture_fast_u32(h + 4, c->fast_swapped);
    uint32_t sec = capture_fast_u32(h, c->fast_swapped);
    /* a header the file lost while it was read reads as zeros: look at the mark after it */
    atomic_signal_fence(memory_order_seq_cst);
    if (c->map && atomic_load_explicit(&c->map->cut, memory_order_relaxed))
        return false;
    if (caplen > c->fast_max || frac >= c->fast_frac_end || avail - CAPTURE_FAST_REC_HDR < caplen)
        return false;
    f->ts_ns = (uint64_t)sec * 1000000000u + (uint64_t)frac * c->fast_mul;
    f->caplen = caplen;
    f->wirelen = capture_fast_u32(h + 12, c->fast_swapped);
    f->linktype = c->linktype;
    f->data = h + CAPTURE_FAST_REC_HDR;
    *end = pos + CAPTURE_FAST_REC_HDR + caplen;
    return true;
}

/* The next record as a view into fast_buf (valid until the next call); false: see fast_stop. */
static bool capture_fast_next(struct capture *c, struct frame *f)
{
    for (int fills = 0;; fills++) {
        size_t end;
        if (capture_fast_record(c, c->fast_pos, f, &end)) {
            c->fast_pos = end;
            if (c->map)
                capture_map_prefetch(c);
            return true;
        }
        if (fills == 1 || !capture_fast_fill(c))
            break;
    }
    capture_fast_stop(c);
    return false;
}

/*
 * pcap_next_ex results: 1 a packet; 0 the live read timeout expired;
 * PCAP_ERROR_BREAK the end of a file, or pcap_breakloop on a live handle;
 * PCAP_ERROR a read error, which for a file includes libpcap's "truncated dump
 * file; tried to read N header bytes, only got M". Every complete frame before
 * the damage has been returned by then. EOF and ERROR are sticky.
 */
enum capture_result capture_next(struct capture *c, struct frame *f, char *err, size_t errlen)
{
    if (capture_stopping(c))
        return CAPTURE_STOPPED;
    if (c->end != CAPTURE_FRAME) {
        if (c->end == CAPTURE_ERROR)
            capture_err(err, errlen, "%s", c->end_err);
        return c->end;
    }
    if (c->fast_buf) {
        if (capture_fast_next(c, f)) {
            if (c->speed > 0 && !capture_pace(c, f->ts_ns))
                return CAPTURE_STOPPED;
            return CAPTURE_FRAME;
        }
        if (c->end == CAPTURE_ERROR) {
            capture_err(err, errlen, "%s", c->end_err);
            return c->end;
        }
    }
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc = pcap_next_ex(c->p, &h, &data);
    if (rc == 1) {
        f->ts_ns = capture_ts_ns(c, &h->ts);
        f->caplen = h->caplen;
        f->wirelen = h->len;
        f->linktype = c->linktype;
        f->data = data;
        if (c->speed > 0 && !capture_pace(c, f->ts_ns))
            return CAPTURE_STOPPED;
        return CAPTURE_FRAME;
    }
    /* a stop that interrupted a wait on a pipe surfaces as a read error: it is a stop */
    if (capture_stopping(c))
        return CAPTURE_STOPPED;
    enum capture_result r;
    if (rc == 0)
        return CAPTURE_TIMEOUT;
    if (rc == PCAP_ERROR_BREAK)
        r = c->live ? CAPTURE_STOPPED : capture_finish(c, NULL);
    else
        r = capture_finish(c, pcap_geterr(c->p));
    if (r == CAPTURE_ERROR)
        capture_err(err, errlen, "%s", c->end_err);
    return r;
}

enum capture_result capture_next_batch(struct capture *c, struct frame *fs, size_t max, size_t *n,
                                       char *err, size_t errlen)
{
    *n = 0;
    enum capture_result r = capture_next(c, &fs[0], err, errlen);
    if (r != CAPTURE_FRAME)
        return r;
    *n = 1;
    if (!c->fast_buf || c->speed > 0)
        return CAPTURE_FRAME; /* libpcap's frame lives until its next read; pacing is per frame */
    /* The records after it that are already in fast_buf: no read, no move of the buffer. */
    size_t end;
    while (*n < max && capture_fast_record(c, c->fast_pos, &fs[*n], &end)) {
        c->fast_pos = end;
        ++*n;
        if (c->map)
            capture_map_prefetch(c);
    }
    return CAPTURE_FRAME;
}

/*
 * Async-signal-safe: a lock-free atomic store, then pcap_breakloop, which sets
 * libpcap's flag and (live, Linux) writes its wake-up eventfd so a poll in
 * progress returns at once instead of at the next 100 ms timeout. A read
 * waiting on a pipe sees the flag at its next poll (gzfile, CAPTURE_STOP_MS).
 */
void capture_stop(struct capture *c)
{
    atomic_store_explicit(&c->stop, true, memory_order_relaxed);
    pcap_breakloop(c->p);
}

int capture_linktype(const struct capture *c)
{
    return c->linktype;
}

bool capture_is_live(const struct capture *c)
{
    return c->live;
}

bool capture_is_regular_file(const struct capture *c)
{
    return c->regular;
}

/*
 * pcap_stats' ps_drop: packets the kernel dropped because the ring buffer was
 * full, since the handle was opened. It is a 32-bit counter, so the difference
 * since the last look is added to a 64-bit total. Call from the capture thread.
 */
uint64_t capture_kernel_drops(struct capture *c)
{
    if (!c->live)
        return 0;
    struct pcap_stat ps;
    if (pcap_stats(c->p, &ps) == 0) {
        uint32_t now = (uint32_t)ps.ps_drop;
        c->drops += (uint32_t)(now - c->drop_last);
        c->drop_last = now;
    }
    return c->drops;
}

const char *capture_name(const struct capture *c)
{
    return c->name;
}
