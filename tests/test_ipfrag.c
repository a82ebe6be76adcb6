/* test_ipfrag.c: fragment reassembly table (RFC 791 §3.2, RFC 8200 §4.5, RFC 5722 overlaps). */
#include <criterion/criterion.h>
#include <string.h>

#include "../sensor/ipfrag.h"

#define S_NS 1000000000ull

static struct stats st;
static struct ipfrag *F;
static uint8_t data[IPFRAG_MAX_DATAGRAM + 16];

static void setup(void)
{
    memset(&st, 0, sizeof st);
    F = ipfrag_create(4, 30, &st);
    cr_assert_not_null(F);
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7 + 3);
}

static void teardown(void)
{
    ipfrag_destroy(F);
}

TestSuite(ipfrag, .init = setup, .fini = teardown);

static struct ipfrag_key key4(uint32_t id)
{
    struct ipfrag_key k;
    memset(&k, 0, sizeof k);
    k.src.family = 4;
    k.src.b[0] = 192, k.src.b[1] = 0, k.src.b[2] = 2, k.src.b[3] = 10;
    k.dst.family = 4;
    k.dst.b[0] = 198, k.dst.b[1] = 51, k.dst.b[2] = 100, k.dst.b[3] = 20;
    k.id = id;
    k.proto = 17;
    return k;
}

/* Add bytes [off, off+len) of `data` as one fragment of set `id`. */
static enum status add(uint32_t id, uint32_t off, size_t len, bool more, uint64_t ts,
                       const uint8_t **out, size_t *out_len)
{
    struct ipfrag_frag fr = {key4(id), off, more, data + off, len, ts};
    return ipfrag_add(F, &fr, out, out_len);
}

Test(ipfrag, create_clamps_and_defaults)
{
    struct stats s2 = {{0}};
    struct ipfrag *f = ipfrag_create(0, 0, &s2);
    cr_assert_eq(ipfrag_capacity(f), IPFRAG_DEFAULT_SETS);
    cr_assert_eq(ipfrag_in_use(f), 0);
    ipfrag_destroy(f);
    f = ipfrag_create(IPFRAG_MAX_SETS + 5, 1, &s2);
    cr_assert_eq(ipfrag_capacity(f), IPFRAG_MAX_SETS);
    ipfrag_destroy(f);
    cr_assert_eq(ipfrag_capacity(F), 4);
}

Test(ipfrag, in_order_completes_on_last)
{
    const uint8_t *out;
    size_t n;
    cr_assert_eq(add(1, 0, 1480, true, 1, &out, &n), STATUS_NEED_MORE);
    cr_assert_null(out);
    cr_assert_eq(add(1, 1480, 1480, true, 2, &out, &n), STATUS_NEED_MORE);
    cr_assert_eq(ipfrag_in_use(F), 1);
    cr_assert_eq(add(1, 2960, 101, false, 3, &out, &n), STATUS_OK);
    cr_assert_eq(n, 3061);
    cr_assert_eq(memcmp(out, data, 3061), 0);
    cr_assert_eq(st.v[STAT_FRAG_IN], 3);
    cr_assert_eq(st.v[STAT_FRAG_REASSEMBLED], 1);
    cr_assert_eq(st.v[STAT_FRAG_BAD], 0);
    /* held until release, then free */
    cr_assert_eq(ipfrag_in_use(F), 1);
    ipfrag_release(F);
    cr_assert_eq(ipfrag_in_use(F), 0);
}

Test(ipfrag, reverse_order_completes_on_first)
{
    const uint8_t *out;
    size_t n;
    cr_assert_eq(add(2, 16, 5, false, 1, &out, &n), STATUS_NEED_MORE);
    cr_assert_eq(add(2, 8, 8, true, 2, &out, &n), STATUS_NEED_MORE);
    cr_assert_eq(add(2, 0, 8, true, 3, &out, &n), STATUS_OK);
    cr_assert_eq(n, 21);
    cr_assert_eq(memcmp(out, data, 21), 0);
}

Test(ipfrag, exact_repeat_is_ignored)
{
    const uint8_t *out;
    size_t n;
    cr_assert_eq(add(3, 0, 16, true, 1, &out, &n), STATUS_NEED_MORE);
    cr_assert_eq(add(3, 0, 16, true, 2, &out, &n), STATUS_NEED_MORE);
    cr_assert_eq(add(3, 16, 4, false, 3, &out, &n), STATUS_OK);
    cr_assert_eq(n, 20);
    cr_assert_eq(st.v[STAT_FRAG_BAD], 0);
    cr_assert_eq(st.v[STAT_FRAG_IN], 3);
}

Test(ipfrag, repeat_with_other_bytes_is_bad)
{
    const uint8_t *out;
    size_t n;
    cr_assert_eq(add(4, 0, 16, true, 1, &out, &n), STATUS_NEED_MORE);
    struct ipfrag_frag fr = {key4(4), 0, true, data + 100, 16, 2};
    cr_assert_eq(ipfrag_add(F, &fr, &out, &n), STATUS_MALFORMED);
    cr_assert_eq(st.v[STAT_FRAG_BAD], 1);
    cr_assert_eq(ipfrag_in_use(F), 0, "the set is discarded (RFC 5722)");
}

Test(ipfrag, partial_overlap_is_bad)
{
    const uint8_t *out;
    size_t n;
    cr_assert_eq(add(5, 0, 24, true, 1, &out, &n), STATUS_NEED_MORE);
    /* same bytes, but straddling held and new blocks: still an overlap */
    cr_assert_eq(add(5, 16, 16, true, 2, &out, &n), STATUS_MALFORMED);
    cr_assert_eq(st.v[STAT_FRAG_BAD], 1);
    cr_assert_eq(ipfrag_in_use(F), 0);
}

Test(ipfrag, unaligned_middle_fragment_is_bad)
{
    const uint8_t *out;
    size_t n;
    cr_assert_eq(add(6, 0, 13, true, 1, &out, &n), STATUS_MALFORMED);
    cr_assert_eq(add(6, 0, 0, true, 1, &out, &n), STATUS_MALFORMED, "empty non-final fragment");
    struct ipfrag_frag fr = {key4(6), 4, true, data, 8, 1};
    cr_assert_eq(ipfrag_add(F, &fr, &out, &n), STATUS_MALFORMED, "offset not a multiple of 8");
    cr_assert_eq(st.v[STAT_FRAG_BAD], 3);
    cr_assert_eq(ipfrag_in_use(F), 0);
}

Test(ipfrag, two_final_lengths_are_bad)
{
    const uint8_t *out;
    size_t n;
    cr_assert_eq(add(7, 8, 10, false, 1, &out, &n), STATUS_NEED_MORE);
    cr_assert_eq(add(7, 8, 12, false, 2, &out, &n), STATUS_MALFORMED);
    cr_assert_eq(st.v[STAT_FRAG_BAD], 1);
}

Test(ipfrag, data_past_final_length_is_bad)
{
    const uint8_t *out;
    size_t n;
    cr_assert_eq(add(8, 16, 4, false, 1, &out, &n), STATUS_NEED_MORE);
    cr_assert_eq(add(8, 16, 8, true, 2, &out, &n), STATUS_MALFORMED);
    cr_assert_eq(add(9, 24, 8, true, 1, &out, &n), STATUS_NEED_MORE);
    cr_assert_eq(add(9, 8, 4, false, 2, &out, &n), STATUS_MALFORMED, "final ends before held data");
    cr_assert_eq(st.v[STAT_FRAG_BAD], 2);
}

Test(ipfrag, largest_datagram_fits_one_more_byte_does_not)
{
    const uint8_t *out;
    size_t n;
    /* 65535 = 65528 (8189 blocks) + 7 */
    cr_assert_eq(add(10, 0, 65528, true, 1, &out, &n), STATUS_NEED_MORE);
    cr_assert_eq(add(10, 65528, 7, false, 2, &out, &n), STATUS_OK);
    cr_assert_eq(n, IPFRAG_MAX_DATAGRAM);
    cr_assert_eq(memcmp(out, data, n), 0);
    cr_assert_eq(add(11, 65528, 8, false, 3, &out, &n), STATUS_MALFORMED, "ping of death");
    cr_assert_eq(st.v[STAT_FRAG_BAD], 1);
}

Test(ipfrag, zero_length_final_fragment_completes)
{
    const uint8_t *out;
    size_t n;
    cr_assert_eq(add(12, 0, 16, true, 1, &out, &n), STATUS_NEED_MORE);
    cr_assert_eq(add(12, 16, 0, false, 2, &out, &n), STATUS_OK);
    cr_assert_eq(n, 16);
}

Test(ipfrag, keys_differ_by_each_field)
{
    const uint8_t *out;
    size_t n;
    struct ipfrag_key k[4] = {key4(20), key4(20), key4(20), key4(21)};
    k[1].proto = 6;
    k[2].src.b[3] = 11;
    for (int i = 0; i < 4; i++) {
        struct ipfrag_frag fr = {k[i], 0, true, data, 8, 1};
        cr_assert_eq(ipfrag_add(F, &fr, &out, &n), STATUS_NEED_MORE);
    }
    cr_assert_eq(ipfrag_in_use(F), 4);
    /* an IPv6 key with the same leading bytes is yet another set: table full, oldest goes */
    struct ipfrag_key k6 = key4(20);
    k6.src.family = k6.dst.family = 6;
    struct ipfrag_frag fr6 = {k6, 0, true, data, 8, 2};
    cr_assert_eq(ipfrag_add(F, &fr6, &out, &n), STATUS_NEED_MORE);
    cr_assert_eq(st.v[STAT_FRAG_EVICTED], 1);
    cr_assert_eq(ipfrag_in_use(F), 4);
}

Test(ipfrag, timeout_runs_on_packet_time)
{
    const uint8_t *out;
    size_t n;
    cr_assert_eq(add(30, 0, 8, true, 100 * S_NS, &out, &n), STATUS_NEED_MORE);
    cr_assert_eq(add(31, 0, 8, true, 110 * S_NS, &out, &n), STATUS_NEED_MORE);
    ipfrag_expire(F, 130 * S_NS); /* exactly 30 s: still in time */
    cr_assert_eq(ipfrag_in_use(F), 2);
    ipfrag_expire(F, 130 * S_NS + 1);
    cr_assert_eq(ipfrag_in_use(F), 1);
    cr_assert_eq(st.v[STAT_FRAG_EVICTED], 1);
    ipfrag_expire(F, 50 * S_NS); /* time going backwards expires nothing */
    cr_assert_eq(ipfrag_in_use(F), 1);
    ipfrag_expire(F, 1000 * S_NS);
    cr_assert_eq(ipfrag_in_use(F), 0);
    cr_assert_eq(st.v[STAT_FRAG_EVICTED], 2);
    /* the late rest of set 30 starts a new set: it never completes the evicted one */
    cr_assert_eq(add(30, 8, 3, false, 1001 * S_NS, &out, &n), STATUS_NEED_MORE);
}

Test(ipfrag, full_table_evicts_the_oldest)
{
    const uint8_t *out;
    size_t n;
    for (uint32_t id = 40; id < 44; id++)
        cr_assert_eq(add(id, 0, 8, true, id, &out, &n), STATUS_NEED_MORE);
    cr_assert_eq(add(44, 0, 8, true, 50, &out, &n), STATUS_NEED_MORE);
    cr_assert_eq(st.v[STAT_FRAG_EVICTED], 1);
    /* 40 was the oldest: its final fragment now only opens a new set (evicting 41) */
    cr_assert_eq(add(40, 8, 2, false, 51, &out, &n), STATUS_NEED_MORE);
    cr_assert_eq(st.v[STAT_FRAG_EVICTED], 2);
    cr_assert_eq(add(42, 8, 2, false, 52, &out, &n), STATUS_OK, "42 survived");
    cr_assert_eq(n, 10);
}

Test(ipfrag, held_datagram_survives_until_release)
{
    struct stats s2 = {{0}};
    struct ipfrag *f = ipfrag_create(2, 30, &s2);
    const uint8_t *a, *b;
    size_t na, nb;
    struct ipfrag_frag fr = {key4(1), 0, false, NULL, 0, 1};
    fr.more = true, fr.data = data, fr.len = 8;
    cr_assert_eq(ipfrag_add(f, &fr, &a, &na), STATUS_NEED_MORE);
    fr.offset = 8, fr.more = false, fr.data = data + 8, fr.len = 8;
    cr_assert_eq(ipfrag_add(f, &fr, &a, &na), STATUS_OK);
    /* a nested fragment whose bytes live in the held buffer: copied into another set */
    struct ipfrag_frag in = {key4(2), 0, true, a, 8, 1};
    cr_assert_eq(ipfrag_add(f, &in, &b, &nb), STATUS_NEED_MORE);
    /* the table is full (one held, one open): a third set evicts the open one, not the held */
    struct ipfrag_frag third = {key4(3), 0, true, data, 8, 1};
    cr_assert_eq(ipfrag_add(f, &third, &b, &nb), STATUS_NEED_MORE);
    cr_assert_eq(s2.v[STAT_FRAG_EVICTED], 1);
    cr_assert_eq(memcmp(a, data, 16), 0, "held bytes untouched");
    ipfrag_release(f);
    cr_assert_eq(ipfrag_in_use(f), 1);
    ipfrag_destroy(f);
}

Test(ipfrag, many_completions_in_one_frame_are_bounded)
{
    struct stats s2 = {{0}};
    struct ipfrag *f = ipfrag_create(16, 30, &s2);
    const uint8_t *o;
    size_t n;
    for (uint32_t id = 0; id < IPFRAG_MAX_PINNED; id++) {
        struct ipfrag_frag fr = {key4(id), 8, false, data, 4, 1};
        cr_assert_eq(ipfrag_add(f, &fr, &o, &n), STATUS_NEED_MORE);
        fr.offset = 0, fr.more = true, fr.len = 8;
        cr_assert_eq(ipfrag_add(f, &fr, &o, &n), STATUS_OK);
    }
    struct ipfrag_frag fr = {key4(99), 0, true, data, 8, 1};
    cr_assert_eq(ipfrag_add(f, &fr, &o, &n), STATUS_FULL);
    ipfrag_release(f);
    cr_assert_eq(ipfrag_add(f, &fr, &o, &n), STATUS_NEED_MORE);
    ipfrag_destroy(f);
}

Test(ipfrag, hostile_stream_never_grows_past_capacity)
{
    const uint8_t *out;
    size_t n;
    uint32_t x = 12345;
    for (int i = 0; i < 20000; i++) {
        x = x * 1103515245u + 12345u;
        uint32_t id = (x >> 8) % 7;
        uint32_t off = ((x >> 12) % 64) * 8;
        size_t len = (x >> 20) % 40;
        bool more = x & 1;
        enum status s = add(id, off, len, more, (uint64_t)i * 10000000u, &out, &n);
        cr_assert(s == STATUS_OK || s == STATUS_NEED_MORE || s == STATUS_MALFORMED);
        if (s == STATUS_OK)
            cr_assert_leq(n, 64 * 8 + 40);
        cr_assert_leq(ipfrag_in_use(F), ipfrag_capacity(F));
        if (i % 3 == 0)
            ipfrag_release(F);
        ipfrag_expire(F, (uint64_t)i * 10000000u);
    }
}
