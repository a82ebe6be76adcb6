/* main.c: sipscope entry point: parse the command line, build the pipeline, run it, map the outcome to 0/1/2. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "../decoders/stats.h"
#include "../exporters/output.h"
#include "cli.h"
#include "pipeline.h"

static void on_signal(int sig)
{
    (void)sig;
    pipeline_stop();
}

static const struct {
    enum cli_command cmd;
    enum output_kind kind;
} command_outputs[] = {
    { CLI_CMD_CALLS, OUTPUT_CALLS },
    { CLI_CMD_CDR, OUTPUT_CDR },
    { CLI_CMD_LADDER, OUTPUT_LADDER },
    { CLI_CMD_REGISTRATIONS, OUTPUT_REGISTRATIONS },
};

int main(int argc, char **argv)
{
    static struct cli_opts o;
    int rc = cli_parse(argc, argv, &o);
    if (rc)
        return rc == 1 ? 0 : 2;

    FILE *out = stdout;
    if (o.out_file && strcmp(o.out_file, "-") != 0) {
        out = fopen(o.out_file, "w");
        if (!out) {
            fprintf(stderr, "sipscope: cannot write '%s': %s\n", o.out_file, strerror(errno));
            return 2;
        }
    }
    struct output_options oo = { .json = o.json || o.command == CLI_CMD_CDR, .out = out,
                                 .call_id = o.call_id, .width = o.width };
    for (size_t i = 0; i < sizeof command_outputs / sizeof command_outputs[0]; i++)
        if (command_outputs[i].cmd == o.command)
            oo.kind = command_outputs[i].kind;
    struct sink sink;
    if (!output_create(&oo, &sink)) {
        fprintf(stderr, "sipscope: out of memory\n");
        return 1;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    static struct stats st;
    char err[600] = "";
    enum pipeline_result r =
        pipeline_run(&o.pipeline, &st, sink.call_end, sink.registration, sink.ctx, err, sizeof err);
    if (r == PIPELINE_OPEN_FAILED) {
        fprintf(stderr, "sipscope: %s\n", err);
        sink.destroy(sink.ctx);
        return 2;
    }
    int status = 0;
    int fin = sink.finish(sink.ctx, &st);
    if (fin < 0)
        fprintf(stderr, "sipscope: cannot write the output: %s\n", strerror(errno));
    if (fin != 0)
        status = 1;
    sink.destroy(sink.ctx);
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
