/* scen_edge.c - resets, retransmissions and duplicates, captures that start
 * late, sequence wrap-around, and inputs the contract calls anomalies.
 * Conventions as in scen_open_close.c (x = 1000, y = 5000). */
#include "test_lifecycle.h"

#define X 1000u
#define Y 5000u

/* handshake rows, fewer checks than in scen_open_close.c */
#define OPEN3                                                                      \
    { C(SYN, X, 0, 0), { E(C2S, P_HS, 1, 3, SS, SR), LABEL("SYN 1/3") } },         \
    { S(SYN | ACK, Y, X + 1, 0), { E(S2C, P_HS, 2, 3, ES, SR), LABEL("SYN-ACK 2/3") } }, \
    { C(ACK, X + 1, Y + 1, 0), { E(C2S, P_HS, 3, 3, ES, ES), LABEL("ACK 3/3") } }

/* the spec's client-first close after OPEN3 (frames 4-7) */
#define CLOSE4                                                                     \
    { C(FIN | ACK, X + 1, Y + 1, 0), { E(C2S, P_TD, 1, 4, F1, CW), LABEL("FIN 1/4") } }, \
    { S(ACK, Y + 1, X + 2, 0), { E(S2C, P_TD, 2, 4, F2, CW), LABEL("ACK 2/4") } },       \
    { S(FIN | ACK, Y + 1, X + 2, 0), { E(S2C, P_TD, 3, 4, TW, LA), LABEL("FIN 3/4") } }, \
    { C(ACK, X + 2, Y + 2, 0), { E(C2S, P_TD, 4, 4, TW, CL), LABEL("ACK 4/4") } }

/* ---- resets ------------------------------------------------------------- */

/* SYN answered by RST+ACK seq 0 ack x+1 (as Linux does).  The server's first
 * segment is no SYN: base = seq - 1, so rel seq 1; ack rel 1 = expected. */
static const trow refused[] = {
    { C(SYN, X, 0, 0), { E(C2S, P_HS, 1, 3, SS, SR), LABEL("SYN 1/3") } },
    { S(RST | ACK, 0, X + 1, 0),
      { E(S2C, P_RST, 0, 0, CL, CL), RSEQ(1), RACK(1), AEXP(1, YES), SD(NONE),
        AD(NONE), AFR(1), LINKS(1, 0), ANOM(LC_ANOM_REFUSED),
        NOANOM(LC_ANOM_ABORT | LC_ANOM_MIDSTREAM | LC_ANOM_BAD_FLAGS),
        LABEL("RST refused") } },
};

/* RST in the middle of data; a later segment is phase 5. */
static const trow abort_mid_data[] = {
    OPEN3,
    { C(PSH | ACK, X + 1, Y + 1, 100),
      { E(C2S, P_DATA, 0, 0, ES, ES), RSEQ(1), RACK(1), AEXP(1, YES), SD(0), AD(0),
        AFR(2), LABEL("DATA"), CLEAN } },
    { S(ACK, Y + 1, X + 101, 0),
      { E(S2C, P_DATA, 0, 0, ES, ES), RSEQ(1), RACK(101), AEXP(101, YES), SD(1),
        AD(100), AFR(4), LABEL("ACK"), CLEAN } },
    { S(RST | ACK, Y + 1, X + 101, 0),
      { E(S2C, P_RST, 0, 0, CL, CL), RSEQ(1), RACK(101), AEXP(101, YES), SD(0), AD(0),
        AFR(4), ANOM(LC_ANOM_ABORT), NOANOM(LC_ANOM_REFUSED | LC_ANOM_BAD_FLAGS),
        LABEL("RST abort") } },
    /* both CLOSED: any further segment is phase closed. RST used no seq space. */
    { C(PSH | ACK, X + 101, Y + 1, 50),
      { E(C2S, P_CLOSED, 0, 0, CL, CL), RSEQ(101), RACK(1), AEXP(1, YES), SD(100),
        AD(0), AFR(2), ANOM(LC_ANOM_AFTER_CLOSE), LABEL("after close") } },
};

/* Bare RST (no ACK flag) from the client on an open connection. */
static const trow abort_bare_rst[] = {
    OPEN3,
    { C(RST, X + 1, 0, 0),
      { E(C2S, P_RST, 0, 0, CL, CL), RSEQ(1), RACK(NONE), SD(0), AD(NONE), AFR(0),
        ANOM(LC_ANOM_ABORT), NOANOM(LC_ANOM_REFUSED), LABEL("RST abort") } },
};

/* The client's kernel answers the SYN-ACK with RST (what the injector must
 * prevent).  The spec calls only a RST answering a SYN "refused" (SYNFIN.md
 * section 3, "Refused"); docs/engine.md's step table counts this one as `RST abort`.
 * This row checks only the phase, the states and the relative numbers. */
static const trow rst_after_synack[] = {
    { C(SYN, X, 0, 0), { E(C2S, P_HS, 1, 3, SS, SR) } },
    { S(SYN | ACK, Y, X + 1, 0), { E(S2C, P_HS, 2, 3, ES, SR) } },
    { C(RST, X + 1, 0, 0), { E(C2S, P_RST, 0, 0, CL, CL), RSEQ(1), RACK(NONE) } },
};

/* A lone RST first: role guessed by port (sender 40000 > 80: client). */
static const trow lone_rst[] = {
    { C(RST, 12345, 0, 0),
      { E(C2S, P_RST, 0, 0, CL, CL), GUESSED, RSEQ(1), RACK(NONE), SD(NONE), AD(NONE),
        ISNC(NONE), ISNS(NONE), NOANOM(LC_ANOM_REFUSED), LABEL("RST abort") } },
    { S(ACK, 80000, 12345, 0),
      { E(S2C, P_CLOSED, 0, 0, CL, CL), GUESSED, RSEQ(1), RACK(1), AEXP(1, YES),
        SD(NONE), AD(NONE), ANOM(LC_ANOM_AFTER_CLOSE), LABEL("after close") } },
};

/* ---- retransmissions and duplicates -------------------------------------- */

static const trow syn_retrans[] = {
    { C(SYN, X, 0, 0), { E(C2S, P_HS, 1, 3, SS, SR), LABEL("SYN 1/3"), CLEAN } },
    { { .from = 0, .flags = SYN, .seq = X, .ack = 0, .len = 0, .sport = CPORT,
        .dport = SPORT, .time_ns = 1000000000 },
      { E(C2S, P_HS, 1, 3, SS, SR), RETRANS, RSEQ(0), RACK(NONE), SD(0), AD(NONE),
        LINKS(1, 0), SYNT(1000000), ANOM(LC_ANOM_SYN_RETRANS),
        LABEL("SYN 1/3 (retransmission)") } },
    /* the SYN-ACK acks x+1: frames 1 and 2 both end there, newest is 2 */
    { { .from = 1, .flags = SYN | ACK, .seq = Y, .ack = X + 1, .sport = SPORT,
        .dport = CPORT, .time_ns = 1010000000 },
      { E(S2C, P_HS, 2, 3, ES, SR), RSEQ(0), RACK(1), AEXP(1, YES), AFR(2), LINKS(1, 0),
        SYNT(1000000), NOANOM(LC_ANOM_BAD_ACK | LC_ANOM_SYN_RETRANS | LC_ANOM_RETRANS),
        LABEL("SYN-ACK 2/3") } },
    { { .from = 0, .flags = ACK, .seq = X + 1, .ack = Y + 1, .sport = CPORT,
        .dport = SPORT, .time_ns = 1020000000 },
      { E(C2S, P_HS, 3, 3, ES, ES), RSEQ(1), RACK(1), AEXP(1, YES), SD(1), AD(NONE),
        AFR(3), LINKS(1, 3), SYNT(1000000), NOANOM(LC_ANOM_SYN_RETRANS | LC_ANOM_RETRANS),
        LABEL("ACK 3/3") } },
};

/* The client did not get the SYN-ACK and sends its SYN again: a copy, no
 * state change (the client stays ESTABLISHED as far as the observer knows);
 * the server answers with a copy of its SYN-ACK. */
static const trow syn_retrans_after_synack[] = {
    { C(SYN, X, 0, 0), { E(C2S, P_HS, 1, 3, SS, SR), LABEL("SYN 1/3") } },
    { S(SYN | ACK, Y, X + 1, 0), { E(S2C, P_HS, 2, 3, ES, SR), LABEL("SYN-ACK 2/3") } },
    { C(SYN, X, 0, 0),
      { E(C2S, P_HS, 1, 3, ES, SR), RETRANS, RSEQ(0), RACK(NONE), SD(0), AD(NONE),
        LINKS(1, 2), ANOM(LC_ANOM_SYN_RETRANS), NOANOM(LC_ANOM_SYN_REORDER | LC_ANOM_NEW_ISN),
        LABEL("SYN 1/3 (retransmission)") } },
    { S(SYN | ACK, Y, X + 1, 0),
      { E(S2C, P_HS, 2, 3, ES, SR), RETRANS, RSEQ(0), RACK(1), AEXP(1, YES), SD(0), AD(0),
        AFR(3), ANOM(LC_ANOM_SYN_RETRANS), LABEL("SYN-ACK 2/3 (retransmission)") } },
    { C(ACK, X + 1, Y + 1, 0),
      { E(C2S, P_HS, 3, 3, ES, ES), RSEQ(1), RACK(1), AEXP(1, YES), SD(1), AD(NONE),
        AFR(4), LINKS(1, 2), LABEL("ACK 3/3") } },
};

static const trow synack_retrans[] = {
    { C(SYN, X, 0, 0), { E(C2S, P_HS, 1, 3, SS, SR), LABEL("SYN 1/3") } },
    { S(SYN | ACK, Y, X + 1, 0), { E(S2C, P_HS, 2, 3, ES, SR), LABEL("SYN-ACK 2/3") } },
    { S(SYN | ACK, Y, X + 1, 0),
      { E(S2C, P_HS, 2, 3, ES, SR), RETRANS, RSEQ(0), RACK(1), AEXP(1, YES), SD(0),
        AD(0), AFR(1), LINKS(1, 2), ANOM(LC_ANOM_SYN_RETRANS),
        LABEL("SYN-ACK 2/3 (retransmission)") } },
    { C(ACK, X + 1, Y + 1, 0),
      { E(C2S, P_HS, 3, 3, ES, ES), RSEQ(1), RACK(1), AEXP(1, YES), AFR(3), LINKS(1, 2),
        LABEL("ACK 3/3") } },
    /* the server did not get ACK 3/3: SYN-ACK again, then the client's copy */
    { S(SYN | ACK, Y, X + 1, 0),
      { E(S2C, P_HS, 2, 3, ES, ES), RETRANS, RSEQ(0), RACK(1), SD(0), AD(0), AFR(1),
        ANOM(LC_ANOM_SYN_RETRANS), LABEL("SYN-ACK 2/3 (retransmission)") } },
    { C(ACK, X + 1, Y + 1, 0),
      { E(C2S, P_HS, 3, 3, ES, ES), RETRANS, RSEQ(1), RACK(1), SD(0), AD(0), AFR(5),
        ANOM(LC_ANOM_RETRANS), LABEL("ACK 3/3 (retransmission)") } },
};

/* Same sender, seq, ack, flags and length as ACK 3/3: a copy of the step. */
static const trow dup_ack33[] = {
    OPEN3,
    { C(ACK, X + 1, Y + 1, 0),
      { E(C2S, P_HS, 3, 3, ES, ES), RETRANS, RSEQ(1), RACK(1), AEXP(1, YES), SD(0),
        AD(0), AFR(2), ANOM(LC_ANOM_RETRANS), LABEL("ACK 3/3 (retransmission)") } },
    { C(PSH | ACK, X + 1, Y + 1, 10),
      { E(C2S, P_DATA, 0, 0, ES, ES), RSEQ(1), SD(0), AD(0), LABEL("DATA") } },
};

/* Duplicate of ACK 4/4: still teardown step 4 (takes precedence over phase 5);
 * then another segment after both ends are CLOSED/TIME_WAIT: phase 5. */
static const trow dup_ack44_then_after_close[] = {
    OPEN3,
    CLOSE4,
    { C(ACK, X + 2, Y + 2, 0),
      { E(C2S, P_TD, 4, 4, TW, CL), RETRANS, RSEQ(2), RACK(2), AEXP(2, YES), SD(0),
        AD(0), AFR(6), INIT(1), ANOM(LC_ANOM_RETRANS), LABEL("ACK 4/4 (retransmission)") } },
    /* the server's pure ACK here (seq y+2) is no copy of its ACK 2/4 (seq y+1) */
    { S(ACK, Y + 2, X + 2, 0),
      { E(S2C, P_CLOSED, 0, 0, TW, CL), RSEQ(2), RACK(2), AEXP(2, YES), SD(1), AD(0),
        AFR(4), INIT(1), ANOM(LC_ANOM_AFTER_CLOSE), LABEL("after close") } },
};

/* Both FINs and ACK 2/4 sent twice. */
static const trow fin_retrans[] = {
    OPEN3,
    { C(FIN | ACK, X + 1, Y + 1, 0), { E(C2S, P_TD, 1, 4, F1, CW), LABEL("FIN 1/4") } },
    { C(FIN | ACK, X + 1, Y + 1, 0),
      { E(C2S, P_TD, 1, 4, F1, CW), RETRANS, RSEQ(1), RACK(1), AEXP(1, YES), SD(0), AD(0),
        AFR(2), INIT(1), ANOM(LC_ANOM_RETRANS), LABEL("FIN 1/4 (retransmission)") } },
    /* frames 4 and 5 both end at x+2: newest is 5 */
    { S(ACK, Y + 1, X + 2, 0),
      { E(S2C, P_TD, 2, 4, F2, CW), RSEQ(1), RACK(2), AEXP(2, YES), AFR(5), PFIN(4),
        NOANOM(LC_ANOM_RETRANS), LABEL("ACK 2/4") } },
    { S(ACK, Y + 1, X + 2, 0),
      { E(S2C, P_TD, 2, 4, F2, CW), RETRANS, SD(0), AD(0), AFR(5),
        ANOM(LC_ANOM_RETRANS), LABEL("ACK 2/4 (retransmission)") } },
    { S(FIN | ACK, Y + 1, X + 2, 0),
      { E(S2C, P_TD, 3, 4, TW, LA), SD(0), AD(0), AFR(5), NOANOM(LC_ANOM_RETRANS),
        LABEL("FIN 3/4") } },
    { S(FIN | ACK, Y + 1, X + 2, 0),
      { E(S2C, P_TD, 3, 4, TW, LA), RETRANS, RSEQ(1), RACK(2), SD(0), AD(0), AFR(5),
        ANOM(LC_ANOM_RETRANS), LABEL("FIN 3/4 (retransmission)") } },
    { C(ACK, X + 2, Y + 2, 0),
      { E(C2S, P_TD, 4, 4, TW, CL), RSEQ(2), RACK(2), AEXP(2, YES), SD(1), AD(1),
        AFR(9), PFIN(8), NOANOM(LC_ANOM_RETRANS), LABEL("ACK 4/4") } },
};

/* ---- captures that start late ------------------------------------------ */

/* First segment data+ACK from port 80 to 40000: the lower port is the server,
 * so the first sender is the server.  Both ESTABLISHED.  Bases: server seq-1,
 * client ack-1 of the server's first segment. */
static const trow midstream_server_first[] = {
    { SEG(0, PSH | ACK, 7000, 3000, 100, SPORT, CPORT),
      { E(S2C, P_DATA, 0, 0, ES, ES), GUESSED, RSEQ(1), RACK(1), SD(NONE), AD(NONE),
        AFR(0), LINKS(0, 0), ISNC(NONE), ISNS(NONE), INIT(0), ANOM(LC_ANOM_MIDSTREAM),
        LABEL("DATA") } },
    { SEG(1, ACK, 3000, 7100, 0, CPORT, SPORT),
      { E(C2S, P_DATA, 0, 0, ES, ES), GUESSED, RSEQ(1), RACK(101), AEXP(101, YES),
        SD(NONE), AD(NONE), AFR(1), LABEL("ACK") } },
    /* the steps still work on a guessed role: client closes, server merges */
    { SEG(1, FIN | ACK, 3000, 7100, 0, CPORT, SPORT),
      { E(C2S, P_TD, 1, 4, F1, CW), GUESSED, RSEQ(1), RACK(101), AEXP(101, YES), SD(0),
        AD(0), INIT(1), LABEL("FIN 1/4") } },
    { SEG(0, FIN | ACK, 7100, 3001, 0, SPORT, CPORT),
      { E(S2C, P_TD, 3, 4, TW, LA), GUESSED, MERGED, RSEQ(101), RACK(2), AEXP(2, YES),
        SD(100), AD(1), AFR(3), LABEL("ACK+FIN 2/4+3/4") } },
    { SEG(1, ACK, 3001, 7101, 0, CPORT, SPORT),
      { E(C2S, P_TD, 4, 4, TW, CL), GUESSED, RSEQ(2), RACK(102), AEXP(102, YES), SD(1),
        AD(1), AFR(4), LABEL("ACK 4/4") } },
};

/* Equal ports: the first sender is the client. */
static const trow midstream_tie[] = {
    { SEG(0, PSH | ACK, 100, 200, 10, 5000, 5000),
      { E(C2S, P_DATA, 0, 0, ES, ES), GUESSED, RSEQ(1), RACK(1), SD(NONE), AD(NONE),
        ANOM(LC_ANOM_MIDSTREAM), LABEL("DATA") } },
    { SEG(1, PSH | ACK, 200, 110, 20, 5000, 5000),
      { E(S2C, P_DATA, 0, 0, ES, ES), GUESSED, RSEQ(1), RACK(11), AEXP(11, YES),
        AFR(1), LABEL("DATA") } },
    { SEG(0, ACK, 110, 220, 0, 5000, 5000),
      { E(C2S, P_DATA, 0, 0, ES, ES), GUESSED, RSEQ(11), RACK(21), AEXP(21, YES),
        SD(10), AD(20), AFR(2), LABEL("ACK") } },
};

/* First sender has the higher port: it is the client. */
static const trow midstream_client_first[] = {
    { SEG(0, ACK, 100, 200, 0, 40000, 443),
      { E(C2S, P_DATA, 0, 0, ES, ES), GUESSED, RSEQ(1), RACK(1),
        ANOM(LC_ANOM_MIDSTREAM), LABEL("ACK") } },
    { SEG(1, PSH | ACK, 200, 100, 5, 443, 40000),
      { E(S2C, P_DATA, 0, 0, ES, ES), GUESSED, RSEQ(1), RACK(1), LABEL("DATA") } },
};

/* Only the SYN-ACK was captured: its sender (port 50000, the higher one, so the
 * port rule would say otherwise) is the server and the role is proven, not
 * guessed.  The SYN is assumed: ESTABLISHED / SYN_RECEIVED. */
static const trow lone_synack[] = {
    { SEG(0, SYN | ACK, Y, X + 1, 0, 50000, 1024),
      { E(S2C, P_HS, 2, 3, ES, SR), RSEQ(0), RACK(1), SD(NONE), AD(NONE), LINKS(0, 0),
        ISNC(NONE), SYNT(NONE), NOANOM(LC_ANOM_MIDSTREAM | LC_ANOM_BAD_ACK | LC_ANOM_SYN_REORDER),
        LABEL("SYN-ACK 2/3") } },
    { SEG(1, ACK, X + 1, Y + 1, 0, 1024, 50000),
      { E(C2S, P_HS, 3, 3, ES, ES), RSEQ(1), RACK(1), AEXP(1, YES), SD(NONE), AD(NONE),
        AFR(1), LINKS(0, 1), ISNC(NONE), ISNS(Y), SYNT(NONE), NOANOM(LC_ANOM_MIDSTREAM),
        LABEL("ACK 3/3") } },
    { SEG(1, PSH | ACK, X + 1, Y + 1, 10, 1024, 50000),
      { E(C2S, P_DATA, 0, 0, ES, ES), RSEQ(1), RACK(1), SD(0), AD(0), LABEL("DATA") } },
};

/* The SYN shows up after the SYN-ACK that answers it (capture reordering). */
static const trow syn_reorder[] = {
    { S(SYN | ACK, Y, X + 1, 0), { LOOSE, .role = S2C } },
    { C(SYN, X, 0, 0), { LOOSE, .role = C2S, ANOM(LC_ANOM_SYN_REORDER) } },
};

/* ---- numbers -------------------------------------------------------------- */

/* ISNs just below 2^32: both directions wrap during data.
 * client x = 0xFFFFFF00: data at x+1 of 1000 bytes ends at 0x000002E9 (rel 1001);
 * server y = 0xFFFFFFF0: data at y+1 of 50 bytes ends at 0x00000023 (rel 51). */
#define WX 0xFFFFFF00u
#define WY 0xFFFFFFF0u
static const trow seq_wrap[] = {
    { C(SYN, WX, 0, 0),
      { E(C2S, P_HS, 1, 3, SS, SR), RSEQ(0), RACK(NONE), LABEL("SYN 1/3"), CLEAN } },
    { S(SYN | ACK, WY, 0xFFFFFF01u, 0),
      { E(S2C, P_HS, 2, 3, ES, SR), RSEQ(0), RACK(1), AEXP(1, YES), AFR(1), ISNC(WX),
        LABEL("SYN-ACK 2/3"), CLEAN } },
    { C(ACK, 0xFFFFFF01u, 0xFFFFFFF1u, 0),
      { E(C2S, P_HS, 3, 3, ES, ES), RSEQ(1), RACK(1), AEXP(1, YES), SD(1), AD(NONE),
        AFR(2), ISNS(WY), LABEL("ACK 3/3"), CLEAN } },
    { C(PSH | ACK, 0xFFFFFF01u, 0xFFFFFFF1u, 1000),
      { E(C2S, P_DATA, 0, 0, ES, ES), RSEQ(1), RACK(1), AEXP(1, YES), SD(0), AD(0),
        AFR(2), LABEL("DATA"), CLEAN } },
    /* ack 0x2E9 - previous ack 0xFFFFFF01 = 1000 (mod 2^32) */
    { S(ACK, 0xFFFFFFF1u, 0x000002E9u, 0),
      { E(S2C, P_DATA, 0, 0, ES, ES), RSEQ(1), RACK(1001), AEXP(1001, YES), SD(1),
        AD(1000), AFR(4), LABEL("ACK"), CLEAN } },
    { C(PSH | ACK, 0x000002E9u, 0xFFFFFFF1u, 100),
      { E(C2S, P_DATA, 0, 0, ES, ES), RSEQ(1001), RACK(1), AEXP(1, YES), SD(1000),
        AD(0), AFR(2), LABEL("DATA"), CLEAN } },
    /* 7 the client resends frame 4: seq goes back across the wrap, -1000 */
    { C(PSH | ACK, 0xFFFFFF01u, 0xFFFFFFF1u, 1000),
      { E(C2S, P_DATA, 0, 0, ES, ES), .retrans = ANY, RSEQ(1), RACK(1), AEXP(1, YES),
        SD(-1000), AD(0), AFR(2), ADV(NO) } },
    /* 8 server data across the wrap; ack 0x34D covers frames 6 and 7: newest 7 */
    { S(PSH | ACK, 0xFFFFFFF1u, 0x0000034Du, 50),
      { E(S2C, P_DATA, 0, 0, ES, ES), RSEQ(1), RACK(1101), AEXP(1101, YES), SD(0),
        AD(100), AFR(7), LABEL("DATA") } },
    /* seq 0x34D - previous 0xFFFFFF01 = 1100; ack 0x23 - 0xFFFFFFF1 = 50 */
    { C(ACK, 0x0000034Du, 0x00000023u, 0),
      { E(C2S, P_DATA, 0, 0, ES, ES), RSEQ(1101), RACK(51), AEXP(51, YES), SD(1100),
        AD(50), AFR(8), LABEL("ACK") } },
    { C(FIN | ACK, 0x0000034Du, 0x00000023u, 0),
      { E(C2S, P_TD, 1, 4, F1, CW), RSEQ(1101), RACK(51), AEXP(51, YES), SD(0), AD(0),
        AFR(8), INIT(1), LABEL("FIN 1/4") } },
    { S(FIN | ACK, 0x00000023u, 0x0000034Eu, 0),
      { E(S2C, P_TD, 3, 4, TW, LA), MERGED, RSEQ(51), RACK(1102), AEXP(1102, YES),
        SD(50), AD(1), AFR(10), LABEL("ACK+FIN 2/4+3/4") } },
    { C(ACK, 0x0000034Eu, 0x00000024u, 0),
      { E(C2S, P_TD, 4, 4, TW, CL), RSEQ(1102), RACK(52), AEXP(52, YES), SD(1), AD(1),
        AFR(11), ISNC(WX), ISNS(WY), LABEL("ACK 4/4") } },
};

/* Server's FIN carries 100 bytes; an ack that covers the data but not the FIN
 * is no step (phase teardown, step 0) and leaves FIN_WAIT_1 alone. */
static const trow fin_with_data[] = {
    OPEN3,
    { S(PSH | FIN | ACK, Y + 1, X + 1, 100),
      { E(S2C, P_TD, 1, 4, CW, F1), RSEQ(1), RACK(1), AEXP(1, YES), SD(1), AD(0), AFR(1),
        INIT(2), LABEL("FIN 1/4") } },
    /* covers frame 2 (ends y+1) but not frame 4 (ends y+102): expected 102 */
    { C(ACK, X + 1, Y + 101, 0),
      { E(C2S, P_TD, 0, 0, CW, F1), RSEQ(1), RACK(101), AEXP(102, NO), SD(0), AD(100),
        AFR(2), LABEL("ACK") } },
    { C(ACK, X + 1, Y + 102, 0),
      { E(C2S, P_TD, 2, 4, CW, F2), RSEQ(1), RACK(102), AEXP(102, YES), SD(0), AD(1),
        AFR(4), LABEL("ACK 2/4") } },
    { C(FIN | ACK, X + 1, Y + 102, 0),
      { E(C2S, P_TD, 3, 4, LA, TW), RSEQ(1), RACK(102), SD(0), AD(0), AFR(4),
        LABEL("FIN 3/4") } },
    { S(ACK, Y + 102, X + 2, 0),
      { E(S2C, P_TD, 4, 4, CL, TW), RSEQ(102), RACK(2), AEXP(2, YES), SD(101), AD(1),
        AFR(7), INIT(2), LABEL("ACK 4/4") } },
};

/* The peer's segment that acks the FIN carries data: still ACK 2/4. */
static const trow ack24_with_data[] = {
    OPEN3,
    { C(FIN | ACK, X + 1, Y + 1, 0), { E(C2S, P_TD, 1, 4, F1, CW), LABEL("FIN 1/4") } },
    { S(PSH | ACK, Y + 1, X + 2, 50),
      { E(S2C, P_TD, 2, 4, F2, CW), RSEQ(1), RACK(2), AEXP(2, YES), SD(1), AD(1), AFR(4),
        LABEL("ACK 2/4") } },
    { C(ACK, X + 2, Y + 51, 0),
      { E(C2S, P_TD, 0, 0, F2, CW), RSEQ(2), RACK(51), AEXP(51, YES), SD(1), AD(50),
        AFR(5), LABEL("ACK") } },
    { S(FIN | ACK, Y + 51, X + 2, 0),
      { E(S2C, P_TD, 3, 4, TW, LA), RSEQ(51), SD(50), AD(0), AFR(4), LABEL("FIN 3/4") } },
    { C(ACK, X + 2, Y + 52, 0),
      { E(C2S, P_TD, 4, 4, TW, CL), RACK(52), AEXP(52, YES), SD(0), AD(1), AFR(7),
        LABEL("ACK 4/4") } },
};

/* RST while closing: RST abort. */
static const trow rst_while_closing[] = {
    OPEN3,
    { C(FIN | ACK, X + 1, Y + 1, 0), { E(C2S, P_TD, 1, 4, F1, CW), LABEL("FIN 1/4") } },
    { S(RST | ACK, Y + 1, X + 2, 0),
      { E(S2C, P_RST, 0, 0, CL, CL), RSEQ(1), RACK(2), AEXP(2, YES), SD(1), AD(1), AFR(4),
        ANOM(LC_ANOM_ABORT), NOANOM(LC_ANOM_REFUSED), LABEL("RST abort") } },
};

/* RST after the close: a RST closes both ends (RFC 9293 3.10.7.4: TIME-WAIT
 * + RST -> CLOSED).  Whether it is phase reset or phase closed is open. */
static const trow rst_in_time_wait[] = {
    OPEN3,
    CLOSE4,
    { S(RST, Y + 2, 0, 0), { LOOSE, .role = S2C, STATES(CL, CL), RSEQ(2), RACK(NONE) } },
};

/* Capture starts with a FIN: both ESTABLISHED, then the FIN applies. */
static const trow midstream_fin_first[] = {
    { SEG(0, FIN | ACK, 100, 200, 0, CPORT, SPORT),
      { E(C2S, P_TD, 1, 4, F1, CW), GUESSED, RSEQ(1), RACK(1), INIT(1),
        ANOM(LC_ANOM_MIDSTREAM), LABEL("FIN 1/4") } },
    { SEG(1, ACK, 200, 101, 0, SPORT, CPORT),
      { E(S2C, P_TD, 2, 4, F2, CW), GUESSED, RSEQ(1), RACK(2), AEXP(2, YES), AFR(1),
        LABEL("ACK 2/4") } },
};

/* The server sends data before the client's ACK 3/3 is seen: not a step, phase
 * handshake (the handshake is not complete, the server is SYN_RECEIVED).  The
 * client's first segment acking the SYN-ACK is ACK 3/3 even though it also
 * acks the data. */
static const trow server_data_before_ack33[] = {
    { C(SYN, X, 0, 0), { E(C2S, P_HS, 1, 3, SS, SR), LABEL("SYN 1/3") } },
    { S(SYN | ACK, Y, X + 1, 0), { E(S2C, P_HS, 2, 3, ES, SR), LABEL("SYN-ACK 2/3") } },
    { S(PSH | ACK, Y + 1, X + 1, 10),
      { E(S2C, P_HS, 0, 0, ES, SR), RSEQ(1), RACK(1), AEXP(1, YES), SD(1), AD(0), AFR(1),
        LABEL("DATA") } },
    { C(ACK, X + 1, Y + 11, 0),
      { E(C2S, P_HS, 3, 3, ES, ES), RSEQ(1), RACK(11), AEXP(11, YES), SD(1), AD(NONE),
        AFR(3), LABEL("ACK 3/3") } },
};

/* A copy of ACK 3/3 that arrives after the client's first data (reordering):
 * same sender, seq, ack, flags and length as the step -> a copy (SYNFIN.md 3). */
static const trow late_dup_ack33[] = {
    OPEN3,
    { C(PSH | ACK, X + 1, Y + 1, 10), { E(C2S, P_DATA, 0, 0, ES, ES), LABEL("DATA") } },
    { C(ACK, X + 1, Y + 1, 0),
      { E(C2S, P_HS, 3, 3, ES, ES), RETRANS, RSEQ(1), RACK(1), SD(0), AD(0),
        ANOM(LC_ANOM_RETRANS), LABEL("ACK 3/3 (retransmission)") } },
};

/* ---- the handshake arithmetic broken ----------------------------------- */

/* SYN-ACK acks x instead of x+1: does not cover the SYN, so the client stays
 * SYN_SENT; expected rel 1, got rel 0. */
static const trow bad_synack_ack[] = {
    { C(SYN, X, 0, 0), { E(C2S, P_HS, 1, 3, SS, SR), LABEL("SYN 1/3") } },
    { S(SYN | ACK, Y, X, 0),
      { E(S2C, P_HS, 2, 3, SS, SR), RSEQ(0), RACK(0), AEXP(1, NO), AFR(0),
        ANOM(LC_ANOM_BAD_ACK), LABEL("SYN-ACK 2/3") } },
};

/* SYN-ACK acks x+5, beyond anything the client sent (SND.NXT = x+1): RFC 9293
 * 3.10.7.3 (SYN-SENT) "If SEG.ACK =< ISS or SEG.ACK > SND.NXT ... discard the
 * segment": the client stays SYN_SENT.  Not x+1, so bad_ack; expected 1. */
static const trow bad_synack_ack_beyond[] = {
    { C(SYN, X, 0, 0), { E(C2S, P_HS, 1, 3, SS, SR), LABEL("SYN 1/3") } },
    { S(SYN | ACK, Y, X + 5, 0),
      { .role = S2C, PHASE(P_HS), STATES(SS, SR), RSEQ(0), RACK(5), AEXP(1, NO),
        ANOM(LC_ANOM_BAD_ACK) } },
};

/* ACK of the SYN-ACK acks y+5 (the server sent only its SYN): RFC 9293
 * 3.10.7.4 SYN-RECEIVED accepts only SND.UNA < SEG.ACK =< SND.NXT, so the
 * server stays SYN_RECEIVED; not y+1, so bad_ack. */
static const trow bad_ack33_beyond[] = {
    { C(SYN, X, 0, 0), { E(C2S, P_HS, 1, 3, SS, SR) } },
    { S(SYN | ACK, Y, X + 1, 0), { E(S2C, P_HS, 2, 3, ES, SR) } },
    { C(ACK, X + 1, Y + 5, 0),
      { .role = C2S, PHASE(P_HS), STATES(ES, SR), RSEQ(1), RACK(5), AEXP(1, NO),
        ANOM(LC_ANOM_BAD_ACK) } },
};

/* ACK of the SYN-ACK acks y instead of y+1: the server stays SYN_RECEIVED. */
static const trow bad_ack33[] = {
    { C(SYN, X, 0, 0), { E(C2S, P_HS, 1, 3, SS, SR) } },
    { S(SYN | ACK, Y, X + 1, 0), { E(S2C, P_HS, 2, 3, ES, SR) } },
    { C(ACK, X + 1, Y, 0),
      { .role = C2S, PHASE(P_HS), STATES(ES, SR), RSEQ(1), RACK(0), AEXP(1, NO),
        ANOM(LC_ANOM_BAD_ACK) } },
};

/* Data on the SYN (TCP Fast Open), server accepts it: SYN-ACK acks x+21
 * (SYN 1 + 20 bytes), which equals ack.expected. */
static const trow tfo_accepted[] = {
    { C(SYN, X, 0, 20),
      { E(C2S, P_HS, 1, 3, SS, SR), RSEQ(0), RACK(NONE), LABEL("SYN 1/3") } },
    { S(SYN | ACK, Y, X + 21, 0),
      { E(S2C, P_HS, 2, 3, ES, SR), RSEQ(0), RACK(21), AEXP(21, YES), AFR(1),
        LABEL("SYN-ACK 2/3") } },
    { C(ACK, X + 21, Y + 1, 0),
      { E(C2S, P_HS, 3, 3, ES, ES), RSEQ(21), RACK(1), AEXP(1, YES), SD(21), AFR(2),
        LABEL("ACK 3/3") } },
};

/* Fast Open refused: the SYN-ACK acks only the SYN (x+1 = ISN+1, no bad_ack),
 * which establishes the client but is not all the client sent (expected 21). */
static const trow tfo_fallback[] = {
    { C(SYN, X, 0, 20), { E(C2S, P_HS, 1, 3, SS, SR), LABEL("SYN 1/3") } },
    { S(SYN | ACK, Y, X + 1, 0),
      { E(S2C, P_HS, 2, 3, ES, SR), RSEQ(0), RACK(1), AEXP(21, NO),
        NOANOM(LC_ANOM_BAD_ACK), LABEL("SYN-ACK 2/3") } },
    { C(PSH | ACK, X + 1, Y + 1, 20),
      { E(C2S, P_HS, 3, 3, ES, ES), .retrans = ANY, RSEQ(1), RACK(1), AEXP(1, YES),
        SD(1), AFR(2) } },
};

/* ---- impossible flags, odd input ---------------------------------------- */

static const trow bad_flags_synfin_first[] = {
    { C(SYN | FIN, X, 0, 0), { LOOSE, ANOM(LC_ANOM_BAD_FLAGS) } },
    { S(ACK, Y, X + 1, 0), { LOOSE } },
};
static const trow bad_flags_synrst_first[] = {
    { C(SYN | RST, X, 0, 0), { LOOSE, ANOM(LC_ANOM_BAD_FLAGS) } },
    { S(SYN | ACK, Y, X + 1, 0), { LOOSE } },
};
static const trow bad_flags_all_first[] = {
    { C(0x1FF, X, Y, 10), { LOOSE, ANOM(LC_ANOM_BAD_FLAGS) } },
    { S(0x1FF, Y, X, 10), { LOOSE, ANOM(LC_ANOM_BAD_FLAGS) } },
};
static const trow bad_flags_mid_connection[] = {
    OPEN3,
    { C(SYN | FIN | ACK, X + 1, Y + 1, 0), { LOOSE, ANOM(LC_ANOM_BAD_FLAGS) } },
    { S(FIN | RST | ACK, Y + 1, X + 1, 0), { LOOSE, ANOM(LC_ANOM_BAD_FLAGS) } },
    { C(0x1FF, X + 1, Y + 1, 5), { LOOSE, ANOM(LC_ANOM_BAD_FLAGS) } },
    { S(ACK, Y + 1, X + 1, 0), { LOOSE } },
    { C(0, X + 1, 0, 0), { LOOSE } },   /* no flags at all */
};

/* A new SYN on the same connection after both ends closed.  docs/engine.md does
 * not define a restart: only the invariants are checked (no crash, states and
 * phases in range, labels NUL-terminated). */
static const trow new_syn_after_close[] = {
    OPEN3,
    CLOSE4,
    { C(SYN, 90000, 0, 0), { LOOSE } },
    { S(SYN | ACK, 70000, 90001, 0), { LOOSE } },
    { C(ACK, 90001, 70001, 0), { LOOSE } },
    { C(PSH | ACK, 90001, 70001, 10), { LOOSE } },
};

/* A SYN with another ISN while the connection is open. */
static const trow new_isn_open[] = {
    OPEN3,
    { C(SYN, 777777, 0, 0), { LOOSE, ANOM(LC_ANOM_NEW_ISN) } },
};

/* Header cut: payload length unknown. */
static const trow no_length[] = {
    OPEN3,
    { { .from = 0, .flags = PSH | ACK, .seq = X + 1, .ack = Y + 1, .len = 0,
        .sport = CPORT, .dport = SPORT, .nolen = 1 },
      { LOOSE, .role = C2S, ANOM(LC_ANOM_NO_LENGTH) } },
};

const scenario scen_edge[] = {
    SCEN("reset", "refused", refused, "SYN answered by RST+ACK"),
    SCEN("reset", "abort_mid_data", abort_mid_data, "RST during data, then a segment after close"),
    SCEN("reset", "abort_bare_rst", abort_bare_rst, "bare RST from the client"),
    SCEN("reset", "rst_after_synack", rst_after_synack, "client RST instead of ACK 3/3"),
    SCEN("reset", "lone_rst", lone_rst, "a RST is the first segment seen"),
    SCEN("retrans", "syn_retrans", syn_retrans, "SYN sent twice before the SYN-ACK"),
    SCEN("retrans", "syn_retrans_after_synack", syn_retrans_after_synack,
         "SYN and SYN-ACK sent again after the SYN-ACK"),
    SCEN("retrans", "synack_retrans", synack_retrans, "SYN-ACK sent twice, before and after ACK 3/3"),
    SCEN("retrans", "dup_ack33", dup_ack33, "ACK 3/3 duplicated"),
    SCEN("retrans", "dup_ack44_then_after_close", dup_ack44_then_after_close,
         "ACK 4/4 duplicated, then a segment after close"),
    SCEN("retrans", "fin_retrans", fin_retrans, "FIN 1/4, ACK 2/4 and FIN 3/4 sent twice"),
    SCEN("retrans", "late_dup_ack33", late_dup_ack33, "copy of ACK 3/3 after the first data"),
    SCEN("basic", "fin_with_data", fin_with_data,
         "server FIN with data; an ack of the data only is no step"),
    SCEN("basic", "ack24_with_data", ack24_with_data, "ACK 2/4 carrying data"),
    SCEN("basic", "server_data_before_ack33", server_data_before_ack33,
         "server data before ACK 3/3"),
    SCEN("reset", "rst_while_closing", rst_while_closing, "RST after FIN 1/4"),
    SCEN("reset", "rst_in_time_wait", rst_in_time_wait, "RST after the close"),
    SCEN("partial", "midstream_fin_first", midstream_fin_first, "capture starts at a FIN"),
    SCEN("partial", "midstream_server_first", midstream_server_first,
         "capture starts mid-stream, first sender on the lower port"),
    SCEN("partial", "midstream_tie", midstream_tie, "mid-stream, equal ports"),
    SCEN("partial", "midstream_client_first", midstream_client_first,
         "mid-stream, first sender on the higher port"),
    SCEN("partial", "lone_synack", lone_synack, "capture starts at the SYN-ACK"),
    SCEN("partial", "syn_reorder", syn_reorder, "SYN seen after its SYN-ACK"),
    SCEN("numbers", "seq_wrap", seq_wrap, "both sequence spaces wrap past 2^32"),
    SCEN("numbers", "bad_synack_ack", bad_synack_ack, "SYN-ACK acks x, not x+1"),
    SCEN("numbers", "bad_ack33", bad_ack33, "ACK of the SYN-ACK acks y, not y+1"),
    SCEN("numbers", "bad_synack_ack_beyond", bad_synack_ack_beyond,
         "SYN-ACK acks x+5, beyond what the client sent"),
    SCEN("numbers", "bad_ack33_beyond", bad_ack33_beyond,
         "ACK of the SYN-ACK acks y+5, beyond what the server sent"),
    SCEN("numbers", "tfo_accepted", tfo_accepted, "data on the SYN, acked by the SYN-ACK"),
    SCEN("numbers", "tfo_fallback", tfo_fallback, "data on the SYN, only the SYN acked"),
    SCEN("odd", "bad_flags_synfin_first", bad_flags_synfin_first, "SYN+FIN first"),
    SCEN("odd", "bad_flags_synrst_first", bad_flags_synrst_first, "SYN+RST first"),
    SCEN("odd", "bad_flags_all_first", bad_flags_all_first, "all flags set"),
    SCEN("odd", "bad_flags_mid_connection", bad_flags_mid_connection,
         "SYN+FIN, FIN+RST, all flags, no flags on an open connection"),
    SCEN("odd", "new_syn_after_close", new_syn_after_close,
         "handshake again on the same conn after close (undefined: invariants only)"),
    SCEN("odd", "new_isn_open", new_isn_open, "SYN with another ISN on an open connection"),
    SCEN("odd", "no_length", no_length, "payload length unknown"),
};
const size_t scen_edge_count = NROWS(scen_edge);
