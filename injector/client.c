/* client.c - the connection's control block and its event loop (see
 * client.h): the state machine, what is sent when, the timers' deadlines.
 * The received bytes are kept by reassembly.c, the RTO and the congestion
 * window computed by congestion.c, packets built and parsed by packet.c. */
#define _GNU_SOURCE
#include "client.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "congestion.h"
#include "reassembly.h"

#define OUR_WSCALE    7

enum cstate { CS_SYN_SENT, CS_ESTAB, CS_LINGER, CS_DONE };

typedef struct tcb {
    const client_params *p;
    netdev  *nd;
    output  *o;
    out_conn *oc;
    client_result *res;

    enum cstate state;
    int      rc;
    uint16_t ip_id;
    uint8_t *pkt;              /* INJ_PKT_MAX bytes: every segment sent is built here */

    /* send side */
    uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2;
    uint32_t data_end;
    uint32_t eff_mss;
    congestion cc;             /* RTO and congestion window */
    uint8_t  snd_scale;
    bool     ws_ok, ts_ok;
    uint32_t ts_recent;
    uint32_t max_snd_wnd;      /* RFC 5961 5.2: the largest window the server offered */
    bool     fin_sent, fin_acked;
    uint32_t fin_seq;

    /* receive side */
    uint32_t irs, rcv_nxt;
    bool     sack_ok;          /* the server accepts SACK blocks */
    reasm    rx;               /* the reply, and data beyond a hole */
    bool     peer_fin, need_ack;
    uint32_t rcv_wnd;          /* the window we offer: what the capture ring absorbs */
    size_t   reply_at_fin;     /* reply bytes when we sent our FIN before the server's */
    bool     closed_early;     /* we sent our FIN before the server's */

    /* timers (CLOCK_MONOTONIC ns; 0 = off) */
    int64_t  rtx_at, persist_at, linger_until;
    int      rtx_count;
    int64_t  syn_sent_at, last_progress, last_reply_at;
    int64_t  last_rx_at;       /* any segment from the server (the --reply-idle rule) */
    int64_t  started_at;       /* just before the first SYN (for --stats) */
    int      syns_sent;
    int      syns_dropped;     /* of those, dropped by a local firewall rule */
    int      old_rounds;       /* SYN-SENT: unacceptable ACKs answered so far */
    char     soft_err[160];
} tcb;

static void finish(tcb *t, int rc)
{
    if (t->state != CS_DONE) {
        t->state = CS_DONE;
        t->rc = rc;
    }
}

/* Bytes of options every segment after the SYN carries (timestamps, marker). */
static uint32_t opts_len_est(const tcb *t)
{
    tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_ts = t->ts_ok;
    o.has_marker = t->p->marker;
    return (uint32_t)pkt_tcp_opts_len(&o);
}

/* Our own MSS: what the interface's MTU carries (536 when it says nothing usable). */
static uint32_t own_mss(const tcb *t)
{
    uint32_t mss = pkt_mss_from_mtu(t->p->dst.family, t->nd->mtu);
    return mss ? mss : 536;
}

/* SACK blocks for the data held beyond a hole, in the option space left. */
static void add_sack_blocks(const tcb *t, tcp_opts *o, uint32_t len)
{
    if (!t->sack_ok || t->rx.ooo_n == 0)
        return;
    unsigned room = 40 - opts_len_est(t);
    /* a data segment was sized for eff_mss with the base options: the blocks
     * must fit in what the payload leaves free, or the packet outgrows the MTU */
    if (len > 0) {
        uint32_t spare = t->eff_mss > len ? t->eff_mss - len : 0;
        if (spare < room)
            room = (unsigned)spare;
    }
    reasm_sack_blocks(&t->rx, o, room);
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
        uint32_t mss = own_mss(t);
        s.win = 65535;   /* never scaled in a SYN */
        s.opts.has_mss = true;
        s.opts.mss = (uint16_t)(mss > 65495 ? 65495 : mss);
        s.opts.has_wscale = true;
        s.opts.wscale = OUR_WSCALE;
        s.opts.sack_ok = true;
        s.opts.has_ts = p->timestamps;
    } else if (flags & LC_RST) {
        s.win = 0;   /* as Linux: a RST's window means nothing */
    } else {
        uint32_t w = t->ws_ok ? t->rcv_wnd >> OUR_WSCALE : t->rcv_wnd;
        s.win = (uint16_t)(w > 65535 ? 65535 : w);
        s.opts.has_ts = t->ts_ok;
        if ((flags & LC_ACK) && !(flags & LC_RST))
            add_sack_blocks(t, &s.opts, len);
    }
    if (s.opts.has_ts) {
        s.opts.tsval = (uint32_t)(inj_now_mono_ns() / NS_PER_MS) + p->ts_offset;   /* RFC 7323 7.1 */
        s.opts.tsecr = syn ? 0 : t->ts_recent;
    }
    s.opts.has_marker = p->marker;
    s.opts.run_id = p->run_id;

    uint8_t *buf = t->pkt;
    size_t n = pkt_build(buf, INJ_PKT_MAX, &p->src, &p->dst, p->sport, p->dport, &s, t->ip_id++);
    int64_t sent_at = inj_now_wall_ns();
    const netdev_sent st = n > 0 ? netdev_send_ip(t->nd, buf, n, &p->dst) : NETDEV_FAILED;
    if (st == NETDEV_DROPPED) {
        /* Never on the wire: not printed (the capture will not have it
         * either), left to the retransmission timer like any loss. */
        t->res->local_drops++;
        if (syn)
            t->syns_dropped++;
        if (p->verbose)
            inj_msg("note", "a local firewall rule dropped our %s segment (relative seq %u, send: %s)",
                    syn ? "SYN" : (flags & LC_FIN) ? "FIN" : (flags & LC_RST) ? "RST" : len ? "data" : "ACK",
                    seq - t->iss, strerror(EPERM));
        return true;
    }
    const bool ok = st == NETDEV_SENT;
    if (ok) {
        pkt_tcp parsed;
        pkt_icmp icmp;
        pkt_neigh neigh;
        lc_result r;
        uint16_t et = p->dst.family == AF_INET6 ? 0x86dd : 0x0800;
        if (pkt_parse(buf, n, et, NULL, &parsed, &icmp, &neigh) == PKT_TCP)
            output_segment(t->o, t->oc, true, buf, n, n, &parsed, sent_at, &r);
        if (flags & LC_ACK)
            t->need_ack = false;
    } else {
        if (n == 0)
            inj_error("segment does not fit in one packet");
        finish(t, INJ_EXIT_FAIL);
    }
    return ok;
}

/* Request bytes seq..seq+n (PSH on the last of them). */
static bool send_request(tcb *t, uint32_t seq, uint32_t n)
{
    uint16_t flags = LC_ACK | (seq + n == t->data_end ? LC_PSH : 0);
    return send_seg(t, flags, seq, t->p->data + (seq - t->iss - 1), n);
}

static void arm_rtx(tcb *t, int64_t now)
{
    if (!t->rtx_at)
        t->rtx_at = now + t->cc.rto;
}

static void send_syn(tcb *t)
{
    t->syns_sent++;
    send_seg(t, LC_SYN, t->iss, NULL, 0);
}

/* Sends as much of the request as the window allows. */
static void send_data(tcb *t, int64_t now)
{
    while (t->state == CS_ESTAB && SEQ_LT(t->snd_nxt, t->data_end)) {
        uint32_t in_flight = t->snd_nxt - t->snd_una;
        uint32_t wnd = t->snd_wnd < t->cc.cwnd ? t->snd_wnd : t->cc.cwnd;
        if (in_flight >= wnd)
            break;
        uint32_t n = t->data_end - t->snd_nxt;
        if (n > t->eff_mss)
            n = t->eff_mss;
        if (n > wnd - in_flight) {
            if (wnd - in_flight < t->eff_mss && t->snd_wnd >= t->cc.cwnd && in_flight > 0)
                break;   /* do not send a runt just because cwnd is not a multiple of the MSS */
            n = wnd - in_flight;
        }
        if (!send_request(t, t->snd_nxt, n))
            return;
        t->snd_nxt += n;
        if (SEQ_GT(t->snd_nxt, t->snd_max))
            t->snd_max = t->snd_nxt;
        arm_rtx(t, now);
    }
    /* zero window with nothing in flight: probe it later (RFC 9293 3.8.6.1) */
    if (t->snd_wnd == 0 && t->snd_una == t->snd_nxt && SEQ_LT(t->snd_nxt, t->data_end) && !t->persist_at)
        t->persist_at = now + t->cc.rto;
}

static void send_fin(tcb *t, int64_t now)
{
    t->fin_seq = t->snd_nxt;
    if (!send_seg(t, LC_FIN | LC_ACK, t->snd_nxt, NULL, 0))
        return;
    t->fin_sent = true;
    if (!t->peer_fin) {
        t->closed_early = true;
        t->reply_at_fin = t->rx.reply_len;
    }
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
        if (t->p->close == CLOSE_WAIT && t->rx.reply_len > 0)
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
        send_request(t, t->snd_una, n);
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
        if (t->state == CS_SYN_SENT && t->syns_dropped == t->syns_sent)
            snprintf(why, sizeof why, "%d SYNs sent, all dropped by a local firewall rule",
                     t->syns_sent);
        else if (t->state == CS_SYN_SENT)
            snprintf(why, sizeof why, "%d SYNs sent, no answer", t->syns_sent);
        else
            snprintf(why, sizeof why, "no answer after %d retransmissions", t->rtx_count);
        timeout(t, why);
        return;
    }
    t->rtx_count++;
    cc_on_timeout(&t->cc, t->state == CS_ESTAB, t->snd_max - t->snd_una, t->snd_max, t->eff_mss);
    t->rtx_at = now + t->cc.rto;
    resend_first(t);
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
    t->max_snd_wnd = t->snd_wnd;
    out_conn_set_scale(t->oc, true, t->ws_ok ? OUR_WSCALE : 0, t->snd_scale);
    if (!t->ws_ok && t->rcv_wnd > 65535)
        t->rcv_wnd = 65535;
    t->rx.window = t->rcv_wnd;
    t->snd_wl1 = s->seq;
    t->snd_wl2 = s->ack;
    unsigned iph = p->dst.family == AF_INET6 ? 40 : 20;
    uint32_t peer_mss = s->opts.has_mss ? s->opts.mss : (p->dst.family == AF_INET6 ? 1220 : 536);
    uint32_t own = own_mss(t);
    uint32_t mss = peer_mss < own ? peer_mss : own;
    if (mss > 65535 - iph - 60)
        mss = 65535 - iph - 60;
    uint32_t ol = opts_len_est(t);
    t->eff_mss = mss > ol + 1 ? mss - ol : 1;
    cc_established(&t->cc, t->eff_mss, now - t->syn_sent_at, t->syns_sent == 1);   /* Karn */
    t->rtx_at = 0;
    t->rtx_count = 0;
    t->last_progress = now;
    t->last_rx_at = now;
    t->state = CS_ESTAB;
    if (p->verbose)
        inj_msg("note", "peer MSS %u, window scale %s%u, SACK %s, timestamps %s; sending %u-byte segments, "
                "offering a %u-byte window", peer_mss, t->ws_ok ? "" : "off/", t->snd_scale,
                s->opts.sack_ok ? "permitted" : "off", t->ts_ok ? "on" : "off", t->eff_mss, t->rcv_wnd);
    send_seg(t, LC_ACK, t->snd_una, NULL, 0);   /* ACK 3/3 */
    t->snd_nxt = t->snd_una;
    t->snd_max = t->snd_nxt;
}

/* RFC 9293 3.10.7.4, first check: does any of the segment (its FIN
 * included) fall in the window we offer? */
static bool seq_acceptable(const tcb *t, const pkt_tcp *s)
{
    uint32_t seglen = s->len + ((s->flags & LC_FIN) ? 1u : 0u);
    uint32_t nxt = t->rcv_nxt, wnd = t->rcv_wnd;
    if (seglen == 0)
        return wnd == 0 ? s->seq == nxt : SEQ_GEQ(s->seq, nxt) && SEQ_LT(s->seq, nxt + wnd);
    if (wnd == 0)
        return false;
    uint32_t last = s->seq + seglen - 1;
    return (SEQ_GEQ(s->seq, nxt) && SEQ_LT(s->seq, nxt + wnd)) || (SEQ_GEQ(last, nxt) && SEQ_LT(last, nxt + wnd));
}

/* SYN-SENT (RFC 9293 3.10.7.3). */
static void on_segment_syn_sent(tcb *t, const pkt_tcp *s, int64_t now)
{
    uint16_t f = s->flags;
    bool ack_ok = SEQ_GT(s->ack, t->iss) && SEQ_LEQ(s->ack, t->iss + 1);   /* SND.UNA < SEG.ACK =< SND.NXT */
    if ((f & LC_ACK) && !ack_ok) {
        if (f & LC_RST) {
            t->res->ignored_rsts++;   /* a RST for something else: dropped */
            return;
        }
        /* An unacceptable ACK: typically the server's TIME-WAIT (or a
         * half-open old connection) acknowledging what the previous
         * connection on this 4-tuple sent.  <SEQ=SEG.ACK><CTL=RST> clears
         * it; then the same SYN again. */
        if (t->old_rounds >= t->p->retries + 1) {
            char a[INET6_ADDRSTRLEN];
            inj_error("protocol error: %s:%u answered %d SYNs with the ACK of another connection (ack %u, expected %u)",
                      inj_addr_str(&t->p->dst, a, sizeof a), t->p->dport, t->syns_sent, s->ack, t->iss + 1);
            finish(t, INJ_EXIT_PROTO);
            return;
        }
        t->old_rounds++;
        t->res->old_conn++;
        t->rcv_nxt = 0;
        send_seg(t, LC_RST, s->ack, NULL, 0);
        if (t->state == CS_DONE)
            return;
        if (t->p->verbose)
            inj_msg("note", "the SYN was answered with the ACK of an older connection (ack %u, not ISN+1 = %u): "
                    "RST sent at its ack, SYN again", s->ack, t->iss + 1);
        send_syn(t);
        t->rtx_at = now + t->cc.rto;
        t->last_progress = now;
        return;
    }
    if (f & LC_RST) {
        if (f & LC_ACK) {   /* acceptable: our SYN was refused */
            char a[INET6_ADDRSTRLEN];
            inj_error("connection refused: %s:%u answered the SYN with RST",
                      inj_addr_str(&t->p->dst, a, sizeof a), t->p->dport);
            finish(t, INJ_EXIT_REFUSED);
        } else {
            t->res->ignored_rsts++;   /* no ACK: not for our SYN */
        }
        return;
    }
    if ((f & (LC_SYN | LC_ACK)) == (LC_SYN | LC_ACK))
        on_synack(t, s, now);
    /* a bare SYN (simultaneous open) is not something a server does; a bare
     * acceptable ACK without SYN means nothing yet */
}

static void on_segment(tcb *t, const uint8_t *ip, size_t caplen, size_t wirelen, const pkt_tcp *s, int64_t ts)
{
    lc_result r;
    output_segment(t->o, t->oc, false, ip, caplen, wirelen, s, ts, &r);
    int64_t now = inj_now_mono_ns();
    uint16_t f = s->flags;

    if (t->state == CS_DONE)
        return;
    if (s->cut) {
        /* never data from a cut frame: the server sends it again */
        t->res->cut_frames++;
        return;
    }
    t->last_rx_at = now;
    if (t->state == CS_SYN_SENT) {
        on_segment_syn_sent(t, s, now);
        return;
    }

    /* synchronized states: ESTABLISHED, the closing states, TIME-WAIT */
    bool acceptable = seq_acceptable(t, s);
    if (t->ts_ok && s->opts.has_ts && acceptable && SEQ_LEQ(s->seq, t->rcv_nxt) && SEQ_GEQ(s->opts.tsval, t->ts_recent))
        t->ts_recent = s->opts.tsval;

    if (f & LC_RST) {
        if (t->state == CS_LINGER) {
            t->res->ignored_rsts++;   /* TIME-WAIT keeps its time (RFC 1337) */
            return;
        }
        /* RFC 5961 3.2: only a RST at exactly rcv_nxt resets; one elsewhere
         * in the window gets a challenge ACK; one outside it is dropped */
        if (s->seq == t->rcv_nxt) {
            if (t->peer_fin)
                inj_error("protocol error: connection reset by the server after its FIN (%zu reply bytes received)",
                          t->rx.reply_len);
            else
                inj_error("protocol error: connection reset by the server while waiting for %s (%zu reply bytes "
                          "received)", waiting_for(t), t->rx.reply_len);
            finish(t, INJ_EXIT_PROTO);
        } else if (acceptable) {
            t->res->challenge_acks++;
            t->need_ack = true;
        } else {
            t->res->ignored_rsts++;
        }
        return;
    }
    if (f & LC_SYN) {
        /* RFC 5961 4: a SYN in a synchronized state gets a challenge ACK
         * (also the SYN-ACK sent again when our ACK 3/3 was lost) */
        t->res->challenge_acks++;
        t->need_ack = true;
        return;
    }
    if (!acceptable) {
        /* RFC 9293 3.10.7.4: an ACK for what is outside the window (an old
         * duplicate, a keep-alive probe, a FIN sent again in TIME-WAIT) */
        if (t->state == CS_LINGER && (f & LC_FIN))
            t->res->fin_reacks++;
        else if (s->len > 0 || (f & LC_FIN))
            t->res->oow_acks += SEQ_GEQ(s->seq, t->rcv_nxt);   /* beyond the window (not a plain duplicate) */
        else
            t->res->oow_acks++;
        t->need_ack = true;
        return;
    }
    if (!(f & LC_ACK))
        return;
    /* RFC 5961 5.2: SND.UNA - MAX.SND.WND =< SEG.ACK =< SND.NXT, else an ACK and drop */
    if (SEQ_GT(s->ack, t->snd_max) || SEQ_LT(s->ack, t->snd_una - t->max_snd_wnd)) {
        if (t->p->verbose)
            inj_msg("note", "the server acknowledges %u, outside %u..%u: answered with an ACK", s->ack,
                    t->snd_una - t->max_snd_wnd, t->snd_max);
        t->res->oow_acks++;
        t->need_ack = true;
        return;
    }
    if (SEQ_GT(s->ack, t->snd_una)) {
        bool partial = cc_on_ack(&t->cc, s->ack - t->snd_una, s->ack, t->eff_mss);
        t->snd_una = s->ack;
        if (SEQ_LT(t->snd_nxt, t->snd_una))
            t->snd_nxt = t->snd_una;
        t->rtx_count = 0;
        t->rtx_at = t->snd_una == t->snd_max ? 0 : now + t->cc.rto;
        t->last_progress = now;
        if (t->fin_sent && SEQ_GT(s->ack, t->fin_seq))
            t->fin_acked = true;
        if (SEQ_GEQ(t->snd_una, t->data_end))
            t->res->request_acked = true;
        if (partial)   /* NewReno: the next hole, at once */
            resend_first(t);
    } else if (s->ack == t->snd_una && SEQ_LT(t->snd_una, t->snd_max) && s->len == 0 && !(f & LC_FIN) &&
               ((uint32_t)s->win << t->snd_scale) == t->snd_wnd &&
               cc_on_dupack(&t->cc, t->snd_max - t->snd_una, t->snd_max, t->eff_mss)) {
        /* fast retransmit (RFC 5681): the third duplicate ACK says a segment was lost */
        resend_first(t);
    }
    if (SEQ_LT(t->snd_wl1, s->seq) || (t->snd_wl1 == s->seq && SEQ_LEQ(t->snd_wl2, s->ack))) {
        t->snd_wnd = (uint32_t)s->win << t->snd_scale;
        if (t->snd_wnd > t->max_snd_wnd)
            t->max_snd_wnd = t->snd_wnd;
        t->snd_wl1 = s->seq;
        t->snd_wl2 = s->ack;
        if (t->snd_wnd) {
            t->persist_at = 0;
            t->cc.persist_backoff = 0;
        }
    }

    uint32_t len = s->len;
    if (len > 0 || (f & LC_FIN)) {
        if (SEQ_GT(s->seq, t->rcv_nxt)) {
            /* a hole before it: keep the data, send a duplicate ACK (with SACK) */
            if (len > 0)
                reasm_hold(&t->rx, t->rcv_nxt, s->seq, s->payload, len);
            t->need_ack = true;
            return;
        }
        if (len > 0) {
            if (reasm_accept(&t->rx, &t->rcv_nxt, s->seq, s->payload, len)) {
                t->last_reply_at = now;
                t->last_progress = now;
            }
            t->need_ack = true;   /* new data, or a duplicate to re-acknowledge */
            if (t->rx.overflow) {
                send_seg(t, LC_RST | LC_ACK, t->snd_nxt, NULL, 0);
                inj_error("incomplete reply: the server sent more than --max-reply %zu bytes",
                          t->p->max_reply ? t->p->max_reply : (size_t)REASM_REPLY_MAX);
                finish(t, INJ_EXIT_INCOMPLETE);
                return;
            }
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
    char from[INET6_ADDRSTRLEN], what[96];
    bool hard = pkt_icmp_describe(ic, what, sizeof what);
    inj_addr_str(&ic->from, from, sizeof from);
    snprintf(t->soft_err, sizeof t->soft_err, "%s from %s", what, from);
    output_note(t->o, "ICMP %s from %s", what, from);
    if (ic->mtu && ((ic->family == AF_INET && ic->type == 3) || (ic->family == AF_INET6 && ic->type == 2))) {
        uint32_t room = pkt_mss_from_mtu(ic->family, ic->mtu), ol = opts_len_est(t);
        if (room > ol + 8) {
            uint32_t mss = room - ol;
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
        {
            size_t decl = pkt_ip_len(f->l3, f->len);
            if (f->cut)
                s.cut = true;   /* whatever the IP header says, bytes are missing */
            on_segment(t, f->l3, decl < f->len ? decl : f->len, f->cut && f->wire_len > decl ? f->wire_len : decl,
                       &s, f->time_ns);
        }
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
    /* the server's FIN; or, the request acknowledged and some reply in (or
     * no request: a server that speaks first, or says nothing), --reply-idle
     * without anything from the server, and no hole (SACK) open */
    return t->peer_fin ||
           ((t->rx.reply_len > 0 || p->data_len == 0) && request_done && t->rx.ooo_n == 0 &&
            now - t->last_rx_at >= p->reply_idle_ns);
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
            t->res->time_wait_at = now;
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
            t->persist_at = now + cc_persist_next(&t->cc);
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
    if (t->state == CS_ESTAB && (t->rx.reply_len > 0 || t->p->data_len == 0) && !t->fin_sent) {
        int64_t r = t->last_rx_at + t->p->reply_idle_ns;
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
    if (t->p->busy_poll_ns <= 0) {
        /* on loopback the answer is usually in the ring already (the
         * server ran inside our sendto()): take it without a ppoll() */
        int n = netdev_dispatch(nd, on_frame, t);
        if (n != 0 || wait_ns <= 0)
            return n;
    } else if (wait_ns > 0) {
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
    /* The stop signals are blocked outside this call and let in only while
     * it waits: one arriving after the caller looked at *stop is not lost,
     * it ends this wait (EINTR). */
    struct timespec ts = { (time_t)(wait_ns / 1000000000), (long)(wait_ns % 1000000000) };
    struct pollfd pfd = { .fd = nd->pcap_fd, .events = POLLIN };
    int pr = ppoll(&pfd, 1, &ts, t->p->waitmask);
    if (pr < 0 && errno != EINTR) {
        inj_error("ppoll: %s", strerror(errno));
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
    cc_init(&t.cc);
    t.pkt = malloc(INJ_PKT_MAX);
    if (!t.pkt) {
        inj_error("out of memory");
        return INJ_EXIT_FAIL;
    }
    inj_random(&t.ip_id, sizeof t.ip_id);
    t.rcv_wnd = REASM_WINDOW;
    if (nd->bufsize / 8 < t.rcv_wnd)   /* what the capture ring absorbs while we are busy */
        t.rcv_wnd = (uint32_t)(nd->bufsize / 8) & ~((1u << OUR_WSCALE) - 1);
    t.rx.window = t.rcv_wnd;
    t.rx.max = p->max_reply;
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
    if (t.rc == INJ_EXIT_OK && t.closed_early && t.rx.reply_len > t.reply_at_fin) {
        /* we took the reply as complete, closed, and the server went on */
        res->late_bytes = t.rx.reply_len - t.reply_at_fin;
        inj_error("incomplete reply: the server sent %zu more bytes after the injector had closed "
                  "(--reply-idle %lld ms is shorter than the server's pauses)", res->late_bytes,
                  (long long)(p->reply_idle_ns / NS_PER_MS));
        t.rc = INJ_EXIT_INCOMPLETE;
    }
    reasm_free(&t.rx);
    free(t.pkt);
    res->reply = t.rx.reply;
    res->reply_len = t.rx.reply_len;
    if (t.rc != INJ_EXIT_OK)
        res->exchange_ns = 0;
    return t.rc;
}
