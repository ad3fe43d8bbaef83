/* lifecycle-int.h - what the engine's own files (lifecycle.c, view.c) share
 * and callers must not use: the private flag bits of lc_end and which end of
 * the connection sent a segment. */
#ifndef SYNFIN_LIFECYCLE_INT_H
#define SYNFIN_LIFECYCLE_INT_H

#include "lifecycle.h"

/* lc_end.flags */
enum {
    END_BASE     = 0x01, /* base set */
    END_SENT     = 0x02, /* has sent a segment (next, last_seq valid) */
    END_SYN      = 0x04, /* has sent a bare SYN */
    END_SYNACK   = 0x08, /* has sent a SYN-ACK */
    END_FIN      = 0x10, /* has sent a FIN (fin_seq valid) */
    END_ACKED    = 0x20, /* has acknowledged the peer's FIN */
    END_LAST_ACK = 0x40  /* last_ack valid */
};

/* Index of the sender's end in lc_conn.end: 0 client, 1 server. */
static inline int role_index(const lc_conn *c, const lc_segment *s)
{
    return s->from == c->client_from ? 0 : 1;
}

/* lc_conn_observe without its short path for ordinary data and ACKs
 * (lifecycle.c, observe_predicted): the same answers and the same
 * connection state, by the general rules.  For the tests that compare the
 * two. */
void lc_conn_observe_full(lc_conn *c, const lc_segment *s, lc_result *r);

#endif
