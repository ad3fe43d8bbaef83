/* test_zeek.c - the Zeek-compatible summary (lifecycle/zeek.c) against
 * conn_state and history worked out by hand from Zeek's rules
 * (shared/reference/connection-state-anchors.md section 1).
 *
 * Notation in the comments: upper-case letters come from the originator,
 * lower-case from the responder.  Client port 40000, server port 80 unless
 * a case says otherwise.
 */
#include "lifecycle.h"
#include "zeek.h"

#include <stdio.h>
#include <string.h>

typedef struct seg {
    int from;          /* 0 = first sender */
    unsigned flags;
    unsigned seq, ack, len, win;
} seg;

typedef struct scenario {
    const char *name;
    unsigned port0, port1; /* ports of sender 0 and sender 1 */
    const seg *segs;
    int n;
    const char *state;     /* final conn_state */
    const char *history;   /* final history */
} scenario;

#define A LC_ACK
#define F LC_FIN
#define S LC_SYN
#define R LC_RST
#define P LC_PSH
#define W 65535u
#define N(a) (int)(sizeof(a) / sizeof((a)[0]))

static int failures;

static void run(const scenario *sc)
{
    lc_conn c;
    lc_zeek z;
    lc_conn_init(&c);
    lc_zeek_init(&z);
    for (int i = 0; i < sc->n; i++) {
        const seg *g = &sc->segs[i];
        lc_segment s = { 0 };
        s.frame = (uint32_t)i + 1;
        s.time_ns = (int64_t)(i + 1) * 1000;
        s.from = (uint8_t)g->from;
        s.sport = (uint16_t)(g->from ? sc->port1 : sc->port0);
        s.dport = (uint16_t)(g->from ? sc->port0 : sc->port1);
        s.flags = (uint16_t)g->flags;
        s.seq = g->seq;
        s.ack = g->ack;
        s.len = g->len;
        s.win = g->win;
        s.len_known = true;
        lc_result r;
        lc_conn_observe(&c, &s, &r);
        lc_zeek_observe(&z, &s, &r);
        if (!LC_ZEEK_SNAP_HAS_STATE(&r) || r.zeek_hist_len != z.hist_len ||
            LC_ZEEK_SNAP_FROM_ORIG(&r) != lc_zeek_is_orig(&z, &s)) {
            printf("FAIL %s seg %d: snapshot not recorded\n", sc->name, i + 1);
            failures++;
        }
    }
    char hist[64];
    lc_zeek_history(&z, NULL, hist, sizeof hist);
    const char *state = lc_zeek_state_name(lc_zeek_conn_state(&z));
    if (strcmp(state, sc->state) != 0 || strcmp(hist, sc->history) != 0) {
        printf("FAIL %s: want %s %s, got %s %s\n", sc->name, sc->state, sc->history, state, hist);
        failures++;
    } else {
        printf("ok   %-34s %-6s %s\n", sc->name, state, hist);
    }
}

/* x = client ISN 1000, y = server ISN 5000. */
static const seg s0[] = { { 0, S, 1000, 0, 0, W } };
static const seg s1[] = { { 0, S, 1000, 0, 0, W }, { 1, S | A, 5000, 1001, 0, W } };
/* S h A D d F a f A: both closed -> SF; the last A adds nothing (A once). */
static const seg sf[] = {
    { 0, S, 1000, 0, 0, W },          { 1, S | A, 5000, 1001, 0, W },
    { 0, A, 1001, 5001, 0, W },       { 0, A | P, 1001, 5001, 10, W },
    { 1, A | P, 5001, 1011, 20, W },  { 0, F | A, 1011, 5021, 0, W },
    { 1, A, 5021, 1012, 0, W },       { 1, F | A, 5021, 1012, 0, W },
    { 0, A, 1012, 5022, 0, W } };
/* Refused: responder RESET while the originator is SYN_SENT -> REJ. */
static const seg rej[] = { { 0, S, 1000, 0, 0, W }, { 1, R | A, 0, 1001, 0, 0 } };
/* Originator SYN then its own RST, nothing from the responder -> RSTOS0. */
static const seg rstos0[] = { { 0, S, 1000, 0, 0, W }, { 0, R, 1001, 0, 0, 0 } };
/* Established, then the originator resets -> RSTO. */
static const seg rsto[] = { { 0, S, 1000, 0, 0, W }, { 1, S | A, 5000, 1001, 0, W },
                            { 0, A, 1001, 5001, 0, W }, { 0, R | A, 1001, 5001, 0, 0 } };
/* Established, then the responder resets -> RSTR. */
static const seg rstr[] = { { 0, S, 1000, 0, 0, W }, { 1, S | A, 5000, 1001, 0, W },
                            { 0, A, 1001, 5001, 0, W }, { 1, R, 5001, 0, 0, 0 } };
/* A lone SYN-ACK from the server port: flipped at once (^), responder h. */
static const seg lone_sa[] = { { 0, S | A, 5000, 1001, 0, W } };
/* Mid-stream data both ways: both PARTIAL -> OTH; first sender is the client
 * (higher port), so no flip. */
static const seg mid[] = { { 0, A | P, 1001, 5001, 10, W }, { 1, A | P, 5001, 1011, 10, W } };
/* SYN, then the originator's FIN with no answer: orig CLOSED, resp inactive -> SH. */
static const seg sh[] = { { 0, S, 1000, 0, 0, W }, { 0, F | A, 1001, 0, 0, W } };
/* Server-side only: SYN-ACK then FIN from the server -> ^hf, SHR... the SYN-ACK
 * made the responder ESTABLISHED, its FIN CLOSED; originator inactive -> SHR. */
static const seg shr[] = { { 0, S | A, 5000, 1001, 0, W }, { 0, F | A, 5001, 1001, 0, W } };
/* Simultaneous open: the responder's bare SYN while the originator is SYN_SENT
 * establishes both -> S1, history Ss. */
static const seg simopen[] = { { 0, S, 1000, 0, 0, W }, { 1, S, 5000, 0, 0, W } };
/* SYN+FIN: Q, no S; FIN+RST: I, no F or R. */
static const seg q[] = { { 0, S | F, 1000, 0, 0, W } };
static const seg i_[] = { { 0, S, 1000, 0, 0, W }, { 1, S | A, 5000, 1001, 0, W },
                          { 0, A, 1001, 5001, 0, W }, { 0, F | R | A, 1001, 5001, 0, 0 } };
/* The same data segment sent 11 times: the first advances, 10 copies are
 * retransmissions -> T at the 1st and at the 10th copy. */
static const seg retx[] = {
    { 0, S, 1000, 0, 0, W }, { 1, S | A, 5000, 1001, 0, W }, { 0, A, 1001, 5001, 0, W },
    { 0, A | P, 1001, 5001, 10, W }, { 0, A | P, 1001, 5001, 10, W }, { 0, A | P, 1001, 5001, 10, W },
    { 0, A | P, 1001, 5001, 10, W }, { 0, A | P, 1001, 5001, 10, W }, { 0, A | P, 1001, 5001, 10, W },
    { 0, A | P, 1001, 5001, 10, W }, { 0, A | P, 1001, 5001, 10, W }, { 0, A | P, 1001, 5001, 10, W },
    { 0, A | P, 1001, 5001, 10, W }, { 0, A | P, 1001, 5001, 10, W } };
/* The responder advertises a zero window: w. */
static const seg zw[] = { { 0, S, 1000, 0, 0, W }, { 1, S | A, 5000, 1001, 0, W },
                          { 0, A | P, 1001, 5001, 10, W }, { 1, A, 5001, 1011, 0, 0 } };
/* SYN-ACK captured before the SYN, from the higher port (no flip at the start):
 * H, then the other side's SYN s and the reversal ^ -> Hs^, then the new
 * originator's A. */
static const seg reorder[] = { { 0, S | A, 5000, 1001, 0, W }, { 1, S, 1000, 0, 0, W },
                               { 1, A, 1001, 5001, 0, W } };
/* A connection that began with a SYN-ACK from the higher port and continues
 * with an ACK: history "H" becomes "^h", then the A of the new originator;
 * the SYN-ACK established the (new) responder and the ACK the originator:
 * S1 (as Zeek's krb/optional-service-name baseline, S1 ^hADd). */
static const seg h_flip[] = { { 0, S | A, 5000, 1001, 0, W }, { 1, A, 1001, 5001, 0, W } };
/* RST after both FINs keeps SF (Zeek's imap-starttls baseline ShAdDafFr);
 * the originator's last A adds no letter (A once per direction). */
static const seg sf_rst[] = {
    { 0, S, 1000, 0, 0, W }, { 1, S | A, 5000, 1001, 0, W }, { 0, A, 1001, 5001, 0, W },
    { 0, F | A, 1001, 5001, 0, W }, { 1, F | A, 5001, 1002, 0, W }, { 0, A, 1002, 5002, 0, W },
    { 1, R, 5002, 0, 0, 0 } };

int main(void)
{
    const scenario all[] = {
        { "S0: lone SYN", 40000, 80, s0, N(s0), "S0", "S" },
        { "S1: SYN, SYN-ACK", 40000, 80, s1, N(s1), "S1", "Sh" },
        { "SF: full life", 40000, 80, sf, N(sf), "SF", "ShADdFaf" },
        { "REJ: refused", 40000, 80, rej, N(rej), "REJ", "Sr" },
        { "RSTOS0: SYN then own RST", 40000, 80, rstos0, N(rstos0), "RSTOS0", "SR" },
        { "RSTO: originator abort", 40000, 80, rsto, N(rsto), "RSTO", "ShAR" },
        { "RSTR: responder abort", 40000, 80, rstr, N(rstr), "RSTR", "ShAr" },
        { "OTH: lone SYN-ACK", 80, 40000, lone_sa, N(lone_sa), "OTH", "^h" },
        { "OTH: mid-stream", 40000, 80, mid, N(mid), "OTH", "Dd" },
        { "SH: SYN then FIN", 40000, 80, sh, N(sh), "SH", "SF" },
        { "SHR: server side only", 80, 40000, shr, N(shr), "SHR", "^hf" },
        { "S1: simultaneous open", 40000, 80, simopen, N(simopen), "S1", "Ss" },
        { "Q: SYN+FIN", 40000, 80, q, N(q), "SH", "Q" },
        { "I: FIN+RST", 40000, 80, i_, N(i_), "RSTO", "ShAI" },
        { "T: retransmissions", 40000, 80, retx, N(retx), "S1", "ShADTT" },
        { "W: zero window", 40000, 80, zw, N(zw), "S1", "ShDaw" },
        { "reversal: SYN-ACK before SYN", 40000, 80, reorder, N(reorder), "S1", "Hs^A" },
        { "H becomes ^h", 40000, 80, h_flip, N(h_flip), "S1", "^hA" },
        { "SF: RST after both FINs", 40000, 80, sf_rst, N(sf_rst), "SF", "ShAFfr" },
    };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        run(&all[i]);
    if (failures) {
        printf("%d failure(s)\n", failures);
        return 1;
    }
    printf("all Zeek summary cases pass\n");
    return 0;
}
