/* test_flow.c: the 5-tuple flow table: both directions, chains, LRU eviction, idle expiry. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../sensor/flow.h"

#define S_NS 1000000000ull
#define TS0 (1709296260ull * S_NS) /* 2024-03-01T12:31:00Z */
#define UDP 17
#define TCP 6

static struct stats st;

/* What the release callback saw, in order. */
#define MAX_RELEASED 64
static struct {
    uint16_t port_lo[MAX_RELEASED];
    enum flow_end why[MAX_RELEASED];
    uint32_t user_tag[MAX_RELEASED];
    int n;
} rel;

static void on_release(void *ctx, struct flow *f, enum flow_end why)
{
    cr_assert_eq(ctx, &rel);
    if (rel.n < MAX_RELEASED) {
        rel.port_lo[rel.n] = f->key.lo.port;
        rel.why[rel.n] = why;
        rel.user_tag[rel.n] = *(uint32_t *)flow_user(f);
        rel.n++;
    }
}

static void setup(void)
{
    memset(&st, 0, sizeof st);
    memset(&rel, 0, sizeof rel);
}

TestSuite(flow, .init = setup);

static struct endpoint ep(const char *ip, uint16_t port)
{
    struct endpoint e = {.port = port};
    cr_assert(addr_parse(sv_make(ip, strlen(ip)), &e.ip), "bad test address %s", ip);
    return e;
}

static struct flow_table *table(uint32_t max, uint32_t idle_s, size_t user)
{
    struct flow_config c = {.max_flows = max, .idle_timeout_s = idle_s, .user_size = user};
    struct flow_table *t = flow_create(&c, &st, on_release, &rel);
    cr_assert_not_null(t);
    return t;
}

Test(flow, both_directions_are_one_flow)
{
    struct flow_table *t = table(16, 60, 8);
    struct endpoint a = ep("192.0.2.10", 40000), b = ep("198.51.100.20", 30000);
    bool created;
    struct flow *f1 = flow_get(t, &a, &b, UDP, TS0, &created);
    cr_assert(created);
    struct flow *f2 = flow_get(t, &b, &a, UDP, TS0 + S_NS, &created);
    cr_assert_not(created);
    cr_assert_eq(f1, f2);
    cr_assert_eq(flow_count(t), 1);
    cr_assert_eq(f1->packets, 2);
    cr_assert_eq(f1->first_ns, TS0);
    cr_assert_eq(f1->last_ns, TS0 + S_NS);
    /* a sent first: b -> a is the reverse direction */
    cr_assert_not(flow_is_reverse(f1, &a));
    cr_assert(flow_is_reverse(f1, &b));
    /* canonical order: the smaller address first, whoever sent first */
    cr_assert_eq(f1->key.lo.port, 40000);
    cr_assert_eq(f1->key.hi.port, 30000);
    cr_assert_eq(flow_find(t, &b, &a, UDP), f1);
    cr_assert_eq(st.v[STAT_FLOWS], 1);
    flow_destroy(t);
}

Test(flow, same_address_ports_ordered)
{
    /* Both ends on one host: the port decides the order, and either direction finds it. */
    struct flow_table *t = table(16, 60, 0);
    struct endpoint a = ep("10.0.0.1", 6000), b = ep("10.0.0.1", 5000);
    struct flow *f = flow_get(t, &a, &b, UDP, TS0, NULL);
    cr_assert_eq(f->key.lo.port, 5000);
    cr_assert_eq(flow_get(t, &b, &a, UDP, TS0, NULL), f);
    /* a flow from an endpoint to itself is one flow too */
    struct flow *g = flow_get(t, &a, &a, UDP, TS0, NULL);
    cr_assert_neq(g, f);
    cr_assert_eq(flow_get(t, &a, &a, UDP, TS0, NULL), g);
    cr_assert_eq(flow_count(t), 2);
    flow_destroy(t);
}

Test(flow, tuple_fields_all_count)
{
    struct flow_table *t = table(64, 60, 0);
    struct endpoint a = ep("192.0.2.10", 40000), b = ep("198.51.100.20", 30000);
    struct endpoint a2 = ep("192.0.2.10", 40002), b2 = ep("198.51.100.21", 30000);
    struct endpoint a6 = ep("2001:db8::10", 40000), b6 = ep("2001:db8::20", 30000);
    /* IPv4-mapped IPv6 is another family, so another flow */
    struct endpoint am = ep("::ffff:192.0.2.10", 40000), bm = ep("::ffff:198.51.100.20", 30000);
    struct flow *f[6] = {
        flow_get(t, &a, &b, UDP, TS0, NULL),   flow_get(t, &a, &b, TCP, TS0, NULL),
        flow_get(t, &a2, &b, UDP, TS0, NULL),  flow_get(t, &a, &b2, UDP, TS0, NULL),
        flow_get(t, &a6, &b6, UDP, TS0, NULL), flow_get(t, &am, &bm, UDP, TS0, NULL),
    };
    for (int i = 0; i < 6; i++)
        for (int j = i + 1; j < 6; j++)
            cr_assert_neq(f[i], f[j], "flows %d and %d collapsed", i, j);
    cr_assert_eq(flow_count(t), 6);
    cr_assert_eq(flow_find(t, &b6, &a6, UDP), f[4]);
    cr_assert_null(flow_find(t, &b6, &a6, TCP));
    flow_destroy(t);
}

Test(flow, user_area_zeroed_and_kept)
{
    struct flow_table *t = table(4, 60, 64);
    struct endpoint a = ep("192.0.2.10", 1), b = ep("192.0.2.11", 2);
    struct flow *f = flow_get(t, &a, &b, UDP, TS0, NULL);
    uint8_t *u = flow_user(f);
    cr_assert_eq((uintptr_t)u % 16, 0, "caller area not 16-byte aligned");
    for (int i = 0; i < 64; i++)
        cr_assert_eq(u[i], 0);
    memset(u, 0xab, 64);
    cr_assert_eq(((uint8_t *)flow_user(flow_get(t, &b, &a, UDP, TS0, NULL)))[63], 0xab);
    /* a reused record comes back zeroed */
    flow_remove(t, f);
    f = flow_get(t, &a, &b, UDP, TS0, NULL);
    u = flow_user(f);
    for (int i = 0; i < 64; i++)
        cr_assert_eq(u[i], 0, "byte %d of a reused record not zeroed", i);
    flow_destroy(t);
}

Test(flow, full_table_evicts_least_recently_used)
{
    struct flow_table *t = table(3, 60, 4);
    struct endpoint s = ep("192.0.2.1", 9), d1 = ep("192.0.2.2", 1001), d2 = ep("192.0.2.2", 1002),
                    d3 = ep("192.0.2.2", 1003), d4 = ep("192.0.2.2", 1004);
    *(uint32_t *)flow_user(flow_get(t, &s, &d1, UDP, TS0, NULL)) = 1;
    *(uint32_t *)flow_user(flow_get(t, &s, &d2, UDP, TS0 + 1, NULL)) = 2;
    *(uint32_t *)flow_user(flow_get(t, &s, &d3, UDP, TS0 + 2, NULL)) = 3;
    /* d1 is the oldest flow but is used again: d2 becomes the least recently used */
    flow_get(t, &d1, &s, UDP, TS0 + 3, NULL);
    bool created;
    struct flow *f4 = flow_get(t, &s, &d4, UDP, TS0 + 4, &created);
    cr_assert(created);
    cr_assert_eq(flow_count(t), 3);
    cr_assert_eq(st.v[STAT_FLOW_EVICTED], 1);
    cr_assert_eq(rel.n, 1);
    cr_assert_eq(rel.why[0], FLOW_END_EVICTED);
    cr_assert_eq(rel.user_tag[0], 2, "evicted flow %u, expected the one to port 1002",
                 rel.user_tag[0]);
    cr_assert_null(flow_find(t, &s, &d2, UDP));
    cr_assert_not_null(flow_find(t, &s, &d1, UDP));
    cr_assert_not_null(flow_find(t, &s, &d3, UDP));
    cr_assert_eq(*(uint32_t *)flow_user(f4), 0, "new flow inherited the evicted flow's state");
    cr_assert_eq(st.v[STAT_FLOWS], 4);
    flow_destroy(t);
}

Test(flow, idle_expiry_on_packet_time)
{
    struct flow_table *t = table(8, 10, 0);
    struct endpoint s = ep("192.0.2.1", 9), d1 = ep("192.0.2.2", 1001), d2 = ep("192.0.2.2", 1002);
    flow_get(t, &s, &d1, UDP, TS0, NULL);
    flow_get(t, &s, &d2, UDP, TS0 + 5 * S_NS, NULL);
    cr_assert_eq(flow_expire(t, TS0 + 10 * S_NS - 1), 0);
    cr_assert_eq(flow_expire(t, TS0 + 10 * S_NS), 1);
    cr_assert_null(flow_find(t, &s, &d1, UDP));
    cr_assert_eq(rel.why[0], FLOW_END_IDLE);
    /* a packet refreshes: d2 seen again at +12 s lives until +22 s */
    flow_get(t, &d2, &s, UDP, TS0 + 12 * S_NS, NULL);
    cr_assert_eq(flow_expire(t, TS0 + 21 * S_NS), 0);
    cr_assert_eq(flow_expire(t, TS0 + 22 * S_NS), 1);
    cr_assert_eq(flow_count(t), 0);
    cr_assert_eq(st.v[STAT_FLOW_EXPIRED], 2);
    cr_assert_eq(st.v[STAT_FLOW_EVICTED], 0);
    flow_destroy(t);
}

Test(flow, clock_stepping_back_never_expires_early)
{
    struct flow_table *t = table(8, 10, 0);
    struct endpoint s = ep("192.0.2.1", 9), d1 = ep("192.0.2.2", 1001), d2 = ep("192.0.2.2", 1002);
    struct flow *f1 = flow_get(t, &s, &d1, UDP, TS0 + 100 * S_NS, NULL);
    /* a packet stamped earlier does not move last_ns back */
    flow_get(t, &s, &d1, UDP, TS0 + 50 * S_NS, NULL);
    cr_assert_eq(f1->last_ns, TS0 + 100 * S_NS);
    /* d2 arrives later but is stamped earlier than d1's last packet */
    flow_get(t, &s, &d2, UDP, TS0 + 95 * S_NS, NULL);
    cr_assert_eq(flow_expire(t, TS0 + 108 * S_NS), 0, "d1 is the head and still active");
    cr_assert_eq(flow_expire(t, TS0 + 90 * S_NS), 0, "now before last packet: not idle");
    cr_assert_eq(flow_expire(t, TS0 + 110 * S_NS), 2);
    flow_destroy(t);
}

Test(flow, remove_and_destroy_release_everything)
{
    struct flow_table *t = table(8, 60, 4);
    struct endpoint s = ep("192.0.2.1", 7);
    struct flow *f[5];
    for (uint16_t i = 0; i < 5; i++) {
        struct endpoint d = ep("192.0.2.2", (uint16_t)(100 + i));
        f[i] = flow_get(t, &s, &d, UDP, TS0, NULL);
        *(uint32_t *)flow_user(f[i]) = 100u + i;
    }
    flow_remove(t, f[2]);
    cr_assert_eq(rel.n, 1);
    cr_assert_eq(rel.why[0], FLOW_END_REMOVED);
    cr_assert_eq(rel.user_tag[0], 102);
    cr_assert_eq(flow_count(t), 4);
    flow_destroy(t);
    cr_assert_eq(rel.n, 5);
    for (int i = 1; i < 5; i++)
        cr_assert_eq(rel.why[i], FLOW_END_DESTROY);
    cr_assert_eq(st.v[STAT_FLOW_EVICTED] + st.v[STAT_FLOW_EXPIRED], 0, "removal is not counted");
}

Test(flow, many_flows_through_small_table)
{
    /* 5000 flows through 256 records: chains, unlinking from the middle, reuse. */
    struct flow_config c = {.max_flows = 256, .idle_timeout_s = 60};
    struct flow_table *t = flow_create(&c, &st, NULL, NULL);
    cr_assert_not_null(t);
    struct endpoint s = ep("10.1.0.1", 5004);
    char ip[32];
    for (uint32_t i = 0; i < 5000; i++) {
        snprintf(ip, sizeof ip, "10.2.%u.%u", i / 200, i % 200);
        struct endpoint d = ep(ip, (uint16_t)(20000 + i % 7));
        bool created;
        struct flow *f = flow_get(t, &d, &s, UDP, TS0 + i, &created);
        cr_assert(created, "flow %u found before it existed", i);
        cr_assert_eq(flow_get(t, &s, &d, UDP, TS0 + i, &created), f);
        cr_assert_not(created);
    }
    cr_assert_eq(flow_count(t), 256);
    cr_assert_eq(st.v[STAT_FLOW_EVICTED], 5000 - 256);
    /* exactly the last 256 are there */
    for (uint32_t i = 0; i < 5000; i++) {
        snprintf(ip, sizeof ip, "10.2.%u.%u", i / 200, i % 200);
        struct endpoint d = ep(ip, (uint16_t)(20000 + i % 7));
        bool there = flow_find(t, &s, &d, UDP) != NULL;
        cr_assert_eq(there, i >= 5000 - 256, "flow %u presence %d", i, there);
    }
    cr_assert_eq(flow_expire(t, TS0 + 60 * S_NS + 5000), 256);
    cr_assert_eq(flow_count(t), 0);
    flow_destroy(t);
}

Test(flow, caps_and_defaults)
{
    struct flow_config c = {.max_flows = FLOW_MAX_FLOWS + 1};
    cr_assert_null(flow_create(&c, NULL, NULL, NULL));
    c = (struct flow_config){.user_size = FLOW_MAX_USER + 1};
    cr_assert_null(flow_create(&c, NULL, NULL, NULL));
    c = (struct flow_config){.idle_timeout_s = FLOW_MAX_IDLE_S + 1};
    cr_assert_null(flow_create(&c, NULL, NULL, NULL));
    struct flow_table *t = flow_create(NULL, NULL, NULL, NULL);
    cr_assert_not_null(t);
    cr_assert_eq(flow_capacity(t), FLOW_DEFAULT_MAX);
    cr_assert_gt(flow_bytes(t), (size_t)FLOW_DEFAULT_MAX * FLOW_USER_OFFSET);
    /* counters go nowhere visible without a stats set, and nothing breaks */
    struct endpoint a = ep("192.0.2.1", 1), b = ep("192.0.2.2", 2);
    flow_get(t, &a, &b, UDP, TS0, NULL);
    cr_assert_eq(flow_expire(t, TS0 + FLOW_DEFAULT_IDLE_S * S_NS), 1);
    flow_destroy(t);
    flow_destroy(NULL);
}
