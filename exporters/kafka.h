/* kafka.h: CDRs to a Kafka topic through librdkafka, with an on-disk spool so that none is lost
 * quietly. */
#ifndef SIPSCOPE_EXPORTERS_KAFKA_H
#define SIPSCOPE_EXPORTERS_KAFKA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../decoders/status.h"

/*
 * The exporter owns a thread. The worker hands each finished record over a
 * bounded queue (kafka_out_submit) and goes on; the exporter thread produces
 * it (key = Call-ID, value = the CDR line, headers schema_version, sensor_id
 * and sequence), serves librdkafka's delivery reports, and keeps what the
 * cluster cannot take now:
 *
 *   - up to queue_max records wait in memory for their acknowledgement
 *     (librdkafka retries them; message.timeout.ms is 0, i.e. no give-up);
 *   - past that, and while anything older is still on disk, new records go
 *     to the spool, so the order of sending stays the order of making;
 *   - once everything in memory is acknowledged, the spool is sent back,
 *     oldest segment first, and records go straight to Kafka again;
 *   - at exit, after up to timeout_ms for acknowledgements, what is still
 *     unacknowledged is written to the spool, and the next run sends it first.
 *
 * What could not be kept (spool full or unwritable, or the hand-off queue full
 * with live input) is counted in lost; what the cluster refused for good
 * (e.g. a record over message.max.bytes) in rejected. Delivery is
 * at-least-once: a record whose acknowledgement was lost with a connection is
 * sent again, and consumers drop duplicates by (sensor id, sequence).
 */
struct kafka_out;

struct kafka_config {
    const char *brokers; /* bootstrap.servers: host:port[,host:port...] */
    const char *topic;
    const char *const *props; /* "name=value" strings (-X), applied after sipscope's defaults */
    size_t prop_count;
    const char *sensor_id;        /* the "sensor_id" header of records made by this run */
    const char *spool_dir;        /* NULL: kafka_spool_default() */
    uint64_t spool_max_bytes;     /* 0: KAFKA_DEFAULT_SPOOL_MAX */
    uint64_t spool_segment_bytes; /* 0: KAFKA_DEFAULT_SPOOL_SEGMENT */
    bool spool_gzip;
    uint32_t queue_max;   /* records awaiting acknowledgement in memory; 0: default */
    uint32_t timeout_ms;  /* reaching the cluster at start; acknowledgements at exit; 0: default */
    size_t handoff_bytes; /* worker -> exporter queue; 0: default */
    bool wait_when_full;  /* a full hand-off queue makes the worker wait (file input)
                             instead of counting the record lost (live input) */
};

#define KAFKA_DEFAULT_QUEUE 10000u
#define KAFKA_DEFAULT_TIMEOUT_MS 5000u
#define KAFKA_DEFAULT_SPOOL_MAX (1ull << 30)
#define KAFKA_DEFAULT_SPOOL_SEGMENT (4ull << 20)
#define KAFKA_DEFAULT_HANDOFF (8u << 20)
#define KAFKA_RECORD_MAX (1u << 20) /* key + value of one record */

/* Counters; readable from any thread at any time (the dashboard shows them). */
struct kafka_counts {
    uint64_t records;     /* records submitted by the worker */
    uint64_t delivered;   /* acknowledged by the cluster (this run's and the spool's) */
    uint64_t spooled;     /* written to the spool by this run */
    uint64_t spool_sent;  /* acknowledged records that came from the spool */
    uint64_t spool_found; /* records found in the spool at start (left by an earlier run) */
    uint64_t spool_left;  /* records on disk now (at exit: what the next run sends) */
    uint64_t lost;        /* could not be kept at all */
    uint64_t rejected;    /* refused by the cluster for good */
    uint64_t in_flight;   /* produced, not yet acknowledged */
    bool connected;       /* a broker answered lately */
};

/* The spool directory used when none is given: /var/spool/sipscope for root,
 * else $XDG_STATE_HOME/sipscope/spool or ~/.local/state/sipscope/spool. */
const char *kafka_spool_default(char *buf, size_t len);

/*
 * Check the configuration, reach the cluster, open the spool and start the
 * exporter thread. Returns STATUS_OK; STATUS_MALFORMED for what the user must
 * fix (bad -X property, unknown broker host, topic missing and not
 * auto-created, a spool holding another topic's records) and STATUS_IO when
 * the spool cannot be used, both with one sentence in err (main exits 2).
 * A cluster that cannot be reached is not an error: records are spooled
 * until it can be (a warning goes to stderr).
 */
enum status kafka_out_create(const struct kafka_config *c, struct kafka_out **out, char *err,
                             size_t errlen);

/* The next sequence number (persisted in the spool directory, so it goes on
 * across runs). Worker thread only. */
uint64_t kafka_out_next_sequence(struct kafka_out *k);

/*
 * Hand one record to the exporter (worker thread). The bytes are copied.
 * false when it was not taken: too large, or the hand-off queue was full with
 * wait_when_full off (both counted in lost).
 */
bool kafka_out_submit(struct kafka_out *k, uint64_t seq, const char *key, size_t key_len,
                      const char *value, size_t value_len);

void kafka_out_counts(const struct kafka_out *k, struct kafka_counts *c);

/*
 * End of input: send what is queued, wait up to timeout_ms for
 * acknowledgements, spool the rest, stop the thread, close the spool.
 * Returns STATUS_OK, or STATUS_IO when the spool could not be written at the
 * end (err says why). Counters stay readable until kafka_out_destroy.
 */
enum status kafka_out_close(struct kafka_out *k, char *err, size_t errlen);

/* The spool directory in use (for messages). */
const char *kafka_out_spool_dir(const struct kafka_out *k);

void kafka_out_destroy(struct kafka_out *k);

#endif
