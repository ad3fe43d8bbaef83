/* zeek.c - Zeek-compatible conn_state and history (see zeek.h, docs/zeek.md). */
#include "zeek.h"

#include <string.h>

_Static_assert(sizeof(lc_zeek) <= 64, "the per-connection summary must stay within 64 bytes");

/* Zeek's per-endpoint states. */
enum { ZE_INACTIVE, ZE_SYN_SENT, ZE_SYN_ACK_SENT, ZE_PARTIAL, ZE_ESTABLISHED, ZE_CLOSED,
       ZE_RESET };

/* lc_zeek.seen bits: letters that are written once per direction, and the
 * slots whose repetition depends on a sequence number. */
enum { SEEN_A = 0x01, SEEN_D = 0x02, SEEN_I = 0x04, SEEN_Q = 0x08, SEEN_SYN = 0x10,
       SEEN_FIN = 0x20, SEEN_RST = 0x40 };

/* lc_zeek.flags */
enum { Z_STARTED = 0x01, Z_H_REWRITTEN = 0x02 };

void lc_zeek_init(lc_zeek *z)
{
    memset(z, 0, sizeof *z);
}

static void put(lc_zeek *z, char letter)
{
    if (z->hist_len < LC_ZEEK_HIST_MAX)
        z->hist[z->hist_len++] = letter;
}

static void put_dir(lc_zeek *z, int dir, char upper)
{
    put(z, dir == 0 ? upper : (char)(upper - 'A' + 'a'));
}

/* Letters that repeat logarithmically: at the 1st, 10th, 100th ... time. */
static void put_log(lc_zeek *z, int dir, uint16_t *count, char upper)
{
    if (*count < UINT16_MAX)
        (*count)++;
    uint16_t n = *count;
    if (n == 1 || n == 10 || n == 100 || n == 1000 || n == 10000)
        put_dir(z, dir, upper);
}

static void flip(lc_zeek *z)
{
    z->orig_from ^= 1;
    uint8_t t = z->st[0]; z->st[0] = z->st[1]; z->st[1] = t;
    t = z->seen[0]; z->seen[0] = z->seen[1]; z->seen[1] = t;
    uint32_t u;
    u = z->last_syn_seq[0]; z->last_syn_seq[0] = z->last_syn_seq[1]; z->last_syn_seq[1] = u;
    u = z->last_fin_end[0]; z->last_fin_end[0] = z->last_fin_end[1]; z->last_fin_end[1] = u;
    u = z->last_rst_seq[0]; z->last_rst_seq[0] = z->last_rst_seq[1]; z->last_rst_seq[1] = u;
    uint16_t v;
    v = z->count_t[0]; z->count_t[0] = z->count_t[1]; z->count_t[1] = v;
    v = z->count_w[0]; z->count_w[0] = z->count_w[1]; z->count_w[1] = v;
}

bool lc_zeek_is_orig(const lc_zeek *z, const lc_segment *s)
{
    return s->from == z->orig_from;
}

static void write_letters(lc_zeek *z, const lc_segment *s, int dir, const lc_result *r)
{
    uint16_t f = s->flags;
    bool syn = f & LC_SYN, fin = f & LC_FIN, rst = f & LC_RST, ack = f & LC_ACK;
    uint8_t *seen = &z->seen[dir];

    if (fin && rst) {
        if (!(*seen & SEEN_I)) { *seen |= SEEN_I; put_dir(z, dir, 'I'); }
    } else if (syn && (fin || rst)) {
        if (!(*seen & SEEN_Q)) { *seen |= SEEN_Q; put_dir(z, dir, 'Q'); }
    } else if (syn) {
        if (!(*seen & SEEN_SYN) || z->last_syn_seq[dir] != s->seq)
            put_dir(z, dir, ack ? 'H' : 'S');
        *seen |= SEEN_SYN;
        z->last_syn_seq[dir] = s->seq;
    } else if (fin) {
        uint32_t end = s->seq + s->len;
        if (!(*seen & SEEN_FIN) || z->last_fin_end[dir] != end)
            put_dir(z, dir, 'F');
        *seen |= SEEN_FIN;
        z->last_fin_end[dir] = end;
    } else if (rst) {
        if (!(*seen & SEEN_RST) || z->last_rst_seq[dir] != s->seq)
            put_dir(z, dir, 'R');
        *seen |= SEEN_RST;
        z->last_rst_seq[dir] = s->seq;
    } else if (s->len > 0) {
        if (!(*seen & SEEN_D)) { *seen |= SEEN_D; put_dir(z, dir, 'D'); }
    } else if (ack) {
        if (!(*seen & SEEN_A)) { *seen |= SEEN_A; put_dir(z, dir, 'A'); }
    }

    /* Retransmission: payload that does not advance the sender's highest
     * sequence number; not counted once the sender has reset. */
    if (s->len > 0 && !r->advances && z->st[dir] != ZE_RESET)
        put_log(z, dir, &z->count_t[dir], 'T');
    /* Zero window: not on a RST, not from a reset endpoint, not after the
     * peer's FIN (a closed peer no longer needs the window). */
    if (s->win == 0 && !rst && !syn && z->st[dir] != ZE_RESET && z->st[dir ^ 1] != ZE_CLOSED)
        put_log(z, dir, &z->count_w[dir], 'W');
}

static void update_states(lc_zeek *z, const lc_segment *s, int dir)
{
    uint16_t f = s->flags;
    bool syn = f & LC_SYN, fin = f & LC_FIN, rst = f & LC_RST, ack = f & LC_ACK;
    uint8_t *me = &z->st[dir], *peer = &z->st[dir ^ 1];

    if (rst) {
        /* A RST after both sides closed does not undo the clean close. */
        if (!(*me == ZE_CLOSED && *peer == ZE_CLOSED))
            *me = ZE_RESET;
        return;
    }
    if (*me == ZE_RESET && !fin)
        return; /* a reset endpoint stays reset (e.g. an injected RST before the SYN-ACK) */
    if (syn && !ack) {
        if (dir == 1 && *peer == ZE_SYN_SENT) {
            /* Simultaneous open. */
            *me = ZE_ESTABLISHED;
            *peer = ZE_ESTABLISHED;
        } else if (*me == ZE_INACTIVE || (*me == ZE_PARTIAL && *peer == ZE_INACTIVE)) {
            *me = ZE_SYN_SENT;
        }
    } else if (syn) {
        if (dir == 1) {
            *me = ZE_ESTABLISHED;
            if (*peer == ZE_SYN_SENT)
                *peer = ZE_ESTABLISHED;
        } else if (*me == ZE_INACTIVE) {
            *me = ZE_SYN_ACK_SENT;
        }
    }
    if (fin) {
        if (*me != ZE_RESET)
            *me = ZE_CLOSED;
        /* The peer's FIN-then-RST was a normal termination after all. */
        if (*peer == ZE_RESET && (z->seen[dir ^ 1] & SEEN_FIN))
            *peer = ZE_CLOSED;
        return;
    }
    if (!syn) {
        if (*me == ZE_INACTIVE) {
            /* A responder's pure ACK to a pending SYN keeps it inactive. */
            if (!(dir == 1 && *peer == ZE_SYN_SENT && s->len == 0 && ack))
                *me = *peer == ZE_ESTABLISHED && ack ? ZE_ESTABLISHED : ZE_PARTIAL;
        } else if ((*me == ZE_SYN_SENT || *me == ZE_SYN_ACK_SENT) && ack &&
                   *peer == ZE_ESTABLISHED) {
            *me = ZE_ESTABLISHED;
        }
    }
}

void lc_zeek_observe(lc_zeek *z, const lc_segment *s, lc_result *r)
{
    uint16_t f = s->flags;

    if (!(z->flags & Z_STARTED)) {
        z->flags |= Z_STARTED;
        z->orig_from = s->from;
        /* Zeek flips at once when a SYN-less or SYN-ACK first segment comes
         * from a likely server port; synfin's stand-in for that list is the
         * lower port (spec section 2's role guess). */
        bool synless = !(f & LC_SYN) || (f & LC_ACK);
        if (synless && !(f & LC_RST) && s->sport < s->dport) {
            z->orig_from ^= 1;
            put(z, '^');
        }
    }

    /* A connection whose history is exactly "H" (it began with a SYN-ACK) is
     * flipped by the first ACK or data segment, and the history becomes "^h". */
    if (z->hist_len == 1 && z->hist[0] == 'H' && !(f & (LC_SYN | LC_FIN | LC_RST))) {
        flip(z);
        /* Its sender is now the responder, and a responder's SYN-ACK
         * establishes it. */
        if (z->st[1] == ZE_SYN_ACK_SENT)
            z->st[1] = ZE_ESTABLISHED;
        z->hist[0] = '^';
        z->hist[1] = 'h';
        z->hist_len = 2;
        z->flags |= Z_H_REWRITTEN;
    }

    int dir = s->from == z->orig_from ? 0 : 1;
    bool reversal = (f & LC_SYN) && !(f & (LC_ACK | LC_FIN | LC_RST)) && dir == 1 &&
                    z->st[0] == ZE_SYN_ACK_SENT;

    write_letters(z, s, dir, r);
    update_states(z, s, dir);
    if (reversal) {
        /* SYN-ACK seen before its SYN: the SYN's sender is the originator. */
        flip(z);
        z->st[0] = ZE_ESTABLISHED;
        z->st[1] = ZE_ESTABLISHED;
        put(z, '^');
    }

    r->zeek_snap = (uint8_t)((lc_zeek_conn_state(z) + 1) |
                              (s->from == z->orig_from ? 0x80 : 0));
    r->zeek_hist_len = z->hist_len;
    r->zeek_h_only = z->hist_len == 1 && z->hist[0] == 'H';
}

/* History matches ^\^?S[^HAFGIQ]*R : a SYN, then no originator letter of an
 * answered or closing connection before the originator's RST. */
static bool rstos0_history(const lc_zeek *z)
{
    int i = 0;
    if (i < z->hist_len && z->hist[i] == '^')
        i++;
    if (i >= z->hist_len || z->hist[i] != 'S')
        return false;
    for (i++; i < z->hist_len; i++) {
        char c = z->hist[i];
        if (c == 'R')
            return true;
        if (strchr("HAFGIQ", c))
            return false;
    }
    return false;
}

lc_zeek_state lc_zeek_conn_state(const lc_zeek *z)
{
    unsigned os = z->st[0], rs = z->st[1];
    bool o_inactive = os == ZE_INACTIVE || os == ZE_PARTIAL;
    bool r_inactive = rs == ZE_INACTIVE || rs == ZE_PARTIAL;

    if (!(z->flags & Z_STARTED))
        return LC_ZS_OTH;
    if (rs == ZE_RESET) {
        /* Zeek asks for zero payload on both sides; a refused connection has none. */
        if (os == ZE_SYN_SENT || os == ZE_SYN_ACK_SENT || (os == ZE_RESET && !(z->seen[0] & SEEN_D) &&
                                                           !(z->seen[1] & SEEN_D)))
            return LC_ZS_REJ;
        return o_inactive ? LC_ZS_RSTRH : LC_ZS_RSTR;
    }
    if (os == ZE_RESET) {
        if (r_inactive)
            return rstos0_history(z) ? LC_ZS_RSTOS0 : LC_ZS_OTH;
        return LC_ZS_RSTO;
    }
    if (os == ZE_CLOSED && rs == ZE_CLOSED)
        return LC_ZS_SF;
    if (os == ZE_CLOSED)
        return r_inactive ? LC_ZS_SH : LC_ZS_S2;
    if (rs == ZE_CLOSED)
        return o_inactive ? LC_ZS_SHR : LC_ZS_S3;
    if (os == ZE_SYN_SENT && rs == ZE_INACTIVE)
        return LC_ZS_S0;
    if (os == ZE_ESTABLISHED && rs == ZE_ESTABLISHED)
        return LC_ZS_S1;
    return LC_ZS_OTH;
}

const char *lc_zeek_state_name(unsigned zs)
{
    static const char *const names[LC_ZS_COUNT] = {
        "S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR", "RSTOS0", "RSTRH", "SH", "SHR", "OTH"
    };
    return zs < LC_ZS_COUNT ? names[zs] : "-";
}

size_t lc_zeek_history(const lc_zeek *z, const lc_result *r, char *buf, size_t size)
{
    const char *src = z->hist;
    size_t n = z->hist_len;
    if (r) {
        n = r->zeek_hist_len <= z->hist_len ? r->zeek_hist_len : z->hist_len;
        if (r->zeek_h_only) {
            src = "H";
            n = 1;
        }
    }
    if (size > 0) {
        size_t k = n < size ? n : size - 1;
        memcpy(buf, src, k);
        buf[k] = '\0';
    }
    return n;
}
