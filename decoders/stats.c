/* stats.c: counter names, merge and the exit summary. */
#include "stats.h"

static const char *const stat_names[STAT__COUNT] = {
#define STAT(id, name, help) [STAT_##id] = name,
#include "stats.def"
#undef STAT
};

static const char *const stat_helps[STAT__COUNT] = {
#define STAT(id, name, help) [STAT_##id] = help,
#include "stats.def"
#undef STAT
};

const char *stats_name(enum stat_id id)
{
    return (unsigned)id < STAT__COUNT ? stat_names[id] : "?";
}

const char *stats_help(enum stat_id id)
{
    return (unsigned)id < STAT__COUNT ? stat_helps[id] : "?";
}

void stats_merge(struct stats *dst, const struct stats *src)
{
    for (int i = 0; i < STAT__COUNT; i++)
        dst->v[i] += src->v[i];
}

void stats_print(FILE *f, const struct stats *s, int all)
{
    for (int i = 0; i < STAT__COUNT; i++)
        if (all || s->v[i])
            fprintf(f, "%-24s %llu\n", stat_names[i], (unsigned long long)s->v[i]);
}

void stats_print_json(FILE *f, const struct stats *s)
{
    fputc('{', f);
    for (int i = 0; i < STAT__COUNT; i++)
        fprintf(f, "%s\"%s\":%llu", i ? "," : "", stat_names[i], (unsigned long long)s->v[i]);
    fputs("}\n", f);
}
