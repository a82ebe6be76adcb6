/* spool.h: records Kafka could not take yet, kept on disk in segment files and read back oldest
 * first. */
#ifndef SIPSCOPE_EXPORTERS_SPOOL_H
#define SIPSCOPE_EXPORTERS_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../decoders/status.h"

/*
 * A spool is one directory owned by one process at a time (an exclusive
 * flock on DIR/lock). Records are appended to the newest segment file; a
 * segment is named after the sequence number of its first record,
 * "%020llu.seg" (or ".seg.gz" when written compressed), so that the name
 * order is the order to send in. Segments are never appended to once closed,
 * and a segment from an earlier run is never reopened for writing: every run
 * starts new segments. Each record carries a CRC-32 (zlib) so a segment cut
 * short by a crash reads back up to its last whole record.
 *
 * Reading hands out records oldest segment first; when the reader reaches
 * the segment still being written, that segment is closed first (the next
 * append starts a new one). A handed-out record is settled with spool_done:
 * when every record of a fully read segment is delivered the segment file is
 * deleted. A segment with undelivered records stays on disk for the next run;
 * the number of leading records that were delivered is written beside it
 * ("%020llu.done", a decimal count) at spool_close, and the next run skips
 * them, so a consumer sees as few duplicates as possible.
 *
 * A spool is used by one thread only (the exporter's).
 */
struct spool;

struct spool_config {
    const char *dir;    /* created with its parents (mode 0700) when missing */
    uint64_t max_bytes; /* cap on the total size of the segment files on disk */
    uint64_t
        segment_bytes; /* a segment is closed, and the next append starts a new one, past this */
    bool gzip;         /* new segments are gzip-compressed (either kind is read back) */
};

/* One record; for spool_read the pointers are views valid until the next spool_read or close. */
struct spool_record {
    uint64_t seq;       /* the CDR's sequence number */
    const char *sensor; /* sensor id the record was made by (a Kafka header on sending) */
    size_t sensor_len;  /* at most SPOOL_SENSOR_MAX */
    const char *key;    /* Kafka message key (the Call-ID) */
    size_t key_len;     /* at most SPOOL_KEY_MAX */
    const char *value;  /* the CDR JSON */
    size_t value_len;   /* at most SPOOL_VALUE_MAX */
};

#define SPOOL_SENSOR_MAX 255u
#define SPOOL_KEY_MAX 4096u
#define SPOOL_VALUE_MAX (4u << 20)

/* What is on disk, for the report at exit and the dashboard. */
struct spool_counts {
    uint64_t records; /* records on disk not yet delivered (found at open + appended - delivered) */
    uint64_t bytes;   /* size of the segment files on disk */
    uint64_t segments;  /* segment files on disk */
    uint64_t found;     /* records found at spool_open (left by an earlier run) */
    uint64_t appended;  /* records appended by this run */
    uint64_t delivered; /* records settled with delivered = true */
    uint64_t damaged;   /* segments that stopped at a bad record (moved to DIR/damaged/) */
};

/*
 * Create the directory if needed, lock it, and scan the segments already
 * there (counting their records; a segment that stops at a damaged record is
 * counted in damaged, and what came before the damage is still sent: the file
 * is moved to DIR/damaged/ once read). STATUS_IO with one sentence in err
 * when the directory cannot be created, read or locked (another process holds
 * it: "spool 'DIR' is in use by another sipscope (pid N)"). STATUS_FULL is
 * never returned here. *out is NULL on failure.
 */
enum status spool_open(const struct spool_config *c, struct spool **out, char *err, size_t errlen);

/*
 * Append one record. STATUS_OK; STATUS_FULL when it would take the spool past
 * max_bytes (nothing written: the caller counts it as lost); STATUS_MALFORMED
 * when a length is over its cap; STATUS_IO when the write failed (the reason
 * is in spool_error()).
 */
enum status spool_append(struct spool *s, const struct spool_record *r);

/*
 * Close the segment being written, so the next append starts a new one
 * (named after that record's sequence number). Used before writing records
 * that are older than everything spooled so far: their segment sorts first.
 */
enum status spool_rotate(struct spool *s);

/*
 * The next record not yet handed out, oldest first. STATUS_OK with *r filled
 * and *token naming its segment (pass it to spool_done); STATUS_NEED_MORE when
 * every record on disk has been handed out; STATUS_IO when a segment cannot be
 * read (the reason is in spool_error(); that segment is skipped).
 */
enum status spool_read(struct spool *s, struct spool_record *r, uint32_t *token);

/*
 * Settle a record spool_read handed out: delivered, or not (it then stays on
 * disk for the next run). Settling may delete its segment file.
 */
void spool_done(struct spool *s, uint32_t token, bool delivered);

/* Records handed out by spool_read and not settled yet. */
uint64_t spool_outstanding(const struct spool *s);

void spool_counts(const struct spool *s, struct spool_counts *c);

/* The last I/O error, one sentence naming the file ("" when none). */
const char *spool_error(const struct spool *s);

/*
 * Flush and fsync the segment being written, write the .done progress of
 * partly delivered segments, unlock and free. Records handed out and not
 * settled count as not delivered. STATUS_IO when something could not be
 * written (spool_error() is gone with s, so the reason goes to err).
 */
enum status spool_close(struct spool *s, char *err, size_t errlen);

#endif
