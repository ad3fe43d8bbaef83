/* lifecycle.h - the synfin lifecycle engine: one TCP connection's life as an
 * observer sees it.
 *
 * Owns every rule about a connection's life: which endpoint is the client,
 * both endpoints' RFC 9293 states, handshake and teardown steps, relative
 * sequence numbers and deltas, the "ack = peer seq + 1" check, frame links
 * and anomalies.  The contract is shared/spec/SYNFIN.md; docs/engine.md
 * writes down the choices the spec leaves open.
 *
 * Plain C11: no Wireshark, no GLib, no I/O, no allocation.  The caller owns
 * the lc_conn (one per connection) and the lc_result (one per segment).
 * Feed segments in capture order; each result is a snapshot as of that
 * segment and is never rewritten by later segments.
 */
#ifndef SYNFIN_LIFECYCLE_H
#define SYNFIN_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* TCP flag bits, in the layout of the 12-bit flags field (RFC 9293, RFC 3168). */
enum {
    LC_FIN = 0x001, LC_SYN = 0x002, LC_RST = 0x004, LC_PSH = 0x008,
    LC_ACK = 0x010, LC_URG = 0x020, LC_ECE = 0x040, LC_CWR = 0x080,
    LC_AE  = 0x100
};

/* RFC 9293 endpoint states; the numbers are the contract (spec section 3). */
typedef enum lc_state {
    LC_CLOSED = 0, LC_LISTEN, LC_SYN_SENT, LC_SYN_RECEIVED, LC_ESTABLISHED,
    LC_FIN_WAIT_1, LC_FIN_WAIT_2, LC_CLOSE_WAIT, LC_CLOSING, LC_LAST_ACK,
    LC_TIME_WAIT, LC_STATE_COUNT
} lc_state;

typedef enum lc_role { LC_ROLE_NONE = 0, LC_ROLE_C2S = 1, LC_ROLE_S2C = 2 } lc_role;

typedef enum lc_phase {
    LC_PHASE_UNKNOWN = 0, LC_PHASE_HANDSHAKE = 1, LC_PHASE_DATA = 2,
    LC_PHASE_TEARDOWN = 3, LC_PHASE_RESET = 4, LC_PHASE_CLOSED = 5
} lc_phase;

/* Anomalies found at one segment (bits of lc_result.anomalies).  Their
 * filter keys, severities and texts: the table in anomaly.h. */
enum {
    LC_ANOM_BAD_ACK        = 1u << 0,  /* handshake ack is not peer ISN + 1 */
    LC_ANOM_SYN_RETRANS    = 1u << 1,  /* SYN or SYN-ACK sent again */
    LC_ANOM_RETRANS        = 1u << 2,  /* another step segment sent again */
    LC_ANOM_REFUSED        = 1u << 3,  /* RST answering a SYN */
    LC_ANOM_ABORT          = 1u << 4,  /* RST on an open or closing connection */
    LC_ANOM_DATA_AFTER_FIN = 1u << 5,  /* new data beyond the sender's own FIN */
    LC_ANOM_AFTER_CLOSE    = 1u << 6,  /* segment after both ends closed */
    LC_ANOM_MIDSTREAM      = 1u << 7,  /* first segment seen is not a SYN/SYN-ACK */
    LC_ANOM_SIM_OPEN       = 1u << 8,  /* both ends sent a bare SYN */
    LC_ANOM_SIM_CLOSE      = 1u << 9,  /* the FINs crossed */
    LC_ANOM_BAD_FLAGS      = 1u << 10, /* SYN+FIN, SYN+RST, FIN+RST or all flags */
    LC_ANOM_SYN_REORDER    = 1u << 11, /* SYN seen after the SYN-ACK that answers it */
    LC_ANOM_NEW_ISN        = 1u << 12, /* SYN with another ISN on an open connection */
    LC_ANOM_NO_LENGTH      = 1u << 13, /* payload length unknown (header cut) */
    LC_ANOM_OLD_CONNECTION = 1u << 14, /* spec 8.1: the SYN was answered by the ACK of an
                                        * older connection on this 4-tuple */
    LC_ANOM_STORED_COUNT   = 15        /* bits 0..14 are stored in lc_result.anomalies;
                                        * bits 16 and up are derived: see reading.h
                                        * (lc_result_anomalies), 32 bits wide */
};

/* One TCP segment as the caller saw it. */
typedef struct lc_segment {
    uint32_t frame;     /* caller's frame number, > 0, increasing */
    int64_t  time_ns;   /* capture time */
    uint32_t seq, ack;  /* raw sequence and acknowledgment numbers */
    uint32_t len;       /* payload bytes */
    uint32_t win;       /* window (as the caller has it) */
    uint16_t flags;     /* LC_* flag bits */
    uint16_t sport, dport;
    uint8_t  from;      /* 0: the connection's first sender, 1: the other */
    bool     len_known; /* false when the header was cut (len is then 0) */
    /* Spec 8.3: this segment's window as Wireshark has it (tcp.window_size:
     * the field shifted by the sender's window scale; a SYN's or SYN-ACK's
     * window is never scaled, RFC 7323 section 2.2).  win_known is false when
     * the scale is not known (Wireshark: tcp.window_size_scalefactor -1, e.g.
     * a mid-stream start) or the field was not captured.  A zeroed lc_segment
     * (win_known false) gives every RST synfin.rst.check 0 (unknown), which
     * keeps the behaviour of the engine before spec 8.3. */
    uint32_t win_scaled;
    bool     win_known;
} lc_segment;

/* The snapshot for one segment: what the plugin stores per frame (24 bytes). */
typedef struct lc_result {
    uint32_t ack_frame;      /* newest peer segment this ack fully covers; 0 none */
    int32_t  seq_delta;      /* valid if has_seq_delta */
    int32_t  ack_delta;      /* valid if has_ack_delta */
    uint32_t ack_expected;   /* relative; valid if has_ack_expected */
    uint16_t anomalies;      /* LC_ANOM_* */
    uint8_t  state_client : 4, state_server : 4;
    uint8_t  phase : 3, step : 3,
             four_steps : 1, /* the phase has 4 steps (else 3): "n/4" in the label */
             merged : 1;
    uint8_t  role_s2c : 1, role_guessed : 1, retransmission : 1, has_payload : 1,
             has_seq_delta : 1, has_ack_delta : 1, has_ack_expected : 1, ack_ok : 1;
    uint8_t  steps_kind : 1, /* LC_KIND_*: which step vocabulary the label uses */
             is_ack : 1, is_syn : 1, is_fin : 1, is_rst : 1, /* the segment's flags */
             valid : 1,      /* set by lc_conn_observe; a zeroed record is "none" */
             advances : 1,   /* payload beyond the sender's highest sequence so far */
             zeek_h_only : 1;/* Zeek history was "H" here (later rewritten to "^h") */
    uint8_t  zeek_snap;      /* lc_zeek: conn_state + origin, see LC_ZEEK_SNAP_* in zeek.h */
    uint8_t  zeek_hist_len : 5, /* lc_zeek: history length as of this segment (<= 22) */
             rst_check : 2,  /* spec 8.3, on RSTs: LC_RST_CHECK_* (0 unknown) */
             clears_old : 1; /* spec 8.1: the client's RST that clears an old connection */
} lc_result;

enum { LC_KIND_NORMAL = 0, LC_KIND_SIM = 1 };

/* Per-direction tracking, indexed by role (0 client, 1 server).  Private to
 * the engine; callers only pass it around. */
typedef struct lc_end {
    uint32_t base;        /* relative-number base: ISN, or first seq - 1 */
    uint32_t next;        /* highest seq + len (+SYN/FIN) sent so far, raw */
    uint32_t last_seq, last_ack;
    uint32_t isn;         /* valid when isn_frame != 0 */
    uint32_t fin_seq;     /* sequence number of the FIN itself */
    uint32_t isn_frame;   /* frame of the first SYN / SYN-ACK of this end */
    uint32_t fin_frame;   /* frame of this end's first FIN */
    uint32_t ring_frame[2], ring_end[2]; /* last two segments that used seq space */
    uint32_t ack_step_sig;  /* fingerprint of this end's latest pure-ACK step */
    uint8_t  ack_step_code; /* that step (lc step code), 0 none */
    uint8_t  syn_code, synack_code, fin_code; /* step codes of its SYN, SYN-ACK, FIN */
    uint8_t  state;
    uint8_t  flags;       /* LC_END_* (private) */
    uint8_t  pad[2];
} lc_end;

/* One connection.  Initialise with lc_conn_init. */
typedef struct lc_conn {
    lc_end   end[2];
    int64_t  syn_time_ns;     /* client's first SYN, capture time */
    uint32_t synack_frame;    /* first SYN-ACK */
    uint32_t sim_close_frame; /* FIN 2/4 of a simultaneous close */
    uint8_t  client_from;     /* lc_segment.from value of the client */
    uint8_t  conn_flags;      /* LC_CONN_* (private) */
    uint8_t  hs_kind;         /* LC_KIND_* of the handshake */
    uint8_t  td_kind;         /* LC_KIND_* of the teardown */
    uint8_t  td_first;        /* role index (0/1) of the first closer */
    uint8_t  td_step;         /* highest teardown step performed so far */
    uint8_t  td_acks;         /* FIN acknowledgements seen (simultaneous close) */
    uint8_t  pad;
    /* Spec 8.1 and 8.3 - 8.5 (private: read them through reading.h). */
    uint32_t win[2];          /* each end's last advertised window (scaled), by role */
    uint32_t old_ack;         /* ack of the latest old-connection ACK (8.1) */
    uint32_t hs_done_frame;   /* segment that completed the handshake (8.5) */
    uint32_t fin1_frame;      /* FIN 1/4 of the first teardown (8.4) */
    uint32_t restart_frame;   /* first restart after fin1_frame (8.4), 0 none */
    uint32_t since_frame[2];  /* segment at which each end entered its state (8.4) */
    uint32_t last_frame;      /* latest segment */
    uint32_t isn_first[2];    /* each end's ISN at isn_frame (lc_conn_isn_at) */
    int64_t  synack_time_ns;  /* first SYN-ACK (8.5) */
    int64_t  hs_done_time_ns; /* the completing ACK (8.5) */
    int64_t  fin1_time_ns;    /* FIN 1/4 of the first teardown (8.4) */
    int64_t  since_ns[2];     /* when each end entered its state (8.4) */
    int64_t  last_time_ns;    /* latest segment's capture time */
    uint8_t  x_flags;         /* LC_X_* (private) */
    uint8_t  vantage;         /* LC_VANTAGE_*, valid from hs_done_frame on */
    uint8_t  pad2[2];
} lc_conn;

void lc_conn_init(lc_conn *c);

/* Apply one segment; fills *r with the snapshot after it. */
void lc_conn_observe(lc_conn *c, const lc_segment *s, lc_result *r);

/* What a segment shows beyond its lc_result (relative numbers, ISNs, frame
 * links, handshake times, teardown initiator, Zeek summary) comes from one
 * call: lc_view_of in view.h. */

/* Short text of a segment's place in the life, e.g. "SYN 1/3", "ACK+FIN 2/4+3/4",
 * "RST refused", "SYN 1/3 (retransmission)".  Always NUL-terminates. */
size_t lc_result_label(const lc_result *r, char *buf, size_t size);

/* The one list of the spec's state names (section 3): the plugin's
 * value_string is built from it, the Lua scripts read the field's text. */
const char *lc_state_name(unsigned state);   /* "ESTABLISHED"; "?" out of range */
const char *lc_phase_name(unsigned phase);   /* "handshake" */

static inline unsigned lc_result_role(const lc_result *r)
{
    return r->role_s2c ? LC_ROLE_S2C : LC_ROLE_C2S;
}

#ifdef __cplusplus
}
#endif
#endif
