/* synfin-int.h - what the plugin's files share: the registered ids, the
 * per-segment input read from Wireshark, the tap record, and the functions
 * one file provides to another.  Who owns what is in docs/map.md. */
#ifndef SYNFIN_INT_H
#define SYNFIN_INT_H

#include <wireshark.h>
#include <epan/packet.h>
#include <epan/expert.h>

#include "ws_compat.h"
#include "anomaly.h"
#include "lifecycle.h"
#include "view.h"
#include "zeek.h"

/* ---- ids registered in synfin.c ----------------------------------------- */

extern int proto_synfin;
extern int hf_synfin_stream, hf_synfin_role, hf_synfin_role_guessed, hf_synfin_phase,
    hf_synfin_step, hf_synfin_step_total, hf_synfin_step_merged, hf_synfin_label,
    hf_synfin_state_client, hf_synfin_state_server, hf_synfin_seq_rel, hf_synfin_ack_rel,
    hf_synfin_seq_delta, hf_synfin_ack_delta, hf_synfin_ack_expected, hf_synfin_ack_ok,
    hf_synfin_ack_frame, hf_synfin_isn_client, hf_synfin_isn_server, hf_synfin_syn_frame,
    hf_synfin_synack_frame, hf_synfin_fin_frame, hf_synfin_handshake_rtt,
    hf_synfin_handshake_time, hf_synfin_teardown_initiator, hf_synfin_conn_state,
    hf_synfin_conn_history, hf_synfin_injected, hf_synfin_injected_run,
    hf_synfin_rst_check, hf_synfin_teardown_halfclose, hf_synfin_teardown_time, hf_synfin_vantage,
    hf_synfin_reuse_prev_stream, hf_synfin_reuse_gap, hf_synfin_reuse_isn_higher;
extern gint ett_synfin;
extern expert_field ei_synfin_handshake_step, ei_synfin_teardown_step, ei_synfin_tcp_incomplete;
extern expert_field ei_synfin_anomaly[LC_ANOM_COUNT]; /* one per row of lc_anomalies */
extern int synfin_tap;
/* Other protocols' ids, looked up in handoff / at file open. */
extern int proto_tcp, proto_ws_expert, expert_tap_id;
extern synfin_pref_bool pref_info_column;
extern guint pref_time_wait; /* synfin.time_wait, seconds (spec 8.2) */

/* ---- one TCP layer of a frame, as read from Wireshark ------------------- */

typedef struct synfin_input {
    lc_segment seg;        /* frame, time, seq, ack, len, win, flags, ports */
    guint32    stream;
    guint32    src_hash;   /* hash of the sender's address (synfin_src_hash) */
    gboolean   src_hash_lazy; /* src_hash not computed yet: synfin_src_hash hashes src */
    address    src, dst;   /* the layer's IP addresses (shallow: valid during the dissection) */
    gboolean   have_tap_win; /* seg.win is the TCP tap's th_win (scaled as Wireshark has it) */
    gboolean   tap_seglen; /* the tap record had the segment length (Wireshark scaled th_win) */
    gboolean   have_stream;
    gboolean   have_seg;   /* enough of the header to feed the engine */
    gboolean   incomplete; /* header cut / bogus / exception before the tap */
    guint      hlen;       /* TCP header length from the data offset, 0 unknown */
    guint16    sport, dport;   /* the layer's ports (to find it again) */
    int        occurrence; /* earlier TCP layers of the frame with these ports */
    const guint8 *hdr;     /* the TCP header in the frame's bytes, when located */
    guint      hdr_avail;  /* captured bytes from hdr on */
} synfin_input;

/* What the "synfin" tap carries for each annotated segment (Lua listeners
 * read the fields instead). */
typedef struct synfin_tap_rec {
    const lc_result *result;
    guint32 stream;
    /* Spec section 8, as known at this segment (same on every pass). */
    const lc_conn *conn;    /* the connection as of now (packet-scope copy): whole-connection readings */
    guint32 frame;
    guint32 anomalies;      /* lc_result_anomalies + the reuse bits on the reusing SYN */
    const lc_reuse *reuse;  /* on a connection's first SYN when its 4-tuple was used before */
    guint8  rst_check;      /* LC_RST_CHECK_*, valid if has_rst_check */
    guint8  vantage;        /* LC_VANTAGE_*, valid if has_vantage */
    gboolean has_rst_check, has_vantage;
    /* For the Flow Graph. */
    guint32 seq_rel, ack_rel;
    gboolean has_seq_rel, has_ack_rel;
    guint16 sport, dport;
    guint32 len;
    gboolean len_known;
    /* The marker is looked up lazily by the listeners that want it. */
    guint hlen;
    int occurrence;
    const guint8 *hdr;
    guint hdr_avail;
} synfin_tap_rec;

/* ---- stats.c, flowgraph.c ----------------------------------------------- */

void synfin_stats_register(void);
void synfin_flowgraph_register(void);

#endif
