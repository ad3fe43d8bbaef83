/* anomaly.c - the anomaly table (see anomaly.h); the meaning of each bit is
 * in lifecycle.h and docs/engine.md. */
#include "anomaly.h"

#define ROW(b, k, g, sev, sum, st) { LC_ANOM_##b, k, LC_ANOM_GROUP_##g, LC_ANOM_##sev, sum, st }

const lc_anomaly lc_anomalies[LC_ANOM_COUNT] = {
    ROW(BAD_ACK, "bad_ack", SEQUENCE, WARN,
        "Handshake ack is not the peer's ISN + 1", "handshake ack is not peer ISN + 1"),
    ROW(SYN_RETRANS, "syn_retransmission", SEQUENCE, WARN,
        "SYN or SYN-ACK retransmitted", "SYN or SYN-ACK retransmitted"),
    ROW(RETRANS, "retransmission", SEQUENCE, NOTE,
        "Handshake or teardown step retransmitted", "step retransmitted"),
    ROW(REFUSED, "rst_refused", SEQUENCE, WARN,
        "Connection refused: RST during the handshake", "connection refused (RST)"),
    ROW(ABORT, "rst_abort", SEQUENCE, WARN,
        "Connection aborted by RST", "connection aborted (RST)"),
    ROW(DATA_AFTER_FIN, "data_after_fin", SEQUENCE, WARN,
        "Data beyond the sender's own FIN", "data after FIN"),
    ROW(AFTER_CLOSE, "after_close", SEQUENCE, WARN,
        "Segment after both ends closed", "segment after close"),
    ROW(MIDSTREAM, "midstream", SEQUENCE, WARN,
        "Handshake not captured: connection picked up mid-stream", "handshake not captured"),
    ROW(SIM_OPEN, "simultaneous_open", SEQUENCE, NOTE,
        "Simultaneous open: both ends sent a SYN", "simultaneous open"),
    ROW(SIM_CLOSE, "simultaneous_close", SEQUENCE, NOTE,
        "Simultaneous close: the FINs crossed", "simultaneous close"),
    ROW(BAD_FLAGS, "bad_flags", MALFORMED, WARN,
        "Impossible TCP flag combination", "impossible flags"),
    ROW(SYN_REORDER, "syn_reordered", SEQUENCE, NOTE,
        "SYN seen after the SYN-ACK that answers it", "SYN after its SYN-ACK"),
    ROW(NEW_ISN, "new_isn", SEQUENCE, NOTE,
        "SYN with another ISN on an open connection", "SYN with a new ISN"),
    ROW(NO_LENGTH, "no_length", SEQUENCE, NOTE,
        "Payload length unknown", "payload length unknown"),
};

_Static_assert(LC_ANOM_NO_LENGTH == 1u << (LC_ANOM_COUNT - 1), "LC_ANOM_COUNT: one row per bit");
