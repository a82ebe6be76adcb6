/* gzfile.c: gzip (RFC 1952) or plain bytes from a descriptor as a FILE * (inflate, fopencookie). */
#define _GNU_SOURCE /* fopencookie(3); the only file allowed it (house style rule 22) */

#include "gzfile.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <zlib.h>

#define GZFILE_ERR_MAX 160
#define GZFILE_GZIP_WBITS (MAX_WBITS + 16) /* inflateInit2: gzip wrapper only, 32 KiB window */

enum gzfile_mode {
    GZFILE_LOOK = 0, /* nothing read yet */
    GZFILE_DIRECT,   /* not gzip: bytes pass through */
    GZFILE_INFLATE,  /* inside a gzip member */
    GZFILE_BETWEEN,  /* a member ended: another may follow */
    GZFILE_DONE,     /* the last member ended */
};

struct gzfile {
    int fd;   /* -1 once closed */
    FILE *fp; /* NULL once fclosed */
    enum gzfile_mode mode;
    bool in_eof;    /* read() returned 0 */
    bool zs_live;   /* inflateInit2 succeeded: inflateEnd owed */
    bool failed;    /* err says what */
    bool may_block; /* not a regular file: read() can wait for a writer */
    bool stopped;   /* a wait for input ended on stop_fn: every read fails now */
    gzfile_stop_fn stop_fn;
    void *stop_ctx;
    uint64_t bytes; /* bytes handed to the reader */
    z_stream zs;    /* next_in/avail_in: unread input inside in[] */
    char err[GZFILE_ERR_MAX];
    uint8_t in[GZFILE_ZBUF_BYTES];
    char iobuf[GZFILE_IOBUF_BYTES]; /* stdio buffer of fp (libpcap freads record by record) */
};

static void gzfile_fail(struct gzfile *g, const char *what, const char *detail)
{
    if (g->failed)
        return; /* keep the first cause */
    if (detail)
        snprintf(g->err, sizeof g->err, "%s (%s)", what, detail);
    else
        snprintf(g->err, sizeof g->err, "%s", what);
    g->failed = true;
}

/*
 * Before a read() that could block: wait until the descriptor has input (or
 * end of file, or an error for read() to report), asking stop_fn every
 * GZFILE_POLL_MS. False once the owner asked to stop (sticky). A regular file
 * never waits. The wait has no bound but the stop request and the input
 * itself: waiting for an idle writer is what reading a live pipe means.
 */
static bool gzfile_wait(struct gzfile *g)
{
    while (!g->stopped) {
        if (g->stop_fn && g->stop_fn(g->stop_ctx)) {
            g->stopped = true;
            break;
        }
        if (!g->may_block)
            return true;
        struct pollfd pfd = {.fd = g->fd, .events = POLLIN};
        int n = poll(&pfd, 1, GZFILE_POLL_MS);
        if (n > 0 || (n < 0 && errno != EINTR))
            return true; /* readable, at end, or an error that read() will name */
    }
    return false;
}

/*
 * Make at least `min` unread input bytes available unless the input ends
 * first. Unread bytes move to the front, then read() fills the free space:
 * on a pipe it returns what is there, so this blocks only while fewer than
 * `min` bytes exist.
 */
static void gzfile_fill(struct gzfile *g, size_t min)
{
    if (g->zs.avail_in >= min || g->in_eof || g->failed || g->stopped)
        return;
    if (g->zs.avail_in && g->zs.next_in != g->in)
        memmove(g->in, g->zs.next_in, g->zs.avail_in);
    g->zs.next_in = g->in;
    while (g->zs.avail_in < min && !g->in_eof) {
        if (!gzfile_wait(g))
            return;
        ssize_t n = read(g->fd, g->in + g->zs.avail_in, sizeof g->in - g->zs.avail_in);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            gzfile_fail(g, "read error", strerror(errno));
            return;
        }
        if (n == 0)
            g->in_eof = true;
        g->zs.avail_in += (uInt)n;
    }
}

static bool gzfile_magic_ahead(const struct gzfile *g)
{
    return g->zs.avail_in >= 2 && g->zs.next_in[0] == 0x1f && g->zs.next_in[1] == 0x8b;
}

/* Not gzip: first what the peek left in the buffer, then straight from the descriptor. */
static ssize_t gzfile_read_direct(struct gzfile *g, char *buf, size_t len)
{
    if (g->zs.avail_in) {
        size_t n = len < g->zs.avail_in ? len : g->zs.avail_in;
        memcpy(buf, g->zs.next_in, n);
        g->zs.next_in += n;
        g->zs.avail_in -= (uInt)n;
        return (ssize_t)n;
    }
    if (g->in_eof)
        return 0;
    for (;;) {
        if (!gzfile_wait(g))
            return -1;
        ssize_t n = read(g->fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            gzfile_fail(g, "read error", strerror(errno));
            return -1;
        }
        if (n == 0)
            g->in_eof = true;
        return n;
    }
}

/*
 * Inflate into buf until it is full, the data ends, or more input would have
 * to be waited for while some output is already there. An error stops the
 * loop but the output made before it is returned; the error comes next call.
 */
static size_t gzfile_inflate(struct gzfile *g, char *buf, size_t len)
{
    g->zs.next_out = (Bytef *)buf;
    g->zs.avail_out = len > UINT_MAX ? UINT_MAX : (uInt)len;
    uInt want = g->zs.avail_out;
    while (g->zs.avail_out > 0 && !g->failed && !g->stopped) {
        bool have_out = g->zs.avail_out != want;
        if (g->mode == GZFILE_BETWEEN) {
            if (have_out && g->zs.avail_in < 2 && !g->in_eof)
                break;
            gzfile_fill(g, 2);
            if (g->failed || g->stopped)
                break;
            if (!gzfile_magic_ahead(g)) {
                g->mode = GZFILE_DONE; /* end; trailing bytes are ignored, as gzip(1) does */
                break;
            }
            inflateReset(&g->zs);
            g->mode = GZFILE_INFLATE;
        }
        if (g->zs.avail_in == 0) {
            if (have_out)
                break;
            gzfile_fill(g, 1);
            if (g->failed || g->stopped)
                break;
            if (g->zs.avail_in == 0) {
                gzfile_fail(g, "gzip data ends early (truncated .gz file)", NULL);
                break;
            }
        }
        int ret = inflate(&g->zs, Z_NO_FLUSH);
        if (ret == Z_STREAM_END) {
            g->mode = GZFILE_BETWEEN;
        } else if (ret == Z_DATA_ERROR) {
            gzfile_fail(g, "gzip data is corrupt", g->zs.msg ? g->zs.msg : "bad deflate data");
        } else if (ret == Z_MEM_ERROR) {
            gzfile_fail(g, "out of memory while inflating gzip data", NULL);
        } else if (ret != Z_OK && !(ret == Z_BUF_ERROR && g->zs.avail_in == 0)) {
            gzfile_fail(g, "gzip data cannot be inflated", g->zs.msg ? g->zs.msg : zError(ret));
        }
    }
    return want - g->zs.avail_out;
}

/* fopencookie read hook: 0 is end of file, -1 an error (stdio sets ferror, which libpcap checks).
 */
static ssize_t gzfile_read(void *cookie, char *buf, size_t len)
{
    struct gzfile *g = cookie;
    if (g->mode == GZFILE_LOOK && !g->failed) {
        gzfile_fill(g, 2);
        if (g->stopped) {
            errno = EINTR; /* nothing is decided before the first two bytes */
            return -1;
        }
        if (!g->failed && gzfile_magic_ahead(g)) {
            if (inflateInit2(&g->zs, GZFILE_GZIP_WBITS) != Z_OK) {
                gzfile_fail(g, "cannot start inflate", g->zs.msg);
            } else {
                g->zs_live = true;
                g->mode = GZFILE_INFLATE;
            }
        } else {
            g->mode = GZFILE_DIRECT;
        }
    }
    ssize_t n = 0;
    if (g->mode == GZFILE_DIRECT && !g->failed)
        n = gzfile_read_direct(g, buf, len);
    else if ((g->mode == GZFILE_INFLATE || g->mode == GZFILE_BETWEEN) && !g->failed)
        n = (ssize_t)gzfile_inflate(g, buf, len);
    if (n > 0) {
        g->bytes += (uint64_t)n;
        return n;
    }
    if (g->failed) {
        errno = EIO;
        return -1;
    }
    if (g->stopped) {
        errno = EINTR; /* a stop, not damage: gzfile_error() stays NULL */
        return -1;
    }
    return 0;
}

static int gzfile_close_hook(void *cookie)
{
    struct gzfile *g = cookie;
    if (g->zs_live) {
        inflateEnd(&g->zs);
        g->zs_live = false;
    }
    int rc = 0;
    if (g->fd >= 0) {
        rc = close(g->fd);
        g->fd = -1;
    }
    g->fp = NULL;
    return rc;
}

struct gzfile *gzfile_create(int fd, char *err, size_t errlen)
{
    struct gzfile *g = calloc(1, sizeof *g);
    if (!g) {
        snprintf(err, errlen, "out of memory for the input reader");
        close(fd);
        return NULL;
    }
    g->fd = fd;
    struct stat st;
    g->may_block = fstat(fd, &st) != 0 || !S_ISREG(st.st_mode);
    g->zs.next_in = g->in;
    cookie_io_functions_t io = {.read = gzfile_read, .close = gzfile_close_hook};
    g->fp = fopencookie(g, "rb", io);
    if (!g->fp) {
        snprintf(err, errlen, "cannot make a stream for the input: %s", strerror(errno));
        close(fd);
        free(g);
        return NULL;
    }
    setvbuf(g->fp, g->iobuf, _IOFBF, sizeof g->iobuf);
    return g;
}

void gzfile_set_stop(struct gzfile *g, gzfile_stop_fn stopped, void *ctx)
{
    g->stop_fn = stopped;
    g->stop_ctx = ctx;
}

bool gzfile_stopped(const struct gzfile *g)
{
    return g->stopped;
}

FILE *gzfile_stream(struct gzfile *g)
{
    return g->fp;
}

bool gzfile_is_gzip(const struct gzfile *g)
{
    return g->zs_live || g->mode >= GZFILE_INFLATE;
}

uint64_t gzfile_bytes(const struct gzfile *g)
{
    return g->bytes;
}

const char *gzfile_error(const struct gzfile *g)
{
    return g->failed ? g->err : NULL;
}

void gzfile_destroy(struct gzfile *g)
{
    if (!g)
        return;
    if (g->fp)
        fclose(g->fp); /* runs gzfile_close_hook */
    free(g);
}
