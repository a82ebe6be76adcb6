/* spool.c: on-disk spool of segment files; CRC-32 per record (RFC 1952 §8), gzip (RFC 1952). */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#include "../decoders/cursor.h"

/*
 * Segment file "%020llu.seg" (".seg.gz": the same bytes, gzip-compressed):
 *
 *   +----------+---------+--------+--------+--
 *   | SIPSPOOL | version | record | record | ...
 *   | 8 bytes  | 1 (u8)  |        |        |
 *   +----------+---------+--------+--------+--
 *
 * Record, integers little-endian:
 *
 *   0       8            10        14          18
 *   +-------+------------+---------+-----------+--------+-----+-------+-------+
 *   |  seq  | sensor_len | key_len | value_len | sensor | key | value | crc32 |
 *   |  u64  |    u16     |   u32   |    u32    |        |     |       |  u32  |
 *   +-------+------------+---------+-----------+--------+-----+-------+-------+
 *
 * crc32 is zlib's crc32() over the 18-byte header and the three strings. A
 * record cut short, with a bad CRC or with a length over its cap ends the
 * reading of its segment: the records before it are whole and are sent.
 *
 * Bounds. Segments are tracked in a fixed table of SPOOL_SEGMENTS_MAX
 * entries; at open the lowest-named ones are taken and any beyond are left
 * on disk untouched (counted in segments and bytes, not read this run: the
 * next run takes them once this one has drained the rest). When appending
 * needs a new segment and the table is full, spool_append returns
 * STATUS_FULL. A segment holds at most SPOOL_SEGMENT_RECORDS_MAX records
 * (the token carries the index in 20 bits); a longer one found on disk is
 * treated as damaged past that point. One record buffer of SPOOL_RECORD_MAX
 * bytes serves every read; nothing is allocated per record.
 *
 * Delivery progress. Tokens are the segment's table slot (12 bits) and the
 * record's index in the segment (20 bits). Per segment, prefix counts the
 * leading records known delivered, and a 64-bit window remembers records
 * delivered out of order up to SPOOL_DONE_WINDOW past it; a record delivered
 * further ahead is not remembered for the .done file, so at worst it is sent
 * again next run (a duplicate, never a loss).
 *
 * Size accounting. The cap compares the sum of the closed segments' sizes
 * (stat) plus the open segment plus the new record with max_bytes. A plain
 * open segment counts its exact size. A gzip one counts the deflate bound of
 * the bytes given to it, since zlib holds compressed output back: that is an
 * upper bound of what the file becomes, so the cap holds; when it would say
 * full, the open gzip segment is closed first so its real size counts.
 * spool_counts reports the bytes actually on disk (gzoffset while open).
 * segment_bytes is compared with the size on disk too, so a gzip segment
 * closes only once zlib's buffers (about 8 KiB) have reached the file.
 *
 * Files. DIR/lock holds the owner's pid. A new segment whose name is taken
 * (by an earlier segment of that number, either kind) takes the next free
 * number. A damaged segment is moved to DIR/damaged/ (never over a file
 * there: ".1", ".2"... are added) once its whole records have been handed
 * out, or at open when none are left; a record of it that then fails
 * delivery is kept only there. A plain write that fails is cut back to the
 * last whole record (O_APPEND, ftruncate); a gzip stream cannot be cut back,
 * so that segment is closed, and if records counted in it never reached the
 * file, reading it says STATUS_IO and leaves it to the next run's scan.
 */

#define SPOOL_SEGMENTS_MAX 4096u /* segments tracked at once: 12 token bits */
#define SPOOL_TOKEN_INDEX_BITS 20u
#define SPOOL_TOKEN_INDEX_MASK ((1u << SPOOL_TOKEN_INDEX_BITS) - 1u)
#define SPOOL_SEGMENT_RECORDS_MAX SPOOL_TOKEN_INDEX_MASK /* records in one segment */
#define SPOOL_DONE_WINDOW 64u                            /* out-of-order deliveries remembered */
#define SPOOL_DIR_MAX 1024u                              /* length of the directory name */
#define SPOOL_PATH_MAX (SPOOL_DIR_MAX + 64u)             /* DIR/damaged/<20 digits>.seg.gz.NNN */
#define SPOOL_ERR_MAX (SPOOL_PATH_MAX + 192u)
#define SPOOL_SCAN_MAX (1u << 20)                  /* directory entries looked at by one scan */
#define SPOOL_NAME_TRIES (2u * SPOOL_SEGMENTS_MAX) /* numbers tried for a new segment's name */
#define SPOOL_DAMAGED_TRIES 100u                   /* suffixes tried in DIR/damaged/ */
#define SPOOL_MAGIC "SIPSPOOL"
#define SPOOL_MAGIC_LEN 8u
#define SPOOL_VERSION 1u
#define SPOOL_FILE_HDR (SPOOL_MAGIC_LEN + 1u)
#define SPOOL_REC_HDR 18u
#define SPOOL_REC_CRC 4u
#define SPOOL_RECORD_MAX                                                                           \
    ((size_t)SPOOL_REC_HDR + SPOOL_SENSOR_MAX + SPOOL_KEY_MAX + SPOOL_VALUE_MAX + SPOOL_REC_CRC)
#define SPOOL_NUM_DIGITS 20u

struct spool_seg {
    uint64_t num;       /* the number in the file name */
    uint64_t size;      /* file size once closed */
    uint64_t records;   /* whole records in the file */
    uint64_t skip;      /* leading records an earlier run delivered (.done) */
    uint64_t next;      /* index of the next record to hand out */
    uint64_t delivered; /* settled delivered by this run */
    uint64_t failed;    /* settled not delivered by this run */
    uint64_t prefix;    /* leading records known delivered, skip included */
    uint64_t window;    /* bit i: record prefix + i was delivered */
    bool used;
    bool gz;
    bool damaged;     /* stops at a bad record: moved to damaged/ once read */
    bool in_dir;      /* the file is in DIR (not yet deleted or moved) */
    bool read_failed; /* could not be read this run: left for the next */
};

struct spool {
    struct spool_config cfg;
    char dir[SPOOL_DIR_MAX + 1];
    int lock_fd;
    struct spool_seg segs[SPOOL_SEGMENTS_MAX];
    uint64_t closed_bytes;  /* sizes of the closed segments in DIR, left ones included */
    uint64_t left_segments; /* segments in DIR past the table: not read this run */
    uint64_t found, appended, delivered, damaged, outstanding;
    int w_slot; /* segment being written, or -1 */
    int w_fd;
    gzFile w_gz;    /* non-NULL when the segment being written is gzip */
    uint64_t w_raw; /* bytes given to it, file header included */
    int r_slot;     /* segment being read, or -1 */
    gzFile r_gz;
    uint8_t *buf; /* SPOOL_RECORD_MAX bytes: the record spool_read hands out */
    char err[SPOOL_ERR_MAX];
};

enum spool_rec { SPOOL_REC_OK, SPOOL_REC_END, SPOOL_REC_BAD, SPOOL_REC_IO };

/* ---- names and messages ---- */

static void seg_path(const struct spool *s, const struct spool_seg *g, char *out, size_t len)
{
    snprintf(out, len, "%s/%020llu.seg%s", s->dir, (unsigned long long)g->num, g->gz ? ".gz" : "");
}

static void done_path(const struct spool *s, uint64_t num, char *out, size_t len)
{
    snprintf(out, len, "%s/%020llu.done", s->dir, (unsigned long long)num);
}

static void set_err(struct spool *s, const char *what, const char *path, const char *why)
{
    snprintf(s->err, sizeof s->err, "cannot %s '%s': %s", what, path, why);
}

/* "<20 digits><suffix>" → number; false for any other name or a number past 2^64-1. */
static bool name_number(const char *name, const char *suffix, uint64_t *num)
{
    uint64_t v = 0;
    for (size_t i = 0; i < SPOOL_NUM_DIGITS; i++) {
        if (name[i] < '0' || name[i] > '9')
            return false;
        uint64_t d = (uint64_t)(name[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (strcmp(name + SPOOL_NUM_DIGITS, suffix) != 0)
        return false;
    *num = v;
    return true;
}

/* zlib's deflateBound for the default parameters gzopen uses, plus the gzip header and trailer. */
static uint64_t compressed_bound(uint64_t n)
{
    return n + (n >> 12) + (n >> 14) + (n >> 25) + 13u + 18u;
}

static uint64_t seg_cost(const struct spool *s, uint64_t raw)
{
    return s->cfg.gzip ? compressed_bound(raw) : raw;
}

/* ---- reading records ---- */

/* What a short or failed gzread means: the file ended early (damage) or read(2) failed. */
static enum spool_rec read_failure(gzFile g)
{
    int e = Z_OK;
    gzerror(g, &e);
    return e == Z_ERRNO ? SPOOL_REC_IO : SPOOL_REC_BAD;
}

static enum spool_rec read_exact(gzFile g, uint8_t *p, size_t n)
{
    int got = gzread(g, p, (unsigned)n);
    if (got >= 0 && (size_t)got == n)
        return SPOOL_REC_OK;
    return read_failure(g);
}

/* The file header; SPOOL_REC_END for an empty file (created, then the run stopped). */
static enum spool_rec read_file_header(gzFile g, uint8_t *buf)
{
    int got = gzread(g, buf, SPOOL_FILE_HDR);
    if (got == 0) {
        int e = Z_OK;
        gzerror(g, &e);
        return e == Z_OK ? SPOOL_REC_END : e == Z_ERRNO ? SPOOL_REC_IO : SPOOL_REC_BAD;
    }
    if (got < 0 || (size_t)got != SPOOL_FILE_HDR)
        return read_failure(g);
    if (memcmp(buf, SPOOL_MAGIC, SPOOL_MAGIC_LEN) != 0 || buf[SPOOL_MAGIC_LEN] != SPOOL_VERSION)
        return SPOOL_REC_BAD;
    return SPOOL_REC_OK;
}

/*
 * One record into buf (SPOOL_RECORD_MAX bytes); r points into buf.
 * SPOOL_REC_END only at a clean end of file on a record boundary (a gzip
 * stream without its trailer is not clean: zlib reports Z_BUF_ERROR).
 */
static enum spool_rec read_record(gzFile g, uint8_t *buf, struct spool_record *r)
{
    int got = gzread(g, buf, SPOOL_REC_HDR);
    if (got == 0) {
        int e = Z_OK;
        gzerror(g, &e);
        return e == Z_OK ? SPOOL_REC_END : e == Z_ERRNO ? SPOOL_REC_IO : SPOOL_REC_BAD;
    }
    if (got < 0 || (size_t)got != SPOOL_REC_HDR)
        return read_failure(g);
    struct cursor c = cur_make(buf, SPOOL_REC_HDR);
    uint64_t seq = cur_le32(&c);
    seq |= (uint64_t)cur_le32(&c) << 32;
    size_t sl = cur_le16(&c);
    size_t kl = cur_le32(&c);
    size_t vl = cur_le32(&c);
    if (c.bad || sl > SPOOL_SENSOR_MAX || kl > SPOOL_KEY_MAX || vl > SPOOL_VALUE_MAX)
        return SPOOL_REC_BAD;
    size_t body = sl + kl + vl;
    enum spool_rec st = read_exact(g, buf + SPOOL_REC_HDR, body + SPOOL_REC_CRC);
    if (st != SPOOL_REC_OK)
        return st;
    struct cursor t = cur_make(buf + SPOOL_REC_HDR + body, SPOOL_REC_CRC);
    uint32_t want = cur_le32(&t);
    if (crc32(0L, buf, (uInt)(SPOOL_REC_HDR + body)) != want)
        return SPOOL_REC_BAD;
    const char *p = (const char *)buf + SPOOL_REC_HDR;
    *r = (struct spool_record){.seq = seq,
                               .sensor = p,
                               .sensor_len = sl,
                               .key = p + sl,
                               .key_len = kl,
                               .value = p + sl + kl,
                               .value_len = vl};
    return SPOOL_REC_OK;
}

/*
 * Count the whole records of a segment found at open. false when it cannot be
 * read at all (the reason in s->err); damage is not an error: g->damaged.
 */
static bool scan_segment(struct spool *s, struct spool_seg *g)
{
    char path[SPOOL_PATH_MAX];
    seg_path(s, g, path, sizeof path);
    errno = 0;
    gzFile f = gzopen(path, "rbe");
    if (!f) {
        set_err(s, "read", path, strerror(errno ? errno : ENOMEM));
        return false;
    }
    enum spool_rec st = read_file_header(f, s->buf);
    struct spool_record r;
    /* bounded: one more read than a segment may hold records */
    for (uint64_t i = 0; st == SPOOL_REC_OK && i <= SPOOL_SEGMENT_RECORDS_MAX; i++) {
        st = read_record(f, s->buf, &r);
        if (st == SPOOL_REC_OK && g->records == SPOOL_SEGMENT_RECORDS_MAX)
            st = SPOOL_REC_BAD; /* more records than we ever write in one segment */
        else if (st == SPOOL_REC_OK)
            g->records++;
    }
    int saved = errno;
    gzclose(f);
    if (st == SPOOL_REC_IO) {
        set_err(s, "read", path, strerror(saved ? saved : EIO));
        return false;
    }
    g->damaged = st == SPOOL_REC_BAD;
    return true;
}

/* ---- segment files ---- */

static void seg_forget(struct spool *s, struct spool_seg *g)
{
    if (g->in_dir)
        s->closed_bytes -= g->size;
    *g = (struct spool_seg){0};
}

static void unlink_done(struct spool *s, uint64_t num)
{
    char path[SPOOL_PATH_MAX];
    done_path(s, num, path, sizeof path);
    if (unlink(path) != 0 && errno != ENOENT)
        set_err(s, "remove", path, strerror(errno));
}

/* Move a damaged segment to DIR/damaged/, never over an earlier one of the same name. */
static bool move_damaged(struct spool *s, struct spool_seg *g)
{
    char from[SPOOL_PATH_MAX], to[SPOOL_PATH_MAX];
    seg_path(s, g, from, sizeof from);
    snprintf(to, sizeof to, "%s/damaged", s->dir);
    if (mkdir(to, 0700) != 0 && errno != EEXIST) {
        set_err(s, "create", to, strerror(errno));
        return false;
    }
    const char *base = strrchr(from, '/') + 1;
    for (unsigned i = 0; i < SPOOL_DAMAGED_TRIES; i++) {
        if (i == 0)
            snprintf(to, sizeof to, "%s/damaged/%s", s->dir, base);
        else
            snprintf(to, sizeof to, "%s/damaged/%s.%u", s->dir, base, i);
        struct stat st;
        if (lstat(to, &st) == 0)
            continue;
        if (rename(from, to) != 0) {
            set_err(s, "move", from, strerror(errno));
            return false;
        }
        s->closed_bytes -= g->size;
        g->in_dir = false;
        unlink_done(s, g->num);
        return true;
    }
    set_err(s, "move", from, "DIR/damaged/ holds too many of that name");
    return false;
}

/* Delete a segment every record of which was delivered, and its .done. */
static void retire(struct spool *s, int slot)
{
    struct spool_seg *g = &s->segs[slot];
    if (g->in_dir) {
        char path[SPOOL_PATH_MAX];
        seg_path(s, g, path, sizeof path);
        if (unlink(path) != 0 && errno != ENOENT) {
            /* still on disk: the .done written at close makes the next run skip it all */
            set_err(s, "remove", path, strerror(errno));
            g->prefix = g->records;
            return;
        }
    }
    unlink_done(s, g->num);
    seg_forget(s, g);
}

static bool slot_has_num(const struct spool *s, uint64_t num)
{
    for (size_t i = 0; i < SPOOL_SEGMENTS_MAX; i++)
        if (s->segs[i].used && s->segs[i].num == num)
            return true;
    return false;
}

static int free_slot(const struct spool *s)
{
    for (size_t i = 0; i < SPOOL_SEGMENTS_MAX; i++)
        if (!s->segs[i].used)
            return (int)i;
    return -1;
}

/* write(2) the whole iovec array, resuming after short writes; each turn writes at least one byte.
 */
static bool write_all(int fd, struct iovec *iov, int n)
{
    while (n > 0) {
        ssize_t w = writev(fd, iov, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            return false;
        }
        size_t left = (size_t)w;
        while (n > 0 && left >= iov->iov_len) {
            left -= iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + left;
            iov->iov_len -= left;
        }
    }
    return true;
}

static bool gz_piece(gzFile g, const void *p, size_t n)
{
    return n == 0 || gzwrite(g, p, (unsigned)n) == (int)n;
}

/* Flush, fsync and close the segment being written; its size then counts in closed_bytes. */
static enum status finish_writer(struct spool *s)
{
    if (s->w_slot < 0)
        return STATUS_OK;
    struct spool_seg *g = &s->segs[s->w_slot];
    char path[SPOOL_PATH_MAX];
    seg_path(s, g, path, sizeof path);
    enum status st = STATUS_OK;
    if (s->w_gz) {
        int e = gzclose(s->w_gz);
        if (e != Z_OK) {
            set_err(s, "write", path,
                    e == Z_ERRNO ? strerror(errno) : "zlib could not finish the stream");
            st = STATUS_IO;
        }
        s->w_gz = NULL;
    }
    if (fsync(s->w_fd) != 0 && st == STATUS_OK) {
        set_err(s, "write", path, strerror(errno));
        st = STATUS_IO;
    }
    struct stat sb;
    g->size = fstat(s->w_fd, &sb) == 0 ? (uint64_t)sb.st_size : s->w_raw;
    close(s->w_fd);
    s->w_fd = -1;
    s->w_slot = -1;
    s->w_raw = 0;
    g->in_dir = true;
    s->closed_bytes += g->size;
    if (g->records == 0) {
        /* nothing made it in (the first write failed): not a segment */
        if (unlink(path) == 0)
            seg_forget(s, g);
    }
    return st;
}

/* A new segment named after seq, or the next number free in the table and on disk. */
static enum status start_writer(struct spool *s, uint64_t seq)
{
    int slot = free_slot(s);
    if (slot < 0)
        return STATUS_FULL;
    struct spool_seg *g = &s->segs[slot];
    char path[SPOOL_PATH_MAX];
    uint64_t num = seq;
    int fd = -1;
    for (unsigned i = 0; i < SPOOL_NAME_TRIES && fd < 0; i++) {
        *g = (struct spool_seg){.num = num, .gz = !s->cfg.gzip};
        seg_path(s, g, path, sizeof path); /* the other kind of the same number */
        struct stat sb;
        bool taken = slot_has_num(s, num) || lstat(path, &sb) == 0;
        g->gz = s->cfg.gzip;
        seg_path(s, g, path, sizeof path);
        if (!taken) {
            fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
            if (fd < 0 && errno != EEXIST) {
                set_err(s, "create", path, strerror(errno));
                *g = (struct spool_seg){0};
                return STATUS_IO;
            }
        }
        if (fd < 0) {
            if (num == UINT64_MAX)
                break;
            num++;
        }
    }
    if (fd < 0) {
        set_err(s, "create", path, "no free segment name");
        *g = (struct spool_seg){0};
        return STATUS_IO;
    }
    g->used = true;
    s->w_slot = slot;
    s->w_fd = fd;
    s->w_raw = 0;
    uint8_t hdr[SPOOL_FILE_HDR];
    memcpy(hdr, SPOOL_MAGIC, SPOOL_MAGIC_LEN);
    hdr[SPOOL_MAGIC_LEN] = SPOOL_VERSION;
    bool ok;
    if (s->cfg.gzip) {
        int gfd = dup(fd);
        s->w_gz = gfd >= 0 ? gzdopen(gfd, "wb") : NULL;
        if (!s->w_gz && gfd >= 0)
            close(gfd);
        ok = s->w_gz && gz_piece(s->w_gz, hdr, sizeof hdr);
        if (!s->w_gz)
            errno = ENOMEM;
    } else {
        struct iovec iov = {hdr, sizeof hdr};
        ok = write_all(fd, &iov, 1);
    }
    if (!ok) {
        set_err(s, "write", path, strerror(errno));
        if (s->w_gz)
            gzclose(s->w_gz);
        s->w_gz = NULL;
        close(fd);
        unlink(path);
        s->w_fd = -1;
        s->w_slot = -1;
        *g = (struct spool_seg){0};
        return STATUS_IO;
    }
    s->w_raw = SPOOL_FILE_HDR;
    return STATUS_OK;
}

/* ---- open ---- */

static struct spool *spool_create(void)
{
    struct spool *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->buf = malloc(SPOOL_RECORD_MAX);
    if (!s->buf) {
        free(s);
        return NULL;
    }
    s->lock_fd = -1;
    s->w_fd = -1;
    s->w_slot = -1;
    s->r_slot = -1;
    return s;
}

static void spool_free(struct spool *s)
{
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    free(s->buf);
    free(s);
}

/* mkdir -p with mode 0700: each '/' of the name once, then the whole name. */
static bool make_dirs(const char *dir, char *err, size_t errlen)
{
    char p[SPOOL_DIR_MAX + 1];
    size_t n = strlen(dir);
    memcpy(p, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        char c = p[i];
        p[i] = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create spool directory '%s': %s", dir, strerror(errno));
            return false;
        }
        p[i] = c;
    }
    struct stat sb;
    int e = stat(dir, &sb) != 0 ? errno : !S_ISDIR(sb.st_mode) ? ENOTDIR : 0;
    if (e) {
        snprintf(err, errlen, "cannot create spool directory '%s': %s", dir, strerror(e));
        return false;
    }
    return true;
}

static bool take_lock(struct spool *s, char *err, size_t errlen)
{
    char path[SPOOL_PATH_MAX];
    snprintf(path, sizeof path, "%s/lock", s->dir);
    s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (s->lock_fd < 0) {
        snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
        return false;
    }
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK) {
            snprintf(err, errlen, "cannot lock '%s': %s", path, strerror(errno));
            return false;
        }
        char b[24];
        ssize_t n = pread(s->lock_fd, b, sizeof b - 1, 0);
        unsigned long long pid = 0;
        bool have = false;
        for (ssize_t i = 0; i < n && b[i] >= '0' && b[i] <= '9' && i < 12; i++) {
            pid = pid * 10 + (unsigned long long)(b[i] - '0');
            have = true;
        }
        if (have)
            snprintf(err, errlen, "spool '%s' is in use by another sipscope (pid %llu)", s->dir,
                     pid);
        else
            snprintf(err, errlen, "spool '%s' is in use by another sipscope", s->dir);
        return false;
    }
    char b[24];
    int n = snprintf(b, sizeof b, "%ld\n", (long)getpid());
    if (ftruncate(s->lock_fd, 0) != 0 || pwrite(s->lock_fd, b, (size_t)n, 0) != n) {
        snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
        return false;
    }
    return true;
}

/* Take a segment found on disk into the table, keeping the lowest-named SPOOL_SEGMENTS_MAX. */
static void table_add(struct spool *s, uint64_t num, bool gz, uint64_t size)
{
    s->closed_bytes += size;
    int slot = free_slot(s);
    if (slot < 0) {
        size_t hi = 0;
        for (size_t i = 1; i < SPOOL_SEGMENTS_MAX; i++)
            if (s->segs[i].num > s->segs[hi].num)
                hi = i;
        s->left_segments++;
        if (num >= s->segs[hi].num)
            return;
        slot = (int)hi; /* the highest-named one is left for a later run */
    }
    s->segs[slot] =
        (struct spool_seg){.num = num, .size = size, .gz = gz, .used = true, .in_dir = true};
}

/* The decimal count in DIR/N.done; 0 when absent or unreadable (records are then sent again). */
static uint64_t read_done(struct spool *s, uint64_t num)
{
    char path[SPOOL_PATH_MAX];
    done_path(s, num, path, sizeof path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char b[SPOOL_NUM_DIGITS + 2];
    ssize_t n = read(fd, b, sizeof b);
    close(fd);
    uint64_t v = 0;
    for (ssize_t i = 0; i < n && b[i] >= '0' && b[i] <= '9'; i++) {
        uint64_t d = (uint64_t)(b[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    return v;
}

static bool scan_dir(struct spool *s, char *err, size_t errlen)
{
    DIR *d = opendir(s->dir);
    if (!d) {
        snprintf(err, errlen, "cannot read spool directory '%s': %s", s->dir, strerror(errno));
        return false;
    }
    /* pass 1: segments */
    struct dirent *e;
    for (unsigned n = 0; n < SPOOL_SCAN_MAX && (e = readdir(d)) != NULL; n++) {
        uint64_t num;
        bool gz = name_number(e->d_name, ".seg.gz", &num);
        if (!gz && !name_number(e->d_name, ".seg", &num))
            continue;
        struct stat sb;
        if (fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(sb.st_mode))
            continue;
        table_add(s, num, gz, (uint64_t)sb.st_size);
    }
    /* count, apply .done, drop what has nothing left to send */
    for (size_t i = 0; i < SPOOL_SEGMENTS_MAX; i++) {
        struct spool_seg *g = &s->segs[i];
        if (!g->used)
            continue;
        if (!scan_segment(s, g)) {
            /* unreadable now: left on disk, like a segment past the table */
            g->used = false;
            s->left_segments++;
            continue;
        }
        if (g->damaged)
            s->damaged++;
        g->skip = read_done(s, g->num);
        if (g->skip > g->records)
            g->skip = g->records;
        g->next = g->prefix = g->skip;
        if (g->skip == g->records) {
            if (g->damaged) {
                if (move_damaged(s, g))
                    seg_forget(s, g);
                else
                    g->next = g->records; /* stays; not read */
            } else {
                retire(s, (int)i);
            }
            continue;
        }
        s->found += g->records - g->skip;
    }
    /* pass 2: .done files whose segment is gone */
    rewinddir(d);
    for (unsigned n = 0; n < SPOOL_SCAN_MAX && (e = readdir(d)) != NULL; n++) {
        uint64_t num;
        if (!name_number(e->d_name, ".done", &num) || slot_has_num(s, num))
            continue;
        char path[SPOOL_PATH_MAX];
        struct stat sb;
        struct spool_seg probe = {.num = num};
        seg_path(s, &probe, path, sizeof path);
        if (lstat(path, &sb) == 0)
            continue;
        probe.gz = true;
        seg_path(s, &probe, path, sizeof path);
        if (lstat(path, &sb) == 0)
            continue;
        unlink_done(s, num);
    }
    closedir(d);
    return true;
}

enum status spool_open(const struct spool_config *c, struct spool **out, char *err, size_t errlen)
{
    *out = NULL;
    if (errlen)
        err[0] = '\0';
    if (!c->dir || !c->dir[0]) {
        snprintf(err, errlen, "no spool directory given");
        return STATUS_IO;
    }
    size_t n = strlen(c->dir);
    while (n > 1 && c->dir[n - 1] == '/')
        n--;
    if (n > SPOOL_DIR_MAX) {
        snprintf(err, errlen, "spool directory name too long (over %u bytes): '%.64s...'",
                 SPOOL_DIR_MAX, c->dir);
        return STATUS_IO;
    }
    struct spool *s = spool_create();
    if (!s) {
        snprintf(err, errlen, "cannot open spool '%s': %s", c->dir, strerror(ENOMEM));
        return STATUS_IO;
    }
    memcpy(s->dir, c->dir, n);
    s->dir[n] = '\0';
    s->cfg = *c;
    s->cfg.dir = s->dir;
    if (!make_dirs(s->dir, err, errlen) || !take_lock(s, err, errlen) ||
        !scan_dir(s, err, errlen)) {
        spool_free(s);
        return STATUS_IO;
    }
    *out = s;
    return STATUS_OK;
}

/* ---- append ---- */

enum status spool_append(struct spool *s, const struct spool_record *r)
{
    if (r->sensor_len > SPOOL_SENSOR_MAX || r->key_len > SPOOL_KEY_MAX ||
        r->value_len > SPOOL_VALUE_MAX || (r->sensor_len && !r->sensor) ||
        (r->key_len && !r->key) || (r->value_len && !r->value))
        return STATUS_MALFORMED;
    uint64_t rec = SPOOL_REC_HDR + r->sensor_len + r->key_len + r->value_len + SPOOL_REC_CRC;

    /* the cap, with what the open segment becomes, or a new one's file header */
    uint64_t after =
        s->closed_bytes + seg_cost(s, s->w_slot >= 0 ? s->w_raw + rec : SPOOL_FILE_HDR + rec);
    if (after > s->cfg.max_bytes && s->w_gz) {
        /* the gzip bound overstates: close the segment so its real size counts */
        enum status st = finish_writer(s);
        if (st != STATUS_OK)
            return st;
        after = s->closed_bytes + seg_cost(s, SPOOL_FILE_HDR + rec);
    }
    if (after > s->cfg.max_bytes)
        return STATUS_FULL;
    if (s->w_slot < 0) {
        enum status st = start_writer(s, r->seq);
        if (st != STATUS_OK)
            return st;
    }

    uint8_t hdr[SPOOL_REC_HDR], crc[SPOOL_REC_CRC];
    uint64_t v[4] = {r->seq, r->sensor_len, r->key_len, r->value_len};
    unsigned widths[4] = {8, 2, 4, 4};
    for (size_t f = 0, o = 0; f < 4; o += widths[f], f++)
        for (unsigned b = 0; b < widths[f]; b++)
            hdr[o + b] = (uint8_t)(v[f] >> (8 * b));
    uLong sum = crc32(0L, hdr, sizeof hdr);
    const struct iovec parts[3] = {{(void *)(uintptr_t)r->sensor, r->sensor_len},
                                   {(void *)(uintptr_t)r->key, r->key_len},
                                   {(void *)(uintptr_t)r->value, r->value_len}};
    for (size_t i = 0; i < 3; i++)
        if (parts[i].iov_len) /* crc32(x, NULL, 0) would reset the sum */
            sum = crc32(sum, parts[i].iov_base, (uInt)parts[i].iov_len);
    for (unsigned b = 0; b < SPOOL_REC_CRC; b++)
        crc[b] = (uint8_t)(sum >> (8 * b));

    struct spool_seg *g = &s->segs[s->w_slot];
    bool ok;
    if (s->w_gz) {
        ok = gz_piece(s->w_gz, hdr, sizeof hdr);
        for (size_t i = 0; i < 3 && ok; i++)
            ok = gz_piece(s->w_gz, parts[i].iov_base, parts[i].iov_len);
        ok = ok && gz_piece(s->w_gz, crc, sizeof crc);
        if (!ok) {
            int e = Z_OK;
            const char *why = gzerror(s->w_gz, &e);
            char path[SPOOL_PATH_MAX];
            seg_path(s, g, path, sizeof path);
            set_err(s, "write", path, e == Z_ERRNO ? strerror(errno) : why);
            /* the stream cannot be rolled back: close it; its CRCs guard the tail */
            char keep[SPOOL_ERR_MAX];
            memcpy(keep, s->err, sizeof keep);
            finish_writer(s);
            memcpy(s->err, keep, sizeof keep);
            return STATUS_IO;
        }
    } else {
        struct iovec iov[5] = {{hdr, sizeof hdr}, parts[0], parts[1], parts[2], {crc, sizeof crc}};
        ok = write_all(s->w_fd, iov, 5);
        if (!ok) {
            char path[SPOOL_PATH_MAX];
            seg_path(s, g, path, sizeof path);
            set_err(s, "write", path, strerror(errno));
            /* cut the partial record off (O_APPEND: the next write lands at the new end), or
               give up on this segment */
            if (ftruncate(s->w_fd, (off_t)s->w_raw) != 0) {
                char keep[SPOOL_ERR_MAX];
                memcpy(keep, s->err, sizeof keep);
                finish_writer(s);
                memcpy(s->err, keep, sizeof keep);
            }
            return STATUS_IO;
        }
    }
    s->w_raw += rec;
    g->records++;
    s->appended++;
    uint64_t on_disk = s->w_raw;
    if (s->w_gz) {
        z_off_t off = gzoffset(s->w_gz);
        on_disk = off > 0 ? (uint64_t)off : 0;
    }
    if (on_disk >= s->cfg.segment_bytes || g->records >= SPOOL_SEGMENT_RECORDS_MAX)
        return finish_writer(s); /* on failure the record is on disk all the same */
    return STATUS_OK;
}

enum status spool_rotate(struct spool *s)
{
    return finish_writer(s);
}

/* ---- read and settle ---- */

/* The lowest-named segment with records not handed out yet, or -1. */
static int next_segment(const struct spool *s)
{
    int best = -1;
    for (size_t i = 0; i < SPOOL_SEGMENTS_MAX; i++) {
        const struct spool_seg *g = &s->segs[i];
        if (!g->used || g->read_failed || g->next >= g->records)
            continue;
        if (best < 0 || g->num < s->segs[best].num)
            best = (int)i;
    }
    return best;
}

static void close_reader(struct spool *s)
{
    if (s->r_gz)
        gzclose(s->r_gz);
    s->r_gz = NULL;
    s->r_slot = -1;
}

static enum status reader_failed(struct spool *s, struct spool_seg *g, enum spool_rec st)
{
    char path[SPOOL_PATH_MAX];
    seg_path(s, g, path, sizeof path);
    int saved = errno;
    if (st == SPOOL_REC_IO)
        set_err(s, "read", path, strerror(saved ? saved : EIO));
    else
        set_err(s, "read", path, "it ends early or changed since it was written");
    g->read_failed = true;
    close_reader(s);
    return STATUS_IO;
}

/* Open segment `slot` for reading and skip what an earlier run delivered. */
static enum status open_reader(struct spool *s, int slot)
{
    struct spool_seg *g = &s->segs[slot];
    char path[SPOOL_PATH_MAX];
    seg_path(s, g, path, sizeof path);
    errno = 0;
    s->r_gz = gzopen(path, "rbe");
    if (!s->r_gz) {
        set_err(s, "read", path, strerror(errno ? errno : ENOMEM));
        g->read_failed = true;
        return STATUS_IO;
    }
    s->r_slot = slot;
    enum spool_rec st = read_file_header(s->r_gz, s->buf);
    struct spool_record r;
    for (uint64_t i = 0; i < g->next && st == SPOOL_REC_OK; i++)
        st = read_record(s->r_gz, s->buf, &r);
    if (st != SPOOL_REC_OK)
        return reader_failed(s, g, st);
    return STATUS_OK;
}

enum status spool_read(struct spool *s, struct spool_record *r, uint32_t *token)
{
    if (s->r_slot < 0) {
        int slot = next_segment(s);
        if (slot < 0)
            return STATUS_NEED_MORE;
        if (slot == s->w_slot) {
            enum status st = finish_writer(s);
            if (st != STATUS_OK) {
                s->segs[slot].read_failed = true;
                return st;
            }
        }
        enum status st = open_reader(s, slot);
        if (st != STATUS_OK)
            return st;
    }
    struct spool_seg *g = &s->segs[s->r_slot];
    enum spool_rec st = read_record(s->r_gz, s->buf, r);
    if (st != SPOOL_REC_OK)
        return reader_failed(s, g, st);
    uint64_t idx = g->next++;
    *token = (uint32_t)s->r_slot << SPOOL_TOKEN_INDEX_BITS |
             (uint32_t)(idx < SPOOL_TOKEN_INDEX_MASK ? idx : SPOOL_TOKEN_INDEX_MASK);
    s->outstanding++;
    if (g->next == g->records) {
        close_reader(s);
        if (g->damaged)
            move_damaged(s, g); /* the record handed out lives in s->buf */
    }
    return STATUS_OK;
}

void spool_done(struct spool *s, uint32_t token, bool delivered)
{
    uint32_t slot = token >> SPOOL_TOKEN_INDEX_BITS;
    uint64_t idx = token & SPOOL_TOKEN_INDEX_MASK;
    if (slot >= SPOOL_SEGMENTS_MAX)
        return;
    struct spool_seg *g = &s->segs[slot];
    if (!g->used || idx >= g->next || g->delivered + g->failed >= g->next - g->skip)
        return; /* not a token of a record handed out and unsettled */
    s->outstanding--;
    if (!delivered) {
        g->failed++;
        return;
    }
    g->delivered++;
    s->delivered++;
    if (idx >= g->prefix && idx - g->prefix < SPOOL_DONE_WINDOW)
        g->window |= (uint64_t)1 << (idx - g->prefix);
    for (unsigned i = 0; i < SPOOL_DONE_WINDOW && (g->window & 1u); i++) {
        g->window >>= 1;
        g->prefix++;
    }
    if (g->next == g->records && g->skip + g->delivered == g->records)
        retire(s, (int)slot);
}

uint64_t spool_outstanding(const struct spool *s)
{
    return s->outstanding;
}

void spool_counts(const struct spool *s, struct spool_counts *c)
{
    uint64_t segments = s->left_segments;
    for (size_t i = 0; i < SPOOL_SEGMENTS_MAX; i++)
        if (s->segs[i].used && (s->segs[i].in_dir || (int)i == s->w_slot))
            segments++;
    uint64_t bytes = s->closed_bytes;
    if (s->w_slot >= 0) {
        if (s->w_gz) {
            z_off_t off = gzoffset(s->w_gz);
            bytes += off > 0 ? (uint64_t)off : 0;
        } else {
            bytes += s->w_raw;
        }
    }
    *c = (struct spool_counts){.records = s->found + s->appended - s->delivered,
                               .bytes = bytes,
                               .segments = segments,
                               .found = s->found,
                               .appended = s->appended,
                               .delivered = s->delivered,
                               .damaged = s->damaged};
}

const char *spool_error(const struct spool *s)
{
    return s->err;
}

/* ---- close ---- */

static bool write_done(struct spool *s, const struct spool_seg *g)
{
    char path[SPOOL_PATH_MAX], b[SPOOL_NUM_DIGITS + 2];
    done_path(s, g->num, path, sizeof path);
    int n = snprintf(b, sizeof b, "%llu\n", (unsigned long long)g->prefix);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && write(fd, b, (size_t)n) == n && fsync(fd) == 0;
    if (!ok)
        set_err(s, "write", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    return ok;
}

enum status spool_close(struct spool *s, char *err, size_t errlen)
{
    if (errlen)
        err[0] = '\0';
    if (!s)
        return STATUS_OK;
    bool ok = finish_writer(s) == STATUS_OK;
    if (!ok)
        snprintf(err, errlen, "%s", s->err);
    close_reader(s);
    for (size_t i = 0; i < SPOOL_SEGMENTS_MAX; i++) {
        const struct spool_seg *g = &s->segs[i];
        if (g->used && g->in_dir && g->prefix > g->skip && !write_done(s, g) && ok) {
            ok = false;
            snprintf(err, errlen, "%s", s->err);
        }
    }
    spool_free(s);
    return ok ? STATUS_OK : STATUS_IO;
}
