/* render_tree.c - the synfin subtree of one segment: generated items from
 * the stored lc_result and the segment's lc_view, the injector's marker
 * read from the frame's bytes.  Fields appear only where they have a value
 * (docs/engine.md "Which fields a segment shows"). */
#include <string.h>

#include "framebytes.h"
#include "render.h"

static void
add_uint(proto_tree *t, int hf, tvbuff_t *tvb, guint32 v)
{
    proto_item_set_generated(proto_tree_add_uint(t, hf, tvb, 0, 0, v));
}

static void
add_int(proto_tree *t, int hf, tvbuff_t *tvb, gint32 v)
{
    proto_item_set_generated(proto_tree_add_int(t, hf, tvb, 0, 0, v));
}

static void
add_bool(proto_tree *t, int hf, tvbuff_t *tvb, gboolean v)
{
    proto_item_set_generated(proto_tree_add_boolean(t, hf, tvb, 0, 0, v ? 1 : 0));
}

static void
add_time(proto_tree *t, int hf, tvbuff_t *tvb, gint64 ns)
{
    nstime_t d;
    d.secs = (time_t)(ns / 1000000000);
    d.nsecs = (int)(ns % 1000000000);
    proto_item_set_generated(proto_tree_add_time(t, hf, tvb, 0, 0, &d));
}

static void
add_string(proto_tree *t, int hf, tvbuff_t *tvb, const char *s)
{
    proto_item_set_generated(proto_tree_add_string(t, hf, tvb, 0, 0, s));
}

/* "synfin: LABEL, client STATE, server STATE", joined by hand: this line is
 * built for every segment of a shown tree. */
static proto_item *
add_top_line(proto_tree *tree, tvbuff_t *tvb, const lc_result *r, const char *label)
{
    char text[128];
    const char *parts[] = { "synfin: ", label, ", client ", lc_state_name(r->state_client),
                            ", server ", lc_state_name(r->state_server) };
    size_t n = 0;
    for (size_t k = 0; k < G_N_ELEMENTS(parts); k++) {
        size_t len = strlen(parts[k]);
        if (len > sizeof(text) - 1 - n)
            len = sizeof(text) - 1 - n;
        memcpy(text + n, parts[k], len);
        n += len;
    }
    text[n] = '\0';
    return proto_tree_add_protocol_format(tree, proto_synfin, tvb, 0, 0, "%s", text);
}

/* The fields of the view: relative numbers, ISNs, links, handshake times,
 * teardown initiator, Zeek summary. */
static void
add_view(proto_tree *t, tvbuff_t *tvb, const lc_view *v)
{
    if (v->has_isn_client)
        add_uint(t, hf_synfin_isn_client, tvb, v->isn_client);
    if (v->has_isn_server)
        add_uint(t, hf_synfin_isn_server, tvb, v->isn_server);
    if (v->syn_frame != 0)
        add_uint(t, hf_synfin_syn_frame, tvb, v->syn_frame);
    if (v->synack_frame != 0)
        add_uint(t, hf_synfin_synack_frame, tvb, v->synack_frame);
    if (v->fin_frame != 0)
        add_uint(t, hf_synfin_fin_frame, tvb, v->fin_frame);
    if (v->has_handshake_rtt)
        add_time(t, hf_synfin_handshake_rtt, tvb, v->handshake_rtt_ns);
    if (v->has_handshake_time)
        add_time(t, hf_synfin_handshake_time, tvb, v->handshake_time_ns);
    if (v->initiator != LC_INITIATOR_NONE)
        add_uint(t, hf_synfin_teardown_initiator, tvb, (guint32)v->initiator);
    if (v->has_conn_state) {
        add_string(t, hf_synfin_conn_state, tvb, lc_zeek_state_name(v->conn_state));
        add_string(t, hf_synfin_conn_history, tvb, v->history);
    }
    /* spec section 8 */
    if (v->has_rst_check)
        add_uint(t, hf_synfin_rst_check, tvb, v->rst_check);
    if (v->has_halfclose)
        add_time(t, hf_synfin_teardown_halfclose, tvb, v->halfclose_ns);
    if (v->has_teardown_time)
        add_time(t, hf_synfin_teardown_time, tvb, v->teardown_time_ns);
    if (v->has_vantage)
        add_uint(t, hf_synfin_vantage, tvb, v->vantage);
}

/* Spec 8.2, on the SYN that used a 4-tuple again. */
static void
add_reuse(proto_tree *t, tvbuff_t *tvb, const lc_reuse *ru)
{
    add_uint(t, hf_synfin_reuse_prev_stream, tvb, ru->prev_stream);
    add_time(t, hf_synfin_reuse_gap, tvb, ru->gap_ns);
    if (ru->isn_known)
        add_bool(t, hf_synfin_reuse_isn_higher, tvb, ru->isn_higher);
}

proto_item *
synfin_render_tree(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, gboolean visible,
                   const synfin_segment *seg)
{
    const lc_result *r = seg->result;
    const lc_view *v = seg->view;
    synfin_input *in = seg->in;
    const gboolean fed = r != NULL && r->valid;
    proto_item *ti;

    if (!visible)
        ti = proto_tree_add_item(tree, proto_synfin, tvb, 0, 0, ENC_NA);
    else if (seg->label != NULL)
        ti = add_top_line(tree, tvb, r, seg->label);
    else
        ti = proto_tree_add_protocol_format(tree, proto_synfin, tvb, 0, 0,
                                            "synfin: TCP header incomplete");
    proto_item_set_generated(ti);
    proto_tree *t = proto_item_add_subtree(ti, ett_synfin);

    if (in->have_stream)
        add_uint(t, hf_synfin_stream, tvb, in->stream);
    /* Present only on marked segments: the presence filter `synfin.injected`
     * means "injected".  Looked for only when the tree is shown or a filter,
     * column or colour rule names the fields. */
    guint32 run = 0;
    if ((proto_field_is_referenced(tree, hf_synfin_injected) ||
         proto_field_is_referenced(tree, hf_synfin_injected_run)) &&
        synfin_marker_of(pinfo, in->hlen, in->sport, in->dport, in->occurrence, &in->hdr,
                         &in->hdr_avail, &run)) {
        add_bool(t, hf_synfin_injected, tvb, TRUE);
        add_uint(t, hf_synfin_injected_run, tvb, run);
    }
    if (!fed)
        return ti;

    add_uint(t, hf_synfin_role, tvb, lc_result_role(r));
    add_bool(t, hf_synfin_role_guessed, tvb, r->role_guessed);
    add_uint(t, hf_synfin_phase, tvb, r->phase);
    add_uint(t, hf_synfin_step, tvb, r->step);
    if (r->step != 0) {
        add_uint(t, hf_synfin_step_total, tvb, r->four_steps ? 4 : 3);
        add_bool(t, hf_synfin_step_merged, tvb, r->merged);
    }
    if (seg->label != NULL)
        add_string(t, hf_synfin_label, tvb, seg->label);
    add_uint(t, hf_synfin_state_client, tvb, r->state_client);
    add_uint(t, hf_synfin_state_server, tvb, r->state_server);
    if (v != NULL && in->have_seg) {
        if (v->has_seq_rel)
            add_uint(t, hf_synfin_seq_rel, tvb, v->seq_rel);
        if (v->has_ack_rel)
            add_uint(t, hf_synfin_ack_rel, tvb, v->ack_rel);
    }
    if (r->has_seq_delta)
        add_int(t, hf_synfin_seq_delta, tvb, r->seq_delta);
    if (r->has_ack_delta)
        add_int(t, hf_synfin_ack_delta, tvb, r->ack_delta);
    if (r->has_ack_expected) {
        add_uint(t, hf_synfin_ack_expected, tvb, r->ack_expected);
        add_bool(t, hf_synfin_ack_ok, tvb, r->ack_ok);
    }
    if (r->ack_frame != 0)
        add_uint(t, hf_synfin_ack_frame, tvb, r->ack_frame);
    if (v != NULL)
        add_view(t, tvb, v);
    if (seg->reuse != NULL)
        add_reuse(t, tvb, seg->reuse);
    return ti;
}
