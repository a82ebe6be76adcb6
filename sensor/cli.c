/* cli.c: the command line of DESIGN.md: table of commands, options, and their help texts. */
#include "cli.h"

#include "ring.h"

#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The --help text spells the BYE answer wait and the signatures a call keeps out. */
_Static_assert(CORRELATE_BYE_ANSWER_S == 4, "update --linger in --help");
_Static_assert(CALL_SEEN_KEYS == 8, "update --max-txns in --help");

static const struct {
    const char *name;
    enum cli_command cmd;
    const char *summary;
    const char *help;
} commands[] = {
    {"dashboard", CLI_CMD_DASHBOARD, "live ncurses dashboard (the default on a terminal)",
     "Shows the calls as they happen: a list with state, duration, codec, MOS and loss\n"
     "per direction and faults, updated live; Enter opens a call's ladder with each\n"
     "message's text, its RTP streams and its faults; its streams' figures and\n"
     "jitter/loss over time; / filters, ? lists every key. -r FILE replays a capture in\n"
     "packet time (--speed X, or --fast for no pacing). Calls can be saved to a pcap\n"
     "(SIP and RTP, from the last --history-mb of traffic) and to ladder text. A capture\n"
     "on standard input still gets the keyboard (the terminal is reopened).\n"},
    {"calls", CLI_CMD_CALLS, "table of calls, one line each (--json: one CDR object per line)",
     "Prints one line per call as each call ends (and the rest at the end of input):\n"
     "start time, duration, state, final code, caller, callee, setup time, SIP messages,\n"
     "Call-ID. With --json, one CDR object per line instead (the objects `cdr` writes).\n"},
    {"cdr", CLI_CMD_CDR, "one JSON call-detail record per call, as each call ends",
     "Writes one JSON object per call (schema_version first; fields in DESIGN.md) to\n"
     "stdout, or to -o FILE, as each call ends and for every open call at end of input.\n"
     "With --kafka, each CDR goes to a Kafka topic instead: key = Call-ID, value = the\n"
     "CDR, headers schema_version, sensor_id and sequence. Delivery is acknowledged\n"
     "(acks=all, idempotent producer); while the cluster cannot take records they wait\n"
     "in memory (--kafka-queue), then in the spool on disk, and are sent in order when it\n"
     "returns; at exit what is still unsent stays in the spool for the next run. The exit\n"
     "status is 1 when a CDR could not be kept at all (spool full) or was refused.\n"},
    {"ladder", CLI_CMD_LADDER, "ladder diagram of one call (--call CALL-ID) or of every call",
     "Draws the SIP messages of a call as arrows between its endpoints (one column per\n"
     "ip:port), with time offsets, retransmissions marked, and the codec and media\n"
     "address under every message that carries SDP. 80 columns for up to three endpoints.\n"},
    {"streams", CLI_CMD_STREAMS, "table of RTP streams with their statistics and MOS",
     "Prints one line (or JSON object with --json) per RTP stream (source, destination,\n"
     "SSRC): packets, loss, max delta, max and mean jitter exactly as Wireshark's\n"
     "rtp,streams computes them, RFC 3550 loss, E-model R-factor and MOS, what RTCP\n"
     "reported, and the call it belongs to (null when no SDP announced it).\n"},
    {"diagnose", CLI_CMD_DIAGNOSE, "per-call fault report: what went wrong, with the evidence",
     "For each call (or only --call CALL-ID): a verdict (healthy, or the faults found), then\n"
     "for each fault what it means, the evidence (which message at which time, which\n"
     "stream with which figures, which SDP) and the usual cause and fix. With --json, the\n"
     "CDR objects, whose \"faults\" array holds the same findings. Fault codes:\n"
     "one_way_audio, no_audio, no_ringback, codec_mismatch, auth_loop, slow_setup,\n"
     "no_bye, rtp_timeout, nat_private_sdp, poor_quality, request_timeout,\n"
     "retransmission_storm.\n"},
    {"registrations", CLI_CMD_REGISTRATIONS, "REGISTER bindings: AOR, contact, expiry, challenges",
     "Prints one line (or JSON object with --json) per REGISTER binding (AOR and\n"
     "Call-ID): contact, requests, authentication challenges, refreshes, whether it\n"
     "ended registered or unregistered, and the last final response.\n"},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

void cli_usage(FILE *f, const char *command)
{
    for (size_t i = 0; command && i < NCOMMANDS; i++) {
        if (strcmp(command, commands[i].name) != 0)
            continue;
        fprintf(f, "usage: sipscope %s (-r FILE | -i IFACE) [options] [BPF filter]\n\n%s\n",
                commands[i].name, commands[i].help);
        break;
    }
    if (!command) {
        fprintf(f, "usage: sipscope COMMAND (-r FILE | -i IFACE) [options] [BPF filter]\n\n"
                   "Passive SIP and RTP monitor: reads mirrored traffic or a capture file and\n"
                   "reports every call.\n\nCommands:\n");
        for (size_t i = 0; i < NCOMMANDS; i++)
            fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].summary);
        fprintf(f, "\n`sipscope COMMAND --help` describes one command.\n\n");
    }
    fprintf(
        f,
        "Input:\n"
        "  -r FILE              read a capture: pcap or pcapng, gzip-compressed or not\n"
        "                       (recognised by content); - reads standard input\n"
        "  -i IFACE             capture live on an interface (needs capture rights)\n"
        "  BPF filter           trailing words form a tcpdump filter expression\n"
        "  --snaplen N          live: bytes kept per packet (default %d)\n"
        "  --buffer-mb N        live: kernel buffer size in MiB (default %d)\n"
        "  -Z USER              drop root: become USER once the capture is open (a spool\n"
        "                       or -o file must then be writable by USER)\n"
        "\nOutput:\n"
        "  --json               JSON lines instead of a table\n"
        "  -o FILE              write to FILE instead of standard output\n"
        "  --call CALL-ID       ladder: only this call\n"
        "  --width N            ladder: columns to fit (default 80)\n"
        "  --stats              print the counters on standard error at exit\n"
        "\nReplay and dashboard:\n"
        "  --speed X            replay -r FILE at X times packet time (dashboard: 1)\n"
        "  --fast               replay as fast as it reads (the default outside the\n"
        "                       dashboard)\n"
        "  --history-mb N       dashboard: MiB of recent frames kept for saving calls to\n"
        "                       a pcap (default %u)\n"
        "  --save-dir DIR       dashboard: where saved pcaps and ladders go (default .)\n"
        "\nExport (cdr, dashboard):\n"
        "  --kafka BROKERS      send CDRs to Kafka (bootstrap servers host:port,...)\n"
        "  --topic NAME         the Kafka topic (needed with --kafka)\n"
        "  -X PROP=VALUE        any librdkafka property, repeatable (TLS, SASL, ...)\n"
        "  --sensor-id ID       this sensor's name in every CDR and record header\n"
        "                       (default: the host name; the CDR's \"sensor\" is filled\n"
        "                       with --kafka, --sensor-id or -i)\n"
        "  --spool DIR          where CDRs wait while Kafka cannot take them (default\n"
        "                       /var/spool/sipscope as root, else ~/.local/state/sipscope/spool)\n"
        "  --spool-max SIZE     cap on the spool on disk; past it CDRs are lost and\n"
        "                       counted (default 1G; K, M, G suffixes)\n"
        "  --spool-segment SIZE size of one spool file (default 4M)\n"
        "  --spool-gzip         compress the spool files\n"
        "  --kafka-queue N      CDRs awaiting acknowledgement in memory before new ones go\n"
        "                       to the spool (default %u)\n"
        "  --kafka-timeout S    time to reach the cluster at start and to wait for\n"
        "                       acknowledgements at exit (default %u)\n",
        CAPTURE_DEFAULT_SNAPLEN, CAPTURE_DEFAULT_BUFFER_MB, CLI_DEFAULT_HISTORY_MB,
        KAFKA_DEFAULT_QUEUE, KAFKA_DEFAULT_TIMEOUT_MS / 1000);
    fprintf(
        f,
        "\nFault thresholds (diagnose, and the CDR's faults):\n"
        "  --slow-setup-ms MS   INVITE to first 18x above this is slow_setup (default 3000)\n"
        "  --auth-loop N        this many failed challenges is auth_loop (default 3)\n"
        "  --retrans-storm N    this many retransmissions in a call (default 5)\n"
        "  --rtp-timeout S      no RTP this long, dialog still up, is rtp_timeout (default 10)\n"
        "  --no-ringback S      18x with SDP and no early media this long (default 1)\n"
        "  --mos-poor X         MOS below this is poor_quality (default 3.5)\n"
        "  --loss-poor PCT      packet loss above this is poor_quality (default 3)\n"
        "  --jitter-poor MS     mean jitter above this is poor_quality (default 50)\n"
        "\nSIP:\n"
        "  --sip-port N         a port that carries SIP (repeatable; default 5060). SIP on\n"
        "                       other ports is still found when it parses as SIP.\n"
        "\nTables (fixed sizes, taken at start; a full table evicts its oldest entry and\n"
        "counts it):\n"
        "  --max-calls N        calls held at once (default %u)\n"
        "  --max-msgs N         ladder entries held for all calls (default %u)\n"
        "  --msgs-per-call N    ladder entries kept per call (default %u)\n"
        "  --max-txns N         SIP messages remembered for retransmissions: those outside\n"
        "                       calls, and a call's older than the 8 it keeps (default %u)\n"
        "  --max-regs N         REGISTER bindings held (default %u)\n"
        "  --max-frags N        IP fragment sets being reassembled, 64 KiB each (default 256)\n"
        "  --max-tcp-streams N  TCP directions followed (default %u)\n"
        "  --max-streams N      RTP streams followed at once (default %u)\n"
        "  --max-endpoints N    SDP-announced media endpoints held (default %u)\n"
        "  --max-flows N        UDP flows no SDP announced, being classified (default %u)\n"
        "  --ring-mb N          capture ring size in MiB (default %u); a regular file read at\n"
        "                       full speed is analysed on its reading thread unless --ring-mb\n"
        "                       is given;\n"
        "                       a paced replay or the dashboard uses 4 by default\n"
        "\nTimeouts (packet time, seconds):\n"
        "  --linger S           an ended call waits this long for retransmissions (default %u);\n"
        "                       one ended by a BYE also waits 4 s at least for its answer\n"
        "  --setup-timeout S    an unanswered call times out after this (default %u)\n"
        "  --idle-timeout S     an answered call with no SIP is closed after this (default %u)\n"
        "\n  -h, --help           this help\n"
        "\nExit status: 0 success; 1 the input was damaged part-way (what came before is\n"
        "reported) or a run-time failure; 2 usage errors and unreadable input.\n",
        CORRELATE_DEFAULT_CALLS, CORRELATE_DEFAULT_MSGS, CORRELATE_DEFAULT_MSGS_PER_CALL,
        CORRELATE_DEFAULT_TXNS, CORRELATE_DEFAULT_REGS, TCPREASM_DEFAULT_STREAMS,
        MEDIA_DEFAULT_STREAMS, MEDIA_DEFAULT_ENDPOINTS, DPI_DEFAULT_MAX_FLOWS,
        (unsigned)(RING_DEFAULT_BYTES >> 20), CORRELATE_DEFAULT_LINGER_S,
        CORRELATE_DEFAULT_SETUP_TIMEOUT_S, CORRELATE_DEFAULT_IDLE_TIMEOUT_S);
}

enum {
    OPT_JSON = 256,
    OPT_SIP_PORT,
    OPT_CALL,
    OPT_WIDTH,
    OPT_STATS,
    OPT_SNAPLEN,
    OPT_BUFFER_MB,
    OPT_MAX_CALLS,
    OPT_MAX_MSGS,
    OPT_MSGS_PER_CALL,
    OPT_MAX_TXNS,
    OPT_MAX_REGS,
    OPT_MAX_FRAGS,
    OPT_MAX_TCP,
    OPT_MAX_STREAMS,
    OPT_MAX_ENDPOINTS,
    OPT_MAX_FLOWS,
    OPT_RING_MB,
    OPT_LINGER,
    OPT_SETUP_TIMEOUT,
    OPT_IDLE_TIMEOUT,
    OPT_SLOW_SETUP,
    OPT_AUTH_LOOP,
    OPT_RETRANS_STORM,
    OPT_RTP_TIMEOUT,
    OPT_NO_RINGBACK,
    OPT_MOS_POOR,
    OPT_LOSS_POOR,
    OPT_JITTER_POOR,
    OPT_KAFKA,
    OPT_TOPIC,
    OPT_SENSOR_ID,
    OPT_SPOOL,
    OPT_SPOOL_MAX,
    OPT_SPOOL_SEGMENT,
    OPT_SPOOL_GZIP,
    OPT_KAFKA_QUEUE,
    OPT_KAFKA_TIMEOUT,
    OPT_SPEED,
    OPT_FAST,
    OPT_HISTORY_MB,
    OPT_SAVE_DIR,
};

#define CLI_OPT_NAME_MAX 64 /* an option named in a usage error (longer names are cut) */

static const struct option long_opts[] = {
    {"json", no_argument, NULL, OPT_JSON},
    {"sip-port", required_argument, NULL, OPT_SIP_PORT},
    {"call", required_argument, NULL, OPT_CALL},
    {"width", required_argument, NULL, OPT_WIDTH},
    {"stats", no_argument, NULL, OPT_STATS},
    {"snaplen", required_argument, NULL, OPT_SNAPLEN},
    {"buffer-mb", required_argument, NULL, OPT_BUFFER_MB},
    {"max-calls", required_argument, NULL, OPT_MAX_CALLS},
    {"max-msgs", required_argument, NULL, OPT_MAX_MSGS},
    {"msgs-per-call", required_argument, NULL, OPT_MSGS_PER_CALL},
    {"max-txns", required_argument, NULL, OPT_MAX_TXNS},
    {"max-regs", required_argument, NULL, OPT_MAX_REGS},
    {"max-frags", required_argument, NULL, OPT_MAX_FRAGS},
    {"max-tcp-streams", required_argument, NULL, OPT_MAX_TCP},
    {"max-streams", required_argument, NULL, OPT_MAX_STREAMS},
    {"max-endpoints", required_argument, NULL, OPT_MAX_ENDPOINTS},
    {"max-flows", required_argument, NULL, OPT_MAX_FLOWS},
    {"ring-mb", required_argument, NULL, OPT_RING_MB},
    {"linger", required_argument, NULL, OPT_LINGER},
    {"setup-timeout", required_argument, NULL, OPT_SETUP_TIMEOUT},
    {"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
    {"slow-setup-ms", required_argument, NULL, OPT_SLOW_SETUP},
    {"auth-loop", required_argument, NULL, OPT_AUTH_LOOP},
    {"retrans-storm", required_argument, NULL, OPT_RETRANS_STORM},
    {"rtp-timeout", required_argument, NULL, OPT_RTP_TIMEOUT},
    {"no-ringback", required_argument, NULL, OPT_NO_RINGBACK},
    {"mos-poor", required_argument, NULL, OPT_MOS_POOR},
    {"loss-poor", required_argument, NULL, OPT_LOSS_POOR},
    {"jitter-poor", required_argument, NULL, OPT_JITTER_POOR},
    {"kafka", required_argument, NULL, OPT_KAFKA},
    {"topic", required_argument, NULL, OPT_TOPIC},
    {"sensor-id", required_argument, NULL, OPT_SENSOR_ID},
    {"spool", required_argument, NULL, OPT_SPOOL},
    {"spool-max", required_argument, NULL, OPT_SPOOL_MAX},
    {"spool-segment", required_argument, NULL, OPT_SPOOL_SEGMENT},
    {"spool-gzip", no_argument, NULL, OPT_SPOOL_GZIP},
    {"kafka-queue", required_argument, NULL, OPT_KAFKA_QUEUE},
    {"kafka-timeout", required_argument, NULL, OPT_KAFKA_TIMEOUT},
    {"speed", required_argument, NULL, OPT_SPEED},
    {"fast", no_argument, NULL, OPT_FAST},
    {"history-mb", required_argument, NULL, OPT_HISTORY_MB},
    {"save-dir", required_argument, NULL, OPT_SAVE_DIR},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/*
 * The option getopt_long complained about, as the user wrote it, into buf.
 * optopt says which: a short option's letter, the val of a long option
 * (OPT_*, or 'h' for --help, which only errs as "--help=x"), or 0 for an
 * unknown long option, which is then the argv element just passed (the '+'
 * in the optstring means argv is never permuted), cut at its '='. optind is
 * not used otherwise: inside a cluster such as "-jr" it has not moved yet.
 */
static const char *cli_opt_name(int opt, bool help_long, char **argv, int argc, char *buf,
                                size_t len)
{
    if (opt == 0) {
        const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
        snprintf(buf, len, "%.*s", (int)strcspn(arg, "="), arg);
        return buf;
    }
    for (size_t i = 0; long_opts[i].name; i++)
        if (long_opts[i].val == opt && (opt >= 256 || help_long)) {
            snprintf(buf, len, "--%s", long_opts[i].name);
            return buf;
        }
    snprintf(buf, len, "-%c", opt);
    return buf;
}

/* True when "--name" (already cut at '=') is the start of more than one long option. */
static bool cli_opt_ambiguous(const char *name)
{
    if (strncmp(name, "--", 2) != 0 || name[2] == '\0')
        return false;
    size_t n = strlen(name + 2);
    unsigned hits = 0;
    for (size_t i = 0; long_opts[i].name; i++)
        hits += strncmp(long_opts[i].name, name + 2, n) == 0;
    return hits > 1;
}

/* A whole decimal number within [lo, hi], or a usage error naming the option. */
static bool num_arg(const char *opt, const char *arg, uint32_t lo, uint32_t hi, uint32_t *out)
{
    uint32_t v;
    if (!sv_to_u32(sv_make(arg, strlen(arg)), &v) || v < lo || v > hi) {
        fprintf(stderr, "sipscope: %s needs a number from %u to %u, not '%s'\n", opt, lo, hi, arg);
        return false;
    }
    *out = v;
    return true;
}

/* A decimal number (command-line text, not packet data) within [lo, hi]. */
static bool dbl_arg(const char *opt, const char *arg, double lo, double hi, double *out)
{
    char *end = NULL;
    double v = strtod(arg, &end);
    if (!end || end == arg || *end || !(v >= lo && v <= hi)) {
        fprintf(stderr, "sipscope: %s needs a number from %g to %g, not '%s'\n", opt, lo, hi, arg);
        return false;
    }
    *out = v;
    return true;
}

/* A size in bytes with an optional K, M or G suffix (powers of 1024), within [lo, hi]. */
static bool size_arg(const char *opt, const char *arg, uint64_t lo, uint64_t hi, uint64_t *out)
{
    size_t n = strlen(arg);
    uint64_t mult = 1;
    char last = n ? arg[n - 1] : '\0';
    if (last == 'K' || last == 'k')
        mult = 1ull << 10;
    else if (last == 'M' || last == 'm')
        mult = 1ull << 20;
    else if (last == 'G' || last == 'g')
        mult = 1ull << 30;
    uint32_t v;
    if (!sv_to_u32(sv_make(arg, mult > 1 ? n - 1 : n), &v) || v > hi / mult || v * mult < lo) {
        fprintf(stderr,
                "sipscope: %s needs a size from %llu bytes to %llu GiB (K, M, G "
                "suffixes), not '%s'\n",
                opt, (unsigned long long)lo, (unsigned long long)(hi >> 30), arg);
        return false;
    }
    *out = (uint64_t)v * mult;
    return true;
}

/* Kafka's rule for topic names: 1 to 249 of [A-Za-z0-9._-]. */
static bool topic_ok(const char *t)
{
    size_t n = strlen(t);
    return n >= 1 && n <= 249 &&
           strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* Export options are checked together once every option is read. */
static int cli_check_export(struct cli_opts *o, const char *first_export_opt)
{
    struct kafka_config *k = &o->kafka;
    if (!k->brokers) {
        if (first_export_opt) {
            fprintf(stderr,
                    "sipscope: option '%s' needs --kafka BROKERS (see sipscope %s --help)\n",
                    first_export_opt, o->command_name);
            return 2;
        }
        return 0;
    }
    if (o->command != CLI_CMD_CDR && o->command != CLI_CMD_DASHBOARD) {
        fprintf(stderr, "sipscope: --kafka works with the cdr and dashboard commands (see "
                        "sipscope cdr --help)\n");
        return 2;
    }
    if (!k->topic) {
        fprintf(stderr, "sipscope: --kafka needs --topic NAME (see sipscope cdr --help)\n");
        return 2;
    }
    if (!topic_ok(k->topic)) {
        fprintf(stderr,
                "sipscope: '%s' is not a Kafka topic name (1 to 249 letters, digits, "
                "'.', '_', '-')\n",
                k->topic);
        return 2;
    }
    if (!k->brokers[0]) {
        fprintf(stderr, "sipscope: --kafka needs at least one broker host:port\n");
        return 2;
    }
    if (o->out_file) {
        fprintf(stderr, "sipscope: -o and --kafka cannot be combined: CDRs go to one place\n");
        return 2;
    }
    k->props = o->props;
    return 0;
}

int cli_parse(int argc, char **argv, struct cli_opts *o)
{
    memset(o, 0, sizeof *o);
    worker_config_default(&o->pipeline.worker);
    faults_thresholds_default(&o->thresholds);
    o->width = 80;
    o->history_mb = CLI_DEFAULT_HISTORY_MB;
    bool terminal = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    bool no_command = argc < 2 || (argv[1][0] == '-' && argv[1][1] != '\0' &&
                                   strcmp(argv[1], "-h") != 0 && strcmp(argv[1], "--help") != 0);
    if (no_command && terminal) {
        /* DESIGN.md: the dashboard is the default COMMAND when stdout is a terminal */
        o->command = CLI_CMD_DASHBOARD;
        o->command_name = "dashboard";
        o->default_command = true;
    } else if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        cli_usage(argc < 2 ? stderr : stdout, NULL);
        return argc < 2 ? 2 : 1;
    }
    for (size_t i = 0; !o->default_command && i < NCOMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0) {
            o->command = commands[i].cmd;
            o->command_name = commands[i].name;
        }
    if (o->command == CLI_CMD_NONE) {
        fprintf(stderr, "sipscope: unknown command '%s' (see sipscope --help)\n", argv[1]);
        return 2;
    }
    struct worker_config *w = &o->pipeline.worker;
    bool ports_given = false;
    const char *export_opt = NULL; /* the first option that only means something with --kafka */
    uint32_t v;
    uint64_t v64;
    optind = o->default_command ? 1 : 2;
    opterr = 0;
    int c;
    char name[CLI_OPT_NAME_MAX];
    /* '+': stop at the first non-option (the BPF filter); ':': report a missing value as ':' */
    while ((c = getopt_long(argc, argv, "+:r:i:o:X:Z:h", long_opts, NULL)) != -1) {
        switch (c) {
        case 'r':
            o->pipeline.capture.file = optarg;
            break;
        case 'i':
            o->pipeline.capture.iface = optarg;
            break;
        case 'o':
            o->out_file = optarg;
            break;
        case 'Z':
            o->drop_user = optarg;
            break;
        case 'h':
            cli_usage(stdout, o->command_name);
            return 1;
        case OPT_JSON:
            o->json = true;
            break;
        case OPT_KAFKA:
            o->kafka.brokers = optarg;
            break;
        case OPT_FAST:
            o->speed = 0;
            o->speed_given = true;
            break;
        case OPT_SPEED:
            if (!dbl_arg("--speed", optarg, 0.01, 10000, &o->speed))
                return 2;
            o->speed_given = true;
            break;
        case OPT_HISTORY_MB:
            if (!num_arg("--history-mb", optarg, 0, 65536, &o->history_mb))
                return 2;
            break;
        case OPT_SAVE_DIR:
            o->save_dir = optarg;
            break;
        case OPT_TOPIC:
            o->kafka.topic = optarg;
            export_opt = export_opt ? export_opt : "--topic";
            break;
        case OPT_SENSOR_ID:
            if (!optarg[0] || strlen(optarg) > 255) {
                fprintf(stderr, "sipscope: --sensor-id needs 1 to 255 characters\n");
                return 2;
            }
            o->sensor_id = optarg;
            break;
        case OPT_SPOOL:
            o->kafka.spool_dir = optarg;
            export_opt = export_opt ? export_opt : "--spool";
            break;
        case OPT_SPOOL_GZIP:
            o->kafka.spool_gzip = true;
            export_opt = export_opt ? export_opt : "--spool-gzip";
            break;
        case 'X':
            if (o->kafka.prop_count >= CLI_MAX_PROPS) {
                fprintf(stderr, "sipscope: at most %d -X options\n", CLI_MAX_PROPS);
                return 2;
            }
            o->props[o->kafka.prop_count++] = optarg;
            export_opt = export_opt ? export_opt : "-X";
            break;
        case OPT_SPOOL_MAX:
            if (!size_arg("--spool-max", optarg, 4096, 1ull << 50, &o->kafka.spool_max_bytes))
                return 2;
            export_opt = export_opt ? export_opt : "--spool-max";
            break;
        case OPT_SPOOL_SEGMENT:
            if (!size_arg("--spool-segment", optarg, 4096, 1ull << 40, &v64))
                return 2;
            o->kafka.spool_segment_bytes = v64;
            export_opt = export_opt ? export_opt : "--spool-segment";
            break;
        case OPT_KAFKA_QUEUE:
            if (!num_arg("--kafka-queue", optarg, 1, 1000000, &o->kafka.queue_max))
                return 2;
            export_opt = export_opt ? export_opt : "--kafka-queue";
            break;
        case OPT_KAFKA_TIMEOUT:
            if (!num_arg("--kafka-timeout", optarg, 1, 3600, &v))
                return 2;
            o->kafka.timeout_ms = v * 1000;
            export_opt = export_opt ? export_opt : "--kafka-timeout";
            break;
        case OPT_STATS:
            o->stats = true;
            break;
        case OPT_CALL:
            o->call_id = optarg;
            break;
        case OPT_WIDTH:
            if (!num_arg("--width", optarg, 40, 1000, &v))
                return 2;
            o->width = v;
            break;
        case OPT_SIP_PORT:
            if (!num_arg("--sip-port", optarg, 1, 65535, &v))
                return 2;
            if (!ports_given)
                w->sip_port_count = 0;
            ports_given = true;
            if (w->sip_port_count >= WORKER_MAX_SIP_PORTS) {
                fprintf(stderr, "sipscope: at most %d --sip-port values\n", WORKER_MAX_SIP_PORTS);
                return 2;
            }
            w->sip_ports[w->sip_port_count++] = (uint16_t)v;
            break;
        case OPT_SNAPLEN:
            if (!num_arg("--snaplen", optarg, 64, 262144, &v))
                return 2;
            o->pipeline.capture.snaplen = (int)v;
            break;
        case OPT_BUFFER_MB:
            if (!num_arg("--buffer-mb", optarg, 1, 4096, &v))
                return 2;
            o->pipeline.capture.buffer_mb = (int)v;
            break;
        case OPT_MAX_CALLS:
            if (!num_arg("--max-calls", optarg, 16, 1u << 26, &w->correlate.max_calls))
                return 2;
            break;
        case OPT_MAX_MSGS:
            if (!num_arg("--max-msgs", optarg, 16, 1u << 28, &w->correlate.max_msgs))
                return 2;
            break;
        case OPT_MSGS_PER_CALL:
            if (!num_arg("--msgs-per-call", optarg, 1, 65535, &w->correlate.msgs_per_call))
                return 2;
            break;
        case OPT_MAX_TXNS:
            if (!num_arg("--max-txns", optarg, 16, 1u << 28, &w->correlate.max_txns))
                return 2;
            break;
        case OPT_MAX_REGS:
            if (!num_arg("--max-regs", optarg, 16, 1u << 26, &w->correlate.max_regs))
                return 2;
            break;
        case OPT_MAX_FRAGS:
            if (!num_arg("--max-frags", optarg, 1, 1u << 20, &w->decode.frag_max))
                return 2;
            break;
        case OPT_MAX_TCP:
            if (!num_arg("--max-tcp-streams", optarg, 1, 1u << 24, &w->tcp.max_streams))
                return 2;
            break;
        case OPT_MAX_STREAMS:
            if (!num_arg("--max-streams", optarg, 16, 1u << 24, &w->correlate.media.max_streams))
                return 2;
            break;
        case OPT_MAX_ENDPOINTS:
            if (!num_arg("--max-endpoints", optarg, 16, 1u << 24,
                         &w->correlate.media.max_endpoints))
                return 2;
            break;
        case OPT_MAX_FLOWS:
            if (!num_arg("--max-flows", optarg, 16, 1u << 24, &w->dpi.max_flows))
                return 2;
            /* nDPI states serve undecided flows only: never more of them than flows */
            if (w->dpi.max_states > w->dpi.max_flows)
                w->dpi.max_states = w->dpi.max_flows;
            break;
        case OPT_RING_MB:
            if (!num_arg("--ring-mb", optarg, 1, 4096, &v))
                return 2;
            o->pipeline.ring_bytes = (size_t)v << 20;
            break;
        case OPT_LINGER:
            if (!num_arg("--linger", optarg, 0, 86400, &w->correlate.linger_s))
                return 2;
            break;
        case OPT_SETUP_TIMEOUT:
            if (!num_arg("--setup-timeout", optarg, 1, 86400, &w->correlate.setup_timeout_s))
                return 2;
            break;
        case OPT_SLOW_SETUP:
            if (!dbl_arg("--slow-setup-ms", optarg, 0, 1e7, &o->thresholds.slow_setup_ms))
                return 2;
            break;
        case OPT_AUTH_LOOP:
            if (!num_arg("--auth-loop", optarg, 1, 1000, &o->thresholds.auth_loop))
                return 2;
            break;
        case OPT_RETRANS_STORM:
            if (!num_arg("--retrans-storm", optarg, 1, 100000, &o->thresholds.retrans_storm))
                return 2;
            break;
        case OPT_RTP_TIMEOUT:
            if (!dbl_arg("--rtp-timeout", optarg, 0.1, 86400, &o->thresholds.rtp_timeout_s))
                return 2;
            break;
        case OPT_NO_RINGBACK:
            if (!dbl_arg("--no-ringback", optarg, 0, 3600, &o->thresholds.no_ringback_s))
                return 2;
            break;
        case OPT_MOS_POOR:
            if (!dbl_arg("--mos-poor", optarg, 1, 4.5, &o->thresholds.mos_poor))
                return 2;
            break;
        case OPT_LOSS_POOR:
            if (!dbl_arg("--loss-poor", optarg, 0, 100, &o->thresholds.loss_poor_pct))
                return 2;
            break;
        case OPT_JITTER_POOR:
            if (!dbl_arg("--jitter-poor", optarg, 0, 10000, &o->thresholds.jitter_poor_ms))
                return 2;
            break;
        case OPT_IDLE_TIMEOUT:
            if (!num_arg("--idle-timeout", optarg, 1, 604800, &w->correlate.idle_timeout_s))
                return 2;
            break;
        case ':':
            fprintf(stderr, "sipscope: option '%s' needs a value (see sipscope %s --help)\n",
                    cli_opt_name(optopt, false, argv, argc, name, sizeof name), o->command_name);
            return 2;
        default:
            /* '?' naming a known option: a long one given a value it does not take ("--json=1") */
            if (optopt >= 256 || optopt == 'h') {
                fprintf(stderr, "sipscope: option '%s' takes no value (see sipscope %s --help)\n",
                        cli_opt_name(optopt, true, argv, argc, name, sizeof name), o->command_name);
                return 2;
            }
            cli_opt_name(optopt, false, argv, argc, name, sizeof name);
            fprintf(stderr, "sipscope: %s option '%s' (see sipscope %s --help)\n",
                    optopt == 0 && cli_opt_ambiguous(name) ? "ambiguous" : "unknown", name,
                    o->command_name);
            return 2;
        }
    }
    for (int i = optind; i < argc; i++) {
        size_t used = strlen(o->filter);
        if (used + strlen(argv[i]) + 2 > sizeof o->filter) {
            fprintf(stderr, "sipscope: the filter expression is too long\n");
            return 2;
        }
        if (used)
            strcat(o->filter, " ");
        strcat(o->filter, argv[i]);
    }
    if (o->filter[0])
        o->pipeline.capture.filter = o->filter;
    if (o->default_command && !o->pipeline.capture.file && !o->pipeline.capture.iface)
        o->pipeline.capture.iface = "any";
    if (o->command == CLI_CMD_DASHBOARD && !o->speed_given)
        o->speed = o->pipeline.capture.file ? 1 : 0;
    if (!o->pipeline.capture.file == !o->pipeline.capture.iface) {
        fprintf(stderr,
                "sipscope: give exactly one input, -r FILE or -i IFACE (see sipscope %s --help)\n",
                o->command_name);
        return 2;
    }
    int rc = cli_check_export(o, export_opt);
    if (rc)
        return rc;
    o->pipeline.capture.snaplen =
        o->pipeline.capture.snaplen ? o->pipeline.capture.snaplen : CAPTURE_DEFAULT_SNAPLEN;
    o->pipeline.capture.immediate = true;
    return 0;
}
