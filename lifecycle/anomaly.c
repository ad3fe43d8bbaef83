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
    ROW(OLD_CONNECTION, "old_connection", SEQUENCE, WARN,
        "SYN answered by the ACK of an older connection on this 4-tuple (TIME-WAIT or half-open)",
        "old-connection ACK"),
    ROW(RST_NOT_EXACT, "rst_not_exact", SEQUENCE, WARN,
        "RST in window but not exact: a receiver following RFC 5961 answers with a challenge "
        "ACK; a reset not sent by the peer (spoofed or injected on the path) looks like this",
        "RST in window, not exact"),
    ROW(RST_OUT_OF_WINDOW, "rst_out_of_window", SEQUENCE, WARN,
        "RST out of window: ignored by the receiver", "RST out of window"),
    ROW(REUSE_TIME_WAIT, "reuse_time_wait", SEQUENCE, NOTE,
        "4-tuple used again while the earlier connection may still be in TIME_WAIT",
        "4-tuple reused inside TIME_WAIT"),
    ROW(REUSE_TIME_WAIT_LOWER, "reuse_time_wait", SEQUENCE, WARN,
        "4-tuple used again inside TIME_WAIT with an ISN not above the earlier connection's: "
        "expect an old-connection ACK unless both SYNs carry newer timestamps",
        "reused in TIME_WAIT, ISN not higher"), /* <= 36: the stats column */
};

_Static_assert(sizeof lc_anomalies / sizeof lc_anomalies[0] == LC_ANOM_COUNT, "one row per anomaly bit");
