/* view.h - everything a face shows for one segment, in one trip.
 *
 * The plugin (tree, tap, Flow Graph) and the injector's output render a
 * segment from two things: its stored lc_result (the snapshot taken when the
 * segment was observed) and an lc_view, which lc_view_of derives from the
 * connection with the same snapshot semantics ("as known at this frame"), so
 * it gives the same answer on every pass, also after later segments.
 *
 * Plain C11, no allocation: the caller owns the lc_view.
 */
#ifndef SYNFIN_VIEW_H
#define SYNFIN_VIEW_H

#include "lifecycle.h"
#include "reading.h"
#include "zeek.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Who sent the first FIN (synfin.teardown.initiator; the numbers are the
 * field's values). */
typedef enum lc_initiator {
    LC_INITIATOR_NONE = 0, LC_INITIATOR_CLIENT = 1, LC_INITIATOR_SERVER = 2,
    LC_INITIATOR_BOTH = 3   /* simultaneous close, from its FIN 2/4 on */
} lc_initiator;

typedef struct lc_view {
    uint32_t seq_rel;            /* relative sequence number; valid if has_seq_rel (not on an
                                  * old-connection ACK, spec 8.1: another connection's numbers) */
    uint32_t ack_rel;            /* valid if has_ack_rel */
    uint32_t isn_client;         /* raw ISNs; valid if has_isn_client / has_isn_server */
    uint32_t isn_server;
    uint32_t syn_frame;          /* client's first SYN, 0 = none (or not before this frame) */
    uint32_t synack_frame;       /* first SYN-ACK, 0 = none (or not before this frame) */
    uint32_t fin_frame;          /* the peer's first FIN, 0 = none (or not before this frame) */
    int64_t  syn_time_ns;        /* capture time of syn_frame; valid if has_syn_time */
    int64_t  handshake_rtt_ns;   /* valid if has_handshake_rtt */
    int64_t  handshake_time_ns;  /* valid if has_handshake_time */
    lc_initiator initiator;
    lc_zeek_state conn_state;    /* valid if has_conn_state */
    /* spec section 8 (reading.h) */
    int64_t  halfclose_ns;       /* synfin.teardown.halfclose; valid if has_halfclose */
    int64_t  teardown_time_ns;   /* synfin.teardown.time; valid if has_teardown_time */
    unsigned rst_check;          /* synfin.rst.check (LC_RST_CHECK_*); valid if has_rst_check */
    unsigned vantage;            /* synfin.vantage (LC_VANTAGE_*); valid if has_vantage */
    bool     has_halfclose, has_teardown_time, has_rst_check, has_vantage;
    bool     has_seq_rel, has_ack_rel, has_isn_client, has_isn_server, has_syn_time;
    bool     has_handshake_rtt, has_handshake_time, has_conn_state;
    char     history[LC_ZEEK_HIST_MAX + 1]; /* Zeek history as of the segment; "" without z */
} lc_view;

/* The view of segment s (as passed to lc_conn_observe: frame, time, seq,
 * ack, flags and from are read) whose snapshot is r.  z may be NULL (no Zeek
 * summary kept): conn_state and history are then absent.
 *
 * Handshake times, one rule (docs/engine.md "Links"): both are measured from
 * the client's first SYN and need it seen before the segment;
 *   handshake.rtt  on the first SYN-ACK: SYN-ACK 2/3, or SYN-ACK 3/4 of a
 *                  simultaneous open;
 *   handshake.time on the segment that completes the handshake: ACK 3/3, or
 *                  SYN-ACK 4/4 of a simultaneous open;
 * never on a retransmitted copy. */
void lc_view_of(const lc_conn *c, const lc_zeek *z, const lc_segment *s, const lc_result *r,
                lc_view *v);

/* "client", "server", "both (simultaneous close)"; "" for none or out of range. */
const char *lc_initiator_name(unsigned initiator);

#ifdef __cplusplus
}
#endif
#endif
