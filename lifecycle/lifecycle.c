/* lifecycle.c - the synfin lifecycle engine (see lifecycle.h and docs/engine.md).
 *
 * One call per segment: decide who sent it, apply the sender's send event and
 * the receiver's receive event to the two RFC 9293 state machines, name the
 * step, and fill a snapshot.  All sequence arithmetic is modulo 2^32.
 */
#include "lifecycle.h"
#include "lifecycle-int.h"
#include "reading.h"

#include <string.h>

_Static_assert(sizeof(lc_result) == 24, "lc_result is stored per frame: keep it at 24 bytes");

/* lc_conn.conn_flags */
enum {
    CONN_STARTED = 0x01,
    CONN_GUESSED = 0x02,
    CONN_SYNACK  = 0x04  /* a SYN-ACK was sent in the current attempt */
};

/* lc_conn.x_flags (spec section 8) */
enum {
    X_OLD_PENDING = 0x01, /* the server answered the SYN with an old connection's ACK */
    X_WIN_C       = 0x02, /* win[0] known */
    X_WIN_S       = 0x04, /* win[1] known */
    X_HS_RETX     = 0x08, /* a SYN or SYN-ACK was sent again before the handshake completed */
    X_HS_WHOLE    = 0x10, /* the handshake was seen whole, first transmissions (8.5) */
    X_RESTARTED   = 0x20  /* restart() ran at this segment */
};

/* Step codes: what a step segment was, so that its copies can be labelled alike. */
enum {
    CODE_STEP_MASK = 0x07,
    CODE_TEARDOWN  = 0x08,
    CODE_SIM       = 0x10,
    CODE_MERGED    = 0x20,
    CODE_VALID     = 0x40
};

/* Code that runs once or twice in a connection's life (its first segment,
 * SYN, SYN-ACK, RST, a restart): kept out of line and out of the way of
 * the path every data segment and ACK takes, which then touches fewer
 * instruction-cache lines (tshark's own per-packet code evicts ours between
 * two segments, so each line the path touches is a miss). */
#if defined(__GNUC__)
#define LC_RARE __attribute__((noinline, cold))
#else
#define LC_RARE
#endif

/* Sequence-space comparisons (RFC 9293 section 3.4). */
static bool seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static bool seq_geq(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }

static bool is_closed_state(unsigned st) { return st == LC_CLOSED || st == LC_TIME_WAIT; }

static uint8_t make_code(unsigned phase, unsigned step, unsigned kind, bool merged)
{
    return (uint8_t)(CODE_VALID | (step & CODE_STEP_MASK) |
                     (phase == LC_PHASE_TEARDOWN ? CODE_TEARDOWN : 0) |
                     (kind == LC_KIND_SIM ? CODE_SIM : 0) | (merged ? CODE_MERGED : 0));
}

static void set_step(lc_result *r, unsigned phase, unsigned step, unsigned kind, bool merged)
{
    r->phase = (uint8_t)phase;
    r->step = (uint8_t)step;
    r->steps_kind = kind == LC_KIND_SIM;
    /* Step totals: a normal handshake has 3 steps, everything else 4. */
    r->four_steps = !(phase == LC_PHASE_HANDSHAKE && kind == LC_KIND_NORMAL);
    r->merged = merged;
}

static void apply_code(lc_result *r, uint8_t code)
{
    set_step(r, (code & CODE_TEARDOWN) ? LC_PHASE_TEARDOWN : LC_PHASE_HANDSHAKE,
             code & CODE_STEP_MASK, (code & CODE_SIM) ? LC_KIND_SIM : LC_KIND_NORMAL,
             (code & CODE_MERGED) != 0);
    r->retransmission = 1;
}

/* Fingerprint of a pure-ACK step segment: same sender, seq, ack, flags, length. */
static uint32_t step_fingerprint(const lc_segment *s)
{
    /* Two multiplications by odd constants (each a bijection of its 64
     * bits), then a finalising mix: distinct segments collide about once in
     * 2^32, at a few instructions per segment. */
    uint64_t h = (((uint64_t)s->seq << 32) | s->ack) * 0x9e3779b97f4a7c15ull;
    h ^= (((uint64_t)s->flags << 32) | s->len) * 0xc2b2ae3d27d4eb4full;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return (uint32_t)(h ^ (h >> 32)) | 1u; /* never 0: 0 means "none" */
}

void lc_conn_init(lc_conn *c)
{
    memset(c, 0, sizeof *c);
    c->end[0].state = LC_CLOSED;
    c->end[1].state = LC_LISTEN;
}

/* First segment: decide the roles (spec section 2). */
LC_RARE static void decide_roles(lc_conn *c, const lc_segment *s)
{
    uint16_t f = s->flags;
    bool sender_is_client;

    if ((f & LC_SYN) && !(f & LC_RST)) {
        /* A bare SYN's sender is the client; a SYN-ACK's sender is the server. */
        sender_is_client = !(f & LC_ACK);
    } else {
        c->conn_flags |= CONN_GUESSED;
        if (s->sport != s->dport)
            sender_is_client = s->sport > s->dport; /* lower port = server */
        else
            sender_is_client = true;
    }
    c->client_from = sender_is_client ? s->from : (uint8_t)(s->from ^ 1);
    c->conn_flags |= CONN_STARTED;
}

/* Remember a segment that used sequence space, for ack_frame. */
static void ring_push(lc_end *e, uint32_t frame, uint32_t end_seq)
{
    e->ring_frame[1] = e->ring_frame[0];
    e->ring_end[1] = e->ring_end[0];
    e->ring_frame[0] = frame;
    e->ring_end[0] = end_seq;
}

static uint32_t ring_covered(const lc_end *e, uint32_t ack)
{
    for (int i = 0; i < 2; i++)
        if (e->ring_frame[i] && seq_geq(ack, e->ring_end[i]))
            return e->ring_frame[i];
    return 0;
}

/* The ack is acceptable for the peer's SYN (or SYN-ACK): it covers the SYN and
 * nothing the peer has not sent (RFC 9293 3.10.7.4: SND.UNA < SEG.ACK =<
 * SND.NXT).  Unknown ISN (SYN not captured): assume so. */
static bool acks_syn_of(const lc_end *p, uint32_t ack)
{
    if (!(p->flags & (END_SYN | END_SYNACK)))
        return true;
    return seq_gt(ack, p->isn) && !seq_gt(ack, p->next);
}

static bool acks_fin_of(const lc_end *p, const lc_segment *s)
{
    return (s->flags & LC_ACK) && (p->flags & END_FIN) && seq_geq(s->ack, p->fin_seq + 1);
}

/* Restart the life after a full close: a new SYN from the client (spec: the
 * same tcp.stream; Wireshark makes a new stream when the ISN changes). */
LC_RARE static void restart(lc_conn *c)
{
    for (int i = 0; i < 2; i++) {
        lc_end *e = &c->end[i];
        e->flags &= (uint8_t)(END_BASE | END_SENT | END_LAST_ACK);
        e->ack_step_sig = 0;
        e->ack_step_code = e->syn_code = e->synack_code = e->fin_code = 0;
    }
    c->end[0].state = LC_CLOSED;
    c->end[1].state = LC_LISTEN;
    c->hs_kind = c->td_kind = LC_KIND_NORMAL;
    c->td_step = c->td_acks = 0;
    c->conn_flags &= (uint8_t)~CONN_SYNACK;
    c->x_flags = (uint8_t)((c->x_flags & ~X_OLD_PENDING) | X_RESTARTED);
    /* Frame links and times stay: they describe the first attempt, and a
     * snapshot shown earlier must not change. */
}

/* Spec 8.3: is this RST acceptable to its receiver p?  (RFC 5961 section 3,
 * RFC 9293 section 3.10.7; docs/engine.md.) */
static unsigned rst_check(const lc_conn *c, const lc_segment *s, const lc_end *e, const lc_end *p)
{
    int ri = p == &c->end[0] ? 0 : 1;
    if (!(c->x_flags & (ri == 0 ? X_WIN_C : X_WIN_S)))
        return LC_RST_CHECK_UNKNOWN;
    if (p->state == LC_SYN_SENT && (p->flags & END_SYN)) {
        /* Answering a SYN (RFC 9293 3.10.7.3): acceptable only with an ACK
         * that acknowledges the SYN; otherwise the RST is dropped. */
        return (s->flags & LC_ACK) && acks_syn_of(p, s->ack) ? LC_RST_CHECK_EXACT
                                                              : LC_RST_CHECK_OUT_OF_WINDOW;
    }
    if (!(e->flags & END_SENT) || (c->conn_flags & CONN_GUESSED))
        return LC_RST_CHECK_UNKNOWN; /* RCV.NXT not known */
    uint32_t nxt = e->next;
    if (s->seq == nxt)
        return LC_RST_CHECK_EXACT;
    /* Linux (tcp_reset_check) also resets on the FIN's own number once the
     * receiver has the FIN: CLOSE_WAIT, LAST_ACK, CLOSING. */
    if ((e->flags & END_FIN) && s->seq == e->fin_seq && nxt == e->fin_seq + 1 &&
        (p->state == LC_CLOSE_WAIT || p->state == LC_LAST_ACK || p->state == LC_CLOSING))
        return LC_RST_CHECK_EXACT;
    if (seq_gt(s->seq, nxt) && seq_gt(nxt + c->win[ri], s->seq))
        return LC_RST_CHECK_IN_WINDOW;
    return LC_RST_CHECK_OUT_OF_WINDOW;
}

LC_RARE static void handle_rst(lc_conn *c, const lc_segment *s, lc_end *e, lc_end *p, lc_result *r)
{
    unsigned chk = rst_check(c, s, e, p);
    bool ignored = chk == LC_RST_CHECK_IN_WINDOW || chk == LC_RST_CHECK_OUT_OF_WINDOW;

    r->rst_check = chk & 3u;
    if (is_closed_state(e->state) && is_closed_state(p->state)) {
        r->phase = LC_PHASE_CLOSED;
        r->anomalies |= LC_ANOM_AFTER_CLOSE;
    } else if (ignored) {
        /* Not accepted by the receiver: a reset segment that resets nothing. */
        r->phase = LC_PHASE_RESET;
    } else {
        /* Refused: the receiver of a pending SYN answers it with RST before
         * sending its own SYN-ACK. */
        bool refused = p->state == LC_SYN_SENT && !(e->flags & END_SYNACK);
        r->phase = LC_PHASE_RESET;
        r->anomalies |= refused ? LC_ANOM_REFUSED : LC_ANOM_ABORT;
    }
    if (ignored)
        return;
    e->state = LC_CLOSED;
    p->state = LC_CLOSED;
}

LC_RARE static void handle_bare_syn(lc_conn *c, const lc_segment *s, int si, lc_end *e,
                                    lc_end *p, lc_result *r)
{
    if (e->flags & END_SYN) {
        if (si == 0 && is_closed_state(e->state) && is_closed_state(p->state)) {
            /* A new attempt after the connection ended (e.g. retried after a refusal). */
            if (s->seq == e->isn)
                r->anomalies |= LC_ANOM_SYN_RETRANS;
            restart(c);
        } else if (s->seq == e->isn) {
            apply_code(r, e->syn_code);
            r->anomalies |= LC_ANOM_SYN_RETRANS;
            /* Spec 8.1: the first SYN met an old connection (server LISTEN);
             * this copy is the one the handshake goes on with. */
            if (si == 0 && e->state == LC_SYN_SENT && p->state == LC_LISTEN)
                p->state = LC_SYN_RECEIVED;
            return;
        } else {
            r->phase = LC_PHASE_HANDSHAKE;
            r->anomalies |= LC_ANOM_NEW_ISN;
            return;
        }
    }

    if (si == 0) {
        if (e->state == LC_CLOSED) {
            set_step(r, LC_PHASE_HANDSHAKE, 1, LC_KIND_NORMAL, false);
            e->state = LC_SYN_SENT;
            if (p->state == LC_LISTEN)
                p->state = LC_SYN_RECEIVED;
        } else if (c->conn_flags & CONN_SYNACK) {
            /* The SYN-ACK was captured before the SYN it answers. */
            set_step(r, LC_PHASE_HANDSHAKE, 1, LC_KIND_NORMAL, false);
            r->anomalies |= LC_ANOM_SYN_REORDER;
        } else {
            r->phase = LC_PHASE_HANDSHAKE;
            r->anomalies |= LC_ANOM_NEW_ISN;
            return;
        }
        e->syn_code = make_code(LC_PHASE_HANDSHAKE, 1, c->hs_kind, false);
        if (!e->isn_frame)
            c->syn_time_ns = s->time_ns;
    } else {
        /* The server's own bare SYN while the client's SYN is pending and no
         * SYN-ACK was sent yet: simultaneous open (RFC 9293 figure 7). */
        if ((p->flags & END_SYN) && !(c->conn_flags & CONN_SYNACK) && c->td_step == 0 &&
            (e->state == LC_LISTEN || e->state == LC_SYN_RECEIVED)) {
            c->hs_kind = LC_KIND_SIM;
            set_step(r, LC_PHASE_HANDSHAKE, 2, LC_KIND_SIM, false);
            r->anomalies |= LC_ANOM_SIM_OPEN;
            e->state = LC_SYN_RECEIVED;
            if (p->state == LC_SYN_SENT)
                p->state = LC_SYN_RECEIVED;
            e->syn_code = make_code(LC_PHASE_HANDSHAKE, 2, LC_KIND_SIM, false);
        } else {
            r->phase = LC_PHASE_HANDSHAKE;
            r->anomalies |= LC_ANOM_NEW_ISN;
            return;
        }
    }
    e->flags |= END_SYN;
    e->isn = s->seq;
    if (!e->isn_frame)
        e->isn_frame = s->frame;
}

LC_RARE static void handle_synack(lc_conn *c, const lc_segment *s, int si, lc_end *e,
                                  lc_end *p, lc_result *r)
{
    if (e->flags & END_SYNACK) {
        if (s->seq == e->isn) {
            apply_code(r, e->synack_code);
            r->anomalies |= LC_ANOM_SYN_RETRANS;
        } else {
            r->phase = LC_PHASE_HANDSHAKE;
            r->anomalies |= LC_ANOM_NEW_ISN;
        }
        return;
    }

    if (c->hs_kind == LC_KIND_SIM && (e->flags & END_SYN) && c->td_step == 0) {
        /* Simultaneous open: the first SYN-ACK is 3/4, the second 4/4. */
        unsigned step = (c->conn_flags & CONN_SYNACK) ? 4 : 3;
        set_step(r, LC_PHASE_HANDSHAKE, step, LC_KIND_SIM, false);
        if (acks_syn_of(p, s->ack)) {
            if (p->state == LC_SYN_RECEIVED || p->state == LC_SYN_SENT)
                p->state = LC_ESTABLISHED;
        } else {
            r->anomalies |= LC_ANOM_BAD_ACK;
        }
        e->synack_code = make_code(LC_PHASE_HANDSHAKE, step, LC_KIND_SIM, false);
    } else if (si == 1 && !(e->flags & END_SYN) && c->td_step == 0) {
        /* (Not once the teardown began: steps never go backwards.) */
        set_step(r, LC_PHASE_HANDSHAKE, 2, c->hs_kind, false);
        if (e->state == LC_LISTEN || e->state == LC_SYN_RECEIVED || e->state == LC_CLOSED)
            e->state = LC_SYN_RECEIVED;
        if (p->flags & END_SYN) {
            if (!acks_syn_of(p, s->ack))
                r->anomalies |= LC_ANOM_BAD_ACK;
            else if (p->state == LC_SYN_SENT)
                p->state = LC_ESTABLISHED;
        } else if (p->state == LC_CLOSED || p->state == LC_SYN_SENT) {
            /* The client's SYN was not captured: it must have been sent. */
            p->state = LC_ESTABLISHED;
        }
        e->synack_code = make_code(LC_PHASE_HANDSHAKE, 2, c->hs_kind, false);
    } else {
        /* A SYN-ACK from the client, or one that fits no handshake. */
        r->phase = LC_PHASE_HANDSHAKE;
        r->anomalies |= LC_ANOM_NEW_ISN;
        return;
    }
    e->flags |= END_SYNACK;
    e->isn = s->seq;
    if (!e->isn_frame)
        e->isn_frame = s->frame;
    if (!c->synack_frame)
        c->synack_frame = s->frame;
    c->conn_flags |= CONN_SYNACK;
}

/* Spec 8.1: a segment from the server while the client is SYN_SENT and no
 * SYN-ACK was seen, ACK set, SYN and RST clear, whose ack is not the
 * client's ISN + 1: the answer of an endpoint that holds an older
 * connection on this 4-tuple (RFC 9293 3.10.7.4, RFC 5961 section 4). */
static bool is_old_connection_ack(const lc_conn *c, const lc_segment *s, int si)
{
    const lc_end *cl = &c->end[0];
    return si == 1 && (s->flags & LC_ACK) && !(s->flags & (LC_SYN | LC_RST)) &&
           cl->state == LC_SYN_SENT && (cl->flags & END_SYN) &&
           !(c->conn_flags & CONN_SYNACK) && s->ack != cl->isn + 1;
}

/* Spec 8.1: the client's RST whose seq is that ACK's ack (RFC 9293 3.10.7.3). */
static bool is_old_connection_rst(const lc_conn *c, const lc_segment *s, int si)
{
    return si == 0 && (s->flags & LC_RST) && (c->x_flags & X_OLD_PENDING) &&
           c->end[0].state == LC_SYN_SENT && s->seq == c->old_ack;
}

/* Send event for a first FIN. */
static void send_fin(lc_end *e)
{
    switch (e->state) {
    case LC_ESTABLISHED: case LC_SYN_RECEIVED: case LC_SYN_SENT:
        e->state = LC_FIN_WAIT_1;
        break;
    case LC_CLOSE_WAIT:
        e->state = LC_LAST_ACK;
        break;
    default:
        break;
    }
}

/* Receive event: an ACK that covers the receiver's FIN. */
static void receive_fin_ack(lc_end *p)
{
    switch (p->state) {
    case LC_FIN_WAIT_1: p->state = LC_FIN_WAIT_2; break;
    case LC_CLOSING:    p->state = LC_TIME_WAIT;  break;
    case LC_LAST_ACK:   p->state = LC_CLOSED;     break;
    default: break;
    }
}

/* Receive event: a FIN. */
static void receive_fin(lc_end *p)
{
    switch (p->state) {
    case LC_ESTABLISHED: case LC_SYN_RECEIVED: p->state = LC_CLOSE_WAIT; break;
    case LC_FIN_WAIT_1: p->state = LC_CLOSING;   break;
    case LC_FIN_WAIT_2: p->state = LC_TIME_WAIT; break;
    default: break;
    }
}

/* Segments without SYN or RST: data, ACKs, FINs. */
static void handle_other(lc_conn *c, const lc_segment *s, int si, lc_end *e, lc_end *p,
                         lc_result *r)
{
    bool ack = (s->flags & LC_ACK) != 0;
    bool fin = (s->flags & LC_FIN) != 0;
    uint32_t sig = step_fingerprint(s);

    /* Copies of step segments keep their step and change nothing (spec
     * section 3); this takes precedence over the closed phase. */
    if (e->ack_step_code && e->ack_step_sig == sig) {
        apply_code(r, e->ack_step_code);
        r->anomalies |= LC_ANOM_RETRANS;
        return;
    }
    if (fin && (e->flags & END_FIN) && s->seq + s->len == e->fin_seq) {
        apply_code(r, e->fin_code);
        r->anomalies |= LC_ANOM_RETRANS;
        return;
    }
    if (is_closed_state(e->state) && is_closed_state(p->state)) {
        r->phase = LC_PHASE_CLOSED;
        r->anomalies |= LC_ANOM_AFTER_CLOSE;
        return;
    }
    if ((e->flags & END_FIN) && s->len > 0 && seq_gt(s->seq + s->len, e->fin_seq))
        r->anomalies |= LC_ANOM_DATA_AFTER_FIN;
    if (fin && (e->flags & END_FIN)) {
        /* A second FIN at another sequence number: not a step. */
        r->anomalies |= LC_ANOM_DATA_AFTER_FIN;
        fin = false;
    }

    /* A client still in SYN_SENT that sends an ACK got a SYN-ACK we did not see. */
    if (ack && e->state == LC_SYN_SENT)
        e->state = LC_ESTABLISHED;

    /* Handshake completion: an ACK that covers the receiver's SYN. */
    if (ack && p->state == LC_SYN_RECEIVED) {
        if (acks_syn_of(p, s->ack)) {
            p->state = LC_ESTABLISHED;
            if (si == 0 && c->hs_kind == LC_KIND_NORMAL) {
                set_step(r, LC_PHASE_HANDSHAKE, 3, LC_KIND_NORMAL, false);
                e->ack_step_sig = sig;
                e->ack_step_code = make_code(LC_PHASE_HANDSHAKE, 3, LC_KIND_NORMAL, false);
            }
        } else {
            r->anomalies |= LC_ANOM_BAD_ACK;
        }
    }

    bool acks_fin = acks_fin_of(p, s) && !(e->flags & END_ACKED);

    if (fin) {
        unsigned step;
        bool merged = false;
        unsigned kind = c->td_kind;
        if (c->td_step == 0) {
            step = 1;
            c->td_first = (uint8_t)si;
        } else if (acks_fin) {
            merged = c->td_step < 2;
            step = 3;
        } else if (c->td_step == 1 && c->td_first != si) {
            /* The second FIN does not acknowledge the first: they crossed. */
            c->td_kind = LC_KIND_SIM;
            kind = LC_KIND_SIM;
            step = 2;
            if (!c->sim_close_frame) /* the first attempt's, like the links */
                c->sim_close_frame = s->frame;
            r->anomalies |= LC_ANOM_SIM_CLOSE;
        } else {
            step = 3;
        }
        set_step(r, LC_PHASE_TEARDOWN, step, kind, merged);
        e->fin_code = make_code(LC_PHASE_TEARDOWN, step, kind, merged);
        if (step > c->td_step)
            c->td_step = (uint8_t)step;
        e->flags |= END_FIN;
        e->fin_seq = s->seq + s->len;
        if (!e->fin_frame) /* the first FIN: links keep pointing at the first attempt */
            e->fin_frame = s->frame;
    } else if (acks_fin) {
        unsigned step;
        if (c->td_kind == LC_KIND_SIM)
            step = c->td_acks == 0 ? 3 : 4;
        else
            step = (p == &c->end[c->td_first]) ? 2 : 4;
        set_step(r, LC_PHASE_TEARDOWN, step, c->td_kind, false);
        e->ack_step_sig = sig;
        e->ack_step_code = make_code(LC_PHASE_TEARDOWN, step, c->td_kind, false);
        if (step > c->td_step)
            c->td_step = (uint8_t)step;
    }
    if (acks_fin) {
        e->flags |= END_ACKED;
        c->td_acks++;
    }

    /* State changes: the sender's send event, then the receiver's receive event. */
    if (fin) {
        if (c->td_kind == LC_KIND_SIM && r->step == 2) {
            /* It sent its FIN from ESTABLISHED (FIN_WAIT_1) and then received
             * the first FIN: CLOSING (spec section 3). */
            e->state = LC_CLOSING;
        } else {
            send_fin(e);
        }
    }
    if (acks_fin_of(p, s))
        receive_fin_ack(p);
    if (fin)
        receive_fin(p);

    if (r->step == 0) {
        if (c->td_step > 0)
            r->phase = LC_PHASE_TEARDOWN;
        else if (e->state >= LC_ESTABLISHED && p->state >= LC_ESTABLISHED)
            r->phase = LC_PHASE_DATA;
        else
            r->phase = LC_PHASE_HANDSHAKE;
    }
}

/* Time difference x - y without signed overflow (capture times can be anything). */
static int64_t tdiff(int64_t x, int64_t y)
{
    return (int64_t)((uint64_t)x - (uint64_t)y);
}

/* Spec 8.4 and 8.5: what the "as of frame N" questions of reading.h need. */
static void note_section8(lc_conn *c, const lc_segment *s, const lc_result *r, bool first,
                          const uint8_t st_before[2])
{
    if (c->x_flags & X_RESTARTED) {
        c->x_flags &= (uint8_t)~X_RESTARTED;
        if (c->fin1_frame && !c->restart_frame)
            c->restart_frame = s->frame;
        if (!c->hs_done_frame)
            c->x_flags |= X_HS_RETX; /* the SYN time is the first attempt's */
    }
    if (c->synack_frame == s->frame)
        c->synack_time_ns = s->time_ns;
    for (int i = 0; i < 2; i++)
        if (c->end[i].isn_frame == s->frame)
            c->isn_first[i] = c->end[i].isn;
    if (!c->hs_done_frame && (r->anomalies & (LC_ANOM_SYN_RETRANS | LC_ANOM_OLD_CONNECTION)))
        c->x_flags |= X_HS_RETX; /* Karn: no sample from a segment sent twice */

    if (!c->hs_done_frame && r->phase == LC_PHASE_HANDSHAKE && !r->retransmission &&
        ((r->steps_kind == LC_KIND_NORMAL && r->step == 3) ||
         (r->steps_kind == LC_KIND_SIM && r->step == 4))) {
        int64_t a = tdiff(c->synack_time_ns, c->syn_time_ns);
        int64_t b = tdiff(s->time_ns, c->synack_time_ns);
        bool whole = r->steps_kind == LC_KIND_NORMAL && (c->end[0].flags & END_SYN) &&
                     c->synack_frame && c->end[0].isn_frame < c->synack_frame &&
                     !(c->x_flags & X_HS_RETX) && a >= 0 && b >= 0;
        c->hs_done_frame = s->frame;
        c->hs_done_time_ns = s->time_ns;
        c->vantage = LC_VANTAGE_UNKNOWN;
        if (whole) {
            c->x_flags |= X_HS_WHOLE;
            /* 4b <= a is b <= floor(a/4) for integers >= 0 (no overflow). */
            if (a < LC_VANTAGE_MIN_NS && b < LC_VANTAGE_MIN_NS - a)
                c->vantage = LC_VANTAGE_UNKNOWN;
            else if (b <= a / 4)
                c->vantage = LC_VANTAGE_CLIENT;
            else if (a <= b / 4)
                c->vantage = LC_VANTAGE_SERVER;
            else
                c->vantage = LC_VANTAGE_BETWEEN;
        }
    }

    if (!c->fin1_frame && r->phase == LC_PHASE_TEARDOWN && r->step == 1 && !r->retransmission) {
        c->fin1_frame = s->frame;
        c->fin1_time_ns = s->time_ns;
    }

    for (int i = 0; i < 2; i++) {
        if (first || c->end[i].state != st_before[i]) {
            c->since_frame[i] = s->frame;
            c->since_ns[i] = s->time_ns;
        }
    }
    c->last_frame = s->frame;
    c->last_time_ns = s->time_ns;
}

/* The numbers of an ACK that depend only on what came before it: the
 * delta to the sender's previous ack, and what it should acknowledge of
 * the peer (expected, ok, the frame it covers). */
static inline void ack_numbers(const lc_segment *s, const lc_end *e, const lc_end *p, lc_result *r)
{
    if (e->flags & END_LAST_ACK) {
        r->ack_delta = (int32_t)(s->ack - e->last_ack);
        r->has_ack_delta = 1;
    }
    if (p->flags & END_SENT) {
        r->ack_expected = p->next - p->base;
        r->has_ack_expected = 1;
        r->ack_ok = s->ack == p->next;
        r->ack_frame = ring_covered(p, s->ack);
    }
}

/* Header prediction: the segment most of a capture is made of - data or a
 * bare ACK, no SYN, FIN or RST, both ends ESTABLISHED, no teardown begun,
 * no FIN sent by either end, the sender known, and not a copy of the
 * sender's latest ACK step - takes this short path, which does exactly
 * what lc_conn_observe_full does with such a segment (the engine's fuzz
 * target compares the two after every segment of every input).  Returns
 * false, changing nothing, for any other segment.  Short and with no call
 * out, so that a data segment touches few instruction-cache lines. */
static bool observe_predicted(lc_conn *c, const lc_segment *s, lc_result *r)
{
    const uint16_t f = s->flags;
    if ((f & (LC_SYN | LC_FIN | LC_RST)) || !(c->conn_flags & CONN_STARTED) || c->td_step != 0 ||
        (c->x_flags & (X_OLD_PENDING | X_RESTARTED)))
        return false;
    const int si = role_index(c, s);
    lc_end *e = &c->end[si];
    lc_end *p = &c->end[si ^ 1];
    if (e->state != LC_ESTABLISHED || p->state != LC_ESTABLISHED ||
        (e->flags & (END_BASE | END_SENT | END_FIN)) != (END_BASE | END_SENT) ||
        (p->flags & END_FIN) ||
        (e->ack_step_code != 0 && e->ack_step_sig == step_fingerprint(s)))
        return false;

    memset(r, 0, sizeof *r);
    r->valid = 1;
    r->role_s2c = si == 1;
    r->role_guessed = (c->conn_flags & CONN_GUESSED) != 0;
    r->has_payload = s->len > 0;
    if (!s->len_known)
        r->anomalies = LC_ANOM_NO_LENGTH;
    r->phase = LC_PHASE_DATA;
    r->state_client = LC_ESTABLISHED;
    r->state_server = LC_ESTABLISHED;
    r->seq_delta = (int32_t)(s->seq - e->last_seq);
    r->has_seq_delta = 1;
    if (f & LC_ACK) {
        r->is_ack = 1;
        if (!(p->flags & END_BASE)) {
            p->base = s->ack - 1;
            p->flags |= END_BASE;
        }
        ack_numbers(s, e, p, r);
        e->last_ack = s->ack;
        e->flags |= END_LAST_ACK;
    }
    const uint32_t end_seq = s->seq + s->len;
    if (seq_gt(end_seq, e->next)) {
        r->advances = s->len > 0;
        e->next = end_seq;
    }
    if (s->len > 0)
        ring_push(e, s->frame, end_seq);
    e->last_seq = s->seq;
    const uint8_t bit = si == 0 ? X_WIN_C : X_WIN_S;
    c->win[si] = s->win_scaled;
    c->x_flags = (uint8_t)(s->win_known ? c->x_flags | bit : c->x_flags & ~bit);
    /* note_section8 with no state change and no step: only the frame's own
     * first-segment times and the latest segment. */
    if (c->synack_frame == s->frame)
        c->synack_time_ns = s->time_ns;
    for (int i = 0; i < 2; i++)
        if (c->end[i].isn_frame == s->frame)
            c->isn_first[i] = c->end[i].isn;
    c->last_frame = s->frame;
    c->last_time_ns = s->time_ns;
    return true;
}

void lc_conn_observe(lc_conn *c, const lc_segment *s, lc_result *r)
{
    if (!observe_predicted(c, s, r))
        lc_conn_observe_full(c, s, r);
}

void lc_conn_observe_full(lc_conn *c, const lc_segment *s, lc_result *r)
{
    memset(r, 0, sizeof *r);
    const uint8_t st_before[2] = { c->end[0].state, c->end[1].state };
    uint16_t f = s->flags;
    bool first = !(c->conn_flags & CONN_STARTED);

    if (first) {
        decide_roles(c, s);
        if (!(f & (LC_SYN | LC_RST))) {
            /* Mid-stream: the handshake happened before the capture began. */
            c->end[0].state = LC_ESTABLISHED;
            c->end[1].state = LC_ESTABLISHED;
        }
        if (!(f & LC_SYN) || (f & LC_RST))
            r->anomalies |= LC_ANOM_MIDSTREAM;
        else if ((f & LC_ACK) && !(f & LC_RST))
            c->end[0].state = LC_SYN_SENT; /* SYN-ACK first: the SYN was sent */
    }

    int si = role_index(c, s);
    lc_end *e = &c->end[si];
    lc_end *p = &c->end[si ^ 1];

    r->valid = 1;
    r->role_s2c = si == 1;
    r->role_guessed = (c->conn_flags & CONN_GUESSED) != 0;
    r->is_ack = (f & LC_ACK) != 0;
    r->is_syn = (f & LC_SYN) != 0;
    r->is_fin = (f & LC_FIN) != 0;
    r->is_rst = (f & LC_RST) != 0;
    r->has_payload = s->len > 0;
    if (!s->len_known)
        r->anomalies |= LC_ANOM_NO_LENGTH;

    {
        int n = ((f & LC_SYN) != 0) + ((f & LC_FIN) != 0) + ((f & LC_RST) != 0);
        if (n > 1)
            r->anomalies |= LC_ANOM_BAD_FLAGS;
    }

    /* Relative-number bases (as Wireshark sets them; never changed later).
     * An old-connection ACK (spec 8.1) carries another connection's numbers:
     * it sets no base (the server's is its ISN, from the SYN-ACK to come) and
     * lc_view_of shows no seq.rel for it. */
    const bool old_ack = is_old_connection_ack(c, s, si);
    if (!(e->flags & END_BASE) && !old_ack) {
        e->base = (f & LC_SYN) ? s->seq : s->seq - 1;
        e->flags |= END_BASE;
    }
    if ((f & LC_ACK) && !(p->flags & END_BASE)) {
        p->base = s->ack - 1;
        p->flags |= END_BASE;
    }

    /* Numbers that depend only on what came before this segment. */
    if (e->flags & END_SENT) {
        r->seq_delta = (int32_t)(s->seq - e->last_seq);
        r->has_seq_delta = 1;
    }
    if (f & LC_ACK)
        ack_numbers(s, e, p, r);

    uint32_t old_next = e->next;
    bool had_sent = (e->flags & END_SENT) != 0;

    bool other_conn = false; /* spec 8.1: numbers of an older connection */
    if (old_ack) {
        /* The SYN was not accepted: as if it had not been delivered. */
        r->phase = LC_PHASE_HANDSHAKE;
        r->anomalies |= LC_ANOM_OLD_CONNECTION;
        p->state = LC_SYN_SENT;
        e->state = LC_LISTEN;
        c->old_ack = s->ack;
        c->x_flags |= X_OLD_PENDING;
        other_conn = true;
    } else if (is_old_connection_rst(c, s, si)) {
        r->phase = LC_PHASE_HANDSHAKE;
        r->clears_old = 1;
        other_conn = true;
    } else if (f & LC_RST)
        handle_rst(c, s, e, p, r);
    else if ((f & LC_SYN) && !(f & LC_ACK))
        handle_bare_syn(c, s, si, e, p, r);
    else if (f & LC_SYN)
        handle_synack(c, s, si, e, p, r);
    else
        handle_other(c, s, si, e, p, r);

    if (other_conn)
        goto snapshot; /* another connection's sequence space: not this one's */

    /* The sender's sequence space. */
    uint32_t used = s->len + ((f & LC_SYN) ? 1u : 0u) + ((f & LC_FIN) && !(f & LC_SYN) ? 1u : 0u);
    uint32_t end_seq = s->seq + used;
    if (!had_sent || (seq_gt(end_seq, old_next) && !(f & LC_RST))) {
        r->advances = s->len > 0;
        e->next = end_seq;
    }
    /* Copies count too: ack.frame names the newest segment the ack covers. */
    if (used > 0 && !(f & LC_RST))
        ring_push(e, s->frame, end_seq);
    e->last_seq = s->seq;
    e->flags |= END_SENT;
    if (f & LC_ACK) {
        e->last_ack = s->ack;
        e->flags |= END_LAST_ACK;
    }
    /* Spec 8.3: the sender's advertised window (a RST's means nothing). */
    if (!(f & LC_RST)) {
        uint8_t bit = si == 0 ? X_WIN_C : X_WIN_S;
        c->win[si] = s->win_scaled;
        if (s->win_known)
            c->x_flags |= bit;
        else
            c->x_flags &= (uint8_t)~bit;
    }

snapshot:
    r->state_client = c->end[0].state & 0xF;
    r->state_server = c->end[1].state & 0xF;
    note_section8(c, s, r, first, st_before);
}

static const char *const state_names[LC_STATE_COUNT] = {
    "CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1",
    "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT"
};

const char *lc_state_name(unsigned state)
{
    return state < LC_STATE_COUNT ? state_names[state] : "?";
}

const char *lc_phase_name(unsigned phase)
{
    static const char *const names[] = { "unknown", "handshake", "data", "teardown", "reset",
                                         "closed" };
    return phase < sizeof names / sizeof names[0] ? names[phase] : "?";
}

static const char *step_name(const lc_result *r)
{
    static const char *const hs_normal[] = { NULL, "SYN 1/3", "SYN-ACK 2/3", "ACK 3/3" };
    static const char *const hs_sim[] = { NULL, "SYN 1/4", "SYN 2/4", "SYN-ACK 3/4",
                                          "SYN-ACK 4/4" };
    static const char *const td_normal[] = { NULL, "FIN 1/4", "ACK 2/4", "FIN 3/4", "ACK 4/4" };
    static const char *const td_sim[] = { NULL, "FIN 1/4", "FIN 2/4", "ACK 3/4", "ACK 4/4" };
    unsigned st = r->step;

    if (r->phase == LC_PHASE_HANDSHAKE) {
        if (r->steps_kind == LC_KIND_SIM)
            return st <= 4 ? hs_sim[st] : NULL;
        return st <= 3 ? hs_normal[st] : NULL;
    }
    if (r->phase == LC_PHASE_TEARDOWN && st <= 4) {
        if (r->steps_kind == LC_KIND_SIM)
            return td_sim[st];
        if (st == 3 && r->merged)
            return "ACK+FIN 2/4+3/4";
        return td_normal[st];
    }
    return NULL;
}

/* buf <- text + suffix, cut to size - 1 characters; the length of both. */
static size_t join_label(char *buf, size_t size, const char *text, const char *suffix)
{
    size_t lt = strlen(text), ls = strlen(suffix), n = lt + ls;
    if (size > 0) {
        size_t k = lt < size - 1 ? lt : size - 1;
        memcpy(buf, text, k);
        size_t k2 = ls < size - 1 - k ? ls : size - 1 - k;
        memcpy(buf + k, suffix, k2);
        buf[k + k2] = '\0';
    }
    return n;
}

/* A segment without SYN or FIN that names no step: by what it carries. */
static const char *plain_text(const lc_result *r)
{
    return r->has_payload ? "DATA" : r->is_ack ? "ACK" : "segment";
}

size_t lc_result_label(const lc_result *r, char *buf, size_t size)
{
    /* Most segments: data or an ACK in the data phase, no step, no flag
     * that names itself - the general rules below give the same. */
    if (r->phase == LC_PHASE_DATA && !r->is_syn && !r->is_fin && !r->is_rst && !r->retransmission &&
        !r->clears_old && !(r->anomalies & LC_ANOM_OLD_CONNECTION))
        return join_label(buf, size, plain_text(r), "");

    const char *text = step_name(r);
    const char *suffix = r->retransmission ? " (retransmission)" : "";

    /* Spec 8.1 and 8.3 labels. */
    if (!text && r->is_rst && r->rst_check == LC_RST_CHECK_IN_WINDOW)
        text = "RST (in window, not exact)";
    else if (!text && r->is_rst && r->rst_check == LC_RST_CHECK_OUT_OF_WINDOW)
        text = "RST (out of window)";
    else if (!text && r->clears_old)
        text = "RST (clears old connection)";
    else if (!text && (r->anomalies & LC_ANOM_OLD_CONNECTION))
        text = "ACK (old connection)";
    if (!text) {
        switch (r->phase) {
        case LC_PHASE_RESET:
            text = (r->anomalies & LC_ANOM_REFUSED) ? "RST refused" : "RST abort";
            break;
        case LC_PHASE_CLOSED:
            text = r->is_rst ? "RST after close" : "after close";
            break;
        default:
            if (r->is_syn)
                text = r->is_ack ? "SYN-ACK" : "SYN";
            else if (r->is_fin)
                text = r->has_payload ? "DATA+FIN" : "FIN";
            else
                text = plain_text(r);
            break;
        }
    }
    return join_label(buf, size, text, suffix);
}

/* ---- spec section 8 (reading.h) ------------------------------------------ */

const char *lc_rst_check_name(unsigned check)
{
    static const char *const names[] = { "unknown", "exact", "in window", "out of window" };
    return check < 4 ? names[check] : "?";
}

uint32_t lc_result_anomalies(const lc_result *r)
{
    uint32_t a = r->anomalies;
    if (r->is_rst && r->rst_check == LC_RST_CHECK_IN_WINDOW)
        a |= LC_ANOM_RST_NOT_EXACT;
    if (r->is_rst && r->rst_check == LC_RST_CHECK_OUT_OF_WINDOW)
        a |= LC_ANOM_RST_OUT_OF_WINDOW;
    return a;
}

void lc_tuple_prev_from_conn(lc_tuple_prev *p, const lc_conn *c, uint32_t stream)
{
    memset(p, 0, sizeof *p);
    if (!(c->conn_flags & CONN_STARTED))
        return;
    p->flags = LC_PREV_VALID;
    p->stream = stream;
    p->last_time_ns = c->last_time_ns;
    for (int i = 0; i < 2; i++) {
        const lc_end *e = &c->end[i];
        if (e->flags & END_SENT) {
            p->next_seq[i] = e->next;
            p->flags |= i == 0 ? LC_PREV_SEQ_C : LC_PREV_SEQ_S;
        }
        if (e->state == LC_TIME_WAIT &&
            (!(p->flags & LC_PREV_TIME_WAIT) || tdiff(c->since_ns[i], p->time_wait_ns) > 0)) {
            p->time_wait_ns = c->since_ns[i];
            p->flags |= LC_PREV_TIME_WAIT;
        }
    }
}

/* The window in which frame F belongs to the first teardown (8.4). */
static bool in_first_teardown(const lc_conn *c, uint32_t frame)
{
    return c->fin1_frame && c->fin1_frame < frame && (!c->restart_frame || frame < c->restart_frame);
}

bool lc_conn_halfclose(const lc_conn *c, const lc_result *r, uint32_t frame, int64_t time_ns,
                       int64_t *ns)
{
    bool second_fin = r->phase == LC_PHASE_TEARDOWN && r->is_fin && !r->retransmission &&
                      ((r->steps_kind == LC_KIND_NORMAL && r->step == 3) ||
                       (r->steps_kind == LC_KIND_SIM && r->step == 2));
    if (!second_fin || !in_first_teardown(c, frame))
        return false;
    *ns = tdiff(time_ns, c->fin1_time_ns);
    return true;
}

bool lc_conn_teardown_time(const lc_conn *c, const lc_result *r, uint32_t frame, int64_t time_ns,
                           int64_t *ns)
{
    if (r->phase != LC_PHASE_TEARDOWN || r->step != 4 || r->retransmission ||
        !in_first_teardown(c, frame))
        return false;
    *ns = tdiff(time_ns, c->fin1_time_ns);
    return true;
}

bool lc_conn_left_open(const lc_conn *c, lc_left_open *out)
{
    memset(out, 0, sizeof *out);
    if (!(c->conn_flags & CONN_STARTED))
        return false;
    for (int i = 0; i < 2; i++) {
        out->state[i] = c->end[i].state;
        out->since_ns[i] = c->since_ns[i];
        out->since_frame[i] = c->since_frame[i];
    }
    out->last_frame = c->last_frame;
    out->last_time_ns = c->last_time_ns;
    out->open = !(is_closed_state(c->end[0].state) && is_closed_state(c->end[1].state));
    return out->open;
}

const char *lc_vantage_name(unsigned vantage)
{
    static const char *const names[] = { "unknown", "near the client", "near the server",
                                         "in between" };
    return vantage < 4 ? names[vantage] : "?";
}

bool lc_conn_vantage_at(const lc_conn *c, uint32_t frame, unsigned *vantage)
{
    if (!c->hs_done_frame || frame < c->hs_done_frame)
        return false;
    *vantage = c->vantage;
    return true;
}

bool lc_conn_handshake_split(const lc_conn *c, uint32_t frame, int64_t *a_ns, int64_t *b_ns)
{
    if (!c->hs_done_frame || frame < c->hs_done_frame || !(c->x_flags & X_HS_WHOLE))
        return false;
    *a_ns = tdiff(c->synack_time_ns, c->syn_time_ns);
    *b_ns = tdiff(c->hs_done_time_ns, c->synack_time_ns);
    return true;
}
