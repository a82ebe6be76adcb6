/* test_table.c: Criterion suite for exporters/table.c (calls and registrations tables, DESIGN.md
 * "Command line"). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../exporters/table.h"

#define NS 1000000000ull
#define T0 (1709295000ull * NS) /* 2024-03-01T12:10:00Z */

static const char calls_header[] = "START                   DURATION_S STATE     CODE FROM         "
                                   " TO             SETUP_MS  MSGS CALL_ID\n";
static const char regs_header[] = "AOR                      CONTACT                      CLIENT    "
                                  "             STATE        CHALLENGES REFRESHES EXPIRES_S\n";

/* captures/a_basic_call.pcap's call, times from its sip_messages.tsv */
static void basic_call(struct call *c)
{
    memset(c, 0, sizeof *c);
    call_str_init(c);
    c->call_id = "3c26b1f2e9a0-22066-1@127.0.1.1";
    c->from = "sip:alice@127.0.1.1";
    c->to = "sip:bob@127.0.1.2";
    c->from_user = "alice";
    c->to_user = "bob";
    c->start_ns = T0;
    c->trying_ns = T0 + 586000;
    c->ringing_ns = T0 + 1681000;
    c->answer_ns = T0 + 1507872000;
    c->end_ns = T0 + 9012192000;
    c->last_ns = T0 + 9012236000;
    c->state = CALL_STATE_COMPLETED;
    c->final_code = 200;
    c->sip_messages = 7;
}

static void basic_reg(struct registration *r)
{
    memset(r, 0, sizeof *r);
    strcpy(r->aor, "sip:alice@example.com");
    strcpy(r->contact, "sip:alice@192.0.2.10:5060");
    cr_assert(addr_parse(SV_LIT("192.0.2.10"), &r->client.ip));
    r->client.port = 5060;
    r->registered = true;
    r->challenges = 1;
    r->expires_s = 3600;
    r->last_code = 200;
}

static const char *row(const struct call *c)
{
    static char line[TABLE_LINE_MAX];
    table_calls_row_format(line, sizeof line, c);
    return line;
}

/* Byte offset where column k starts (after k separating runs), read off the header. */
static size_t col_start(const char *header, int k)
{
    size_t pos = 0;
    for (int n = 0; n < k; n++) {
        while (header[pos] != ' ')
            pos++;
        while (header[pos] == ' ')
            pos++;
    }
    return pos;
}

Test(table, calls_header_exact)
{
    char line[TABLE_LINE_MAX];
    size_t n = table_calls_header_format(line, sizeof line);
    cr_assert_str_eq(line, calls_header);
    cr_assert_eq(n, strlen(calls_header));
}

Test(table, completed_call_row_exact)
{
    struct call c;
    basic_call(&c);
    cr_assert_str_eq(row(&c),
                     "2024-03-01 12:10:00.000      7.504 completed  200 alice         bob      "
                     "         1.681     7 3c26b1f2e9a0-22066-1@127.0.1.1\n");
    cr_assert_eq(strlen(row(&c)), TABLE_WIDTH - 26 + strlen(c.call_id) + 1,
                 "columns before the Call-ID keep their widths; the Call-ID runs on whole");
}

Test(table, cancelled_call_has_no_duration)
{
    struct call c;
    basic_call(&c);
    c.answer_ns = 0;
    c.end_ns = T0 + 4000000000ull;
    c.state = CALL_STATE_CANCELLED;
    c.final_code = 487;
    c.call_id = "short";
    cr_assert_str_eq(row(&c),
                     "2024-03-01 12:10:00.000          - cancelled  487 alice         bob      "
                     "         1.681     7 short\n");
}

Test(table, empty_call_all_dashes)
{
    struct call c;
    memset(&c, 0, sizeof c);
    call_str_init(&c);
    cr_assert_str_eq(row(&c),
                     "-                                - trying       - -             -        "
                     "             -     0 -\n");
}

Test(table, user_falls_back_to_aor)
{
    struct call c;
    basic_call(&c);
    c.from_user = "";
    c.from = "sip:pbx.example";
    c.to_user = "";
    c.to = "";
    const char *l = row(&c);
    cr_assert_eq(strncmp(l + col_start(calls_header, 4), "sip:pbx.exam~ -             ", 28), 0,
                 "%s", l);
}

Test(table, long_values_cut_with_tilde_and_stay_aligned)
{
    struct call c;
    basic_call(&c);
    c.from_user = "+4930555012345678";
    c.to_user = "0123456789abc"; /* exactly the column: not cut */
    static char id[CALL_ID_MAX];
    memset(id, 'x', sizeof id - 1);
    c.call_id = id;
    const char *l = row(&c);
    cr_assert_eq(strlen(l), TABLE_WIDTH - 26 + CALL_ID_MAX - 1 + 1, "the Call-ID runs on whole");
    cr_assert_eq(strncmp(l + col_start(calls_header, 4), "+49305550123~ 0123456789abc ", 28), 0,
                 "%s", l);
    cr_assert_eq(strspn(l + col_start(calls_header, 8), "x"), CALL_ID_MAX - 1, "%s", l);
}

/* Byte offsets of the separating spaces: START 0-22, DURATION_S 24-33, STATE 35-43, CODE 45-48,
 * FROM 50-62, TO 64-76, SETUP_MS 78-86, MSGS 88-92, CALL_ID 94-119. */
static const size_t calls_seps[] = {23, 34, 44, 49, 63, 77, 87, 93};

Test(table, every_column_keeps_its_bytes)
{
    for (size_t k = 0; k < sizeof calls_seps / sizeof calls_seps[0]; k++)
        cr_assert_eq(calls_header[calls_seps[k]], ' ', "header: no separator at byte %zu",
                     calls_seps[k]);
    struct call calls[4];
    basic_call(&calls[0]);
    memset(&calls[1], 0, sizeof calls[1]);
    call_str_init(&calls[1]);
    basic_call(&calls[2]);
    calls[2].from_user = "a-very-long-user-name-indeed";
    calls[2].to_user = "0123456789abcdef";
    calls[2].final_code = 603;
    calls[2].state = CALL_STATE_CANCELLED;
    calls[2].sip_messages = 99999;
    calls[2].ringing_ns =
        calls[2].start_ns + 30000 * 1000000ull; /* 30 s: "30000.000" fills SETUP_MS */
    basic_call(&calls[3]);
    calls[3].state = CALL_STATE_TIMEOUT;
    calls[3].end_ns = calls[3].answer_ns + 99999 * NS; /* "99999.000" */
    for (int i = 0; i < 4; i++) {
        const char *l = row(&calls[i]);
        cr_assert_geq(strlen(l), 95, "%s", l);
        for (size_t k = 0; k < sizeof calls_seps / sizeof calls_seps[0]; k++)
            cr_assert_eq(l[calls_seps[k]], ' ', "call %d: no separator at byte %zu\n%s", i,
                         calls_seps[k], l);
        cr_assert_leq(strlen(l), TABLE_LINE_MAX - 1);
    }
    cr_assert_eq(strncmp(row(&calls[2]) + 35,
                         "cancelled  603 a-very-long-~ 0123456789ab~ 30000.000 99999 ", 59),
                 0, "%s", row(&calls[2]));
    cr_assert_eq(strncmp(row(&calls[3]) + 24, " 99999.000 timeout ", 19), 0, "%s", row(&calls[3]));
}

Test(table, control_and_non_ascii_bytes_print_as_question_marks)
{
    struct call c;
    basic_call(&c);
    c.from_user = "a\x1b[2Jb";   /* terminal escape from the wire */
    c.to_user = "J\xc3\xbcrgen"; /* UTF-8: 2 bytes, would break the widths */
    c.call_id = "id\r\nX";
    const char *l = row(&c);
    cr_assert_eq(strlen(l), 94 + 5 + 1, "%s", l); /* no byte gained or lost */
    cr_assert_eq(strncmp(l + col_start(calls_header, 4), "a?[2Jb        J??rgen      ", 27), 0,
                 "%s", l);
    cr_assert_str_eq(l + col_start(calls_header, 8), "id??X\n");
    cr_assert_null(strchr(l, '\x1b'));
}

Test(table, oversized_numbers_lose_decimals_then_clamp)
{
    struct call c;
    basic_call(&c);
    c.end_ns =
        c.answer_ns + 123456789ull * NS + 500000000ull; /* 123456789.5 s: no room for decimals */
    c.ringing_ns = c.start_ns + 86400ull * NS;          /* 86400000 ms: 8 digits */
    c.sip_messages = 4000000000u;
    const char *l = row(&c);
    cr_assert_eq(strncmp(l + 24, " 123456790 ", 11), 0, "%s", l);
    cr_assert_eq(strncmp(l + 78, " 86400000 >9999 ", 16), 0, "%s", l);
    c.end_ns = c.answer_ns + 12345678901ull * NS;
    l = row(&c);
    cr_assert_eq(strncmp(l + 24, ">999999999 ", 11), 0, "%s", l);
}

Test(table, answered_call_still_up_has_no_duration)
{
    struct call c;
    basic_call(&c);
    c.end_ns = 0;
    c.last_ns = c.answer_ns + 2500000000ull;
    c.state = CALL_STATE_ANSWERED;
    cr_assert_eq(strncmp(row(&c) + 24, "         - answered ", 20), 0, "%s", row(&c));
}

Test(table, file_output_matches_the_formatters)
{
    struct call c;
    basic_call(&c);
    char buf[1024];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    cr_assert_not_null(f);
    cr_assert_eq(table_calls_header(f), 0);
    cr_assert_eq(table_calls_row(f, &c), 0);
    fclose(f);
    char want[1024];
    snprintf(want, sizeof want, "%s%s", calls_header, row(&c));
    cr_assert_str_eq(buf, want);
}

Test(table, write_failure_reported)
{
    FILE *f = fopen("/dev/full", "w");
    if (!f)
        cr_skip_test("no /dev/full");
    setvbuf(f, NULL, _IONBF, 0);
    cr_assert_eq(table_calls_header(f), -1);
    fclose(f);
}

Test(table, short_buffer_is_cut_not_overrun)
{
    struct call c;
    basic_call(&c);
    char buf[64];
    memset(buf, 'X', sizeof buf);
    size_t n = table_calls_row_format(buf, 20, &c);
    cr_assert_eq(n, 19);
    cr_assert_eq(buf[19], '\0');
    cr_assert_eq(buf[20], 'X');
    cr_assert_eq(table_calls_row_format(buf, 0, &c), 0);
}

Test(table, regs_header_exact)
{
    char line[TABLE_LINE_MAX];
    table_regs_header_format(line, sizeof line);
    cr_assert_str_eq(line, regs_header);
    cr_assert_eq(strlen(line), TABLE_WIDTH + 1);
}

Test(table, regs_rows_for_each_state)
{
    struct registration r;
    char line[TABLE_LINE_MAX];

    basic_reg(&r);
    table_regs_row_format(line, sizeof line, &r);
    cr_assert_str_eq(line,
                     "sip:alice@example.com    sip:alice@192.0.2.10:5060    192.0.2.10:5060        "
                     "registered            1         0      3600\n");

    basic_reg(&r);
    r.registered = false;
    r.unregistered = true;
    r.refreshes = 2;
    table_regs_row_format(line, sizeof line, &r);
    cr_assert_str_eq(line,
                     "sip:alice@example.com    sip:alice@192.0.2.10:5060    192.0.2.10:5060        "
                     "unregistered          1         2         -\n");

    /* an auth loop: challenged again and again, never bound, no contact confirmed */
    basic_reg(&r);
    r.registered = false;
    r.contact[0] = '\0';
    r.challenges = 5;
    r.last_code = 407;
    table_regs_row_format(line, sizeof line, &r);
    cr_assert_str_eq(line,
                     "sip:alice@example.com    -                            192.0.2.10:5060        "
                     "failed                5         0         -\n");
}

Test(table, regs_long_ipv6_client_and_contact_cut)
{
    struct registration r;
    basic_reg(&r);
    cr_assert(addr_parse(SV_LIT("2001:db8:85a3:1:2:8a2e:370:7334"), &r.client.ip));
    strcpy(r.contact, "sip:alice@[2001:db8:85a3:1:2:8a2e:370:7334]:5060;transport=tcp");
    char line[TABLE_LINE_MAX];
    table_regs_row_format(line, sizeof line, &r);
    cr_assert_str_eq(line,
                     "sip:alice@example.com    sip:alice@[2001:db8:85a3:1:~ [2001:db8:85a3:1:2:8a~ "
                     "registered            1         0      3600\n");
}

static uint64_t rnd_state = 0x853c49e6748fea9bull;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

Test(table, random_records_keep_the_layout)
{
    for (int iter = 0; iter < 300; iter++) {
        struct call c;
        struct registration r;
        uint8_t *p = (uint8_t *)&c;
        for (size_t k = 0; k < sizeof c; k++)
            p[k] = (uint8_t)rnd();
        c.early_media_sdp = c.ended = c.offer.present = c.answer.present = false;
        /* text fields: random bytes, a NUL anywhere or none before the cap */
        static const char *codecs[2][CALL_MAX_CODECS];
        c.offer.codecs = codecs[0];
        c.answer.codecs = codecs[1];
        c.offer.codec_count = c.answer.codec_count = CALL_MAX_CODECS;
        static char text[CALL_STR_FIELDS + 1][CALL_FIELD_MAX + 64];
        const char **f[CALL_STR_FIELDS];
        size_t nf = call_str_fields(&c, f);
        for (size_t k = 0; k <= nf; k++) {
            for (size_t b = 0; b < sizeof text[k]; b++)
                text[k][b] = (char)rnd();
            text[k][sizeof text[k] - 1] = '\0';
            if (k < nf)
                *f[k] = text[k];
            else
                c.end_reason = text[k];
        }
        p = (uint8_t *)&r;
        for (size_t k = 0; k < sizeof r; k++)
            p[k] = (uint8_t)rnd();
        r.registered = rnd() & 1;
        r.unregistered = rnd() & 1;
        if (iter % 2)
            r.client.ip.family = (iter % 4) == 1 ? 4 : 6;
        const char *lines[2] = {row(&c), NULL};
        char reg[TABLE_LINE_MAX];
        table_regs_row_format(reg, sizeof reg, &r);
        lines[1] = reg;
        for (int k = 0; k < 2; k++) {
            const char *l = lines[k];
            size_t n = strlen(l);
            cr_assert_leq(n, TABLE_LINE_MAX - 1);
            cr_assert_eq(l[n - 1], '\n');
            for (size_t i = 0; i + 1 < n; i++)
                cr_assert(l[i] >= 0x20 && l[i] < 0x7f, "iteration %d: byte 0x%02x", iter,
                          (unsigned char)l[i]);
        }
        for (size_t k = 0; k < sizeof calls_seps / sizeof calls_seps[0]; k++)
            cr_assert_eq(lines[0][calls_seps[k]], ' ', "iteration %d: %s", iter, lines[0]);
    }
}
