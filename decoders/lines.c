/* lines.c: bounded CRLF/LF line splitter and header unfolding (RFC 3261 §7.3.1, §25.1). */
#include "lines.h"

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* clang-format off */
const char lines_token_lower_tab[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x00 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x10 */
    0, '!', 0, 0, 0, '%', 0, '\'', 0, 0, '*', '+', 0, '-', '.', 0, /* 0x20 */
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 0, 0, 0, 0, 0, 0, /* 0x30 */
    0, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', /* 0x40 */
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 0, 0, 0, 0, '_', /* 0x50 */
    '`', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', /* 0x60 */
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 0, 0, 0, '~', 0, /* 0x70 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x80 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x90 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xa0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xb0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xc0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xd0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xe0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xf0 */
};
/* clang-format on */

/*
 * The first LF in [p, end), or NULL. Lines of SIP and SDP are short (a few
 * dozen bytes), where glibc's memchr spends more on its entry checks and
 * dispatch than on the search: sixteen bytes a compare here, inline, and
 * never a read outside the range.
 */
static const char *lines_find_lf(const char *p, const char *end)
{
#if defined(__SSE2__)
    const __m128i lf = _mm_set1_epi8('\n');
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, lf));
        if (m)
            return p + __builtin_ctz(m);
        p += 16;
    }
#endif
    for (; p < end; p++)
        if (*p == '\n')
            return p;
    return NULL;
}

void lines_init(struct lines *ln, const void *buf, size_t len, bool complete)
{
    ln->p = (const char *)buf;
    ln->end = ln->p + (buf ? len : 0);
    ln->complete = complete;
    ln->flags = 0;
}

/* End of the content of the physical line [start, nl): drop the CR of a CRLF, flag a bare LF. */
static const char *lines_content_end(struct lines *ln, const char *start, const char *nl)
{
    if (nl > start && nl[-1] == '\r')
        return nl - 1;
    ln->flags |= LINES_BARE_LF;
    return nl;
}

/* The rest of the range as a partial line (a trailing LF and/or CR dropped); consumes it. */
static enum lines_result lines_partial(struct lines *ln, const char *start, struct sv *line)
{
    const char *e = ln->end;
    if (e > start && e[-1] == '\n')
        e--;
    if (e > start && e[-1] == '\r')
        e--;
    *line = sv_make(start, (size_t)(e - start));
    ln->p = ln->end;
    return LINES_PARTIAL;
}

enum lines_result lines_next(struct lines *ln, struct sv *line)
{
    const char *start = ln->p;
    if (start >= ln->end) {
        *line = sv_make(ln->end, 0);
        return LINES_END;
    }
    const char *nl = lines_find_lf(start, ln->end);
    if (!nl)
        return lines_partial(ln, start, line);
    const char *ce = lines_content_end(ln, start, nl);
    *line = sv_make(start, (size_t)(ce - start));
    ln->p = nl + 1;
    return ce == start ? LINES_BLANK : LINES_LINE;
}

/*
 * One LF search per physical line; a fold is recognised by peeking at the byte
 * after the LF. The loop runs once per physical line and each pass moves q
 * past one LF, so it ends within the range.
 */
enum lines_result lines_next_header(struct lines *ln, struct sv *line)
{
    const char *start = ln->p;
    const char *q = start;
    if (start >= ln->end) {
        *line = sv_make(ln->end, 0);
        return LINES_END;
    }
    for (;;) {
        const char *nl = lines_find_lf(q, ln->end);
        if (!nl)
            return lines_partial(ln, start, line);
        const char *ce = lines_content_end(ln, q, nl);
        if (ce == start) {
            /* An empty first physical line: the blank line that ends the section. */
            *line = sv_make(start, 0);
            ln->p = nl + 1;
            return LINES_BLANK;
        }
        const char *next = nl + 1;
        if (next == ln->end && !ln->complete)
            return lines_partial(ln, start, line);
        if (next < ln->end && (*next == ' ' || *next == '\t')) {
            ln->flags |= LINES_FOLDED;
            q = next;
            continue;
        }
        *line = sv_make(start, (size_t)(ce - start));
        ln->p = next;
        return LINES_LINE;
    }
}

bool lines_split_header(struct sv line, struct sv *name, struct sv *value)
{
    return lines_split_header_key(line, name, value, NULL, 0);
}

size_t lines_unfold(struct sv v, char *dst, size_t cap, bool *truncated)
{
    size_t o = 0;
    bool cut = false;
    if (cap == 0) {
        if (truncated)
            *truncated = v.len > 0;
        return 0;
    }
    v = sv_trim(v);
    for (size_t i = 0; i < v.len;) {
        char c = v.p[i];
        if (sv_is_lws(c)) {
            /* A run of LWS: kept as written unless it holds a line break. */
            size_t j = i;
            bool brk = false;
            while (j < v.len && sv_is_lws(v.p[j])) {
                brk |= v.p[j] == '\r' || v.p[j] == '\n';
                j++;
            }
            if (brk) {
                if (o + 1 >= cap) {
                    cut = true;
                    break;
                }
                dst[o++] = ' ';
                i = j;
                continue;
            }
            /* No break: copy the run as written (each byte once, so the walk stays linear). */
            while (i < j && o + 1 < cap)
                dst[o++] = v.p[i++];
            if (i < j) {
                cut = true;
                break;
            }
            continue;
        }
        if (o + 1 >= cap) {
            cut = true;
            break;
        }
        dst[o++] = c;
        i++;
    }
    dst[o] = '\0';
    if (truncated)
        *truncated = cut;
    return o;
}
