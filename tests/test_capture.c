/* test_capture.c: pcap-savefile(5), pcapng, gzip (RFC 1952), stdin and live input. */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "../sensor/capture.h"

#define TEST_ERR_MAX 512
#define TEST_MAX_FRAMES 100000 /* bound on every read loop here */
#define TEST_FILE_MAX (1u << 20)

/*
 * Ground truth for the samples (copied from /work/shared/edge-captures; see
 * each NAME.expected.json there): every full file holds 207 packets; the
 * first is the 709-byte INVITE (715 bytes with the SLL2 header), at
 * 2024-03-01T12:MM:00Z where MM is the file's number. The truncated files hold
 * 150 complete packets, the last at 2024-03-01T13:10:02.960000Z.
 */
#define TEST_FULL_PACKETS 207
#define TEST_TRUNC_PACKETS 150
#define TEST_TS_BIGENDIAN 1709295780000000000ull   /* 12:23:00Z */
#define TEST_TS_NSEC 1709295720000000250ull        /* 12:22:00Z + 250 ns */
#define TEST_TS_GZIP 1709295840000000000ull        /* 12:24:00Z */
#define TEST_TS_PCAPNG 1709295900000000000ull      /* 12:25:00Z */
#define TEST_TS_PCAPNG_RTP1 1709295901520000185ull /* first RTP packet, if1 (tsresol 10^-9) */
#define TEST_TS_SLL2 1709295180000000000ull        /* 12:13:00Z */
#define TEST_TS_TRUNC_FIRST 1709298600000000000ull /* 13:10:00Z */
#define TEST_TS_TRUNC_LAST 1709298602960000000ull  /* 13:10:02.960Z */

struct test_read {
    unsigned frames;
    enum capture_result end;
    struct frame first;
    struct frame last;
    uint32_t first_bytes0; /* first four data bytes of frame 1, big-endian */
    bool all_ns_250;       /* every ts_ns % 1000 == 250 */
    char err[TEST_ERR_MAX];
};

/* Samples live in the checkout; tests run from its top (make) or from tests/. */
static const char *sample(const char *name)
{
    static char path[256];
    snprintf(path, sizeof path, "samples/%s", name);
    if (access(path, R_OK) != 0)
        snprintf(path, sizeof path, "../samples/%s", name);
    return path;
}

static void read_all(struct capture *c, struct test_read *r)
{
    memset(r, 0, sizeof *r);
    r->all_ns_250 = true;
    for (unsigned i = 0; i < TEST_MAX_FRAMES; i++) {
        struct frame f;
        enum capture_result res = capture_next(c, &f, r->err, sizeof r->err);
        if (res != CAPTURE_FRAME) {
            r->end = res;
            return;
        }
        if (r->frames == 0) {
            r->first = f;
            r->first_bytes0 = f.caplen >= 4
                                  ? (uint32_t)f.data[0] << 24 | (uint32_t)f.data[1] << 16 |
                                        (uint32_t)f.data[2] << 8 | f.data[3]
                                  : 0;
        }
        if (f.ts_ns % 1000 != 250)
            r->all_ns_250 = false;
        r->last = f;
        r->frames++;
    }
    r->end = CAPTURE_ERROR;
    snprintf(r->err, sizeof r->err, "test: more than %d frames", TEST_MAX_FRAMES);
}

static struct capture *open_file(const char *path, const char *filter)
{
    struct capture_config cfg = {.file = path, .filter = filter};
    struct capture *c = NULL;
    char err[TEST_ERR_MAX] = "";
    enum status st = capture_open(&cfg, &c, err, sizeof err);
    cr_assert_eq(st, STATUS_OK, "open %s: %s", path, err);
    cr_assert_not_null(c);
    return c;
}

/* Open that must fail: returns the status, err holds the sentence. */
static enum status open_fails(const char *path, const char *filter, char *err, size_t errlen)
{
    struct capture_config cfg = {.file = path, .filter = filter};
    struct capture *c = (struct capture *)1;
    enum status st = capture_open(&cfg, &c, err, errlen);
    cr_assert_neq(st, STATUS_OK, "open %s unexpectedly worked", path);
    cr_assert_null(c);
    return st;
}

static size_t slurp(const char *path, uint8_t *buf, size_t cap)
{
    FILE *fp = fopen(path, "rb");
    cr_assert_not_null(fp, "%s: %s", path, strerror(errno));
    size_t n = fread(buf, 1, cap, fp);
    fclose(fp);
    return n;
}

#define TEST_TMP_FILES 8 /* files one test may write */

static char tmp_dir[64];
static char tmp_files[TEST_TMP_FILES][256];
static unsigned tmp_count;

/* A path in this test's own temporary directory; removed again by cleanup_tmp. */
static const char *tmp_path(const char *name)
{
    if (!tmp_dir[0]) {
        snprintf(tmp_dir, sizeof tmp_dir, "/tmp/sipscope-capture-XXXXXX");
        cr_assert_not_null(mkdtemp(tmp_dir));
    }
    cr_assert_lt(tmp_count, TEST_TMP_FILES);
    char *path = tmp_files[tmp_count++];
    snprintf(path, sizeof tmp_files[0], "%s/%s", tmp_dir, name);
    return path;
}

static const char *write_tmp(const char *name, const void *bytes, size_t len)
{
    const char *path = tmp_path(name);
    FILE *fp = fopen(path, "wb");
    cr_assert_not_null(fp);
    if (len)
        cr_assert_eq(fwrite(bytes, 1, len, fp), len);
    fclose(fp);
    return path;
}

static void cleanup_tmp(void)
{
    for (unsigned i = 0; i < tmp_count; i++)
        unlink(tmp_files[i]);
    if (tmp_dir[0])
        rmdir(tmp_dir);
}

TestSuite(capture, .fini = cleanup_tmp);

/* ---- formats, detected by content ---- */

Test(capture, pcap_big_endian)
{
    struct capture *c = open_file(sample("format-bigendian.pcap"), NULL);
    cr_assert_eq(capture_linktype(c), DLT_EN10MB);
    cr_assert_not(capture_is_live(c));
    cr_assert_eq(capture_kernel_drops(c), 0);
    cr_assert_str_eq(capture_name(c), sample("format-bigendian.pcap"));
    struct test_read r;
    read_all(c, &r);
    cr_assert_eq(r.end, CAPTURE_EOF, "%s", r.err);
    cr_assert_eq(r.frames, TEST_FULL_PACKETS);
    cr_assert_eq(r.first.ts_ns, TEST_TS_BIGENDIAN);
    cr_assert_eq(r.first.caplen, 709);
    cr_assert_eq(r.first.wirelen, 709);
    cr_assert_eq(r.first.linktype, DLT_EN10MB);
    cr_assert_eq(r.last.ts_ns, TEST_TS_BIGENDIAN + 3535000000ull); /* BYE's 200 at +3.535 s */
    capture_close(c);
}

Test(capture, pcap_nanosecond_keeps_250ns)
{
    struct capture *c = open_file(sample("format-nsec.pcap"), NULL);
    struct test_read r;
    read_all(c, &r);
    cr_assert_eq(r.end, CAPTURE_EOF, "%s", r.err);
    cr_assert_eq(r.frames, TEST_FULL_PACKETS);
    cr_assert_eq(r.first.ts_ns, TEST_TS_NSEC);
    cr_assert(r.all_ns_250, "every packet time is +250 ns past the microsecond");
    capture_close(c);
}

Test(capture, pcapng_two_interfaces_us_and_ns)
{
    struct capture *c = open_file(sample("format-pcapng.pcapng"), NULL);
    cr_assert_eq(capture_linktype(c), DLT_EN10MB);
    struct frame f;
    char err[TEST_ERR_MAX] = "";
    unsigned n = 0;
    unsigned first_sub_us = 0; /* number of the first frame with a sub-microsecond time */
    uint64_t first_sub_us_ts = 0;
    enum capture_result res;
    while (n < TEST_MAX_FRAMES && (res = capture_next(c, &f, err, sizeof err)) == CAPTURE_FRAME) {
        n++;
        if (n == 1) {
            cr_assert_eq(f.ts_ns, TEST_TS_PCAPNG); /* if0, tsresol 10^-6 */
            cr_assert_eq(f.caplen, 709);
        }
        if (!first_sub_us && f.ts_ns % 1000 != 0) {
            first_sub_us = n;
            first_sub_us_ts = f.ts_ns;
        }
    }
    cr_assert_eq(res, CAPTURE_EOF, "%s", err);
    cr_assert_eq(n, TEST_FULL_PACKETS, "the custom block is skipped, not a packet");
    /* five SIP messages on if0 (INVITE 100 180 200 ACK), then the first RTP packet on if1 */
    cr_assert_eq(first_sub_us, 6);
    cr_assert_eq(first_sub_us_ts, TEST_TS_PCAPNG_RTP1, "sub-microsecond time of if1 kept: %llu",
                 (unsigned long long)first_sub_us_ts);
    capture_close(c);
}

Test(capture, gzip_file_by_content)
{
    struct capture *c = open_file(sample("format-gzip.pcap.gz"), NULL);
    struct test_read r;
    read_all(c, &r);
    cr_assert_eq(r.end, CAPTURE_EOF, "%s", r.err);
    cr_assert_eq(r.frames, TEST_FULL_PACKETS);
    cr_assert_eq(r.first.ts_ns, TEST_TS_GZIP);
    cr_assert_eq(r.first.caplen, 709);
    cr_assert_eq(r.last.ts_ns, TEST_TS_GZIP + 3535000000ull);
    capture_close(c);
}

Test(capture, gzip_detected_whatever_the_name)
{
    uint8_t *buf = malloc(TEST_FILE_MAX);
    size_t n = slurp(sample("format-gzip.pcap.gz"), buf, TEST_FILE_MAX);
    const char *path = write_tmp("looks-plain.pcap", buf, n);
    free(buf);
    struct capture *c = open_file(path, NULL);
    struct test_read r;
    read_all(c, &r);
    cr_assert_eq(r.end, CAPTURE_EOF, "%s", r.err);
    cr_assert_eq(r.frames, TEST_FULL_PACKETS);
    capture_close(c);
}

Test(capture, linux_sll2_linktype)
{
    struct capture *c = open_file(sample("link-sll2.pcap"), NULL);
    cr_assert_eq(capture_linktype(c), 276); /* LINKTYPE_LINUX_SLL2 == DLT_LINUX_SLL2 */
    struct test_read r;
    read_all(c, &r);
    cr_assert_eq(r.end, CAPTURE_EOF, "%s", r.err);
    cr_assert_eq(r.frames, TEST_FULL_PACKETS);
    cr_assert_eq(r.first.ts_ns, TEST_TS_SLL2);
    cr_assert_eq(r.first.caplen, 715);
    cr_assert_eq(r.first.linktype, 276);
    cr_assert_eq(r.first_bytes0, 0x08000000u, "SLL2 starts with protocol type 0x0800, reserved 0");
    capture_close(c);
}

/* A pcap we write ourselves: nanosecond magic, snaplen cut (caplen < wirelen). */
Test(capture, snaplen_cut_and_ns_written_by_libpcap)
{
    const char *path = tmp_path("dumped.pcap");
    pcap_t *dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 64, PCAP_TSTAMP_PRECISION_NANO);
    cr_assert_not_null(dead);
    pcap_dumper_t *d = pcap_dump_open(dead, path);
    cr_assert_not_null(d, "%s", pcap_geterr(dead));
    uint8_t pkt[64];
    for (unsigned i = 0; i < 3; i++) {
        memset(pkt, (int)(0xa0 + i), sizeof pkt);
        struct pcap_pkthdr h = {.caplen = 64, .len = 1500};
        h.ts.tv_sec = 1700000000 + (time_t)i;
        h.ts.tv_usec = 123456789; /* nanoseconds under PCAP_TSTAMP_PRECISION_NANO */
        pcap_dump((u_char *)d, &h, pkt);
    }
    pcap_dump_close(d);
    pcap_close(dead);

    struct capture *c = open_file(path, NULL);
    struct frame f;
    char err[TEST_ERR_MAX];
    for (unsigned i = 0; i < 3; i++) {
        cr_assert_eq(capture_next(c, &f, err, sizeof err), CAPTURE_FRAME);
        cr_assert_eq(f.ts_ns, (1700000000ull + i) * 1000000000ull + 123456789ull);
        cr_assert_eq(f.caplen, 64);
        cr_assert_eq(f.wirelen, 1500);
        cr_assert_eq(f.data[0], 0xa0 + i);
        cr_assert_eq(f.data[63], 0xa0 + i);
    }
    cr_assert_eq(capture_next(c, &f, err, sizeof err), CAPTURE_EOF);
    cr_assert_eq(capture_next(c, &f, err, sizeof err), CAPTURE_EOF, "EOF is sticky");
    capture_close(c);
}

/* ---- damaged files: frames before the damage, then CAPTURE_ERROR ---- */

Test(capture, truncated_mid_packet)
{
    const char *path = sample("truncated-mid-packet.pcap");
    struct capture *c = open_file(path, NULL);
    struct test_read r;
    read_all(c, &r);
    cr_assert_eq(r.frames, TEST_TRUNC_PACKETS);
    cr_assert_eq(r.end, CAPTURE_ERROR);
    cr_assert_eq(r.first.ts_ns, TEST_TS_TRUNC_FIRST);
    cr_assert_eq(r.last.ts_ns, TEST_TS_TRUNC_LAST);
    /* record 151 declares 214 captured bytes; the file has 30 of them */
    char want[TEST_ERR_MAX];
    snprintf(want, sizeof want,
             "cannot read '%s': truncated dump file; tried to read 214 captured bytes, only got 30",
             path);
    cr_assert_str_eq(r.err, want);
    struct frame f;
    char err2[TEST_ERR_MAX] = "";
    cr_assert_eq(capture_next(c, &f, err2, sizeof err2), CAPTURE_ERROR, "the error is sticky");
    cr_assert_str_eq(err2, want);
    capture_close(c);
}

Test(capture, truncated_mid_header)
{
    const char *path = sample("truncated-mid-header.pcap");
    struct capture *c = open_file(path, NULL);
    struct test_read r;
    read_all(c, &r);
    cr_assert_eq(r.frames, TEST_TRUNC_PACKETS);
    cr_assert_eq(r.end, CAPTURE_ERROR);
    cr_assert_eq(r.last.ts_ns, TEST_TS_TRUNC_LAST);
    char want[TEST_ERR_MAX];
    snprintf(want, sizeof want,
             "cannot read '%s': truncated dump file; tried to read 16 header bytes, only got 9",
             path);
    cr_assert_str_eq(r.err, want);
    capture_close(c);
}

Test(capture, gzip_truncated_is_an_error)
{
    uint8_t *buf = malloc(TEST_FILE_MAX);
    size_t n = slurp(sample("format-gzip.pcap.gz"), buf, TEST_FILE_MAX);
    cr_assert_gt(n, 1000);
    const char *path = write_tmp("half.pcap.gz", buf, n / 2);
    free(buf);
    struct capture *c = open_file(path, NULL);
    struct test_read r;
    read_all(c, &r);
    cr_assert_eq(r.end, CAPTURE_ERROR);
    cr_assert_gt(r.frames, 0, "frames before the cut are delivered");
    cr_assert_lt(r.frames, TEST_FULL_PACKETS);
    cr_assert_eq(r.first.ts_ns, TEST_TS_GZIP);
    cr_assert(strstr(r.err, "half.pcap.gz': ") != NULL, "%s", r.err);
    cr_assert(strstr(r.err, "truncated .gz") != NULL, "%s", r.err);
    capture_close(c);
}

Test(capture, gzip_bad_crc_after_all_frames)
{
    uint8_t *buf = malloc(TEST_FILE_MAX);
    size_t n = slurp(sample("format-gzip.pcap.gz"), buf, TEST_FILE_MAX);
    buf[n - 8] ^= 0xff; /* RFC 1952 trailer: CRC32 (4 bytes) then ISIZE; spoil the CRC */
    const char *path = write_tmp("badcrc.pcap.gz", buf, n);
    free(buf);
    struct capture *c = open_file(path, NULL);
    struct test_read r;
    read_all(c, &r);
    cr_assert_eq(r.end, CAPTURE_ERROR, "a clean EOF would hide the damage");
    cr_assert_eq(r.frames, TEST_FULL_PACKETS);
    cr_assert(strstr(r.err, "gzip data is corrupt (incorrect data check)") != NULL, "%s", r.err);
    capture_close(c);
}

Test(capture, gzip_corrupt_deflate_data)
{
    uint8_t *buf = malloc(TEST_FILE_MAX);
    size_t n = slurp(sample("format-gzip.pcap.gz"), buf, TEST_FILE_MAX);
    for (size_t i = n / 3; i < n / 3 + 64; i++) /* 64 garbage bytes inside the deflate stream */
        buf[i] = (uint8_t)(i * 37u + 11u);
    const char *path = write_tmp("garbled.pcap.gz", buf, n);
    free(buf);
    struct capture *c = open_file(path, NULL);
    struct test_read r;
    read_all(c, &r);
    cr_assert_eq(r.end, CAPTURE_ERROR, "%u frames", r.frames);
    cr_assert_lt(r.frames, TEST_FULL_PACKETS);
    cr_assert(strncmp(r.err, "cannot read '", 13) == 0, "%s", r.err);
    capture_close(c);
}

Test(capture, gzip_header_only)
{
    static const uint8_t hdr[] = {0x1f, 0x8b, 0x08,
                                  0x00}; /* gzip ID1 ID2 CM=deflate FLG, then cut */
    const char *path = write_tmp("stub.gz", hdr, sizeof hdr);
    char err[TEST_ERR_MAX];
    cr_assert_eq(open_fails(path, NULL, err, sizeof err), STATUS_IO);
    cr_assert(strstr(err, "stub.gz': gzip data ends early (truncated .gz file)") != NULL, "%s",
              err);
}

Test(capture, gzip_of_text_is_not_a_capture)
{
    const char *path = tmp_path("notes.txt.gz");
    gzFile gz = gzopen(path, "wb");
    cr_assert_not_null(gz);
    gzputs(gz, "Just some notes, not a capture file.\n");
    gzclose(gz);
    char err[TEST_ERR_MAX];
    cr_assert_eq(open_fails(path, NULL, err, sizeof err), STATUS_IO);
    cr_assert(strstr(err, "notes.txt.gz': unknown file format") != NULL, "%s", err);
}

/* ---- inputs that are not captures ---- */

Test(capture, missing_file)
{
    char err[TEST_ERR_MAX];
    cr_assert_eq(open_fails("/nonexistent/dir/x.pcap", NULL, err, sizeof err), STATUS_IO);
    cr_assert_str_eq(err, "cannot read '/nonexistent/dir/x.pcap': No such file or directory");
}

Test(capture, empty_file)
{
    const char *path = write_tmp("empty.pcap", "", 0);
    char err[TEST_ERR_MAX];
    cr_assert_eq(open_fails(path, NULL, err, sizeof err), STATUS_IO);
    char want[TEST_ERR_MAX];
    snprintf(want, sizeof want, "cannot read '%s': the file is empty (0 bytes)", path);
    cr_assert_str_eq(err, want);
}

Test(capture, text_file)
{
    static const char text[] =
        "From: alice\r\nSubject: this is a mail, not a pcap\r\n\r\nhello\r\n";
    const char *path = write_tmp("mail.txt", text, sizeof text - 1);
    char err[TEST_ERR_MAX];
    cr_assert_eq(open_fails(path, NULL, err, sizeof err), STATUS_IO);
    char want[TEST_ERR_MAX];
    snprintf(want, sizeof want,
             "cannot read '%s': unknown file format (not pcap, pcapng, or either gzipped)", path);
    cr_assert_str_eq(err, want);
}

Test(capture, three_byte_file)
{
    static const uint8_t stub[] = {0xd4, 0xc3, 0xb2}; /* a pcap magic cut after 3 of 4 bytes */
    const char *path = write_tmp("stub.pcap", stub, sizeof stub);
    char err[TEST_ERR_MAX];
    cr_assert_eq(open_fails(path, NULL, err, sizeof err), STATUS_IO);
    cr_assert(strstr(err, "stub.pcap': truncated dump file") != NULL, "%s", err);
}

Test(capture, nul_bytes_file)
{
    static const uint8_t zeros[64]; /* 64 NUL bytes: no magic at all */
    const char *path = write_tmp("zeros.bin", zeros, sizeof zeros);
    char err[TEST_ERR_MAX];
    cr_assert_eq(open_fails(path, NULL, err, sizeof err), STATUS_IO);
    cr_assert(strstr(err, "zeros.bin': unknown file format") != NULL, "%s", err);
}

Test(capture, directory)
{
    char err[TEST_ERR_MAX];
    cr_assert_eq(open_fails("/tmp", NULL, err, sizeof err), STATUS_IO);
    cr_assert_str_eq(err, "cannot read '/tmp': it is a directory, not a capture file");
}

Test(capture, needs_exactly_one_input)
{
    char err[TEST_ERR_MAX];
    struct capture *c = NULL;
    struct capture_config none = {0};
    cr_assert_eq(capture_open(&none, &c, err, sizeof err), STATUS_IO);
    cr_assert_null(c);
    struct capture_config both = {.file = "x.pcap", .iface = "lo"};
    cr_assert_eq(capture_open(&both, &c, err, sizeof err), STATUS_IO);
    cr_assert_null(c);
}

/* ---- BPF filters ---- */

Test(capture, filter_on_file)
{
    /* expected.json: 7 SIP messages, all UDP port 5060; the rest is RTP on 20046/30046 */
    struct capture *c = open_file(sample("format-bigendian.pcap"), "udp port 5060");
    struct test_read r;
    read_all(c, &r);
    cr_assert_eq(r.end, CAPTURE_EOF, "%s", r.err);
    cr_assert_eq(r.frames, 7);
    cr_assert_eq(r.first.ts_ns, TEST_TS_BIGENDIAN);
    cr_assert_eq(r.last.ts_ns, TEST_TS_BIGENDIAN + 3535000000ull);
    capture_close(c);
}

Test(capture, filter_on_gzip)
{
    struct capture *c = open_file(sample("format-gzip.pcap.gz"), "udp portrange 20000-39999");
    struct test_read r;
    read_all(c, &r);
    cr_assert_eq(r.end, CAPTURE_EOF, "%s", r.err);
    cr_assert_eq(r.frames, TEST_FULL_PACKETS - 7, "RTP (and RTCP) only");
    capture_close(c);
}

Test(capture, bad_filter_is_malformed)
{
    char err[TEST_ERR_MAX];
    cr_assert_eq(open_fails(sample("format-bigendian.pcap"), "udp port", err, sizeof err),
                 STATUS_MALFORMED);
    cr_assert(strncmp(err, "bad capture filter 'udp port': ", 31) == 0, "%s", err);
    cr_assert(strstr(err, "syntax error") != NULL, "pcap's own text: %s", err);
    cr_assert_eq(open_fails(sample("format-bigendian.pcap"), "port 99999", err, sizeof err),
                 STATUS_MALFORMED);
    cr_assert_str_eq(err, "bad capture filter 'port 99999': illegal port number 99999 > 65535");
}

/* ---- packet times past 2^31 s (pcap-savefile(5): ts_sec is an unsigned 32-bit field) ---- */

/* Little-endian 32-bit field at p. */
static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

#define TEST_TS_RECORDS 3
#define TEST_TS_FRAME_LEN 14 /* an Ethernet header of zeros: enough for libpcap */

/*
 * A little-endian pcap savefile with magic `magic` (a1b2c3d4 microseconds,
 * a1b23c4d nanoseconds), link type Ethernet, and one 14-byte frame per
 * (sec, frac) pair. Returns the byte count written into buf.
 */
static size_t build_pcap(uint8_t *buf, uint32_t magic, const uint32_t sec[], const uint32_t frac[],
                         unsigned n)
{
    memset(buf, 0, 24 + n * (16 + TEST_TS_FRAME_LEN));
    put_le32(buf, magic);
    buf[4] = 2; /* version 2.4 */
    buf[6] = 4;
    put_le32(buf + 16, 65535); /* snaplen */
    put_le32(buf + 20, 1);     /* LINKTYPE_ETHERNET */
    size_t off = 24;
    for (unsigned i = 0; i < n; i++) {
        put_le32(buf + off, sec[i]);
        put_le32(buf + off + 4, frac[i]);
        put_le32(buf + off + 8, TEST_TS_FRAME_LEN);  /* incl_len */
        put_le32(buf + off + 12, TEST_TS_FRAME_LEN); /* orig_len */
        off += 16 + TEST_TS_FRAME_LEN;
    }
    return off;
}

/*
 * 0xBFA8A698 = 3215500952 s is 2071-11-23T10:42:32Z, the BYE of the public
 * capture heplify-sip_ipv6_udp.pcap (tshark: 3215500952.251758). libpcap
 * sign-extends it to -1079466344; read as unsigned it must stay in 2071, not
 * land in 2520 (2^64 - 1079466344 s, wrapped). 0x7FFFFFFF is the last second
 * before the sign bit, 0xFFFFFFFF the last one a pcap file can hold (2106).
 */
static const uint32_t ts_secs[TEST_TS_RECORDS] = {0x7FFFFFFFu, 0xBFA8A698u, 0xFFFFFFFFu};

Test(capture, pcap_seconds_past_2038_are_unsigned)
{
    static const uint32_t us[TEST_TS_RECORDS] = {999999, 251758, 1};
    uint8_t buf[24 + TEST_TS_RECORDS * (16 + TEST_TS_FRAME_LEN)];
    size_t len = build_pcap(buf, 0xa1b2c3d4u, ts_secs, us, TEST_TS_RECORDS);
    struct capture *c = open_file(write_tmp("y2038-us.pcap", buf, len), NULL);
    struct frame f;
    char err[TEST_ERR_MAX] = "";
    cr_assert_eq(capture_next(c, &f, err, sizeof err), CAPTURE_FRAME, "%s", err);
    cr_assert_eq(f.ts_ns, 2147483647999999000ull); /* 2038-01-19T03:14:07.999999Z */
    cr_assert_eq(capture_next(c, &f, err, sizeof err), CAPTURE_FRAME, "%s", err);
    cr_assert_eq(f.ts_ns, 3215500952251758000ull, "2071-11-23T10:42:32.251758Z, got %llu",
                 (unsigned long long)f.ts_ns);
    cr_assert_eq(capture_next(c, &f, err, sizeof err), CAPTURE_FRAME, "%s", err);
    cr_assert_eq(f.ts_ns, 4294967295000001000ull); /* 2106-02-07T06:28:15.000001Z */
    cr_assert_eq(capture_next(c, &f, err, sizeof err), CAPTURE_EOF, "%s", err);
    capture_close(c);
}

Test(capture, pcap_nanosecond_seconds_past_2038_are_unsigned)
{
    static const uint32_t ns[TEST_TS_RECORDS] = {999999999, 251758123, 0};
    uint8_t buf[24 + TEST_TS_RECORDS * (16 + TEST_TS_FRAME_LEN)];
    size_t len = build_pcap(buf, 0xa1b23c4du, ts_secs, ns, TEST_TS_RECORDS);
    struct capture *c = open_file(write_tmp("y2038-ns.pcap", buf, len), NULL);
    struct frame f;
    char err[TEST_ERR_MAX] = "";
    cr_assert_eq(capture_next(c, &f, err, sizeof err), CAPTURE_FRAME, "%s", err);
    cr_assert_eq(f.ts_ns, 2147483647999999999ull);
    cr_assert_eq(capture_next(c, &f, err, sizeof err), CAPTURE_FRAME, "%s", err);
    cr_assert_eq(f.ts_ns, 3215500952251758123ull, "got %llu", (unsigned long long)f.ts_ns);
    cr_assert_eq(capture_next(c, &f, err, sizeof err), CAPTURE_FRAME, "%s", err);
    cr_assert_eq(f.ts_ns, 4294967295000000000ull);
    capture_close(c);
}

/*
 * pcap-savefile versions before 2.4: before 2.3 a record held its wire length
 * first and its captured length second, and 2.3 files were written both ways
 * (libpcap swaps the two when the captured length is the larger). Three
 * 14-byte frames of 44 bytes on the wire, written the old way: taken as
 * written, the first record would swallow the next one (found by
 * fuzz_capture; kept as tests/regress/capture-version-2-1-lengths.bin).
 */
static void old_version_case(uint8_t minor)
{
    uint8_t buf[24 + 3 * (16 + TEST_TS_FRAME_LEN)];
    static const uint32_t sec[3] = {1700000000u, 1700000001u, 1700000002u};
    static const uint32_t us[3] = {1, 2, 3};
    size_t len = build_pcap(buf, 0xa1b2c3d4u, sec, us, 3);
    buf[6] = minor;
    for (size_t off = 24; off < len; off += 16 + TEST_TS_FRAME_LEN) {
        put_le32(buf + off + 8, 44);                 /* orig_len where incl_len now goes */
        put_le32(buf + off + 12, TEST_TS_FRAME_LEN); /* incl_len */
    }
    char name[32];
    snprintf(name, sizeof name, "version-2-%u.pcap", minor);
    struct capture *c = open_file(write_tmp(name, buf, len), NULL);
    struct frame f;
    char err[TEST_ERR_MAX] = "";
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(capture_next(c, &f, err, sizeof err), CAPTURE_FRAME, "2.%u frame %d: %s",
                     minor, i, err);
        cr_assert_eq(f.caplen, TEST_TS_FRAME_LEN, "2.%u frame %d: caplen %u", minor, i, f.caplen);
        cr_assert_eq(f.wirelen, 44, "2.%u frame %d: wire length %u", minor, i, f.wirelen);
        cr_assert_eq(f.ts_ns, sec[i] * 1000000000ull + us[i] * 1000u);
    }
    cr_assert_eq(capture_next(c, &f, err, sizeof err), CAPTURE_EOF, "2.%u: %s", minor, err);
    capture_close(c);
}

Test(capture, pcap_version_2_2_and_2_3_wire_length_first)
{
    old_version_case(2);
    old_version_case(3);
}

/* ---- stdin: a pipe, peeked without seeking ---- */

static pid_t feed_stdin(const uint8_t *bytes, size_t len)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        close(fds[0]);
        size_t off = 0;
        while (off < len) { /* small writes: the reader must cope with short reads */
            size_t chunk = len - off < 1000 ? len - off : 1000;
            ssize_t w = write(fds[1], bytes + off, chunk);
            if (w <= 0)
                _exit(1);
            off += (size_t)w;
        }
        _exit(0);
    }
    close(fds[1]);
    cr_assert_eq(dup2(fds[0], STDIN_FILENO), STDIN_FILENO);
    close(fds[0]);
    return pid;
}

static void stdin_case(const char *name, uint64_t first_ts)
{
    uint8_t *buf = malloc(TEST_FILE_MAX);
    size_t n = slurp(sample(name), buf, TEST_FILE_MAX);
    pid_t pid = feed_stdin(buf, n);
    free(buf);
    struct capture *c = open_file("-", NULL);
    cr_assert_str_eq(capture_name(c), "stdin");
    cr_assert_not(capture_is_regular_file(c), "a pipe may stall: not a regular file");
    struct test_read r;
    read_all(c, &r);
    cr_assert_eq(r.end, CAPTURE_EOF, "%s", r.err);
    cr_assert_eq(r.frames, TEST_FULL_PACKETS);
    cr_assert_eq(r.first.ts_ns, first_ts);
    capture_close(c);
    int ws;
    cr_assert_eq(waitpid(pid, &ws, 0), pid);
    cr_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
}

Test(capture, stdin_plain_pcap)
{
    stdin_case("format-bigendian.pcap", TEST_TS_BIGENDIAN);
}

Test(capture, stdin_gzip)
{
    stdin_case("format-gzip.pcap.gz", TEST_TS_GZIP);
}

Test(capture, stdin_pcapng)
{
    stdin_case("format-pcapng.pcapng", TEST_TS_PCAPNG);
}

Test(capture, stdin_truncated)
{
    uint8_t *buf = malloc(TEST_FILE_MAX);
    size_t n = slurp(sample("truncated-mid-header.pcap"), buf, TEST_FILE_MAX);
    pid_t pid = feed_stdin(buf, n);
    free(buf);
    struct capture *c = open_file("-", NULL);
    struct test_read r;
    read_all(c, &r);
    cr_assert_eq(r.frames, TEST_TRUNC_PACKETS);
    cr_assert_eq(r.end, CAPTURE_ERROR);
    cr_assert_str_eq(r.err,
                     "cannot read 'stdin': truncated dump file; tried to read 16 header bytes, "
                     "only got 9");
    capture_close(c);
    waitpid(pid, NULL, 0);
}

Test(capture, stdin_empty)
{
    pid_t pid = feed_stdin(NULL, 0);
    char err[TEST_ERR_MAX];
    cr_assert_eq(open_fails("-", NULL, err, sizeof err), STATUS_IO);
    cr_assert_str_eq(err, "cannot read 'stdin': the input is empty (0 bytes)");
    waitpid(pid, NULL, 0);
}

Test(capture, stdin_text)
{
    static const char text[] = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
    pid_t pid = feed_stdin((const uint8_t *)text, sizeof text - 1);
    char err[TEST_ERR_MAX];
    cr_assert_eq(open_fails("-", NULL, err, sizeof err), STATUS_IO);
    cr_assert_str_eq(
        err, "cannot read 'stdin': unknown file format (not pcap, pcapng, or either gzipped)");
    waitpid(pid, NULL, 0);
}

/* ---- stop ---- */

Test(capture, stop_on_file)
{
    struct capture *c = open_file(sample("format-bigendian.pcap"), NULL);
    struct frame f;
    char err[TEST_ERR_MAX];
    cr_assert_eq(capture_next(c, &f, err, sizeof err), CAPTURE_FRAME);
    capture_stop(c);
    cr_assert_eq(capture_next(c, &f, err, sizeof err), CAPTURE_STOPPED);
    cr_assert_eq(capture_next(c, &f, err, sizeof err), CAPTURE_STOPPED);
    capture_close(c);
}

/* ---- stop while a pipe is idle: its writer keeps it open but sends nothing more ---- */

#define TEST_STOP_DELAY_NS (50 * 1000 * 1000) /* the stop comes 50 ms into the wait */
#define TEST_STOP_BOUND_NS 1000000000ull      /* it must end the wait well within 1 s */

/* stdin becomes a pipe holding bytes; the write end is returned, still open. */
static int idle_stdin(const uint8_t *bytes, size_t len)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    if (len)
        cr_assert_eq(write(fds[1], bytes, len), (ssize_t)len); /* fits the pipe buffer */
    cr_assert_eq(dup2(fds[0], STDIN_FILENO), STDIN_FILENO);
    close(fds[0]);
    return fds[1];
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *set_flag_later(void *arg)
{
    struct timespec ts = {0, TEST_STOP_DELAY_NS};
    nanosleep(&ts, NULL);
    atomic_store((atomic_bool *)arg, true);
    return NULL;
}

static void *stop_capture_later(void *arg)
{
    struct timespec ts = {0, TEST_STOP_DELAY_NS};
    nanosleep(&ts, NULL);
    capture_stop(arg);
    return NULL;
}

/* Three frames from a pipe whose writer stays, then a stop by flag or by capture_stop. */
static void idle_pipe_case(bool by_flag)
{
    static const uint32_t us[TEST_TS_RECORDS] = {1, 2, 3};
    uint8_t buf[24 + TEST_TS_RECORDS * (16 + TEST_TS_FRAME_LEN)];
    size_t len = build_pcap(buf, 0xa1b2c3d4u, ts_secs, us, TEST_TS_RECORDS);
    int writer = idle_stdin(buf, len);
    static atomic_bool stop;
    struct capture_config cfg = {.file = "-", .stop = &stop};
    struct capture *c = NULL;
    char err[TEST_ERR_MAX] = "";
    cr_assert_eq(capture_open(&cfg, &c, err, sizeof err), STATUS_OK, "%s", err);
    struct frame f;
    for (int i = 0; i < TEST_TS_RECORDS; i++)
        cr_assert_eq(capture_next(c, &f, err, sizeof err), CAPTURE_FRAME, "%s", err);
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, by_flag ? set_flag_later : stop_capture_later,
                                by_flag ? (void *)&stop : (void *)c),
                 0);
    uint64_t t0 = mono_ns();
    enum capture_result res = capture_next(c, &f, err, sizeof err); /* waits on the pipe */
    uint64_t waited = mono_ns() - t0;
    pthread_join(t, NULL);
    cr_assert_eq(res, CAPTURE_STOPPED, "result %d: %s", res, err);
    cr_assert_lt(waited, TEST_STOP_BOUND_NS, "the stop took %llu ns", (unsigned long long)waited);
    cr_assert_eq(capture_next(c, &f, err, sizeof err), CAPTURE_STOPPED);
    capture_close(c);
    close(writer);
}

Test(capture, stop_flag_ends_a_read_waiting_on_an_idle_pipe, .timeout = 10)
{
    idle_pipe_case(true);
}

Test(capture, capture_stop_ends_a_read_waiting_on_an_idle_pipe, .timeout = 10)
{
    idle_pipe_case(false);
}

Test(capture, stop_before_the_capture_header, .timeout = 10)
{
    int writer = idle_stdin(NULL, 0); /* the writer is there but has sent nothing yet */
    static atomic_bool stop;
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, set_flag_later, &stop), 0);
    struct capture_config cfg = {.file = "-", .stop = &stop};
    struct capture *c = (struct capture *)1;
    char err[TEST_ERR_MAX] = "";
    cr_assert_eq(capture_open(&cfg, &c, err, sizeof err), STATUS_IO);
    pthread_join(t, NULL);
    cr_assert_null(c);
    cr_assert_str_eq(err, "cannot read 'stdin': stopped before the capture header arrived");
    close(writer);
}

/* ---- live (needs root or CAP_NET_RAW; skipped without) ---- */

Test(capture, live_no_such_interface)
{
    struct capture_config cfg = {.iface = "nosuch0"};
    struct capture *c = NULL;
    char err[TEST_ERR_MAX];
    cr_assert_eq(capture_open(&cfg, &c, err, sizeof err), STATUS_IO);
    cr_assert_null(c);
    cr_assert(strncmp(err, "cannot capture on 'nosuch0': ", 29) == 0, "%s", err);
    cr_assert(strstr(err, "no such interface") || strstr(err, "CAP_NET_RAW"), "%s", err);
}

static struct capture *open_lo(const char *filter)
{
    struct capture_config cfg = {
        .iface = "lo", .filter = filter, .snaplen = 2048, .buffer_mb = 2, .immediate = true};
    struct capture *c = NULL;
    char err[TEST_ERR_MAX] = "";
    enum status st = capture_open(&cfg, &c, err, sizeof err);
    if (st != STATUS_OK) {
        cr_assert(strstr(err, "CAP_NET_RAW") != NULL, "only a permission problem may skip: %s",
                  err);
        cr_skip_test("no capture rights: %s", err);
    }
    return c;
}

static void *stop_later(void *arg)
{
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
    capture_stop(arg);
    return NULL;
}

Test(capture, live_loopback_frame_and_stop)
{
    struct capture *c = open_lo("udp port 47123 and host 127.0.0.1");
    if (!c)
        return;
    cr_assert(capture_is_live(c));
    cr_assert_eq(capture_linktype(c), DLT_EN10MB);
    cr_assert_str_eq(capture_name(c), "lo");

    int s = socket(AF_INET, SOCK_DGRAM, 0);
    cr_assert_geq(s, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(47123)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    static const char payload[] = "OPTIONS sip:probe@127.0.0.1 SIP/2.0\r\n\r\n";
    cr_assert_eq(sendto(s, payload, sizeof payload - 1, 0, (struct sockaddr *)&to, sizeof to),
                 (ssize_t)(sizeof payload - 1));
    close(s);

    struct frame f;
    char err[TEST_ERR_MAX];
    enum capture_result res = CAPTURE_TIMEOUT;
    for (int i = 0; i < 30 && res == CAPTURE_TIMEOUT; i++) /* up to 3 s of 100 ms polls */
        res = capture_next(c, &f, err, sizeof err);
    cr_assert_eq(res, CAPTURE_FRAME, "result %d: %s", res, err);
    cr_assert_eq(f.caplen, 14 + 20 + 8 + sizeof payload - 1, "Ethernet + IPv4 + UDP + payload");
    cr_assert_eq(f.wirelen, f.caplen);
    cr_assert(memcmp(f.data + 42, payload, sizeof payload - 1) == 0);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint64_t now_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
    cr_assert(f.ts_ns <= now_ns && f.ts_ns > now_ns - 10000000000ull, "packet time is recent");
    cr_assert_eq(capture_kernel_drops(c), 0);

    /* Nothing else matches the filter: capture_next times out until stopped from a thread. */
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, stop_later, c), 0);
    for (int i = 0; i < 50 && (res = capture_next(c, &f, err, sizeof err)) == CAPTURE_TIMEOUT; i++)
        ;
    cr_assert_eq(res, CAPTURE_STOPPED);
    pthread_join(t, NULL);
    capture_close(c);
}

Test(capture, live_bad_filter)
{
    struct capture_config cfg = {.iface = "lo", .filter = "tcp port"};
    struct capture *c = NULL;
    char err[TEST_ERR_MAX];
    enum status st = capture_open(&cfg, &c, err, sizeof err);
    if (st == STATUS_IO && strstr(err, "CAP_NET_RAW"))
        cr_skip_test("no capture rights: %s", err);
    cr_assert_eq(st, STATUS_MALFORMED, "%s", err);
    cr_assert_null(c);
}

/* ---- replay pacing (capture_config.speed) ---- */

#define TEST_PACE_MS 1000000ull /* ns in a millisecond */

/*
 * Write a 3-frame microsecond pcap whose frames are at the given packet
 * times (seconds, microseconds), open it at `speed`, and return the wall time
 * (CLOCK_MONOTONIC) from before the first capture_next to after the third.
 */
static uint64_t paced_read(const char *name, const uint32_t sec[TEST_TS_RECORDS],
                           const uint32_t us[TEST_TS_RECORDS], double speed)
{
    uint8_t buf[24 + TEST_TS_RECORDS * (16 + TEST_TS_FRAME_LEN)];
    size_t len = build_pcap(buf, 0xa1b2c3d4u, sec, us, TEST_TS_RECORDS);
    struct capture_config cfg = {.file = write_tmp(name, buf, len), .speed = speed};
    struct capture *c = NULL;
    char err[TEST_ERR_MAX] = "";
    cr_assert_eq(capture_open(&cfg, &c, err, sizeof err), STATUS_OK, "%s", err);
    struct frame f;
    uint64_t t0 = mono_ns();
    for (int i = 0; i < TEST_TS_RECORDS; i++) {
        cr_assert_eq(capture_next(c, &f, err, sizeof err), CAPTURE_FRAME, "%s", err);
        cr_assert_eq(f.ts_ns, (uint64_t)sec[i] * 1000000000ull + (uint64_t)us[i] * 1000u,
                     "frames keep their own time");
    }
    uint64_t took = mono_ns() - t0;
    cr_assert_eq(capture_next(c, &f, err, sizeof err), CAPTURE_EOF, "%s", err);
    capture_close(c);
    return took;
}

/* 1700000000 s is 2023-11-14T22:13:20Z; three frames 200 ms apart. */
static const uint32_t pace_sec[TEST_TS_RECORDS] = {1700000000u, 1700000000u, 1700000000u};
static const uint32_t pace_us[TEST_TS_RECORDS] = {0, 200000, 400000};

Test(capture, speed_2_takes_half_the_packet_time, .timeout = 10)
{
    /* 400 ms of packet time at 2x: 200 ms of wall time. */
    uint64_t took = paced_read("pace2.pcap", pace_sec, pace_us, 2.0);
    cr_assert_geq(took, 180 * TEST_PACE_MS, "took %llu ns", (unsigned long long)took);
    cr_assert_lt(took, 2000 * TEST_PACE_MS, "took %llu ns", (unsigned long long)took);
}

Test(capture, speed_1_takes_the_packet_time, .timeout = 10)
{
    uint64_t took = paced_read("pace1.pcap", pace_sec, pace_us, 1.0);
    cr_assert_geq(took, 380 * TEST_PACE_MS, "took %llu ns", (unsigned long long)took);
    cr_assert_lt(took, 2000 * TEST_PACE_MS, "took %llu ns", (unsigned long long)took);
}

Test(capture, speed_0_is_as_fast_as_possible, .timeout = 10)
{
    uint64_t took = paced_read("pace0.pcap", pace_sec, pace_us, 0.0);
    cr_assert_lt(took, 100 * TEST_PACE_MS, "took %llu ns", (unsigned long long)took);
}

Test(capture, negative_or_nan_speed_is_not_paced, .timeout = 10)
{
    uint64_t took = paced_read("pace-neg.pcap", pace_sec, pace_us, -3.0);
    cr_assert_lt(took, 100 * TEST_PACE_MS, "took %llu ns", (unsigned long long)took);
    took = paced_read("pace-nan.pcap", pace_sec, pace_us, 0.0 / 0.0);
    cr_assert_lt(took, 100 * TEST_PACE_MS, "took %llu ns", (unsigned long long)took);
}

Test(capture, a_gap_in_packet_time_waits_at_most_a_second, .timeout = 10)
{
    /* An hour's gap, then 100 ms: 1 s (the cap) + 100 ms, not an hour. */
    static const uint32_t sec[TEST_TS_RECORDS] = {1700000000u, 1700003600u, 1700003600u};
    static const uint32_t us[TEST_TS_RECORDS] = {0, 0, 100000};
    uint64_t took = paced_read("pace-gap.pcap", sec, us, 1.0);
    cr_assert_geq(took, 1080 * TEST_PACE_MS, "took %llu ns", (unsigned long long)took);
    cr_assert_lt(took, 2500 * TEST_PACE_MS, "took %llu ns", (unsigned long long)took);
}

Test(capture, a_gap_below_the_cap_is_waited_in_full, .timeout = 10)
{
    /* A 6 s gap (> CAPTURE_REPLAY_GAP_S) at 10x is 600 ms, under the 1 s cap; then 100 ms at
     * 10x is 10 ms. */
    static const uint32_t sec[TEST_TS_RECORDS] = {1700000000u, 1700000006u, 1700000006u};
    static const uint32_t us[TEST_TS_RECORDS] = {0, 0, 100000};
    uint64_t took = paced_read("pace-gap10.pcap", sec, us, 10.0);
    cr_assert_geq(took, 580 * TEST_PACE_MS, "took %llu ns", (unsigned long long)took);
    cr_assert_lt(took, 1500 * TEST_PACE_MS, "took %llu ns", (unsigned long long)took);
}

Test(capture, packet_time_going_backwards_does_not_stall, .timeout = 10)
{
    /* 100 s back in time: handed over at once, then 100 ms later by the new schedule. */
    static const uint32_t sec[TEST_TS_RECORDS] = {1700000100u, 1700000000u, 1700000000u};
    static const uint32_t us[TEST_TS_RECORDS] = {0, 0, 100000};
    uint64_t took = paced_read("pace-back.pcap", sec, us, 1.0);
    cr_assert_geq(took, 90 * TEST_PACE_MS, "took %llu ns", (unsigned long long)took);
    cr_assert_lt(took, 1000 * TEST_PACE_MS, "took %llu ns", (unsigned long long)took);
}

Test(capture, stop_ends_a_paced_wait, .timeout = 10)
{
    /* The second frame is due 4 s after the first; a stop 50 ms in ends the wait. */
    static const uint32_t sec[TEST_TS_RECORDS] = {1700000000u, 1700000004u, 1700000004u};
    static const uint32_t us[TEST_TS_RECORDS] = {0, 0, 0};
    uint8_t buf[24 + TEST_TS_RECORDS * (16 + TEST_TS_FRAME_LEN)];
    size_t len = build_pcap(buf, 0xa1b2c3d4u, sec, us, TEST_TS_RECORDS);
    static atomic_bool stop;
    struct capture_config cfg = {
        .file = write_tmp("pace-stop.pcap", buf, len), .speed = 1.0, .stop = &stop};
    struct capture *c = NULL;
    char err[TEST_ERR_MAX] = "";
    cr_assert_eq(capture_open(&cfg, &c, err, sizeof err), STATUS_OK, "%s", err);
    struct frame f;
    cr_assert_eq(capture_next(c, &f, err, sizeof err), CAPTURE_FRAME, "%s", err);
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, set_flag_later, &stop), 0);
    uint64_t t0 = mono_ns();
    enum capture_result res = capture_next(c, &f, err, sizeof err);
    uint64_t waited = mono_ns() - t0;
    pthread_join(t, NULL);
    cr_assert_eq(res, CAPTURE_STOPPED, "result %d: %s", res, err);
    cr_assert_lt(waited, 500 * TEST_PACE_MS, "the stop took %llu ns", (unsigned long long)waited);
    cr_assert_eq(capture_next(c, &f, err, sizeof err), CAPTURE_STOPPED);
    capture_close(c);
}

/* ---- pcapng with two link types (draft-ietf-opsawg-pcapng §4.2, §4.3) ---- */

/* A pcapng block: type, total length, body padded to 32 bits, total length again. */
static size_t put_block(uint8_t *p, uint32_t type, const uint8_t *body, size_t len)
{
    size_t padded = (len + 3) & ~(size_t)3;
    put_le32(p, type);
    put_le32(p + 4, (uint32_t)(12 + padded));
    memset(p + 8, 0, padded);
    memcpy(p + 8, body, len);
    put_le32(p + 8 + padded, (uint32_t)(12 + padded));
    return 12 + padded;
}

/* An Enhanced Packet Block on interface `iface` holding `frame`. */
static size_t put_epb(uint8_t *p, uint32_t iface, const uint8_t *frame, size_t len)
{
    uint8_t body[20 + 64];
    memset(body, 0, sizeof body);
    put_le32(body, iface);
    put_le32(body + 8, 1000000u); /* timestamp low word: 1 s after the epoch */
    put_le32(body + 12, (uint32_t)len);
    put_le32(body + 16, (uint32_t)len);
    memcpy(body + 20, frame, len);
    return put_block(p, 6, body, 20 + len);
}

Test(capture, pcapng_mixed_link_types_one_clear_line)
{
    /*
     * SHB, IDB 0 Ethernet, a 14-byte Ethernet frame, IDB 1 raw IP (LINKTYPE_RAW
     * 101), a 20-byte IPv4 header on it. libpcap 1.10 keeps the first link
     * type for the file and stops at the second IDB: the frame before it is
     * read, then one sentence says what the file holds and how to read it.
     */
    static const uint8_t shb[] = {0x4d, 0x3c, 0x2b, 0x1a, 1,    0,    0,    0,     /* magic, v1.0 */
                                  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}; /* length -1 */
    static const uint8_t idb_eth[] = {1, 0, 0, 0, 0xff, 0xff, 0, 0};   /* EN10MB, snaplen 65535 */
    static const uint8_t idb_raw[] = {101, 0, 0, 0, 0xff, 0xff, 0, 0}; /* RAW */
    static const uint8_t eth[14] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00};
    static const uint8_t ip[20] = {0x45, 0, 0,   20, 0, 1, 0,   0,  64,  17,
                                   0,    0, 192, 0,  2, 1, 198, 51, 100, 2};
    uint8_t buf[512];
    size_t n = put_block(buf, 0x0A0D0D0Au, shb, sizeof shb);
    n += put_block(buf + n, 1, idb_eth, sizeof idb_eth);
    n += put_epb(buf + n, 0, eth, sizeof eth);
    n += put_block(buf + n, 1, idb_raw, sizeof idb_raw);
    n += put_epb(buf + n, 1, ip, sizeof ip);
    const char *path = write_tmp("mixed.pcapng", buf, n);
    struct capture *c = open_file(path, NULL);
    cr_assert_eq(capture_linktype(c), DLT_EN10MB);
    struct test_read r;
    read_all(c, &r);
    cr_assert_eq(r.frames, 1, "the Ethernet frame before the second interface is read");
    cr_assert_eq(r.end, CAPTURE_ERROR);
    char want[TEST_ERR_MAX];
    snprintf(want, sizeof want,
             "cannot read '%s': the pcapng file mixes link types (EN10MB, then 101) and libpcap "
             "reads one per file; split it by interface first (tshark -r FILE -Y "
             "frame.interface_id==0 -w PART.pcapng)",
             path);
    cr_assert_str_eq(r.err, want);
    capture_close(c);
}

/* ---- classic pcap records read by capture.c itself, libpcap for the rest -------------- */

/* One frame against libpcap's next: time, lengths, link type and bytes the same. */
static void same_frame(const struct frame *a, const struct frame *b, const char *what,
                       unsigned frames)
{
    cr_assert_eq(a->ts_ns, b->ts_ns, "%s frame %u", what, frames);
    cr_assert_eq(a->caplen, b->caplen, "%s frame %u", what, frames);
    cr_assert_eq(a->wirelen, b->wirelen, "%s frame %u", what, frames);
    cr_assert_eq(a->linktype, b->linktype, "%s frame %u", what, frames);
    cr_assert_eq(memcmp(a->data, b->data, a->caplen), 0, "%s frame %u bytes", what, frames);
}

/* Read both captures in lockstep: every frame, the end and the error text must be the same. */
static unsigned lockstep(struct capture *fast, struct capture *lib, const char *what)
{
    unsigned frames = 0;
    for (;;) {
        struct frame a, b;
        char ea[TEST_ERR_MAX] = "", eb[TEST_ERR_MAX] = "";
        enum capture_result ra = capture_next(fast, &a, ea, sizeof ea);
        enum capture_result rb = capture_next(lib, &b, eb, sizeof eb);
        cr_assert_eq(ra, rb, "%s frame %u: %d vs %d (%s | %s)", what, frames, ra, rb, ea, eb);
        if (ra != CAPTURE_FRAME) {
            cr_assert_str_eq(ea, eb, "%s", what);
            return frames;
        }
        same_frame(&a, &b, what, frames);
        cr_assert_lt(++frames, (unsigned)TEST_MAX_FRAMES);
    }
}

#define TEST_BATCH_MAX 16

/*
 * The same through capture_next_batch, at most max frames a call: each batch
 * is checked only after the call, so every frame in it must still be valid
 * then. *largest: the largest batch handed over.
 */
static unsigned lockstep_batches(struct capture *fast, struct capture *lib, size_t max,
                                 const char *what, size_t *largest)
{
    unsigned frames = 0;
    *largest = 0;
    for (;;) {
        struct frame a[TEST_BATCH_MAX], b;
        size_t n = 99;
        char ea[TEST_ERR_MAX] = "", eb[TEST_ERR_MAX] = "";
        enum capture_result ra = capture_next_batch(fast, a, max, &n, ea, sizeof ea);
        if (ra != CAPTURE_FRAME) {
            cr_assert_eq(n, 0u, "%s", what);
            enum capture_result rb = capture_next(lib, &b, eb, sizeof eb);
            cr_assert_eq(ra, rb, "%s end after %u: %d vs %d (%s | %s)", what, frames, ra, rb, ea,
                         eb);
            cr_assert_str_eq(ea, eb, "%s", what);
            return frames;
        }
        cr_assert(n >= 1 && n <= max, "%s: a batch of %zu (at most %zu)", what, n, max);
        if (n > *largest)
            *largest = n;
        for (size_t i = 0; i < n; i++) {
            enum capture_result rb = capture_next(lib, &b, eb, sizeof eb);
            cr_assert_eq(rb, CAPTURE_FRAME, "%s frame %u: libpcap says %d (%s)", what, frames, rb,
                         eb);
            same_frame(&a[i], &b, what, frames);
            cr_assert_lt(++frames, (unsigned)TEST_MAX_FRAMES);
        }
    }
}

/* The file read in batches of at most max: same frames as libpcap's; the largest batch. */
static size_t same_as_libpcap_batched(const char *path, size_t max, unsigned want_frames)
{
    struct capture *fast = open_file(path, NULL);
    struct capture *lib = open_file(path, "len >= 0");
    size_t largest;
    unsigned frames = lockstep_batches(fast, lib, max, path, &largest);
    cr_assert_eq(frames, want_frames, "%s: %u frames", path, frames);
    capture_close(fast);
    capture_close(lib);
    return largest;
}

/*
 * The path with the own reader (no filter) against the path through libpcap
 * (a filter that passes everything turns the own reader off).
 */
static void same_as_libpcap(const char *path, unsigned want_frames)
{
    struct capture *fast = open_file(path, NULL);
    struct capture *lib = open_file(path, "len >= 0");
    unsigned frames = lockstep(fast, lib, path);
    cr_assert_eq(frames, want_frames, "%s: %u frames", path, frames);
    capture_close(fast);
    capture_close(lib);
}

Test(capture, own_reader_matches_libpcap_on_the_samples)
{
    struct capture *reg = open_file(sample("basic-call.pcap"), NULL);
    cr_assert(capture_is_regular_file(reg));
    capture_close(reg);
    reg = open_file(sample("format-gzip.pcap.gz"), NULL);
    cr_assert(capture_is_regular_file(reg), "a gzip file is a regular file too");
    capture_close(reg);
    same_as_libpcap(sample("basic-call.pcap"), 479);
    same_as_libpcap(sample("format-bigendian.pcap"), TEST_FULL_PACKETS);
    same_as_libpcap(sample("format-nsec.pcap"), TEST_FULL_PACKETS);
    same_as_libpcap(sample("link-sll2.pcap"), TEST_FULL_PACKETS);
    same_as_libpcap(sample("truncated-mid-packet.pcap"), TEST_TRUNC_PACKETS);
    same_as_libpcap(sample("truncated-mid-header.pcap"), TEST_TRUNC_PACKETS);
    static const char *const others[] = {"basic-call-tcp.pcap", "ipv6-call.pcap",
                                         "link-vlan-8021q.pcap", "ipv4-frag-invite.pcap"};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        struct capture *c = open_file(sample(others[i]), NULL);
        struct test_read r;
        read_all(c, &r);
        capture_close(c);
        cr_assert_eq(r.end, CAPTURE_EOF, "%s: %s", others[i], r.err);
        same_as_libpcap(sample(others[i]), r.frames);
    }
}

#define TEST_BIG_RECORDS 3000
#define TEST_BIG_BYTES (24 + TEST_BIG_RECORDS * (16 + 1500) + 16 + 65535)

/*
 * A file larger than the reader's buffer (256 KiB and a page), records of every size up to
 * 1500 bytes and one of 65535, so records straddle each refill; then the same
 * file with oddities the own reader leaves to libpcap: a record above the
 * snaplen, a microsecond field of a million, and a record cut short at the end.
 */
static size_t build_big(uint8_t *buf, uint32_t snaplen)
{
    put_le32(buf, 0xa1b2c3d4u);
    buf[4] = 2;
    buf[5] = 0;
    buf[6] = 4;
    buf[7] = 0;
    memset(buf + 8, 0, 8);
    put_le32(buf + 16, snaplen);
    put_le32(buf + 20, 1);
    size_t off = 24;
    for (uint32_t i = 0; i <= TEST_BIG_RECORDS; i++) {
        uint32_t len = i == TEST_BIG_RECORDS / 2 ? 65535 : 14 + (i * 7919u) % 1487u;
        if (len > snaplen)
            len = i % 2 ? len : snaplen;
        put_le32(buf + off, 1709295000u + i);
        put_le32(buf + off + 4, (i * 104729u) % 1000000u);
        put_le32(buf + off + 8, len);
        put_le32(buf + off + 12, len + (i % 3));
        for (uint32_t k = 0; k < len; k++)
            buf[off + 16 + k] = (uint8_t)(k * 31u + i);
        off += 16 + len;
    }
    return off;
}

Test(capture, own_reader_matches_libpcap_across_refills_and_oddities)
{
    static uint8_t buf[TEST_BIG_BYTES];
    size_t len = build_big(buf, 65535);
    cr_assert_gt(len, 2u << 20);
    same_as_libpcap(write_tmp("big.pcap", buf, len), TEST_BIG_RECORDS + 1);

    /* snaplen 1000: the odd records above it go to libpcap, which reads on from there */
    len = build_big(buf, 1000);
    same_as_libpcap(write_tmp("above-snaplen.pcap", buf, len), TEST_BIG_RECORDS + 1);

    /* a microsecond field of 1000000 in record 10, then the last record cut short */
    len = build_big(buf, 65535);
    size_t off = 24;
    for (int i = 0; i < 10; i++)
        off += 16 + (buf[off + 8] | buf[off + 9] << 8 | (size_t)buf[off + 10] << 16);
    put_le32(buf + off + 4, 1000000u);
    same_as_libpcap(write_tmp("odd-usec.pcap", buf, len - 5), TEST_BIG_RECORDS);
}

/*
 * Batches (the inline file read takes 16 frames at a time): the big file and
 * its oddities give the same frames in the same order at every batch size,
 * whole batches straddle no refill, and a batch is as large as asked when
 * the records are there. Input read by libpcap (pcapng) comes one at a time.
 */
Test(capture, batches_match_libpcap_across_refills_and_oddities)
{
    static uint8_t buf[TEST_BIG_BYTES];
    size_t len = build_big(buf, 65535);
    const char *big = write_tmp("big-batch.pcap", buf, len);
    static const size_t sizes[] = {1, 3, TEST_BATCH_MAX};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        cr_assert_eq(same_as_libpcap_batched(big, sizes[i], TEST_BIG_RECORDS + 1), sizes[i],
                     "batches of %zu", sizes[i]);

    len = build_big(buf, 1000); /* records above the snaplen: libpcap reads on from the first */
    const char *snap = write_tmp("above-snaplen-batch.pcap", buf, len);
    cr_assert_geq(same_as_libpcap_batched(snap, TEST_BATCH_MAX, TEST_BIG_RECORDS + 1), 2u);

    len = build_big(buf, 65535); /* a bad microsecond field in record 10, the last cut short */
    size_t off = 24;
    for (int i = 0; i < 10; i++)
        off += 16 + (buf[off + 8] | buf[off + 9] << 8 | (size_t)buf[off + 10] << 16);
    put_le32(buf + off + 4, 1000000u);
    const char *odd = write_tmp("odd-usec-batch.pcap", buf, len - 5);
    cr_assert_eq(same_as_libpcap_batched(odd, TEST_BATCH_MAX, TEST_BIG_RECORDS), 10u,
                 "the first batch ends before the odd record; libpcap reads from there");

    cr_assert_eq(
        same_as_libpcap_batched(sample("format-pcapng.pcapng"), TEST_BATCH_MAX, TEST_FULL_PACKETS),
        1u, "pcapng goes through libpcap, a frame at a time");
    cr_assert_eq(same_as_libpcap_batched(sample("truncated-mid-packet.pcap"), TEST_BATCH_MAX,
                                         TEST_TRUNC_PACKETS),
                 TEST_BATCH_MAX);
}

/*
 * A file larger than the reader's buffer is read in place through a window
 * of it mapped into memory. Another program truncating it meanwhile takes
 * the window's pages away; touching them would raise SIGBUS and end the
 * process. Instead the lost bytes read as zeros and the read ends with an
 * error that says what happened, after the frames read before.
 */
Test(capture, file_truncated_while_read_ends_with_an_error, .timeout = 30)
{
    static uint8_t buf[TEST_BIG_BYTES];
    size_t len = build_big(buf, 65535);
    const char *path = write_tmp("shrinking.pcap", buf, len);
    struct capture *c = open_file(path, NULL);
    struct frame f;
    char err[TEST_ERR_MAX] = "";
    for (int i = 0; i < 3; i++)
        cr_assert_eq(capture_next(c, &f, err, sizeof err), CAPTURE_FRAME, "%s", err);
    cr_assert_eq(truncate(path, 4096), 0, "%s", strerror(errno)); /* keeps the first page */
    unsigned frames = 3, sum = 0;
    enum capture_result r;
    while ((r = capture_next(c, &f, err, sizeof err)) == CAPTURE_FRAME) {
        for (uint32_t k = 0; k < f.caplen; k++)
            sum += f.data[k]; /* every byte handed over can be read */
        cr_assert_lt(++frames, (unsigned)TEST_MAX_FRAMES);
    }
    cr_assert_eq(r, CAPTURE_ERROR, "%d after %u frames", r, frames);
    char want[TEST_ERR_MAX];
    snprintf(want, sizeof want,
             "cannot read '%s': the file shrank while it was read (truncated by another "
             "program?); the frames before are read",
             path);
    cr_assert_str_eq(err, want);
    cr_assert_lt(frames, 12u, "%u frames: records past the first page are gone (sum %u)", frames,
                 sum);
    cr_assert_eq(capture_next(c, &f, err, sizeof err), CAPTURE_ERROR, "the end is sticky");
    capture_close(c);

    /* A SIGBUS that is not the reader's still ends the process, as it did before. */
    const char *big = write_tmp("big-again.pcap", buf, len);
    const char *other = write_tmp("other-mapping.bin", buf, 8192);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        struct capture *held = open_file(big, NULL); /* its window is mapped, the handler set */
        int fd = open(other, O_RDONLY);
        volatile const uint8_t *m = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, fd, 0);
        if (fd < 0 || m == MAP_FAILED || truncate(other, 0) != 0)
            _exit(3);
        int quiet =
            open("/dev/null", O_WRONLY); /* AddressSanitizer reports the fault, then exits */
        if (quiet >= 0)
            dup2(quiet, STDERR_FILENO);
        sum += m[4096]; /* past the end of the file now: SIGBUS */
        capture_close(held);
        _exit(0);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(!(WIFEXITED(status) && WEXITSTATUS(status) == 0),
              "the access past the other file's end went on");
    cr_assert(!(WIFEXITED(status) && WEXITSTATUS(status) == 3), "setting up the other mapping");
    if (WIFSIGNALED(status))
        cr_assert_eq(WTERMSIG(status), SIGBUS);
}

/*
 * A window that cannot be mapped (no address space left, here) hands the
 * rest of the file to libpcap from the first record not read: every record
 * still arrives, in order. In a child, whose address space is capped right
 * after the first window is mapped. AddressSanitizer reserves terabytes of
 * address space, so it cannot run under such a cap.
 */
Test(capture, window_that_cannot_be_mapped_hands_over_to_libpcap, .timeout = 30)
{
#ifdef __SANITIZE_ADDRESS__
    cr_skip_test("needs a cap on the address space, which AddressSanitizer cannot run under");
#else
    static uint8_t buf[TEST_BIG_BYTES];
    size_t len = build_big(buf, 65535);
    const char *path = write_tmp("no-address-space.pcap", buf, len);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        struct capture *c = open_file(path, NULL);
        long pages = 0;
        FILE *fp = fopen("/proc/self/statm", "r");
        if (!fp || fscanf(fp, "%ld", &pages) != 1)
            _exit(3);
        fclose(fp);
        /* what is mapped now, less a page: the next window cannot fit */
        struct rlimit cap = {.rlim_cur = (rlim_t)(pages - 1) * (rlim_t)sysconf(_SC_PAGESIZE),
                             .rlim_max = RLIM_INFINITY};
        if (setrlimit(RLIMIT_AS, &cap) != 0)
            _exit(4);
        struct frame f;
        char err[TEST_ERR_MAX] = "";
        unsigned frames = 0;
        enum capture_result r;
        uint64_t last_ts = 0;
        while ((r = capture_next(c, &f, err, sizeof err)) == CAPTURE_FRAME) {
            if (f.ts_ns < last_ts)
                _exit(5); /* build_big's records come in time order */
            last_ts = f.ts_ns;
            frames++;
        }
        _exit(r == CAPTURE_EOF && frames == TEST_BIG_RECORDS + 1 ? 0 : 6);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status), "the child died (signal %d)", WTERMSIG(status));
    cr_assert_eq(WEXITSTATUS(status), 0, "child status %d", WEXITSTATUS(status));
#endif
}

/*
 * A small file gets a small buffer. If it grows after the open (a capture
 * still being written), the records past the buffer are read by libpcap:
 * every record still arrives, in order, with its bytes. A file larger than
 * the buffer is read through a mapped window, and the windows go on into
 * what was added.
 */
Test(capture, own_reader_file_growing_after_open)
{
    static uint8_t buf[TEST_BIG_BYTES];
    size_t len = build_big(buf, 65535);
    static const int records[] = {5, 2000};
    for (size_t r = 0; r < sizeof records / sizeof records[0]; r++) {
        size_t head = 24;
        for (int i = 0; i < records[r]; i++)
            head += 16 + (buf[head + 8] | buf[head + 9] << 8 | (size_t)buf[head + 10] << 16);
        cr_assert(r == 0 || head > (1u << 20), "%zu bytes: more than one window", head);
        const char *path = write_tmp(r ? "growing-big.pcap" : "growing.pcap", buf, head);
        struct capture *c = open_file(path, NULL);
        FILE *fp = fopen(path, "ab");
        cr_assert_not_null(fp);
        cr_assert_eq(fwrite(buf + head, 1, len - head, fp), len - head);
        fclose(fp);
        struct capture *lib = open_file(path, "len >= 0");
        unsigned frames = lockstep(c, lib, path);
        cr_assert_eq(frames, TEST_BIG_RECORDS + 1);
        capture_close(c);
        capture_close(lib);
    }
}
