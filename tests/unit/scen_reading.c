/* scen_reading.c - spec section 8: the old-connection ACK and the RST that
 * clears it (8.1), the acceptability of every RST (8.3), close times and
 * connections left open (8.4), the vantage (8.5), and 4-tuple reuse (8.2).
 *
 * Client ISN x = 1000, server ISN y = 5000.  Every expected value is worked
 * out by hand from the spec's tables and RFC 9293 / RFC 5961 / RFC 1982; the
 * comment above each scenario gives the arithmetic.  Windows: WC = 1000 is
 * the client's advertised window, WS = 2000 the server's (already scaled, as
 * Wireshark's tcp.window_size).
 */
#include <inttypes.h>
#include <string.h>

#include "reading.h"
#include "test_lifecycle.h"

#define X 1000u
#define Y 5000u
#define WC 1000u
#define WS 2000u

/* Handshake with known windows, 1 ms apart (frames 1-3). */
#define OPEN3W                                                                          \
    { CWN(SYN, X, 0, 0, WC, 0), { E(C2S, P_HS, 1, 3, SS, SR), LABEL("SYN 1/3") } },     \
    { SWN(SYN | ACK, Y, X + 1, 0, WS, 0), { E(S2C, P_HS, 2, 3, ES, SR), LABEL("SYN-ACK 2/3") } }, \
    { CWN(ACK, X + 1, Y + 1, 0, WC, 0), { E(C2S, P_HS, 3, 3, ES, ES), LABEL("ACK 3/3") } }

/* ---- 8.1 ------------------------------------------------------------------ */

/* A SYN answered by the ACK of an older connection (a Linux server in
 * TIME-WAIT whose old connection's numbers are seq OS, next expected OA):
 *  1 SYN x: SYN_SENT / SYN_RECEIVED (section 3).
 *  2 server ACK seq OS ack OA, OA != x+1, no SYN-ACK seen: 8.1, the SYN was
 *    not accepted: SYN_SENT / LISTEN, warning old_connection, step 0.
 *  3 client RST seq OA (RFC 9293 3.10.7.3: <SEQ=SEG.ACK><CTL=RST>): clears
 *    it, step 0, no state change, rst.check 0.
 *  4 SYN x again 1 s later: retransmission, the server now gets it:
 *    SYN_SENT / SYN_RECEIVED.
 *  5 SYN-ACK y, x+1 and 6 ACK 3/3: as section 3.  The ACK 3/3's ack is the
 *    server's next (y+1): ack.ok.  The vantage is shown from frame 6 and is
 *    unknown: the SYN was sent twice (first transmissions only, Karn).
 *  The old ACK's numbers belong to another connection: they do not count as
 *  the server's sequence space (no seq.delta on the SYN-ACK), and the
 *  server's relative base is its ISN y, set by the SYN-ACK (seq.rel 0 there,
 *  as Wireshark shows it), not the old ACK's seq; the old ACK itself shows
 *  no seq.rel (another connection's number) but its ack relative to x; the
 *  RST's seq is OA relative to x. */
#define OS 900000u
#define OA 777777u
static const trow old_connection[] = {
    { CWN(SYN, X, 0, 0, WC, MS(1)), { E(C2S, P_HS, 1, 3, SS, SR), LABEL("SYN 1/3"), CLEAN,
                                      VAN(NONE) } },
    { SWN(ACK, OS, OA, 0, WS, MS(2)),
      { E(S2C, P_HS, 0, 0, SS, LI), ANOM(LC_ANOM_OLD_CONNECTION), AOK(NO),
        NOANOM(LC_ANOM_BAD_ACK), LABEL("ACK (old connection)"), VAN(NONE), RSEQ(NONE),
        RACK((uint32_t)(OA - X)) } },
    { CWN(RST, OA, 0, 0, WC, MS(3)),
      { E(C2S, P_HS, 0, 0, SS, LI), CLEARS, RCHK(0), CLEAN, LABEL("RST (clears old connection)"),
        RSEQ((uint32_t)(OA - X)) } },
    { CWN(SYN, X, 0, 0, WC, MS(1001)),
      { E(C2S, P_HS, 1, 3, SS, SR), RETRANS, ANOM(LC_ANOM_SYN_RETRANS),
        LABEL("SYN 1/3 (retransmission)") } },
    { SWN(SYN | ACK, Y, X + 1, 0, WS, MS(1050)),
      { E(S2C, P_HS, 2, 3, ES, SR), SD(NONE), AOK(YES), ISNS(Y), LINKS(1, 0), CLEAN,
        LABEL("SYN-ACK 2/3"), VAN(NONE), RSEQ(0), RACK(1) } },
    { CWN(ACK, X + 1, Y + 1, 0, WC, MS(1051)),
      { E(C2S, P_HS, 3, 3, ES, ES), AOK(YES), CLEAN, LABEL("ACK 3/3"), VAN(LC_VANTAGE_UNKNOWN),
        RSEQ(1), RACK(1) } },
    { CWN(PSH | ACK, X + 1, Y + 1, 10, WC, MS(1052)),
      { E(C2S, P_DATA, 0, 0, ES, ES), CLEAN, LABEL("DATA"), VAN(LC_VANTAGE_UNKNOWN) } },
};

/* The rule's limits: a server ACK with ack == x+1 is not an old connection's
 * (plain ACK, section 3 unchanged: SYN_SENT / SYN_RECEIVED); a client RST
 * whose seq is not the old ACK's ack does not clear anything. */
static const trow old_connection_limits[] = {
    { CWN(SYN, X, 0, 0, WC, 0), { E(C2S, P_HS, 1, 3, SS, SR) } },
    { SWN(ACK, 42, X + 1, 0, WS, 0),
      { E(S2C, P_HS, 0, 0, SS, SR), NOANOM(LC_ANOM_OLD_CONNECTION), LABEL("ACK") } },
    { SWN(ACK, OS, OA, 0, WS, 0),
      { E(S2C, P_HS, 0, 0, SS, LI), ANOM(LC_ANOM_OLD_CONNECTION), LABEL("ACK (old connection)") } },
    /* seq OA + 1: not the clearing RST, so 8.3 applies: the receiver (the
     * server, back in LISTEN) advertised WS at frame 2 (the old ACK's window
     * does not count); RCV.NXT = x+1; OA+1 is far beyond x+1+WS: out of
     * window, states unchanged (a LISTEN socket ignores a RST, RFC 9293
     * 3.10.7.1). */
    { CWN(RST, OA + 1, 0, 0, WC, 0),
      { E(C2S, P_RST, 0, 0, SS, LI), RCHK(LC_RST_CHECK_OUT_OF_WINDOW),
        NOANOM(LC_ANOM_OLD_CONNECTION), LABEL("RST (out of window)") } },
};

/* ---- 8.3 ------------------------------------------------------------------ */

/* The server's RST at exactly RCV.NXT (its next = y+1): exact, both CLOSED. */
static const trow rst_exact[] = {
    OPEN3W,
    { SWN(RST | ACK, Y + 1, X + 1, 0, 0, 0),
      { E(S2C, P_RST, 0, 0, CL, CL), RCHK(LC_RST_CHECK_EXACT), ANOM(LC_ANOM_ABORT),
        NOANOM(LC_ANOM_RST_NOT_EXACT | LC_ANOM_RST_OUT_OF_WINDOW), LABEL("RST abort") } },
};

/* An injected RST in the client's name (the server is the receiver: window
 * WS = 2000 from its frame 5; RCV.NXT = client next = x+101 after frame 4):
 *  6 seq x+601: x+101 < x+601 < x+2101: in window, states unchanged.
 *  7 the server's challenge ACK (seq y+1, ack x+101: RFC 5961 3.2): plain
 *    ACK, the connection goes on.
 *  8 client data at x+101: seq.delta = (x+101) - (x+601) = -500 (the
 *    previous seq of the same sender is the RST's); it is still new data
 *    (the RST did not move the sender's next).
 *  9 ack x+151 = expected: rel 151, ack.ok.
 * 10 seq x+151+2000 = RCV.NXT + window: not below the right edge: out.
 * 11 seq x+151+1999: in window (the last number inside).
 * 12 seq x+150 = RCV.NXT - 1: behind: out of window.
 * 13 seq x+151: exact, both CLOSED. */
static const trow rst_window[] = {
    OPEN3W,
    { CWN(PSH | ACK, X + 1, Y + 1, 100, WC, 0), { E(C2S, P_DATA, 0, 0, ES, ES), CLEAN } },
    { SWN(ACK, Y + 1, X + 101, 0, WS, 0), { E(S2C, P_DATA, 0, 0, ES, ES), CLEAN } },
    { CWN(RST, X + 601, 0, 0, 0, 0),
      { E(C2S, P_RST, 0, 0, ES, ES), RCHK(LC_RST_CHECK_IN_WINDOW), ANOM(LC_ANOM_RST_NOT_EXACT),
        NOANOM(LC_ANOM_ABORT | LC_ANOM_REFUSED | LC_ANOM_RST_OUT_OF_WINDOW),
        LABEL("RST (in window, not exact)") } },
    { SWN(ACK, Y + 1, X + 101, 0, WS, 0),
      { E(S2C, P_DATA, 0, 0, ES, ES), SD(0), AD(0), CLEAN, LABEL("ACK") } },
    { CWN(PSH | ACK, X + 101, Y + 1, 50, WC, 0),
      { E(C2S, P_DATA, 0, 0, ES, ES), SD(-500), ADV(YES), CLEAN, LABEL("DATA") } },
    { SWN(ACK, Y + 1, X + 151, 0, WS, 0),
      { E(S2C, P_DATA, 0, 0, ES, ES), AEXP(151, YES), CLEAN } },
    { CWN(RST, X + 151 + WS, 0, 0, 0, 0),
      { E(C2S, P_RST, 0, 0, ES, ES), RCHK(LC_RST_CHECK_OUT_OF_WINDOW),
        ANOM(LC_ANOM_RST_OUT_OF_WINDOW), NOANOM(LC_ANOM_ABORT | LC_ANOM_RST_NOT_EXACT),
        LABEL("RST (out of window)") } },
    { CWN(RST, X + 151 + WS - 1, 0, 0, 0, 0),
      { E(C2S, P_RST, 0, 0, ES, ES), RCHK(LC_RST_CHECK_IN_WINDOW),
        LABEL("RST (in window, not exact)") } },
    { CWN(RST, X + 150, 0, 0, 0, 0),
      { E(C2S, P_RST, 0, 0, ES, ES), RCHK(LC_RST_CHECK_OUT_OF_WINDOW),
        LABEL("RST (out of window)") } },
    { CWN(RST, X + 151, 0, 0, 0, 0),
      { E(C2S, P_RST, 0, 0, CL, CL), RCHK(LC_RST_CHECK_EXACT), ANOM(LC_ANOM_ABORT),
        LABEL("RST abort") } },
};

/* The receiver's window is the last one it advertised: the server's frame 5
 * has an unknown window (scale unknown), so the client's RST at frame 6 is
 * unknown (section 3: both CLOSED) even though its earlier windows were known. */
static const trow rst_window_unknown[] = {
    OPEN3W,
    { CWN(PSH | ACK, X + 1, Y + 1, 100, WC, 0), { E(C2S, P_DATA, 0, 0, ES, ES) } },
    { S(ACK, Y + 1, X + 101, 0), { E(S2C, P_DATA, 0, 0, ES, ES) } },
    { CWN(RST, X + 601, 0, 0, 0, 0),
      { E(C2S, P_RST, 0, 0, CL, CL), RCHK(LC_RST_CHECK_UNKNOWN), ANOM(LC_ANOM_ABORT),
        NOANOM(LC_ANOM_RST_NOT_EXACT | LC_ANOM_RST_OUT_OF_WINDOW), LABEL("RST abort") } },
};

/* Mid-stream start: RCV.NXT is not known (the capture did not see the
 * sequence space begin), windows known or not: 0, both CLOSED. */
static const trow rst_midstream[] = {
    { CWN(PSH | ACK, 70000, 90000, 100, WC, 0),
      { E(C2S, P_DATA, 0, 0, ES, ES), GUESSED, ANOM(LC_ANOM_MIDSTREAM) } },
    { SWN(ACK, 90000, 70100, 0, WS, 0), { E(S2C, P_DATA, 0, 0, ES, ES), GUESSED } },
    { SWN(RST | ACK, 90777, 70100, 0, 0, 0),
      { E(S2C, P_RST, 0, 0, CL, CL), GUESSED, RCHK(LC_RST_CHECK_UNKNOWN), ANOM(LC_ANOM_ABORT),
        LABEL("RST abort") } },
};

/* RST answering a SYN (receiver SYN_SENT; its SYN window WC is known):
 *  2 RST without ACK: does not acknowledge the SYN: out of window, dropped
 *    (RFC 9293 3.10.7.3), SYN_SENT / SYN_RECEIVED unchanged, not refused.
 *  3 RST+ACK ack x+5: x+5 > SND.NXT = x+1: out of window.
 *  4 RST+ACK ack x+1 = ISN + 1: exact: refused, both CLOSED. */
static const trow rst_to_syn[] = {
    { CWN(SYN, X, 0, 0, WC, 0), { E(C2S, P_HS, 1, 3, SS, SR) } },
    { SWN(RST, 0, 0, 0, 0, 0),
      { E(S2C, P_RST, 0, 0, SS, SR), RCHK(LC_RST_CHECK_OUT_OF_WINDOW),
        ANOM(LC_ANOM_RST_OUT_OF_WINDOW), NOANOM(LC_ANOM_REFUSED | LC_ANOM_ABORT),
        LABEL("RST (out of window)") } },
    { SWN(RST | ACK, 0, X + 5, 0, 0, 0),
      { E(S2C, P_RST, 0, 0, SS, SR), RCHK(LC_RST_CHECK_OUT_OF_WINDOW),
        LABEL("RST (out of window)") } },
    { SWN(RST | ACK, 0, X + 1, 0, 0, 0),
      { E(S2C, P_RST, 0, 0, CL, CL), RCHK(LC_RST_CHECK_EXACT), ANOM(LC_ANOM_REFUSED),
        NOANOM(LC_ANOM_RST_OUT_OF_WINDOW), LABEL("RST refused") } },
};

/* The same RST without ACK when the SYN's window was not given: unknown,
 * section 3 as before 8.3 (refused, both CLOSED). */
static const trow rst_to_syn_unknown[] = {
    { C(SYN, X, 0, 0), { E(C2S, P_HS, 1, 3, SS, SR) } },
    { S(RST, 0, 0, 0),
      { E(S2C, P_RST, 0, 0, CL, CL), RCHK(LC_RST_CHECK_UNKNOWN), ANOM(LC_ANOM_REFUSED),
        LABEL("RST refused") } },
};

/* After the client's FIN (fin seq x+1, next x+2) the server (CLOSE_WAIT)
 * gets a RST at x+1, the FIN's own number: exact (Linux tcp_reset_check). */
static const trow rst_fin_number[] = {
    OPEN3W,
    { CWN(FIN | ACK, X + 1, Y + 1, 0, WC, 0), { E(C2S, P_TD, 1, 4, F1, CW), LABEL("FIN 1/4") } },
    { SWN(ACK, Y + 1, X + 2, 0, WS, 0), { E(S2C, P_TD, 2, 4, F2, CW), LABEL("ACK 2/4") } },
    { CWN(RST, X + 1, 0, 0, 0, 0),
      { E(C2S, P_RST, 0, 0, CL, CL), RCHK(LC_RST_CHECK_EXACT), LABEL("RST abort") } },
};

/* RSTs after close (client TIME_WAIT, server CLOSED): the client's window
 * WC from ACK 4/4, RCV.NXT = server next y+2.
 *  8 seq y+2+5000: out of window: states unchanged, phase closed.
 *  9 seq y+2: exact: closes (TIME_WAIT ends), "RST after close". */
static const trow rst_after_close[] = {
    OPEN3W,
    { CWN(FIN | ACK, X + 1, Y + 1, 0, WC, 0), { E(C2S, P_TD, 1, 4, F1, CW) } },
    { SWN(ACK, Y + 1, X + 2, 0, WS, 0), { E(S2C, P_TD, 2, 4, F2, CW) } },
    { SWN(FIN | ACK, Y + 1, X + 2, 0, WS, 0), { E(S2C, P_TD, 3, 4, TW, LA) } },
    { CWN(ACK, X + 2, Y + 2, 0, WC, 0), { E(C2S, P_TD, 4, 4, TW, CL) } },
    { SWN(RST, Y + 2 + 5000, 0, 0, 0, 0),
      { E(S2C, P_CLOSED, 0, 0, TW, CL), RCHK(LC_RST_CHECK_OUT_OF_WINDOW),
        ANOM(LC_ANOM_AFTER_CLOSE | LC_ANOM_RST_OUT_OF_WINDOW), LABEL("RST (out of window)") } },
    { SWN(RST, Y + 2, 0, 0, 0, 0),
      { E(S2C, P_CLOSED, 0, 0, CL, CL), RCHK(LC_RST_CHECK_EXACT), ANOM(LC_ANOM_AFTER_CLOSE),
        LABEL("RST after close") } },
};

/* ---- 8.4 ------------------------------------------------------------------ */

/* Client closes first: FIN 1/4 at 10 ms, FIN 3/4 at 2.5 s: halfclose
 * 2490 ms; ACK 4/4 at 2.6 s: teardown.time 2590 ms.  A copy of FIN 3/4
 * (2.7 s) and of ACK 4/4 (2.8 s) show neither (first transmissions). */
static const trow close_client_first[] = {
    { CT(SYN, X, 0, 0, MS(1)), { E(C2S, P_HS, 1, 3, SS, SR), HC(NONE), TDT(NONE) } },
    { ST(SYN | ACK, Y, X + 1, 0, MS(2)), { E(S2C, P_HS, 2, 3, ES, SR) } },
    { CT(ACK, X + 1, Y + 1, 0, MS(3)), { E(C2S, P_HS, 3, 3, ES, ES), HC(NONE), TDT(NONE) } },
    { CT(FIN | ACK, X + 1, Y + 1, 0, MS(10)),
      { E(C2S, P_TD, 1, 4, F1, CW), HC(NONE), TDT(NONE) } },
    { ST(ACK, Y + 1, X + 2, 0, MS(11)), { E(S2C, P_TD, 2, 4, F2, CW), HC(NONE), TDT(NONE) } },
    { ST(FIN | ACK, Y + 1, X + 2, 0, MS(2500)),
      { E(S2C, P_TD, 3, 4, TW, LA), HC(MS(2490)), TDT(NONE), LABEL("FIN 3/4") } },
    { CT(ACK, X + 2, Y + 2, 0, MS(2600)),
      { E(C2S, P_TD, 4, 4, TW, CL), HC(NONE), TDT(MS(2590)), LABEL("ACK 4/4") } },
    { ST(FIN | ACK, Y + 1, X + 2, 0, MS(2700)),
      { PHASE(P_TD), RETRANS, HC(NONE), TDT(NONE), LABEL("FIN 3/4 (retransmission)") } },
    { CT(ACK, X + 2, Y + 2, 0, MS(2800)),
      { PHASE(P_TD), RETRANS, HC(NONE), TDT(NONE), LABEL("ACK 4/4 (retransmission)") } },
};

/* Server closes first: FIN 1/4 (server) at 10 ms, the client's FIN 3/4 at
 * 40 ms: halfclose 30 ms; ACK 4/4 (server) at 45 ms: 35 ms. */
static const trow close_server_first[] = {
    { CT(SYN, X, 0, 0, MS(1)), { E(C2S, P_HS, 1, 3, SS, SR) } },
    { ST(SYN | ACK, Y, X + 1, 0, MS(2)), { E(S2C, P_HS, 2, 3, ES, SR) } },
    { CT(ACK, X + 1, Y + 1, 0, MS(3)), { E(C2S, P_HS, 3, 3, ES, ES) } },
    { ST(FIN | ACK, Y + 1, X + 1, 0, MS(10)), { E(S2C, P_TD, 1, 4, CW, F1), HC(NONE) } },
    { CT(ACK, X + 1, Y + 2, 0, MS(12)), { E(C2S, P_TD, 2, 4, CW, F2), HC(NONE), TDT(NONE) } },
    { CT(FIN | ACK, X + 1, Y + 2, 0, MS(40)),
      { E(C2S, P_TD, 3, 4, LA, TW), HC(MS(30)), TDT(NONE) } },
    { ST(ACK, Y + 2, X + 2, 0, MS(45)), { E(S2C, P_TD, 4, 4, CL, TW), HC(NONE), TDT(MS(35)) } },
};

/* Merged: the server's FIN acks the client's FIN (ACK+FIN 2/4+3/4) 5 ms
 * after it: halfclose 5 ms; ACK 4/4 1 ms later: 6 ms. */
static const trow close_merged[] = {
    { CT(SYN, X, 0, 0, MS(1)), { E(C2S, P_HS, 1, 3, SS, SR) } },
    { ST(SYN | ACK, Y, X + 1, 0, MS(2)), { E(S2C, P_HS, 2, 3, ES, SR) } },
    { CT(ACK, X + 1, Y + 1, 0, MS(3)), { E(C2S, P_HS, 3, 3, ES, ES) } },
    { CT(FIN | ACK, X + 1, Y + 1, 0, MS(10)), { E(C2S, P_TD, 1, 4, F1, CW) } },
    { ST(FIN | ACK, Y + 1, X + 2, 0, MS(15)),
      { E(S2C, P_TD, 3, 4, TW, LA), MERGED, HC(MS(5)), TDT(NONE), LABEL("ACK+FIN 2/4+3/4") } },
    { CT(ACK, X + 2, Y + 2, 0, MS(16)), { E(C2S, P_TD, 4, 4, TW, CL), HC(NONE), TDT(MS(6)) } },
};

/* Simultaneous close: FIN 1/4 at 10 ms, the crossing FIN 2/4 (the second
 * closer's FIN) at 10.5 ms: halfclose 0.5 ms; ACK 3/4 (11 ms) shows
 * nothing; ACK 4/4 at 11.2 ms: 1.2 ms. */
static const trow close_simultaneous[] = {
    { CT(SYN, X, 0, 0, MS(1)), { E(C2S, P_HS, 1, 3, SS, SR) } },
    { ST(SYN | ACK, Y, X + 1, 0, MS(2)), { E(S2C, P_HS, 2, 3, ES, SR) } },
    { CT(ACK, X + 1, Y + 1, 0, MS(3)), { E(C2S, P_HS, 3, 3, ES, ES) } },
    { CT(FIN | ACK, X + 1, Y + 1, 0, MS(10)), { E(C2S, P_TD, 1, 4, F1, CW), HC(NONE) } },
    { ST(FIN | ACK, Y + 1, X + 1, 0, US(10500)),
      { E(S2C, P_TD, 2, 4, CG, CG), HC(US(500)), TDT(NONE), LABEL("FIN 2/4") } },
    { CT(ACK, X + 2, Y + 2, 0, MS(11)),
      { E(C2S, P_TD, 3, 4, CG, TW), HC(NONE), TDT(NONE), LABEL("ACK 3/4") } },
    { ST(ACK, Y + 2, X + 2, 0, US(11200)),
      { E(S2C, P_TD, 4, 4, TW, TW), HC(NONE), TDT(US(1200)), LABEL("ACK 4/4") } },
};

/* ---- 8.5 ------------------------------------------------------------------ */

/* a = SYN -> SYN-ACK, b = SYN-ACK -> ACK 3/3; shown from ACK 3/3 on. */
#define VANT(name, t2, t3, want)                                                          \
    static const trow name[] = {                                                          \
        { CT(SYN, X, 0, 0, MS(1)), { E(C2S, P_HS, 1, 3, SS, SR), VAN(NONE) } },          \
        { ST(SYN | ACK, Y, X + 1, 0, MS(1) + (t2)), { E(S2C, P_HS, 2, 3, ES, SR), VAN(NONE) } }, \
        { CT(ACK, X + 1, Y + 1, 0, MS(1) + (t3)), { E(C2S, P_HS, 3, 3, ES, ES), VAN(want) } },   \
        { CT(PSH | ACK, X + 1, Y + 1, 10, MS(500)), { E(C2S, P_DATA, 0, 0, ES, ES), VAN(want) } }, \
    }
/* a = 40 ms, b = 0.1 ms: 4b = 0.4 ms <= a: near the client. */
VANT(vantage_client, MS(40), US(40100), LC_VANTAGE_CLIENT);
/* a = 0.1 ms, b = 40 ms: 4a <= b: near the server. */
VANT(vantage_server, US(100), US(40100), LC_VANTAGE_SERVER);
/* a = b = 20 ms: neither: in between. */
VANT(vantage_between, MS(20), MS(40), LC_VANTAGE_BETWEEN);
/* a = 40 ms, b = 10 ms: 4b = a exactly: near the client (<=). */
VANT(vantage_client_edge, MS(40), MS(50), LC_VANTAGE_CLIENT);
/* a = 40 ms, b = 10.001 ms: 4b > a, 4a > b: in between. */
VANT(vantage_between_edge, MS(40), US(50001), LC_VANTAGE_BETWEEN);
/* a = b = 5 us: a + b = 10 us < 20 us: loopback, unknown. */
VANT(vantage_loopback, US(5), US(10), LC_VANTAGE_UNKNOWN);
/* a = 15 us, b = 5 us: a + b = 20 us is not below 20 us; 4b = 20 > 15 and
 * 4a = 60 > 5: in between. */
VANT(vantage_loopback_edge, US(15), US(20), LC_VANTAGE_BETWEEN);

/* A retransmitted SYN (the first at 1 ms, the copy at 1001 ms, SYN-ACK
 * 1 ms after the copy, ACK 40 ms later): SYN -> SYN-ACK cannot be measured
 * on first transmissions only: unknown (not 4b <= a as the first SYN's time
 * would say, nor near the server as the copy's would). */
static const trow vantage_syn_retrans[] = {
    { CT(SYN, X, 0, 0, MS(1)), { E(C2S, P_HS, 1, 3, SS, SR), VAN(NONE) } },
    { CT(SYN, X, 0, 0, MS(1001)), { PHASE(P_HS), RETRANS, VAN(NONE) } },
    { ST(SYN | ACK, Y, X + 1, 0, MS(1002)), { E(S2C, P_HS, 2, 3, ES, SR), VAN(NONE) } },
    { CT(ACK, X + 1, Y + 1, 0, MS(1042)), { E(C2S, P_HS, 3, 3, ES, ES), VAN(LC_VANTAGE_UNKNOWN) } },
};

/* A retransmitted SYN-ACK: b is ambiguous: unknown. */
static const trow vantage_synack_retrans[] = {
    { CT(SYN, X, 0, 0, MS(1)), { E(C2S, P_HS, 1, 3, SS, SR) } },
    { ST(SYN | ACK, Y, X + 1, 0, MS(41)), { E(S2C, P_HS, 2, 3, ES, SR) } },
    { ST(SYN | ACK, Y, X + 1, 0, MS(1041)), { PHASE(P_HS), RETRANS, VAN(NONE) } },
    { CT(ACK, X + 1, Y + 1, 0, MS(1042)), { E(C2S, P_HS, 3, 3, ES, ES), VAN(LC_VANTAGE_UNKNOWN) } },
};

/* A duplicated ACK 3/3 after the handshake changes nothing (near client). */
static const trow vantage_dup_ack3[] = {
    { CT(SYN, X, 0, 0, MS(1)), { E(C2S, P_HS, 1, 3, SS, SR) } },
    { ST(SYN | ACK, Y, X + 1, 0, MS(41)), { E(S2C, P_HS, 2, 3, ES, SR) } },
    { CT(ACK, X + 1, Y + 1, 0, US(41100)), { E(C2S, P_HS, 3, 3, ES, ES), VAN(LC_VANTAGE_CLIENT) } },
    { CT(ACK, X + 1, Y + 1, 0, MS(900)), { PHASE(P_HS), RETRANS, VAN(LC_VANTAGE_CLIENT) } },
};

/* No SYN captured (the SYN-ACK first): not whole: unknown, from ACK 3/3. */
static const trow vantage_no_syn[] = {
    { ST(SYN | ACK, Y, X + 1, 0, MS(1)), { E(S2C, P_HS, 2, 3, ES, SR), VAN(NONE) } },
    { CT(ACK, X + 1, Y + 1, 0, MS(30)), { E(C2S, P_HS, 3, 3, ES, ES), VAN(LC_VANTAGE_UNKNOWN) } },
};

/* Mid-stream: no completing ACK, the field is never shown. */
static const trow vantage_midstream[] = {
    { C(PSH | ACK, 70000, 90000, 100), { E(C2S, P_DATA, 0, 0, ES, ES), GUESSED, VAN(NONE) } },
    { S(ACK, 90000, 70100, 0), { E(S2C, P_DATA, 0, 0, ES, ES), GUESSED, VAN(NONE) } },
};

/* Simultaneous open: no a/b in this shape: unknown from SYN-ACK 4/4 on. */
static const trow vantage_sim_open[] = {
    { CT(SYN, X, 0, 0, MS(1)), { E(C2S, P_HS, 1, 3, SS, SR), VAN(NONE) } },
    { ST(SYN, Y, 0, 0, MS(30)), { E(S2C, P_HS, 2, 4, SR, SR), VAN(NONE) } },
    { CT(SYN | ACK, X, Y + 1, 0, MS(31)), { E(C2S, P_HS, 3, 4, SR, ES), VAN(NONE) } },
    { ST(SYN | ACK, Y, X + 1, 0, MS(60)), { E(S2C, P_HS, 4, 4, ES, ES), VAN(LC_VANTAGE_UNKNOWN) } },
};

const scenario scen_reading[] = {
    SCEN("oldconn", "old_connection", old_connection,
         "8.1: SYN, old connection's ACK, clearing RST, SYN again, SYN-ACK, ACK 3/3"),
    SCEN("oldconn", "old_connection_limits", old_connection_limits,
         "8.1: ack x+1 is no old-connection ACK; a RST at another seq clears nothing"),
    SCEN("rstcheck", "rst_exact", rst_exact, "8.3: RST at RCV.NXT: exact, both CLOSED"),
    SCEN("rstcheck", "rst_window", rst_window,
         "8.3: in-window RST, challenge ACK, data goes on; window edges; exact at last"),
    SCEN("rstcheck", "rst_window_unknown", rst_window_unknown,
         "8.3: the receiver's last window unknown: 0, section 3"),
    SCEN("rstcheck", "rst_midstream", rst_midstream, "8.3: mid-stream: RCV.NXT unknown: 0"),
    SCEN("rstcheck", "rst_to_syn", rst_to_syn,
         "8.3: RST to a SYN without/with a wrong/with the right ack"),
    SCEN("rstcheck", "rst_to_syn_unknown", rst_to_syn_unknown,
         "8.3: RST to a SYN whose window was not given: 0, refused"),
    SCEN("rstcheck", "rst_fin_number", rst_fin_number,
         "8.3: RST at the FIN's own number to CLOSE_WAIT: exact (Linux)"),
    SCEN("rstcheck", "rst_after_close", rst_after_close,
         "8.3: after close: out of window keeps TIME_WAIT, exact closes"),
    SCEN("closetime", "close_client_first", close_client_first,
         "8.4: halfclose and teardown time, client first, copies show none"),
    SCEN("closetime", "close_server_first", close_server_first, "8.4: server closes first"),
    SCEN("closetime", "close_merged", close_merged, "8.4: merged ACK+FIN 2/4+3/4"),
    SCEN("closetime", "close_simultaneous", close_simultaneous, "8.4: simultaneous close"),
    SCEN("vantage", "vantage_client", vantage_client, "8.5: 4b <= a: near the client"),
    SCEN("vantage", "vantage_server", vantage_server, "8.5: 4a <= b: near the server"),
    SCEN("vantage", "vantage_between", vantage_between, "8.5: in between"),
    SCEN("vantage", "vantage_client_edge", vantage_client_edge, "8.5: 4b == a: near the client"),
    SCEN("vantage", "vantage_between_edge", vantage_between_edge, "8.5: 4b just above a"),
    SCEN("vantage", "vantage_loopback", vantage_loopback, "8.5: a + b < 20 us: unknown"),
    SCEN("vantage", "vantage_loopback_edge", vantage_loopback_edge, "8.5: a + b == 20 us"),
    SCEN("vantage", "vantage_syn_retrans", vantage_syn_retrans,
         "8.5: SYN sent twice: unknown (first transmissions only)"),
    SCEN("vantage", "vantage_synack_retrans", vantage_synack_retrans,
         "8.5: SYN-ACK sent twice: unknown"),
    SCEN("vantage", "vantage_dup_ack3", vantage_dup_ack3, "8.5: a copy of ACK 3/3 changes nothing"),
    SCEN("vantage", "vantage_no_syn", vantage_no_syn, "8.5: SYN not captured: unknown"),
    SCEN("vantage", "vantage_midstream", vantage_midstream, "8.5: mid-stream: never shown"),
    SCEN("vantage", "vantage_sim_open", vantage_sim_open, "8.5: simultaneous open: unknown"),
};
const size_t scen_reading_count = NROWS(scen_reading);

/* ---- procedural: 8.2 reuse, 8.4 left open, 8.5 split ----------------------- */

#define T(cond, ...) tl_check((cond), test, __VA_ARGS__)

/* Connection A (stream 7): client x = 1000 sends 100 bytes and closes first;
 * the server's FIN 3/4 at 10 s puts the client in TIME_WAIT; ACK 4/4 at
 * 10.001 s is the last segment.  Client next: data x+1..x+100, FIN at x+101
 * -> next x+102 = 1102 (highest used 1101); server next y+2 = 5002. */
static const trow conn_a[] = {
    { CT(SYN, X, 0, 0, MS(1)), { 0 } },
    { ST(SYN | ACK, Y, X + 1, 0, MS(2)), { 0 } },
    { CT(ACK, X + 1, Y + 1, 0, MS(3)), { 0 } },
    { CT(PSH | ACK, X + 1, Y + 1, 100, MS(4)), { 0 } },
    { ST(ACK, Y + 1, X + 101, 0, MS(5)), { 0 } },
    { CT(FIN | ACK, X + 101, Y + 1, 0, MS(6)), { 0 } },
    { ST(ACK, Y + 1, X + 102, 0, MS(7)), { 0 } },
    { ST(FIN | ACK, Y + 1, X + 102, 0, MS(10000)), { 0 } },
    { CT(ACK, X + 102, Y + 2, 0, MS(10001)), { 0 } },
};

static lc_segment syn_at(uint32_t isn, int64_t t)
{
    lc_segment s;
    memset(&s, 0, sizeof s);
    s.frame = 1;
    s.time_ns = t;
    s.seq = isn;
    s.flags = LC_SYN;
    s.len_known = true;
    return s;
}

static void reuse_tests(void)
{
    const char *test = "reuse";
    lc_conn c;
    lc_segment segs[16];
    lc_result res[16];
    lc_tuple_prev prev;
    lc_reuse ru;
    lc_segment syn;

    tl_feed(conn_a, NROWS(conn_a), &c, segs, res);
    T(res[8].state_client == LC_TIME_WAIT && res[8].state_server == LC_CLOSED,
      "connection A should end TIME_WAIT/CLOSED");
    lc_tuple_prev_from_conn(&prev, &c, 7);
    T(prev.flags == (LC_PREV_VALID | LC_PREV_SEQ_C | LC_PREV_SEQ_S | LC_PREV_TIME_WAIT),
      "summary flags 0x%x", prev.flags);
    T(prev.stream == 7, "prev stream %u", prev.stream);
    T(prev.next_seq[0] == 1102 && prev.next_seq[1] == 5002, "next_seq %u %u", prev.next_seq[0],
      prev.next_seq[1]);
    T(prev.last_time_ns == MS(10001), "last time %" PRId64, prev.last_time_ns);
    T(prev.time_wait_ns == MS(10000), "TIME_WAIT since %" PRId64, prev.time_wait_ns);

    /* same client, ISN 2000 > 1101, at 30 s: 20 s after TIME_WAIT began (< 60):
     * note; gap 30 s - 10.001 s = 19.999 s. */
    syn = syn_at(2000, MS(30000));
    T(lc_reuse_check(&prev, 0, &syn, LC_TIME_WAIT_DEFAULT_S, &ru), "reuse expected");
    T(ru.prev_stream == 7 && ru.gap_ns == MS(19999), "prev_stream %u gap %" PRId64,
      ru.prev_stream, ru.gap_ns);
    T(ru.isn_known && ru.isn_higher, "ISN 2000 should be higher");
    T(ru.anomalies == LC_ANOM_REUSE_TIME_WAIT, "note expected, got 0x%x", ru.anomalies);

    /* ISN 500 < 1101: not higher: the warning instead. */
    syn = syn_at(500, MS(30000));
    lc_reuse_check(&prev, 0, &syn, LC_TIME_WAIT_DEFAULT_S, &ru);
    T(ru.isn_known && !ru.isn_higher, "ISN 500 should be lower");
    T(ru.anomalies == LC_ANOM_REUSE_TIME_WAIT_LOWER, "warning expected, got 0x%x", ru.anomalies);

    /* ISN 1101 = the highest number used: not after it; 1102: after it. */
    syn = syn_at(1101, MS(30000));
    lc_reuse_check(&prev, 0, &syn, LC_TIME_WAIT_DEFAULT_S, &ru);
    T(!ru.isn_higher && ru.anomalies == LC_ANOM_REUSE_TIME_WAIT_LOWER, "ISN 1101 not higher");
    syn = syn_at(1102, MS(30000));
    lc_reuse_check(&prev, 0, &syn, LC_TIME_WAIT_DEFAULT_S, &ru);
    T(ru.isn_higher && ru.anomalies == LC_ANOM_REUSE_TIME_WAIT, "ISN 1102 higher");

    /* The old server sends the new SYN: compared with the server's 5001. */
    syn = syn_at(5001, MS(30000));
    lc_reuse_check(&prev, 1, &syn, LC_TIME_WAIT_DEFAULT_S, &ru);
    T(!ru.isn_higher, "server side: 5001 is not after 5001");
    syn = syn_at(5002, MS(30000));
    lc_reuse_check(&prev, 1, &syn, LC_TIME_WAIT_DEFAULT_S, &ru);
    T(ru.isn_higher, "server side: 5002 is after 5001");

    /* 60 s after TIME_WAIT began (70 s): no longer less than 60 s: nothing;
     * 1 ns earlier: the note.  A preference of 120 s: the note at 100 s. */
    syn = syn_at(500, MS(70000));
    lc_reuse_check(&prev, 0, &syn, LC_TIME_WAIT_DEFAULT_S, &ru);
    T(ru.anomalies == 0 && !ru.isn_higher, "outside TIME_WAIT: no item, got 0x%x", ru.anomalies);
    syn = syn_at(2000, MS(70000) - 1);
    lc_reuse_check(&prev, 0, &syn, LC_TIME_WAIT_DEFAULT_S, &ru);
    T(ru.anomalies == LC_ANOM_REUSE_TIME_WAIT, "1 ns inside TIME_WAIT: note");
    syn = syn_at(2000, MS(100000));
    lc_reuse_check(&prev, 0, &syn, 120, &ru);
    T(ru.anomalies == LC_ANOM_REUSE_TIME_WAIT, "time_wait 120 s: note at 90 s");

    /* RFC 1982 across the wrap: highest used 0xFFFFFFEF; ISN 0x10 is after
     * it (0x10 - 0xFFFFFFEF = 0x21 > 0); and the other way round not. */
    {
        lc_tuple_prev w = prev;
        w.next_seq[0] = 0xFFFFFFF0u;
        syn = syn_at(0x10, MS(30000));
        lc_reuse_check(&w, 0, &syn, LC_TIME_WAIT_DEFAULT_S, &ru);
        T(ru.isn_higher, "0x10 is after 0xFFFFFFEF");
        w.next_seq[0] = 0x11u;
        syn = syn_at(0xFFFFFFF0u, MS(30000));
        lc_reuse_check(&w, 0, &syn, LC_TIME_WAIT_DEFAULT_S, &ru);
        T(!ru.isn_higher, "0xFFFFFFF0 is before 0x10");
    }

    /* No earlier connection: false. */
    {
        lc_tuple_prev none;
        lc_conn fresh;
        lc_conn_init(&fresh);
        lc_tuple_prev_from_conn(&none, &fresh, 3);
        T(!(none.flags & LC_PREV_VALID), "a connection without segments is no summary");
        T(!lc_reuse_check(&none, 0, &syn, 60, &ru), "no reuse without an earlier connection");
    }

    /* Connection ended by an exact RST (no TIME_WAIT), then a spoofed RST far
     * ahead that does not count as sequence space: no note, next_seq as
     * before the RSTs (client x+1 after the handshake: 1001). */
    {
        static const trow conn_b[] = {
            { CWN(SYN, X, 0, 0, WC, MS(1)), { 0 } },
            { SWN(SYN | ACK, Y, X + 1, 0, WS, MS(2)), { 0 } },
            { CWN(ACK, X + 1, Y + 1, 0, WC, MS(3)), { 0 } },
            { CWN(RST, X + 1 + 1500, 0, 0, 0, MS(4)), { 0 } }, /* in window of 2000 */
            { CWN(RST, X + 1, 0, 0, 0, MS(5)), { 0 } },        /* exact */
        };
        tl_feed(conn_b, NROWS(conn_b), &c, segs, res);
        T(res[3].rst_check == LC_RST_CHECK_IN_WINDOW && res[4].rst_check == LC_RST_CHECK_EXACT,
          "conn B rst checks %u %u", res[3].rst_check, res[4].rst_check);
        lc_tuple_prev_from_conn(&prev, &c, 8);
        T(!(prev.flags & LC_PREV_TIME_WAIT) && prev.next_seq[0] == X + 1,
          "conn B: flags 0x%x next %u", prev.flags, prev.next_seq[0]);
        syn = syn_at(X, MS(6));
        lc_reuse_check(&prev, 0, &syn, 60, &ru);
        T(ru.anomalies == 0 && ru.isn_known && !ru.isn_higher && ru.gap_ns == MS(1),
          "conn B reuse: anomalies 0x%x higher %d gap %" PRId64, ru.anomalies, ru.isn_higher,
          ru.gap_ns);
    }
}

/* 8.4: a server stuck in CLOSE_WAIT.  Client FIN at 10 ms (server CLOSE_WAIT
 * since frame 4), the server's ACK 2/4 at 11 ms (client FIN_WAIT_2 since
 * frame 5), the server's data at 40 s changes no state: since stays. */
static void left_open_tests(void)
{
    const char *test = "left_open";
    static const trow rows[] = {
        { CT(SYN, X, 0, 0, MS(1)), { 0 } },
        { ST(SYN | ACK, Y, X + 1, 0, MS(2)), { 0 } },
        { CT(ACK, X + 1, Y + 1, 0, MS(3)), { 0 } },
        { CT(FIN | ACK, X + 1, Y + 1, 0, MS(10)), { 0 } },
        { ST(ACK, Y + 1, X + 2, 0, MS(11)), { 0 } },
        { ST(PSH | ACK, Y + 1, X + 2, 20, MS(40000)), { 0 } },
    };
    lc_conn c;
    lc_segment segs[16];
    lc_result res[16];
    lc_left_open lo;

    lc_conn_init(&c);
    T(!lc_conn_left_open(&c, &lo) && !lo.open, "no segment: not open");
    tl_feed(rows, NROWS(rows), &c, segs, res);
    T(lc_conn_left_open(&c, &lo), "CLOSE_WAIT connection should be open");
    T(lo.state[0] == LC_FIN_WAIT_2 && lo.state[1] == LC_CLOSE_WAIT, "states %s/%s",
      lc_state_name(lo.state[0]), lc_state_name(lo.state[1]));
    T(lo.since_frame[0] == 5 && lo.since_ns[0] == MS(11), "client since frame %u %" PRId64,
      lo.since_frame[0], lo.since_ns[0]);
    T(lo.since_frame[1] == 4 && lo.since_ns[1] == MS(10), "server since frame %u %" PRId64,
      lo.since_frame[1], lo.since_ns[1]);
    T(lo.last_frame == 6 && lo.last_time_ns == MS(40000), "last %u %" PRId64, lo.last_frame,
      lo.last_time_ns);

    /* A finished connection (conn_a: TIME_WAIT / CLOSED) is not open. */
    tl_feed(conn_a, NROWS(conn_a), &c, segs, res);
    T(!lc_conn_left_open(&c, &lo) && lo.state[0] == LC_TIME_WAIT && lo.since_frame[0] == 8,
      "closed connection: open %d state %u since %u", lo.open, lo.state[0], lo.since_frame[0]);
}

/* 8.5: the split behind the vantage (a = 40 ms, b = 0.1 ms), and none at the
 * SYN-ACK (before the completing ACK) or for a retransmitted SYN. */
static void split_tests(void)
{
    const char *test = "split";
    lc_conn c;
    lc_segment segs[16];
    lc_result res[16];
    int64_t a = 0, b = 0;

    tl_feed(vantage_client, NROWS(vantage_client), &c, segs, res);
    T(!lc_conn_handshake_split(&c, 2, &a, &b), "no split before ACK 3/3");
    T(lc_conn_handshake_split(&c, 3, &a, &b) && a == MS(40) && b == US(100),
      "split a %" PRId64 " b %" PRId64, a, b);
    tl_feed(vantage_loopback, NROWS(vantage_loopback), &c, segs, res);
    T(lc_conn_handshake_split(&c, 3, &a, &b) && a == US(5) && b == US(5),
      "loopback split a %" PRId64 " b %" PRId64, a, b);
    tl_feed(vantage_syn_retrans, NROWS(vantage_syn_retrans), &c, segs, res);
    T(!lc_conn_handshake_split(&c, 4, &a, &b), "no split with a retransmitted SYN");
    T(strcmp(lc_vantage_name(LC_VANTAGE_CLIENT), "near the client") == 0 &&
          strcmp(lc_rst_check_name(LC_RST_CHECK_IN_WINDOW), "in window") == 0,
      "names");
}

void reading_api_tests(void)
{
    reuse_tests();
    left_open_tests();
    split_tests();
}
