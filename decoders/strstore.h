/* strstore.h: bounded store of short strings in size classes, for the text fields of records (no
 * malloc after create). */
#ifndef SIPSCOPE_DECODERS_STRSTORE_H
#define SIPSCOPE_DECODERS_STRSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sv.h"

/*
 * Records keep their text fields (Call-ID, From, tags, codec names...) as
 * `const char *` into a store rather than as fixed char arrays sized for the
 * longest value: most values are far shorter than their cap. A field is
 * always a valid C string: STRSTORE_EMPTY ("") when empty, a string of the
 * store, or a string with static storage the caller chose (a table entry).
 *
 * The store is one region allocated at create time and carved into blocks of
 * STRSTORE_CLASSES size classes (16, 32, 64, 128 bytes): a string of n bytes
 * takes the smallest block that holds n + 1. Each class keeps a free list
 * threaded through its free blocks; a class with none takes a new block from
 * the untouched end of the region, or splits a free block of a larger class.
 * A block's class is known from its string's length, so blocks carry no
 * header. Blocks are never merged again: the region is sized for the records'
 * average, and what does not fit is cut and counted (never lost silently).
 *
 * Pages of the region are touched only when first used: its resident size
 * follows the strings held at once, not the size given to create.
 */
#define STRSTORE_MIN 16u                                      /* smallest block */
#define STRSTORE_CLASSES 4                                    /* 16, 32, 64, 128 */
#define STRSTORE_MAX (STRSTORE_MIN << (STRSTORE_CLASSES - 1)) /* largest block: 127 chars + NUL */

extern const char STRSTORE_EMPTY[]; /* "": what an empty field points at */

struct strstore;

/* A store of `bytes` (rounded down to whole largest blocks, at least one); NULL: no memory. */
struct strstore *strstore_create(size_t bytes);
void strstore_destroy(struct strstore *s);

/*
 * Set *field to a copy of v: its bytes up to the first NUL, at most cap - 1
 * of them (cap <= STRSTORE_MAX), freeing what *field held before. Returns
 * false when the value was cut: longer than cap - 1 (as sv_copy() says), or
 * cut further because the store had no block big enough (then it keeps what
 * the largest free block holds, maybe nothing, and counts it in
 * strstore_full()). An empty value takes no block.
 */
bool strstore_set(struct strstore *s, const char **field, struct sv v, size_t cap);

/* The same, from a C string. */
bool strstore_set_cstr(struct strstore *s, const char **field, const char *str, size_t cap);

/*
 * Set *field to a string with static storage (a table entry, a literal),
 * freeing what it held. The store never frees such a string.
 */
void strstore_set_static(struct strstore *s, const char **field, const char *str);

/*
 * A block of at least `bytes` (1..STRSTORE_MAX) for other short data a record
 * owns (an array of pointers to its strings); NULL when none is free (counted
 * in strstore_full()). Give it back with strstore_block_put and the same size.
 */
void *strstore_block_get(struct strstore *s, size_t bytes);
void strstore_block_put(struct strstore *s, void *p, size_t bytes);

/* Free what *field holds (if the store's) and make it STRSTORE_EMPTY. */
void strstore_clear(struct strstore *s, const char **field);

/* Does p point into the store's region? */
bool strstore_owns(const struct strstore *s, const char *p);

/* Strings cut because no block was free (see strstore_set). */
uint64_t strstore_full(const struct strstore *s);
/* Bytes in blocks that hold strings now, and the region's size. */
size_t strstore_used(const struct strstore *s);
size_t strstore_capacity(const struct strstore *s);

#endif
