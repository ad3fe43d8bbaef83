/* render.h - every pass: showing one stored snapshot.  The post-dissector
 * (synfin.c) decides what is wanted, takes the segment's lc_view from the
 * engine once, and hands both to these renderers. */
#ifndef SYNFIN_RENDER_H
#define SYNFIN_RENDER_H

#include "synfin-int.h"

/* What one segment renders from.  result is NULL or unfed (valid == 0) for
 * a TCP header that could not be followed; view is NULL without a
 * connection; label is NULL when nobody wants it. */
typedef struct synfin_segment {
    const lc_result *result;
    const lc_view   *view;
    synfin_input    *in;
    const char      *label;
    guint32          anomalies; /* the whole set (lc_result_anomalies + reuse bits); 0 unfed */
    const lc_reuse  *reuse;     /* on the SYN that reused a 4-tuple (spec 8.2), else NULL */
    const lc_conn   *conn;      /* the segment's connection (unpacked, this call only); NULL unfed or no view */
} synfin_segment;

/* render_tree.c: the synfin subtree; returns its top item (expert info
 * attaches there).  visible: the tree is shown, so the top line is written
 * out in full. */
proto_item *synfin_render_tree(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
                               gboolean visible, const synfin_segment *seg);

/* render_expert.c: the step's Chat item (when want_step) and the anomalies. */
void synfin_render_expert(packet_info *pinfo, proto_item *ti, const synfin_segment *seg,
                          gboolean want_step);

/* render_tap.c: " [synfin: LABEL]" in the Info column; the "synfin" tap. */
void synfin_render_column(packet_info *pinfo, const char *label);
void synfin_render_tap(packet_info *pinfo, const synfin_segment *seg);

#endif
