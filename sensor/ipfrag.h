/* ipfrag.h: IPv4/IPv6 fragment reassembly (RFC 791 §3.2, RFC 815, RFC 8200 §4.5, RFC 5722). */
#ifndef SIPSCOPE_SENSOR_IPFRAG_H
#define SIPSCOPE_SENSOR_IPFRAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../decoders/addr.h"
#include "../decoders/stats.h"
#include "../decoders/status.h"

/*
 * A fixed table of fragment sets, each with its own 64 KiB buffer, all
 * allocated by ipfrag_create (no allocation per packet). A set is keyed by
 * (src, dst, id, proto); fragments may arrive in any order.
 *
 * Bounds and policies:
 *  - a datagram (the reassembled payload after the IP header, or after the
 *    IPv6 Fragment header) is at most IPFRAG_MAX_DATAGRAM bytes; a fragment
 *    reaching past that is bad;
 *  - a set older than the timeout (first fragment's packet time) is evicted;
 *    a full table evicts the oldest set; both count STAT_FRAG_EVICTED;
 *  - overlapping fragments (RFC 5722), non-final fragments whose length is not
 *    a multiple of 8, two different final lengths, or data past the final
 *    length are counted STAT_FRAG_BAD and the whole set is discarded. An exact
 *    repeat of bytes already held (a duplicated frame on a mirror port) is
 *    ignored;
 *  - a completed datagram stays in its buffer until ipfrag_release(), so
 *    views into it live as long as the frame that completed it.
 * Hole tracking is a bitmap of 8-byte blocks (RFC 815's holes, in 1 KiB).
 */
#define IPFRAG_MAX_DATAGRAM 65535u
#define IPFRAG_MAX_SETS 16384u       /* frag_max is clamped to this (1 GiB of buffers) */
#define IPFRAG_DEFAULT_SETS 256u     /* when frag_max is 0 */
#define IPFRAG_DEFAULT_TIMEOUT_S 30u /* when frag_timeout_s is 0 (Linux ipfrag_time) */
#define IPFRAG_MAX_PINNED 8u         /* completed datagrams held for one frame (nested tunnels) */

struct ipfrag_key {
    struct addr src;
    struct addr dst;
    uint32_t id;   /* IPv4 Identification (16 bits) or IPv6 Fragment header id */
    uint8_t proto; /* IPv4 Protocol, or the Fragment header's Next Header */
};

/* One fragment as the IP decoder sees it. */
struct ipfrag_frag {
    struct ipfrag_key key;
    uint32_t offset;     /* byte offset of data in the datagram (Fragment Offset * 8) */
    bool more;           /* MF / M flag */
    const uint8_t *data; /* fragment payload */
    size_t len;
    uint64_t ts_ns; /* packet time */
};

struct ipfrag;

/*
 * Create a table of max_sets sets (0: IPFRAG_DEFAULT_SETS; clamped to
 * IPFRAG_MAX_SETS) with timeout_s seconds of packet time (0: default).
 * Counters go to *st (owned by the caller). NULL when out of memory.
 */
struct ipfrag *ipfrag_create(uint32_t max_sets, uint32_t timeout_s, struct stats *st);
void ipfrag_destroy(struct ipfrag *f);

/*
 * Add one fragment (counts STAT_FRAG_IN).
 *  STATUS_OK: the datagram is complete (STAT_FRAG_REASSEMBLED); *out and *out_len
 *    view it until the next ipfrag_release();
 *  STATUS_NEED_MORE: stored (or an exact repeat ignored); more are needed;
 *  STATUS_MALFORMED: a bad fragment (STAT_FRAG_BAD); its set was discarded;
 *  STATUS_FULL: no set could be had (every set held for the current frame),
 *    the fragment was dropped (STAT_FRAG_EVICTED).
 * The fragment data is copied; it may point into another set's buffer.
 */
enum status ipfrag_add(struct ipfrag *f, const struct ipfrag_frag *frag, const uint8_t **out,
                       size_t *out_len);

/* Evict every set whose first fragment is more than the timeout older than now_ns. */
void ipfrag_expire(struct ipfrag *f, uint64_t now_ns);

/* Free the datagrams completed since the last call (call at the start of each frame). */
void ipfrag_release(struct ipfrag *f);

/* Sets in use (incomplete or held), and the table size. */
uint32_t ipfrag_in_use(const struct ipfrag *f);
uint32_t ipfrag_capacity(const struct ipfrag *f);

#endif
