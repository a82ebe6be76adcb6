/* history.h: bounded ring of recent frames, and a call's SIP, RTP and RTCP saved from it as a pcap
 * (pcap-savefile(5), RFC 3261, RFC 3550 §11). */
#ifndef SIPSCOPE_SENSOR_HISTORY_H
#define SIPSCOPE_SENSOR_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "../decoders/addr.h"
#include "../decoders/call.h"
#include "frame.h"

/*
 * The dashboard's "save this call": the worker thread copies every frame it
 * analyses into one byte ring allocated at start-up (history_add), the oldest
 * frames making room for the newest (counted), and on request writes the
 * frames of some calls to a pcap file (history_save). Every function runs on
 * the one thread that owns the history (the worker): no locks.
 */

#define HISTORY_MIN_BYTES 4096u          /* smaller rings are taken as this */
#define HISTORY_BEFORE_NS 1000000000ull  /* frames kept from this long before from_ns... */
#define HISTORY_AFTER_NS 5000000000ull   /* ...to this long after to_ns */
#define HISTORY_MAX_TCP_FLOWS 256u       /* TCP connections one save follows at most */
#define HISTORY_MAX_SIP_PER_DATAGRAM 64u /* SIP messages looked at in one UDP datagram */
#define HISTORY_MATCH_MAX 64u            /* Call-IDs and endpoint pairs one save takes */
#define HISTORY_SNAPLEN 262144           /* snaplen written in the pcap header */

struct history;

/*
 * A ring of `bytes` (at least HISTORY_MIN_BYTES, rounded down to 8), taken
 * here once with the decoder history_save uses. NULL when out of memory.
 */
struct history *history_create(size_t bytes);
void history_destroy(struct history *h);

/*
 * Copy one frame in (its bytes, time, lengths and link type). The oldest
 * frames are overwritten to make room (history_evicted counts them); a frame
 * larger than the whole ring is not kept (history_too_big). h NULL: nothing.
 */
void history_add(struct history *h, const struct frame *f);

/* Frames held now; frames overwritten so far; frames too big to keep; the ring's size. */
uint32_t history_frames(const struct history *h);
uint64_t history_evicted(const struct history *h);
uint64_t history_too_big(const struct history *h);
size_t history_capacity(const struct history *h);

/*
 * What to save. call_ids[0..call_count): Call-IDs as struct call stores them
 * (NUL-terminated, cut at CALL_ID_MAX - 1 bytes). pair_src[i]/pair_dst[i]
 * (i < pair_count): the two endpoints of an RTP stream. At most
 * HISTORY_MATCH_MAX of each are looked at. Frames are taken from
 * from_ns - HISTORY_BEFORE_NS to to_ns + HISTORY_AFTER_NS of packet time
 * (from_ns 0: from the oldest frame held; to_ns 0: up to the newest).
 */
struct history_match {
    const char (*call_ids)[CALL_ID_MAX];
    uint32_t call_count;
    const struct endpoint *pair_src;
    const struct endpoint *pair_dst;
    uint32_t pair_count;
    uint64_t from_ns, to_ns;
};

/*
 * Write to `path` a nanosecond pcap, in the frames' link type, of every
 * frame held within the time window that is:
 *  - SIP over UDP whose Call-ID is one of call_ids (every message of a
 *    datagram is looked at; one that matches takes the datagram);
 *  - a segment of a TCP connection (either direction) that carried a line
 *    "Call-ID: x" or "i: x" with one of the Call-IDs anywhere in the window,
 *    so split and coalesced messages, handshakes and ACKs come along. This
 *    is approximate: a connection shared by several calls (a trunk) brings
 *    the other calls' messages too;
 *  - UDP between a pair's two endpoints in either direction (RTP, or RTCP
 *    multiplexed on the RTP ports, RFC 5761), or between the same addresses
 *    with both ports + 1 (RTCP, RFC 3550 §11).
 * Frames are decoded as the worker decodes them (Ethernet, VLAN tags, SLL,
 * tunnels, IPv4/IPv6). IP fragments are not matched, neither the pieces nor
 * the datagram rebuilt from them: a SIP message that travelled in fragments
 * is missing from the file. Frames of a link type other than that of the
 * first frame kept are left out (a pcap has one; counted in the message).
 *
 * Returns the number of frames written, with one line in msg:
 * "saved 532 packets (12 SIP, 520 RTP/RTCP) to x.pcap", or why none:
 * "no packets of this call are still in the history (it holds the last
 * 64 MiB)" (no file is written then); or -1 with the error:
 * "cannot write 'x.pcap': Permission denied". A file that failed part-way
 * is removed (regular files only). path "-" is a file named "-", never stdout.
 */
long history_save(struct history *h, const struct history_match *m, const char *path, char *msg,
                  size_t len);

#endif
