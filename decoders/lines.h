/* lines.h: bounded CRLF/LF line splitter and header unfolding (RFC 3261 §7.3.1, §25.1). */
#ifndef SIPSCOPE_DECODERS_LINES_H
#define SIPSCOPE_DECODERS_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sv.h"

/*
 * The only line splitter of the text decoders (house style rule 9). It walks a
 * (pointer, length) range looking for LF (sixteen bytes at a time, see
 * lines.c) and never reads outside it, never writes to it and never stops at a
 * NUL byte. A line ends in CRLF or in a bare LF (tolerated, flagged); a CR not
 * followed by LF is an ordinary byte.
 *
 * Every call consumes at least one byte or returns LINES_END, so a loop over a
 * range of n bytes makes at most n + 1 calls; the total work is O(n).
 */

/* Flags gathered while walking (struct lines.flags). */
#define LINES_BARE_LF 0x1u /* some line ended in LF without CR */
#define LINES_FOLDED 0x2u  /* some header line was continued (obsolete line folding) */

enum lines_result {
    LINES_LINE,    /* *line holds a complete line, without its terminator */
    LINES_BLANK,   /* an empty line (end of a header section); *line is empty */
    LINES_PARTIAL, /* the rest of the range, not known to be a complete line (see below) */
    LINES_END,     /* no bytes left */
};

/*
 * Walking state. `complete` says whether the range holds everything there will
 * ever be (a datagram, or a header section already delimited): then a
 * terminated line at the very end is complete and cannot be folded. Without
 * it (a TCP stream still arriving) such a line is LINES_PARTIAL, because the
 * next byte may turn out to be a fold.
 */
struct lines {
    const char *p;   /* next unread byte */
    const char *end; /* one past the last byte of the range */
    bool complete;
    unsigned flags; /* LINES_BARE_LF | LINES_FOLDED seen so far */
};

/* Start walking buf[0..len). */
void lines_init(struct lines *ln, const void *buf, size_t len, bool complete);

/* Bytes of the range not yet consumed. */
static inline size_t lines_left(const struct lines *ln)
{
    return (size_t)(ln->end - ln->p);
}

/*
 * Next physical line. LINES_LINE or LINES_BLANK: the line and its terminator
 * are consumed. LINES_PARTIAL: the range ends without LF; *line holds the
 * remaining bytes (a trailing CR dropped) and everything is consumed.
 */
enum lines_result lines_next(struct lines *ln, struct sv *line);

/*
 * Next logical header line (RFC 3261 §7.3.1): a physical line together with
 * every following line that starts with SP or HTAB. The view spans the folds
 * (their CRLF and leading whitespace stay inside it; sub-parsers treat them as
 * LWS, see sv_is_lws) and excludes the final terminator.
 * LINES_BLANK: an empty line, the end of the header section, consumed.
 * LINES_PARTIAL: the range ended inside the line, or (when !complete) right
 * after its terminator, so a fold might still follow; *line holds what there
 * is (without a final CRLF), and the range is consumed.
 */
enum lines_result lines_next_header(struct lines *ln, struct sv *line);

/*
 * Split a header line "name SWS : value" (RFC 3261 §7.3.1: whitespace is
 * allowed before the colon). The name must be a non-empty token; the value is
 * trimmed of LWS. Returns false (outputs untouched) when there is no colon or
 * the name is not a token.
 */
bool lines_split_header(struct sv line, struct sv *name, struct sv *value);

/*
 * Copy a header value with its folds undone: leading/trailing LWS dropped and
 * each run of LWS that contains a line break replaced by one SP, as RFC 3261
 * §7.3.1 allows a recipient to do. Writes at most cap - 1 bytes plus a NUL
 * into dst (cap > 0) and returns the number of bytes written, not counting the
 * NUL; *truncated (optional) says whether the value did not fit.
 */
size_t lines_unfold(struct sv v, char *dst, size_t cap, bool *truncated);

/*
 * RFC 3261 §25.1 token character: alphanum / "-" / "." / "!" / "%" / "*" / "_" /
 * "+" / "`" / "'" / "~". One bit per byte value (32 values per word): this runs
 * for every byte of every header name, so it is a table, not a compare chain.
 */
static inline bool lines_is_token_char(char c)
{
    /* clang-format off */
    static const uint32_t bits[8] = {
        0,          /* 0x00-0x1f: controls */
        0x03ff6ca2, /* 0x20-0x3f: ! % ' * + - . 0-9 */
        0x87fffffe, /* 0x40-0x5f: A-Z _ */
        0x47ffffff, /* 0x60-0x7f: ` a-z ~ */
        0, 0, 0, 0, /* 0x80-0xff */
    };
    /* clang-format on */
    unsigned char u = (unsigned char)c;
    return (bits[u >> 5] >> (u & 31)) & 1u;
}

/*
 * A token character in lower case, or 0 for a byte that is not one: header
 * names are looked up case-insensitively, so the scan that checks a name's
 * bytes also folds them, in one table load per byte.
 */
extern const char lines_token_lower_tab[256];

static inline char lines_token_lower(char c)
{
    return lines_token_lower_tab[(unsigned char)c];
}

/*
 * lines_split_header, also writing the name's first key_cap bytes in lower case
 * into key (zero-padded; key_cap 0: no key), from the one scan that checks
 * them. Inline: SIP header lookup runs it on every header line.
 */
static inline bool lines_split_header_key(struct sv line, struct sv *name, struct sv *value,
                                          char *key, size_t key_cap)
{
    size_t i = 0;
    char c;
    if (key_cap)
        memset(key, 0, key_cap);
    while (i < line.len && (c = lines_token_lower(line.p[i])) != 0) {
        if (i < key_cap)
            key[i] = c;
        i++;
    }
    size_t n = i;
    while (i < line.len && (line.p[i] == ' ' || line.p[i] == '\t'))
        i++;
    if (n == 0 || i == line.len || line.p[i] != ':')
        return false;
    *name = sv_make(line.p, n);
    *value = sv_trim(sv_sub(line, i + 1, line.len));
    return true;
}

#endif
