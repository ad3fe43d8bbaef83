/* congestion.c - retransmission timeout and congestion window (see congestion.h). */
#include "congestion.h"

#include <string.h>

static int64_t doubled(int64_t x, int64_t cap)
{
    return x * 2 > cap ? cap : x * 2;
}

void cc_init(congestion *c)
{
    memset(c, 0, sizeof *c);
    c->rto = RTO_INITIAL;
    c->rto_base = RTO_INITIAL;
}

void cc_established(congestion *c, uint32_t mss, int64_t rtt_ns, bool karn_ok)
{
    c->cwnd = 10 * mss;   /* RFC 6928 initial window */
    c->ssthresh = UINT32_MAX;
    if (karn_ok) {
        int64_t rto = rtt_ns + 4 * (rtt_ns / 2);   /* SRTT = R, RTTVAR = R/2 */
        c->rto = rto < RTO_MIN ? RTO_MIN : rto;
    } else {
        c->rto = RTO_INITIAL;
    }
    c->rto_base = c->rto;
}

bool cc_on_ack(congestion *c, uint32_t acked, uint32_t ack, uint32_t mss)
{
    if (c->cwnd < c->ssthresh)   /* slow start */
        c->cwnd += acked < mss ? acked : mss;
    else                         /* congestion avoidance */
        c->cwnd += (uint32_t)((uint64_t)mss * mss / c->cwnd) + 1;
    bool partial = c->in_recovery && SEQ_LT(ack, c->recover);
    if (c->in_recovery && !partial)
        c->in_recovery = false;
    c->rto = c->rto_base;   /* progress ends the backoff */
    c->dupacks = 0;
    return partial;
}

/* A loss found with flight bytes out: halve (RFC 5681 (4)) and remember snd_max. */
static void enter_recovery(congestion *c, uint32_t flight, uint32_t snd_max, uint32_t mss)
{
    c->ssthresh = flight / 2 > 2 * mss ? flight / 2 : 2 * mss;
    c->cwnd = c->ssthresh;
    c->recover = snd_max;
    c->in_recovery = true;
}

bool cc_on_dupack(congestion *c, uint32_t flight, uint32_t snd_max, uint32_t mss)
{
    if (++c->dupacks != 3)
        return false;
    enter_recovery(c, flight, snd_max, mss);
    return true;
}

void cc_on_timeout(congestion *c, bool established, uint32_t flight, uint32_t snd_max, uint32_t mss)
{
    c->rto = doubled(c->rto, RTO_MAX);
    if (established) {
        enter_recovery(c, flight, snd_max, mss);
        c->cwnd = mss;
    }
}

int64_t cc_persist_next(congestion *c)
{
    c->persist_backoff = c->persist_backoff ? doubled(c->persist_backoff, PERSIST_MAX)
                                            : (c->rto > PERSIST_MAX ? PERSIST_MAX : c->rto);
    return c->persist_backoff;
}
