/* sink.h: what every output implements: take ended calls and registrations, finish at the end. */
#ifndef SIPSCOPE_EXPORTERS_SINK_H
#define SIPSCOPE_EXPORTERS_SINK_H

#include "../decoders/call.h"
#include "../decoders/correlate.h"
#include "../decoders/stats.h"

/*
 * A sink is a vtable plus its state. call_end runs on the worker thread for
 * each finished call, in the order calls end (at end of input: oldest first);
 * it must not block for long. finish runs once after the last call.
 */
struct sink {
    void *ctx;
    void (*call_end)(void *ctx, const struct call *c, const struct correlate *co);
    void (*registration)(void *ctx, const struct registration *r);
    /* every RTP stream when it is finished (a call's right after the call); may be NULL */
    void (*stream_end)(void *ctx, const struct media_stream *s);
    /* Returns 0, or non-zero if output failed (e.g. disk full). */
    int (*finish)(void *ctx, const struct stats *st);
    void (*destroy)(void *ctx);
};

#endif
