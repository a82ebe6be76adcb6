/* worker.h: the analysis side of the pipeline: decode a frame, find SIP in UDP/TCP, correlate. */
#ifndef SIPSCOPE_SENSOR_WORKER_H
#define SIPSCOPE_SENSOR_WORKER_H

#include <stdbool.h>
#include <stddef.h>
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
 * Analyse n frames in order, exactly as worker_frame would one after the
 * other, for frames that are all valid until this returns (a file reader's
 * batch; at most WORKER_BATCH_MAX are looked at together, more go in turn).
 * Each frame is looked at ahead of its turn: one of the form nearly every
 * RTP packet has is decoded once (decode_peek_udp), and the hash bucket of
 * its stream, then a few frames before its turn the stream record, start
 * loading. With a few thousand calls up their streams no longer fit the
 * core's cache, and each packet would otherwise wait for memory twice. A
 * datagram on a SIP port has its first message parsed ahead the same way (the
 * parse is a function of the bytes alone), and its call's bucket, record and
 * strings start loading a few frames before correlate_sip reads them.
 */
#define WORKER_BATCH_MAX 16
void worker_frames(struct worker *w, const struct frame *f, size_t n);

/* End of input: flush every open call and registration to the callbacks. */
void worker_finish(struct worker *w);

/* The capture's drop counters so far (kernel, ring), so calls can tell capture loss apart. */
void worker_set_drops(struct worker *w, uint64_t kernel, uint64_t ring);

/* Newest packet time seen (the worker's clock), 0 before the first packet. */
uint64_t worker_clock(const struct worker *w);

/* The correlator (calls, messages, media) the worker feeds, for the dashboard's tick. */
struct correlate *worker_correlate(struct worker *w);

#endif
