/* render_tap.c - the Info column suffix and the "synfin" tap record that
 * the statistics tree (stats.c) and the Flow Graph (flowgraph.c) listen to. */
#include <string.h>

#include <epan/column-utils.h>
#include <epan/column-info.h>
#include <epan/tap.h>

#include "render.h"

void
synfin_render_column(packet_info *pinfo, const char *label)
{
    /* What col_append_str(cinfo, COL_INFO, " [synfin: LABEL]") does, done
     * here: from 4.2 on col_append_str copies every appended character
     * through a label-safe UTF-8 copy, some 500 instructions a segment for
     * this suffix, which is plain ASCII (the engine's labels) and which that
     * copy would leave as it is.  The same rules as Wireshark's: only when
     * the column is writable, into every column that shows the Info
     * column, a column last set by col_set_str() first copied into its
     * buffer, at most COL_MAX_INFO_LEN - 1 characters in all. */
    static const char prefix[] = " [synfin: ";
    const size_t np = sizeof(prefix) - 1;
    column_info *cinfo = pinfo->cinfo;
    if (!col_get_writable(cinfo, COL_INFO) || cinfo->col_first[COL_INFO] < 0)
        return;
    size_t nl = strlen(label);
    for (int i = cinfo->col_first[COL_INFO]; i <= cinfo->col_last[COL_INFO]; i++) {
        col_item_t *ci = &cinfo->columns[i];
        if (!ci->fmt_matx[COL_INFO])
            continue;
        if (ci->col_data != ci->col_buf) {
            g_strlcpy(ci->col_buf, ci->col_data, COL_MAX_INFO_LEN);
            ci->col_data = ci->col_buf;
        }
        char *d = ci->col_buf;
        size_t pos = strlen(d); /* < COL_MAX_INFO_LEN, the buffer's size */
        if (G_LIKELY(pos + np + nl + 1 < COL_MAX_INFO_LEN)) {
            memcpy(d + pos, prefix, np);
            memcpy(d + pos + np, label, nl);
            d[pos + np + nl] = ']';
            d[pos + np + nl + 1] = '\0';
        } else {
            g_strlcat(d, prefix, COL_MAX_INFO_LEN);
            g_strlcat(d, label, COL_MAX_INFO_LEN);
            g_strlcat(d, "]", COL_MAX_INFO_LEN);
        }
    }
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
