/* scen_open_close.c - the normal life and every open/close shape of spec section 3.
 *
 * Client ISN x = 1000, server ISN y = 5000 unless said otherwise.  Relative
 * numbers: SYN rel seq 0; everything after the SYN starts at rel 1.  ack.expected
 * is the peer's highest seq + len (+1 for SYN, +1 for FIN), relative.  ack.frame
 * is the newest of the peer's sequence-consuming segments (payload, SYN or FIN)
 * whose end the ack reaches.  Deltas: seq minus the sender's previous seq; ack
 * minus the sender's previous ACK-bearing segment's ack; none on the first.
 */
#include "test_lifecycle.h"

#define X 1000u
#define Y 5000u

/* The three-way handshake (RFC 9293 figure 6, spec section 3 rows 1-3).
 *  1 SYN x:        client CLOSED->SYN_SENT, server LISTEN->SYN_RECEIVED (observer
 *                  convention: delivered at once).  No ACK flag: no rel ack.
 *  2 SYN-ACK y,x+1: ack covers the client's SYN: SYN_SENT->ESTABLISHED.
 *                  expected = x+1 (SYN counts 1) -> rel 1, ok.  Covers frame 1.
 *  3 ACK x+1,y+1:  covers the server's SYN: SYN_RECEIVED->ESTABLISHED.
 *                  seq delta x+1-x = 1; no previous ACK-bearing client segment.
 */
#define OPEN_ROWS                                                                  \
    { C(SYN, X, 0, 0),                                                             \
      { E(C2S, P_HS, 1, 3, SS, SR), RSEQ(0), RACK(NONE), SD(NONE), AD(NONE),       \
        AFR(0), LINKS(0, 0), INIT(0), SYNT(NONE), KIND(LC_KIND_NORMAL), LABEL("SYN 1/3"),      \
        CLEAN } },                                                                 \
    { S(SYN | ACK, Y, X + 1, 0),                                                   \
      { E(S2C, P_HS, 2, 3, ES, SR), RSEQ(0), RACK(1), AEXP(1, YES), SD(NONE),      \
        AD(NONE), AFR(1), LINKS(1, 0), ISNC(X), INIT(0), SYNT(1000000), KIND(LC_KIND_NORMAL),     \
        LABEL("SYN-ACK 2/3"), CLEAN } },                                           \
    { C(ACK, X + 1, Y + 1, 0),                                                     \
      { E(C2S, P_HS, 3, 3, ES, ES), RSEQ(1), RACK(1), AEXP(1, YES), SD(1),         \
        AD(NONE), AFR(2), LINKS(1, 2), ISNC(X), ISNS(Y), INIT(0), SYNT(1000000),                  \
        KIND(LC_KIND_NORMAL), LABEL("ACK 3/3"), CLEAN } }

/* Spec section 3 worked example, reproduced row by row. */
static const trow spec_table[] = {
    OPEN_ROWS,
    /* 4 client FIN: ESTABLISHED->FIN_WAIT_1; server receives FIN: ->CLOSE_WAIT.
     * seq x+1 again (the pure ACK used no seq space): delta 0, ack delta 0. */
    { C(FIN | ACK, X + 1, Y + 1, 0),
      { E(C2S, P_TD, 1, 4, F1, CW), RSEQ(1), RACK(1), AEXP(1, YES), SD(0), AD(0),
        AFR(2), INIT(1), PFIN(0), KIND(LC_KIND_NORMAL), LABEL("FIN 1/4"), CLEAN } },
    /* 5 server ACK of the FIN (x+2): client FIN_WAIT_1->FIN_WAIT_2. */
    { S(ACK, Y + 1, X + 2, 0),
      { E(S2C, P_TD, 2, 4, F2, CW), RSEQ(1), RACK(2), AEXP(2, YES), SD(1), AD(1),
        AFR(4), INIT(1), PFIN(4), ISNC(X), ISNS(Y), KIND(LC_KIND_NORMAL),
        LABEL("ACK 2/4"), CLEAN } },
    /* 6 server FIN: CLOSE_WAIT->LAST_ACK; client FIN_WAIT_2->TIME_WAIT. */
    { S(FIN | ACK, Y + 1, X + 2, 0),
      { E(S2C, P_TD, 3, 4, TW, LA), RSEQ(1), RACK(2), AEXP(2, YES), SD(0), AD(0),
        AFR(4), INIT(1), PFIN(4), KIND(LC_KIND_NORMAL), LABEL("FIN 3/4"), CLEAN } },
    /* 7 client ACK of the server's FIN (y+2): LAST_ACK->CLOSED. */
    { C(ACK, X + 2, Y + 2, 0),
      { E(C2S, P_TD, 4, 4, TW, CL), RSEQ(2), RACK(2), AEXP(2, YES), SD(1), AD(1),
        AFR(6), INIT(1), PFIN(6), LINKS(1, 2), KIND(LC_KIND_NORMAL),
        LABEL("ACK 4/4"), CLEAN } },
};

/* FIN that also acks the peer's FIN: step 3, merged, states move through both
 * (client FIN_WAIT_1 -ack-> FIN_WAIT_2 -fin-> TIME_WAIT in one segment). */
static const trow merged_teardown[] = {
    OPEN_ROWS,
    { C(FIN | ACK, X + 1, Y + 1, 0),
      { E(C2S, P_TD, 1, 4, F1, CW), RSEQ(1), RACK(1), AEXP(1, YES), SD(0), AD(0),
        INIT(1), LABEL("FIN 1/4"), CLEAN } },
    { S(FIN | ACK, Y + 1, X + 2, 0),
      { E(S2C, P_TD, 3, 4, TW, LA), MERGED, RSEQ(1), RACK(2), AEXP(2, YES), SD(1),
        AD(1), AFR(4), INIT(1), PFIN(4), LABEL("ACK+FIN 2/4+3/4"), CLEAN } },
    { C(ACK, X + 2, Y + 2, 0),
      { E(C2S, P_TD, 4, 4, TW, CL), RSEQ(2), RACK(2), AEXP(2, YES), SD(1), AD(1),
        AFR(5), INIT(1), PFIN(5), LABEL("ACK 4/4"), CLEAN } },
};

/* Server closes first: same four steps, roles swapped. */
static const trow server_closes_first[] = {
    OPEN_ROWS,
    /* server FIN: ESTABLISHED->FIN_WAIT_1; client receives FIN ->CLOSE_WAIT.
     * ack x+1 reaches only the client's SYN (frame 1; the pure ACK used none). */
    { S(FIN | ACK, Y + 1, X + 1, 0),
      { E(S2C, P_TD, 1, 4, CW, F1), RSEQ(1), RACK(1), AEXP(1, YES), SD(1), AD(0),
        AFR(1), INIT(2), PFIN(0), LABEL("FIN 1/4"), CLEAN } },
    { C(ACK, X + 1, Y + 2, 0),
      { E(C2S, P_TD, 2, 4, CW, F2), RSEQ(1), RACK(2), AEXP(2, YES), SD(0), AD(1),
        AFR(4), INIT(2), PFIN(4), LABEL("ACK 2/4"), CLEAN } },
    { C(FIN | ACK, X + 1, Y + 2, 0),
      { E(C2S, P_TD, 3, 4, LA, TW), RSEQ(1), RACK(2), AEXP(2, YES), SD(0), AD(0),
        AFR(4), INIT(2), PFIN(4), LABEL("FIN 3/4"), CLEAN } },
    { S(ACK, Y + 2, X + 2, 0),
      { E(S2C, P_TD, 4, 4, CL, TW), RSEQ(2), RACK(2), AEXP(2, YES), SD(1), AD(1),
        AFR(6), INIT(2), PFIN(6), LABEL("ACK 4/4"), CLEAN } },
};

/* Half-close: data and pure ACKs between teardown steps are phase teardown,
 * step 0; data from the side that has not sent a FIN is not data-after-FIN. */
static const trow half_close[] = {
    OPEN_ROWS,
    { C(FIN | ACK, X + 1, Y + 1, 0),
      { E(C2S, P_TD, 1, 4, F1, CW), LABEL("FIN 1/4"), CLEAN } },
    { S(ACK, Y + 1, X + 2, 0),
      { E(S2C, P_TD, 2, 4, F2, CW), LABEL("ACK 2/4"), CLEAN } },
    /* 6 server keeps sending 100 bytes (CLOSE_WAIT may send). */
    { S(PSH | ACK, Y + 1, X + 2, 100),
      { E(S2C, P_TD, 0, 0, F2, CW), RSEQ(1), RACK(2), AEXP(2, YES), SD(0), AD(0),
        AFR(4), INIT(1), LABEL("DATA"), CLEAN } },
    /* 7 client acks the data: pure ACK, step 0. */
    { C(ACK, X + 2, Y + 101, 0),
      { E(C2S, P_TD, 0, 0, F2, CW), RSEQ(2), RACK(101), AEXP(101, YES), SD(1),
        AD(100), AFR(6), LABEL("ACK"), CLEAN } },
    { S(FIN | ACK, Y + 101, X + 2, 0),
      { E(S2C, P_TD, 3, 4, TW, LA), RSEQ(101), RACK(2), AEXP(2, YES), SD(100), AD(0),
        AFR(4), LABEL("FIN 3/4"), CLEAN } },
    { C(ACK, X + 2, Y + 102, 0),
      { E(C2S, P_TD, 4, 4, TW, CL), RSEQ(2), RACK(102), AEXP(102, YES), SD(0), AD(1),
        AFR(8), INIT(1), LABEL("ACK 4/4"), CLEAN } },
};

/* New data from the FIN's own sender beyond its FIN. */
static const trow data_after_own_fin[] = {
    OPEN_ROWS,
    { C(FIN | ACK, X + 1, Y + 1, 0),
      { E(C2S, P_TD, 1, 4, F1, CW), LABEL("FIN 1/4") } },
    { C(PSH | ACK, X + 2, Y + 1, 10),
      { E(C2S, P_TD, 0, 0, F1, CW), RSEQ(2), SD(1), AD(0), ANOM(LC_ANOM_DATA_AFTER_FIN) } },
};

/* Data, partial and full acks, a data retransmission (negative delta) and
 * ack.frame picking the newest covered segment. */
static const trow data_and_acks[] = {
    OPEN_ROWS,
    { C(PSH | ACK, X + 1, Y + 1, 100),
      { E(C2S, P_DATA, 0, 0, ES, ES), RSEQ(1), RACK(1), AEXP(1, YES), SD(0), AD(0),
        AFR(2), ADV(YES), LABEL("DATA"), CLEAN } },
    { C(PSH | ACK, X + 101, Y + 1, 100),
      { E(C2S, P_DATA, 0, 0, ES, ES), RSEQ(101), RACK(1), AEXP(1, YES), SD(100), AD(0),
        AFR(2), ADV(YES), LABEL("DATA"), CLEAN } },
    /* 6 partial ack: covers frame 4 only; expected 201 -> ack_ok false. */
    { S(ACK, Y + 1, X + 101, 0),
      { E(S2C, P_DATA, 0, 0, ES, ES), RSEQ(1), RACK(101), AEXP(201, NO), SD(1),
        AD(100), AFR(4), LABEL("ACK"), CLEAN } },
    { S(ACK, Y + 1, X + 201, 0),
      { E(S2C, P_DATA, 0, 0, ES, ES), RSEQ(1), RACK(201), AEXP(201, YES), SD(0),
        AD(100), AFR(5), LABEL("ACK") } },
    /* 8 client resends frame 4's bytes: seq goes back 100. */
    { C(PSH | ACK, X + 1, Y + 1, 100),
      { E(C2S, P_DATA, 0, 0, ES, ES), .retrans = ANY, RSEQ(1), RACK(1), AEXP(1, YES),
        SD(-100), AD(0), AFR(2), ADV(NO) } },
    /* 9 server data; its ack x+201 covers frames 5 and 8: newest is 8. */
    { S(PSH | ACK, Y + 1, X + 201, 300),
      { E(S2C, P_DATA, 0, 0, ES, ES), RSEQ(1), RACK(201), AEXP(201, YES), SD(0), AD(0),
        AFR(8), LABEL("DATA") } },
    { C(ACK, X + 201, Y + 301, 0),
      { E(C2S, P_DATA, 0, 0, ES, ES), RSEQ(201), RACK(301), AEXP(301, YES), SD(200),
        AD(300), AFR(9), LABEL("ACK") } },
};

/* ACK 3/3 may carry data (docs/engine.md steps table). */
static const trow ack33_with_data[] = {
    { C(SYN, X, 0, 0), { E(C2S, P_HS, 1, 3, SS, SR), LABEL("SYN 1/3") } },
    { S(SYN | ACK, Y, X + 1, 0), { E(S2C, P_HS, 2, 3, ES, SR), LABEL("SYN-ACK 2/3") } },
    { C(PSH | ACK, X + 1, Y + 1, 50),
      { E(C2S, P_HS, 3, 3, ES, ES), RSEQ(1), RACK(1), AEXP(1, YES), SD(1), AD(NONE),
        AFR(2), LABEL("ACK 3/3"), CLEAN } },
    { S(ACK, Y + 1, X + 51, 0),
      { E(S2C, P_DATA, 0, 0, ES, ES), RSEQ(1), RACK(51), AEXP(51, YES), SD(1), AD(50),
        AFR(3), LABEL("ACK"), CLEAN } },
};

/* Simultaneous open, RFC 9293 figure 7, client's SYN-ACK first (the order of
 * the spec's state list).  The first SYN is a snapshot: SYN 1/3.
 *  2 peer's bare SYN: server SYN_RECEIVED stays (send SYN from SYN_RECEIVED);
 *    client SYN_SENT receives SYN -> SYN_RECEIVED.
 *  3 client SYN-ACK (seq x again, ack y+1): server's SYN covered ->ESTABLISHED.
 *  4 server SYN-ACK (y, x+1): client's SYN covered ->ESTABLISHED.
 * Client sequence-consuming segments are frames 1 and 3, both ending at x+1:
 * the SYN-ACK 4/4's ack covers both, the newest is 3. */
#define SPA 1234
#define SPB 5678
static const trow sim_open_client_synack_first[] = {
    { SEG(0, SYN, X, 0, 0, SPA, SPB),
      { E(C2S, P_HS, 1, 3, SS, SR), RSEQ(0), RACK(NONE), KIND(LC_KIND_NORMAL),
        LABEL("SYN 1/3"), CLEAN } },
    { SEG(1, SYN, Y, 0, 0, SPB, SPA),
      { E(S2C, P_HS, 2, 4, SR, SR), RSEQ(0), RACK(NONE), SD(NONE), AD(NONE),
        KIND(LC_KIND_SIM), LINKS(1, 0), SYNT(1000000), ANOM(LC_ANOM_SIM_OPEN),
        NOANOM(LC_ANOM_SYN_RETRANS | LC_ANOM_RETRANS | LC_ANOM_BAD_ACK | LC_ANOM_MIDSTREAM),
        LABEL("SYN 2/4") } },
    { SEG(0, SYN | ACK, X, Y + 1, 0, SPA, SPB),
      { E(C2S, P_HS, 3, 4, SR, ES), RSEQ(0), RACK(1), AEXP(1, YES), SD(0), AD(NONE),
        AFR(2), KIND(LC_KIND_SIM), LINKS(1, 0),
        NOANOM(LC_ANOM_SYN_RETRANS | LC_ANOM_RETRANS | LC_ANOM_BAD_ACK),
        LABEL("SYN-ACK 3/4") } },
    { SEG(1, SYN | ACK, Y, X + 1, 0, SPB, SPA),
      { E(S2C, P_HS, 4, 4, ES, ES), RSEQ(0), RACK(1), AEXP(1, YES), SD(0), AD(NONE),
        AFR(3), KIND(LC_KIND_SIM), LINKS(1, 3), ISNC(X), ISNS(Y), SYNT(1000000),
        NOANOM(LC_ANOM_SYN_RETRANS | LC_ANOM_RETRANS | LC_ANOM_BAD_ACK),
        LABEL("SYN-ACK 4/4") } },
    /* after the handshake completed at 4/4, data is plain data */
    { SEG(0, PSH | ACK, X + 1, Y + 1, 10, SPA, SPB),
      { E(C2S, P_DATA, 0, 0, ES, ES), RSEQ(1), RACK(1), AEXP(1, YES), SD(1), AD(0),
        AFR(4), LINKS(1, 3), LABEL("DATA"),
        NOANOM(LC_ANOM_SYN_RETRANS | LC_ANOM_RETRANS | LC_ANOM_BAD_ACK) } },
};

/* Simultaneous open, the server's SYN-ACK first: derived from the same rules.
 *  3 server SYN-ACK: client's SYN covered: SYN_RECEIVED->ESTABLISHED.
 *  4 client SYN-ACK: server's SYN covered: ->ESTABLISHED. */
static const trow sim_open_server_synack_first[] = {
    { SEG(0, SYN, X, 0, 0, SPA, SPB), { E(C2S, P_HS, 1, 3, SS, SR), LABEL("SYN 1/3") } },
    { SEG(1, SYN, Y, 0, 0, SPB, SPA),
      { E(S2C, P_HS, 2, 4, SR, SR), ANOM(LC_ANOM_SIM_OPEN), LABEL("SYN 2/4") } },
    { SEG(1, SYN | ACK, Y, X + 1, 0, SPB, SPA),
      { E(S2C, P_HS, 3, 4, ES, SR), RSEQ(0), RACK(1), AEXP(1, YES), SD(0), AD(NONE),
        AFR(1), LINKS(1, 0), NOANOM(LC_ANOM_SYN_RETRANS | LC_ANOM_RETRANS | LC_ANOM_BAD_ACK),
        LABEL("SYN-ACK 3/4") } },
    { SEG(0, SYN | ACK, X, Y + 1, 0, SPA, SPB),
      { E(C2S, P_HS, 4, 4, ES, ES), RSEQ(0), RACK(1), AEXP(1, YES), SD(0), AD(NONE),
        AFR(3), LINKS(1, 3), NOANOM(LC_ANOM_SYN_RETRANS | LC_ANOM_RETRANS | LC_ANOM_BAD_ACK),
        LABEL("SYN-ACK 4/4") } },
};

/* Simultaneous close: the server's FIN acks only x+1, not the client's FIN at
 * x+1, so the FINs crossed.  States (first closer = client):
 *  4 FIN 1/4:  FIN_WAIT_1 / CLOSE_WAIT (snapshot, never rewritten)
 *  5 FIN 2/4:  server ESTABLISHED->FIN_WAIT_1->(client FIN)->CLOSING; client
 *              FIN_WAIT_1 receives FIN -> CLOSING.  expected x+2, ack x+1: not ok.
 *  6 ACK 3/4 from the client: server's FIN acked: server CLOSING->TIME_WAIT.
 *  7 ACK 4/4 from the server: client CLOSING->TIME_WAIT.
 * Initiator: 1 at frame 4, 3 from frame 5 on. */
static const trow sim_close_client_acks_first[] = {
    OPEN_ROWS,
    { C(FIN | ACK, X + 1, Y + 1, 0),
      { E(C2S, P_TD, 1, 4, F1, CW), RSEQ(1), RACK(1), AEXP(1, YES), SD(0), AD(0),
        AFR(2), INIT(1), PFIN(0), KIND(LC_KIND_NORMAL), LABEL("FIN 1/4"), CLEAN } },
    { S(FIN | ACK, Y + 1, X + 1, 0),
      { E(S2C, P_TD, 2, 4, CG, CG), RSEQ(1), RACK(1), AEXP(2, NO), SD(1), AD(0),
        AFR(1), INIT(3), PFIN(4), KIND(LC_KIND_SIM), ANOM(LC_ANOM_SIM_CLOSE),
        NOANOM(LC_ANOM_RETRANS | LC_ANOM_DATA_AFTER_FIN), LABEL("FIN 2/4") } },
    { C(ACK, X + 2, Y + 2, 0),
      { E(C2S, P_TD, 3, 4, CG, TW), RSEQ(2), RACK(2), AEXP(2, YES), SD(1), AD(1),
        AFR(5), INIT(3), PFIN(5), KIND(LC_KIND_SIM),
        NOANOM(LC_ANOM_RETRANS), LABEL("ACK 3/4") } },
    { S(ACK, Y + 2, X + 2, 0),
      { E(S2C, P_TD, 4, 4, TW, TW), RSEQ(2), RACK(2), AEXP(2, YES), SD(1), AD(1),
        AFR(4), INIT(3), PFIN(4), KIND(LC_KIND_SIM),
        NOANOM(LC_ANOM_RETRANS | LC_ANOM_AFTER_CLOSE), LABEL("ACK 4/4") } },
};

/* Simultaneous close, the server acks first: ACK 3/4 gives TIME_WAIT/CLOSING. */
static const trow sim_close_server_acks_first[] = {
    OPEN_ROWS,
    { C(FIN | ACK, X + 1, Y + 1, 0),
      { E(C2S, P_TD, 1, 4, F1, CW), INIT(1), LABEL("FIN 1/4") } },
    { S(FIN | ACK, Y + 1, X + 1, 0),
      { E(S2C, P_TD, 2, 4, CG, CG), INIT(3), ANOM(LC_ANOM_SIM_CLOSE), LABEL("FIN 2/4") } },
    { S(ACK, Y + 2, X + 2, 0),
      { E(S2C, P_TD, 3, 4, TW, CG), RSEQ(2), RACK(2), AEXP(2, YES), SD(1), AD(1),
        AFR(4), INIT(3), KIND(LC_KIND_SIM), NOANOM(LC_ANOM_RETRANS), LABEL("ACK 3/4") } },
    { C(ACK, X + 2, Y + 2, 0),
      { E(C2S, P_TD, 4, 4, TW, TW), RSEQ(2), RACK(2), AEXP(2, YES), SD(1), AD(1),
        AFR(5), INIT(3), KIND(LC_KIND_SIM), NOANOM(LC_ANOM_RETRANS | LC_ANOM_AFTER_CLOSE),
        LABEL("ACK 4/4") } },
};

/* Simultaneous close where the server is the first closer: initiator is still
 * 2 at FIN 1/4 and 3 from FIN 2/4 on; (client, server) states swap sides. */
static const trow sim_close_server_first[] = {
    OPEN_ROWS,
    { S(FIN | ACK, Y + 1, X + 1, 0),
      { E(S2C, P_TD, 1, 4, CW, F1), INIT(2), LABEL("FIN 1/4") } },
    { C(FIN | ACK, X + 1, Y + 1, 0),
      { E(C2S, P_TD, 2, 4, CG, CG), RSEQ(1), RACK(1), AEXP(2, NO), SD(0), AD(0),
        INIT(3), PFIN(4), ANOM(LC_ANOM_SIM_CLOSE), LABEL("FIN 2/4") } },
    { S(ACK, Y + 2, X + 2, 0),
      { E(S2C, P_TD, 3, 4, TW, CG), INIT(3), LABEL("ACK 3/4") } },
    { C(ACK, X + 2, Y + 2, 0),
      { E(C2S, P_TD, 4, 4, TW, TW), INIT(3), LABEL("ACK 4/4") } },
};

const scenario scen_open_close[] = {
    SCEN("basic", "spec_table", spec_table,
         "spec section 3 worked example: open + client-first close, 4 teardown segments"),
    SCEN("basic", "merged_teardown", merged_teardown,
         "teardown steps 2 and 3 in one segment: ACK+FIN 2/4+3/4"),
    SCEN("basic", "server_closes_first", server_closes_first,
         "server sends the first FIN"),
    SCEN("basic", "half_close", half_close,
         "data and ACKs between teardown steps: phase teardown, step 0"),
    SCEN("basic", "data_after_own_fin", data_after_own_fin,
         "new data beyond the sender's own FIN"),
    SCEN("basic", "data_and_acks", data_and_acks,
         "data, partial ack, full ack, resent data (negative delta), ack.frame"),
    SCEN("basic", "ack33_with_data", ack33_with_data,
         "ACK 3/3 carrying data"),
    SCEN("sim", "sim_open_client_synack_first", sim_open_client_synack_first,
         "simultaneous open, RFC 9293 figure 7, states as in the spec"),
    SCEN("sim", "sim_open_server_synack_first", sim_open_server_synack_first,
         "simultaneous open, the other SYN-ACK order"),
    SCEN("sim", "sim_close_client_acks_first", sim_close_client_acks_first,
         "simultaneous close: FIN 1/4, FIN 2/4, ACK 3/4, ACK 4/4, initiator 3"),
    SCEN("sim", "sim_close_server_acks_first", sim_close_server_acks_first,
         "simultaneous close, the other ACK order"),
    SCEN("sim", "sim_close_server_first", sim_close_server_first,
         "simultaneous close started by the server"),
};
const size_t scen_open_close_count = NROWS(scen_open_close);
