/* mockbroker.c: a Kafka cluster on loopback for the tests, librdkafka's mock cluster
 * (rdkafka_mock.h, Kafka protocol), driven from stdin. */

/*
 * Usage: mockbroker [--brokers N] [--partitions P] [--topic NAME]... [--missing-topic NAME]...
 *
 * Prints the bootstrap address ("127.0.0.1:PORT,...") as its first stdout
 * line, then reads one command per line from stdin and answers each with one
 * line, "ok" or "error: REASON":
 *
 *   down all|ID       broker(s) close their connections and refuse new ones
 *   up all|ID         broker(s) accept connections again
 *   rtt MS            every broker delays its responses by MS milliseconds
 *   error TOPIC CODE  metadata requests for TOPIC answer Kafka error CODE
 *                     (numeric; 0 clears it)
 *   quit              exit (as does EOF on stdin, SIGTERM and SIGINT)
 *
 * --topic creates a topic with P partitions (default 4), replication 1.
 * --missing-topic makes metadata requests for NAME answer
 * UNKNOWN_TOPIC_OR_PART (3) whether or not the client allows auto-creation,
 * and never creates it: what a cluster with auto.create.topics.enable=false
 * answers for a topic that does not exist. Without it, librdkafka 2.0.2's
 * mock creates any topic named in a metadata request, with 4 partitions (its
 * own default, not P), even when the client sends AllowAutoTopicCreation =
 * false (allow.auto.create.topics=false).
 *
 * Each partition keeps about 5 MiB of record batches (and at most 100000
 * batches); older batches are dropped, so a test that reads everything back
 * stays well under that per partition.
 *
 * Broker ids run from 1 to N. The producer handle made for the cluster's
 * bookkeeping never produces.
 */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define MOCKBROKER_MAX_BROKERS 16
#define MOCKBROKER_MAX_PARTITIONS 256
#define MOCKBROKER_MAX_TOPICS 32
#define MOCKBROKER_LINE_MAX 512
#define MOCKBROKER_POLL_MS 200

static volatile sig_atomic_t mockbroker_stop;

static void mockbroker_on_signal(int sig)
{
    (void)sig;
    mockbroker_stop = 1;
}

struct mockbroker {
    rd_kafka_t *rk;
    rd_kafka_mock_cluster_t *mc;
    int brokers;
};

static void mockbroker_usage(void)
{
    fprintf(stderr, "usage: mockbroker [--brokers N] [--partitions P] [--topic NAME]... "
                    "[--missing-topic NAME]...\n");
}

/* A decimal integer in [lo, hi], the whole string; false otherwise. */
static bool mockbroker_int(const char *s, long lo, long hi, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static void mockbroker_reply(const char *fmt, const char *detail)
{
    printf(fmt, detail);
    putchar('\n');
    fflush(stdout);
}

/* "all" or a broker id: the ids to act on, as [first, last]. */
static bool mockbroker_ids(const struct mockbroker *m, const char *arg, int32_t *first,
                           int32_t *last)
{
    long id;
    if (strcmp(arg, "all") == 0) {
        *first = 1;
        *last = m->brokers;
        return true;
    }
    if (!mockbroker_int(arg, 1, m->brokers, &id))
        return false;
    *first = *last = (int32_t)id;
    return true;
}

/* One command line (no newline). Returns false on quit. */
static bool mockbroker_command(struct mockbroker *m, char *line)
{
    char *save = NULL;
    char *verb = strtok_r(line, " \t\r", &save);
    char *arg = verb ? strtok_r(NULL, " \t\r", &save) : NULL;
    char *arg2 = arg ? strtok_r(NULL, " \t\r", &save) : NULL;
    int32_t first, last;
    long v;

    if (verb == NULL) {
        mockbroker_reply("error: %s", "empty command");
        return true;
    }
    if (strcmp(verb, "quit") == 0) {
        mockbroker_reply("%s", "ok");
        return false;
    }
    if (strcmp(verb, "down") == 0 || strcmp(verb, "up") == 0) {
        if (arg == NULL || !mockbroker_ids(m, arg, &first, &last)) {
            mockbroker_reply("error: %s needs 'all' or a broker id", verb);
            return true;
        }
        for (int32_t id = first; id <= last; id++) {
            rd_kafka_resp_err_t err = verb[0] == 'd' ? rd_kafka_mock_broker_set_down(m->mc, id)
                                                     : rd_kafka_mock_broker_set_up(m->mc, id);
            if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                mockbroker_reply("error: %s", rd_kafka_err2str(err));
                return true;
            }
        }
        mockbroker_reply("%s", "ok");
        return true;
    }
    if (strcmp(verb, "rtt") == 0) {
        if (arg == NULL || !mockbroker_int(arg, 0, 600000, &v)) {
            mockbroker_reply("error: %s", "rtt needs milliseconds");
            return true;
        }
        for (int32_t id = 1; id <= m->brokers; id++) {
            rd_kafka_resp_err_t err = rd_kafka_mock_broker_set_rtt(m->mc, id, (int)v);
            if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                mockbroker_reply("error: %s", rd_kafka_err2str(err));
                return true;
            }
        }
        mockbroker_reply("%s", "ok");
        return true;
    }
    if (strcmp(verb, "error") == 0) {
        if (arg == NULL || arg2 == NULL || !mockbroker_int(arg2, -1000, 1000, &v)) {
            mockbroker_reply("error: %s", "error needs a topic and a numeric Kafka error code");
            return true;
        }
        rd_kafka_mock_topic_set_error(m->mc, arg, (rd_kafka_resp_err_t)v);
        mockbroker_reply("%s", "ok");
        return true;
    }
    mockbroker_reply("error: unknown command '%s'", verb);
    return true;
}

/*
 * Read commands until quit, EOF or a signal. poll() with a timeout so that a
 * signal is seen even when it does not interrupt the wait.
 */
static void mockbroker_serve(struct mockbroker *m)
{
    char line[MOCKBROKER_LINE_MAX];
    size_t have = 0;
    bool overlong = false;

    while (!mockbroker_stop) {
        struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
        int r = poll(&p, 1, MOCKBROKER_POLL_MS);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        if (r == 0)
            continue;
        ssize_t n = read(STDIN_FILENO, line + have, sizeof line - 1 - have);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        if (n == 0)
            return; /* EOF: the test is gone */
        have += (size_t)n;
        /* each complete line; a line longer than the buffer is answered with an error */
        for (;;) {
            char *nl = memchr(line, '\n', have);
            if (nl == NULL) {
                if (have == sizeof line - 1) {
                    overlong = true;
                    have = 0;
                }
                break;
            }
            *nl = '\0';
            size_t used = (size_t)(nl - line) + 1;
            if (overlong) {
                overlong = false;
                mockbroker_reply("error: %s", "line too long");
            } else if (!mockbroker_command(m, line)) {
                return;
            }
            memmove(line, line + used, have - used);
            have -= used;
        }
    }
}

int main(int argc, char **argv)
{
    const char *topics[MOCKBROKER_MAX_TOPICS];
    const char *missing[MOCKBROKER_MAX_TOPICS];
    size_t ntopics = 0, nmissing = 0;
    long brokers = 1, partitions = 4;
    char errstr[512];

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL) {
            mockbroker_usage();
            return 2;
        }
        i++;
        if (strcmp(a, "--brokers") == 0) {
            if (!mockbroker_int(v, 1, MOCKBROKER_MAX_BROKERS, &brokers)) {
                fprintf(stderr, "mockbroker: --brokers must be 1..%d\n", MOCKBROKER_MAX_BROKERS);
                return 2;
            }
        } else if (strcmp(a, "--partitions") == 0) {
            if (!mockbroker_int(v, 1, MOCKBROKER_MAX_PARTITIONS, &partitions)) {
                fprintf(stderr, "mockbroker: --partitions must be 1..%d\n",
                        MOCKBROKER_MAX_PARTITIONS);
                return 2;
            }
        } else if (strcmp(a, "--topic") == 0 || strcmp(a, "--missing-topic") == 0) {
            bool miss = a[2] == 'm';
            size_t *n = miss ? &nmissing : &ntopics;
            if (*n == MOCKBROKER_MAX_TOPICS) {
                fprintf(stderr, "mockbroker: at most %d topics\n", MOCKBROKER_MAX_TOPICS);
                return 2;
            }
            (miss ? missing : topics)[(*n)++] = v;
        } else {
            mockbroker_usage();
            return 2;
        }
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = mockbroker_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    /* quiet: the bookkeeping handle has no brokers of its own to complain about */
    if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "mockbroker: %s\n", errstr);
        rd_kafka_conf_destroy(conf);
        return 1;
    }
    struct mockbroker m = {.brokers = (int)brokers};
    m.rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (m.rk == NULL) {
        fprintf(stderr, "mockbroker: %s\n", errstr);
        return 1;
    }
    m.mc = rd_kafka_mock_cluster_new(m.rk, (int)brokers);
    if (m.mc == NULL) {
        fprintf(stderr, "mockbroker: cannot create the mock cluster\n");
        rd_kafka_destroy(m.rk);
        return 1;
    }
    int rc = 0;
    for (size_t i = 0; i < ntopics && rc == 0; i++) {
        rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(m.mc, topics[i], (int)partitions, 1);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            fprintf(stderr, "mockbroker: topic '%s': %s\n", topics[i], rd_kafka_err2str(err));
            rc = 1;
        }
    }
    for (size_t i = 0; i < nmissing; i++)
        rd_kafka_mock_topic_set_error(m.mc, missing[i], RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);

    if (rc == 0) {
        printf("%s\n", rd_kafka_mock_cluster_bootstraps(m.mc));
        fflush(stdout);
        mockbroker_serve(&m);
    }
    rd_kafka_mock_cluster_destroy(m.mc);
    rd_kafka_destroy(m.rk);
    return rc;
}
