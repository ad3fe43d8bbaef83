/* test_view.c - the engine's shared vocabulary: lc_view_of (the handshake
 * RTT / time rule, teardown initiator, Zeek summary), the anomaly table and
 * the injector's marker.
 *
 * Usage: test_view [handshake|simopen|teardown|anomaly|marker ...]  (none: all)
 *
 * Expected values are derived by hand: segment times are chosen here, the
 * rule is docs/engine.md "Links" (RTT on the first SYN-ACK, 2/3 or 3/4 of a
 * simultaneous open; time on ACK 3/3 or SYN-ACK 4/4; both from the client's
 * first SYN), Zeek's conn_state definitions (S0 no reply, S1 established,
 * SF established and closed), spec section 6 for the marker bytes.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "anomaly.h"
#include "lifecycle.h"
#include "marker.h"
#include "view.h"
#include "zeek.h"

static unsigned g_fail, g_checks;
static const char *g_group;

#define CHECK(cond, ...)                                   \
    do {                                                   \
        g_checks++;                                        \
        if (!(cond)) {                                     \
            g_fail++;                                      \
            printf("FAIL %s line %d: ", g_group, __LINE__); \
            printf(__VA_ARGS__);                           \
            printf("\n");                                  \
        }                                                  \
    } while (0)

#define MS 1000000LL

typedef struct tseg {
    uint8_t  from;
    uint16_t flags;
    uint32_t seq, ack;
    int64_t  t_ns;
} tseg;

typedef struct conn_run {
    lc_conn    c;
    lc_zeek    z;
    lc_segment s[8];
    lc_result  r[8];
    lc_view    v[8];
    size_t     n;
} conn_run;

/* Feeds the segments (frame = index + 1; from 0 uses port 40000, from 1 port
 * 80), then takes every view with the connection in its final state: the
 * view must be a snapshot as of its frame. */
static void feed(conn_run *x, const tseg *t, size_t n)
{
    memset(x, 0, sizeof *x);
    lc_conn_init(&x->c);
    lc_zeek_init(&x->z);
    x->n = n;
    for (size_t i = 0; i < n; i++) {
        lc_segment *s = &x->s[i];
        s->frame = (uint32_t)(i + 1);
        s->time_ns = t[i].t_ns;
        s->seq = t[i].seq;
        s->ack = t[i].ack;
        s->flags = t[i].flags;
        s->from = t[i].from;
        s->sport = t[i].from ? 80 : 40000;
        s->dport = t[i].from ? 40000 : 80;
        s->win = 65535;
        s->len_known = true;
        lc_conn_observe(&x->c, s, &x->r[i]);
        lc_zeek_observe(&x->z, s, &x->r[i]);
    }
    for (size_t i = 0; i < n; i++)
        lc_view_of(&x->c, &x->z, &x->s[i], &x->r[i], &x->v[i]);
}

/* labels[i] is the label of frame i + 1; NULL: not checked */
static void check_labels(const conn_run *x, const char *const *labels)
{
    for (size_t i = 0; i < x->n; i++) {
        if (labels[i] == NULL)
            continue;
        char label[64];
        lc_result_label(&x->r[i], label, sizeof label);
        CHECK(strcmp(label, labels[i]) == 0, "frame %zu label expected \"%s\", got \"%s\"", i + 1,
              labels[i], label);
    }
}

/* only frame `rtt_at` (1-based, 0 none) has an RTT, only `time_at` a time */
static void check_hs(const conn_run *x, size_t rtt_at, int64_t rtt, size_t time_at, int64_t hs_time)
{
    for (size_t i = 0; i < x->n; i++) {
        const lc_view *v = &x->v[i];
        bool want_rtt = i + 1 == rtt_at, want_time = i + 1 == time_at;
        CHECK(v->has_handshake_rtt == want_rtt, "frame %zu handshake.rtt %s expected", i + 1,
              want_rtt ? "" : "not");
        if (want_rtt && v->has_handshake_rtt)
            CHECK(v->handshake_rtt_ns == rtt, "frame %zu handshake.rtt expected %" PRId64
                  ", got %" PRId64, i + 1, rtt, v->handshake_rtt_ns);
        CHECK(v->has_handshake_time == want_time, "frame %zu handshake.time %s expected", i + 1,
              want_time ? "" : "not");
        if (want_time && v->has_handshake_time)
            CHECK(v->handshake_time_ns == hs_time, "frame %zu handshake.time expected %" PRId64
                  ", got %" PRId64, i + 1, hs_time, v->handshake_time_ns);
    }
}

/* RFC 9293 figure 6 with a retransmitted SYN-ACK: SYN at 10 ms, SYN-ACK at
 * 35 ms (RTT 25 ms), its copy at 40 ms (no RTT: a retransmission), ACK 3/3
 * at 41 ms (time 31 ms). */
static void test_handshake(void)
{
    static const tseg t[] = {
        { 0, LC_SYN, 1000, 0, 10 * MS },
        { 1, LC_SYN | LC_ACK, 5000, 1001, 35 * MS },
        { 1, LC_SYN | LC_ACK, 5000, 1001, 40 * MS },
        { 0, LC_ACK, 1001, 5001, 41 * MS },
    };
    conn_run x;
    feed(&x, t, 4);
    static const char *const labels[] = { "SYN 1/3", "SYN-ACK 2/3", "SYN-ACK 2/3 (retransmission)",
                                          "ACK 3/3" };
    check_labels(&x, labels);
    check_hs(&x, 2, 25 * MS, 4, 31 * MS);
    /* links: the SYN is frame 1, shown from frame 2 on; the SYN-ACK from frame 3 on */
    CHECK(x.v[0].syn_frame == 0 && x.v[1].syn_frame == 1 && x.v[3].syn_frame == 1, "syn_frame");
    CHECK(x.v[1].synack_frame == 0 && x.v[2].synack_frame == 2, "synack_frame");
    CHECK(x.v[0].has_isn_client && x.v[0].isn_client == 1000 && !x.v[0].has_isn_server,
          "ISNs at the SYN");
    CHECK(x.v[1].has_isn_server && x.v[1].isn_server == 5000, "server ISN at the SYN-ACK");
    /* relative numbers: ISN + 1 is 1, the SYN-ACK acks 1 */
    CHECK(x.v[3].seq_rel == 1 && x.v[3].has_ack_rel && x.v[3].ack_rel == 1, "ACK 3/3 rel 1/1");
    CHECK(!x.v[0].has_ack_rel, "a bare SYN has no ack.rel");
    /* Zeek: S0 until a reply, S1 once established */
    CHECK(x.v[0].has_conn_state && x.v[0].conn_state == LC_ZS_S0, "conn_state S0 at the SYN");
    CHECK(x.v[3].has_conn_state && x.v[3].conn_state == LC_ZS_S1, "conn_state S1 at ACK 3/3");
    CHECK(strcmp(x.v[0].history, "S") == 0, "history \"S\" at the SYN, got \"%s\"", x.v[0].history);
    CHECK(x.v[3].initiator == LC_INITIATOR_NONE, "no teardown initiator yet");
}

/* RFC 9293 figure 7 (simultaneous open): A's SYN at 10 ms, B's SYN at 12 ms,
 * A's SYN-ACK at 20 ms (SYN-ACK 3/4: the first SYN-ACK, RTT 10 ms from A's
 * SYN), B's SYN-ACK at 21 ms (SYN-ACK 4/4 completes it: time 11 ms). */
static void test_simopen(void)
{
    static const tseg t[] = {
        { 0, LC_SYN, 100, 0, 10 * MS },
        { 1, LC_SYN, 300, 0, 12 * MS },
        { 0, LC_SYN | LC_ACK, 100, 301, 20 * MS },
        { 1, LC_SYN | LC_ACK, 300, 101, 21 * MS },
    };
    conn_run x;
    feed(&x, t, 4);
    static const char *const labels[] = { "SYN 1/3", "SYN 2/4", "SYN-ACK 3/4", "SYN-ACK 4/4" };
    check_labels(&x, labels);
    check_hs(&x, 3, 10 * MS, 4, 11 * MS);
    CHECK(x.v[1].has_syn_time && x.v[1].syn_time_ns == 10 * MS, "SYN time from frame 2 on");
    CHECK(!x.v[0].has_syn_time, "no SYN time on the SYN itself");
}

/* Server closes first (FIN 1/4 from the server), then the client: the
 * initiator is the server from its FIN on; a simultaneous close is "both"
 * from FIN 2/4 on (docs/engine.md). */
#define HANDSHAKE_1MS { 0, LC_SYN, 1000, 0, 1 * MS }, { 1, LC_SYN | LC_ACK, 5000, 1001, 2 * MS }, \
                      { 0, LC_ACK, 1001, 5001, 3 * MS }
static void test_teardown(void)
{
    static const tseg t[] = {
        HANDSHAKE_1MS,
        { 1, LC_FIN | LC_ACK, 5001, 1001, 4 * MS },
        { 0, LC_FIN | LC_ACK, 1001, 5002, 5 * MS },
        { 1, LC_ACK, 5002, 1002, 6 * MS },
    };
    static const tseg sim[] = {
        HANDSHAKE_1MS,
        { 0, LC_FIN | LC_ACK, 1001, 5001, 4 * MS },
        { 1, LC_FIN | LC_ACK, 5001, 1001, 5 * MS },
        { 0, LC_ACK, 1002, 5002, 6 * MS },
        { 1, LC_ACK, 5002, 1002, 7 * MS },
    };
    conn_run x;
    feed(&x, t, 6);
    static const char *const labels[] = { NULL, NULL, NULL, "FIN 1/4", "ACK+FIN 2/4+3/4", NULL };
    check_labels(&x, labels);
    CHECK(x.v[2].initiator == LC_INITIATOR_NONE, "no initiator before the FIN");
    CHECK(x.v[3].initiator == LC_INITIATOR_SERVER, "server initiates, got %d", (int)x.v[3].initiator);
    CHECK(x.v[5].initiator == LC_INITIATOR_SERVER, "still the server at the end");
    CHECK(x.v[4].fin_frame == 4, "client's view links the server's FIN (frame 4), got %u",
          x.v[4].fin_frame);
    CHECK(x.v[3].fin_frame == 0, "the FIN sender has no peer FIN yet");
    CHECK(x.v[5].has_conn_state && x.v[5].conn_state == LC_ZS_SF, "conn_state SF at the end");
    CHECK(strcmp(lc_initiator_name(LC_INITIATOR_SERVER), "server") == 0, "initiator name");
    CHECK(strcmp(lc_initiator_name(LC_INITIATOR_BOTH), "both (simultaneous close)") == 0,
          "initiator name both");

    feed(&x, sim, 7);
    static const char *const sim_labels[] = { NULL, NULL, NULL, "FIN 1/4", "FIN 2/4", NULL, NULL };
    check_labels(&x, sim_labels);
    CHECK(x.v[3].initiator == LC_INITIATOR_CLIENT, "first FIN: its sender, got %d",
          (int)x.v[3].initiator);
    CHECK(x.v[4].initiator == LC_INITIATOR_BOTH, "FIN 2/4: both, got %d", (int)x.v[4].initiator);

    /* without a Zeek summary there is no conn_state and no history */
    lc_view v;
    lc_view_of(&x.c, NULL, &x.s[6], &x.r[6], &v);
    CHECK(!v.has_conn_state && v.history[0] == '\0', "no Zeek summary without lc_zeek");
}

/* One row per bit, in bit order, with the plugin's expert field names
 * (docs/injector.md and docs/profile.md list them): bits 0-14 stored in
 * lc_result, 16-19 derived (spec section 8). */
static void test_anomaly(void)
{
    static const char *const keys[LC_ANOM_COUNT] = {
        "bad_ack", "syn_retransmission", "retransmission", "rst_refused", "rst_abort",
        "data_after_fin", "after_close", "midstream", "simultaneous_open", "simultaneous_close",
        "bad_flags", "syn_reordered", "new_isn", "no_length", "old_connection",
        "rst_not_exact", "rst_out_of_window", "reuse_time_wait", "reuse_time_wait"
    };
    for (unsigned i = 0; i < LC_ANOM_COUNT; i++) {
        const lc_anomaly *a = &lc_anomalies[i];
        unsigned bit = i < 15 ? i : i + 1; /* bit 15 is unused */
        CHECK(a->bit == 1u << bit, "row %u: bit 0x%x", i, a->bit);
        CHECK(a->key && strcmp(a->key, keys[i]) == 0, "row %u: key %s, expected %s", i,
              a->key ? a->key : "(null)", keys[i]);
        CHECK(a->summary && a->summary[0] && a->stat && a->stat[0], "row %u: texts", i);
    }
    CHECK(lc_anomalies[10].group == LC_ANOM_GROUP_MALFORMED, "bad_flags is malformed");
    CHECK(lc_anomalies[0].severity == LC_ANOM_WARN && lc_anomalies[8].severity == LC_ANOM_NOTE,
          "bad_ack warns, simultaneous open is a note");
    CHECK(lc_anomalies[17].severity == LC_ANOM_NOTE && lc_anomalies[18].severity == LC_ANOM_WARN,
          "reuse_time_wait: a note, a warning when the ISN is not higher (spec 8.2)");
}

/* Spec section 6: kind 253, length 8, ExID 0x5346, run id, network order. */
static void test_marker(void)
{
    static const uint8_t want[8] = { 253, 8, 0x53, 0x46, 0xde, 0xad, 0xbe, 0xef };
    uint8_t buf[12];
    uint32_t run = 0;
    CHECK(lc_marker_encode(buf, sizeof buf, 0xdeadbeefu) == 8 && memcmp(buf, want, 8) == 0,
          "encoded bytes");
    CHECK(lc_marker_encode(buf, 7, 1) == 0, "too small a buffer");

    /* MSS, NOP, NOP, marker: found behind other options */
    static const uint8_t opts[] = { 2, 4, 0x05, 0xb4, 1, 1, 253, 8, 0x53, 0x46, 0, 0, 0, 7 };
    CHECK(lc_marker_find(opts, sizeof opts, &run) && run == 7, "marker behind MSS and NOPs");
    /* another ExID under kind 253 is not ours */
    static const uint8_t other[] = { 253, 8, 0x12, 0x34, 0, 0, 0, 7 };
    CHECK(!lc_marker_find(other, sizeof other, &run), "other ExID");
    /* End of Option List stops the walk */
    static const uint8_t eol[] = { 0, 1, 1, 1, 253, 8, 0x53, 0x46, 0, 0, 0, 7 };
    CHECK(!lc_marker_find(eol, sizeof eol, &run), "after EOL");
    /* a length byte below 2 ends the walk (malformed list) */
    static const uint8_t bad[] = { 8, 1, 253, 8, 0x53, 0x46, 0, 0, 0, 7 };
    CHECK(!lc_marker_find(bad, sizeof bad, &run), "after a bad length");
    /* the marker cut by the end of the block is not read */
    CHECK(!lc_marker_find(want, 7, &run), "cut marker");
    CHECK(!lc_marker_find(NULL, 0, &run), "no options");
}

int main(int argc, char **argv)
{
    static const struct { const char *name; void (*fn)(void); } groups[] = {
        { "handshake", test_handshake }, { "simopen", test_simopen },
        { "teardown", test_teardown }, { "anomaly", test_anomaly }, { "marker", test_marker },
    };
    unsigned ran = 0;
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        bool want = argc < 2;
        for (int a = 1; a < argc; a++)
            want = want || strcmp(argv[a], groups[g].name) == 0;
        if (!want)
            continue;
        g_group = groups[g].name;
        unsigned before = g_fail;
        groups[g].fn();
        printf("%s %s\n", g_fail == before ? "ok" : "not ok", groups[g].name);
        ran++;
    }
    if (ran == 0) {
        fprintf(stderr, "test_view: no such group\n");
        return 2;
    }
    printf("%u checks, %u failures\n", g_checks, g_fail);
    return g_fail ? 1 : 0;
}
