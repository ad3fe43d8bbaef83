/* view.c - lc_view_of: the facts a segment shows, known at its frame (see
 * view.h).  Links point backwards: a frame link is shown only on segments
 * after the frame it names; an ISN from that end's SYN / SYN-ACK on. */
#include "view.h"
#include "lifecycle-int.h"

#include <string.h>

static uint32_t frame_before(uint32_t f, uint32_t frame)
{
    return f && f < frame ? f : 0;
}

static lc_initiator teardown_initiator_at(const lc_conn *c, uint32_t frame)
{
    if (c->sim_close_frame && c->sim_close_frame <= frame)
        return LC_INITIATOR_BOTH;
    uint32_t f0 = c->end[0].fin_frame, f1 = c->end[1].fin_frame;
    bool k0 = f0 && f0 <= frame, k1 = f1 && f1 <= frame;
    if (k0 && k1)
        return f0 <= f1 ? LC_INITIATOR_CLIENT : LC_INITIATOR_SERVER;
    if (k0)
        return LC_INITIATOR_CLIENT;
    if (k1)
        return LC_INITIATOR_SERVER;
    return LC_INITIATOR_NONE;
}

void lc_view_of(const lc_conn *c, const lc_zeek *z, const lc_segment *s, const lc_result *r,
                lc_view *v)
{
    const uint32_t frame = s->frame;
    const int si = role_index(c, s);
    const lc_end *peer = &c->end[si ^ 1];

    memset(v, 0, sizeof *v);
    v->has_seq_rel = !(r->anomalies & LC_ANOM_OLD_CONNECTION);
    v->seq_rel = v->has_seq_rel ? s->seq - c->end[si].base : 0;
    if ((s->flags & LC_ACK) && (peer->flags & END_BASE)) {
        v->ack_rel = s->ack - peer->base;
        v->has_ack_rel = true;
    }

    v->has_isn_client = c->end[0].isn_frame != 0 && c->end[0].isn_frame <= frame;
    v->isn_client = v->has_isn_client ? c->isn_first[0] : 0; /* a new attempt's ISN does not rewrite it */
    v->has_isn_server = c->end[1].isn_frame != 0 && c->end[1].isn_frame <= frame;
    v->isn_server = v->has_isn_server ? c->isn_first[1] : 0;

    v->syn_frame = (c->end[0].flags & END_SYN) ? frame_before(c->end[0].isn_frame, frame) : 0;
    v->synack_frame = frame_before(c->synack_frame, frame);
    v->fin_frame = frame_before(c->end[r->role_s2c ? 0 : 1].fin_frame, frame);

    if (v->syn_frame) {
        v->has_syn_time = true;
        v->syn_time_ns = c->syn_time_ns;
        if (r->phase == LC_PHASE_HANDSHAKE && !r->retransmission) {
            unsigned synack = r->four_steps ? 3u : 2u; /* first SYN-ACK */
            unsigned last = r->four_steps ? 4u : 3u;   /* completes the handshake */
            if (r->step == synack) {
                v->has_handshake_rtt = true;
                v->handshake_rtt_ns = s->time_ns - c->syn_time_ns;
            } else if (r->step == last) {
                v->has_handshake_time = true;
                v->handshake_time_ns = s->time_ns - c->syn_time_ns;
            }
        }
    }

    v->initiator = teardown_initiator_at(c, frame);

    v->has_rst_check = r->is_rst;
    v->rst_check = r->is_rst ? r->rst_check : 0;
    v->has_halfclose = lc_conn_halfclose(c, r, frame, s->time_ns, &v->halfclose_ns);
    v->has_teardown_time = lc_conn_teardown_time(c, r, frame, s->time_ns, &v->teardown_time_ns);
    v->has_vantage = lc_conn_vantage_at(c, frame, &v->vantage);

    if (z != NULL && LC_ZEEK_SNAP_HAS_STATE(r)) {
        v->has_conn_state = true;
        v->conn_state = (lc_zeek_state)LC_ZEEK_SNAP_STATE(r);
        lc_zeek_history(z, r, v->history, sizeof v->history);
    }
}

const char *lc_initiator_name(unsigned initiator)
{
    static const char *const names[] = { "", "client", "server", "both (simultaneous close)" };
    return initiator < sizeof names / sizeof names[0] ? names[initiator] : "";
}
