/* test_strstore.c: the bounded string store: size classes, cuts, exhaustion, release and reuse. */
#include <criterion/criterion.h>
#include <string.h>

#include "../decoders/strstore.h"

#define SV(s) sv_make((s), strlen(s))

/* A string of n copies of c (n < sizeof buf). */
static const char *run(char *buf, size_t n, char c)
{
    memset(buf, c, n);
    buf[n] = '\0';
    return buf;
}

Test(strstore, empty_value_takes_no_block)
{
    struct strstore *s = strstore_create(1024);
    const char *f = STRSTORE_EMPTY;
    cr_assert(strstore_set(s, &f, SV(""), 64));
    cr_assert_eq(f, STRSTORE_EMPTY);
    cr_assert_eq(strstore_used(s), 0);
    /* a value whose first byte is NUL is empty as a C string */
    cr_assert(strstore_set(s, &f, sv_make("\0abc", 4), 64));
    cr_assert_str_eq(f, "");
    cr_assert_eq(strstore_used(s), 0);
    strstore_destroy(s);
}

Test(strstore, value_is_copied_into_the_smallest_class)
{
    struct strstore *s = strstore_create(4096);
    char buf[200];
    const char *f = STRSTORE_EMPTY;
    /* 15 chars + NUL fit 16; 16 chars need 32; 127 need 128 */
    static const struct {
        size_t len;
        size_t block;
    } cases[] = {
        {1, 16}, {15, 16}, {16, 32}, {31, 32}, {32, 64}, {63, 64}, {64, 128}, {127, 128},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_assert(strstore_set(s, &f, SV(run(buf, cases[i].len, 'a' + (char)i)), STRSTORE_MAX));
        cr_assert_str_eq(f, buf);
        cr_assert(strstore_owns(s, f));
        cr_assert_eq(strstore_used(s), cases[i].block, "%zu chars: %zu bytes used", cases[i].len,
                     strstore_used(s));
    }
    strstore_clear(s, &f);
    cr_assert_eq(f, STRSTORE_EMPTY);
    cr_assert_eq(strstore_used(s), 0);
    strstore_destroy(s);
}

Test(strstore, long_value_is_cut_to_the_cap_and_says_so)
{
    struct strstore *s = strstore_create(4096);
    char buf[5000];
    const char *f = STRSTORE_EMPTY;
    /* a 4000-byte header value into a 96-byte field: 95 chars kept, reported cut */
    cr_assert_not(strstore_set(s, &f, SV(run(buf, 4000, 'x')), 96));
    cr_assert_eq(strlen(f), 95);
    cr_assert_eq(strstore_full(s), 0, "a cut to the cap is not the store being full");
    /* exactly cap - 1 chars is whole */
    cr_assert(strstore_set(s, &f, SV(run(buf, 95, 'y')), 96));
    cr_assert_eq(strlen(f), 95);
    /* a cap above the largest block is taken as the largest block */
    cr_assert_not(strstore_set(s, &f, SV(run(buf, 300, 'z')), 1000));
    cr_assert_eq(strlen(f), STRSTORE_MAX - 1);
    /* cap 0 keeps nothing */
    cr_assert_not(strstore_set(s, &f, SV("abc"), 0));
    cr_assert_eq(f, STRSTORE_EMPTY);
    strstore_destroy(s);
}

Test(strstore, nul_inside_ends_the_string)
{
    struct strstore *s = strstore_create(1024);
    const char *f = STRSTORE_EMPTY;
    /* "ab\0cd": whole as a value (5 bytes fit), but the C string is "ab" and takes 16 bytes */
    cr_assert(strstore_set(s, &f, sv_make("ab\0cd", 5), 64));
    cr_assert_str_eq(f, "ab");
    cr_assert_eq(strstore_used(s), 16);
    strstore_clear(s, &f);
    cr_assert_eq(strstore_used(s), 0);
    strstore_destroy(s);
}

Test(strstore, exhaustion_is_counted_and_never_overruns)
{
    /* One largest block: 128 bytes, i.e. eight 16-byte blocks. */
    struct strstore *s = strstore_create(100);
    cr_assert_eq(strstore_capacity(s), STRSTORE_MAX);
    const char *f[9];
    char buf[64];
    for (int i = 0; i < 8; i++) {
        f[i] = STRSTORE_EMPTY;
        cr_assert(strstore_set(s, &f[i], SV(run(buf, 15, (char)('a' + i))), 64));
    }
    cr_assert_eq(strstore_used(s), 128);
    f[8] = STRSTORE_EMPTY;
    cr_assert_not(strstore_set(s, &f[8], SV("one too many"), 64));
    cr_assert_eq(f[8], STRSTORE_EMPTY);
    cr_assert_eq(strstore_full(s), 1);
    /* the others are intact */
    for (int i = 0; i < 8; i++)
        cr_assert_str_eq(f[i], run(buf, 15, (char)('a' + i)));
    /* freeing one makes room again */
    strstore_clear(s, &f[3]);
    cr_assert(strstore_set(s, &f[8], SV("room again"), 64));
    cr_assert_str_eq(f[8], "room again");
    strstore_destroy(s);
}

Test(strstore, full_store_cuts_to_the_largest_free_block)
{
    struct strstore *s = strstore_create(STRSTORE_MAX);
    const char *a = STRSTORE_EMPTY, *b = STRSTORE_EMPTY, *c = STRSTORE_EMPTY;
    char buf[200];
    cr_assert(strstore_set(s, &a, SV(run(buf, 63, 'a')), 128)); /* 64 of 128 */
    cr_assert(strstore_set(s, &b, SV(run(buf, 31, 'b')), 128)); /* 32 more */
    /* 100 chars want 128: only 32 bytes are left, so 31 chars are kept and it is counted */
    cr_assert_not(strstore_set(s, &c, SV(run(buf, 100, 'c')), 128));
    cr_assert_eq(strlen(c), 31);
    cr_assert_eq(strstore_full(s), 1);
    cr_assert_str_eq(a, run(buf, 63, 'a'));
    cr_assert_str_eq(b, run(buf, 31, 'b'));
    strstore_destroy(s);
}

Test(strstore, freed_large_block_splits_for_small_values)
{
    struct strstore *s = strstore_create(STRSTORE_MAX);
    const char *big = STRSTORE_EMPTY;
    char buf[200];
    cr_assert(strstore_set(s, &big, SV(run(buf, 127, 'q')), 128));
    cr_assert_eq(strstore_used(s), 128);
    strstore_clear(s, &big);
    /* the region is spent, but the free 128-byte block splits into eight 16-byte ones */
    const char *f[8];
    for (int i = 0; i < 8; i++) {
        f[i] = STRSTORE_EMPTY;
        cr_assert(strstore_set(s, &f[i], SV(run(buf, 10, (char)('a' + i))), 64), "value %d", i);
    }
    for (int i = 0; i < 8; i++)
        cr_assert_str_eq(f[i], run(buf, 10, (char)('a' + i)));
    cr_assert_eq(strstore_full(s), 0);
    strstore_destroy(s);
}

Test(strstore, release_and_reuse_keeps_the_footprint_flat)
{
    /* 100000 values set and replaced in a 1 KiB store: each set frees the old value first. */
    struct strstore *s = strstore_create(1024);
    const char *f[4] = {STRSTORE_EMPTY, STRSTORE_EMPTY, STRSTORE_EMPTY, STRSTORE_EMPTY};
    char buf[200];
    for (int i = 0; i < 100000; i++) {
        size_t len = (size_t)(i * 37 % 127) + 1;
        cr_assert(strstore_set(s, &f[i % 4], SV(run(buf, len, (char)('a' + i % 26))), 128));
        cr_assert_str_eq(f[i % 4], buf);
    }
    cr_assert_eq(strstore_full(s), 0);
    cr_assert_leq(strstore_used(s), 4 * STRSTORE_MAX);
    for (int i = 0; i < 4; i++)
        strstore_clear(s, &f[i]);
    cr_assert_eq(strstore_used(s), 0);
    strstore_destroy(s);
}

Test(strstore, static_strings_are_never_freed)
{
    static const char label[] = "180 Ringing";
    struct strstore *s = strstore_create(1024);
    const char *f = STRSTORE_EMPTY;
    cr_assert(strstore_set(s, &f, SV("from the store"), 64));
    strstore_set_static(s, &f, label);
    cr_assert_eq(f, label);
    cr_assert_eq(strstore_used(s), 0, "the stored value was freed");
    cr_assert_not(strstore_owns(s, label));
    strstore_clear(s, &f);
    cr_assert_str_eq(label, "180 Ringing");
    cr_assert_eq(f, STRSTORE_EMPTY);
    /* clearing a NULL field (a zeroed record) is safe */
    const char *z = NULL;
    strstore_clear(s, &z);
    cr_assert_eq(z, STRSTORE_EMPTY);
    strstore_destroy(s);
}
