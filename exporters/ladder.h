/* ladder.h: ladder (sequence) diagram of one call, laid out as columns and arrows, then drawn as
 * text or SVG (RFC 3261 flows). */
#ifndef SIPSCOPE_EXPORTERS_LADDER_H
#define SIPSCOPE_EXPORTERS_LADDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../decoders/addr.h"
#include "../decoders/call.h"

/*
 * Two steps, as sngrep does it: ladder_layout() computes the columns (one
 * per ip:port endpoint, in order of first appearance, the caller first) and
 * the arrows (one per message, in arrival order) with their geometry; the
 * renderers only draw that layout. The layout copies what it needs, so it
 * stays valid after the call and its messages are gone (a UI can keep it).
 *
 * Text output (width 80, relative times), the basic call of
 * captures/a_basic_call.pcap:
 *
 *   Call-ID: 3c26b1f2e9a0-22066-1@127.0.1.1
 *   From:    sip:alice@127.0.1.1 -> sip:bob@127.0.1.2
 *   State:   completed (200), 7 SIP messages
 *   Start:   2024-03-01 12:10:00.000 UTC, setup 1.681 ms, duration 7.504 s
 *
 *           127.0.1.1:5060                              127.0.1.2:5060
 *                 |                                           |
 *     0.000       |---------------INVITE (SDP)--------------->|
 *                 |       PCMA 127.0.1.1:16384 sendrecv       |
 *     0.000       |<---------------100 Trying-----------------|
 *     0.001       |<---------------180 Ringing----------------|
 *     1.507       |<--------------200 OK (SDP)----------------|
 *                 |       PCMA 127.0.1.2:20000 sendrecv       |
 *     1.507       |--------------------ACK------------------->|
 *     9.012       |--------------------BYE------------------->|
 *     9.012       |<-----------------200 OK-------------------|
 *
 * (the exact bytes are checked in tests/test_ladder.c, with a call through
 * a proxy (also at the top of ladder.c), retransmissions, IPv6 endpoints and
 * labels too long for their span).
 *
 * Reading it: time at the left (seconds since the first message, or UTC
 * time of day), one '|' per endpoint, an arrow from sender to receiver with
 * the label centred in it. A retransmission is drawn with '=' and marked
 * "(retrans)" (or "(R)" when short of room). A message with SDP is marked
 * "(SDP)" and followed by a line naming its first audio codec, media address
 * and direction. Labels that do not fit lose "(SDP)", then shorten
 * "(retrans)", then are cut with '~'. A label that fills its whole
 * call_msg field was cut when it was recorded and ends in '~' too; an INVITE
 * flagged CALL_MSG_REINVITE reads "re-INVITE". All text is printable ASCII
 * ('?' stands for any other byte of wire data).
 *
 * Width: the diagram fits opts.width (default 80) whenever the endpoints
 * allow it: up to 3 IPv4 or short IPv6 endpoints always do. When the
 * addresses are too long to head their columns, the columns are headed
 * A, B, C... with a legend above. With more endpoints than fit even then,
 * lines grow wider than opts.width (LADDER_SPACING_MIN apart).
 */

#define LADDER_MAX_COLS 12  /* endpoints drawn; messages touching more are counted, not drawn */
#define LADDER_MAX_ROWS 512 /* messages drawn (CORRELATE_DEFAULT_MSGS_PER_CALL is 256) */
#define LADDER_DEFAULT_WIDTH 80
#define LADDER_MIN_WIDTH 40
#define LADDER_MAX_WIDTH 512  /* requested widths are clamped to [MIN, MAX] */
#define LADDER_LINE_MAX 1024  /* longest line + NUL, whatever the layout */
#define LADDER_SPACING_MIN 16 /* columns never closer: 15 characters for a label */
#define LADDER_SPACING_MAX 44 /* nor further apart, however wide the screen */
#define LADDER_TIME_MIN 7     /* time column "  0.000" */

enum ladder_time {
    LADDER_TIME_RELATIVE = 0, /* "  1.507": seconds since the first message */
    LADDER_TIME_ABSOLUTE,     /* "12:10:01.507": UTC time of day (the date is in the title) */
};

/* An RTP stream drawn under the SIP arrows, at its first packet: "~~RTP PCMA 236p 7.05s
 * MOS 4.41~>". */
struct ladder_stream {
    struct endpoint src;
    struct endpoint dst;
    uint8_t party; /* enum call_party that sends it: its column when no IP matches */
    uint64_t first_ns;
    uint64_t last_ns;
    uint32_t packets;
    int32_t lost;
    double mos; /* < 0: no score */
    char codec[CALL_CODEC_MAX];
};

#define LADDER_ROW_STREAM 0x80 /* ladder_arrow.flags: the row is a stream, not a message */
#define LADDER_ROW_FAULT 0x40  /* ladder_arrow.flags: the row marks a fault across the call */

/* A fault marked at its time: "!!!!! one_way_audio !!!!!" across every column. */
struct ladder_mark {
    uint64_t ts_ns;
    const char *code;
};

struct ladder_opts {
    uint16_t width; /* 0: LADDER_DEFAULT_WIDTH */
    enum ladder_time time;
    const struct ladder_stream *streams; /* may be NULL */
    size_t stream_count;
    const struct ladder_mark *marks; /* may be NULL */
    size_t mark_count;
    uint32_t omitted; /* messages the caller held back (e.g. beyond LADDER_MAX_ROWS):
                         counted with not_drawn in the footer */
};

struct ladder_col {
    struct endpoint ep;
    char name[ADDR_STR_MAX]; /* "127.0.1.1:5060", "[2001:db8::1]:5060" */
    uint16_t x;              /* character column of its bar */
};

struct ladder_arrow {
    uint64_t ts_ns;
    uint8_t from, to; /* column indices (equal for a message to itself) */
    uint8_t flags;    /* enum call_msg_flag */
    uint8_t sdp_dir;  /* enum sdp_dir */
    uint16_t status;  /* 0 for requests */
    char label[CALL_MSG_LABEL_MAX];
    char sdp_codec[CALL_CODEC_MAX];
    struct endpoint sdp_media;
    uint32_t line; /* first text line of this arrow */
};

/* About 44 KB: keep one in a sink's or panel's state, not on a small stack. */
struct ladder {
    struct call call; /* the title: a copy of the call record */
    enum ladder_time time;
    uint16_t width; /* requested width after clamping */
    uint64_t t0_ns; /* first message: time zero of relative times */

    struct ladder_col cols[LADDER_MAX_COLS];
    uint8_t col_count;
    bool legend;         /* columns headed by letters, addresses in a legend */
    uint16_t spacing;    /* characters from one bar to the next */
    uint16_t time_width; /* characters of the time column */
    uint16_t line_width; /* widest diagram line (title lines are cut to width) */

    struct ladder_arrow rows[LADDER_MAX_ROWS];
    uint32_t row_count;
    uint32_t not_drawn; /* messages beyond LADDER_MAX_ROWS or LADDER_MAX_COLS */

    /* text lines: title, legend, header, arrows, footer */
    uint32_t title_lines, legend_lines, first_row_line, footer_lines, line_count;
};

/*
 * Lay out call c with its messages msgs[0..n) in arrival order (the lead's
 * walk of correlate_first_msg/correlate_next_msg). NULL entries are skipped.
 * opts may be NULL (defaults).
 */
void ladder_layout(struct ladder *l, const struct call *c, const struct call_msg *const *msgs,
                   size_t n, const struct ladder_opts *opts);

/* Number of text lines of the drawing. */
size_t ladder_line_count(const struct ladder *l);

/*
 * Text line i (0-based, no '\n') into buf, NUL-terminated and cut to cap
 * (LADDER_LINE_MAX never cuts). Returns false when i is past the last line.
 * Lines carry no trailing spaces.
 */
bool ladder_line(const struct ladder *l, size_t i, char *buf, size_t cap);

/* Every line followed by '\n'. Returns 0, or -1 when writing failed. */
int ladder_print(FILE *f, const struct ladder *l);

/*
 * The same layout as a standalone SVG image (one <svg> element; SIP text is
 * XML-escaped): endpoints as vertical lines, arrows with centred labels,
 * retransmissions dashed, SDP under the arrow. Returns 0 or -1.
 */
int ladder_print_svg(FILE *f, const struct ladder *l);

#endif
