/* capread.c: sipscope's own read loop (sensor/capture.c) with no analysis, shown beside the libpcap
 * floor by `make bench`. */
#include <stdint.h>
#include <stdio.h>

#include "../../sensor/capture.h"

/*
 * Usage: capread FILE
 *
 * Opens FILE with capture_open exactly as `sipscope cdr -r FILE` does and
 * takes every frame with capture_next, touching its last byte, and nothing
 * else. sipscope reads classic pcap records itself (a view into a 260 KiB
 * buffer) where libpcap freads each one twice, so this loop is cheaper than
 * pcapread's: sipscope's cost over it is the analysis alone.
 */
int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: capread FILE\n");
        return 2;
    }
    struct capture_config cfg = {.file = argv[1]};
    struct capture *c;
    char err[512] = "";
    if (capture_open(&cfg, &c, err, sizeof err) != STATUS_OK) {
        fprintf(stderr, "capread: %s\n", err);
        return 2;
    }
    uint64_t frames = 0, bytes = 0;
    unsigned sink = 0;
    struct frame f;
    enum capture_result r;
    while ((r = capture_next(c, &f, err, sizeof err)) == CAPTURE_FRAME) {
        frames++;
        bytes += f.caplen;
        if (f.caplen)
            sink += f.data[f.caplen - 1];
    }
    capture_close(c);
    printf("%llu packets %llu bytes (%u)\n", (unsigned long long)frames, (unsigned long long)bytes,
           sink & 1);
    if (r == CAPTURE_ERROR) {
        fprintf(stderr, "capread: %s\n", err);
        return 1;
    }
    return 0;
}
