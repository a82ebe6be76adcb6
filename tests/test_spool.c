/* test_spool.c: Criterion suite for exporters/spool.c on real files (CRC-32, RFC 1952 gzip). */
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "../exporters/spool.h"

#define TEST_HDR 9u             /* "SIPSPOOL" and the version byte */
#define TEST_REC_FIXED 22u      /* 18-byte record header + 4-byte CRC, see spool.c */
#define TEST_SEGMENTS_MAX 4096u /* SPOOL_SEGMENTS_MAX in spool.c */
#define TEST_MIB (1u << 20)
#define TEST_PATH 512

static char dir[64];

static void rm_tree(const char *path, int depth)
{
    DIR *d = depth < 4 ? opendir(path) : NULL;
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char p[TEST_PATH];
            int n = snprintf(p, sizeof p, "%s/%s", path, e->d_name);
            if (n < 0 || (size_t)n >= sizeof p)
                continue; /* not one of the test's own short names */
            chmod(p, 0700);
            rm_tree(p, depth + 1);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/test-spool-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    chmod(dir, 0700);
    rm_tree(dir, 0);
}

TestSuite(spool, .init = setup, .fini = teardown);

/* ---- helpers ---- */

static struct spool *open_at(const char *d, bool gzip, uint64_t max, uint64_t seg)
{
    struct spool_config c = {.dir = d, .max_bytes = max, .segment_bytes = seg, .gzip = gzip};
    struct spool *s = NULL;
    char err[256];
    enum status st = spool_open(&c, &s, err, sizeof err);
    cr_assert_eq(st, STATUS_OK, "spool_open: %s", err);
    cr_assert_not_null(s);
    cr_assert_str_eq(spool_error(s), "");
    return s;
}

static struct spool *open_spool(bool gzip, uint64_t max, uint64_t seg)
{
    return open_at(dir, gzip, max, seg);
}

static void close_spool(struct spool *s)
{
    char err[256];
    cr_assert_eq(spool_close(s, err, sizeof err), STATUS_OK, "spool_close: %s", err);
}

static enum status put_bytes(struct spool *s, uint64_t seq, const char *sensor, size_t sl,
                             const char *key, size_t kl, const char *value, size_t vl)
{
    struct spool_record r = {.seq = seq,
                             .sensor = sensor,
                             .sensor_len = sl,
                             .key = key,
                             .key_len = kl,
                             .value = value,
                             .value_len = vl};
    return spool_append(s, &r);
}

static enum status put(struct spool *s, uint64_t seq, const char *sensor, const char *key,
                       const char *value)
{
    return put_bytes(s, seq, sensor, strlen(sensor), key, strlen(key), value, strlen(value));
}

/* The records of most tests: sensor "sensor-a", key "call-<seq>@example.com", small JSON. */
static void key_of(uint64_t seq, char *b, size_t len)
{
    snprintf(b, len, "call-%llu@example.com", (unsigned long long)seq);
}

static void value_of(uint64_t seq, char *b, size_t len)
{
    snprintf(b, len, "{\"schema_version\":1,\"sequence\":%llu}", (unsigned long long)seq);
}

static size_t std_size(uint64_t seq)
{
    char k[64], v[96];
    key_of(seq, k, sizeof k);
    value_of(seq, v, sizeof v);
    return TEST_REC_FIXED + strlen("sensor-a") + strlen(k) + strlen(v);
}

static void put_std(struct spool *s, uint64_t seq)
{
    char k[64], v[96];
    key_of(seq, k, sizeof k);
    value_of(seq, v, sizeof v);
    cr_assert_eq(put(s, seq, "sensor-a", k, v), STATUS_OK, "append %llu: %s",
                 (unsigned long long)seq, spool_error(s));
}

/* Read one record and check it is the standard record `seq`, byte for byte. */
static uint32_t get_std(struct spool *s, uint64_t seq)
{
    struct spool_record r;
    uint32_t tok = 0;
    enum status st = spool_read(s, &r, &tok);
    cr_assert_eq(st, STATUS_OK, "read for %llu: %s %s", (unsigned long long)seq, status_str(st),
                 spool_error(s));
    char k[64], v[96];
    key_of(seq, k, sizeof k);
    value_of(seq, v, sizeof v);
    cr_assert_eq(r.seq, seq, "got seq %llu, want %llu", (unsigned long long)r.seq,
                 (unsigned long long)seq);
    cr_assert_eq(r.sensor_len, 8);
    cr_assert(!memcmp(r.sensor, "sensor-a", 8));
    cr_assert_eq(r.key_len, strlen(k));
    cr_assert(!memcmp(r.key, k, r.key_len));
    cr_assert_eq(r.value_len, strlen(v));
    cr_assert(!memcmp(r.value, v, r.value_len));
    return tok;
}

static void expect_empty(struct spool *s)
{
    struct spool_record r;
    uint32_t tok;
    cr_assert_eq(spool_read(s, &r, &tok), STATUS_NEED_MORE);
}

static void seg_name(char *out, size_t len, const char *d, uint64_t num, bool gz)
{
    snprintf(out, len, "%s/%020llu.seg%s", d, (unsigned long long)num, gz ? ".gz" : "");
}

static bool exists(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0;
}

static long long size_of(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

/* Entries of `d` whose name ends in `suffix`. */
static int count_files(const char *d, const char *suffix)
{
    DIR *h = opendir(d);
    if (!h)
        return 0;
    int n = 0;
    size_t sl = strlen(suffix);
    struct dirent *e;
    while ((e = readdir(h)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l >= sl && !strcmp(e->d_name + l - sl, suffix))
            n++;
    }
    closedir(h);
    return n;
}

static size_t slurp(const char *path, uint8_t *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "open %s", path);
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static void spit(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "create %s", path);
    cr_assert_eq(fwrite(buf, 1, len, f), len);
    fclose(f);
}

/* Pseudo-random bytes (a 32-bit LCG), incompressible enough to push gzip output to disk. */
static void noise(char *b, size_t len, uint32_t seed)
{
    for (size_t i = 0; i < len; i++) {
        seed = seed * 1664525u + 1013904223u;
        b[i] = (char)(seed >> 24);
    }
}

/* ---- round trips ---- */

Test(spool, plain_round_trip_exact_bytes_on_disk)
{
    struct spool *s = open_spool(false, TEST_MIB, 4 * TEST_MIB);
    for (uint64_t q = 1; q <= 3; q++)
        put_std(s, q);
    char p[TEST_PATH];
    seg_name(p, sizeof p, dir, 1, false);
    long long want = TEST_HDR + std_size(1) + std_size(2) + std_size(3);
    cr_assert_eq(size_of(p), want);
    struct spool_counts c;
    spool_counts(s, &c);
    cr_assert_eq(c.records, 3);
    cr_assert_eq(c.appended, 3);
    cr_assert_eq(c.found, 0);
    cr_assert_eq(c.segments, 1);
    cr_assert_eq(c.bytes, (uint64_t)want);

    /* the file: "SIPSPOOL" 1, then record 1 = seq 1 (u64 LE), sensor_len 8 (u16 LE),
       key_len 18, value_len 33 (u32 LE), the strings, CRC-32 of all that (u32 LE) */
    uint8_t b[512];
    cr_assert_eq(slurp(p, b, sizeof b), (size_t)want);
    cr_assert(!memcmp(b, "SIPSPOOL\x01", 9));
    static const uint8_t hdr1[18] = {1, 0, 0, 0, 0, 0, 0, 0, 8, 0, 18, 0, 0, 0, 33, 0, 0, 0};
    cr_assert(!memcmp(b + 9, hdr1, 18));
    cr_assert(!memcmp(b + 27, "sensor-acall-1@example.com{\"schema_version\":1,\"sequence\":1}",
                      8 + 18 + 33));
    uLong crc = crc32(0L, b + 9, 18 + 8 + 18 + 33);
    const uint8_t *t = b + 9 + 18 + 8 + 18 + 33;
    cr_assert_eq((uLong)t[0] | (uLong)t[1] << 8 | (uLong)t[2] << 16 | (uLong)t[3] << 24, crc);

    uint32_t tok[3];
    for (uint64_t q = 1; q <= 3; q++)
        tok[q - 1] = get_std(s, q);
    expect_empty(s);
    cr_assert_eq(spool_outstanding(s), 3);
    for (int i = 0; i < 3; i++)
        spool_done(s, tok[i], true);
    cr_assert_eq(spool_outstanding(s), 0);
    cr_assert(!exists(p), "a delivered segment is deleted");
    spool_counts(s, &c);
    cr_assert_eq(c.records, 0);
    cr_assert_eq(c.delivered, 3);
    cr_assert_eq(c.segments, 0);
    cr_assert_eq(c.bytes, 0);
    close_spool(s);
    cr_assert_eq(count_files(dir, ".seg"), 0);
    cr_assert_eq(count_files(dir, ".done"), 0);
}

Test(spool, gzip_round_trip)
{
    struct spool *s = open_spool(true, TEST_MIB, 4 * TEST_MIB);
    for (uint64_t q = 7; q <= 9; q++)
        put_std(s, q);
    char p[TEST_PATH];
    seg_name(p, sizeof p, dir, 7, true);
    cr_assert(exists(p));
    cr_assert_eq(spool_rotate(s), STATUS_OK);
    uint8_t b[2];
    cr_assert_eq(slurp(p, b, 2), 2);
    cr_assert(b[0] == 0x1f && b[1] == 0x8b, "gzip magic (RFC 1952 §2.3.1)");
    struct spool_counts c;
    spool_counts(s, &c);
    cr_assert_eq(c.bytes, (uint64_t)size_of(p));
    cr_assert_lt(c.bytes, TEST_HDR + std_size(7) + std_size(8) + std_size(9) + 18);
    uint32_t tok[3];
    for (uint64_t q = 7; q <= 9; q++)
        tok[q - 7] = get_std(s, q);
    expect_empty(s);
    for (int i = 0; i < 3; i++)
        spool_done(s, tok[i], true);
    cr_assert(!exists(p));
    close_spool(s);
}

Test(spool, empty_strings_and_null_pointers_allowed)
{
    struct spool *s = open_spool(false, TEST_MIB, TEST_MIB);
    cr_assert_eq(put_bytes(s, 5, NULL, 0, NULL, 0, NULL, 0), STATUS_OK);
    cr_assert_eq(put_bytes(s, 6, "s", 1, "k", 1, NULL, 0), STATUS_OK);
    struct spool_record r;
    uint32_t tok;
    cr_assert_eq(spool_read(s, &r, &tok), STATUS_OK);
    cr_assert_eq(r.seq, 5);
    cr_assert_eq(r.sensor_len + r.key_len + r.value_len, 0);
    cr_assert_eq(spool_read(s, &r, &tok), STATUS_OK);
    cr_assert_eq(r.seq, 6);
    cr_assert_eq(r.value_len, 0);
    cr_assert_eq(r.key_len, 1);
    cr_assert_eq(r.key[0], 'k');
    close_spool(s);
}

Test(spool, nul_bytes_round_trip)
{
    static const char sensor[] = "sen\0sor";           /* 7 bytes */
    static const char key[] = "\0call@\0host";         /* 11 bytes */
    static const char value[] = "{\"a\":\"\0\"}\0\0z"; /* 12 bytes, NULs inside and at the end */
    for (int gz = 0; gz <= 1; gz++) {
        struct spool *s = open_spool(gz, TEST_MIB, TEST_MIB);
        cr_assert_eq(put_bytes(s, 1, sensor, 7, key, 11, value, 12), STATUS_OK);
        struct spool_record r;
        uint32_t tok;
        cr_assert_eq(spool_read(s, &r, &tok), STATUS_OK);
        cr_assert_eq(r.sensor_len, 7);
        cr_assert(!memcmp(r.sensor, sensor, 7));
        cr_assert_eq(r.key_len, 11);
        cr_assert(!memcmp(r.key, key, 11));
        cr_assert_eq(r.value_len, 12);
        cr_assert(!memcmp(r.value, value, 12));
        spool_done(s, tok, true);
        close_spool(s);
    }
}

Test(spool, largest_record_round_trips)
{
    char *sensor = malloc(SPOOL_SENSOR_MAX), *key = malloc(SPOOL_KEY_MAX);
    char *value = malloc(SPOOL_VALUE_MAX);
    cr_assert(sensor && key && value);
    noise(sensor, SPOOL_SENSOR_MAX, 1);
    noise(key, SPOOL_KEY_MAX, 2);
    noise(value, SPOOL_VALUE_MAX, 3);
    for (int gz = 0; gz <= 1; gz++) {
        struct spool *s = open_spool(gz, 64 * TEST_MIB, 4 * TEST_MIB);
        cr_assert_eq(
            put_bytes(s, 1, sensor, SPOOL_SENSOR_MAX, key, SPOOL_KEY_MAX, value, SPOOL_VALUE_MAX),
            STATUS_OK, "%s", spool_error(s));
        struct spool_record r;
        uint32_t tok;
        cr_assert_eq(spool_read(s, &r, &tok), STATUS_OK, "%s", spool_error(s));
        cr_assert_eq(r.sensor_len, SPOOL_SENSOR_MAX);
        cr_assert_eq(r.key_len, SPOOL_KEY_MAX);
        cr_assert_eq(r.value_len, SPOOL_VALUE_MAX);
        cr_assert(!memcmp(r.sensor, sensor, SPOOL_SENSOR_MAX));
        cr_assert(!memcmp(r.key, key, SPOOL_KEY_MAX));
        cr_assert(!memcmp(r.value, value, SPOOL_VALUE_MAX));
        spool_done(s, tok, true);
        close_spool(s);
    }
    free(sensor);
    free(key);
    free(value);
}

Test(spool, overlong_lengths_are_malformed_and_write_nothing)
{
    static char big[8];
    struct spool *s = open_spool(false, TEST_MIB, TEST_MIB);
    cr_assert_eq(put_bytes(s, 1, big, SPOOL_SENSOR_MAX + 1, "k", 1, "v", 1), STATUS_MALFORMED);
    cr_assert_eq(put_bytes(s, 1, "s", 1, big, SPOOL_KEY_MAX + 1, "v", 1), STATUS_MALFORMED);
    cr_assert_eq(put_bytes(s, 1, "s", 1, "k", 1, big, SPOOL_VALUE_MAX + 1), STATUS_MALFORMED);
    cr_assert_eq(put_bytes(s, 1, "s", 1, "k", 1, big, SIZE_MAX), STATUS_MALFORMED);
    cr_assert_eq(put_bytes(s, 1, "s", 1, NULL, 3, "v", 1), STATUS_MALFORMED,
                 "length without bytes");
    struct spool_counts c;
    spool_counts(s, &c);
    cr_assert_eq(c.appended, 0);
    cr_assert_eq(c.bytes, 0);
    cr_assert_eq(count_files(dir, ".seg"), 0);
    close_spool(s);
}

/* ---- segments and order ---- */

Test(spool, records_span_segments_read_in_name_order)
{
    /* every standard record of seq 1..9 is the same size R: a segment closes at 9 + 2R bytes */
    uint64_t r = std_size(1);
    struct spool *s = open_spool(false, TEST_MIB, TEST_HDR + 2 * r);
    for (uint64_t q = 1; q <= 5; q++)
        put_std(s, q);
    char p[TEST_PATH];
    for (uint64_t n = 1; n <= 5; n += 2) {
        seg_name(p, sizeof p, dir, n, false);
        cr_assert(exists(p), "segment %llu", (unsigned long long)n);
    }
    cr_assert_eq(count_files(dir, ".seg"), 3);
    struct spool_counts c;
    spool_counts(s, &c);
    cr_assert_eq(c.segments, 3);
    cr_assert_eq(c.bytes, 3 * TEST_HDR + 5 * r);
    uint32_t tok[5];
    for (uint64_t q = 1; q <= 5; q++)
        tok[q - 1] = get_std(s, q);
    expect_empty(s);
    /* delivering the first segment's two records deletes that file only */
    spool_done(s, tok[1], true);
    spool_done(s, tok[0], true);
    seg_name(p, sizeof p, dir, 1, false);
    cr_assert(!exists(p));
    cr_assert_eq(count_files(dir, ".seg"), 2);
    spool_counts(s, &c);
    cr_assert_eq(c.segments, 2);
    cr_assert_eq(c.records, 3);
    cr_assert_eq(c.bytes, 2 * TEST_HDR + 3 * r);
    for (int i = 2; i < 5; i++)
        spool_done(s, tok[i], true);
    cr_assert_eq(count_files(dir, ".seg"), 0);
    close_spool(s);
}

Test(spool, gzip_segments_read_in_name_order)
{
    /* 20 KiB of noise per record: zlib's output reaches the file, so each record fills a segment */
    static char v[20000];
    struct spool *s = open_spool(true, 16 * TEST_MIB, 1);
    for (uint64_t q = 1; q <= 4; q++) {
        noise(v, sizeof v, (uint32_t)q);
        cr_assert_eq(put_bytes(s, q, "s", 1, "k", 1, v, sizeof v), STATUS_OK);
    }
    cr_assert_eq(count_files(dir, ".seg.gz"), 4);
    for (uint64_t q = 1; q <= 4; q++) {
        struct spool_record r;
        uint32_t tok;
        cr_assert_eq(spool_read(s, &r, &tok), STATUS_OK);
        cr_assert_eq(r.seq, q);
        noise(v, sizeof v, (uint32_t)q);
        cr_assert_eq(r.value_len, sizeof v);
        cr_assert(!memcmp(r.value, v, sizeof v));
        spool_done(s, tok, true);
    }
    expect_empty(s);
    cr_assert_eq(count_files(dir, ".seg.gz"), 0);
    close_spool(s);
}

Test(spool, rotate_then_older_records_are_read_first)
{
    struct spool *s = open_spool(false, TEST_MIB, TEST_MIB);
    put_std(s, 20);
    put_std(s, 21);
    cr_assert_eq(spool_rotate(s), STATUS_OK);
    put_std(s, 10);
    put_std(s, 11);
    char p[TEST_PATH];
    seg_name(p, sizeof p, dir, 10, false);
    cr_assert(exists(p));
    seg_name(p, sizeof p, dir, 20, false);
    cr_assert(exists(p));
    get_std(s, 10);
    get_std(s, 11);
    get_std(s, 20);
    get_std(s, 21);
    expect_empty(s);
    close_spool(s);
}

Test(spool, older_segment_made_while_reading_comes_next)
{
    struct spool *s = open_spool(false, TEST_MIB, TEST_MIB);
    put_std(s, 20);
    put_std(s, 21);
    get_std(s, 20); /* closes segment 20: the next append starts a new one */
    put_std(s, 10);
    put_std(s, 11);
    char p[TEST_PATH];
    seg_name(p, sizeof p, dir, 10, false);
    cr_assert(exists(p));
    get_std(s, 21); /* the segment being read is finished first */
    get_std(s, 10);
    get_std(s, 11);
    expect_empty(s);
    put_std(s, 30);
    get_std(s, 30);
    close_spool(s);
}

Test(spool, reading_closes_the_segment_being_written)
{
    struct spool *s = open_spool(false, TEST_MIB, TEST_MIB);
    put_std(s, 1);
    put_std(s, 2);
    get_std(s, 1);
    put_std(s, 3);
    char p[TEST_PATH];
    seg_name(p, sizeof p, dir, 3, false);
    cr_assert(exists(p), "the append after the reader took segment 1 starts segment 3");
    struct spool_counts c;
    spool_counts(s, &c);
    cr_assert_eq(c.segments, 2);
    get_std(s, 2);
    get_std(s, 3);
    expect_empty(s);
    close_spool(s);
}

Test(spool, segment_name_taken_uses_the_next_number)
{
    struct spool *s = open_spool(false, TEST_MIB, TEST_MIB);
    put_std(s, 5);
    cr_assert_eq(spool_rotate(s), STATUS_OK);
    put_std(s, 5); /* the same sequence again: 5.seg exists, so 6.seg */
    char p[TEST_PATH];
    seg_name(p, sizeof p, dir, 6, false);
    cr_assert(exists(p));
    get_std(s, 5);
    get_std(s, 5);
    close_spool(s);
}

/* ---- the cap ---- */

Test(spool, cap_reached_is_full_and_writes_nothing)
{
    /* record: 22 fixed + "s" + "k1" + "0123456" = 32 bytes; 9 + 3 * 32 = 105 */
    struct spool *s = open_spool(false, 105, TEST_MIB);
    for (uint64_t q = 1; q <= 3; q++)
        cr_assert_eq(put(s, q, "s", "k1", "0123456"), STATUS_OK);
    cr_assert_eq(put(s, 4, "s", "k1", "0123456"), STATUS_FULL);
    cr_assert_eq(put(s, 5, "s", "k1", ""), STATUS_FULL, "25 bytes do not fit either");
    char p[TEST_PATH];
    seg_name(p, sizeof p, dir, 1, false);
    cr_assert_eq(size_of(p), 105);
    struct spool_counts c;
    spool_counts(s, &c);
    cr_assert_eq(c.appended, 3);
    cr_assert_eq(c.records, 3);
    cr_assert_eq(c.bytes, 105);
    /* once delivered, there is room again */
    struct spool_record r;
    uint32_t tok;
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(spool_read(s, &r, &tok), STATUS_OK);
        spool_done(s, tok, true);
    }
    spool_counts(s, &c);
    cr_assert_eq(c.bytes, 0);
    cr_assert_eq(put(s, 4, "s", "k1", "0123456"), STATUS_OK);
    close_spool(s);
}

Test(spool, cap_counts_the_new_segment_header)
{
    /* 9 + 32 = 41 bytes do not fit in 40 */
    struct spool *s = open_spool(false, 40, TEST_MIB);
    cr_assert_eq(put(s, 1, "s", "k1", "0123456"), STATUS_FULL);
    cr_assert_eq(count_files(dir, ".seg"), 0);
    close_spool(s);
}

Test(spool, gzip_cap_holds_on_disk)
{
    static char v[300];
    struct spool *s = open_spool(true, 8192, 1u << 30);
    uint64_t q = 0;
    enum status st = STATUS_OK;
    for (; q < 1000 && st == STATUS_OK; q++) {
        noise(v, sizeof v, (uint32_t)q);
        st = put_bytes(s, q, "s", 1, "k", 1, v, sizeof v);
    }
    cr_assert_eq(st, STATUS_FULL);
    cr_assert_gt(q, 20, "at least 20 records of 324 bytes fit in 8 KiB");
    struct spool_counts c;
    spool_counts(s, &c);
    cr_assert_eq(c.appended, q - 1);
    close_spool(s);
    /* what is on disk is within the cap */
    long long total = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, ".seg.gz")) {
            char p[TEST_PATH];
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            total += size_of(p);
        }
    closedir(d);
    cr_assert_leq(total, 8192);
    s = open_spool(false, 8192, 1u << 30);
    spool_counts(s, &c);
    cr_assert_eq(c.found, q - 1);
    cr_assert_eq(c.bytes, (uint64_t)total);
    close_spool(s);
}

/* ---- across runs ---- */

Test(spool, reopen_finds_records_of_an_earlier_run)
{
    struct spool *s = open_spool(false, TEST_MIB, TEST_MIB);
    put_std(s, 1);
    put_std(s, 2);
    close_spool(s);
    s = open_spool(true, TEST_MIB, TEST_MIB);
    struct spool_counts c;
    spool_counts(s, &c);
    cr_assert_eq(c.found, 2);
    put_std(s, 3);
    close_spool(s);

    s = open_spool(false, TEST_MIB, TEST_MIB);
    spool_counts(s, &c);
    cr_assert_eq(c.found, 3);
    cr_assert_eq(c.records, 3);
    cr_assert_eq(c.appended, 0);
    cr_assert_eq(c.segments, 2);
    cr_assert_eq(c.damaged, 0);
    char p1[TEST_PATH], p3[TEST_PATH];
    seg_name(p1, sizeof p1, dir, 1, false);
    seg_name(p3, sizeof p3, dir, 3, true);
    cr_assert_eq(c.bytes, (uint64_t)(size_of(p1) + size_of(p3)));
    uint32_t tok[3];
    for (uint64_t q = 1; q <= 3; q++)
        tok[q - 1] = get_std(s, q);
    expect_empty(s);
    for (int i = 0; i < 3; i++)
        spool_done(s, tok[i], true);
    cr_assert(!exists(p1) && !exists(p3));
    close_spool(s);
}

Test(spool, partly_delivered_segment_resumes_after_its_prefix)
{
    struct spool *s = open_spool(false, TEST_MIB, TEST_MIB);
    for (uint64_t q = 1; q <= 5; q++)
        put_std(s, q);
    uint32_t tok[5];
    for (uint64_t q = 1; q <= 5; q++)
        tok[q - 1] = get_std(s, q);
    spool_done(s, tok[1], true); /* out of order: 2 before 1 */
    spool_done(s, tok[0], true);
    spool_done(s, tok[2], false);
    spool_done(s, tok[3], true); /* past the gap: not remembered, sent again */
    /* tok[4] never settled: counts as not delivered */
    cr_assert_eq(spool_outstanding(s), 1);
    close_spool(s);

    char p[TEST_PATH];
    snprintf(p, sizeof p, "%s/%020llu.done", dir, 1ull);
    char b[32] = "";
    slurp(p, (uint8_t *)b, sizeof b - 1);
    cr_assert_str_eq(b, "2\n");

    s = open_spool(false, TEST_MIB, TEST_MIB);
    struct spool_counts c;
    spool_counts(s, &c);
    cr_assert_eq(c.found, 3);
    cr_assert_eq(c.records, 3);
    for (uint64_t q = 3; q <= 5; q++)
        tok[q - 3] = get_std(s, q);
    expect_empty(s);
    spool_done(s, tok[0], true);
    spool_done(s, tok[1], true);
    close_spool(s);

    slurp(p, (uint8_t *)b, sizeof b - 1);
    cr_assert_str_eq(b, "4\n");
    s = open_spool(false, TEST_MIB, TEST_MIB);
    spool_counts(s, &c);
    cr_assert_eq(c.found, 1);
    tok[0] = get_std(s, 5);
    spool_done(s, tok[0], true);
    seg_name(p, sizeof p, dir, 1, false);
    cr_assert(!exists(p));
    cr_assert_eq(count_files(dir, ".done"), 0, "the .done goes with its segment");
    close_spool(s);
}

Test(spool, not_delivered_stays_for_the_next_run)
{
    struct spool *s = open_spool(true, TEST_MIB, TEST_MIB);
    put_std(s, 1);
    put_std(s, 2);
    uint32_t t1 = get_std(s, 1), t2 = get_std(s, 2);
    spool_done(s, t1, false);
    spool_done(s, t2, false);
    cr_assert_eq(spool_outstanding(s), 0);
    expect_empty(s); /* not handed out again this run */
    struct spool_counts c;
    spool_counts(s, &c);
    cr_assert_eq(c.records, 2);
    cr_assert_eq(c.delivered, 0);
    close_spool(s);
    cr_assert_eq(count_files(dir, ".done"), 0);
    s = open_spool(true, TEST_MIB, TEST_MIB);
    spool_counts(s, &c);
    cr_assert_eq(c.found, 2);
    get_std(s, 1);
    get_std(s, 2);
    close_spool(s);
}

Test(spool, fully_delivered_by_done_file_is_removed_at_open)
{
    struct spool *s = open_spool(false, TEST_MIB, TEST_MIB);
    put_std(s, 1);
    put_std(s, 2);
    close_spool(s);
    char p[TEST_PATH];
    snprintf(p, sizeof p, "%s/%020llu.done", dir, 1ull);
    spit(p, "2\n", 2); /* a run that stopped between delivering and deleting */
    s = open_spool(false, TEST_MIB, TEST_MIB);
    struct spool_counts c;
    spool_counts(s, &c);
    cr_assert_eq(c.found, 0);
    cr_assert_eq(c.segments, 0);
    expect_empty(s);
    cr_assert_eq(count_files(dir, ".seg"), 0);
    cr_assert_eq(count_files(dir, ".done"), 0);
    close_spool(s);
}

Test(spool, stale_done_file_removed_and_garbage_done_ignored)
{
    char p[TEST_PATH];
    snprintf(p, sizeof p, "%s/%020llu.done", dir, 42ull);
    spit(p, "3\n", 2);
    struct spool *s = open_spool(false, TEST_MIB, TEST_MIB);
    put_std(s, 1);
    put_std(s, 2);
    close_spool(s);
    cr_assert(!exists(p), "a .done without its segment is removed");
    snprintf(p, sizeof p, "%s/%020llu.done", dir, 1ull);
    spit(p, "x9\n", 3); /* not a number: nothing is skipped */
    s = open_spool(false, TEST_MIB, TEST_MIB);
    struct spool_counts c;
    spool_counts(s, &c);
    cr_assert_eq(c.found, 2);
    get_std(s, 1);
    close_spool(s);
    cr_assert(exists(p), "kept while its segment is there");
}

/* ---- damage ---- */

Test(spool, truncated_segment_gives_the_whole_records_before)
{
    struct spool *s = open_spool(false, TEST_MIB, TEST_MIB);
    for (uint64_t q = 1; q <= 3; q++)
        put_std(s, q);
    close_spool(s);
    char p[TEST_PATH], moved[TEST_PATH];
    seg_name(p, sizeof p, dir, 1, false);
    /* cut in the middle of record 3's key */
    cr_assert_eq(truncate(p, (off_t)(TEST_HDR + std_size(1) + std_size(2) + 30)), 0);
    s = open_spool(false, TEST_MIB, TEST_MIB);
    struct spool_counts c;
    spool_counts(s, &c);
    cr_assert_eq(c.found, 2);
    cr_assert_eq(c.records, 2);
    cr_assert_eq(c.damaged, 1);
    uint32_t t1 = get_std(s, 1);
    cr_assert(exists(p), "moved once read, not before");
    uint32_t t2 = get_std(s, 2);
    expect_empty(s);
    snprintf(moved, sizeof moved, "%s/damaged/%020llu.seg", dir, 1ull);
    cr_assert(!exists(p));
    cr_assert(exists(moved));
    spool_done(s, t1, true);
    spool_done(s, t2, true);
    cr_assert(exists(moved), "kept for a person to look at");
    spool_counts(s, &c);
    cr_assert_eq(c.segments, 0);
    cr_assert_eq(c.bytes, 0);
    cr_assert_eq(c.records, 0);
    close_spool(s);
    s = open_spool(false, TEST_MIB, TEST_MIB);
    spool_counts(s, &c);
    cr_assert_eq(c.found, 0);
    cr_assert_eq(c.damaged, 0, "not read again");
    close_spool(s);
}

Test(spool, truncated_in_a_record_header)
{
    struct spool *s = open_spool(false, TEST_MIB, TEST_MIB);
    put_std(s, 1);
    put_std(s, 2);
    close_spool(s);
    char p[TEST_PATH];
    seg_name(p, sizeof p, dir, 1, false);
    cr_assert_eq(truncate(p, (off_t)(TEST_HDR + std_size(1) + 10)), 0);
    s = open_spool(false, TEST_MIB, TEST_MIB);
    struct spool_counts c;
    spool_counts(s, &c);
    cr_assert_eq(c.found, 1);
    cr_assert_eq(c.damaged, 1);
    get_std(s, 1);
    expect_empty(s);
    close_spool(s);
}

Test(spool, gzip_cut_before_its_trailer)
{
    /* a crash before gzclose: every record is in the deflate data, the 8-byte trailer is not */
    struct spool *s = open_spool(true, TEST_MIB, TEST_MIB);
    for (uint64_t q = 1; q <= 3; q++)
        put_std(s, q);
    close_spool(s);
    char p[TEST_PATH];
    seg_name(p, sizeof p, dir, 1, true);
    cr_assert_eq(truncate(p, (off_t)(size_of(p) - 8)), 0);
    s = open_spool(true, TEST_MIB, TEST_MIB);
    struct spool_counts c;
    spool_counts(s, &c);
    cr_assert_eq(c.found, 3);
    cr_assert_eq(c.damaged, 1);
    for (uint64_t q = 1; q <= 3; q++)
        get_std(s, q);
    expect_empty(s);
    cr_assert(!exists(p));
    close_spool(s);
}

Test(spool, crc_mismatch_ends_the_segment)
{
    struct spool *s = open_spool(false, TEST_MIB, TEST_MIB);
    for (uint64_t q = 1; q <= 3; q++)
        put_std(s, q);
    close_spool(s);
    char p[TEST_PATH];
    seg_name(p, sizeof p, dir, 1, false);
    uint8_t b[512];
    size_t n = slurp(p, b, sizeof b);
    b[TEST_HDR + std_size(1) + 40] ^= 0x01; /* a byte of record 2's key */
    spit(p, b, n);
    s = open_spool(false, TEST_MIB, TEST_MIB);
    struct spool_counts c;
    spool_counts(s, &c);
    cr_assert_eq(c.found, 1);
    cr_assert_eq(c.damaged, 1);
    get_std(s, 1);
    expect_empty(s);
    char moved[TEST_PATH];
    snprintf(moved, sizeof moved, "%s/damaged/%020llu.seg", dir, 1ull);
    cr_assert(exists(moved));
    cr_assert_eq(size_of(moved), (long long)n);
    close_spool(s);
}

Test(spool, garbage_named_like_segments)
{
    char p[TEST_PATH];
    seg_name(p, sizeof p, dir, 7, false);
    spit(p, "this is not a spool segment\n", 28);
    /* gzip magic, deflate method, then bytes that are no deflate stream */
    static const uint8_t badgz[] = {0x1f, 0x8b, 0x08, 0,    0,    0,    0,    0,    0,
                                    0x03, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    seg_name(p, sizeof p, dir, 8, true);
    spit(p, badgz, sizeof badgz);
    /* a right header, then a record claiming a 4 GiB value (over SPOOL_VALUE_MAX) */
    static const uint8_t huge[] = {'S', 'I', 'P', 'S',  'P',  'O',  'O',  'L', 1,  9,
                                   0,   0,   0,   0,    0,    0,    0,    1,   0,  1,
                                   0,   0,   0,   0xff, 0xff, 0xff, 0xff, 's', 'k'};
    seg_name(p, sizeof p, dir, 9, false);
    spit(p, huge, sizeof huge);
    /* another format version */
    seg_name(p, sizeof p, dir, 10, false);
    spit(p, "SIPSPOOL\x02", 9);
    struct spool *s = open_spool(false, TEST_MIB, TEST_MIB);
    struct spool_counts c;
    spool_counts(s, &c);
    cr_assert_eq(c.damaged, 4);
    cr_assert_eq(c.found, 0);
    cr_assert_eq(c.segments, 0);
    expect_empty(s);
    cr_assert_eq(count_files(dir, ".seg") + count_files(dir, ".seg.gz"), 0);
    char dmg[TEST_PATH];
    snprintf(dmg, sizeof dmg, "%s/damaged", dir);
    cr_assert_eq(count_files(dmg, ".seg") + count_files(dmg, ".seg.gz"), 4);
    close_spool(s);
}

Test(spool, damaged_name_already_taken_is_not_overwritten)
{
    char p[TEST_PATH], d[TEST_PATH];
    snprintf(d, sizeof d, "%s/damaged", dir);
    cr_assert_eq(mkdir(d, 0700), 0);
    snprintf(d, sizeof d, "%s/damaged/%020llu.seg", dir, 7ull);
    spit(d, "first", 5);
    seg_name(p, sizeof p, dir, 7, false);
    spit(p, "second", 6);
    struct spool *s = open_spool(false, TEST_MIB, TEST_MIB);
    close_spool(s);
    cr_assert_eq(size_of(d), 5);
    snprintf(d, sizeof d, "%s/damaged/%020llu.seg.1", dir, 7ull);
    cr_assert_eq(size_of(d), 6);
}

Test(spool, empty_and_header_only_segments_are_dropped_quietly)
{
    char p[TEST_PATH];
    seg_name(p, sizeof p, dir, 3, false);
    spit(p, "", 0); /* created, then the run stopped */
    seg_name(p, sizeof p, dir, 4, false);
    spit(p, "SIPSPOOL\x01", 9);
    struct spool *s = open_spool(false, TEST_MIB, TEST_MIB);
    struct spool_counts c;
    spool_counts(s, &c);
    cr_assert_eq(c.damaged, 0);
    cr_assert_eq(c.segments, 0);
    cr_assert_eq(count_files(dir, ".seg"), 0);
    close_spool(s);
}

Test(spool, segment_gone_while_running_is_an_io_error_and_skipped)
{
    struct spool *s = open_spool(false, TEST_MIB, TEST_MIB);
    put_std(s, 1);
    cr_assert_eq(spool_rotate(s), STATUS_OK);
    put_std(s, 2);
    char p[TEST_PATH], want[TEST_PATH + 64];
    seg_name(p, sizeof p, dir, 1, false);
    cr_assert_eq(unlink(p), 0);
    struct spool_record r;
    uint32_t tok;
    cr_assert_eq(spool_read(s, &r, &tok), STATUS_IO);
    snprintf(want, sizeof want, "cannot read '%s': No such file or directory", p);
    cr_assert_str_eq(spool_error(s), want);
    get_std(s, 2);
    expect_empty(s);
    close_spool(s);
}

Test(spool, write_failure_cuts_the_partial_record)
{
    /* RLIMIT_FSIZE makes write(2) stop at 200 bytes, then fail with EFBIG */
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit old, lim;
    cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 200;
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    struct spool *s = open_spool(false, TEST_MIB, TEST_MIB);
    uint64_t q = 1;
    enum status st = STATUS_OK;
    for (; q < 10 && st == STATUS_OK; q++) {
        char k[64], v[96];
        key_of(q, k, sizeof k);
        value_of(q, v, sizeof v);
        st = put(s, q, "sensor-a", k, v);
    }
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    cr_assert_eq(st, STATUS_IO);
    /* 9 + 2 * 81 = 171 bytes hold records 1 and 2; record 3 would end at 252 */
    cr_assert_eq(q - 1, 3);
    char p[TEST_PATH], want[TEST_PATH + 64];
    seg_name(p, sizeof p, dir, 1, false);
    snprintf(want, sizeof want, "cannot write '%s': File too large", p);
    cr_assert_str_eq(spool_error(s), want);
    cr_assert_eq(size_of(p), (long long)(TEST_HDR + std_size(1) + std_size(2)));
    put_std(s, 3); /* the segment goes on */
    get_std(s, 1);
    get_std(s, 2);
    get_std(s, 3);
    expect_empty(s);
    struct spool_counts c;
    spool_counts(s, &c);
    cr_assert_eq(c.appended, 3);
    close_spool(s);
}

/* ---- the directory ---- */

Test(spool, second_open_reports_the_owner)
{
    struct spool *a = open_spool(false, TEST_MIB, TEST_MIB);
    struct spool_config c = {.dir = dir, .max_bytes = TEST_MIB, .segment_bytes = TEST_MIB};
    struct spool *b = (struct spool *)&c;
    char err[256], want[256];
    cr_assert_eq(spool_open(&c, &b, err, sizeof err), STATUS_IO);
    cr_assert_null(b);
    snprintf(want, sizeof want, "spool '%s' is in use by another sipscope (pid %ld)", dir,
             (long)getpid());
    cr_assert_str_eq(err, want);
    char lock[TEST_PATH], pid[32] = "";
    snprintf(lock, sizeof lock, "%s/lock", dir);
    slurp(lock, (uint8_t *)pid, sizeof pid - 1);
    snprintf(want, sizeof want, "%ld\n", (long)getpid());
    cr_assert_str_eq(pid, want);
    close_spool(a);
    b = open_spool(false, TEST_MIB, TEST_MIB);
    close_spool(b);
}

Test(spool, directory_and_parents_created_0700)
{
    char d[TEST_PATH / 2];
    snprintf(d, sizeof d, "%s/a/b/spool/", dir);
    struct spool *s = open_at(d, false, TEST_MIB, TEST_MIB);
    put_std(s, 1);
    close_spool(s);
    snprintf(d, sizeof d, "%s/a/b/spool", dir);
    struct stat sb;
    cr_assert_eq(stat(d, &sb), 0);
    cr_assert(S_ISDIR(sb.st_mode));
    cr_assert_eq(sb.st_mode & 0777, 0700);
    char p[TEST_PATH];
    seg_name(p, sizeof p, d, 1, false);
    cr_assert(exists(p));
}

Test(spool, directory_under_a_regular_file)
{
    char f[TEST_PATH], d[TEST_PATH], want[2 * TEST_PATH];
    snprintf(f, sizeof f, "%s/file", dir);
    spit(f, "x", 1);
    snprintf(d, sizeof d, "%s/file/spool", dir);
    struct spool_config c = {.dir = d, .max_bytes = TEST_MIB, .segment_bytes = TEST_MIB};
    struct spool *s = NULL;
    char err[2 * TEST_PATH];
    cr_assert_eq(spool_open(&c, &s, err, sizeof err), STATUS_IO);
    cr_assert_null(s);
    snprintf(want, sizeof want, "cannot create spool directory '%s': Not a directory", d);
    cr_assert_str_eq(err, want);
    c.dir = f; /* the name is a file */
    cr_assert_eq(spool_open(&c, &s, err, sizeof err), STATUS_IO);
    snprintf(want, sizeof want, "cannot create spool directory '%s': Not a directory", f);
    cr_assert_str_eq(err, want);
}

Test(spool, unwritable_directory)
{
    if (geteuid() == 0)
        cr_skip_test("root ignores directory modes (directory_under_a_regular_file covers it)");
    char d[TEST_PATH], want[2 * TEST_PATH], err[2 * TEST_PATH];
    snprintf(d, sizeof d, "%s/ro", dir);
    cr_assert_eq(mkdir(d, 0500), 0);
    struct spool_config c = {.dir = d, .max_bytes = TEST_MIB, .segment_bytes = TEST_MIB};
    struct spool *s = NULL;
    cr_assert_eq(spool_open(&c, &s, err, sizeof err), STATUS_IO);
    cr_assert_null(s);
    snprintf(want, sizeof want, "cannot open '%s/lock': Permission denied", d);
    cr_assert_str_eq(err, want);
}

Test(spool, segments_past_the_table_wait_for_a_later_run)
{
    /* one valid one-record segment, copied under TEST_SEGMENTS_MAX + 4 names */
    struct spool *s = open_spool(false, 1u << 30, 1);
    cr_assert_eq(put(s, 1, "s", "k", "v"), STATUS_OK);
    close_spool(s);
    char p[TEST_PATH];
    uint8_t b[64];
    seg_name(p, sizeof p, dir, 1, false);
    size_t n = slurp(p, b, sizeof b);
    cr_assert_eq(n, TEST_HDR + TEST_REC_FIXED + 3);
    for (uint64_t i = 2; i <= TEST_SEGMENTS_MAX + 4; i++) {
        seg_name(p, sizeof p, dir, i, false);
        spit(p, b, n);
    }
    s = open_spool(false, 1u << 30, 1);
    struct spool_counts c;
    spool_counts(s, &c);
    cr_assert_eq(c.segments, TEST_SEGMENTS_MAX + 4);
    cr_assert_eq(c.bytes, (TEST_SEGMENTS_MAX + 4) * n);
    cr_assert_eq(c.found, TEST_SEGMENTS_MAX, "the lowest-named ones are read this run");
    struct spool_record r;
    uint32_t tok;
    for (uint64_t i = 1; i <= TEST_SEGMENTS_MAX; i++) {
        cr_assert_eq(spool_read(s, &r, &tok), STATUS_OK);
        spool_done(s, tok, true);
    }
    expect_empty(s);
    close_spool(s);
    cr_assert_eq(count_files(dir, ".seg"), 4);
    seg_name(p, sizeof p, dir, TEST_SEGMENTS_MAX + 1, false);
    cr_assert(exists(p));
    s = open_spool(false, 1u << 30, 1);
    spool_counts(s, &c);
    cr_assert_eq(c.found, 4);
    close_spool(s);
}

Test(spool, bogus_token_is_ignored)
{
    struct spool *s = open_spool(false, TEST_MIB, TEST_MIB);
    put_std(s, 1);
    uint32_t t = get_std(s, 1);
    spool_done(s, 0xffffffffu, true);
    spool_done(s, t + 1, true); /* a record not handed out */
    cr_assert_eq(spool_outstanding(s), 1);
    spool_done(s, t, true);
    spool_done(s, t, true); /* twice */
    cr_assert_eq(spool_outstanding(s), 0);
    struct spool_counts c;
    spool_counts(s, &c);
    cr_assert_eq(c.delivered, 1);
    close_spool(s);
}
