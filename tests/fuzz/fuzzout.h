/* fuzzout.h: every output sink behind one correlate callback, with oracles on what they print (RFC
 * 8259, RFC 3629). */
#ifndef SIPSCOPE_TESTS_FUZZ_FUZZOUT_H
#define SIPSCOPE_TESTS_FUZZ_FUZZOUT_H

#include <stdbool.h>
#include <stddef.h>

#include "../../decoders/correlate.h"
#include "../../decoders/stats.h"

/*
 * For the fuzz targets that end in calls (fuzz_pcap, fuzz_correlate): one
 * set of the sinks main.c builds (exporters/output.h), all fed at once:
 * calls table, CDR lines (through output_emit), ladders (narrow and wide),
 * the diagnose report, streams (table and JSON), registrations (table and
 * JSON). Each writes into its own open_memstream buffer. (`diagnose --json`
 * and `calls --json` print the CDR lines, checked here through the CDR sink.)
 *
 * The oracles, checked as the records come and at fuzzout_end (abort() on a
 * breach, so libFuzzer keeps the input):
 *  - every call gets its CDR (none is lost for being too large);
 *  - every JSON line is one well-formed JSON object (RFC 8259) in valid
 *    UTF-8 (RFC 3629), and a CDR starts with "schema_version";
 *  - every text line is printable ASCII: packet bytes (a Call-ID holding an
 *    ESC sequence) must never reach a terminal raw;
 *  - every SIP text the correlator keeps for a ladder entry lies inside its
 *    arena (each byte is read, so ASan sees a stray view);
 *  - no sink reports a write failure.
 * With FUZZOUT_PRINT set in the environment, fuzzout_end copies everything
 * the sinks printed to stderr (for replaying one input by hand). With
 * FUZZOUT_TEXT_RAW set, the lines of the diagnose report and of the streams
 * table are not held to printable ASCII: for long runs while
 * exporters/output.c's report() and exporters/stream.c's table row still
 * print the Call-ID, the AORs and fault details raw (tests/fuzz/RESULTS.md).
 */

#define FUZZOUT_MAX_SINKS 10
#define FUZZOUT_JSON_DEPTH 64 /* nesting the checker follows; a CDR needs 4 */

#define FUZZOUT_NARROW 40 /* ladder widths drawn: the narrowest the ladder takes */
#define FUZZOUT_WIDE 132

/* Start a run (the sinks are made at the first, and kept). */
void fuzzout_begin(void);

/* The correlate callbacks; ctx is ignored (one run at a time). */
void fuzzout_call(void *ctx, const struct call *c, const struct correlate *co);
void fuzzout_reg(void *ctx, const struct registration *r);
void fuzzout_stream(void *ctx, const struct media_stream *s);

/* End the run: finish every sink, check every line it printed. st: the run's counters. */
void fuzzout_end(const struct stats *st);

/* The checkers, for direct use: true when [p, p+len) is one JSON value / printable text. */
bool fuzzout_json_ok(const char *p, size_t len);
bool fuzzout_text_ok(const char *p, size_t len);

#endif
