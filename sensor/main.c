/* main.c: sipscope entry point: parse the command line, build the pipeline, run it, map the outcome
 * to 0/1/2. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../decoders/hashkey.h"
#include "../decoders/stats.h"
#include "../exporters/kafka.h"
#include "../exporters/output.h"
#include "../ui/dash.h"
#include "../ui/model.h"
#include "cli.h"
#include "history.h"
#include "pipeline.h"

/* dashboard: SIP text of recent messages, for the call view */
#define MAIN_DASH_TEXT_BYTES (32u << 20)

/*
 * The first SIGINT or SIGTERM asks the pipeline to stop reading; it then
 * flushes every open call and the program exits normally (status 0). The
 * handler also puts back the default action of both, so a second one while
 * flushing ends the process at once (killed by the signal: status 128+n).
 * pipeline_stop and signal are async-signal-safe.
 */
static void on_signal(int sig)
{
    (void)sig;
    pipeline_stop();
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
}

/*
 * -o FILE. It is opened before the run, so that a path that cannot be written
 * fails at once (exit 2), but without truncating it: an input that cannot be
 * opened (also exit 2) must leave an existing file as it was, and a file this
 * run created is removed again. main_out_truncate empties it once the input
 * is open, before the first record (pipeline_config.on_open).
 */
struct main_out {
    const char *path;
    FILE *fp;
    bool created;   /* it did not exist before: removed again if the run never starts */
    bool truncated; /* on_open ran: the run owns the file now */
};

static bool main_out_open(struct main_out *m, const char *path)
{
    m->path = path;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    m->created = fd >= 0;
    if (fd < 0 && errno == EEXIST)
        fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) /* a dangling symlink: create its target, never remove it */
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0)
        return false;
    m->fp = fdopen(fd, "w"); /* "w" on a descriptor sets the stream mode; it does not truncate */
    if (!m->fp) {
        int e = errno;
        close(fd);
        errno = e;
        return false;
    }
    return true;
}

/* pipeline_config.on_open: the input is open, so the old contents go now. */
static bool main_out_truncate(void *ctx, char *err, size_t errlen)
{
    struct main_out *m = ctx;
    struct stat st;
    int fd = fileno(m->fp);
    /* only a regular file has contents to drop: a FIFO, a tty or /dev/null has none */
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ftruncate(fd, 0) != 0) {
        snprintf(err, errlen, "cannot write '%s': %s", m->path, strerror(errno));
        return false;
    }
    m->truncated = true;
    return true;
}

/* The run never started: close, and remove the file if this run created it. */
static void main_out_abandon(struct main_out *m)
{
    if (!m->fp)
        return;
    fclose(m->fp);
    if (m->created && !m->truncated)
        unlink(m->path);
}

/*
 * The exporter starts once the input is open (pipeline_config.on_open), so an
 * input that cannot be read fails first, with its own one line, and leaves no
 * spool behind; a bad -X, an unknown broker host or a missing topic still stop
 * the run before the first frame is read (exit 2).
 */
struct main_kafka {
    struct kafka_config *cfg;
    struct kafka_out *ko;
    enum status status; /* of kafka_out_create */
};

static bool main_kafka_open(void *ctx, char *err, size_t errlen)
{
    struct main_kafka *mk = ctx;
    mk->status = kafka_out_create(mk->cfg, &mk->ko, err, errlen);
    return mk->status == STATUS_OK;
}

/* output_emit for --kafka: CDR lines to the exporter's hand-off queue (counted if refused). */
static void main_kafka_cdr(void *ctx, uint64_t seq, const char *key, size_t key_len,
                           const char *line, size_t len)
{
    struct main_kafka *mk = ctx;
    kafka_out_submit(mk->ko, seq, key, key_len, line, len);
}

static uint64_t main_kafka_seq(void *ctx)
{
    struct main_kafka *mk = ctx;
    return kafka_out_next_sequence(mk->ko);
}

/* The closing account of the Kafka export on stderr; false when a CDR was lost or refused. */
static bool main_kafka_report(const struct kafka_out *ko, const char *topic, struct stats *st)
{
    struct kafka_counts kc;
    kafka_out_counts(ko, &kc);
    stats_add(st, STAT_KAFKA_RECORDS, kc.records);
    stats_add(st, STAT_KAFKA_DELIVERED, kc.delivered);
    stats_add(st, STAT_KAFKA_SPOOLED, kc.spooled);
    stats_add(st, STAT_KAFKA_SPOOL_SENT, kc.spool_sent);
    stats_add(st, STAT_KAFKA_SPOOL_FOUND, kc.spool_found);
    stats_add(st, STAT_KAFKA_SPOOL_LEFT, kc.spool_left);
    stats_add(st, STAT_KAFKA_LOST, kc.lost);
    stats_add(st, STAT_KAFKA_REJECTED, kc.rejected);
    fprintf(stderr, "sipscope: kafka: %llu CDRs made", (unsigned long long)kc.records);
    if (kc.spool_found)
        fprintf(stderr, ", %llu found in the spool from an earlier run",
                (unsigned long long)kc.spool_found);
    fprintf(stderr, "; %llu delivered to topic '%s'", (unsigned long long)kc.delivered, topic);
    if (kc.spool_left)
        fprintf(stderr, "; %llu wait in the spool '%s' for the next run",
                (unsigned long long)kc.spool_left, kafka_out_spool_dir(ko));
    if (kc.lost)
        fprintf(stderr, "; %llu LOST (could not be kept: spool full or unwritable)",
                (unsigned long long)kc.lost);
    if (kc.rejected)
        fprintf(stderr, "; %llu refused by the cluster", (unsigned long long)kc.rejected);
    fputc('\n', stderr);
    return kc.lost == 0 && kc.rejected == 0;
}

/* ---- the dashboard: the pipeline on its own thread, the UI on this one ---- */

/* SIGINT/SIGTERM in the dashboard: the UI restores the terminal, returns; the pipeline flushes. */
static atomic_bool main_quit;

static void on_signal_dash(int sig)
{
    (void)sig;
    atomic_store(&main_quit, true);
    pipeline_stop();
}

struct main_dash {
    struct ui_model *model;
    struct main_kafka *mk; /* --kafka: its exporter, once open */
    struct sink *cdr;      /* --kafka: the CDR sink beside the model; else NULL */
    const struct pipeline_config *cfg;
    struct stats *st;
    enum pipeline_result result;
    char err[600];
    pthread_mutex_t mu; /* start-up handshake: the UI starts once the input is open */
    pthread_cond_t cv;
    int opened; /* 0 not yet, 1 open, -1 failed */
    bool (*inner_open)(void *ctx, bool batch, char *err, size_t errlen);
    void *inner_ctx;
    struct ui_save_req req; /* worker thread's copy of a save request */
};

static void main_dash_opened(struct main_dash *d, int v)
{
    pthread_mutex_lock(&d->mu);
    if (d->opened == 0)
        d->opened = v;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

static bool main_dash_open(void *ctx, bool batch, char *err, size_t errlen)
{
    struct main_dash *d = ctx;
    bool ok = !d->inner_open || d->inner_open(d->inner_ctx, batch, err, errlen);
    main_dash_opened(d, ok ? 1 : -1);
    return ok;
}

static void main_dash_call(void *ctx, const struct call *c, const struct correlate *co)
{
    struct main_dash *d = ctx;
    ui_model_call_end(d->model, c, co);
    if (d->cdr)
        d->cdr->call_end(d->cdr->ctx, c, co);
}

static void main_dash_tick(void *ctx, const struct correlate *co, const struct stats *st,
                           struct history *h, bool done)
{
    struct main_dash *d = ctx;
    ui_model_tick(d->model, co, st, done);
    if (d->mk && d->mk->ko) {
        struct kafka_counts kc;
        kafka_out_counts(d->mk->ko, &kc);
        ui_model_set_kafka_lost(d->model, kc.lost);
    }
    if (!ui_model_take_save(d->model, &d->req))
        return;
    char msg[512];
    if (!h) {
        snprintf(msg, sizeof msg, "nothing saved: the frame history is off (--history-mb 0)");
    } else {
        struct history_match m = {(const char(*)[CALL_ID_MAX])d->req.call_ids,
                                  d->req.call_count,
                                  d->req.pair_src,
                                  d->req.pair_dst,
                                  d->req.pair_count,
                                  d->req.from_ns,
                                  d->req.to_ns};
        history_save(h, &m, d->req.path, msg, sizeof msg);
    }
    ui_model_save_done(d->model, msg);
}

static void *main_dash_pipeline(void *arg)
{
    struct main_dash *d = arg;
    d->result = pipeline_run(d->cfg, d->st, main_dash_call, NULL, NULL, d, d->err, sizeof d->err);
    main_dash_opened(d, -1); /* only if it never opened */
    return NULL;
}

/*
 * sipscope dashboard: the pipeline runs on a thread of its own and feeds the
 * model; the UI draws on this thread. The UI starts only once the input is
 * open, so a missing file or no capture rights still give one line and exit
 * 2 on a normal terminal. Returns the exit status.
 */
static int main_dashboard(struct cli_opts *o, struct main_kafka *mk, struct sink *cdr,
                          struct stats *st)
{
    static struct main_dash d;
    struct ui_model_config mc = {.thresholds = o->thresholds};
    d.model = ui_model_create(&mc);
    if (!d.model) {
        fprintf(stderr, "sipscope: out of memory\n");
        return 1;
    }
    d.mk = mk;
    d.cdr = cdr;
    d.st = st;
    pthread_mutex_init(&d.mu, NULL);
    pthread_cond_init(&d.cv, NULL);
    d.inner_open = o->pipeline.on_open;
    d.inner_ctx = o->pipeline.on_open_ctx;
    o->pipeline.on_open = main_dash_open;
    o->pipeline.on_open_ctx = &d;
    o->pipeline.on_tick = main_dash_tick;
    o->pipeline.on_tick_ctx = &d;
    o->pipeline.tick_after_end = true;
    o->pipeline.history_bytes = (size_t)o->history_mb << 20;
    o->pipeline.capture.speed = o->speed;
    o->pipeline.worker.correlate.text_bytes = MAIN_DASH_TEXT_BYTES;
    d.cfg = &o->pipeline;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal_dash;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGUSR1, SIG_IGN); /* the counters are on the screen; stderr would scribble over it */

    pthread_t t;
    if (pthread_create(&t, NULL, main_dash_pipeline, &d) != 0) {
        fprintf(stderr, "sipscope: cannot start the capture: %s\n", strerror(errno));
        ui_model_destroy(d.model);
        return 1;
    }
    pthread_mutex_lock(&d.mu);
    while (d.opened == 0)
        pthread_cond_wait(&d.cv, &d.mu);
    pthread_mutex_unlock(&d.mu);
    int status = 0;
    if (d.opened < 0) {
        pthread_join(t, NULL);
        fprintf(stderr, "sipscope: %s\n", d.err);
        ui_model_destroy(d.model);
        return d.result == PIPELINE_NO_MEMORY || (mk && mk->status == STATUS_FULL) ? 1 : 2;
    }
    const char *src =
        o->pipeline.capture.file ? o->pipeline.capture.file : o->pipeline.capture.iface;
    struct dash_options dopt = {.source = src,
                                .live = o->pipeline.capture.iface != NULL,
                                .tty = NULL,
                                .save_dir = o->save_dir,
                                .stop = pipeline_stop};
    char uerr[512] = "";
    int ur = dash_run(d.model, &dopt, &main_quit, uerr, sizeof uerr);
    pipeline_stop();
    pthread_join(t, NULL);
    if (ur != 0) {
        fprintf(stderr, "sipscope: %s\n", uerr);
        status = 1;
    }
    if (d.result == PIPELINE_DAMAGED || d.result == PIPELINE_NO_MEMORY) {
        fprintf(stderr, "sipscope: %s\n", d.err);
        status = 1;
    }
    ui_model_destroy(d.model);
    return status;
}

/* End of the run: send or spool the rest, say what became of every CDR; false if one was lost. */
static bool main_kafka_close(struct main_kafka *mk, const char *topic, struct stats *st)
{
    char kerr[1024] = "";
    bool ok = true;
    if (kafka_out_close(mk->ko, kerr, sizeof kerr) != STATUS_OK) {
        fprintf(stderr, "sipscope: kafka: %s\n", kerr);
        ok = false;
    }
    if (!main_kafka_report(mk->ko, topic, st))
        ok = false;
    kafka_out_destroy(mk->ko);
    mk->ko = NULL;
    return ok;
}

/* -Z USER: give up root for good, right after the capture was opened. */
static bool main_drop_privileges(const char *user, char *err, size_t errlen)
{
    errno = 0;
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        snprintf(err, errlen, "-Z: no user '%s'%s%s", user, errno ? ": " : "",
                 errno ? strerror(errno) : "");
        return false;
    }
    if (geteuid() != 0) {
        if (pw->pw_uid == geteuid())
            return true; /* already that user */
        snprintf(err, errlen, "-Z %s: only root can become another user", user);
        return false;
    }
    if (setgroups(1, &pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
        snprintf(err, errlen, "-Z %s: cannot drop privileges: %s", user, strerror(errno));
        return false;
    }
    if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
        snprintf(err, errlen, "-Z %s: root could be regained; refusing to run", user);
        return false;
    }
    return true;
}

/* pipeline_config.on_open: the input is open; now drop root, empty -o FILE, start the exporter. */
struct main_open {
    const char *drop_user;
    struct main_out *mo;   /* -o FILE, or NULL */
    struct main_kafka *mk; /* --kafka, or NULL */
    FILE *out;             /* where the records go: -o FILE or stdout */
};

/*
 * Records go out a line at a time while someone may be watching (live input,
 * a pipe, a paced replay), so each CDR or row is there as soon as its call
 * ends. A file read as fast as it goes is written in blocks: one write(2) per
 * CDR was 20 000 system calls on the SIP-heavy bench.
 */
#define MAIN_OUT_BUF (64 * 1024)

static bool main_on_open(void *ctx, bool batch, char *err, size_t errlen)
{
    struct main_open *mo = ctx;
    static char outbuf[MAIN_OUT_BUF];
    /* setvbuf must precede any output on the stream: on_open runs once, before the first record */
    if (mo->out)
        setvbuf(mo->out, outbuf, batch ? _IOFBF : _IOLBF, sizeof outbuf);
    if (mo->drop_user && !main_drop_privileges(mo->drop_user, err, errlen))
        return false;
    if (mo->mo && !main_out_truncate(mo->mo, err, errlen))
        return false;
    if (mo->mk && !main_kafka_open(mo->mk, err, errlen))
        return false;
    return true;
}

static void on_sigusr1(int sig)
{
    (void)sig;
    pipeline_print_counters();
}

static const struct {
    enum cli_command cmd;
    enum output_kind kind;
} command_outputs[] = {
    {CLI_CMD_CALLS, OUTPUT_CALLS},     {CLI_CMD_CDR, OUTPUT_CDR},
    {CLI_CMD_LADDER, OUTPUT_LADDER},   {CLI_CMD_REGISTRATIONS, OUTPUT_REGISTRATIONS},
    {CLI_CMD_STREAMS, OUTPUT_STREAMS}, {CLI_CMD_DIAGNOSE, OUTPUT_DIAGNOSE},
};

int main(int argc, char **argv)
{
    hash_key_init(); /* before any table: bucket positions a sender cannot predict */
    static struct cli_opts o;
    int rc = cli_parse(argc, argv, &o);
    if (rc)
        return rc == 1 ? 0 : 2;

    FILE *out = stdout;
    static struct main_out mo;
    if (o.out_file && strcmp(o.out_file, "-") != 0) {
        if (!main_out_open(&mo, o.out_file)) {
            fprintf(stderr, "sipscope: cannot write '%s': %s\n", o.out_file, strerror(errno));
            return 2;
        }
        out = mo.fp;
    }
    static struct main_open mopen;
    mopen.drop_user = o.drop_user;
    mopen.mo = mo.fp ? &mo : NULL;
    mopen.out = out;
    o.pipeline.on_open = main_on_open;
    o.pipeline.on_open_ctx = &mopen;
    struct output_options oo = {.json = o.json || o.command == CLI_CMD_CDR,
                                .out = out,
                                .call_id = o.call_id,
                                .width = o.width,
                                .thresholds = o.thresholds};
    /* The CDR names its sensor when it leaves the machine or watches a live interface; a file
     * read with no --sensor-id gives the same bytes on every host. */
    static char host[256];
    if (gethostname(host, sizeof host - 1) != 0)
        snprintf(host, sizeof host, "unknown");
    if (o.kafka.brokers || o.sensor_id || o.pipeline.capture.iface) {
        oo.sensor_id = o.sensor_id ? o.sensor_id : host;
        oo.sensor_host = host;
        oo.sensor_interface = o.pipeline.capture.iface;
    }
    static struct main_kafka mk;
    static struct output_emit emit;
    if (o.kafka.brokers) {
        o.kafka.sensor_id = oo.sensor_id;
        o.kafka.wait_when_full =
            o.pipeline.capture.file != NULL; /* a file can wait; the wire cannot */
        mk.cfg = &o.kafka;
        mopen.mk = &mk;
        emit = (struct output_emit){main_kafka_cdr, main_kafka_seq, &mk};
        oo.emit = &emit;
    }
    for (size_t i = 0; i < sizeof command_outputs / sizeof command_outputs[0]; i++)
        if (command_outputs[i].cmd == o.command)
            oo.kind = command_outputs[i].kind;
    if (o.command == CLI_CMD_DASHBOARD)
        oo.kind = OUTPUT_CDR; /* only with --kafka: CDRs to the exporter beside the screen */
    struct sink sink;
    if (!output_create(&oo, &sink)) {
        fprintf(stderr, "sipscope: out of memory\n");
        main_out_abandon(&mo);
        kafka_out_destroy(mk.ko);
        return 1;
    }

    struct sigaction su;
    memset(&su, 0, sizeof su);
    su.sa_handler = on_sigusr1;
    su.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &su, NULL);

    static struct stats st;
    if (o.command == CLI_CMD_DASHBOARD) {
        int status =
            main_dashboard(&o, o.kafka.brokers ? &mk : NULL, o.kafka.brokers ? &sink : NULL, &st);
        if (status == 2 || !mk.ko) {
            sink.destroy(sink.ctx);
            kafka_out_destroy(mk.ko);
            if (o.stats && status != 2) {
                fputs("sipscope-stats ", stderr);
                stats_print_json(stderr, &st);
            }
            return status;
        }
        sink.finish(sink.ctx, &st);
        sink.destroy(sink.ctx);
        if (!main_kafka_close(&mk, o.kafka.topic, &st))
            status = 1;
        if (o.stats) {
            fputs("sipscope-stats ", stderr);
            stats_print_json(stderr, &st);
        }
        return status;
    }

    /* SA_RESTART: a blocked write of the output is resumed, not failed, by the first signal */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    char err[600] = "";
    enum pipeline_result r = pipeline_run(&o.pipeline, &st, sink.call_end, sink.registration,
                                          sink.stream_end, sink.ctx, err, sizeof err);
    if (r == PIPELINE_OPEN_FAILED) {
        fprintf(stderr, "sipscope: %s\n", err);
        sink.destroy(sink.ctx);
        main_out_abandon(&mo);
        kafka_out_destroy(mk.ko);
        return mk.status == STATUS_FULL ? 1 : 2;
    }
    if (r == PIPELINE_NO_MEMORY && !mo.truncated) {
        /* before the run started: nothing was written, an existing file is kept as it was */
        fprintf(stderr, "sipscope: %s\n", err);
        sink.destroy(sink.ctx);
        main_out_abandon(&mo);
        kafka_out_destroy(mk.ko);
        return 1;
    }
    int status = 0;
    int fin = sink.finish(sink.ctx, &st);
    if (fin < 0)
        fprintf(stderr, "sipscope: cannot write the output: %s\n", strerror(errno));
    if (fin != 0)
        status = 1;
    sink.destroy(sink.ctx);
    if (mk.ko && !main_kafka_close(&mk, o.kafka.topic, &st))
        status = 1;
    if (out != stdout && fclose(out) != 0) {
        fprintf(stderr, "sipscope: cannot write '%s': %s\n", o.out_file, strerror(errno));
        status = 1;
    }
    if (o.stats) {
        fputs("sipscope-stats ", stderr);
        stats_print_json(stderr, &st);
    }
    if (r == PIPELINE_DAMAGED && st.v[STAT_PACKETS] == 0) {
        /* damaged before its first packet: as unreadable as a file that does not open */
        fprintf(stderr, "sipscope: %s (no packet could be read)\n", err);
        status = 2;
    } else if (r == PIPELINE_DAMAGED) {
        fprintf(stderr, "sipscope: %s (results above cover the packets before the damage)\n", err);
        status = 1;
    } else if (r == PIPELINE_NO_MEMORY) {
        fprintf(stderr, "sipscope: %s\n", err);
        status = 1;
    }
    return status;
}
