/* reassembly.h - the receive side's bytes: the reply in order, the data
 * that arrived beyond a hole (the out-of-order store), and the SACK blocks
 * (RFC 2018) that report what the store holds.
 *
 * Owns the reply buffer and the copies of out-of-order data; the receive
 * sequence number (rcv_nxt) stays with the connection's control block and
 * is passed in.  No sockets, no timers.
 */
#ifndef SYNFIN_INJ_REASSEMBLY_H
#define SYNFIN_INJ_REASSEMBLY_H

#include "common.h"
#include "packet.h"

#define REASM_WINDOW  (1u << 20)   /* the largest receive window we offer: we consume everything at once */
#define REASM_REPLY_MAX (256u << 20) /* default --max-reply: reply bytes kept at the most */
#define REASM_OOO_MAX 64           /* out-of-order pieces held at the most */

typedef struct reasm_piece {
    uint32_t seq, len;
    uint8_t *data;
} reasm_piece;

typedef struct reasm {
    uint8_t *reply;            /* malloc'ed; whoever ends the exchange takes it over */
    size_t   reply_len, reply_cap;
    reasm_piece ooo[REASM_OOO_MAX];   /* sorted by seq, disjoint */
    int      ooo_n;
    uint32_t ooo_latest;       /* seq of the out-of-order segment that came last */
    uint32_t window;           /* the receive window offered (0: REASM_WINDOW) */
    size_t   max;              /* reply bytes kept at the most (0: REASM_REPLY_MAX) */
    bool     overflow;         /* the reply outgrew max: bytes were not kept */
} reasm;

/* Data at seq..seq+len when seq is beyond rcv_nxt: keeps a copy (each byte
 * once) unless it lies beyond the window or the store is full. */
void reasm_hold(reasm *r, uint32_t rcv_nxt, uint32_t seq, const uint8_t *d, uint32_t len);

/* Data at seq <= *rcv_nxt: appends what is new to the reply, then what the
 * store holds that is now in order; advances *rcv_nxt.  Returns true when
 * the reply grew (false for a pure duplicate).  Bytes beyond max are not
 * kept (and not acknowledged: rcv_nxt stops there) and set overflow. */
bool reasm_accept(reasm *r, uint32_t *rcv_nxt, uint32_t seq, const uint8_t *d, uint32_t len);

/* Fills o->sack / o->sack_n with the blocks held beyond the hole, the one
 * with the latest segment first (RFC 2018 4), as many as room bytes of
 * option space allow (at most 4). */
void reasm_sack_blocks(const reasm *r, tcp_opts *o, unsigned room);

/* Frees the out-of-order store; the reply stays. */
void reasm_free(reasm *r);

#endif
