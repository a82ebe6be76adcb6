/* stats.h: counters from the X-macro list in stats.def (house style rule 13). */
#ifndef SIPSCOPE_DECODERS_STATS_H
#define SIPSCOPE_DECODERS_STATS_H

#include <stdint.h>
#include <stdio.h>

enum stat_id {
#define STAT(id, name, help) STAT_##id,
#include "stats.def"
#undef STAT
    STAT__COUNT
};

/* One set per thread; plain integers, summed into a snapshot for output. */
struct stats {
    uint64_t v[STAT__COUNT];
};

static inline void stats_inc(struct stats *s, enum stat_id id)
{
    s->v[id]++;
}

static inline void stats_add(struct stats *s, enum stat_id id, uint64_t n)
{
    s->v[id] += n;
}

const char *stats_name(enum stat_id id);
const char *stats_help(enum stat_id id);

/* dst += src, counter by counter. */
void stats_merge(struct stats *dst, const struct stats *src);

/* Print non-zero counters as "name value" lines (or all with all != 0). */
void stats_print(FILE *f, const struct stats *s, int all);
/* Print the counters as one JSON object on one line. */
void stats_print_json(FILE *f, const struct stats *s);

#endif
