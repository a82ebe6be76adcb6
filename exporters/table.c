/* table.c: fixed-width text tables for the calls command and REGISTER bindings (DESIGN.md "Command
 * line"). */
#include "table.h"

#include <string.h>

#include "cdr.h"
#include "json.h"

#define TABLE_CELL_MAX 128 /* longest cell kept: CALL_ID_MAX, for the uncut last column */
#define TABLE_MAX_COLS 16

struct table_col {
    const char *name;
    uint8_t width;
    bool right; /* numbers are right-aligned */
};

enum table_call_col {
    TC_START,
    TC_DURATION,
    TC_STATE,
    TC_CODE,
    TC_FROM,
    TC_TO,
    TC_SETUP,
    TC_MSGS,
    TC_CALL_ID,
    TC__COUNT
};

/* 23+10+9+4+13+13+9+5+26 plus 8 separating spaces = TABLE_WIDTH */
static const struct table_col table_call_cols[TC__COUNT] = {
    [TC_START] = {"START", 23, false},     [TC_DURATION] = {"DURATION_S", 10, true},
    [TC_STATE] = {"STATE", 9, false},      [TC_CODE] = {"CODE", 4, true},
    [TC_FROM] = {"FROM", 13, false},       [TC_TO] = {"TO", 13, false},
    [TC_SETUP] = {"SETUP_MS", 9, true},    [TC_MSGS] = {"MSGS", 5, true},
    [TC_CALL_ID] = {"CALL_ID", 26, false},
};

enum table_reg_col {
    TR_AOR,
    TR_CONTACT,
    TR_CLIENT,
    TR_STATE,
    TR_CHALLENGES,
    TR_REFRESHES,
    TR_EXPIRES,
    TR__COUNT
};

/* 24+28+22+12+10+9+9 plus 6 separating spaces = TABLE_WIDTH */
static const struct table_col table_reg_cols[TR__COUNT] = {
    [TR_AOR] = {"AOR", 24, false},
    [TR_CONTACT] = {"CONTACT", 28, false},
    [TR_CLIENT] = {"CLIENT", 22, false},
    [TR_STATE] = {"STATE", 12, false},
    [TR_CHALLENGES] = {"CHALLENGES", 10, true},
    [TR_REFRESHES] = {"REFRESHES", 9, true},
    [TR_EXPIRES] = {"EXPIRES_S", 9, true},
};

_Static_assert(TC__COUNT <= TABLE_MAX_COLS && TR__COUNT <= TABLE_MAX_COLS, "table_header names[]");

struct table_line {
    char *buf;
    size_t cap, len;
};

static void line_put(struct table_line *l, char c)
{
    if (l->cap && l->len < l->cap - 1) {
        l->buf[l->len++] = c;
        l->buf[l->len] = '\0';
    }
}

/*
 * Lay out one row: each cell padded or cut to its column, separated by one
 * space; the last cell is not padded and trailing spaces are dropped.
 */
static size_t table_row(char *buf, size_t cap, const struct table_col *cols, size_t n,
                        const char *const *cells)
{
    struct table_line l = {buf, cap, 0};
    if (cap)
        buf[0] = '\0';
    for (size_t k = 0; k < n; k++) {
        const char *s = cells[k] ? cells[k] : "-";
        size_t w = cols[k].width, len = strnlen(s, TABLE_CELL_MAX);
        bool last = k + 1 == n;
        bool cut = len > w && !last; /* the last column runs on: a Call-ID must stay whole */
        size_t shown = cut ? w - 1 : len;
        size_t pad = len >= w ? 0 : w - len;
        if (k)
            line_put(&l, ' ');
        if (cols[k].right)
            for (size_t p = 0; p < pad; p++)
                line_put(&l, ' ');
        for (size_t i = 0; i < shown; i++) {
            unsigned char c = (unsigned char)s[i];
            line_put(&l, c >= 0x20 && c < 0x7f ? (char)c : '?');
        }
        if (cut)
            line_put(&l, '~');
        if (!cols[k].right)
            for (size_t p = 0; p < pad; p++)
                line_put(&l, ' ');
    }
    while (l.len && l.buf[l.len - 1] == ' ')
        l.buf[--l.len] = '\0';
    line_put(&l, '\n');
    return l.len;
}

static size_t table_header(char *buf, size_t cap, const struct table_col *cols, size_t n)
{
    const char *names[TABLE_MAX_COLS];
    for (size_t k = 0; k < n && k < TABLE_MAX_COLS; k++)
        names[k] = cols[k].name;
    return table_row(buf, cap, cols, n, names);
}

/* A number with `decimals`, fewer if it does not fit in width, then ">999..". */
static const char *table_num(char *out, size_t cap, double v, int decimals, size_t width)
{
    for (int d = decimals; d >= 0; d--) {
        struct json j;
        json_init(&j, out, cap);
        json_double(&j, v, d);
        if (json_ok(&j) && j.len <= width)
            return out;
    }
    size_t k = 0;
    out[k++] = '>';
    while (k < width && k < cap - 1)
        out[k++] = '9';
    out[k] = '\0';
    return out;
}

static const char *table_uint(char *out, size_t cap, uint64_t v, size_t width)
{
    return table_num(out, cap, (double)v, 0, width);
}

/* "2024-03-01 12:10:00.000" (UTC, milliseconds truncated); "-" for 0. */
static const char *table_time(char *out, size_t cap, uint64_t ns)
{
    if (ns == 0)
        return NULL;
    char ts[JSON_TS_LEN + 1];
    json_ts_format(ns, ts); /* 2024-03-01T12:10:00.150000Z */
    ts[10] = ' ';
    ts[23] = '\0';
    snprintf(out, cap, "%s", ts);
    return out;
}

/* A fixed-size field that may lack its NUL: a bounded copy; NULL when empty. */
static const char *table_field(char *out, size_t cap, const char *field, size_t field_cap)
{
    size_t n = strnlen(field, field_cap);
    if (n == 0)
        return NULL;
    if (n > cap - 1)
        n = cap - 1;
    memcpy(out, field, n);
    out[n] = '\0';
    return out;
}

#define TABLE_FIELD(out, rec, member)                                                              \
    table_field((out), sizeof(out), (rec)->member, sizeof(rec)->member)
/* A call's text field (a pointer: see call.h) */
#define TABLE_CALL_FIELD(out, c, member)                                                           \
    table_field((out), sizeof(out), (c)->member, CALL_FIELD_MAX)

size_t table_calls_header_format(char *buf, size_t cap)
{
    return table_header(buf, cap, table_call_cols, TC__COUNT);
}

size_t table_calls_row_format(char *buf, size_t cap, const struct call *c)
{
    char start[32], dur[16], code[16], setup[16], msgs[16];
    char from[TABLE_CELL_MAX], to[TABLE_CELL_MAX], call_id[TABLE_CELL_MAX];
    const char *cells[TC__COUNT] = {0};

    cells[TC_START] = table_time(start, sizeof start, c->start_ns);
    double duration = call_duration_s(c);
    if (duration >= 0)
        cells[TC_DURATION] =
            table_num(dur, sizeof dur, duration, 3, table_call_cols[TC_DURATION].width);
    const char *state = call_state_name(c->state);
    cells[TC_STATE] = state ? state : "?";
    if (c->final_code)
        cells[TC_CODE] =
            table_uint(code, sizeof code, c->final_code, table_call_cols[TC_CODE].width);
    cells[TC_FROM] = TABLE_CALL_FIELD(from, c, from_user);
    if (!cells[TC_FROM])
        cells[TC_FROM] = TABLE_CALL_FIELD(from, c, from);
    cells[TC_TO] = TABLE_CALL_FIELD(to, c, to_user);
    if (!cells[TC_TO])
        cells[TC_TO] = TABLE_CALL_FIELD(to, c, to);
    if (c->start_ns && c->ringing_ns && c->ringing_ns >= c->start_ns)
        cells[TC_SETUP] =
            table_num(setup, sizeof setup, (double)(c->ringing_ns - c->start_ns) / 1e6, 3,
                      table_call_cols[TC_SETUP].width);
    cells[TC_MSGS] = table_uint(msgs, sizeof msgs, c->sip_messages, table_call_cols[TC_MSGS].width);
    cells[TC_CALL_ID] = TABLE_CALL_FIELD(call_id, c, call_id);
    return table_row(buf, cap, table_call_cols, TC__COUNT, cells);
}

size_t table_regs_header_format(char *buf, size_t cap)
{
    return table_header(buf, cap, table_reg_cols, TR__COUNT);
}

size_t table_regs_row_format(char *buf, size_t cap, const struct registration *r)
{
    char aor[TABLE_CELL_MAX], contact[TABLE_CELL_MAX], client[ADDR_STR_MAX];
    char chal[16], refr[16], exp[16];
    const char *cells[TR__COUNT] = {0};

    cells[TR_AOR] = TABLE_FIELD(aor, r, aor);
    cells[TR_CONTACT] = TABLE_FIELD(contact, r, contact);
    if (r->client.ip.family == 4 || r->client.ip.family == 6)
        cells[TR_CLIENT] = endpoint_format(&r->client, client, sizeof client);
    cells[TR_STATE] = r->registered ? "registered" : r->unregistered ? "unregistered" : "failed";
    cells[TR_CHALLENGES] =
        table_uint(chal, sizeof chal, r->challenges, table_reg_cols[TR_CHALLENGES].width);
    cells[TR_REFRESHES] =
        table_uint(refr, sizeof refr, r->refreshes, table_reg_cols[TR_REFRESHES].width);
    if (r->registered)
        cells[TR_EXPIRES] =
            table_uint(exp, sizeof exp, r->expires_s, table_reg_cols[TR_EXPIRES].width);
    return table_row(buf, cap, table_reg_cols, TR__COUNT, cells);
}

static int table_write(FILE *f, const char *line, size_t len)
{
    return fwrite(line, 1, len, f) == len ? 0 : -1;
}

int table_calls_header(FILE *f)
{
    char line[TABLE_LINE_MAX];
    return table_write(f, line, table_calls_header_format(line, sizeof line));
}

int table_calls_row(FILE *f, const struct call *c)
{
    char line[TABLE_LINE_MAX];
    return table_write(f, line, table_calls_row_format(line, sizeof line, c));
}

int table_regs_header(FILE *f)
{
    char line[TABLE_LINE_MAX];
    return table_write(f, line, table_regs_header_format(line, sizeof line));
}

int table_regs_row(FILE *f, const struct registration *r)
{
    char line[TABLE_LINE_MAX];
    return table_write(f, line, table_regs_row_format(line, sizeof line, r));
}

const char *table_printable(const char *s, char *buf, size_t cap)
{
    size_t k = 0;
    if (cap == 0)
        return "";
    for (; s && s[k] && k < cap - 1; k++) {
        unsigned char ch = (unsigned char)s[k];
        buf[k] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
    }
    buf[k] = '\0';
    return buf;
}
