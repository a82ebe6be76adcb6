/* worker.h: the analysis side of the pipeline: decode a frame, find SIP in UDP/TCP, correlate. */
#ifndef SIPSCOPE_SENSOR_WORKER_H
#define SIPSCOPE_SENSOR_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include "../decoders/correlate.h"
#include "../decoders/stats.h"
#include "decode.h"
#include "dpi.h"
#include "frame.h"
#include "tcpreasm.h"

#define WORKER_MAX_SIP_PORTS 32
#define WORKER_MAX_SIP_PER_DATAGRAM 64 /* messages framed out of one UDP datagram at most */

struct worker_config {
    struct decode_config decode;
    struct tcpreasm_config tcp;
    struct correlate_config correlate;
    struct dpi_config dpi;
    uint16_t sip_ports[WORKER_MAX_SIP_PORTS];
    uint32_t sip_port_count;
};

struct worker;

/* Set every table size and timeout to its default, SIP port 5060. */
void worker_config_default(struct worker_config *cfg);

/*
 * Create the worker and its tables (all memory is taken here). Ended calls and
 * registrations go to the callbacks; counters go to *st (owned by the caller,
 * touched only by the worker thread).
 */
struct worker *worker_create(const struct worker_config *cfg, struct stats *st,
                             correlate_call_fn on_call, correlate_reg_fn on_reg,
                             media_stream_fn on_stream, void *ctx);
void worker_destroy(struct worker *w);

/* Analyse one frame. Views into it end when this returns. */
void worker_frame(struct worker *w, const struct frame *f);

/*
 * Frames taken several at a time (a file's reader hands over a batch): each
 * frame is first looked at ahead of its turn, with worker_hint, which decodes
 * it when it is of the common UDP form (no state touched) and starts loading
 * the hash bucket of its RTP stream; a few frames before its turn,
 * worker_prefetch starts loading the stream record the bucket leads to; at
 * its turn, worker_frame_ahead analyses it exactly as worker_frame would,
 * without decoding it again. Frames are analysed in order, each once.
 */
struct worker_ahead {
    struct pkt_info p; /* the frame decoded, when decoded is true */
    uint64_t key;      /* media_stream_key of its RTP stream; 0: none (not RTP, or not decoded) */
    bool decoded;
};
void worker_hint(const struct worker *w, const struct frame *f, struct worker_ahead *a);
void worker_prefetch(const struct worker *w, const struct worker_ahead *a);
void worker_frame_ahead(struct worker *w, const struct frame *f, const struct worker_ahead *a);

/* End of input: flush every open call and registration to the callbacks. */
void worker_finish(struct worker *w);

/* The capture's drop counters so far (kernel, ring), so calls can tell capture loss apart. */
void worker_set_drops(struct worker *w, uint64_t kernel, uint64_t ring);

/* Newest packet time seen (the worker's clock), 0 before the first packet. */
uint64_t worker_clock(const struct worker *w);

/* The correlator (calls, messages, media) the worker feeds, for the dashboard's tick. */
struct correlate *worker_correlate(struct worker *w);

#endif
