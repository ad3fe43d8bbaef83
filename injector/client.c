/* client.c - the client state machine (see client.h). */
#define _GNU_SOURCE
#include "client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEQ_LT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b)  SEQ_LT(b, a)
#define SEQ_GEQ(a, b) SEQ_LEQ(b, a)

#define NS_PER_MS     1000000LL
#define RTO_INITIAL   (1000 * NS_PER_MS)   /* RFC 6298 */
#define RTO_MIN       (200 * NS_PER_MS)    /* as Linux */
#define RTO_MAX       (60000 * NS_PER_MS)
#define PERSIST_MAX   (5000 * NS_PER_MS)
#define OUR_WSCALE    7
#define OUR_WINDOW    (1u << 20)           /* we consume everything at once */
#define REPLY_MAX     (256u << 20)

#define OOO_MAX       64

enum cstate { CS_SYN_SENT, CS_ESTAB, CS_LINGER, CS_DONE };

typedef struct ooo_seg {
    uint32_t seq, len;
    uint8_t *data;
} ooo_seg;

typedef struct tcb {
    const client_params *p;
    netdev  *nd;
    output  *o;
    out_conn *oc;
    client_result *res;

    enum cstate state;
    int      rc;
    uint16_t ip_id;

    /* send side */
    uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2;
    uint32_t data_end;
    uint32_t eff_mss;
    uint32_t cwnd, ssthresh;   /* RFC 5681 congestion control, bytes */
    uint32_t recover;          /* RFC 6582: snd_max when the loss was found */
    bool     in_recovery;
    uint8_t  snd_scale;
    bool     ws_ok, ts_ok;
    uint32_t ts_recent, ts_base;
    bool     fin_sent, fin_acked;
    uint32_t fin_seq;

    /* receive side */
    uint32_t irs, rcv_nxt;
    bool     sack_ok;          /* the server accepts SACK blocks */
    ooo_seg  ooo[OOO_MAX];     /* reply data beyond a hole, kept until the hole fills */
    int      ooo_n;
    uint32_t ooo_latest;       /* seq of the out-of-order segment that came last */
    bool     peer_fin, need_ack;
    size_t   reply_cap;

    /* timers (CLOCK_MONOTONIC ns; 0 = off) */
    int64_t  rto, rto_base, rtx_at, persist_at, persist_backoff, linger_until;
    int      dupacks;
    int      rtx_count;
    int64_t  syn_sent_at, last_progress, last_reply_at;
    int64_t  started_at;       /* just before the first SYN (for --stats) */
    int      syns_sent;
    char     soft_err[160];
} tcb;

static void finish(tcb *t, int rc)
{
    if (t->state != CS_DONE) {
        t->state = CS_DONE;
        t->rc = rc;
    }
}

static uint32_t opts_len_est(const tcb *t)
{
    tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_ts = t->ts_ok;
    o.has_marker = t->p->marker;
    return (uint32_t)pkt_tcp_opts_len(&o);
}

/* SACK blocks for the data held beyond a hole (RFC 2018 4): the block with the
 * latest segment first, then the others, as many as the option space allows. */
static void add_sack_blocks(const tcb *t, tcp_opts *o, bool marker, uint32_t len)
{
    if (!t->sack_ok || t->ooo_n == 0)
        return;
    unsigned base = (t->ts_ok ? 12 : 0) + (marker ? 8 : 0);   /* = opts_len_est() */
    unsigned room = 40 - base;
    /* a data segment was sized for eff_mss with the base options: the blocks
     * must fit in what the payload leaves free, or the packet outgrows the MTU */
    if (len > 0) {
        uint32_t spare = t->eff_mss > len ? t->eff_mss - len : 0;
        if (spare < room)
            room = (unsigned)spare;
    }
    unsigned max = room >= 2 ? (room - 2) / 8 : 0;
    if (max > 4)
        max = 4;
    uint32_t blk[OOO_MAX][2];
    unsigned nb = 0;
    for (int i = 0; i < t->ooo_n; i++) {   /* ooo[] is sorted and disjoint: merge touching ranges */
        uint32_t l = t->ooo[i].seq, r = l + t->ooo[i].len;
        if (nb && blk[nb - 1][1] == l)
            blk[nb - 1][1] = r;
        else {
            blk[nb][0] = l;
            blk[nb][1] = r;
            nb++;
        }
    }
    unsigned first = 0;
    for (unsigned i = 0; i < nb; i++)
        if (SEQ_LEQ(blk[i][0], t->ooo_latest) && SEQ_LT(t->ooo_latest, blk[i][1]))
            first = i;
    o->sack_n = 0;
    for (unsigned k = 0; k < nb && o->sack_n < max; k++) {
        unsigned i = (first + nb - k) % nb;   /* the latest first, then older blocks */
        o->sack[o->sack_n][0] = blk[i][0];
        o->sack[o->sack_n][1] = blk[i][1];
        o->sack_n++;
    }
}

static bool send_seg(tcb *t, uint16_t flags, uint32_t seq, const uint8_t *payload, uint32_t len)
{
    const client_params *p = t->p;
    seg_spec s;
    memset(&s, 0, sizeof s);
    s.flags = flags;
    s.seq = seq;
    s.ack = t->rcv_nxt;
    s.payload = payload;
    s.len = len;
    bool syn = flags & LC_SYN;
    if (syn) {
        unsigned iph = p->dst.family == AF_INET6 ? 40 : 20;
        unsigned mss = t->nd->mtu > iph + 20 ? t->nd->mtu - iph - 20 : 536;
        s.win = 65535;   /* never scaled in a SYN */
        s.opts.has_mss = true;
        s.opts.mss = (uint16_t)(mss > 65495 ? 65495 : mss);
        s.opts.has_wscale = true;
        s.opts.wscale = OUR_WSCALE;
        s.opts.sack_ok = true;
        s.opts.has_ts = p->timestamps;
    } else {
        s.win = (uint16_t)(t->ws_ok ? OUR_WINDOW >> OUR_WSCALE : 65535);
        s.opts.has_ts = t->ts_ok;
        if ((flags & LC_ACK) && !(flags & LC_RST))
            add_sack_blocks(t, &s.opts, p->marker, len);
    }
    if (s.opts.has_ts) {
        s.opts.tsval = (uint32_t)(inj_now_mono_ns() / NS_PER_MS) + t->ts_base;
        s.opts.tsecr = syn ? 0 : t->ts_recent;
    }
    s.opts.has_marker = p->marker;
    s.opts.run_id = p->run_id;

    uint8_t *buf = malloc(INJ_PKT_MAX);
    if (!buf) {
        inj_error("out of memory");
        finish(t, INJ_EXIT_FAIL);
        return false;
    }
    size_t n = pkt_build(buf, INJ_PKT_MAX, &p->src, &p->dst, p->sport, p->dport, &s, t->ip_id++);
    int64_t sent_at = inj_now_wall_ns();
    bool ok = n > 0 && netdev_send_ip(t->nd, buf, n, &p->dst);
    if (ok) {
        pkt_tcp parsed;
        pkt_icmp icmp;
        pkt_neigh neigh;
        lc_result r;
        uint16_t et = p->dst.family == AF_INET6 ? 0x86dd : 0x0800;
        if (pkt_parse(buf, n, et, NULL, &parsed, &icmp, &neigh) == PKT_TCP)
            output_segment(t->o, t->oc, true, buf, n, &parsed, sent_at, &r);
        if (flags & LC_ACK)
            t->need_ack = false;
    } else {
        if (n == 0)
            inj_error("segment does not fit in one packet");
        finish(t, INJ_EXIT_FAIL);
    }
    free(buf);
    return ok;
}

static void arm_rtx(tcb *t, int64_t now)
{
    if (!t->rtx_at)
        t->rtx_at = now + t->rto;
}

static void send_syn(tcb *t)
{
    t->syns_sent++;
    send_seg(t, LC_SYN, t->iss, NULL, 0);
}

/* Sends as much of the request as the window allows. */
static void send_data(tcb *t, int64_t now)
{
    const client_params *p = t->p;
    while (t->state == CS_ESTAB && SEQ_LT(t->snd_nxt, t->data_end)) {
        uint32_t in_flight = t->snd_nxt - t->snd_una;
        uint32_t wnd = t->snd_wnd < t->cwnd ? t->snd_wnd : t->cwnd;
        if (in_flight >= wnd)
            break;
        uint32_t n = t->data_end - t->snd_nxt;
        if (n > t->eff_mss)
            n = t->eff_mss;
        if (n > wnd - in_flight) {
            if (wnd - in_flight < t->eff_mss && t->snd_wnd >= t->cwnd && in_flight > 0)
                break;   /* do not send a runt just because cwnd is not a multiple of the MSS */
            n = wnd - in_flight;
        }
        uint16_t flags = LC_ACK | (t->snd_nxt + n == t->data_end ? LC_PSH : 0);
        if (!send_seg(t, flags, t->snd_nxt, p->data + (t->snd_nxt - t->iss - 1), n))
            return;
        t->snd_nxt += n;
        if (SEQ_GT(t->snd_nxt, t->snd_max))
            t->snd_max = t->snd_nxt;
        arm_rtx(t, now);
    }
    /* zero window with nothing in flight: probe it later (RFC 9293 3.8.6.1) */
    if (t->snd_wnd == 0 && t->snd_una == t->snd_nxt && SEQ_LT(t->snd_nxt, t->data_end) && !t->persist_at)
        t->persist_at = now + t->rto;
}

static void send_fin(tcb *t, int64_t now)
{
    t->fin_seq = t->snd_nxt;
    if (!send_seg(t, LC_FIN | LC_ACK, t->snd_nxt, NULL, 0))
        return;
    t->fin_sent = true;
    t->snd_nxt++;
    t->snd_max = t->snd_nxt;
    t->last_progress = now;
    arm_rtx(t, now);
}

static const char *waiting_for(const tcb *t)
{
    if (t->state == CS_SYN_SENT)
        return "the SYN-ACK (handshake step 2/3)";
    if (SEQ_LT(t->snd_una, t->data_end))
        return t->snd_wnd == 0 ? "the server's window to open (zero window)"
                               : "the server's ACK of the request";
    if (!t->fin_sent) {
        if (t->p->close == CLOSE_WAIT && t->res->reply_len > 0)
            return "the server's FIN (--close wait, teardown step 1/4)";
        return "the server's reply";
    }
    if (!t->fin_acked)
        return t->peer_fin ? "the ACK of our FIN (teardown step 4/4)" : "the ACK of our FIN (teardown step 2/4)";
    return "the server's FIN (teardown step 3/4)";
}

static void timeout(tcb *t, const char *why)
{
    char extra[200] = "";
    if (t->soft_err[0])
        snprintf(extra, sizeof extra, " (last ICMP: %s)", t->soft_err);
    inj_error("timed out waiting for %s: %s%s", waiting_for(t), why, extra);
    finish(t, INJ_EXIT_TIMEOUT);
}

/* Sends again the oldest unacknowledged thing: SYN, request bytes or FIN. */
static void resend_first(tcb *t)
{
    if (t->state == CS_SYN_SENT) {
        send_syn(t);   /* same ISN, same options */
    } else if (SEQ_LT(t->snd_una, t->data_end)) {
        uint32_t n = t->data_end - t->snd_una;
        uint32_t wnd = t->snd_wnd ? t->snd_wnd : 1;
        if (n > t->eff_mss)
            n = t->eff_mss;
        if (n > wnd)
            n = wnd;
        uint16_t flags = LC_ACK | (t->snd_una + n == t->data_end ? LC_PSH : 0);
        send_seg(t, flags, t->snd_una, t->p->data + (t->snd_una - t->iss - 1), n);
        if (SEQ_LT(t->snd_nxt, t->snd_una + n))
            t->snd_nxt = t->snd_una + n;
    } else if (t->fin_sent && !t->fin_acked) {
        send_seg(t, LC_FIN | LC_ACK, t->fin_seq, NULL, 0);
    } else {
        t->rtx_at = 0;
    }
}

static void retransmit(tcb *t, int64_t now)
{
    if (t->rtx_count >= t->p->retries) {
        char why[96];
        if (t->state == CS_SYN_SENT)
            snprintf(why, sizeof why, "%d SYNs sent, no answer", t->syns_sent);
        else
            snprintf(why, sizeof why, "no answer after %d retransmissions", t->rtx_count);
        timeout(t, why);
        return;
    }
    t->rtx_count++;
    t->rto = t->rto * 2 > RTO_MAX ? RTO_MAX : t->rto * 2;
    if (t->state == CS_ESTAB) {   /* RFC 5681 3.1: after a timeout, one segment */
        uint32_t flight = t->snd_max - t->snd_una;
        t->ssthresh = flight / 2 > 2 * t->eff_mss ? flight / 2 : 2 * t->eff_mss;
        t->cwnd = t->eff_mss;
        t->recover = t->snd_max;
        t->in_recovery = true;
    }
    t->rtx_at = now + t->rto;
    resend_first(t);
}

static void append_reply(tcb *t, const uint8_t *d, uint32_t n)
{
    client_result *res = t->res;
    if (res->reply_len + n > REPLY_MAX)
        n = (uint32_t)(REPLY_MAX - res->reply_len);   /* keep counting would lie; stop storing */
    if (res->reply_len + n > t->reply_cap) {
        size_t cap = t->reply_cap ? t->reply_cap : 4096;
        while (cap < res->reply_len + n)
            cap *= 2;
        uint8_t *nb = realloc(res->reply, cap);
        if (!nb)
            return;
        res->reply = nb;
        t->reply_cap = cap;
    }
    memcpy(res->reply + res->reply_len, d, n);
    res->reply_len += n;
}

/* Keeps a copy of data beyond a hole; each byte is kept once. */
static void ooo_store(tcb *t, uint32_t seq, const uint8_t *d, uint32_t len)
{
    if (SEQ_GEQ(seq, t->rcv_nxt + OUR_WINDOW))
        return;
    t->ooo_latest = seq;
    /* trim what is already held; store the remaining pieces one by one */
    for (int i = 0; i < t->ooo_n && len > 0; i++) {
        ooo_seg *o = &t->ooo[i];
        uint32_t oe = o->seq + o->len;
        if (SEQ_LEQ(seq + len, o->seq))
            break;                         /* entirely before this one: insert below */
        if (SEQ_GEQ(seq, oe))
            continue;                      /* entirely after it */
        if (SEQ_LT(seq, o->seq)) {         /* a piece before it, then skip the overlap */
            uint32_t piece = o->seq - seq;
            ooo_store(t, seq, d, piece);
            uint32_t skip = piece + o->len < len ? piece + o->len : len;
            ooo_store(t, seq + skip, d + skip, len - skip);
            return;
        }
        uint32_t skip = oe - seq < len ? oe - seq : len;   /* starts inside it */
        seq += skip;
        d += skip;
        len -= skip;
    }
    if (len == 0 || t->ooo_n == OOO_MAX)
        return;   /* full: the server will send it again */
    uint8_t *copy = malloc(len);
    if (!copy)
        return;
    memcpy(copy, d, len);
    int at = 0;
    while (at < t->ooo_n && SEQ_LT(t->ooo[at].seq, seq))
        at++;
    memmove(&t->ooo[at + 1], &t->ooo[at], (size_t)(t->ooo_n - at) * sizeof t->ooo[0]);
    t->ooo[at].seq = seq;
    t->ooo[at].len = len;
    t->ooo[at].data = copy;
    t->ooo_n++;
}

/* Moves held data that the advancing rcv_nxt has reached into the reply. */
static void ooo_drain(tcb *t)
{
    while (t->ooo_n > 0 && SEQ_LEQ(t->ooo[0].seq, t->rcv_nxt)) {
        ooo_seg *o = &t->ooo[0];
        if (SEQ_GT(o->seq + o->len, t->rcv_nxt)) {
            uint32_t skip = t->rcv_nxt - o->seq;
            append_reply(t, o->data + skip, o->len - skip);
            t->rcv_nxt += o->len - skip;
        }
        free(o->data);
        t->ooo_n--;
        memmove(&t->ooo[0], &t->ooo[1], (size_t)t->ooo_n * sizeof t->ooo[0]);
    }
}

static void on_synack(tcb *t, const pkt_tcp *s, int64_t now)
{
    const client_params *p = t->p;
    t->irs = s->seq;
    t->rcv_nxt = s->seq + 1;
    t->snd_una = s->ack;
    t->ws_ok = s->opts.has_wscale;
    t->snd_scale = t->ws_ok ? s->opts.wscale : 0;
    t->ts_ok = p->timestamps && s->opts.has_ts;
    t->sack_ok = s->opts.sack_ok;
    if (t->ts_ok)
        t->ts_recent = s->opts.tsval;
    t->snd_wnd = s->win;   /* a SYN-ACK's window is never scaled */
    t->snd_wl1 = s->seq;
    t->snd_wl2 = s->ack;
    unsigned iph = p->dst.family == AF_INET6 ? 40 : 20;
    uint32_t peer_mss = s->opts.has_mss ? s->opts.mss : (p->dst.family == AF_INET6 ? 1220 : 536);
    uint32_t own = t->nd->mtu > iph + 20 ? t->nd->mtu - iph - 20 : 536;
    uint32_t mss = peer_mss < own ? peer_mss : own;
    if (mss > 65535 - iph - 60)
        mss = 65535 - iph - 60;
    uint32_t ol = opts_len_est(t);
    t->eff_mss = mss > ol + 1 ? mss - ol : 1;
    t->cwnd = 10 * t->eff_mss;   /* RFC 6928 initial window */
    t->ssthresh = UINT32_MAX;
    if (t->rtx_count == 0) {   /* Karn: only unambiguous samples */
        int64_t r = now - t->syn_sent_at;
        int64_t rto = r + 4 * (r / 2);
        t->rto = rto < RTO_MIN ? RTO_MIN : rto;
    } else {
        t->rto = RTO_INITIAL;
    }
    t->rto_base = t->rto;
    t->rtx_at = 0;
    t->rtx_count = 0;
    t->last_progress = now;
    t->state = CS_ESTAB;
    if (p->verbose)
        inj_msg("note", "peer MSS %u, window scale %s%u, SACK %s, timestamps %s; sending %u-byte segments",
                peer_mss, t->ws_ok ? "" : "off/", t->snd_scale, s->opts.sack_ok ? "permitted" : "off",
                t->ts_ok ? "on" : "off", t->eff_mss);
    send_seg(t, LC_ACK, t->snd_una, NULL, 0);   /* ACK 3/3 */
    t->snd_nxt = t->snd_una;
    t->snd_max = t->snd_nxt;
}

static void on_segment(tcb *t, const uint8_t *ip, size_t iplen, const pkt_tcp *s, int64_t ts)
{
    lc_result r;
    output_segment(t->o, t->oc, false, ip, iplen, s, ts, &r);
    int64_t now = inj_now_mono_ns();
    uint16_t f = s->flags;

    if (t->state == CS_DONE)
        return;
    if (t->state == CS_SYN_SENT) {
        if (f & LC_RST) {
            if ((f & LC_ACK) && s->ack == t->iss + 1) {
                char a[INET6_ADDRSTRLEN];
                inj_error("connection refused: %s:%u answered the SYN with RST",
                          inj_addr_str(&t->p->dst, a, sizeof a), t->p->dport);
                finish(t, INJ_EXIT_REFUSED);
            }
            return;   /* not for our SYN: RFC 9293 3.10.7.3 */
        }
        if ((f & (LC_SYN | LC_ACK)) == (LC_SYN | LC_ACK)) {
            if (s->ack != t->iss + 1) {
                t->rcv_nxt = 0;
                send_seg(t, LC_RST, s->ack, NULL, 0);
                inj_error("protocol error: the SYN-ACK acknowledges %u, expected ISN+1 = %u",
                          s->ack, t->iss + 1);
                finish(t, INJ_EXIT_PROTO);
                return;
            }
            on_synack(t, s, now);
        }
        return;   /* a bare SYN (simultaneous open) is not something a server does */
    }

    if (t->ts_ok && s->opts.has_ts && SEQ_LEQ(s->seq, t->rcv_nxt) && SEQ_GEQ(s->opts.tsval, t->ts_recent))
        t->ts_recent = s->opts.tsval;

    if (f & LC_RST) {
        if (t->state == CS_LINGER)
            return;
        /* RFC 5961: only a RST at exactly rcv_nxt resets; one elsewhere in the window gets a challenge ACK */
        if (s->seq == t->rcv_nxt) {
            inj_error("protocol error: connection reset by the server while waiting for %s", waiting_for(t));
            finish(t, INJ_EXIT_PROTO);
        } else if (SEQ_GT(s->seq, t->rcv_nxt) && SEQ_LT(s->seq, t->rcv_nxt + OUR_WINDOW)) {
            t->need_ack = true;
        }
        return;
    }
    if (f & LC_SYN) {
        t->need_ack = true;   /* a retransmitted SYN-ACK: our ACK 3/3 was lost */
        return;
    }
    if (!(f & LC_ACK))
        return;
    if (SEQ_GT(s->ack, t->snd_max)) {
        send_seg(t, LC_ACK, t->snd_nxt, NULL, 0);
        inj_error("protocol error: the server acknowledges %u bytes we never sent", s->ack - t->snd_max);
        finish(t, INJ_EXIT_PROTO);
        return;
    }
    if (SEQ_GT(s->ack, t->snd_una)) {
        uint32_t acked = s->ack - t->snd_una;
        if (t->cwnd < t->ssthresh)   /* slow start */
            t->cwnd += acked < t->eff_mss ? acked : t->eff_mss;
        else                         /* congestion avoidance */
            t->cwnd += (uint32_t)((uint64_t)t->eff_mss * t->eff_mss / t->cwnd) + 1;
        t->snd_una = s->ack;
        if (SEQ_LT(t->snd_nxt, t->snd_una))
            t->snd_nxt = t->snd_una;
        bool partial = t->in_recovery && SEQ_LT(s->ack, t->recover);
        if (t->in_recovery && !partial)
            t->in_recovery = false;
        t->rtx_count = 0;
        t->rto = t->rto_base;   /* progress ends the backoff */
        t->dupacks = 0;
        t->rtx_at = t->snd_una == t->snd_max ? 0 : now + t->rto;
        t->last_progress = now;
        if (t->fin_sent && SEQ_GT(s->ack, t->fin_seq))
            t->fin_acked = true;
        if (SEQ_GEQ(t->snd_una, t->data_end))
            t->res->request_acked = true;
        if (partial)   /* NewReno: the next hole, at once */
            resend_first(t);
    } else if (s->ack == t->snd_una && SEQ_LT(t->snd_una, t->snd_max) && s->len == 0 && !(f & LC_FIN) &&
               ((uint32_t)s->win << t->snd_scale) == t->snd_wnd && ++t->dupacks == 3) {
        /* fast retransmit (RFC 5681): the third duplicate ACK says a segment was lost */
        uint32_t flight = t->snd_max - t->snd_una;
        t->ssthresh = flight / 2 > 2 * t->eff_mss ? flight / 2 : 2 * t->eff_mss;
        t->cwnd = t->ssthresh;
        t->recover = t->snd_max;
        t->in_recovery = true;
        resend_first(t);
    }
    if (SEQ_LT(t->snd_wl1, s->seq) || (t->snd_wl1 == s->seq && SEQ_LEQ(t->snd_wl2, s->ack))) {
        t->snd_wnd = (uint32_t)s->win << t->snd_scale;
        t->snd_wl1 = s->seq;
        t->snd_wl2 = s->ack;
        if (t->snd_wnd) {
            t->persist_at = 0;
            t->persist_backoff = 0;
        }
    }

    uint32_t len = s->len;
    if (len > 0 || (f & LC_FIN)) {
        if (SEQ_GT(s->seq, t->rcv_nxt)) {
            /* a hole before it: keep the data, send a duplicate ACK (with SACK) */
            if (len > 0)
                ooo_store(t, s->seq, s->payload, len);
            t->need_ack = true;
            return;
        }
        if (len > 0) {
            if (SEQ_GT(s->seq + len, t->rcv_nxt)) {
                uint32_t skip = t->rcv_nxt - s->seq;
                append_reply(t, s->payload + skip, len - skip);
                t->rcv_nxt += len - skip;
                ooo_drain(t);
                t->last_reply_at = now;
                t->last_progress = now;
            }
            t->need_ack = true;   /* new data, or a duplicate to re-acknowledge */
        }
        if (f & LC_FIN) {
            if (s->seq + len == t->rcv_nxt && !t->peer_fin) {
                t->peer_fin = true;
                t->rcv_nxt++;
                t->last_progress = now;
                if (!t->fin_sent)
                    t->res->server_closed_first = true;
            }
            t->need_ack = true;   /* also re-ACKs a retransmitted FIN */
        }
    }
}

static void on_icmp(tcb *t, const pkt_icmp *ic, int64_t now)
{
    static const char *unreach4[] = {
        "network unreachable", "host unreachable", "protocol unreachable", "port unreachable",
        "fragmentation needed", "source route failed", "network unknown", "host unknown",
        "source host isolated", "network prohibited", "host prohibited", "network unreachable for TOS",
        "host unreachable for TOS", "administratively prohibited"
    };
    static const char *unreach6[] = {
        "no route", "administratively prohibited", "beyond scope", "address unreachable", "port unreachable",
        "source address failed policy", "reject route"
    };
    char from[INET6_ADDRSTRLEN], what[96];
    bool hard = false;
    if (ic->family == AF_INET) {
        if (ic->type == 3) {
            snprintf(what, sizeof what, "destination unreachable (%s)",
                     ic->code < 14 ? unreach4[ic->code] : "unknown code");
            hard = ic->code == 2 || ic->code == 3 || ic->code == 9 || ic->code == 10 || ic->code == 13;
        } else if (ic->type == 11) {
            snprintf(what, sizeof what, "time exceeded");
        } else {
            snprintf(what, sizeof what, "ICMP type %u code %u", ic->type, ic->code);
        }
    } else {
        if (ic->type == 1) {
            snprintf(what, sizeof what, "destination unreachable (%s)", ic->code < 7 ? unreach6[ic->code] : "unknown code");
            hard = ic->code == 1 || ic->code == 4;
        } else if (ic->type == 2) {
            snprintf(what, sizeof what, "packet too big (MTU %u)", ic->mtu);
        } else if (ic->type == 3) {
            snprintf(what, sizeof what, "time exceeded");
        } else {
            snprintf(what, sizeof what, "parameter problem");
        }
    }
    inj_addr_str(&ic->from, from, sizeof from);
    snprintf(t->soft_err, sizeof t->soft_err, "%s from %s", what, from);
    output_note(t->o, "ICMP %s from %s", what, from);
    if (ic->mtu && ((ic->family == AF_INET && ic->type == 3) || (ic->family == AF_INET6 && ic->type == 2))) {
        unsigned iph = ic->family == AF_INET6 ? 40 : 20;
        if (ic->mtu > iph + 20 + opts_len_est(t) + 8) {
            uint32_t mss = ic->mtu - iph - 20 - opts_len_est(t);
            if (mss < t->eff_mss) {
                t->eff_mss = mss;
                t->rtx_at = now;   /* resend at once in smaller segments */
            }
        }
        return;
    }
    if (hard && t->state == CS_SYN_SENT) {
        inj_error("connection refused: ICMP %s from %s", what, from);
        finish(t, INJ_EXIT_REFUSED);
    } else if (t->p->verbose) {
        inj_msg("note", "ICMP %s from %s (soft error, going on)", what, from);
    }
}

static void on_frame(void *user, const netdev_frame *f)
{
    tcb *t = user;
    const client_params *p = t->p;
    pkt_tcp s;
    pkt_icmp ic;
    pkt_neigh nb;
    switch (pkt_parse(f->l3, f->len, f->ethertype, f->eth_src, &s, &ic, &nb)) {
    case PKT_TCP:
        if (inj_addr_eq(&s.src, &p->dst) && inj_addr_eq(&s.dst, &p->src) && s.sport == p->dport &&
            s.dport == p->sport) {
            /* the IP packet without link padding */
            size_t iplen = f->len;
            if (f->l3[0] >> 4 == 4 && f->len >= 4) {
                size_t tot = (size_t)f->l3[2] << 8 | f->l3[3];
                if (tot < iplen)
                    iplen = tot;
            } else if (f->len >= 6) {
                size_t tot = 40 + ((size_t)f->l3[4] << 8 | f->l3[5]);
                if (tot < iplen)
                    iplen = tot;
            }
            on_segment(t, f->l3, iplen, &s, f->time_ns);
        }
        break;
    case PKT_ICMP:
        if (inj_addr_eq(&ic.q_src, &p->src) && inj_addr_eq(&ic.q_dst, &p->dst) && ic.q_sport == p->sport &&
            ic.q_dport == p->dport && t->state != CS_DONE)
            on_icmp(t, &ic, inj_now_mono_ns());
        break;
    case PKT_NEIGH:
        /* masscan's way: we answer for the address the kernel does not own */
        if (p->unowned_src && t->nd->has_mac && t->nd->dlt == DLT_EN10MB && inj_addr_eq(&nb.target, &p->src)) {
            uint8_t frame[128];
            size_t n = pkt_build_neigh_reply(frame, sizeof frame, &nb, t->nd->mac);
            if (n && netdev_send_frame(t->nd, frame, n) && p->verbose) {
                char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
                inj_msg("note", "answered %s for %s (asked by %s)", nb.family == AF_INET ? "ARP" : "neighbour solicitation",
                        inj_addr_str(&nb.target, a, sizeof a), inj_addr_str(&nb.asker, b, sizeof b));
            }
        }
        break;
    default:
        break;
    }
}

static bool reply_done(const tcb *t, int64_t now)
{
    const client_params *p = t->p;
    bool request_done = SEQ_GEQ(t->snd_una, t->data_end);
    return t->peer_fin || p->data_len == 0 ||
           (t->res->reply_len > 0 && request_done && now - t->last_reply_at >= p->reply_idle_ns);
}

/* True when drive() will send our FIN in this very turn because we close
 * first (--close fin, the server's FIN not received) and the reply is
 * complete.  The ACK then owed for the reply rides on that FIN, as a real
 * stack's delayed ACK does (RFC 1122 4.2.3.2, RFC 9293 3.8.6.3): a separate
 * pure ACK would acknowledge exactly the same rcv_nxt one segment earlier.
 * Whenever we are not closing at once (more reply awaited, --reply-idle
 * still running, --close wait/rst, the server closed first, the request not
 * yet acknowledged, our FIN already out) the ACK goes out immediately. */
static bool fin_carries_ack(const tcb *t, int64_t now)
{
    return t->state == CS_ESTAB && t->p->close == CLOSE_FIN && !t->fin_sent && !t->peer_fin &&
           SEQ_GEQ(t->snd_una, t->data_end) && SEQ_GEQ(t->snd_nxt, t->data_end) && reply_done(t, now);
}

/* The state machine's decisions that do not depend on one received segment. */
static void drive(tcb *t, int64_t now)
{
    const client_params *p = t->p;
    if (t->state != CS_ESTAB)
        return;
    send_data(t, now);
    if (t->state != CS_ESTAB)
        return;
    bool request_done = SEQ_GEQ(t->snd_una, t->data_end);
    bool reply_done_now = reply_done(t, now);
    if (!t->fin_sent && request_done) {
        if (p->close == CLOSE_RST) {
            if (reply_done_now) {
                send_seg(t, LC_RST | LC_ACK, t->snd_nxt, NULL, 0);
                t->res->exchange_ns = inj_now_mono_ns() - t->started_at;
                finish(t, INJ_EXIT_OK);
            }
            return;
        }
        if ((p->close == CLOSE_FIN && reply_done_now) || t->peer_fin)
            send_fin(t, now);
    }
    if (t->fin_acked && t->peer_fin) {
        t->res->exchange_ns = inj_now_mono_ns() - t->started_at;   /* our last ACK or FIN is out */
        if (t->res->server_closed_first) {
            finish(t, INJ_EXIT_OK);   /* LAST_ACK -> CLOSED */
        } else {
            t->state = CS_LINGER;     /* TIME_WAIT: stay to re-ACK a lost final ACK */
            t->linger_until = now + p->linger_ns;
        }
    }
}

static void timers(tcb *t, int64_t now)
{
    if (t->state == CS_DONE)
        return;
    if (t->state == CS_LINGER) {
        if (now >= t->linger_until)
            finish(t, INJ_EXIT_OK);
        return;
    }
    if (t->persist_at && now >= t->persist_at) {
        t->persist_at = 0;
        if (t->snd_wnd == 0 && t->snd_una == t->snd_nxt && SEQ_LT(t->snd_nxt, t->data_end)) {
            /* zero-window probe as Linux sends it: an ACK one below snd_una,
             * which the server answers with its current window; no byte of
             * the request is put in flight beyond a closed window */
            send_seg(t, LC_ACK, t->snd_una - 1, NULL, 0);
            t->persist_backoff = t->persist_backoff ? t->persist_backoff * 2 : t->rto;
            if (t->persist_backoff > PERSIST_MAX)
                t->persist_backoff = PERSIST_MAX;
            t->persist_at = now + t->persist_backoff;
        }
    }
    if (t->rtx_at && now >= t->rtx_at)
        retransmit(t, now);
    if (t->state != CS_DONE && now - t->last_progress >= t->p->timeout_ns) {
        char why[64];
        snprintf(why, sizeof why, "nothing for %.1f s", (double)t->p->timeout_ns / 1e9);
        timeout(t, why);
    }
}

static int64_t next_deadline(const tcb *t, int64_t now)
{
    int64_t d = t->last_progress + t->p->timeout_ns;
    if (t->rtx_at && t->rtx_at < d)
        d = t->rtx_at;
    if (t->persist_at && t->persist_at < d)
        d = t->persist_at;
    if (t->state == CS_LINGER && t->linger_until < d)
        d = t->linger_until;
    if (t->state == CS_ESTAB && t->res->reply_len > 0 && !t->fin_sent) {
        int64_t r = t->last_reply_at + t->p->reply_idle_ns;
        if (r < d)
            d = r;
    }
    return d < now ? now : d;
}

/* Waits up to wait_ns for captured frames and handles them; returns how
 * many were handled (0 on timeout or EINTR), -1 on an error. The peer's
 * answer usually arrives within tens of microseconds, about what a
 * wake-up from poll() costs again; so the capture ring is first watched
 * for up to busy_poll_ns (a non-blocking dispatch per turn), and only then
 * does the process sleep in poll() for the rest of the wait. */
static int wait_frames(tcb *t, int64_t now, int64_t wait_ns)
{
    netdev *nd = t->nd;
    if (wait_ns > 0 && t->p->busy_poll_ns > 0) {
        int64_t spin_end = now + (t->p->busy_poll_ns < wait_ns ? t->p->busy_poll_ns : wait_ns);
        do {
            int n = netdev_dispatch(nd, on_frame, t);
            if (n != 0)
                return n;
            if (*t->p->stop)
                return 0;
            now = inj_now_mono_ns();
        } while (now < spin_end);
        wait_ns -= t->p->busy_poll_ns;
        if (wait_ns < 0)
            wait_ns = 0;
    }
    int ms = (int)((wait_ns + NS_PER_MS - 1) / NS_PER_MS);
    struct pollfd pfd = { .fd = nd->pcap_fd, .events = POLLIN };
    int pr = poll(&pfd, 1, ms);
    if (pr < 0 && errno != EINTR) {
        inj_error("poll: %s", strerror(errno));
        return -1;
    }
    return pr > 0 ? netdev_dispatch(nd, on_frame, t) : 0;
}

int client_run(const client_params *p, netdev *nd, output *o, out_conn *oc, client_result *res)
{
    tcb t;
    memset(&t, 0, sizeof t);
    memset(res, 0, sizeof *res);
    t.p = p;
    t.nd = nd;
    t.o = o;
    t.oc = oc;
    t.res = res;
    t.iss = p->isn;
    t.snd_una = t.iss;
    t.snd_nxt = t.iss + 1;
    t.snd_max = t.snd_nxt;
    t.data_end = t.iss + 1 + (uint32_t)p->data_len;
    t.rto = RTO_INITIAL;
    t.rto_base = RTO_INITIAL;
    inj_random(&t.ip_id, sizeof t.ip_id);
    inj_random(&t.ts_base, sizeof t.ts_base);
    t.state = CS_SYN_SENT;

    int64_t now = inj_now_mono_ns();
    t.started_at = now;
    t.syn_sent_at = now;
    t.last_progress = now;
    send_syn(&t);
    arm_rtx(&t, now);

    while (t.state != CS_DONE) {
        if (*p->stop) {
            if (t.state == CS_ESTAB)   /* do not leave the server with a half-open connection */
                send_seg(&t, LC_RST | LC_ACK, t.snd_nxt, NULL, 0);
            inj_error("interrupted while waiting for %s", waiting_for(&t));
            finish(&t, INJ_EXIT_INTERRUPTED);
            break;
        }
        now = inj_now_mono_ns();
        int64_t wait = next_deadline(&t, now) - now;
        int got = wait_frames(&t, now, wait);
        if (got < 0) {
            finish(&t, INJ_EXIT_FAIL);
            break;
        }
        if (t.state == CS_DONE)
            break;
        now = inj_now_mono_ns();
        if (t.need_ack && t.state != CS_SYN_SENT && !fin_carries_ack(&t, now))
            send_seg(&t, LC_ACK, t.snd_nxt, NULL, 0);
        drive(&t, now);   /* sends the FIN (with the ACK) when fin_carries_ack() said so */
        timers(&t, now);
    }
    for (int i = 0; i < t.ooo_n; i++)
        free(t.ooo[i].data);
    if (t.rc != INJ_EXIT_OK)
        res->exchange_ns = 0;
    return t.rc;
}
