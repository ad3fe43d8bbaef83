/* reassembly.c - the reply in order, the out-of-order store and its SACK
 * blocks (see reassembly.h). */
#include "reassembly.h"

#include <stdlib.h>
#include <string.h>

static uint32_t window(const reasm *r) { return r->window ? r->window : REASM_WINDOW; }

/* Appends up to n bytes; returns how many were kept. */
static uint32_t append_reply(reasm *r, const uint8_t *d, uint32_t n)
{
    size_t max = r->max ? r->max : REASM_REPLY_MAX;
    if (r->reply_len + n > max) {
        n = (uint32_t)(max - r->reply_len);
        r->overflow = true;
    }
    if (r->reply_len + n > r->reply_cap) {
        size_t cap = r->reply_cap ? r->reply_cap : 4096;
        while (cap < r->reply_len + n)
            cap *= 2;
        uint8_t *nb = realloc(r->reply, cap);
        if (!nb) {
            r->overflow = true;
            return 0;
        }
        r->reply = nb;
        r->reply_cap = cap;
    }
    memcpy(r->reply + r->reply_len, d, n);
    r->reply_len += n;
    return n;
}

void reasm_hold(reasm *r, uint32_t rcv_nxt, uint32_t seq, const uint8_t *d, uint32_t len)
{
    if (SEQ_GEQ(seq, rcv_nxt + window(r)))
        return;
    if (SEQ_GT(seq + len, rcv_nxt + window(r)))
        len = rcv_nxt + window(r) - seq;   /* only what the window offered */
    r->ooo_latest = seq;
    /* trim what is already held; store the remaining pieces one by one */
    for (int i = 0; i < r->ooo_n && len > 0; i++) {
        reasm_piece *o = &r->ooo[i];
        uint32_t oe = o->seq + o->len;
        if (SEQ_LEQ(seq + len, o->seq))
            break;                         /* entirely before this one: insert below */
        if (SEQ_GEQ(seq, oe))
            continue;                      /* entirely after it */
        if (SEQ_LT(seq, o->seq)) {         /* a piece before it, then skip the overlap */
            uint32_t piece = o->seq - seq;
            reasm_hold(r, rcv_nxt, seq, d, piece);
            uint32_t skip = piece + o->len < len ? piece + o->len : len;
            reasm_hold(r, rcv_nxt, seq + skip, d + skip, len - skip);
            return;
        }
        uint32_t skip = oe - seq < len ? oe - seq : len;   /* starts inside it */
        seq += skip;
        d += skip;
        len -= skip;
    }
    if (len == 0 || r->ooo_n == REASM_OOO_MAX)
        return;   /* full: the server will send it again */
    uint8_t *copy = malloc(len);
    if (!copy)
        return;
    memcpy(copy, d, len);
    int at = 0;
    while (at < r->ooo_n && SEQ_LT(r->ooo[at].seq, seq))
        at++;
    memmove(&r->ooo[at + 1], &r->ooo[at], (size_t)(r->ooo_n - at) * sizeof r->ooo[0]);
    r->ooo[at].seq = seq;
    r->ooo[at].len = len;
    r->ooo[at].data = copy;
    r->ooo_n++;
}

/* Appends the part of seq..seq+len beyond *rcv_nxt; true if there was one. */
static bool take_new(reasm *r, uint32_t *rcv_nxt, uint32_t seq, const uint8_t *d, uint32_t len)
{
    if (!SEQ_GT(seq + len, *rcv_nxt))
        return false;
    uint32_t skip = *rcv_nxt - seq;
    uint32_t kept = append_reply(r, d + skip, len - skip);
    *rcv_nxt += kept;
    return kept > 0;
}

bool reasm_accept(reasm *r, uint32_t *rcv_nxt, uint32_t seq, const uint8_t *d, uint32_t len)
{
    if (!take_new(r, rcv_nxt, seq, d, len))
        return false;
    /* move held data that the advancing rcv_nxt has reached into the reply */
    while (!r->overflow && r->ooo_n > 0 && SEQ_LEQ(r->ooo[0].seq, *rcv_nxt)) {
        reasm_piece *o = &r->ooo[0];
        take_new(r, rcv_nxt, o->seq, o->data, o->len);
        free(o->data);
        r->ooo_n--;
        memmove(&r->ooo[0], &r->ooo[1], (size_t)r->ooo_n * sizeof r->ooo[0]);
    }
    return true;
}

void reasm_sack_blocks(const reasm *r, tcp_opts *o, unsigned room)
{
    unsigned max = room >= 2 ? (room - 2) / 8 : 0;
    if (max > 4)
        max = 4;
    uint32_t blk[REASM_OOO_MAX][2];
    unsigned nb = 0;
    for (int i = 0; i < r->ooo_n; i++) {   /* ooo[] is sorted and disjoint: merge touching ranges */
        uint32_t l = r->ooo[i].seq, e = l + r->ooo[i].len;
        if (nb && blk[nb - 1][1] == l)
            blk[nb - 1][1] = e;
        else {
            blk[nb][0] = l;
            blk[nb][1] = e;
            nb++;
        }
    }
    unsigned first = 0;
    for (unsigned i = 0; i < nb; i++)
        if (SEQ_LEQ(blk[i][0], r->ooo_latest) && SEQ_LT(r->ooo_latest, blk[i][1]))
            first = i;
    o->sack_n = 0;
    for (unsigned k = 0; k < nb && o->sack_n < max; k++) {
        unsigned i = (first + nb - k) % nb;   /* the latest first, then older blocks */
        o->sack[o->sack_n][0] = blk[i][0];
        o->sack[o->sack_n][1] = blk[i][1];
        o->sack_n++;
    }
}

void reasm_free(reasm *r)
{
    for (int i = 0; i < r->ooo_n; i++)
        free(r->ooo[i].data);
    r->ooo_n = 0;
}
