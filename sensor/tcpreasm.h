/* tcpreasm.h: per-direction in-order TCP byte streams in bounded buffers, handed to SIP framing
 * (RFC 9293 §3.4). */
#ifndef SIPSCOPE_SENSOR_TCPREASM_H
#define SIPSCOPE_SENSOR_TCPREASM_H

#include <stddef.h>
#include <stdint.h>

#include "../decoders/stats.h"
#include "decode.h"

#define TCPREASM_DEFAULT_STREAMS 4096
#define TCPREASM_DEFAULT_BUFFER (128u * 1024) /* per-stream cap: a SIP message larger fails */
#define TCPREASM_DEFAULT_IDLE_S 300

#define TCPREASM_MAX_RANGES 16          /* out-of-order byte ranges kept per stream */
#define TCPREASM_MAX_STREAMS (1u << 24) /* largest max_streams accepted */
/* largest buffer_bytes accepted (well below 2^31, the sequence window) */
#define TCPREASM_MAX_BUFFER (64u * 1024 * 1024)
#define TCPREASM_MAX_SEGMENT (1u << 30) /* a payload_len above this is not TCP: ignored */
#define TCPREASM_BUFFER_DIVISOR 8       /* default buffers = max_streams / 8 (at least 1) */

/*
 * The consumer of a stream: gets the contiguous bytes available in order for
 * one direction (pkt names the endpoints and the time of the segment that
 * completed them) and returns how many it consumed from the front; the rest
 * stays buffered until more arrives. Returning 0 with a full buffer makes the
 * stream skip (counted as overflow).
 *
 * While it consumes something and bytes remain, the consumer is called again
 * with the rest (so it may take one message per call); a return of 0 ends the
 * round, a return larger than len counts as len. When nothing was buffered,
 * data points into pkt->payload itself (zero copy); otherwise into the
 * stream's buffer. data is valid only during the call. The consumer must not
 * call back into the same struct tcpreasm.
 *
 * When a stream is flushed without a segment in hand (eviction, expiry,
 * tcpreasm_flush_all), pkt is a synthetic record: the stream's endpoints,
 * l4 = PKT_L4_TCP, ts_ns = the time of the last segment seen on the stream,
 * no payload.
 */
typedef size_t (*tcpreasm_deliver_fn)(void *ctx, const struct pkt_info *pkt, const uint8_t *data,
                                      size_t len);

/*
 * Zero in any field means its default. Memory, all taken by tcpreasm_create
 * (x86-64 sizes, pool bookkeeping included), is bounded by:
 *   max_streams * 84 bytes                       stream records
 *   + pow2(2 * max_streams) * 4 bytes            hash buckets
 *   + max_buffers * (buffer_bytes + 148 bytes)   buffers and their range lists
 * Defaults: 4096 streams and 512 buffers of 128 KiB: 64.4 MiB of address
 * space, of which only the pages of buffers actually used become resident.
 * A stream holds a buffer only while it has bytes pending (a partial message
 * or out-of-order data) and gives it back as soon as it drains.
 */
struct tcpreasm_config {
    uint32_t max_streams;    /* stream directions followed at once; 0: TCPREASM_DEFAULT_STREAMS */
    size_t buffer_bytes;     /* per-stream cap on pending bytes; 0: TCPREASM_DEFAULT_BUFFER */
    uint32_t idle_timeout_s; /* packet-time idle limit; 0: TCPREASM_DEFAULT_IDLE_S */
    uint32_t max_buffers;    /* buffers shared by all streams; 0: max_streams / 8, at least 1 */
};

struct tcpreasm;

/*
 * NULL cfg means every default. st receives the TCP_* counters (may be NULL:
 * then they are kept privately). NULL when out of memory, when a field is
 * above its cap, or when max_buffers > max_streams.
 */
struct tcpreasm *tcpreasm_create(const struct tcpreasm_config *cfg, struct stats *st);
void tcpreasm_destroy(struct tcpreasm *r);

/*
 * Feed one TCP segment (pkt->l4 == PKT_L4_TCP). In-order data is delivered at
 * once, from the packet itself when nothing is buffered (zero copy); out-of-
 * order data waits (bounded) until the gap fills; retransmitted bytes are
 * dropped; SYN sets the initial sequence, FIN/RST end the direction.
 *
 * Details: a stream is created by a SYN or by a segment carrying data. A
 * stream first seen mid-connection (no SYN captured) starts at that segment's
 * sequence number, but its first data is held until the next TCP segment (of
 * any stream) or its end: while nothing was consumed, an earlier segment that
 * arrives second re-bases the stream and the held data waits as out-of-order
 * (later than that: STAT_TCP_BEFORE_START). Only one stream holds at a time.
 * Pure ACKs only refresh an existing stream. A SYN with a new ISN on a known
 * stream restarts it (port reuse). Sequence arithmetic is modulo 2^32: data
 * more than 2^31 behind is old, more than buffer_bytes ahead makes the stream
 * skip the hole (STAT_TCP_GAPS). At FIN/RST the contiguous bytes are
 * delivered, remaining holes are skipped (counted) so that later data is
 * delivered too, and the direction is freed. When the table is full the least
 * recently used stream is flushed the same way and evicted (STAT_TCP_EVICTED).
 * After an in-order segment marked pkt->truncated (cut by the snaplen), the
 * missing bytes will never come: the next data ahead skips the hole at once.
 */
void tcpreasm_segment(struct tcpreasm *r, const struct pkt_info *pkt, tcpreasm_deliver_fn fn,
                      void *ctx);

/* Drop streams idle for longer than the timeout at packet time now_ns (counted). */
void tcpreasm_expire(struct tcpreasm *r, uint64_t now_ns);

/*
 * tcpreasm_expire that first hands each expiring stream's pending bytes to fn
 * (holes skipped and counted). With fn NULL it is tcpreasm_expire: pending
 * bytes are dropped (a hole left unfilled counts STAT_TCP_GAPS).
 * Cost: proportional to the streams expired (walks from the idle end of the
 * LRU list).
 */
void tcpreasm_expire_flush(struct tcpreasm *r, uint64_t now_ns, tcpreasm_deliver_fn fn, void *ctx);

/* End of input: flush every stream to fn (may be NULL) as at FIN, and free them all. */
void tcpreasm_flush_all(struct tcpreasm *r, tcpreasm_deliver_fn fn, void *ctx);

/* Streams currently followed. */
uint32_t tcpreasm_active(const struct tcpreasm *r);

/*
 * True when either direction of pkt's connection is followed already, so the
 * caller keeps feeding a SIP connection whose later segments do not start with
 * a start line (continuations, the peer's replies on an unusual port).
 */
bool tcpreasm_follows(const struct tcpreasm *r, const struct pkt_info *pkt);

/* Buffers currently held by streams with pending bytes. */
uint32_t tcpreasm_buffers_in_use(const struct tcpreasm *r);

/* Bytes held for the memory report (records, buckets, buffers). */
size_t tcpreasm_bytes(const struct tcpreasm *r);

#endif
