/* flowgraph.c - the native Flow Graph: Statistics > Flow Graph, flow type
 * "synfin", and tshark -z flow,synfin,...  Listens to the "synfin" tap.
 * Built when the Flow Graph API is declared (plugin/CMakeLists.txt,
 * ws_seqanalysis.h); otherwise synfin_flowgraph_register does nothing. */
#include "synfin-int.h"

#ifdef SYNFIN_HAVE_SEQ_ANALYSIS
/* Not shipped by Debian: the release's header (tools/fetch-ws-header.sh) or
 * our own declarations (ws_seqanalysis.h); the functions are exported by
 * libwireshark. */
#include "ws_seqanalysis.h"

#include "framebytes.h"

/* One arrow per annotated segment: the synfin label on the arrow (with the
 * payload length when there is one), both states after the segment, the
 * relative numbers and the marker in the comment. */
static tap_packet_status
flow_packet(void *ptr, packet_info *pinfo, epan_dissect_t *edt _U_, const void *data,
               tap_flags_t flags _U_)
{
    seq_analysis_info_t *sainfo = (seq_analysis_info_t *)ptr;
    const synfin_tap_rec *tr = (const synfin_tap_rec *)data;
    const lc_result *r = tr->result;
    char label[64];
    char seq[32], ack[32] = "";
    char mark[40] = "";

    seq_analysis_item_t *sai = sequence_analysis_create_sai_with_addresses(pinfo, sainfo);
    if (sai == NULL)
        return TAP_PACKET_DONT_REDRAW;
    sai->frame_number = pinfo->num;
    sai->port_src = tr->sport;
    sai->port_dst = tr->dport;

    lc_result_label(r, label, sizeof(label));
    if (tr->len_known && tr->len > 0)
        sai->frame_label = g_strdup_printf("%s len=%u", label, tr->len);
    else
        sai->frame_label = g_strdup(label);

    if (tr->has_seq_rel)
        g_snprintf(seq, sizeof(seq), "seq=%u", tr->seq_rel);
    else /* an old-connection ACK: another connection's numbers */
        g_strlcpy(seq, "seq=-", sizeof(seq));
    if (tr->has_ack_rel)
        g_snprintf(ack, sizeof(ack), " ack=%u", tr->ack_rel);
    const guint8 *hdr = tr->hdr;
    guint avail = tr->hdr_avail;
    guint32 run = 0;
    if (synfin_marker_of(pinfo, tr->hlen, tr->sport, tr->dport, tr->occurrence, &hdr, &avail, &run))
        g_snprintf(mark, sizeof(mark), " injected run=0x%08x", run);
    sai->comment = g_strdup_printf("client %s, server %s; %s%s%s",
                                   lc_state_name(r->state_client), lc_state_name(r->state_server),
                                   seq, ack, mark);
    sai->line_style = 1;
    sai->conv_num = (guint16)tr->stream;
    sai->display = TRUE;
    g_queue_push_tail(sainfo->items, sai);
    return TAP_PACKET_REDRAW;
}

void
synfin_flowgraph_register(void)
{
    /* Listens to the "synfin" tap (the protocol's filter name). */
    register_seq_analysis("synfin", "TCP lifecycle (synfin)", proto_synfin, NULL, 0, flow_packet);
}
#else
void
synfin_flowgraph_register(void)
{
}
#endif
