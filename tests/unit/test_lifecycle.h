/* test_lifecycle.h - table-driven harness for the lifecycle engine's unit tests.
 *
 * A scenario is a list of rows: one TCP segment as an observer saw it and what
 * the engine must report for it.  Every expected value is worked out by hand
 * from RFC 9293 and shared/spec/SYNFIN.md (sections 2-4) / docs/engine.md,
 * never copied from the engine's output.  A field is checked only when the row
 * asks for it (macros below), so values the contract leaves open are left open.
 */
#ifndef SYNFIN_TEST_LIFECYCLE_H
#define SYNFIN_TEST_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "lifecycle.h"

/* One segment.  `from` is 0 for the connection's first sender, 1 for the other.
 * Frame numbers are the row index + 1; time defaults to 1 ms per frame. */
typedef struct tseg {
    uint8_t  from;
    uint16_t flags;
    uint32_t seq, ack, len;
    uint16_t sport, dport;
    int64_t  time_ns;   /* 0: frame * 1 ms */
    int      nolen;     /* 1: header cut, payload length unknown */
    uint32_t win;       /* spec 8.3: the scaled window, when wk */
    int      wk;        /* 1: the window is known (lc_segment.win_known) */
} tseg;

/* Tri-state for booleans: DEF is "false, checked" for merged / retransmission /
 * role_guessed and "not checked" for ack_ok. */
enum { DEF = 0, NO = 1, YES = 2, ANY = 3 };

#define NONE (-1)   /* for rel ack, deltas, ISN: "must be absent" */

typedef struct texp {
    int role;                       /* LC_ROLE_C2S / LC_ROLE_S2C; 0 = skip */
    int guessed, merged, retrans;   /* DEF (= must be false), NO, YES, ANY */
    int chk_phase, phase, chk_step, step, total; /* total 0: not checked */
    int chk_states, sc, ss;
    int chk_rseq;  int64_t rseq;
    int chk_rack;  int64_t rack;    /* NONE: the view has no ack.rel */
    int chk_aexp;  int64_t aexp;    /* has_ack_expected and the value */
    int ack_ok;                     /* 0 skip, NO, YES */
    int chk_sd;    int64_t sd;      /* NONE: has_seq_delta false */
    int chk_ad;    int64_t ad;      /* NONE: has_ack_delta false */
    int chk_afr;   uint32_t afr;
    unsigned anom, noanom;          /* bits that must be set / must be clear */
    const char *label;
    int chk_kind, kind;
    int chk_init, init;             /* lc_view.initiator (LC_INITIATOR_*) */
    int chk_links; uint32_t syn_link, synack_link;
    int chk_pfin; uint32_t pfin;    /* lc_view.fin_frame */
    int chk_isnc; int64_t isnc;     /* lc_view.isn_client at this frame */
    int chk_isns; int64_t isns;
    int chk_synt; int64_t synt;     /* lc_view.syn_time_ns: ns or NONE */
    int adv;                        /* advances: 0 skip, NO, YES */
    /* spec section 8 (reading.h); NONE = the function must answer "no value" */
    int chk_rchk;  int rchk;        /* lc_result.rst_check */
    int clears;                     /* clears_old: DEF (= must be false), NO, YES */
    int chk_van;   int64_t van;     /* lc_conn_vantage_at(frame) */
    int chk_hc;    int64_t hc;      /* lc_conn_halfclose */
    int chk_tdt;   int64_t tdt;     /* lc_conn_teardown_time */
} texp;

typedef struct trow {
    tseg seg;
    texp exp;
} trow;

typedef struct scenario {
    const char *group;
    const char *name;
    const char *what;     /* one line: the shape and where it comes from */
    const trow *rows;
    size_t      nrows;
} scenario;

/* ---- row-building macros ---------------------------------------------- */

#define CPORT 40000
#define SPORT 80
/* Segment from the connection's first sender (from 0) / the other (from 1),
 * with the usual client port 40000 and server port 80. */
#define C(fl, s, a, l) { .from = 0, .flags = (fl), .seq = (s), .ack = (a), .len = (l), \
                         .sport = CPORT, .dport = SPORT }
#define S(fl, s, a, l) { .from = 1, .flags = (fl), .seq = (s), .ack = (a), .len = (l), \
                         .sport = SPORT, .dport = CPORT }
#define SEG(fr, fl, s, a, l, sp, dp) { .from = (fr), .flags = (fl), .seq = (s), .ack = (a), \
                                       .len = (l), .sport = (sp), .dport = (dp) }

#define SYN  LC_SYN
#define ACK  LC_ACK
#define FIN  LC_FIN
#define RST  LC_RST
#define PSH  LC_PSH

/* Phases (spec section 4). */
#define P_UNK 0
#define P_HS  1
#define P_DATA 2
#define P_TD  3
#define P_RST 4
#define P_CLOSED 5

/* States (spec section 3). */
#define CL LC_CLOSED
#define LI LC_LISTEN
#define SS LC_SYN_SENT
#define SR LC_SYN_RECEIVED
#define ES LC_ESTABLISHED
#define F1 LC_FIN_WAIT_1
#define F2 LC_FIN_WAIT_2
#define CW LC_CLOSE_WAIT
#define CG LC_CLOSING
#define LA LC_LAST_ACK
#define TW LC_TIME_WAIT

#define C2S LC_ROLE_C2S
#define S2C LC_ROLE_S2C

/* role, phase, step, step total (3/4, 0 = unchecked), client and server state */
#define E(ro, ph, st, tot, c, s) .role = (ro), .chk_phase = 1, .phase = (ph), \
        .chk_step = 1, .step = (st), \
        .total = (tot), .chk_states = 1, .sc = (c), .ss = (s)
/* only the phase */
#define PHASE(ph) .chk_phase = 1, .phase = (ph)
/* only the states */
#define STATES(c, s) .chk_states = 1, .sc = (c), .ss = (s)
#define RSEQ(v)  .chk_rseq = 1, .rseq = (v)
#define RACK(v)  .chk_rack = 1, .rack = (v)
#define AEXP(v, ok) .chk_aexp = 1, .aexp = (v), .ack_ok = (ok)
#define AOK(ok)  .ack_ok = (ok)
#define SD(v)    .chk_sd = 1, .sd = (v)
#define AD(v)    .chk_ad = 1, .ad = (v)
#define AFR(v)   .chk_afr = 1, .afr = (v)
#define ANOM(m)  .anom = (m)
#define NOANOM(m) .noanom = (m)
#define CLEAN    .noanom = 0xFFFFFFFFu
#define LABEL(s) .label = (s)
#define KIND(k)  .chk_kind = 1, .kind = (k)
#define INIT(v)  .chk_init = 1, .init = (v)
#define LINKS(a, b) .chk_links = 1, .syn_link = (a), .synack_link = (b)
#define PFIN(v)  .chk_pfin = 1, .pfin = (v)
#define ISNC(v)  .chk_isnc = 1, .isnc = (v)
#define ISNS(v)  .chk_isns = 1, .isns = (v)
#define SYNT(v)  .chk_synt = 1, .synt = (v)
#define ADV(v)   .adv = (v)
#define RCHK(v)  .chk_rchk = 1, .rchk = (v)
#define CLEARS   .clears = YES
#define VAN(v)   .chk_van = 1, .van = (v)
#define HC(v)    .chk_hc = 1, .hc = (v)
#define TDT(v)   .chk_tdt = 1, .tdt = (v)
/* Segments with a known window w (spec 8.3) and a capture time t in ns (0:
 * frame * 1 ms). */
#define CWN(fl, s, a, l, w, t) { .from = 0, .flags = (fl), .seq = (s), .ack = (a), .len = (l), \
                                .sport = CPORT, .dport = SPORT, .win = (w), .wk = 1, .time_ns = (t) }
#define SWN(fl, s, a, l, w, t) { .from = 1, .flags = (fl), .seq = (s), .ack = (a), .len = (l), \
                                .sport = SPORT, .dport = CPORT, .win = (w), .wk = 1, .time_ns = (t) }
#define CT(fl, s, a, l, t) { .from = 0, .flags = (fl), .seq = (s), .ack = (a), .len = (l), \
                             .sport = CPORT, .dport = SPORT, .time_ns = (t) }
#define ST(fl, s, a, l, t) { .from = 1, .flags = (fl), .seq = (s), .ack = (a), .len = (l), \
                             .sport = SPORT, .dport = CPORT, .time_ns = (t) }
#define MS(v) ((int64_t)(v) * 1000000)
#define US(v) ((int64_t)(v) * 1000)
/* Rows whose role_guessed / merged / retransmission the contract leaves open. */
#define LOOSE    .guessed = ANY, .merged = ANY, .retrans = ANY

/* ack.frame when the newest covered peer segment is a copy (a retransmitted
 * SYN, SYN-ACK, FIN or data, or the second SYN-ACK of a simultaneous open that
 * repeats the ISN).  Both values are derived by hand:
 *   copy: SYNFIN.md section 4 read literally, "the newest peer segment this ack
 *         fully covers" - the copy is a peer segment and is fully covered;
 *   orig: only segments that advanced the sender's sequence space count, so the
 *         original is named (Wireshark's tcp.analysis.acks_frame also names the
 *         oldest exact match).
 * synfin follows the literal reading (docs/engine.md): the copy. */
#define GUESSED  .guessed = YES
#define MERGED   .merged = YES
#define RETRANS  .retrans = YES

#define NROWS(a) (sizeof(a) / sizeof((a)[0]))
#define SCEN(grp, nm, rows, txt) { (grp), (nm), (txt), (rows), NROWS(rows) }

/* Scenario tables, one per file. */
extern const scenario scen_open_close[];
extern const size_t   scen_open_close_count;
extern const scenario scen_edge[];
extern const size_t   scen_edge_count;
extern const scenario scen_reading[];
extern const size_t   scen_reading_count;

/* Procedural tests of spec section 8 outside the scenario tables (group
 * "reuse"): they count into the harness's totals through tl_check. */
void reading_api_tests(void);
void tl_check(int cond, const char *test, const char *fmt, ...);
/* Feed rows into a fresh connection (frame = index + 1). */
/* Feed rows into a fresh connection (frame = index + 1); segs and res hold n. */
void tl_feed(const trow *rows, size_t n, lc_conn *c, lc_segment *segs, lc_result *res);

#endif
