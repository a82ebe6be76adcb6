/* tcpreasm.h: per-direction in-order TCP byte streams in bounded buffers, handed to SIP framing (RFC 9293 §3.4). */
#ifndef SIPSCOPE_SENSOR_TCPREASM_H
#define SIPSCOPE_SENSOR_TCPREASM_H

#include <stddef.h>
#include <stdint.h>

#include "../decoders/stats.h"
#include "decode.h"

#define TCPREASM_DEFAULT_STREAMS 4096
#define TCPREASM_DEFAULT_BUFFER (128u * 1024)   /* per-stream cap: a SIP message larger fails */
#define TCPREASM_DEFAULT_IDLE_S 300

/*
 * The consumer of a stream: gets the contiguous bytes available in order for
 * one direction (pkt names the endpoints and the time of the segment that
 * completed them) and returns how many it consumed from the front; the rest
 * stays buffered until more arrives. Returning 0 with a full buffer makes the
 * stream skip (counted as overflow).
 */
typedef size_t (*tcpreasm_deliver_fn)(void *ctx, const struct pkt_info *pkt, const uint8_t *data,
                                      size_t len);

struct tcpreasm_config {
    uint32_t max_streams;
    size_t buffer_bytes;
    uint32_t idle_timeout_s;
};

struct tcpreasm;

struct tcpreasm *tcpreasm_create(const struct tcpreasm_config *cfg, struct stats *st);
void tcpreasm_destroy(struct tcpreasm *r);

/*
 * Feed one TCP segment (pkt->l4 == PKT_L4_TCP). In-order data is delivered at
 * once, from the packet itself when nothing is buffered (zero copy); out-of-
 * order data waits (bounded) until the gap fills; retransmitted bytes are
 * dropped; SYN sets the initial sequence, FIN/RST end the direction.
 */
void tcpreasm_segment(struct tcpreasm *r, const struct pkt_info *pkt, tcpreasm_deliver_fn fn,
                      void *ctx);

/* Drop streams idle for longer than the timeout at packet time now_ns (counted). */
void tcpreasm_expire(struct tcpreasm *r, uint64_t now_ns);

/* Streams currently followed. */
uint32_t tcpreasm_active(const struct tcpreasm *r);

#endif
