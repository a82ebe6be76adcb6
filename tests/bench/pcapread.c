/* pcapread.c: the bare libpcap read loop (pcap-savefile(5)), the floor `make bench` compares
 * sipscope against. */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Usage: pcapread [-b BYTES] FILE
 *
 * Reads every record with pcap_next_ex and touches its last byte, as a
 * decoder would, and nothing else. Without -b the file is opened the way a
 * plain libpcap program does (pcap_open_offline: stdio's default buffer, one
 * read(2) per 4 KiB). With -b it is opened the way sipscope opens a file
 * (sensor/capture.c: fopen, setvbuf of BYTES at a 64-byte aligned address,
 * pcap_fopen_offline), so the two programs pay the same for their reads and
 * the difference between them is the analysis alone. The alignment matters:
 * the kernel fills a buffer 16 bytes off a 32-byte boundary several times
 * slower on AMD Zen (see CAPTURE_IOBUF_ALIGN in sensor/capture.c).
 */
#define PCAPREAD_MAX_BUF (64u << 20) /* largest -b accepted */
#define PCAPREAD_BUF_ALIGN 64        /* as sensor/capture.c aligns its buffer */

int main(int argc, char **argv)
{
    char err[PCAP_ERRBUF_SIZE];
    size_t bufsize = 0;
    int argi = 1;
    if (argc == 4 && strcmp(argv[1], "-b") == 0) {
        char *end;
        unsigned long v = strtoul(argv[2], &end, 10);
        if (*end || v == 0 || v > PCAPREAD_MAX_BUF) {
            fprintf(stderr, "pcapread: bad buffer size '%s'\n", argv[2]);
            return 2;
        }
        bufsize = v;
        argi = 3;
    } else if (argc != 2) {
        fprintf(stderr, "usage: pcapread [-b BYTES] FILE\n");
        return 2;
    }
    pcap_t *p;
    char *buf = NULL;
    if (bufsize) {
        FILE *fp = fopen(argv[argi], "rb");
        buf = aligned_alloc(PCAPREAD_BUF_ALIGN,
                            (bufsize + PCAPREAD_BUF_ALIGN - 1) & ~(size_t)(PCAPREAD_BUF_ALIGN - 1));
        if (!fp || !buf) {
            fprintf(stderr, "pcapread: cannot read '%s'\n", argv[argi]);
            return 2;
        }
        setvbuf(fp, buf, _IOFBF, bufsize);
        p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, err);
    } else {
        p = pcap_open_offline_with_tstamp_precision(argv[argi], PCAP_TSTAMP_PRECISION_NANO, err);
    }
    if (!p) {
        fprintf(stderr, "pcapread: %s\n", err);
        return 2;
    }
    struct pcap_pkthdr *h;
    const unsigned char *d;
    uint64_t n = 0, bytes = 0, sum = 0;
    while (pcap_next_ex(p, &h, &d) == 1) {
        n++;
        bytes += h->caplen;
        sum += d[h->caplen ? h->caplen - 1 : 0]; /* touch the data as a decoder would */
    }
    printf("%llu packets %llu bytes (%llu)\n", (unsigned long long)n, (unsigned long long)bytes,
           (unsigned long long)(sum & 1));
    pcap_close(p); /* fcloses the stream */
    free(buf);
    return 0;
}
