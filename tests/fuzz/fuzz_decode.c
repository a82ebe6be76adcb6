/* fuzz_decode.c: libFuzzer target for the L2-L4 decoder: each input as a frame of every link. */
#include <stddef.h>
#include <stdint.h>

#include "../../sensor/decode.h"

/*
 * Build: clang -std=c11 -D_DEFAULT_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
 *          tests/fuzz/fuzz_decode.c sensor/decode.c sensor/ipfrag.c decoders/status.c \
 *          decoders/addr.c decoders/pool.c decoders/stats.c -o fuzz_decode
 * The decoder lives across inputs (as in the worker), with a small fragment
 * table and a short timeout, so fragment sets fill, complete, clash and expire.
 * Packet time advances 100 ms an input.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int fuzz_links[] = {
    DECODE_LINK_NULL, DECODE_LINK_EN10MB,     DECODE_LINK_DLT_RAW,   DECODE_LINK_DLT_RAW_OBSD,
    DECODE_LINK_RAW,  DECODE_LINK_LOOP,       DECODE_LINK_LINUX_SLL, DECODE_LINK_IPV4,
    DECODE_LINK_IPV6, DECODE_LINK_LINUX_SLL2,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct stats st;
    static struct decode *d;
    static uint64_t ts = 1000000000ull;
    if (!d) {
        struct decode_config cfg = {4, 2};
        d = decode_create(&cfg, &st);
        if (!d)
            return 0;
    }
    for (size_t i = 0; i < sizeof fuzz_links / sizeof fuzz_links[0]; i++) {
        struct pkt_info pi;
        ts += 100000000ull;
        enum status s = decode_frame(d, fuzz_links[i], data, size, ts, &pi);
        if (s == STATUS_OK && pi.payload_len) {
            /* touch every payload byte so ASan checks the view's bounds */
            volatile uint8_t sink = 0;
            for (size_t k = 0; k < pi.payload_len; k++)
                sink ^= pi.payload[k];
            (void)sink;
        }
    }
    return 0;
}
