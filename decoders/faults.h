/* faults.h: the fault rules: what went wrong with a call, with the evidence (DESIGN.md fault
 * codes). */
#ifndef SIPSCOPE_DECODERS_FAULTS_H
#define SIPSCOPE_DECODERS_FAULTS_H

#include <stddef.h>
#include <stdint.h>

#include "call.h"
#include "media.h"

#define FAULTS_MAX 12 /* faults reported per call at most (one per code) */
#define FAULT_DETAIL_MAX 320

enum fault_code {
    FAULT_ONE_WAY_AUDIO = 0,
    FAULT_NO_AUDIO,
    FAULT_NO_RINGBACK,
    FAULT_CODEC_MISMATCH,
    FAULT_AUTH_LOOP,
    FAULT_SLOW_SETUP,
    FAULT_NO_BYE,
    FAULT_RTP_TIMEOUT,
    FAULT_NAT_PRIVATE_SDP,
    FAULT_POOR_QUALITY,
    FAULT_REQUEST_TIMEOUT,
    FAULT_RETRANSMISSION_STORM,
    FAULT__COUNT
};

/* Thresholds of the rules; every one can be changed on the command line. */
struct fault_thresholds {
    double slow_setup_ms;   /* INVITE to first 18x above this: slow_setup (default 3000) */
    uint32_t auth_loop;     /* challenges without success at or above: auth_loop (3) */
    uint32_t retrans_storm; /* retransmissions in one call at or above (5) */
    double rtp_timeout_s;   /* no RTP this long before the end, dialog still up (10) */
    double no_ringback_s;   /* 18x with SDP and no early media this long (1) */
    uint32_t min_packets;   /* packets one side must send for one-way audio (25) */
    double mos_poor;        /* MOS below: poor (3.5) */
    double loss_poor_pct;   /* unique loss above: poor (3) */
    double jitter_poor_ms;  /* mean jitter above: poor (50) */
};

void faults_thresholds_default(struct fault_thresholds *t);

struct fault {
    enum fault_code code;
    uint64_t ts_ns; /* when the evidence starts, 0 when not tied to a moment */
    char detail[FAULT_DETAIL_MAX];
};

/* What the rules look at: the call, its messages and streams, and the capture's clock. */
struct faults_input {
    const struct call *call;
    const struct call_msg *const *msgs; /* ladder entries in arrival order */
    size_t msg_count;
    const struct media_stream *const *streams;
    size_t stream_count;
    uint64_t end_ns; /* newest packet time of the capture so far */
};

/*
 * Run every rule of the table over one call; write at most cap faults into
 * out, in the order of the fault codes. Returns how many were found. Pure
 * function of its input: no allocation, no globals.
 */
size_t faults_diagnose(const struct faults_input *in, const struct fault_thresholds *t,
                       struct fault *out, size_t cap);

/* "one_way_audio", ... (the DESIGN.md code) */
const char *faults_code_name(enum fault_code c);
/* One sentence: what the fault means for the people on the call. */
const char *faults_meaning(enum fault_code c);
/* The usual causes and what to do. */
const char *faults_advice(enum fault_code c);

#endif
