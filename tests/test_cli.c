/* test_cli.c: Criterion suite for the command line (DESIGN.md: usage errors exit 2). */
#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include <stdio.h>
#include <string.h>

#include "../sensor/cli.h"

#define TEST_ARGV_MAX 24 /* words in one test command line */

struct test_cli {
    struct cli_opts o;
    char words[TEST_ARGV_MAX][64];
    char *argv[TEST_ARGV_MAX + 1];
    int argc;
};

/* cli_parse on a NULL-terminated list of words (copied: getopt may permute argv). */
static int parse(struct test_cli *t, const char *const *words)
{
    memset(t, 0, sizeof *t);
    while (words[t->argc]) {
        cr_assert_lt(t->argc, TEST_ARGV_MAX);
        snprintf(t->words[t->argc], sizeof t->words[0], "%s", words[t->argc]);
        t->argv[t->argc] = t->words[t->argc];
        t->argc++;
    }
    int rc = cli_parse(t->argc, t->argv, &t->o);
    fflush(stderr);
    return rc;
}

/* A usage error: status 2 for main, and exactly this one line on stderr. */
static void usage_error(const char *const *words, const char *line)
{
    cr_redirect_stderr();
    static struct test_cli t;
    cr_assert_eq(parse(&t, words), 2);
    cr_assert_stderr_eq_str(line);
}

Test(cli, missing_value_of_a_short_option_names_it)
{
    static const char *const w[] = {"sipscope", "calls", "-r", NULL};
    usage_error(w, "sipscope: option '-r' needs a value (see sipscope calls --help)\n");
}

Test(cli, missing_value_of_a_long_option_names_it)
{
    static const char *const w[] = {"sipscope", "ladder", "-r", "x.pcap", "--call", NULL};
    usage_error(w, "sipscope: option '--call' needs a value (see sipscope ladder --help)\n");
}

Test(cli, unknown_short_option_in_a_cluster_names_the_letter)
{
    /* -j is no option; before the fix the message named the previous word, 'calls' */
    static const char *const w[] = {"sipscope", "calls", "-jr", "f", NULL};
    usage_error(w, "sipscope: unknown option '-j' (see sipscope calls --help)\n");
}

Test(cli, unknown_short_option_after_a_long_one_names_the_letter)
{
    static const char *const w[] = {"sipscope", "calls", "--json", "-xr", "f", NULL};
    usage_error(w, "sipscope: unknown option '-x' (see sipscope calls --help)\n");
}

Test(cli, unknown_long_option_names_it_without_its_value)
{
    static const char *const w[] = {"sipscope", "cdr", "-r", "f", "--bogus=1", NULL};
    usage_error(w, "sipscope: unknown option '--bogus' (see sipscope cdr --help)\n");
}

Test(cli, dash_z_names_the_user_to_become)
{
    /* DESIGN: -Z USER drops privileges after opening the capture (done in main's on_open) */
    static const char *const w[] = {"sipscope", "calls", "-Z", "nobody", "-r", "f", NULL};
    static struct test_cli t;
    cr_assert_eq(parse(&t, w), 0);
    cr_assert_str_eq(t.o.drop_user, "nobody");
}

Test(cli, long_option_given_a_value_it_does_not_take)
{
    static const char *const w[] = {"sipscope", "calls", "--json=1", "-r", "f", NULL};
    usage_error(w, "sipscope: option '--json' takes no value (see sipscope calls --help)\n");
}

Test(cli, help_given_a_value)
{
    static const char *const w[] = {"sipscope", "calls", "--help=2", NULL};
    usage_error(w, "sipscope: option '--help' takes no value (see sipscope calls --help)\n");
}

Test(cli, ambiguous_long_prefix)
{
    static const char *const w[] = {"sipscope", "calls", "--max", "5", "-r", "f", NULL};
    usage_error(w, "sipscope: ambiguous option '--max' (see sipscope calls --help)\n");
}

Test(cli, unique_long_prefix_is_accepted)
{
    static const char *const w[] = {"sipscope", "calls", "--max-c", "100", "-r", "f", NULL};
    static struct test_cli t;
    cr_assert_eq(parse(&t, w), 0);
    cr_assert_eq(t.o.pipeline.worker.correlate.max_calls, 100);
}

Test(cli, unknown_command)
{
    static const char *const w[] = {"sipscope", "dashbored", "-r", "f", NULL};
    usage_error(w, "sipscope: unknown command 'dashbored' (see sipscope --help)\n");
}

Test(cli, options_then_filter_words)
{
    static const char *const w[] = {"sipscope", "ladder", "-r",  "f.pcap", "--call", "a@b",
                                    "-o",       "out",    "udp", "port",   "5060",   NULL};
    static struct test_cli t;
    cr_assert_eq(parse(&t, w), 0);
    cr_assert_eq(t.o.command, CLI_CMD_LADDER);
    cr_assert_str_eq(t.o.pipeline.capture.file, "f.pcap");
    cr_assert_str_eq(t.o.call_id, "a@b");
    cr_assert_str_eq(t.o.out_file, "out");
    cr_assert_str_eq(t.o.pipeline.capture.filter, "udp port 5060");
}

Test(cli, value_of_r_may_start_with_a_dash)
{
    /* "-r -" is stdin: a value is taken as it is, even when it looks like an option */
    static const char *const w[] = {"sipscope", "calls", "-r", "-", NULL};
    static struct test_cli t;
    cr_assert_eq(parse(&t, w), 0);
    cr_assert_str_eq(t.o.pipeline.capture.file, "-");
}

/* ---- export options (issue 5) ---- */

Test(cli, kafka_options_fill_the_exporter_config)
{
    static const char *const w[] = {"sipscope",
                                    "cdr",
                                    "-r",
                                    "x.pcap",
                                    "--kafka",
                                    "k1:9092,k2:9092",
                                    "--topic",
                                    "cdrs.v1",
                                    "-X",
                                    "linger.ms=5",
                                    "-X",
                                    "security.protocol=ssl",
                                    "--spool",
                                    "/tmp/sp",
                                    "--spool-max",
                                    "2G",
                                    "--spool-segment",
                                    "64k",
                                    "--spool-gzip",
                                    NULL};
    static struct test_cli t;
    cr_assert_eq(parse(&t, w), 0);
    const struct kafka_config *k = &t.o.kafka;
    cr_assert_str_eq(k->brokers, "k1:9092,k2:9092");
    cr_assert_str_eq(k->topic, "cdrs.v1");
    cr_assert_eq(k->prop_count, 2);
    cr_assert_str_eq(k->props[0], "linger.ms=5");
    cr_assert_str_eq(k->props[1], "security.protocol=ssl");
    cr_assert_str_eq(k->spool_dir, "/tmp/sp");
    cr_assert_eq(k->spool_max_bytes, 2ull << 30);
    cr_assert_eq(k->spool_segment_bytes, 64u << 10);
    cr_assert(k->spool_gzip);
    cr_assert_eq(k->queue_max, 0, "0 means the default, applied by kafka_out_create");
}

Test(cli, kafka_queue_timeout_and_sensor_id)
{
    static const char *const w[] = {
        "sipscope",        "cdr",     "-i",          "eth0",          "--kafka",
        "b:9092",          "--topic", "t",           "--kafka-queue", "50",
        "--kafka-timeout", "2",       "--sensor-id", "edge-7",        NULL};
    static struct test_cli t;
    cr_assert_eq(parse(&t, w), 0);
    cr_assert_eq(t.o.kafka.queue_max, 50);
    cr_assert_eq(t.o.kafka.timeout_ms, 2000);
    cr_assert_str_eq(t.o.sensor_id, "edge-7");
}

Test(cli, kafka_without_topic_is_a_usage_error)
{
    static const char *const w[] = {"sipscope", "cdr", "-r", "x", "--kafka", "b:9092", NULL};
    usage_error(w, "sipscope: --kafka needs --topic NAME (see sipscope cdr --help)\n");
}

Test(cli, topic_without_kafka_is_a_usage_error)
{
    static const char *const w[] = {"sipscope", "cdr", "-r",  "x", "--topic",
                                    "t",        "-X",  "a=b", NULL};
    usage_error(w, "sipscope: option '--topic' needs --kafka BROKERS (see sipscope cdr --help)\n");
}

Test(cli, kafka_with_another_command_is_a_usage_error)
{
    static const char *const w[] = {"sipscope", "calls",   "-r", "x", "--kafka",
                                    "b:1",      "--topic", "t",  NULL};
    usage_error(
        w,
        "sipscope: --kafka works with the cdr and dashboard commands (see sipscope cdr --help)\n");
}

Test(cli, kafka_and_output_file_do_not_combine)
{
    static const char *const w[] = {"sipscope", "cdr", "-r", "x",      "--kafka", "b:1",
                                    "--topic",  "t",   "-o", "f.json", NULL};
    usage_error(w, "sipscope: -o and --kafka cannot be combined: CDRs go to one place\n");
}

Test(cli, topic_name_follows_kafkas_rule)
{
    static const char *const w[] = {"sipscope", "cdr",     "-r",          "x", "--kafka",
                                    "b:1",      "--topic", "bad topic/x", NULL};
    usage_error(w, "sipscope: 'bad topic/x' is not a Kafka topic name (1 to 249 letters, digits, "
                   "'.', '_', '-')\n");
}

Test(cli, spool_size_needs_a_number_with_a_known_suffix)
{
    static const char *const w[] = {"sipscope", "cdr", "-r",          "x",   "--kafka", "b:1",
                                    "--topic",  "t",   "--spool-max", "12T", NULL};
    usage_error(w, "sipscope: --spool-max needs a size from 4096 bytes to 1048576 GiB (K, M, G "
                   "suffixes), not '12T'\n");
}

Test(cli, spool_size_below_the_floor_is_refused)
{
    static const char *const w[] = {"sipscope", "cdr", "-r",          "x",   "--kafka", "b:1",
                                    "--topic",  "t",   "--spool-max", "100", NULL};
    usage_error(w, "sipscope: --spool-max needs a size from 4096 bytes to 1048576 GiB (K, M, G "
                   "suffixes), not '100'\n");
}

Test(cli, missing_value_of_x_names_it)
{
    static const char *const w[] = {"sipscope", "cdr",     "-r", "x",  "--kafka",
                                    "b:1",      "--topic", "t",  "-X", NULL};
    usage_error(w, "sipscope: option '-X' needs a value (see sipscope cdr --help)\n");
}

/* ---- table sizes (issue 7: every table configurable, shown in --help) ---- */

Test(cli, stream_endpoint_and_flow_tables_are_sized_from_the_command_line)
{
    static const char *const w[] = {
        "sipscope", "cdr",         "-r", "f", "--max-streams", "64", "--max-endpoints",
        "300",      "--max-flows", "32", NULL};
    static struct test_cli t;
    cr_assert_eq(parse(&t, w), 0);
    const struct worker_config *wc = &t.o.pipeline.worker;
    cr_assert_eq(wc->correlate.media.max_streams, 64);
    cr_assert_eq(wc->correlate.media.max_endpoints, 300);
    cr_assert_eq(wc->dpi.max_flows, 32);
    cr_assert_eq(wc->dpi.max_states, 32, "never more nDPI states than flows (dpi_create refuses)");
}

Test(cli, flow_table_below_its_floor_is_a_usage_error)
{
    static const char *const w[] = {"sipscope", "cdr", "-r", "f", "--max-flows", "8", NULL};
    usage_error(w, "sipscope: --max-flows needs a number from 16 to 16777216, not '8'\n");
}

Test(cli, help_names_every_table_size)
{
    cr_redirect_stdout();
    static const char *const w[] = {"sipscope", "cdr", "--help", NULL};
    static struct test_cli t;
    cr_assert_eq(parse(&t, w), 1);
    fflush(stdout);
    char buf[16384];
    FILE *f = cr_get_redirected_stdout();
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    static const char *const opts[] = {
        "--max-calls",       "--max-msgs",    "--max-txns",      "--max-regs",  "--max-frags",
        "--max-tcp-streams", "--max-streams", "--max-endpoints", "--max-flows", "--ring-mb"};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        cr_assert_not_null(strstr(buf, opts[i]), "%s missing from --help", opts[i]);
}
