/* kafka.c: the Kafka exporter thread: hand-off queue, librdkafka producer, delivery reports, spool
 * (house style rule 16). */
#include "kafka.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <limits.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cdr.h"
#include "spool.h"

#define KAFKA_SEQ_BLOCK 4096u     /* sequence numbers reserved on disk at a time */
#define KAFKA_WAIT_MS 20          /* the exporter's longest sleep with nothing to do */
#define KAFKA_WARN_EVERY_MS 10000 /* one repeated warning per this long */
#define KAFKA_PURGE_WAIT_MS 3000  /* delivery reports of purged records at exit */
#define KAFKA_NAME_MAX 256
#define KAFKA_PATH_MAX 4096

/* A record in the hand-off queue: this header, then the key and value bytes. */
struct kafka_rec {
    uint64_t seq;
    uint32_t key_len;
    uint32_t value_len;
};

struct kafka_out {
    char topic[KAFKA_NAME_MAX];
    char sensor[KAFKA_NAME_MAX];
    char spool_dir[KAFKA_PATH_MAX];
    char brokers[KAFKA_PATH_MAX];
    uint32_t queue_max;
    uint32_t timeout_ms;
    bool wait_when_full;
    bool debug; /* -X debug=...: librdkafka's own log lines are shown */

    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt;
    struct spool *spool;

    /* the hand-off queue: a byte FIFO, worker -> exporter thread */
    pthread_mutex_t mu;
    pthread_cond_t can_take;
    pthread_cond_t can_put;
    unsigned char *q;
    size_t q_cap, q_head, q_used;
    bool stopping;
    pthread_t thread;
    bool thread_started;

    /* the sequence file (worker thread; main thread at create and close) */
    int seq_fd;
    uint64_t seq_next, seq_limit;
    bool seq_warned;

    /* exporter thread only */
    bool spooling;           /* new records go to the spool (something older is there) */
    bool exiting;            /* records failing now are purged at exit: spool them */
    bool fatal;              /* the producer hit a fatal error: everything goes to the spool */
    uint64_t mem_inflight;   /* produced from memory, not yet acknowledged */
    uint64_t spool_inflight; /* produced from the spool, not yet acknowledged */
    unsigned char *scratch;  /* one record taken off the hand-off queue */
    int64_t warned_ms[4];    /* rate limit of the repeated warnings, by kind */

    _Atomic uint64_t n_records, n_delivered, n_spooled, n_spool_sent, n_spool_found, n_spool_left,
        n_lost, n_rejected, n_inflight;
    atomic_bool connected;
};

enum kafka_warn { WARN_DOWN = 0, WARN_SPOOL, WARN_REJECT, WARN_OTHER };

static int64_t kafka_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A warning on stderr, at most once per KAFKA_WARN_EVERY_MS of its kind. */
static void kafka_warn(struct kafka_out *k, enum kafka_warn kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void kafka_warn(struct kafka_out *k, enum kafka_warn kind, const char *fmt, ...)
{
    int64_t now = kafka_mono_ms();
    if (k->warned_ms[kind] && now - k->warned_ms[kind] < KAFKA_WARN_EVERY_MS)
        return;
    k->warned_ms[kind] = now;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "sipscope: kafka: %s\n", line);
}

const char *kafka_spool_default(char *buf, size_t len)
{
    const char *state = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    if (geteuid() == 0)
        snprintf(buf, len, "/var/spool/sipscope");
    else if (state && state[0] == '/')
        snprintf(buf, len, "%s/sipscope/spool", state);
    else if (home && home[0] == '/')
        snprintf(buf, len, "%s/.local/state/sipscope/spool", home);
    else
        snprintf(buf, len, "/tmp/sipscope-spool-%u", (unsigned)geteuid());
    return buf;
}

/* ---- the sequence file: DIR/sequence holds the next number not handed out ---- */

static bool seq_write(struct kafka_out *k, uint64_t v)
{
    char s[32];
    int n = snprintf(s, sizeof s, "%" PRIu64 "\n", v);
    if (pwrite(k->seq_fd, s, (size_t)n, 0) != n || ftruncate(k->seq_fd, n) != 0 ||
        fsync(k->seq_fd) != 0) {
        if (!k->seq_warned)
            fprintf(stderr,
                    "sipscope: kafka: cannot write '%s/sequence': %s; sequence numbers "
                    "may repeat after a crash\n",
                    k->spool_dir, strerror(errno));
        k->seq_warned = true;
        return false;
    }
    return true;
}

static enum status seq_open(struct kafka_out *k, char *err, size_t errlen)
{
    char path[KAFKA_PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/sequence", k->spool_dir);
    k->seq_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (k->seq_fd < 0) {
        snprintf(err, errlen, "cannot use '%s': %s", path, strerror(errno));
        return STATUS_IO;
    }
    char s[32] = "";
    ssize_t n = pread(k->seq_fd, s, sizeof s - 1, 0);
    k->seq_next = 1;
    if (n > 0) {
        s[n] = '\0';
        char *end = NULL;
        unsigned long long v = strtoull(s, &end, 10);
        if (end != s && v > 0)
            k->seq_next = v;
    }
    k->seq_limit = k->seq_next + KAFKA_SEQ_BLOCK;
    if (!seq_write(k, k->seq_limit)) {
        snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
        return STATUS_IO;
    }
    return STATUS_OK;
}

uint64_t kafka_out_next_sequence(struct kafka_out *k)
{
    if (k->seq_next >= k->seq_limit) {
        k->seq_limit = k->seq_next + KAFKA_SEQ_BLOCK;
        seq_write(k, k->seq_limit);
    }
    return k->seq_next++;
}

/* ---- the hand-off queue ---- */

static void q_put(struct kafka_out *k, const void *p, size_t n)
{
    size_t tail = (k->q_head + k->q_used) % k->q_cap;
    size_t first = n < k->q_cap - tail ? n : k->q_cap - tail;
    memcpy(k->q + tail, p, first);
    memcpy(k->q, (const unsigned char *)p + first, n - first);
    k->q_used += n;
}

static void q_get(struct kafka_out *k, void *p, size_t n)
{
    size_t first = n < k->q_cap - k->q_head ? n : k->q_cap - k->q_head;
    memcpy(p, k->q + k->q_head, first);
    memcpy((unsigned char *)p + first, k->q, n - first);
    k->q_head = (k->q_head + n) % k->q_cap;
    k->q_used -= n;
}

bool kafka_out_submit(struct kafka_out *k, uint64_t seq, const char *key, size_t key_len,
                      const char *value, size_t value_len)
{
    atomic_fetch_add(&k->n_records, 1);
    size_t need = sizeof(struct kafka_rec) + key_len + value_len;
    if (key_len + value_len > KAFKA_RECORD_MAX || need > k->q_cap || key_len > SPOOL_KEY_MAX) {
        atomic_fetch_add(&k->n_lost, 1);
        fprintf(stderr, "sipscope: kafka: CDR of call '%.*s' is too large (%zu bytes); not sent\n",
                (int)(key_len < 200 ? key_len : 200), key, key_len + value_len);
        return false;
    }
    struct kafka_rec h = {seq, (uint32_t)key_len, (uint32_t)value_len};
    pthread_mutex_lock(&k->mu);
    while (k->q_cap - k->q_used < need) {
        if (!k->wait_when_full) {
            pthread_mutex_unlock(&k->mu);
            atomic_fetch_add(&k->n_lost, 1);
            return false;
        }
        pthread_cond_wait(&k->can_put, &k->mu);
    }
    q_put(k, &h, sizeof h);
    q_put(k, key, key_len);
    q_put(k, value, value_len);
    pthread_cond_signal(&k->can_take);
    pthread_mutex_unlock(&k->mu);
    return true;
}

/* ---- producing ---- */

/* Errors that sending again cannot cure: the record is rejected, counted and reported. */
static bool kafka_permanent(rd_kafka_resp_err_t e)
{
    switch (e) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR_INVALID_REQUIRED_ACKS:
        return true;
    default:
        return false;
    }
}

static rd_kafka_resp_err_t kafka_produce(struct kafka_out *k, uint64_t seq, const char *sensor,
                                         size_t sensor_len, const char *key, size_t key_len,
                                         const char *value, size_t value_len, void *opaque)
{
    char seqs[24];
    int seqn = snprintf(seqs, sizeof seqs, "%" PRIu64, seq);
    rd_kafka_vu_t vu[8];
    memset(vu, 0, sizeof vu);
    vu[0].vtype = RD_KAFKA_VTYPE_RKT;
    vu[0].u.rkt = k->rkt;
    vu[1].vtype = RD_KAFKA_VTYPE_KEY;
    vu[1].u.mem.ptr = (void *)key; /* copied (RD_KAFKA_MSG_F_COPY), never written */
    vu[1].u.mem.size = key_len;
    vu[2].vtype = RD_KAFKA_VTYPE_VALUE;
    vu[2].u.mem.ptr = (void *)value;
    vu[2].u.mem.size = value_len;
    vu[3].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
    vu[3].u.i = RD_KAFKA_MSG_F_COPY;
    vu[4].vtype = RD_KAFKA_VTYPE_OPAQUE;
    vu[4].u.ptr = opaque;
    static const char *const names[3] = {"schema_version", "sensor_id", "sequence"};
    const char *vals[3] = {CDR_SCHEMA_VERSION_STR, sensor, seqs};
    ssize_t lens[3] = {(ssize_t)strlen(CDR_SCHEMA_VERSION_STR), (ssize_t)sensor_len, seqn};
    for (size_t i = 0; i < 3; i++) {
        vu[5 + i].vtype = RD_KAFKA_VTYPE_HEADER;
        vu[5 + i].u.header.name = names[i];
        vu[5 + i].u.header.val = vals[i];
        vu[5 + i].u.header.size = lens[i];
    }
    rd_kafka_error_t *e = rd_kafka_produceva(k->rk, vu, 8);
    if (!e) {
        atomic_fetch_add(&k->n_inflight, 1);
        return RD_KAFKA_RESP_ERR_NO_ERROR;
    }
    rd_kafka_resp_err_t code = rd_kafka_error_code(e);
    rd_kafka_error_destroy(e);
    return code;
}

/* Keep a record on disk: counted as spooled, or lost when the spool cannot take it. */
static void kafka_spool_put(struct kafka_out *k, uint64_t seq, const char *sensor,
                            size_t sensor_len, const char *key, size_t key_len, const char *value,
                            size_t value_len)
{
    struct spool_record r = {.seq = seq,
                             .sensor = sensor,
                             .sensor_len = sensor_len,
                             .key = key,
                             .key_len = key_len,
                             .value = value,
                             .value_len = value_len};
    enum status st = spool_append(k->spool, &r);
    if (st == STATUS_OK) {
        atomic_fetch_add(&k->n_spooled, 1);
        return;
    }
    atomic_fetch_add(&k->n_lost, 1);
    if (st == STATUS_FULL)
        kafka_warn(k, WARN_SPOOL, "the spool '%s' is full (--spool-max); CDRs are being lost",
                   k->spool_dir);
    else
        kafka_warn(k, WARN_SPOOL, "cannot spool a CDR: %s",
                   st == STATUS_IO ? spool_error(k->spool) : status_str(st));
}

/* A record from the hand-off queue: to Kafka when nothing older waits and there is room, else to
 * disk. */
static void kafka_route(struct kafka_out *k, const struct kafka_rec *h, const char *key,
                        const char *value)
{
    size_t sl = strlen(k->sensor);
    if (!k->spooling && !k->fatal && k->mem_inflight + k->spool_inflight < k->queue_max) {
        rd_kafka_resp_err_t e =
            kafka_produce(k, h->seq, k->sensor, sl, key, h->key_len, value, h->value_len, NULL);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
            k->mem_inflight++;
            return;
        }
        if (kafka_permanent(e)) {
            atomic_fetch_add(&k->n_rejected, 1);
            kafka_warn(k, WARN_REJECT, "a CDR was refused: %s", rd_kafka_err2str(e));
            return;
        }
        if (e == RD_KAFKA_RESP_ERR__FATAL)
            k->fatal = true;
    }
    k->spooling = true;
    kafka_spool_put(k, h->seq, k->sensor, sl, key, h->key_len, value, h->value_len);
}

/*
 * Send the spool back, oldest first, once nothing that came before it waits
 * in memory; with the spool empty, records go straight to Kafka again.
 */
static void kafka_drain(struct kafka_out *k)
{
    if (!k->spooling || k->fatal || k->mem_inflight)
        return;
    while (k->spool_inflight < k->queue_max) {
        struct spool_record r;
        uint32_t token;
        enum status st = spool_read(k->spool, &r, &token);
        if (st == STATUS_NEED_MORE) {
            if (!spool_outstanding(k->spool))
                k->spooling = false;
            return;
        }
        if (st != STATUS_OK) {
            kafka_warn(k, WARN_SPOOL, "cannot read the spool: %s", spool_error(k->spool));
            return;
        }
        rd_kafka_resp_err_t e =
            kafka_produce(k, r.seq, r.sensor, r.sensor_len, r.key, r.key_len, r.value, r.value_len,
                          (void *)(uintptr_t)((uintptr_t)token + 1));
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
            k->spool_inflight++;
            continue;
        }
        /* not taken: it stays on disk for the next run */
        spool_done(k->spool, token, false);
        if (kafka_permanent(e)) {
            atomic_fetch_add(&k->n_rejected, 1);
            kafka_warn(k, WARN_REJECT, "a spooled CDR was refused: %s", rd_kafka_err2str(e));
        } else if (e == RD_KAFKA_RESP_ERR__FATAL) {
            k->fatal = true;
        }
        return;
    }
}

/* A header of a delivery report, as a view; len 0 when absent. */
static const char *dr_header(const rd_kafka_message_t *m, const char *name, size_t *len)
{
    rd_kafka_headers_t *hdrs = NULL;
    const void *v = NULL;
    *len = 0;
    if (rd_kafka_message_headers(m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        rd_kafka_header_get_last(hdrs, name, &v, len) != RD_KAFKA_RESP_ERR_NO_ERROR || !v) {
        *len = 0;
        return "";
    }
    return v;
}

/* Delivery reports: served by rd_kafka_poll on the exporter thread. */
static void kafka_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    struct kafka_out *k = opaque;
    uintptr_t tok = (uintptr_t)m->_private;
    bool ok = m->err == RD_KAFKA_RESP_ERR_NO_ERROR;
    atomic_fetch_sub(&k->n_inflight, 1);
    if (!k->spool) { /* a report after the spool closed: cannot happen after the purge at exit */
        if (!ok)
            atomic_fetch_add(&k->n_lost, 1);
        return;
    }
    if (ok) {
        atomic_store(&k->connected, true);
        atomic_fetch_add(&k->n_delivered, 1);
    } else if (kafka_permanent(m->err)) {
        atomic_fetch_add(&k->n_rejected, 1);
        kafka_warn(k, WARN_REJECT, "a CDR was refused: %s", rd_kafka_err2str(m->err));
    }
    if (tok) {
        k->spool_inflight--;
        if (ok)
            atomic_fetch_add(&k->n_spool_sent, 1);
        /* a failed one stays on disk; a rejected one too, for a person to look at */
        spool_done(k->spool, (uint32_t)(tok - 1), ok);
        return;
    }
    k->mem_inflight--;
    if (ok || kafka_permanent(m->err))
        return;
    /* timed out (a finite message.timeout.ms), or purged at exit: keep it on disk */
    size_t sl = 0, ql = 0;
    const char *sensor = dr_header(m, "sensor_id", &sl);
    const char *seqs = dr_header(m, "sequence", &ql);
    char sbuf[24];
    uint64_t seq = 0;
    if (ql && ql < sizeof sbuf) {
        memcpy(sbuf, seqs, ql);
        sbuf[ql] = '\0';
        seq = strtoull(sbuf, NULL, 10);
    }
    if (!k->exiting)
        k->spooling = true;
    kafka_spool_put(k, seq, sensor, sl, m->key ? m->key : "", m->key ? m->key_len : 0,
                    m->payload ? m->payload : "", m->payload ? m->len : 0);
}

static void kafka_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    struct kafka_out *k = opaque;
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
        atomic_store(&k->connected, false);
        kafka_warn(k, WARN_DOWN,
                   "all brokers are down (%s); CDRs wait in memory, then in the "
                   "spool '%s'",
                   reason, k->spool_dir);
        return;
    }
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char why[256];
        rd_kafka_fatal_error(rk, why, sizeof why);
        k->fatal = true;
        kafka_warn(k, WARN_OTHER, "fatal producer error: %s; CDRs go to the spool '%s'", why,
                   k->spool_dir);
        return;
    }
    if (err == RD_KAFKA_RESP_ERR__TRANSPORT)
        return; /* every failed connect: "all brokers are down" above says it once */
    kafka_warn(k, WARN_OTHER, "%s", reason);
}

/* librdkafka's own log lines: only with -X debug=..., or when it is critical. */
static void kafka_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    struct kafka_out *k = rd_kafka_opaque(rk);
    if (level <= 2 || (k && k->debug))
        fprintf(stderr, "sipscope: kafka: %s: %s\n", fac, buf);
}

/* ---- the exporter thread ---- */

static void kafka_poll(struct kafka_out *k, int ms)
{
    rd_kafka_poll(k->rk, ms);
}

static void kafka_finish(struct kafka_out *k)
{
    /* everything handed over is routed; now wait for the acknowledgements, and send the spool */
    int64_t deadline = kafka_mono_ms() + k->timeout_ms;
    while (kafka_mono_ms() < deadline) {
        kafka_drain(k);
        if (!k->mem_inflight && !k->spool_inflight && !k->spooling)
            break;
        if (!k->mem_inflight && !k->spool_inflight && (k->fatal || !atomic_load(&k->connected)))
            break; /* spooled, and nobody to send it to */
        kafka_poll(k, KAFKA_WAIT_MS);
    }
    if (!k->mem_inflight && !k->spool_inflight)
        return;
    /* Not acknowledged in time: purge, and the reports put the records in the spool. They are
     * older than anything already there, so they go into a new segment that sorts first. */
    k->exiting = true;
    spool_rotate(k->spool);
    rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    deadline = kafka_mono_ms() + KAFKA_PURGE_WAIT_MS;
    while ((k->mem_inflight || k->spool_inflight) && kafka_mono_ms() < deadline)
        kafka_poll(k, KAFKA_WAIT_MS);
    if (k->mem_inflight) {
        /* no report came back for these: they cannot be kept */
        atomic_fetch_add(&k->n_lost, k->mem_inflight);
        fprintf(stderr, "sipscope: kafka: %" PRIu64 " CDRs got no delivery report and are lost\n",
                k->mem_inflight);
    }
}

static void *kafka_main(void *arg)
{
    struct kafka_out *k = arg;
    for (;;) {
        struct kafka_rec h;
        pthread_mutex_lock(&k->mu);
        if (!k->q_used && !k->stopping) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_nsec += KAFKA_WAIT_MS * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&k->can_take, &k->mu, &ts);
        }
        bool have = k->q_used > 0;
        bool stop = k->stopping;
        if (have) {
            q_get(k, &h, sizeof h);
            q_get(k, k->scratch, (size_t)h.key_len + h.value_len);
            pthread_cond_signal(&k->can_put);
        }
        pthread_mutex_unlock(&k->mu);
        if (have)
            kafka_route(k, &h, (const char *)k->scratch, (const char *)k->scratch + h.key_len);
        kafka_poll(k, 0);
        kafka_drain(k);
        if (!have && stop)
            break;
    }
    kafka_finish(k);
    return NULL;
}

/* ---- set-up ---- */

/* Every broker host must resolve: a typo in --kafka is a usage error, not an outage. */
static enum status kafka_check_hosts(const char *brokers, char *err, size_t errlen)
{
    const char *p = brokers;
    for (unsigned n = 0; *p && n < 256; n++) {
        size_t len = strcspn(p, ",");
        char b[KAFKA_NAME_MAX];
        snprintf(b, sizeof b, "%.*s", (int)len, p);
        p += len + (p[len] == ',');
        char *host = b;
        char *proto = strstr(host, "://");
        if (proto)
            host = proto + 3;
        while (*host == ' ')
            host++;
        char *end;
        if (*host == '[') {
            host++;
            end = strchr(host, ']');
        } else {
            end = strrchr(host, ':');
        }
        if (end)
            *end = '\0';
        if (!*host)
            continue;
        struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
        int rc = getaddrinfo(host, NULL, &hints, &res);
        if (res)
            freeaddrinfo(res);
        if (rc == EAI_NONAME || rc == EAI_FAIL) {
            snprintf(err, errlen, "unknown Kafka broker host '%s': %s", host, gai_strerror(rc));
            return STATUS_MALFORMED;
        }
    }
    return STATUS_OK;
}

static enum status kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value,
                                  const char *as_given, char *err, size_t errlen)
{
    char why[512];
    if (rd_kafka_conf_set(conf, name, value, why, sizeof why) != RD_KAFKA_CONF_OK) {
        snprintf(err, errlen, "bad Kafka property -X '%s': %s", as_given, why);
        return STATUS_MALFORMED;
    }
    return STATUS_OK;
}

static enum status kafka_producer(struct kafka_out *k, const struct kafka_config *c, char *err,
                                  size_t errlen)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char qmax[16];
    snprintf(qmax, sizeof qmax, "%u", k->queue_max * 2 + 1000);
    static const char *const defaults[][2] = {
        {"enable.idempotence", "true"}, {"acks", "all"},
        {"message.timeout.ms", "0"}, /* never give up: the spool, not a timeout, bounds memory */
        {"client.id", "sipscope"},      {"linger.ms", "10"},
    };
    enum status st = STATUS_OK;
    for (size_t i = 0; st == STATUS_OK && i < sizeof defaults / sizeof defaults[0]; i++)
        st = kafka_conf_set(conf, defaults[i][0], defaults[i][1], defaults[i][0], err, errlen);
    if (st == STATUS_OK)
        st = kafka_conf_set(conf, "bootstrap.servers", k->brokers, k->brokers, err, errlen);
    if (st == STATUS_OK)
        st = kafka_conf_set(conf, "queue.buffering.max.messages", qmax, qmax, err, errlen);
    for (size_t i = 0; st == STATUS_OK && i < c->prop_count; i++) {
        const char *eq = strchr(c->props[i], '=');
        char name[KAFKA_NAME_MAX];
        if (!eq || eq == c->props[i] || (size_t)(eq - c->props[i]) >= sizeof name) {
            snprintf(err, errlen, "-X '%s': expected PROPERTY=VALUE", c->props[i]);
            st = STATUS_MALFORMED;
            break;
        }
        snprintf(name, sizeof name, "%.*s", (int)(eq - c->props[i]), c->props[i]);
        if (strcmp(name, "debug") == 0)
            k->debug = true;
        st = kafka_conf_set(conf, name, eq + 1, c->props[i], err, errlen);
    }
    if (st != STATUS_OK) {
        rd_kafka_conf_destroy(conf);
        return st;
    }
    rd_kafka_conf_set_opaque(conf, k);
    rd_kafka_conf_set_dr_msg_cb(conf, kafka_dr);
    rd_kafka_conf_set_error_cb(conf, kafka_error);
    rd_kafka_conf_set_log_cb(conf, kafka_log);
    char why[512];
    k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof why);
    if (!k->rk) {
        rd_kafka_conf_destroy(conf);
        snprintf(err, errlen, "cannot start the Kafka producer: %s", why);
        return STATUS_MALFORMED;
    }
    k->rkt = rd_kafka_topic_new(k->rk, k->topic, NULL);
    if (!k->rkt) {
        snprintf(err, errlen, "Kafka topic '%s': %s", k->topic,
                 rd_kafka_err2str(rd_kafka_last_error()));
        return STATUS_MALFORMED;
    }
    return STATUS_OK;
}

/* Ask the cluster about the topic: missing with auto-creation off is the user's to fix. */
static enum status kafka_check_topic(struct kafka_out *k, char *err, size_t errlen)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(k->rk, 0, k->rkt, &md, (int)k->timeout_ms);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr,
                "sipscope: kafka: cannot reach '%s' yet (%s); CDRs are kept in the spool "
                "'%s' until it can be reached\n",
                k->brokers, rd_kafka_err2str(e), k->spool_dir);
        return STATUS_OK;
    }
    rd_kafka_resp_err_t te = md->topic_cnt > 0 ? md->topics[0].err : RD_KAFKA_RESP_ERR_NO_ERROR;
    rd_kafka_metadata_destroy(md);
    atomic_store(&k->connected, true);
    if (te == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
        snprintf(err, errlen,
                 "Kafka topic '%s' does not exist and the cluster does not create it "
                 "(auto-creation is off)",
                 k->topic);
        return STATUS_MALFORMED;
    }
    if (te == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
        te == RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION) {
        snprintf(err, errlen, "Kafka topic '%s': %s", k->topic, rd_kafka_err2str(te));
        return STATUS_MALFORMED;
    }
    return STATUS_OK;
}

/* mkdir -p, mode 0700 for what it creates. */
static bool kafka_mkdirs(const char *dir)
{
    char p[KAFKA_PATH_MAX];
    snprintf(p, sizeof p, "%s", dir);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST)
            return false;
        *s = '/';
    }
    return mkdir(p, 0700) == 0 || errno == EEXIST;
}

/* The spool belongs to one topic: DIR/topic names it; records of another topic are not ours to
 * send. */
static enum status kafka_spool_topic(struct kafka_out *k, char *err, size_t errlen)
{
    char path[KAFKA_PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/topic", k->spool_dir);
    struct spool_counts sc;
    spool_counts(k->spool, &sc);
    FILE *f = fopen(path, "r");
    if (f) {
        char had[KAFKA_NAME_MAX] = "";
        if (!fgets(had, sizeof had, f))
            had[0] = '\0';
        fclose(f);
        had[strcspn(had, "\n")] = '\0';
        if (sc.records && had[0] && strcmp(had, k->topic) != 0) {
            snprintf(err, errlen,
                     "the spool '%s' holds %" PRIu64 " CDRs for topic '%s', not '%s': "
                     "use --topic %s, or another --spool",
                     k->spool_dir, sc.records, had, k->topic, had);
            return STATUS_MALFORMED;
        }
    }
    f = fopen(path, "w");
    if (!f || fprintf(f, "%s\n", k->topic) < 0 || fclose(f) != 0) {
        snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
        return STATUS_IO;
    }
    return STATUS_OK;
}

enum status kafka_out_create(const struct kafka_config *c, struct kafka_out **out, char *err,
                             size_t errlen)
{
    *out = NULL;
    enum status st = kafka_check_hosts(c->brokers, err, errlen);
    if (st != STATUS_OK)
        return st;
    struct kafka_out *k = calloc(1, sizeof *k);
    if (!k) {
        snprintf(err, errlen, "out of memory");
        return STATUS_FULL;
    }
    k->seq_fd = -1;
    snprintf(k->topic, sizeof k->topic, "%s", c->topic);
    snprintf(k->sensor, sizeof k->sensor, "%s", c->sensor_id ? c->sensor_id : "");
    snprintf(k->brokers, sizeof k->brokers, "%s", c->brokers);
    if (c->spool_dir)
        snprintf(k->spool_dir, sizeof k->spool_dir, "%s", c->spool_dir);
    else
        kafka_spool_default(k->spool_dir, sizeof k->spool_dir);
    k->queue_max = c->queue_max ? c->queue_max : KAFKA_DEFAULT_QUEUE;
    k->timeout_ms = c->timeout_ms ? c->timeout_ms : KAFKA_DEFAULT_TIMEOUT_MS;
    k->wait_when_full = c->wait_when_full;
    k->q_cap = c->handoff_bytes ? c->handoff_bytes : KAFKA_DEFAULT_HANDOFF;
    if (k->q_cap < sizeof(struct kafka_rec) + KAFKA_RECORD_MAX)
        k->q_cap = sizeof(struct kafka_rec) + KAFKA_RECORD_MAX;
    k->q = malloc(k->q_cap);
    k->scratch = malloc(KAFKA_RECORD_MAX);
    pthread_mutex_init(&k->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&k->can_take, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&k->can_put, NULL);
    if (!k->q || !k->scratch) {
        snprintf(err, errlen, "out of memory");
        kafka_out_destroy(k);
        return STATUS_FULL;
    }
    st = kafka_producer(k, c, err, errlen);
    if (st == STATUS_OK && !kafka_mkdirs(k->spool_dir)) {
        snprintf(err, errlen, "cannot create the spool '%s': %s", k->spool_dir, strerror(errno));
        st = STATUS_IO;
    }
    if (st == STATUS_OK) {
        struct spool_config sc = {
            .dir = k->spool_dir,
            .max_bytes = c->spool_max_bytes ? c->spool_max_bytes : KAFKA_DEFAULT_SPOOL_MAX,
            .segment_bytes =
                c->spool_segment_bytes ? c->spool_segment_bytes : KAFKA_DEFAULT_SPOOL_SEGMENT,
            .gzip = c->spool_gzip,
        };
        st = spool_open(&sc, &k->spool, err, errlen);
    }
    if (st == STATUS_OK)
        st = kafka_spool_topic(k, err, errlen);
    if (st == STATUS_OK)
        st = seq_open(k, err, errlen);
    if (st == STATUS_OK)
        st = kafka_check_topic(k, err, errlen);
    if (st != STATUS_OK) {
        kafka_out_destroy(k);
        return st;
    }
    struct spool_counts sp;
    spool_counts(k->spool, &sp);
    atomic_store(&k->n_spool_found, sp.found);
    atomic_store(&k->n_spool_left, sp.records);
    k->spooling = sp.records > 0; /* what an earlier run left goes first */
    if (pthread_create(&k->thread, NULL, kafka_main, k) != 0) {
        snprintf(err, errlen, "cannot start the exporter thread: %s", strerror(errno));
        kafka_out_destroy(k);
        return STATUS_IO;
    }
    k->thread_started = true;
    *out = k;
    return STATUS_OK;
}

void kafka_out_counts(const struct kafka_out *k, struct kafka_counts *c)
{
    struct kafka_out *m = (struct kafka_out *)k; /* atomics are read, never changed */
    c->records = atomic_load(&m->n_records);
    c->delivered = atomic_load(&m->n_delivered);
    c->spooled = atomic_load(&m->n_spooled);
    c->spool_sent = atomic_load(&m->n_spool_sent);
    c->spool_found = atomic_load(&m->n_spool_found);
    c->spool_left = atomic_load(&m->n_spool_left);
    c->lost = atomic_load(&m->n_lost);
    c->rejected = atomic_load(&m->n_rejected);
    c->in_flight = atomic_load(&m->n_inflight);
    c->connected = atomic_load(&m->connected);
}

const char *kafka_out_spool_dir(const struct kafka_out *k)
{
    return k->spool_dir;
}

enum status kafka_out_close(struct kafka_out *k, char *err, size_t errlen)
{
    if (!k->thread_started)
        return STATUS_OK;
    pthread_mutex_lock(&k->mu);
    k->stopping = true;
    pthread_cond_signal(&k->can_take);
    pthread_mutex_unlock(&k->mu);
    pthread_join(k->thread, NULL);
    k->thread_started = false;
    if (k->seq_fd >= 0) {
        seq_write(k, k->seq_next);
        close(k->seq_fd);
        k->seq_fd = -1;
    }
    struct spool_counts sp;
    spool_counts(k->spool, &sp);
    atomic_store(&k->n_spool_left, sp.records);
    enum status st = spool_close(k->spool, err, errlen);
    k->spool = NULL;
    return st;
}

void kafka_out_destroy(struct kafka_out *k)
{
    if (!k)
        return;
    if (k->thread_started)
        kafka_out_close(k, NULL, 0);
    if (k->spool)
        spool_close(k->spool, NULL, 0);
    if (k->seq_fd >= 0)
        close(k->seq_fd);
    if (k->rkt)
        rd_kafka_topic_destroy(k->rkt);
    if (k->rk)
        rd_kafka_destroy(k->rk);
    pthread_cond_destroy(&k->can_take);
    pthread_cond_destroy(&k->can_put);
    pthread_mutex_destroy(&k->mu);
    free(k->q);
    free(k->scratch);
    free(k);
}
