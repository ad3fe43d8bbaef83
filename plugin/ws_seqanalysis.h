/* ws_seqanalysis.h - the part of Wireshark's Flow Graph API
 * (epan/sequence_analysis.h) that plugin/flowgraph.c uses.
 *
 * libwireshark exports the Flow Graph functions in every supported release,
 * but Debian's libwireshark-dev ships no epan/sequence_analysis.h (4.0, 4.4,
 * 4.6). plugin/CMakeLists.txt picks, in this order:
 *   1. the release's own header, installed or taken from Debian's source
 *      package of the installed version by tools/fetch-ws-header.sh
 *      (SYNFIN_HAVE_SEQ_ANALYSIS_HEADER);
 *   2. otherwise, on the releases whose layout is checked below (4.0, 4.4,
 *      4.6: SYNFIN_OWN_SEQ_ANALYSIS), the declarations in this file.
 *
 * These are our own declarations of what the plugin touches, not a copy of
 * the header: the two structures are declared only up to the last member the
 * plugin reads or writes. That is enough because the plugin never allocates,
 * copies or takes sizeof of them: sequence_analysis_create_sai_with_addresses()
 * allocates the item (with its release's full size, members we do not
 * declare zeroed) and Wireshark owns seq_analysis_info_t.
 *
 * Layout on x86-64, checked against each release (docs/plugin.md, "Flow
 * Graph without the header"): address is { int type; int len; const void
 * *data; void *priv; } (24 bytes, epan/address.h, shipped);
 *
 *   item member        4.0 (gboolean)   4.4 and 4.6 (bool)
 *   frame_number             0                 0
 *   src_addr                 8                 8
 *   port_src                32                32
 *   dst_addr                40                40
 *   port_dst                64                64
 *   frame_label             72                72
 *   time_str                80                80
 *   comment                 88                88
 *   conv_num                96                96
 *   fg_color, bg_color  100, 104          100, 104
 *   has_color_filter       108               108
 *   display                112               109
 *   src_node, dst_node  116, 120          112, 116
 *   line_style             124               120
 *   (then info_type, info_ptr; 4.6 adds free_info_ptr: not declared)
 *
 *   info member        4.0               4.4 and 4.6
 *   name                     0                 0
 *   any_addr                 8 (gboolean)      8 (bool)
 *   nconv                   12                12
 *   items                   16                16
 *   (then the node table: not declared; 4.6 adds an occurrence table)
 *
 * The booleans' type is synfin_ws_bool (ws_compat.h), the one release
 * difference in this part of the API. */
#ifndef SYNFIN_WS_SEQANALYSIS_H
#define SYNFIN_WS_SEQANALYSIS_H

#include "ws_compat.h"

#if defined(SYNFIN_HAVE_SEQ_ANALYSIS_HEADER)
#include <epan/sequence_analysis.h>
#elif defined(SYNFIN_OWN_SEQ_ANALYSIS)

#include <stddef.h>
#include <epan/address.h>
#include <epan/packet_info.h>
#include <epan/tap.h>

/* One arrow of the graph (the prefix the plugin uses). */
typedef struct _seq_analysis_item {
    guint32 frame_number;
    address src_addr;
    guint16 port_src;
    address dst_addr;
    guint16 port_dst;
    gchar *frame_label;       /* text on the arrow */
    gchar *time_str;          /* set by Wireshark */
    gchar *comment;           /* text right of the graph */
    guint16 conv_num;         /* conversation (colour) number */
    unsigned fg_color;
    unsigned bg_color;
    synfin_ws_bool has_color_filter;
    synfin_ws_bool display;   /* drawn or not */
    unsigned src_node;        /* filled in by Wireshark */
    unsigned dst_node;
    guint16 line_style;       /* arrow width */
} seq_analysis_item_t;

/* The graph being built (the prefix the plugin uses). */
typedef struct _seq_analysis_info {
    const char *name;
    synfin_ws_bool any_addr;
    int nconv;
    GQueue *items;            /* the tap callback appends its arrows here */
} seq_analysis_info_t;

/* The layout above, as the table says, for the release being built. */
#if SYNFIN_WS_AT_LEAST(4, 2)
#define SYNFIN_SAI_DISPLAY_OFFSET 109
#define SYNFIN_SAI_LINE_STYLE_OFFSET 120
#else
#define SYNFIN_SAI_DISPLAY_OFFSET 112
#define SYNFIN_SAI_LINE_STYLE_OFFSET 124
#endif
#if defined(__x86_64__)
_Static_assert(offsetof(seq_analysis_item_t, frame_label) == 72, "seq_analysis_item_t.frame_label");
_Static_assert(offsetof(seq_analysis_item_t, comment) == 88, "seq_analysis_item_t.comment");
_Static_assert(offsetof(seq_analysis_item_t, conv_num) == 96, "seq_analysis_item_t.conv_num");
_Static_assert(offsetof(seq_analysis_item_t, display) == SYNFIN_SAI_DISPLAY_OFFSET, "seq_analysis_item_t.display");
_Static_assert(offsetof(seq_analysis_item_t, line_style) == SYNFIN_SAI_LINE_STYLE_OFFSET, "seq_analysis_item_t.line_style");
_Static_assert(offsetof(seq_analysis_info_t, items) == 16, "seq_analysis_info_t.items");
#endif

/* Exported by libwireshark (same signatures in 4.0, 4.4, 4.6; guint and
 * unsigned are one type). */
WS_DLL_PUBLIC void register_seq_analysis(const char *name, const char *ui_name, const int proto_id,
                                         const char *tap_listener, unsigned tap_flags,
                                         tap_packet_cb tap_func);
WS_DLL_PUBLIC seq_analysis_item_t *sequence_analysis_create_sai_with_addresses(packet_info *pinfo,
                                                                               seq_analysis_info_t *sainfo);
#endif

#endif /* SYNFIN_WS_SEQANALYSIS_H */
