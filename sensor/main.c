/* main.c: sipscope entry point: parse the command line, build the pipeline, run it, map the outcome to 0/1/2. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../decoders/stats.h"
#include "../exporters/kafka.h"
#include "../exporters/output.h"
#include "cli.h"
#include "pipeline.h"

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
    enum status status;         /* of kafka_out_create */
};

static bool main_kafka_open(void *ctx, char *err, size_t errlen)
{
    struct main_kafka *mk = ctx;
    mk->status = kafka_out_create(mk->cfg, &mk->ko, err, errlen);
    return mk->status == STATUS_OK;
}

/* output_emit for --kafka: CDR lines to the exporter's hand-off queue (counted there if refused). */
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

static const struct {
    enum cli_command cmd;
    enum output_kind kind;
} command_outputs[] = {
    { CLI_CMD_CALLS, OUTPUT_CALLS },
    { CLI_CMD_CDR, OUTPUT_CDR },
    { CLI_CMD_LADDER, OUTPUT_LADDER },
    { CLI_CMD_REGISTRATIONS, OUTPUT_REGISTRATIONS },
    { CLI_CMD_STREAMS, OUTPUT_STREAMS },
    { CLI_CMD_DIAGNOSE, OUTPUT_DIAGNOSE },
};

int main(int argc, char **argv)
{
    static struct cli_opts o;
    int rc = cli_parse(argc, argv, &o);
    if (rc)
        return rc == 1 ? 0 : 2;
    if (o.command == CLI_CMD_DASHBOARD) {
        fprintf(stderr, "sipscope: the dashboard is not in this build yet (see sipscope --help "
                        "for the other commands)\n");
        return 2;
    }

    FILE *out = stdout;
    static struct main_out mo;
    if (o.out_file && strcmp(o.out_file, "-") != 0) {
        if (!main_out_open(&mo, o.out_file)) {
            fprintf(stderr, "sipscope: cannot write '%s': %s\n", o.out_file, strerror(errno));
            return 2;
        }
        out = mo.fp;
        o.pipeline.on_open = main_out_truncate;
        o.pipeline.on_open_ctx = &mo;
    }
    struct output_options oo = { .json = o.json || o.command == CLI_CMD_CDR, .out = out,
                                 .call_id = o.call_id, .width = o.width,
                                 .thresholds = o.thresholds };
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
        o.kafka.wait_when_full = o.pipeline.capture.file != NULL; /* a file can wait; the wire cannot */
        mk.cfg = &o.kafka;
        o.pipeline.on_open = main_kafka_open;
        o.pipeline.on_open_ctx = &mk;
        emit = (struct output_emit){ main_kafka_cdr, main_kafka_seq, &mk };
        oo.emit = &emit;
    }
    for (size_t i = 0; i < sizeof command_outputs / sizeof command_outputs[0]; i++)
        if (command_outputs[i].cmd == o.command)
            oo.kind = command_outputs[i].kind;
    struct sink sink;
    if (!output_create(&oo, &sink)) {
        fprintf(stderr, "sipscope: out of memory\n");
        main_out_abandon(&mo);
        kafka_out_destroy(mk.ko);
        return 1;
    }

    /* SA_RESTART: a blocked write of the output is resumed, not failed, by the first signal */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    static struct stats st;
    char err[600] = "";
    enum pipeline_result r =
        pipeline_run(&o.pipeline, &st, sink.call_end, sink.registration, sink.stream_end, sink.ctx,
                     err, sizeof err);
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
    if (mk.ko) {
        char kerr[1024] = "";
        if (kafka_out_close(mk.ko, kerr, sizeof kerr) != STATUS_OK) {
            fprintf(stderr, "sipscope: kafka: %s\n", kerr);
            status = 1;
        }
        if (!main_kafka_report(mk.ko, o.kafka.topic, &st))
            status = 1;
        kafka_out_destroy(mk.ko);
    }
    if (out != stdout && fclose(out) != 0) {
        fprintf(stderr, "sipscope: cannot write '%s': %s\n", o.out_file, strerror(errno));
        status = 1;
    }
    if (o.stats) {
        fputs("sipscope-stats ", stderr);
        stats_print_json(stderr, &st);
    }
    if (r == PIPELINE_DAMAGED) {
        fprintf(stderr, "sipscope: %s (results above cover the packets before the damage)\n", err);
        status = 1;
    } else if (r == PIPELINE_NO_MEMORY) {
        fprintf(stderr, "sipscope: %s\n", err);
        status = 1;
    }
    return status;
}
