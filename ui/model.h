/* model.h: the dashboard's snapshot of the call model: the worker writes it, the UI copies it
 * (house style rule 16, contact 3). */
#ifndef SIPSCOPE_UI_MODEL_H
#define SIPSCOPE_UI_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../decoders/call.h"
#include "../decoders/correlate.h"
#include "../decoders/faults.h"
#include "../decoders/media.h"
#include "../decoders/stats.h"

/*
 * One mutex guards everything here. The worker thread writes: each ended
 * call (ui_model_call_end, a sink callback) and, every tick, the rows of the
 * active calls, the totals, the per-second series of active streams and the
 * live detail of the call the UI selected (ui_model_tick). The UI thread
 * copies rows and one call's detail out under the lock and draws from its
 * copy, never while holding it. The worker never waits for the UI.
 *
 * Rows are kept for the last max_rows calls (the oldest ended row goes
 * first; an eviction is counted in the totals). The detail of an ended call
 * (its messages with their SIP text, streams, faults) is kept in a byte arena
 * of detail_bytes, oldest out first; a row whose detail is gone says so.
 */
struct ui_model;

#define UI_DEFAULT_ROWS 20000u
#define UI_DEFAULT_DETAIL_BYTES (64u << 20)
#define UI_DETAIL_MSGS 512 /* ladder entries in one detail (more are counted as omitted) */
#define UI_DETAIL_STREAMS 16
#define UI_DETAIL_TEXT_MAX (512u << 10) /* SIP text of one call's messages, all together */
/* The text fields of the records a detail copies (the call's, its streams' Call-IDs, its messages'
 * labels and SDP records), each with its NUL: they point into
 * the worker's string store, so a detail holds its own copies (see detail_own in model.c). */
#define UI_DETAIL_STRS_MAX                                                                         \
    ((CALL_STR_FIELDS + 2 * UI_DETAIL_STREAMS) * CALL_FIELD_MAX +                                  \
     UI_DETAIL_STREAMS * (sizeof(struct media_rtcp) + 8) + 2 * (CALL_MAX_CODECS * 8 + 8) +         \
     UI_DETAIL_MSGS *                                                                              \
         (CALL_MSG_LABEL_MAX + sizeof(struct call_msg_route) + 8 + CALL_CODEC_MAX + 8))
#define UI_SERIES_MAX 120       /* per-second samples kept per stream (the last two minutes) */
#define UI_SERIES_STREAMS 4096u /* active streams followed for series at once */

enum ui_dir { UI_DIR_FWD = 0, UI_DIR_REV = 1, UI_DIRS }; /* caller->callee, callee->caller */

/* One line of the call list. Figures not measured are negative (mos, loss). */
struct ui_row {
    uint64_t id; /* the call's seq: unique in this run, stable */
    char call_id[CALL_ID_MAX];
    char from[CALL_AOR_MAX];
    char to[CALL_AOR_MAX];
    uint8_t state; /* enum call_state */
    uint16_t final_code;
    bool ended;
    bool detail_kept; /* ended: its detail is still in the arena */
    uint64_t start_ns, answer_ns, end_ns, last_ns;
    char codec[CALL_CODEC_MAX]; /* answered codec, else first offered, else "" */
    float mos[UI_DIRS];
    float loss_pct[UI_DIRS];
    uint32_t faults; /* bit (1u << enum fault_code) for each fault found */
    uint16_t msgs;
    uint16_t streams;
};

/* The header line: totals that update every tick. Rates are per second of packet time. */
struct ui_totals {
    uint64_t now_ns; /* the packet clock */
    uint64_t calls;  /* calls seen */
    uint32_t active; /* calls up now */
    uint32_t rows;   /* rows held */
    uint64_t rows_evicted;
    double calls_per_s;
    double packets_per_s;
    uint64_t packets;
    uint64_t drops_kernel;
    uint64_t drops_ring;
    uint64_t evictions;    /* calls, streams, transactions, flows, fragments, TCP streams */
    uint64_t parse_errors; /* SIP and SDP that did not parse */
    uint64_t kafka_lost;   /* export: CDRs that could not be kept (0 without --kafka) */
    bool input_done;       /* the file was read to its end (a replay is over) */
};

/* Jitter and loss over time: one sample per second of packet time. */
struct ui_sample {
    uint32_t packets; /* received in that second */
    int32_t lost;     /* expected minus received in that second */
    float jitter_ms;  /* RFC 3550 jitter at the end of that second */
};

struct ui_series {
    uint64_t start_ns; /* time of sample 0 */
    uint16_t count;
    struct ui_sample s[UI_SERIES_MAX];
};

/* Everything the call and stream views draw for one call. Large: the UI owns one. */
struct ui_detail {
    struct ui_row row;
    struct call call; /* the record itself, for the ladder */
    uint16_t msg_count;
    uint32_t msgs_omitted; /* ladder entries not held */
    struct call_msg msgs[UI_DETAIL_MSGS];
    uint32_t text_off[UI_DETAIL_MSGS]; /* each message's SIP text in text[]; len 0: not kept */
    uint32_t text_len[UI_DETAIL_MSGS];
    uint8_t stream_count;
    struct media_stream streams[UI_DETAIL_STREAMS]; /* copies: stream_quality() works on them
                                                     * (without their DTMF digits: dtmf_count 0) */
    struct ui_series series[UI_DETAIL_STREAMS];
    uint8_t fault_count;
    struct fault faults[FAULTS_MAX];
    uint32_t text_used;
    char text[UI_DETAIL_TEXT_MAX];
    uint32_t strs_used;
    char strs[UI_DETAIL_STRS_MAX]; /* what the records' string (and SDP) fields point at */
};

struct ui_model_config {
    uint32_t max_rows;   /* 0: UI_DEFAULT_ROWS */
    size_t detail_bytes; /* 0: UI_DEFAULT_DETAIL_BYTES */
    struct fault_thresholds thresholds;
};

struct ui_model *ui_model_create(const struct ui_model_config *c);
void ui_model_destroy(struct ui_model *m);

/* ---- worker thread ---- */

/* A call ended (correlate_call_fn): its row becomes final and its detail goes to the arena. */
void ui_model_call_end(void *m, const struct call *c, const struct correlate *co);

/*
 * Every tick and once at the end of input (done): rows of the active calls,
 * totals, series of active streams, the selected call's live detail.
 */
void ui_model_tick(struct ui_model *m, const struct correlate *co, const struct stats *st,
                   bool done);

/* Export counters for the header (the Kafka exporter's lost count), any thread. */
void ui_model_set_kafka_lost(struct ui_model *m, uint64_t lost);

/* ---- UI thread ---- */

/*
 * Copy up to cap rows (in the order calls started, oldest first) and the
 * totals. Returns the number copied.
 */
size_t ui_model_rows(struct ui_model *m, struct ui_row *out, size_t cap, struct ui_totals *t);

/*
 * Copy the detail of call id into *out. false when it is not held: an active
 * call not (yet) selected, or an ended call whose detail left the arena.
 */
bool ui_model_detail(struct ui_model *m, uint64_t id, struct ui_detail *out);

/* The call whose live detail the worker publishes every tick (0: none). */
void ui_model_select(struct ui_model *m, uint64_t id);

/* ---- saving calls (the UI asks, the worker's tick does it, the UI reads the outcome) ---- */

#define UI_SAVE_CALLS 64
#define UI_SAVE_ENDPOINTS 64

/* What to pick out of the frame history: SIP of these Call-IDs, RTP/RTCP between these ends. */
struct ui_save_req {
    char path[1024]; /* the pcap file to write */
    uint32_t call_count;
    char call_ids[UI_SAVE_CALLS][CALL_ID_MAX];
    uint32_t pair_count;
    struct endpoint pair_src[UI_SAVE_ENDPOINTS]; /* a stream's source and destination; */
    struct endpoint pair_dst[UI_SAVE_ENDPOINTS]; /* RTCP (port + 1) goes with it */
    uint64_t from_ns, to_ns;                     /* the calls' time span */
};

/* UI: ask for a save (replaces a pending one). */
void ui_model_request_save(struct ui_model *m, const struct ui_save_req *r);
/* Worker: take the pending request, if any. */
bool ui_model_take_save(struct ui_model *m, struct ui_save_req *r);
/* Worker: the outcome, one line ("saved 52 packets to x.pcap" or why not). */
void ui_model_save_done(struct ui_model *m, const char *msg);
/* UI: the outcome of the last save not yet read; false when none. */
bool ui_model_save_result(struct ui_model *m, char *msg, size_t len);

#endif
