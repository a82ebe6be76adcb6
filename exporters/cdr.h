/* cdr.h: call -> one-line JSON call-detail record (DESIGN.md "Records"; RFC 8259, RFC 3339). */
#ifndef SIPSCOPE_EXPORTERS_CDR_H
#define SIPSCOPE_EXPORTERS_CDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../decoders/call.h"
#include "json.h"

#define CDR_SCHEMA_VERSION 1
#define CDR_SCHEMA_VERSION_STR "1" /* the same, as the Kafka header carries it */
/*
 * A buffer this large always holds a CDR without streams or faults, even
 * with every string field full of bytes that escape to \u00XX (about 10 KB in
 * the worst case). Callers that add streams add their own room.
 */
#define CDR_LINE_MAX 16384

/*
 * Writes the elements of the "streams" or "faults" array of call c: the
 * writer is positioned inside the array ("[" already written); write zero or
 * more values (json_obj_begin ... json_obj_end) and return.
 */
typedef void (*cdr_array_fn)(void *ctx, struct json *j, const struct call *c);

/*
 * What the CDR carries that the call record does not. Every member is
 * optional (zero/NULL); a NULL struct cdr_extra means all absent.
 * For streams and faults, the callback wins over the pre-rendered fragment;
 * with neither the array is empty ([]).
 */
struct cdr_extra {
    const char *sensor_id; /* "sensor": {"id", "host", "interface"}: null when NULL or "" */
    const char *sensor_host;
    const char *sensor_interface;
    bool has_sequence; /* "sequence": the value below, else null */
    uint64_t sequence; /* per-sensor counter for de-duplication */

    cdr_array_fn streams;      /* fills "streams": [...] */
    cdr_array_fn media_fields; /* writes more "key": value pairs after "media" (call MOS, DTMF) */
    cdr_array_fn faults;       /* fills "faults": [...] of {"code", "detail"} */
    void *ctx;                 /* passed to both callbacks */
    const char *streams_json;  /* or: a complete rendered array "[{...},...]" */
    size_t streams_json_len;
    const char *faults_json;
    size_t faults_json_len;
};

/*
 * Write the CDR object of call c as one JSON value at the writer's position
 * (so the same object can be embedded, e.g. by `calls --json`). Field order:
 *
 *   schema_version, call_id, from, to, from_user, to_user, from_tag, to_tag,
 *   request_uri, src, dst, transport, start_ts, trying_ts, ringing_ts,
 *   answer_ts, end_ts, setup_ms, trying_ms, answer_ms, duration_s, state,
 *   final_code, end_reason, hangup_by, reason_header, pai,
 *   user_agent {caller, callee}, sip_messages, retransmissions,
 *   auth_challenges, forks, reinvites, codecs {offered, answered},
 *   media {caller, callee}, streams, faults, sensor {id, host, interface},
 *   sequence
 *
 * Empty strings, zero timestamps, final_code 0 and unmeasured intervals are
 * null, never "" or 0. Intervals: setup_ms = INVITE -> first 18x,
 * trying_ms = INVITE -> first 100, answer_ms = INVITE -> 2xx (milliseconds,
 * 3 decimals); duration_s = answer -> end, or -> last SIP message when the
 * call never ended (seconds, 3 decimals), null when not answered. An interval
 * whose end precedes its start is null. codecs.offered / codecs.answered are
 * null when no offer / answer was seen; media.caller / media.callee are the
 * offer's and the answer's audio address ("ip:port", IPv6 as "[addr]:port").
 */
void cdr_write(struct json *j, const struct call *c, const struct cdr_extra *x);

/*
 * The CDR as one NUL-terminated line in buf (no trailing newline). Returns its
 * length, or 0 when it did not fit in cap (buf then holds a truncated prefix,
 * still NUL-terminated, never written past cap).
 */
size_t cdr_format(char *buf, size_t cap, const struct call *c, const struct cdr_extra *x);

#endif
