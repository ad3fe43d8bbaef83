/* render_tap.c - the Info column suffix and the "synfin" tap record that
 * the statistics tree (stats.c) and the Flow Graph (flowgraph.c) listen to. */
#include <string.h>

#include <epan/column-utils.h>
#include <epan/tap.h>

#include "render.h"

void
synfin_render_column(packet_info *pinfo, const char *label)
{
    /* One string, one append: from 4.2 on every appended string is copied
     * character by character (label-safe), with a cost per call as well. */
    static const char prefix[] = " [synfin: ";
    char buf[sizeof(prefix) + 64 + 1];
    size_t n = strlen(label);
    if (n > 64)
        n = 64;
    memcpy(buf, prefix, sizeof(prefix) - 1);
    memcpy(buf + sizeof(prefix) - 1, label, n);
    buf[sizeof(prefix) - 1 + n] = ']';
    buf[sizeof(prefix) + n] = '\0';
    col_append_str(pinfo->cinfo, COL_INFO, buf);
}

void
synfin_render_tap(packet_info *pinfo, const synfin_segment *seg)
{
    const synfin_input *in = seg->in;
    synfin_tap_rec *tr = wmem_new0(pinfo->pool, synfin_tap_rec);
    /* The listeners run after the dissection: copies in the packet's pool
     * (the stored forms are packed). */
    tr->result = (const lc_result *)wmem_memdup(pinfo->pool, seg->result, sizeof(lc_result));
    tr->stream = in->stream;
    tr->conn = seg->conn != NULL
                   ? (const lc_conn *)wmem_memdup(pinfo->pool, seg->conn, sizeof(lc_conn))
                   : NULL;
    tr->frame = pinfo->num;
    tr->anomalies = seg->anomalies;
    tr->reuse = seg->reuse;
    if (seg->view != NULL) {
        tr->has_rst_check = seg->view->has_rst_check ? TRUE : FALSE;
        tr->rst_check = (guint8)seg->view->rst_check;
        tr->has_vantage = seg->view->has_vantage ? TRUE : FALSE;
        tr->vantage = (guint8)seg->view->vantage;
    }
    tr->sport = in->seg.sport;
    tr->dport = in->seg.dport;
    tr->len = in->seg.len;
    tr->len_known = in->seg.len_known ? TRUE : FALSE;
    tr->hlen = in->hlen;
    tr->occurrence = in->occurrence;
    tr->hdr = in->hdr;
    tr->hdr_avail = in->hdr_avail;
    if (seg->view != NULL && in->have_seg) {
        tr->seq_rel = seg->view->seq_rel;
        tr->has_seq_rel = seg->view->has_seq_rel ? TRUE : FALSE;
        tr->ack_rel = seg->view->ack_rel;
        tr->has_ack_rel = seg->view->has_ack_rel ? TRUE : FALSE;
    }
    tap_queue_packet(synfin_tap, pinfo, tr);
}
