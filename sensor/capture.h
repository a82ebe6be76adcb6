/* capture.h: the only libpcap user: open a file (pcap, pcapng, gzip of either, stdin) or an
 * interface. */
#ifndef SIPSCOPE_SENSOR_CAPTURE_H
#define SIPSCOPE_SENSOR_CAPTURE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../decoders/status.h"
#include "frame.h"

#define CAPTURE_DEFAULT_SNAPLEN 262144
#define CAPTURE_DEFAULT_BUFFER_MB 64

struct capture_config {
    const char *file;   /* -r FILE, "-" for stdin; NULL for live */
    const char *iface;  /* -i IFACE; NULL for a file */
    const char *filter; /* BPF expression or NULL */
    int snaplen;        /* live only; 0 = default */
    int buffer_mb;      /* live only; 0 = default */
    bool immediate;     /* live only: deliver packets at once */
    /*
     * Optional stop flag owned by the caller, e.g. set by a signal handler
     * (a lock-free atomic store is async-signal-safe): once it is true,
     * capture_next returns CAPTURE_STOPPED as after capture_stop(), within
     * CAPTURE_STOP_MS even while a pipe or FIFO has nothing to read, and an
     * open still waiting for the capture header fails. NULL: none.
     */
    const atomic_bool *stop;
    /*
     * Replay pacing, files only (live input ignores it). 0 (the default), a
     * negative value or NaN: as fast as possible. > 0: replay at that
     * multiple of packet time: capture_next hands frame i over no earlier
     * than (ts_i - ts_0) / speed of CLOCK_MONOTONIC time after it handed over
     * frame 0, sleeping in slices of at most CAPTURE_STOP_MS so a stop still
     * ends the wait (the frame is then not handed over: CAPTURE_STOPPED).
     * A discontinuity in packet time never stalls the replay for long: when
     * a frame's time is earlier than the previous frame's, it is due at once
     * after it; when it is more than CAPTURE_REPLAY_GAP_S later (a gap in
     * the capture, or two captures joined), it is due
     * min(gap / speed, CAPTURE_REPLAY_GAP_WAIT_MS) after the previous one.
     * Either way the schedule then restarts from that frame, so the frames
     * after it keep their own spacing. A consumer that fell behind is not
     * waited for: late frames are handed over at once until the replay has
     * caught up with the schedule.
     */
    double speed;
};

#define CAPTURE_REPLAY_GAP_S 5          /* packet-time jump that counts as a gap in the capture */
#define CAPTURE_REPLAY_GAP_WAIT_MS 1000 /* the longest wall-clock wait a gap costs */

/* The longest a stop request waits: the live poll interval and the pipe/FIFO poll interval. */
#define CAPTURE_STOP_MS 100

struct capture;

/*
 * Open the capture. The file format is recognised by content (gzip magic,
 * pcap magic in either byte order and precision, pcapng SHB), not by name.
 * On failure returns STATUS_IO (cannot open / permission / not a capture) or
 * STATUS_MALFORMED (bad BPF filter) and writes one human sentence into err,
 * e.g. "cannot read 'x.pcap': unknown file format".
 */
enum status capture_open(const struct capture_config *cfg, struct capture **out, char *err,
                         size_t errlen);
void capture_close(struct capture *c);

enum capture_result {
    CAPTURE_FRAME = 0, /* *f holds a frame; its data is valid until the next call */
    CAPTURE_TIMEOUT,   /* live: nothing within the poll interval */
    CAPTURE_EOF,       /* end of file, cleanly */
    CAPTURE_ERROR,     /* read error or a damaged/truncated file: err says what */
    CAPTURE_STOPPED,   /* capture_stop() was called */
};

/* Read the next frame. */
enum capture_result capture_next(struct capture *c, struct frame *f, char *err, size_t errlen);

/*
 * Up to max (>= 1) frames at once (*n of them; at least one with CAPTURE_FRAME),
 * all valid until the next call of either function: the next frame, and the
 * ones after it that are already read in, for a classic pcap file read at
 * full speed; the next frame alone for other input. Other results as
 * capture_next.
 */
enum capture_result capture_next_batch(struct capture *c, struct frame *fs, size_t max, size_t *n,
                                       char *err, size_t errlen);

/*
 * Ask a blocked capture_next to return CAPTURE_STOPPED (thread- and signal-safe),
 * within CAPTURE_STOP_MS. c must stay open until every caller is done with it:
 * a signal handler should rather set capture_config.stop, which never touches c.
 */
void capture_stop(struct capture *c);

/* Link type of the capture (a pcapng file with several keeps libpcap's rule). */
int capture_linktype(const struct capture *c);
bool capture_is_live(const struct capture *c);
/* A regular file (-r FILE, gzip or not): its reads never wait for a writer, unlike a pipe,
 * a FIFO, stdin or an interface. */
bool capture_is_regular_file(const struct capture *c);

/* Packets the kernel dropped so far (live); 0 for files. */
uint64_t capture_kernel_drops(struct capture *c);

/* Name of the file or interface, for messages. */
const char *capture_name(const struct capture *c);

#endif
