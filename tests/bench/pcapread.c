/* pcapread.c: the bare libpcap read loop, the floor that `make bench` compares sipscope against. */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    char err[PCAP_ERRBUF_SIZE];
    if (argc != 2) {
        fprintf(stderr, "usage: pcapread FILE\n");
        return 2;
    }
    pcap_t *p = pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_NANO, err);
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
    pcap_close(p);
    return 0;
}
