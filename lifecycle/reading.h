/* reading.h - the readings of spec section 8: old-connection answers, 4-tuple
 * reuse, RST acceptability, close times, connections left open, vantage.
 *
 * lc_conn_observe decides 8.1 and 8.3 per segment (lc_result.rst_check,
 * lc_result.clears_old, LC_ANOM_OLD_CONNECTION) and records in lc_conn what
 * the functions below need; every function answers "as of frame N" so that
 * a value shown for a segment is the same on every pass (spec section 4).
 * The choices the spec leaves open are in docs/engine.md ("Spec section 8").
 *
 * Plain C11: no Wireshark, no GLib, no I/O, no allocation.
 */
#ifndef SYNFIN_READING_H
#define SYNFIN_READING_H

#include "lifecycle.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- 8.3: lc_result.rst_check ------------------------------------------ */

enum {
    LC_RST_CHECK_UNKNOWN = 0,   /* receiver's window or RCV.NXT not known: states as section 3 */
    LC_RST_CHECK_EXACT = 1,     /* seq == RCV.NXT, or answering a SYN with an acceptable ack */
    LC_RST_CHECK_IN_WINDOW = 2, /* RCV.NXT < seq < RCV.NXT + window: challenge ACK, states unchanged */
    LC_RST_CHECK_OUT_OF_WINDOW = 3 /* anything else: ignored, states unchanged */
};

const char *lc_rst_check_name(unsigned check); /* "unknown" "exact" "in window" "out of window" */

/* ---- the whole anomaly set of a segment ---------------------------------- */

/* Bits 0-14 are stored in lc_result.anomalies (lifecycle.h).  These are not
 * stored: the two RST bits follow from lc_result.rst_check, the two reuse
 * bits come from lc_reuse_check (the caller keeps them per connection and
 * ORs them in on the connection's first SYN). */
enum {
    LC_ANOM_RST_NOT_EXACT        = 1u << 16, /* rst_check 2: warning synfin.rst_not_exact */
    LC_ANOM_RST_OUT_OF_WINDOW    = 1u << 17, /* rst_check 3: warning synfin.rst_out_of_window */
    LC_ANOM_REUSE_TIME_WAIT      = 1u << 18, /* note synfin.reuse_time_wait */
    LC_ANOM_REUSE_TIME_WAIT_LOWER = 1u << 19 /* the same item as a warning: the ISN is not higher */
};

/* lc_result.anomalies plus the bits that follow from rst_check. */
uint32_t lc_result_anomalies(const lc_result *r);

/* ---- 8.2: a 4-tuple used again ------------------------------------------- */

/* What the engine needs of the latest earlier connection on a 4-tuple.  The
 * caller keeps, per 4-tuple, the latest connection (its stream id and lc_conn)
 * and fills this with lc_tuple_prev_from_conn when a new connection's first
 * SYN arrives, on the first (sequential) pass; it stores the lc_reuse answer
 * with the new connection, so later passes show the same. */
typedef struct lc_tuple_prev {
    int64_t  last_time_ns;   /* capture time of its last segment */
    int64_t  time_wait_ns;   /* when an endpoint entered TIME_WAIT (the later one if both) */
    uint32_t stream;         /* its tcp.stream */
    uint32_t next_seq[2];    /* by its roles (0 client, 1 server): the sequence number after
                              * the highest one that end used (SYN and FIN count one; RSTs
                              * do not count) */
    uint8_t  flags;          /* LC_PREV_* */
    uint8_t  pad[3];
} lc_tuple_prev;

enum {
    LC_PREV_VALID     = 0x01, /* describes a connection */
    LC_PREV_SEQ_C     = 0x02, /* next_seq[0] known */
    LC_PREV_SEQ_S     = 0x04, /* next_seq[1] known */
    LC_PREV_TIME_WAIT = 0x08  /* an endpoint was left in TIME_WAIT; time_wait_ns valid */
};

#define LC_TIME_WAIT_DEFAULT_S 60u /* Linux's TIME-WAIT length (TCP_TIMEWAIT_LEN) */

/* The summary of connection `c` (tcp.stream `stream`) as it stands now. */
void lc_tuple_prev_from_conn(lc_tuple_prev *p, const lc_conn *c, uint32_t stream);

typedef struct lc_reuse {
    int64_t  gap_ns;        /* synfin.reuse.gap: from its last segment to this SYN */
    uint32_t prev_stream;   /* synfin.reuse.prev_stream */
    uint32_t anomalies;     /* 0, LC_ANOM_REUSE_TIME_WAIT or LC_ANOM_REUSE_TIME_WAIT_LOWER */
    bool     isn_known;     /* the same side's sequence numbers in the earlier connection are known */
    bool     isn_higher;    /* synfin.reuse.isn_higher (valid if isn_known) */
    uint8_t  pad[2];
} lc_reuse;

/* A new connection's first bare SYN `syn` against the earlier connection
 * `prev`.  `sender_prev_role` says which end of the earlier connection sends
 * this SYN (0 its client, 1 its server).  time_wait_s: the synfin.time_wait
 * preference in seconds.  Returns false (and zeroes *out) when prev describes
 * no connection. */
bool lc_reuse_check(const lc_tuple_prev *prev, unsigned sender_prev_role, const lc_segment *syn,
                    unsigned time_wait_s, lc_reuse *out);

/* ---- 8.4: close times and connections left open ------------------------ */

/* synfin.teardown.halfclose: on the second closer's FIN (first transmission;
 * teardown step 3, merged or not, or FIN 2/4 of a simultaneous close), the
 * time since the first FIN.  r, frame, time_ns: the segment's result, frame
 * number and capture time.  False when the segment shows no value. */
bool lc_conn_halfclose(const lc_conn *c, const lc_result *r, uint32_t frame, int64_t time_ns,
                       int64_t *ns);
/* synfin.teardown.time: on teardown step 4 (first transmission), the time
 * since the first FIN. */
bool lc_conn_teardown_time(const lc_conn *c, const lc_result *r, uint32_t frame, int64_t time_ns,
                           int64_t *ns);

typedef struct lc_left_open {
    int64_t  since_ns[2];    /* by role (0 client, 1 server): when that end entered state[] */
    int64_t  last_time_ns;   /* the connection's last segment */
    uint32_t since_frame[2]; /* the segment that put it there */
    uint32_t last_frame;
    uint8_t  state[2];       /* each end's state after the last segment (lc_state) */
    bool     open;           /* not both ends CLOSED or TIME_WAIT */
    uint8_t  pad;
} lc_left_open;

/* The connection as it stands now (call it at the end of the capture).
 * Returns out->open; false with zeroed fields before the first segment. */
bool lc_conn_left_open(const lc_conn *c, lc_left_open *out);

/* ---- 8.5: where was this captured? ---------------------------------------- */

enum {
    LC_VANTAGE_UNKNOWN = 0, LC_VANTAGE_CLIENT = 1, LC_VANTAGE_SERVER = 2, LC_VANTAGE_BETWEEN = 3
};

#define LC_VANTAGE_MIN_NS 20000 /* a + b below 20 us: loopback, unknown */

const char *lc_vantage_name(unsigned vantage); /* "unknown" "near the client" ... */

/* synfin.vantage on segment `frame`: false before the segment that completed
 * the handshake (ACK 3/3, or SYN-ACK 4/4 of a simultaneous open: unknown)
 * and on connections whose handshake never completed. */
bool lc_conn_vantage_at(const lc_conn *c, uint32_t frame, unsigned *vantage);

/* The split behind it, for the statistics and the Lua report: a = SYN to
 * SYN-ACK (the path beyond the capture point on the server's side), b =
 * SYN-ACK to ACK 3/3 (the client's side).  False before the completing ACK
 * and when the handshake was not seen whole with first transmissions only
 * (true on loopback, where the vantage is unknown because a + b < 20 us). */
bool lc_conn_handshake_split(const lc_conn *c, uint32_t frame, int64_t *a_ns, int64_t *b_ns);

#ifdef __cplusplus
}
#endif
#endif
