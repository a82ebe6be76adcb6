/* cli.h: argv -> struct cli_opts for each COMMAND; --help texts; usage errors exit 2 (DESIGN.md,
 * command line). */
#ifndef SIPSCOPE_SENSOR_CLI_H
#define SIPSCOPE_SENSOR_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../decoders/faults.h"
#include "../exporters/kafka.h"
#include "pipeline.h"

enum cli_command {
    CLI_CMD_NONE = 0,
    CLI_CMD_CALLS,
    CLI_CMD_CDR,
    CLI_CMD_LADDER,
    CLI_CMD_REGISTRATIONS,
    CLI_CMD_STREAMS,
    CLI_CMD_DIAGNOSE,
    CLI_CMD_DASHBOARD,
};

#define CLI_MAX_PROPS 64 /* -X PROP=VALUE options */

struct cli_opts {
    enum cli_command command;
    const char *command_name;
    struct pipeline_config pipeline;
    bool json;
    bool stats;
    bool help;
    const char *out_file; /* -o FILE */
    const char *call_id;  /* --call ID */
    unsigned width;       /* --width N for the ladder */
    struct fault_thresholds thresholds;
    char filter[4096]; /* trailing BPF expression, joined with spaces */
    /* export: kafka.brokers is set by --kafka; kafka.props points into props */
    struct kafka_config kafka;
    const char *sensor_id; /* --sensor-id */
    const char *props[CLI_MAX_PROPS];
    /* replay and dashboard */
    double speed;     /* --speed X: replay a file at X times packet time; 0: as fast as it reads */
    bool speed_given; /* --speed or --fast (else the dashboard replays at 1x) */
    uint32_t history_mb;   /* --history-mb: frames kept for saving calls from the dashboard */
    const char *save_dir;  /* --save-dir */
    bool default_command;  /* no COMMAND was given: the dashboard, on a terminal */
    const char *drop_user; /* -Z USER: become this user once the capture is open */
};

#define CLI_DEFAULT_HISTORY_MB 64

/*
 * Parse argv. With no COMMAND (no arguments, or options first) and a
 * terminal on standard input and output, the command is the dashboard, on
 * interface "any" when no input is given. Returns 0 when the program should run, 1 when it printed
 * help and should exit 0, 2 on a usage error (one line already printed on stderr).
 */
int cli_parse(int argc, char **argv, struct cli_opts *o);

/* Print the top-level usage or one command's help to f. */
void cli_usage(FILE *f, const char *command);

#endif
