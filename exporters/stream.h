/* stream.h: an RTP stream as a JSON object and a table row (DESIGN.md "Records": Stream). */
#ifndef SIPSCOPE_EXPORTERS_STREAM_H
#define SIPSCOPE_EXPORTERS_STREAM_H

#include <stdio.h>

#include "../decoders/media.h"
#include "../decoders/mos.h"
#include "../decoders/rtpstream.h"
#include "json.h"
#include "ladder.h"

/* What a stream is worth: its figures and the E-model scores, computed once. */
struct stream_quality {
    struct rtpstream_figures f;
    struct mos_result mos;     /* whole stream; mos.valid false: no published codec values */
    struct mos_result mos_min; /* worst 10-second window; valid false when none closed */
};

/* Figures and MOS of s (loss from lost_unique, burst ratio, RTCP round trip when seen). */
void stream_quality(const struct media_stream *s, struct stream_quality *q);

/* s as a ladder span (ladder.h): its ends, sender, first and last packet, loss, MOS, codec. */
struct ladder_stream stream_ladder_span(const struct media_stream *s);

/* The stream object, as `streams --json` prints it and the CDR's "streams" array holds it. */
void stream_write(struct json *j, const struct media_stream *s);
/* The same, with its quality already computed by stream_quality(s, q). */
void stream_write_quality(struct json *j, const struct media_stream *s,
                          const struct stream_quality *q);

/* The streams table: header and one row per stream. Return 0, or -1 when writing failed. */
int stream_table_header(FILE *f);
int stream_table_row(FILE *f, const struct media_stream *s);

#endif
