/* output.h: the sinks behind the commands: calls table, CDR lines, ladders, registrations. */
#ifndef SIPSCOPE_EXPORTERS_OUTPUT_H
#define SIPSCOPE_EXPORTERS_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../decoders/faults.h"
#include "sink.h"

enum output_kind {
    OUTPUT_CALLS = 0,     /* text table, or CDR JSON lines with json */
    OUTPUT_CDR,           /* CDR JSON lines */
    OUTPUT_LADDER,        /* ladder text per call */
    OUTPUT_REGISTRATIONS, /* registrations table, or JSON lines with json */
    OUTPUT_STREAMS,       /* RTP streams table, or stream objects with json */
    OUTPUT_DIAGNOSE,      /* per-call fault report, or CDR objects (with faults) with json */
};

/*
 * Where CDR lines go instead of the FILE (the Kafka exporter): each line with
 * its key (the Call-ID) and its sequence number, which next_sequence hands out
 * (NULL: the sink counts from 1). Both run on the worker thread.
 */
struct output_emit {
    void (*cdr)(void *ctx, uint64_t seq, const char *key, size_t key_len, const char *line,
                size_t len);
    uint64_t (*next_sequence)(void *ctx);
    void *ctx;
};

struct output_options {
    enum output_kind kind;
    bool json;
    FILE *out;           /* where to write; not closed by the sink */
    const char *call_id; /* ladder: only this call (NULL: every call) */
    unsigned width;      /* ladder width */
    struct fault_thresholds thresholds;
    const struct output_emit *emit; /* CDR lines go here instead of out (NULL: out) */
    const char *sensor_id;          /* the CDR's "sensor": null unless sensor_id is set */
    const char *sensor_host;
    const char *sensor_interface;
};

/*
 * Fill *s with a sink writing what o asks for. The sink's state is allocated
 * here; s->destroy frees it. false when out of memory.
 */
bool output_create(const struct output_options *o, struct sink *s);

#endif
