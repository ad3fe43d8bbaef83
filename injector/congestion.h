/* congestion.h - how fast the request may go and when it is sent again: the
 * retransmission timeout (RFC 6298: first sample from the handshake, Karn's
 * rule, doubling backoff), the zero-window probe's backoff, and the
 * congestion window (RFC 5681 slow start, congestion avoidance and fast
 * retransmit, RFC 6582 NewReno recovery, RFC 6928 initial window).
 *
 * Owns these numbers only; the connection's control block (client.c)
 * decides what to send and keeps the deadlines.
 */
#ifndef SYNFIN_INJ_CONGESTION_H
#define SYNFIN_INJ_CONGESTION_H

#include "common.h"

#define RTO_INITIAL   (1000 * NS_PER_MS)   /* RFC 6298 */
#define RTO_MIN       (200 * NS_PER_MS)    /* as Linux */
#define RTO_MAX       (60000 * NS_PER_MS)
#define PERSIST_MAX   (5000 * NS_PER_MS)

typedef struct congestion {
    uint32_t cwnd, ssthresh;   /* bytes */
    uint32_t recover;          /* RFC 6582: snd_max when the loss was found */
    bool     in_recovery;
    int      dupacks;
    int64_t  rto;              /* current, with backoff (ns) */
    int64_t  rto_base;         /* without backoff: what progress returns to */
    int64_t  persist_backoff;  /* zero-window probe interval; 0 = not probing */
} congestion;

/* Before the handshake: RTO_INITIAL. */
void cc_init(congestion *c);

/* The handshake completed after rtt_ns; karn_ok when the SYN was sent only
 * once (an ambiguous sample is not used).  Sets the initial window for mss. */
void cc_established(congestion *c, uint32_t mss, int64_t rtt_ns, bool karn_ok);

/* acked new bytes up to ack: grows the window, ends the backoff and a
 * completed recovery.  Returns true for a partial ACK during recovery
 * (NewReno: the next hole is to be resent at once). */
bool cc_on_ack(congestion *c, uint32_t acked, uint32_t ack, uint32_t mss);

/* A duplicate ACK: returns true at the third one, having entered fast
 * recovery (the first unacknowledged segment is to be resent). */
bool cc_on_dupack(congestion *c, uint32_t flight, uint32_t snd_max, uint32_t mss);

/* The retransmission timer fired: doubles the RTO; once established, the
 * window falls to one segment (RFC 5681 3.1). */
void cc_on_timeout(congestion *c, bool established, uint32_t flight, uint32_t snd_max, uint32_t mss);

/* The next zero-window probe's interval (RTO first, then doubling up to PERSIST_MAX). */
int64_t cc_persist_next(congestion *c);

#endif
