/* synfin.c - Wireshark 4.0 post-dissector: every TCP segment's place in its
 * connection's life (handshake step, data, teardown step, reset), both
 * endpoints' RFC 9293 states, relative numbers and deltas, frame links and
 * expert info.  All rules live in the lifecycle engine (lifecycle/); the
 * plugin only feeds it segments and shows its answers.
 *
 * This file owns the registration (hf / ett / ei arrays, preference, tap,
 * handoff) and the post-dissector entry: for each TCP layer of a frame it
 * takes the input (the TCP tap record, else the frame's bytes:
 * framebytes.c), runs the engine on the first pass (storage.c), and renders
 * the stored snapshot with the segment's view on every pass (render_*.c).
 * docs/map.md shows how the files fit.
 *
 * Contract: shared/spec/SYNFIN.md section 4 (field names are fixed).
 */
#define WS_LOG_DOMAIN "synfin"
#define WS_BUILD_DLL

#include <string.h>

#include <wireshark.h>
#include <epan/packet.h>
#include <epan/proto_data.h>
#include <epan/expert.h>
#include <epan/prefs.h>
#include <epan/tap.h>
#include <epan/column-info.h>
#include <epan/dissectors/packet-tcp.h>

#include "synfin-int.h"
#include "framebytes.h"
#include "render.h"
#include "storage.h"

#ifndef SYNFIN_VERSION
#define SYNFIN_VERSION "0.1.0"
#endif


void proto_register_synfin(void);
void proto_reg_handoff_synfin(void);

/* The protocol's names: registration, the post-dissector's protocol in name
 * only, the current protocol while it runs, the plugin's description. */
#define SYNFIN_NAME       "TCP connection lifecycle (synfin)"
#define SYNFIN_SHORT_NAME "SYNFIN"

/* ------------------------------------------------------------------------ */
/* Registration ids                                                          */

int proto_synfin = -1;
int hf_synfin_stream = -1;
int hf_synfin_role = -1;
int hf_synfin_role_guessed = -1;
int hf_synfin_phase = -1;
int hf_synfin_step = -1;
int hf_synfin_step_total = -1;
int hf_synfin_step_merged = -1;
int hf_synfin_label = -1;
int hf_synfin_state_client = -1;
int hf_synfin_state_server = -1;
int hf_synfin_seq_rel = -1;
int hf_synfin_ack_rel = -1;
int hf_synfin_seq_delta = -1;
int hf_synfin_ack_delta = -1;
int hf_synfin_ack_expected = -1;
int hf_synfin_ack_ok = -1;
int hf_synfin_ack_frame = -1;
int hf_synfin_isn_client = -1;
int hf_synfin_isn_server = -1;
int hf_synfin_syn_frame = -1;
int hf_synfin_synack_frame = -1;
int hf_synfin_fin_frame = -1;
int hf_synfin_handshake_rtt = -1;
int hf_synfin_handshake_time = -1;
int hf_synfin_teardown_initiator = -1;
int hf_synfin_conn_state = -1;
int hf_synfin_conn_history = -1;
int hf_synfin_injected = -1;
int hf_synfin_injected_run = -1;
int hf_synfin_rst_check = -1;
int hf_synfin_teardown_halfclose = -1;
int hf_synfin_teardown_time = -1;
int hf_synfin_vantage = -1;
int hf_synfin_reuse_prev_stream = -1;
int hf_synfin_reuse_gap = -1;
int hf_synfin_reuse_isn_higher = -1;

gint ett_synfin = -1;

expert_field ei_synfin_handshake_step = EI_INIT;
expert_field ei_synfin_teardown_step = EI_INIT;
expert_field ei_synfin_tcp_incomplete = EI_INIT;
expert_field ei_synfin_anomaly[LC_ANOM_COUNT];

int synfin_tap = -1;

/* Looked up in handoff (other protocols' ids). */
int proto_tcp = -1;
int proto_ws_expert = -1;
int expert_tap_id = -1;
static int tcp_tap_id = -1;
static int proto_icmp = -1;
static int proto_icmpv6 = -1;
static int hf_tcp_srcport = -1;
static int hf_tcp_dstport = -1;

synfin_pref_bool pref_info_column = TRUE;
guint pref_time_wait = LC_TIME_WAIT_DEFAULT_S;

static int tcp_tap_keepalive; /* address only: keeps the TCP tap active */

/* ------------------------------------------------------------------------ */
/* Value strings: the names come from the engine (one list of each)          */

static const value_string role_vals[] = {
    { LC_ROLE_C2S, "client to server" },
    { LC_ROLE_S2C, "server to client" },
    { 0, NULL }
};

#define PHASE_COUNT (LC_PHASE_CLOSED + 1)
static value_string phase_vals[PHASE_COUNT + 1];
static value_string state_vals[LC_STATE_COUNT + 1];
static value_string initiator_vals[LC_INITIATOR_BOTH + 1]; /* 1..3, no "none" */
static value_string rst_check_vals[LC_RST_CHECK_OUT_OF_WINDOW + 2];
static value_string vantage_vals[LC_VANTAGE_BETWEEN + 2];

static void
fill_value_strings(void)
{
    for (unsigned i = 0; i < PHASE_COUNT; i++)
        phase_vals[i] = (value_string){ i, lc_phase_name(i) };
    for (unsigned i = 0; i < LC_STATE_COUNT; i++)
        state_vals[i] = (value_string){ i, lc_state_name(i) };
    for (unsigned i = LC_INITIATOR_CLIENT; i <= LC_INITIATOR_BOTH; i++)
        initiator_vals[i - 1] = (value_string){ i, lc_initiator_name(i) };
    for (unsigned i = 0; i <= LC_RST_CHECK_OUT_OF_WINDOW; i++)
        rst_check_vals[i] = (value_string){ i, lc_rst_check_name(i) };
    for (unsigned i = 0; i <= LC_VANTAGE_BETWEEN; i++)
        vantage_vals[i] = (value_string){ i, lc_vantage_name(i) };
}

/* ------------------------------------------------------------------------ */
/* Input: one TCP layer of the frame, from its TCP tap record                */

static void
input_from_tap(synfin_input *in, const tcp_info_t *th)
{
    in->seg.seq = th->th_rawseq;
    in->seg.ack = th->th_rawack;
    in->seg.flags = (guint16)(th->th_flags & 0x0FFF);
    in->seg.win = th->th_win; /* scaled by Wireshark (not on a SYN, not without the length) */
    in->have_tap_win = TRUE;
    in->tap_seglen = th->th_have_seglen;
    in->src = th->ip_src;
    in->dst = th->ip_dst;
    in->seg.sport = th->th_sport;
    in->seg.dport = th->th_dport;
    in->seg.len_known = th->th_have_seglen ? true : false;
    in->seg.len = th->th_have_seglen ? th->th_seglen : 0;
    in->stream = th->th_stream;
    in->have_stream = TRUE;
    in->have_seg = TRUE;
    in->src_hash_lazy = TRUE; /* needed only for a new connection or equal ports */
    in->hlen = th->th_hlen;
}

/* ------------------------------------------------------------------------ */
/* Every pass: decide what is wanted, take the view, render                  */

/* What a frame shows of synfin: asked once per frame (the answers hold for
 * every TCP layer in it). */
typedef struct frame_wants {
    proto_tree *tree;    /* the tree, when it is visible or references a synfin field; else NULL */
    gboolean visible;    /* that tree is visible */
    gboolean col;        /* the Info column's suffix */
    gboolean steps;      /* every step's Chat item: a shown tree, an expert filter or field, the
                          * expert tap, the Expert column (else only where its own field is
                          * asked for: step_wanted) */
    gboolean anomalies;  /* anomaly items: those, any tree with synfin fields, and any columns
                          * (the GUI's expert indicator reads them on the first pass) */
    gboolean tap;        /* a synfin tap listens */
    synfin_step when;    /* on the first pass, when the engine's work may run */
} frame_wants;

static void
frame_wants_of(packet_info *pinfo, proto_tree *tree, frame_wants *w)
{
    const gboolean synfin_fields = proto_field_is_referenced(tree, proto_synfin);
    /* An expert filter or field, or the expert tap. */
    const gboolean expert_asked =
        (proto_ws_expert > 0 && proto_field_is_referenced(tree, proto_ws_expert)) ||
        (expert_tap_id >= 0 && have_tap_listener(expert_tap_id));
    w->tree = synfin_fields ? tree : NULL;
    w->visible = w->tree != NULL && PTREE_DATA(w->tree)->visible;
    w->tap = have_tap_listener(synfin_tap);
    w->col = pref_info_column && pinfo->cinfo != NULL;
    /* Anomalies (rare) are emitted whenever there are columns or synfin
     * fields; the Chat items of the steps (every few segments, each a
     * formatted text and an expert subtree) for every step only when
     * something shows or reads all expert items, else on a step only when
     * its own field is asked for (tshark -T fields -e synfin.label asks for
     * none; -Y synfin.handshake_step for one). */
    w->steps = w->visible || expert_asked ||
               (pinfo->cinfo != NULL && pinfo->cinfo->col_first != NULL &&
                pinfo->cinfo->col_first[COL_EXPERT] >= 0);
    w->anomalies = expert_asked || w->tree != NULL || pinfo->cinfo != NULL; /* implied by steps */
    /* The engine's work (storage.c, "Engine work put off"): at once when a
     * tree wants synfin or a synfin tap listens (they read the whole
     * snapshot and the connection); all of it later when the frame shows
     * nothing of synfin (no columns, no expert interest: tshark -T fields
     * without a synfin field, the first pass of -2 and of sharkd;
     * render_segment then returns at once); else only the label and expert
     * items are shown, and the Zeek summary and the stored result can wait. */
    w->when = synfin_fields || w->tap                   ? SYNFIN_STEP_NOW
              : pinfo->cinfo == NULL && !expert_asked ? SYNFIN_STEP_LATER
                                                      : SYNFIN_STEP_TAIL_LATER;
}

/* Whether a step (of this phase) gets its Chat expert item. */
static gboolean
step_wanted(const frame_wants *w, guint8 phase)
{
    if (w->steps)
        return TRUE;
    const expert_field *ei =
        phase == LC_PHASE_HANDSHAKE ? &ei_synfin_handshake_step : &ei_synfin_teardown_step;
    return w->tree != NULL && proto_field_is_referenced(w->tree, ei->hf);
}

static void
render_segment(tvbuff_t *tvb, packet_info *pinfo, const frame_wants *w, const lc_result *r,
               synfin_input *in, const synfin_conn *fed_sc)
{
    proto_tree *tree = w->tree;
    const gboolean fed = r != NULL && r->valid;
    const gboolean want_tap = fed && in->have_stream && w->tap;
    if (tree == NULL && !w->anomalies && !want_tap)
        return; /* e.g. tshark -T fields without a synfin field: nothing to show */
    /* the connection: from the first pass's engine step, else looked up */
    const synfin_conn *sc = !fed ? NULL : fed_sc != NULL ? fed_sc : synfin_conn_of(in, FALSE);
    proto_item *ti = NULL;
    char label[64];
    lc_view view;
    lc_conn conn_buf;
    synfin_segment seg = { r, NULL, in, NULL, 0, NULL, NULL };

    const gboolean want_step = fed && r->step != 0 &&
        (r->phase == LC_PHASE_HANDSHAKE || r->phase == LC_PHASE_TEARDOWN) &&
        step_wanted(w, r->phase);
    if (fed && (w->visible || w->col || want_step ||
                (tree != NULL && proto_field_is_referenced(tree, hf_synfin_label)))) {
        lc_result_label(r, label, sizeof(label));
        seg.label = label;
    }
    if (fed) {
        /* The whole anomaly set: stored, derived (8.3) and, on the SYN that
         * reused a 4-tuple, the reuse reading (8.2). */
        seg.anomalies = lc_result_anomalies(r);
        if (sc != NULL && r->is_syn) {
            const synfin_reuse *ru = synfin_reuse_of(in->stream);
            if (ru != NULL && ru->frame == pinfo->num) {
                seg.reuse = &ru->reuse;
                seg.anomalies |= ru->reuse.anomalies;
            }
        }
    }
    /* One trip into the engine: the view, as known at this frame. */
    if (sc != NULL && (tree != NULL || want_tap)) {
        /* The connection unpacked only here: the Info column needs none of it. */
        seg.conn = synfin_conn_load(sc, in->stream, &conn_buf);
        in->seg.frame = pinfo->num;
        in->seg.time_ns = (gint64)pinfo->abs_ts.secs * 1000000000 + pinfo->abs_ts.nsecs;
        lc_view_of(seg.conn, &sc->zeek, &in->seg, r, &view);
        seg.view = &view;
    }

    if (tree != NULL)
        ti = synfin_render_tree(tvb, pinfo, tree, w->visible, &seg);
    if (w->anomalies && (want_step || in->incomplete || seg.anomalies != 0))
        synfin_render_expert(pinfo, ti, &seg, want_step);
    if (w->col && seg.label != NULL)
        synfin_render_column(pinfo, seg.label);
    if (want_tap)
        synfin_render_tap(pinfo, &seg);
}

/* ------------------------------------------------------------------------ */
/* The post-dissector                                                        */

#define MAX_LAYERS  16

typedef struct layer_ref {
    guint    num;     /* layer number (position in pinfo->layers, from 1) */
    guint16  sport, dport;
    gboolean quoted;  /* inside an ICMP/ICMPv6 error */
} layer_ref;

/* One TCP layer of the frame, not inside an ICMP error: its input (the tap
 * record th when it has one), the engine's answer on the first pass or the
 * stored one later, and the rendering. */
static void
dissect_layer(tvbuff_t *tvb, packet_info *pinfo, const frame_wants *w, const tcp_info_t *th,
              guint16 sport, guint16 dport, int occurrence, guint seg_idx)
{
    synfin_input in;
    memset(&in, 0, sizeof(in));
    in.sport = sport;
    in.dport = dport;
    in.occurrence = occurrence;
    if (th != NULL) {
        input_from_tap(&in, th);
    } else {
        /* No record: taps are off on this pass, or TCP stopped before its
         * tap point (header cut, bogus header length, exception).  Read
         * what the frame has; when that is not enough to follow the
         * segment, the header counts as incomplete. */
        if (!synfin_locate(pinfo, sport, dport, occurrence, &in, FALSE)) {
            in.incomplete = TRUE;
            in.seg.len = 0;
            in.seg.len_known = false;
        }
    }
    if (!in.have_seg || !in.have_stream)
        in.incomplete = TRUE; /* not followed */
    /* First pass: the engine's answer (none yet when the step is queued:
     * then nothing is shown); later passes: the stored snapshot. */
    lc_result rbuf;
    const synfin_conn *sc = NULL;
    const gboolean have = PINFO_FD_VISITED(pinfo)
        ? synfin_result_load(pinfo->num, seg_idx, &in, &rbuf)
        : synfin_observe(pinfo, &in, seg_idx, w->when, &rbuf, &sc);
    const lc_result *r = have ? &rbuf : NULL;
    if (r != NULL || in.incomplete)
        render_segment(tvb, pinfo, w, r, &in, sc);
}

/* How many layers of protocol id the frame has so far (Wireshark counts
 * them per protocol as it adds them; the count never falls below the
 * layers in pinfo->layers). */
static guint
layers_of(packet_info *pinfo, int id)
{
    if (pinfo->proto_layers == NULL || id <= 0)
        return 0;
    const int *n = (const int *)wmem_map_lookup(pinfo->proto_layers, GINT_TO_POINTER(id));
    return n != NULL && *n > 0 ? (guint)*n : 0;
}

static int
dissect_frame_layers(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree)
{
    if (pinfo->layers == NULL || proto_tcp <= 0)
        return 0;

    /* Nearly every frame: one TCP layer (so at most one TCP tap record),
     * which reached its tap point, and no ICMP error around it.  No walk
     * over the layers for that. */
    const tcp_info_t *th0 = layers_of(pinfo, proto_tcp) == 1
        ? (const tcp_info_t *)fetch_tapped_data(tcp_tap_id, 0) : NULL;
    if (th0 != NULL && !PINFO_FD_VISITED(pinfo))
        synfin_conn_prefetch(th0->th_stream); /* loads while the rest is decided */
    if (th0 != NULL && layers_of(pinfo, proto_icmp) == 0 && layers_of(pinfo, proto_icmpv6) == 0) {
        frame_wants w;
        frame_wants_of(pinfo, tree, &w);
        dissect_layer(tvb, pinfo, &w, th0, (guint16)th0->th_sport, (guint16)th0->th_dport, 0, 0);
        return (int)tvb_captured_length(tvb);
    }

    layer_ref layers[MAX_LAYERS];
    guint nlayers = 0;
    gboolean in_icmp = FALSE;
    guint num = 0;
    for (wmem_list_frame_t *f = wmem_list_head(pinfo->layers); f != NULL; f = wmem_list_frame_next(f)) {
        int id = GPOINTER_TO_INT(wmem_list_frame_data(f));
        num++;
        if (id == proto_icmp || id == proto_icmpv6) {
            in_icmp = TRUE;
        } else if (id == proto_tcp && nlayers < MAX_LAYERS) {
            layers[nlayers].num = num;
            layers[nlayers].quoted = in_icmp;
            nlayers++;
        }
    }
    if (nlayers == 0)
        return 0;

    const tcp_info_t *recs[MAX_LAYERS];
    guint nrecs = 0, next_rec = 0;
    {
        /* The TCP tap records of this frame, one per TCP layer that reached
         * its tap point, in layer order; none on passes without taps. */
        const tcp_info_t *th;
        while (nrecs < nlayers &&
               (th = (const tcp_info_t *)fetch_tapped_data(tcp_tap_id, (int)nrecs)) != NULL)
            recs[nrecs++] = th;
    }
    /* Each layer's ports, to pair it with its record: the record's own when
     * the frame has one TCP layer and one record, else what TCP stored per
     * layer. */
    for (guint i = 0; i < nlayers; i++) {
        if (nlayers == 1 && nrecs == 1 && !layers[0].quoted) {
            layers[0].sport = (guint16)recs[0]->th_sport;
            layers[0].dport = (guint16)recs[0]->th_dport;
        } else {
            layers[i].sport = (guint16)GPOINTER_TO_UINT(
                p_get_proto_data(pinfo->pool, pinfo, hf_tcp_srcport, layers[i].num));
            layers[i].dport = (guint16)GPOINTER_TO_UINT(
                p_get_proto_data(pinfo->pool, pinfo, hf_tcp_dstport, layers[i].num));
        }
    }

    frame_wants w;
    frame_wants_of(pinfo, tree, &w);
    guint seg_idx = 0;
    for (guint i = 0; i < nlayers; i++) {
        const layer_ref *ly = &layers[i];
        const tcp_info_t *th = NULL;
        if (next_rec < nrecs &&
            recs[next_rec]->th_sport == ly->sport && recs[next_rec]->th_dport == ly->dport)
            th = recs[next_rec++];
        if (ly->quoted)
            continue; /* spec section 2: not a segment of the connection */
        int occurrence = 0;
        for (guint k = 0; k < i; k++)
            if (layers[k].sport == ly->sport && layers[k].dport == ly->dport)
                occurrence++;
        dissect_layer(tvb, pinfo, &w, th, ly->sport, ly->dport, occurrence, seg_idx);
        seg_idx++;
    }
    return seg_idx ? (int)tvb_captured_length(tvb) : 0;
}

/* The post-dissector's handle belongs to a protocol "in name only" whose
 * parent is synfin (proto_register_synfin): Wireshark calls it only while
 * synfin is enabled, but adds no layer to the frame for it (a list node, a
 * map lookup and insert on every frame; frame.protocols is complete before
 * post-dissectors run, so it never showed synfin anyway) and does not name
 * the current protocol: that is done here, for the expert items. */
static int
dissect_synfin(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    const char *saved_proto = pinfo->current_proto;
    pinfo->current_proto = SYNFIN_SHORT_NAME;
    const int len = dissect_frame_layers(tvb, pinfo, tree);
    pinfo->current_proto = saved_proto;
    return len;
}

/* ------------------------------------------------------------------------ */
/* Registration                                                              */

static void
synfin_init(void)
{
    /* The expert module registers its tap and protocol after the plugins'
     * handoff; by the time a file is opened they exist. */
    expert_tap_id = find_tap_id("expert");
    proto_ws_expert = proto_get_id_by_filter_name("_ws.expert");
}

/* Expert items: the two step items, then one per row of the engine's
 * anomaly table (synfin.<key>), warnings before notes, with the incomplete
 * header among the warnings (the order `tshark -G fields` lists). */
static void
register_expert(void)
{
    static const ei_register_info tcp_incomplete = { &ei_synfin_tcp_incomplete,
        { "synfin.tcp_incomplete", PI_MALFORMED, PI_WARN,
          "TCP header incomplete: segment not followed", EXPFILL } };
    static ei_register_info ei[3 + LC_ANOM_COUNT] = {
        { &ei_synfin_handshake_step, { "synfin.handshake_step", PI_SEQUENCE, PI_CHAT,
            "Handshake step", EXPFILL } },
        { &ei_synfin_teardown_step, { "synfin.teardown_step", PI_SEQUENCE, PI_CHAT,
            "Teardown step", EXPFILL } },
    };
    unsigned n = 2;
    for (int warn = 1; warn >= 0; warn--) {
        for (unsigned i = 0; i < LC_ANOM_COUNT; i++) {
            const lc_anomaly *a = &lc_anomalies[i];
            if ((a->severity == LC_ANOM_WARN) != warn)
                continue;
            ei_register_info e = { &ei_synfin_anomaly[i],
                                   { NULL, PI_SEQUENCE, PI_NOTE, NULL, EXPFILL } };
            ei_synfin_anomaly[i] = (expert_field)EI_INIT;
            e.eiinfo.name = g_strconcat("synfin.", a->key, NULL); /* registered for good */
            e.eiinfo.group = a->group == LC_ANOM_GROUP_MALFORMED ? PI_MALFORMED : PI_SEQUENCE;
            e.eiinfo.severity = warn ? PI_WARN : PI_NOTE;
            e.eiinfo.summary = a->summary;
            ei[n++] = e;
        }
        if (warn)
            ei[n++] = tcp_incomplete;
    }
    expert_register_field_array(expert_register_protocol(proto_synfin), ei, n);
}

void
proto_register_synfin(void)
{
    static hf_register_info hf[] = {
        { &hf_synfin_stream, { "Stream index", "synfin.stream", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Connection number (= tcp.stream)", HFILL } },
        { &hf_synfin_role, { "Direction", "synfin.role", FT_UINT8, BASE_DEC, VALS(role_vals), 0x0,
            "1 client to server, 2 server to client", HFILL } },
        { &hf_synfin_role_guessed, { "Role guessed", "synfin.role_guessed", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "The client/server roles are not proven by a SYN", HFILL } },
        { &hf_synfin_phase, { "Phase", "synfin.phase", FT_UINT8, BASE_DEC, VALS(phase_vals), 0x0,
            NULL, HFILL } },
        { &hf_synfin_step, { "Step", "synfin.step", FT_UINT8, BASE_DEC, NULL, 0x0,
            "Step within the phase (0 = not a step)", HFILL } },
        { &hf_synfin_step_total, { "Steps in the phase", "synfin.step.total", FT_UINT8, BASE_DEC, NULL, 0x0,
            NULL, HFILL } },
        { &hf_synfin_step_merged, { "Merged with the step before", "synfin.step.merged", FT_BOOLEAN, BASE_NONE,
            NULL, 0x0, "This segment also performs the step before it", HFILL } },
        { &hf_synfin_label, { "Label", "synfin.label", FT_STRING, BASE_NONE, NULL, 0x0,
            NULL, HFILL } },
        { &hf_synfin_state_client, { "Client state", "synfin.state.client", FT_UINT8, BASE_DEC,
            VALS(state_vals), 0x0, "Client's RFC 9293 state after this segment", HFILL } },
        { &hf_synfin_state_server, { "Server state", "synfin.state.server", FT_UINT8, BASE_DEC,
            VALS(state_vals), 0x0, "Server's RFC 9293 state after this segment", HFILL } },
        { &hf_synfin_seq_rel, { "Relative sequence number", "synfin.seq.rel", FT_UINT32, BASE_DEC, NULL, 0x0,
            NULL, HFILL } },
        { &hf_synfin_ack_rel, { "Relative acknowledgment number", "synfin.ack.rel", FT_UINT32, BASE_DEC,
            NULL, 0x0, NULL, HFILL } },
        { &hf_synfin_seq_delta, { "Sequence delta", "synfin.seq.delta", FT_INT32, BASE_DEC, NULL, 0x0,
            "Seq minus the previous seq from the same sender", HFILL } },
        { &hf_synfin_ack_delta, { "Acknowledgment delta", "synfin.ack.delta", FT_INT32, BASE_DEC, NULL, 0x0,
            "Ack minus the previous ack from the same sender", HFILL } },
        { &hf_synfin_ack_expected, { "Expected acknowledgment", "synfin.ack.expected", FT_UINT32, BASE_DEC,
            NULL, 0x0, "Relative ack that covers everything the peer has sent so far", HFILL } },
        { &hf_synfin_ack_ok, { "Acknowledgment as expected", "synfin.ack.ok", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "ack == expected (peer seq + 1 in the handshake)", HFILL } },
        { &hf_synfin_ack_frame, { "Acknowledges frame", "synfin.ack.frame", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_ACK), 0x0, "Newest peer segment this ack fully covers", HFILL } },
        { &hf_synfin_isn_client, { "Client ISN", "synfin.isn.client", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Client's raw initial sequence number", HFILL } },
        { &hf_synfin_isn_server, { "Server ISN", "synfin.isn.server", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Server's raw initial sequence number", HFILL } },
        { &hf_synfin_syn_frame, { "SYN in frame", "synfin.syn_frame", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_NONE), 0x0, NULL, HFILL } },
        { &hf_synfin_synack_frame, { "SYN-ACK in frame", "synfin.synack_frame", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_NONE), 0x0, NULL, HFILL } },
        { &hf_synfin_fin_frame, { "Peer's FIN in frame", "synfin.fin_frame", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_NONE), 0x0, NULL, HFILL } },
        { &hf_synfin_handshake_rtt, { "Handshake RTT", "synfin.handshake.rtt", FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
            "SYN to SYN-ACK", HFILL } },
        { &hf_synfin_handshake_time, { "Handshake time", "synfin.handshake.time", FT_RELATIVE_TIME, BASE_NONE, NULL,
            0x0, "SYN to the segment that completes the handshake", HFILL } },
        { &hf_synfin_teardown_initiator, { "Teardown initiator", "synfin.teardown.initiator", FT_UINT8, BASE_DEC,
            VALS(initiator_vals), 0x0, NULL, HFILL } },
        { &hf_synfin_conn_state, { "Connection state (Zeek)", "synfin.conn.state", FT_STRING, BASE_NONE, NULL,
            0x0, "Zeek conn_state of the connection as of this segment (final on its last segment)",
            HFILL } },
        { &hf_synfin_conn_history, { "History (Zeek)", "synfin.conn.history", FT_STRING, BASE_NONE, NULL, 0x0,
            "Zeek-style history letters as of this segment (upper case: originator)", HFILL } },
        { &hf_synfin_injected, { "Injected by synfin-inject", "synfin.injected", FT_BOOLEAN, BASE_NONE, NULL,
            0x0, "The segment carries the injector's marker (TCP option 253, ExID 0x5346); "
            "present only on marked segments", HFILL } },
        { &hf_synfin_injected_run, { "Injector run id", "synfin.injected.run", FT_UINT32, BASE_HEX, NULL, 0x0,
            "Run id from the injector's marker", HFILL } },
        /* spec section 8 */
        { &hf_synfin_reuse_prev_stream, { "4-tuple used before by stream", "synfin.reuse.prev_stream",
            FT_UINT32, BASE_DEC, NULL, 0x0,
            "tcp.stream of the latest earlier connection on this 4-tuple (on the new connection's first SYN)",
            HFILL } },
        { &hf_synfin_reuse_gap, { "Time since that connection", "synfin.reuse.gap", FT_RELATIVE_TIME, BASE_NONE,
            NULL, 0x0, "From the earlier connection's last segment to this SYN", HFILL } },
        { &hf_synfin_reuse_isn_higher, { "ISN above the earlier connection's", "synfin.reuse.isn_higher",
            FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "The new ISN is after the highest sequence number the same side used in the earlier connection "
            "(what an endpoint in TIME-WAIT accepts, RFC 9293 3.6.1, RFC 6191)", HFILL } },
        { &hf_synfin_rst_check, { "RST acceptability", "synfin.rst.check", FT_UINT8, BASE_DEC,
            VALS(rst_check_vals), 0x0,
            "Is this RST acceptable to its receiver (RFC 5961 3, RFC 9293 3.10.7): 1 exact, 2 in window "
            "(challenge ACK), 3 out of window (ignored), 0 unknown", HFILL } },
        { &hf_synfin_teardown_halfclose, { "Half-close time", "synfin.teardown.halfclose", FT_RELATIVE_TIME,
            BASE_NONE, NULL, 0x0,
            "On the second closer's FIN: time since the first FIN (how long it stayed in CLOSE_WAIT as seen)",
            HFILL } },
        { &hf_synfin_teardown_time, { "Teardown time", "synfin.teardown.time", FT_RELATIVE_TIME, BASE_NONE,
            NULL, 0x0, "On teardown step 4: time since the first FIN", HFILL } },
        { &hf_synfin_vantage, { "Capture point", "synfin.vantage", FT_UINT8, BASE_DEC, VALS(vantage_vals), 0x0,
            "Where the capture was taken, from the handshake's timing: 1 near the client, 2 near the server, "
            "3 in between, 0 unknown", HFILL } },

    };
    static gint *ett[] = { &ett_synfin };

    fill_value_strings();
    proto_synfin = proto_register_protocol(SYNFIN_NAME, SYNFIN_SHORT_NAME, "synfin");
    proto_register_field_array(proto_synfin, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    register_expert();

    module_t *m = prefs_register_protocol(proto_synfin, NULL);
    prefs_register_bool_preference(m, "info_column", "Show the label in the Info column",
        "Append \" [synfin: LABEL]\" to the Info column of every TCP segment", &pref_info_column);
    prefs_register_uint_preference(m, "time_wait", "TIME-WAIT length (seconds)",
        "A 4-tuple used again less than this many seconds after an endpoint of its earlier connection "
        "entered TIME_WAIT gets the expert item synfin.reuse_time_wait (default 60, Linux's TIME-WAIT "
        "length)", 10, &pref_time_wait);

    synfin_tap = register_tap("synfin");
    synfin_flowgraph_register();

    synfin_storage_register();
    register_init_routine(synfin_init);
    register_cleanup_routine(synfin_init);

    const int proto_post = proto_register_protocol_in_name_only(
        SYNFIN_NAME " post-dissector", SYNFIN_SHORT_NAME, "synfin.postdissector",
        proto_synfin, FT_PROTOCOL);
    dissector_handle_t h = register_dissector("synfin", dissect_synfin, proto_post);
    register_postdissector(h);
}

void
proto_reg_handoff_synfin(void)
{
    proto_tcp = proto_get_id_by_filter_name("tcp");
    proto_icmp = proto_get_id_by_filter_name("icmp");
    proto_icmpv6 = proto_get_id_by_filter_name("icmpv6");
    hf_tcp_srcport = proto_registrar_get_id_byname("tcp.srcport");
    hf_tcp_dstport = proto_registrar_get_id_byname("tcp.dstport");
    tcp_tap_id = find_tap_id("tcp");

    synfin_stats_register();

    GString *err = register_tap_listener("tcp", &tcp_tap_keepalive, NULL, TL_IS_DISSECTOR_HELPER,
                                         NULL, NULL, NULL, NULL);
    if (err != NULL) {
        ws_warning("synfin: cannot listen to the TCP tap: %s", err->str);
        g_string_free(err, TRUE);
    }
}

static void
synfin_plugin_register(void)
{
    static proto_plugin plug;
    plug.register_protoinfo = proto_register_synfin;
    plug.register_handoff = proto_reg_handoff_synfin;
    proto_register_plugin(&plug);
}

SYNFIN_PLUGIN_DEFINE(SYNFIN_VERSION, synfin_plugin_register, SYNFIN_NAME)
