/* table.h: fixed-width text tables for the calls command, and of REGISTER bindings (DESIGN.md
 * "Command line"). */
#ifndef SIPSCOPE_EXPORTERS_TABLE_H
#define SIPSCOPE_EXPORTERS_TABLE_H

#include <stddef.h>
#include <stdio.h>

#include "../decoders/call.h"
#include "../decoders/correlate.h"

/*
 * Every line is at most TABLE_WIDTH bytes plus '\n', and the columns stay
 * aligned byte for byte: cells are printable ASCII only (any other byte
 * prints as '?', so wire data cannot move the cursor or inject terminal
 * escapes), a value longer than its column is cut and ends in '~' (but the
 * last column, a Call-ID or contact, runs on whole so it can be copied), a number
 * too wide for its column prints with fewer decimals, then as ">999". A value
 * that was not measured prints as "-". Lines carry no trailing spaces.
 *
 * calls:
 * START                   DURATION_S STATE     CODE FROM          TO             SETUP_MS  MSGS
 * CALL_ID 2024-03-01 12:10:00.000      7.504 completed  200 alice         bob               1.681
 * 7 3c26b1f2e9a0-22066-1@127.~
 *
 * START is the first INVITE in UTC (milliseconds truncated); DURATION_S and
 * SETUP_MS are the CDR's duration_s and setup_ms; FROM/TO the user parts
 * (the AOR when there is no user part); MSGS the SIP messages, retransmissions
 * included.
 *
 * registrations:
 * AOR                      CONTACT                      CLIENT                 STATE CHALLENGES
 * REFRESHES EXPIRES_S sip:alice@example.com    sip:alice@192.0.2.10:5060    192.0.2.10:5060
 * registered            1         0      3600
 *
 * STATE is registered (bound at the last 2xx), unregistered (removed by
 * Expires 0) or failed (never bound: challenged, rejected or unanswered).
 * EXPIRES_S is the last granted expiry of a registered binding.
 */
#define TABLE_WIDTH 120
/* a line, its '\n' and the NUL; the last column (Call-ID, contact) is never cut */
#define TABLE_LINE_MAX (TABLE_WIDTH + 128 + 2)

/*
 * s as printable ASCII in buf (any other byte as '?', cut to cap - 1 bytes),
 * for text outputs that print wire data (Call-IDs, AORs, evidence). Returns buf.
 */
const char *table_printable(const char *s, char *buf, size_t cap);

/* One line, '\n' included, into buf (cap >= TABLE_LINE_MAX to never cut); returns its length. */
size_t table_calls_header_format(char *buf, size_t cap);
size_t table_calls_row_format(char *buf, size_t cap, const struct call *c);
size_t table_regs_header_format(char *buf, size_t cap);
size_t table_regs_row_format(char *buf, size_t cap, const struct registration *r);

/* The same lines written to f; 0, or -1 when the write failed. */
int table_calls_header(FILE *f);
int table_calls_row(FILE *f, const struct call *c);
int table_regs_header(FILE *f);
int table_regs_row(FILE *f, const struct registration *r);

#endif
