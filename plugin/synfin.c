/* synfin.c - Wireshark 4.0 post-dissector: every TCP segment's place in its
 * connection's life (handshake step, data, teardown step, reset), both
 * endpoints' RFC 9293 states, relative numbers and deltas, frame links and
 * expert info.  All rules live in the lifecycle engine (lifecycle/); this file
 * only feeds it segments and shows its answers.
 *
 * Input: the TCP tap records (tcp_info_t), fetched with fetch_tapped_data()
 * while the frame is dissected -- no tree and no wanted fields are needed,
 * which keeps the cost close to zero.  Dissection paths that run without
 * taps (tshark -2 first pass, sharkd load and frame requests, GUI packet
 * selection and refiltering) and TCP layers that stopped before their tap
 * point (options cut by the snapshot length, exceptions) fall back to reading
 * the TCP header from the frame bytes (sf_locate).
 *
 * State: one lc_conn per tcp.stream and one lc_result (24 bytes) per segment,
 * both in file-scope chunked arrays (indexed by stream and frame number; a
 * second TCP layer in a frame goes to a small map).  The engine runs only on
 * the first dissection of a frame; every dissection shows the stored
 * snapshot, with the relative numbers recomputed from the raw ones (the bases
 * never change once set), so all passes agree.
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
#include <epan/conversation.h>
#include <epan/column-utils.h>
#include <epan/column-info.h>
#include <epan/dissectors/packet-tcp.h>
#include <epan/stats_tree.h>

#ifdef SYNFIN_HAVE_SEQ_ANALYSIS
/* Not shipped by Debian: tools/fetch-ws-header.sh provides it (see
 * plugin/CMakeLists.txt); the functions are exported by libwireshark. */
#include <epan/sequence_analysis.h>
#endif

#include "lifecycle.h"
#include "zeek.h"
#include "ws_compat.h"

#ifndef SYNFIN_VERSION
#define SYNFIN_VERSION "0.1.0"
#endif

void proto_register_synfin(void);
void proto_reg_handoff_synfin(void);

/* ------------------------------------------------------------------------ */
/* Registration ids                                                          */

static int proto_synfin = -1;
static int hf_stream = -1;
static int hf_role = -1;
static int hf_role_guessed = -1;
static int hf_phase = -1;
static int hf_step = -1;
static int hf_step_total = -1;
static int hf_step_merged = -1;
static int hf_label = -1;
static int hf_state_client = -1;
static int hf_state_server = -1;
static int hf_seq_rel = -1;
static int hf_ack_rel = -1;
static int hf_seq_delta = -1;
static int hf_ack_delta = -1;
static int hf_ack_expected = -1;
static int hf_ack_ok = -1;
static int hf_ack_frame = -1;
static int hf_isn_client = -1;
static int hf_isn_server = -1;
static int hf_syn_frame = -1;
static int hf_synack_frame = -1;
static int hf_fin_frame = -1;
static int hf_hs_rtt = -1;
static int hf_hs_time = -1;
static int hf_td_initiator = -1;
static int hf_conn_state = -1;
static int hf_conn_history = -1;
static int hf_injected = -1;
static int hf_injected_run = -1;

static gint ett_synfin = -1;

static expert_field ei_hs_step = EI_INIT;
static expert_field ei_td_step = EI_INIT;
static expert_field ei_bad_ack = EI_INIT;
static expert_field ei_syn_retrans = EI_INIT;
static expert_field ei_retrans = EI_INIT;
static expert_field ei_refused = EI_INIT;
static expert_field ei_abort = EI_INIT;
static expert_field ei_data_after_fin = EI_INIT;
static expert_field ei_after_close = EI_INIT;
static expert_field ei_midstream = EI_INIT;
static expert_field ei_sim_open = EI_INIT;
static expert_field ei_sim_close = EI_INIT;
static expert_field ei_bad_flags = EI_INIT;
static expert_field ei_syn_reorder = EI_INIT;
static expert_field ei_new_isn = EI_INIT;
static expert_field ei_no_length = EI_INIT;
static expert_field ei_tcp_incomplete = EI_INIT;

static int synfin_tap = -1;

/* Looked up in handoff (other protocols' ids). */
static int tcp_tap_id = -1;
static int proto_tcp = -1;
static int proto_icmp = -1;
static int proto_icmpv6 = -1;
static int proto_ws_expert = -1;
static int expert_tap_id = -1;
static int hf_tcp_srcport = -1;
static int hf_tcp_dstport = -1;

static synfin_pref_bool pref_info_column = TRUE;

static int sf_dummy_listener; /* address only: keeps the TCP tap active */

/* ------------------------------------------------------------------------ */
/* Value strings                                                             */

static const value_string role_vals[] = {
    { LC_ROLE_C2S, "client to server" },
    { LC_ROLE_S2C, "server to client" },
    { 0, NULL }
};

static const value_string phase_vals[] = {
    { LC_PHASE_UNKNOWN,   "unknown" },
    { LC_PHASE_HANDSHAKE, "handshake" },
    { LC_PHASE_DATA,      "data" },
    { LC_PHASE_TEARDOWN,  "teardown" },
    { LC_PHASE_RESET,     "reset" },
    { LC_PHASE_CLOSED,    "closed" },
    { 0, NULL }
};

static const value_string state_vals[] = {
    { LC_CLOSED,       "CLOSED" },
    { LC_LISTEN,       "LISTEN" },
    { LC_SYN_SENT,     "SYN_SENT" },
    { LC_SYN_RECEIVED, "SYN_RECEIVED" },
    { LC_ESTABLISHED,  "ESTABLISHED" },
    { LC_FIN_WAIT_1,   "FIN_WAIT_1" },
    { LC_FIN_WAIT_2,   "FIN_WAIT_2" },
    { LC_CLOSE_WAIT,   "CLOSE_WAIT" },
    { LC_CLOSING,      "CLOSING" },
    { LC_LAST_ACK,     "LAST_ACK" },
    { LC_TIME_WAIT,    "TIME_WAIT" },
    { 0, NULL }
};

static const value_string initiator_vals[] = {
    { 1, "client" },
    { 2, "server" },
    { 3, "both (simultaneous close)" },
    { 0, NULL }
};

/* ------------------------------------------------------------------------ */
/* Per-connection and per-segment storage                                    */

/* One connection (= one tcp.stream).  Endpoint 0 is the first sender seen;
 * later segments are numbered 0/1 by port, or by address when both ports are
 * equal. */
typedef struct sf_conn {
    lc_conn  c;
    lc_zeek  z;          /* Zeek-compatible conn_state and history */
    guint32  ep0_addr_hash;
    guint16  ep0_port;
    guint8   used;       /* c is initialised */
} sf_conn;

/* The stored snapshot of one segment is the engine's lc_result (24 bytes);
 * a zeroed record (valid == 0) means "nothing stored".  The stream number,
 * the sender and the raw numbers come again from the TCP tap record (or the
 * frame bytes) on every pass; relative numbers are recomputed from them (the
 * bases never change once set). */
typedef lc_result sf_rec;

#define SF_MAX_LAYERS  16

/* A file-scope array indexed by a dense number (frame, tcp.stream), grown in
 * zeroed chunks so that memory follows what is used and pointers into it stay
 * valid.  Reset (without freeing: the file scope does that) by sf_init. */
typedef struct sf_table {
    guint8 **chunks;
    guint    nchunks;
    guint    shift;     /* log2 of the elements per chunk */
    size_t   elem;      /* element size */
} sf_table;

static sf_table sf_recs  = { NULL, 0, 12, sizeof(sf_rec) };  /* frame -> record */
static sf_table sf_conns = { NULL, 0, 10, sizeof(sf_conn) }; /* stream -> conn */
static wmem_map_t *sf_overflow; /* (frame << 8 | idx) -> sf_rec, for idx >= 1 */

static void
sf_init(void)
{
    sf_recs.chunks = NULL;
    sf_recs.nchunks = 0;
    sf_conns.chunks = NULL;
    sf_conns.nchunks = 0;
    /* The expert module registers its tap and protocol after the plugins'
     * handoff; by the time a file is opened they exist. */
    expert_tap_id = find_tap_id("expert");
    proto_ws_expert = proto_get_id_by_filter_name("_ws.expert");
}

static void *
sf_table_get(sf_table *t, guint32 index, gboolean create)
{
    guint ci = index >> t->shift;
    if (ci >= t->nchunks) {
        if (!create)
            return NULL;
        guint n = t->nchunks ? t->nchunks : 16;
        while (n <= ci)
            n *= 2;
        guint8 **nc = wmem_alloc0_array(wmem_file_scope(), guint8 *, n);
        if (t->nchunks)
            memcpy(nc, t->chunks, t->nchunks * sizeof(*nc));
        /* the old pointer array stays in the file scope until it ends */
        t->chunks = nc;
        t->nchunks = n;
    }
    if (t->chunks[ci] == NULL) {
        if (!create)
            return NULL;
        t->chunks[ci] = (guint8 *)wmem_alloc0(wmem_file_scope(), t->elem << t->shift);
    }
    return t->chunks[ci] + (index & ((1u << t->shift) - 1)) * t->elem;
}

static guint32
sf_hash_bytes(const void *data, int len)
{
    const guint8 *p = (const guint8 *)data;
    guint32 h = 2166136261u;
    for (int i = 0; i < len; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

static guint32
sf_hash_address(const address *a)
{
    if (a == NULL || a->data == NULL || a->len <= 0)
        return 0;
    return sf_hash_bytes(a->data, a->len);
}

/* The record for (frame, index of the segment within the frame). */
static sf_rec *
sf_rec_get(guint32 frame, guint idx, gboolean create)
{
    if (idx == 0)
        return (sf_rec *)sf_table_get(&sf_recs, frame, create);
    gpointer key = GSIZE_TO_POINTER(((gsize)frame << 8) | (idx & 0xff));
    sf_rec *r = (sf_rec *)wmem_map_lookup(sf_overflow, key);
    if (r == NULL && create) {
        r = wmem_new0(wmem_file_scope(), sf_rec);
        wmem_map_insert(sf_overflow, key, r);
    }
    return r;
}

/* ------------------------------------------------------------------------ */
/* Input: one TCP layer of the frame                                         */

typedef struct sf_input {
    lc_segment seg;        /* frame, time, seq, ack, len, win, flags, ports */
    guint32    stream;
    guint32    src_hash;   /* hash of the sender's address */
    gboolean   have_stream;
    gboolean   have_seg;   /* enough of the header to feed the engine */
    gboolean   incomplete; /* header cut / bogus / exception before the tap */
    guint      hlen;       /* TCP header length from the data offset, 0 unknown */
    guint16    sport, dport;   /* the layer's ports (to find it again) */
    int        occurrence; /* earlier TCP layers of the frame with these ports */
    const guint8 *hdr;     /* the TCP header in the frame's bytes, when located */
    guint      hdr_avail;  /* captured bytes from hdr on */
} sf_input;

static void
sf_input_from_tap(sf_input *in, const tcp_info_t *th)
{
    in->seg.seq = th->th_rawseq;
    in->seg.ack = th->th_rawack;
    in->seg.flags = (guint16)(th->th_flags & 0x0FFF);
    in->seg.win = th->th_win;
    in->seg.sport = th->th_sport;
    in->seg.dport = th->th_dport;
    in->seg.len_known = th->th_have_seglen ? true : false;
    in->seg.len = th->th_have_seglen ? th->th_seglen : 0;
    in->stream = th->th_stream;
    in->have_stream = TRUE;
    in->have_seg = TRUE;
    in->src_hash = sf_hash_address(&th->ip_src);
    in->hlen = th->th_hlen;
}

static guint16
sf_get16(const guint8 *p)
{
    return (guint16)((p[0] << 8) | p[1]);
}

static guint32
sf_get32(const guint8 *p)
{
    return ((guint32)p[0] << 24) | ((guint32)p[1] << 16) | ((guint32)p[2] << 8) | p[3];
}

/* An IPv6 header whose extension-header chain (hop-by-hop, routing,
 * destination options, first fragment) ends at offset o with next header TCP;
 * sets *hdrlen to the length from the IPv6 header to o. */
static const guint8 *
sf_find_ipv6_ext(const guint8 *b, guint o, guint *hdrlen)
{
    for (guint back = 48; back <= 40 + 256 && back <= o; back += 8) {
        const guint8 *ip = b + o - back;
        if ((ip[0] >> 4) != 6)
            continue;
        guint nh = ip[6];
        guint q = o - back + 40;
        while (q < o) {
            guint elen;
            if (nh == 0 || nh == 43 || nh == 60)
                elen = ((guint)b[q + 1] + 1) * 8;
            else if (nh == 44 && (sf_get16(b + q + 2) & 0xfff9) == 0)
                elen = 8; /* atomic fragment */
            else
                break;
            nh = b[q];
            q += elen;
        }
        if (q == o && nh == 6) {
            *hdrlen = back;
            return ip;
        }
    }
    return NULL;
}

/* Fallback when no tap record is available: find the TCP header with these
 * ports in the frame's data sources, right behind an IPv4 header (protocol 6,
 * not a fragment) or an IPv6 header (next header 6, no extension headers),
 * and read what is captured of it.  `occurrence` skips earlier headers with
 * the same ports (several TCP layers in one frame).  Sets in->incomplete when
 * the header is not fully there. */
static gboolean
sf_locate(packet_info *pinfo, guint16 sp, guint16 dp, int occurrence, sf_input *in,
          gboolean header_only)
{
    for (GSList *l = pinfo->data_src; l != NULL; l = l->next) {
        tvbuff_t *t = get_data_source_tvb((const struct data_source *)l->data);
        if (t == NULL)
            continue;
        guint len = tvb_captured_length(t);
        if (len < 24)
            continue;
        const guint8 *b = tvb_get_ptr(t, 0, (gint)len);
        if (b == NULL)
            continue;
        for (guint o = 20; o + 4 <= len; o++) {
            if (b[o] != (sp >> 8) || b[o + 1] != (sp & 0xff) ||
                b[o + 2] != (dp >> 8) || b[o + 3] != (dp & 0xff))
                continue;
            guint iphl = 0, iplen = 0;
            gboolean v6 = FALSE;
            const guint8 *ip = NULL;
            if (o >= 40 && (b[o - 40] >> 4) == 6 && b[o - 40 + 6] == 6) {
                ip = b + o - 40;
                v6 = TRUE;
                iphl = 40;
                iplen = sf_get16(ip + 4);
                iplen = iplen ? iplen + 40 : len - (o - 40);
            } else if ((ip = sf_find_ipv6_ext(b, o, &iphl)) != NULL) {
                v6 = TRUE;
                iplen = sf_get16(ip + 4);
                iplen = iplen ? iplen + 40 : len - (guint)(ip - b);
            } else {
                for (guint h = 20; h <= 60 && h <= o; h += 4) {
                    const guint8 *c = b + o - h;
                    if (c[0] == (0x40 | (h >> 2)) && c[9] == 6 &&
                        (sf_get16(c + 6) & 0x3fff) == 0) {
                        ip = c;
                        iphl = h;
                        iplen = sf_get16(c + 2);
                        if (iplen == 0) /* TSO: length left to the capture */
                            iplen = len - (o - h);
                        break;
                    }
                }
            }
            if (ip == NULL)
                continue;
            if (occurrence-- > 0)
                continue;
            in->hdr = b + o;
            in->hdr_avail = len - o;
            if (len - o >= 13)
                in->hlen = (guint)(b[o + 12] >> 4) * 4;
            if (header_only)
                return TRUE;
            /* The IP layer gets at most what is left of the packet. */
            if (tvb_reported_length(t) >= (guint)(ip - b) &&
                iplen > tvb_reported_length(t) - (guint)(ip - b))
                iplen = tvb_reported_length(t) - (guint)(ip - b);
            /* PPPoE session (RFC 2516) bounds the IP packet with its own
             * length field, which Wireshark honours. */
            if (ip - b >= 8) {
                const guint8 *pp = ip - 8;
                guint16 proto = sf_get16(pp + 6);
                if (pp[0] == 0x11 && pp[1] == 0x00 &&
                    (proto == (v6 ? 0x0057 : 0x0021))) {
                    guint plen = sf_get16(pp + 4);
                    if (plen >= 2 && plen - 2 < iplen)
                        iplen = plen - 2;
                }
            }

            /* Found it. */
            address src, dst;
            if (v6) {
                set_address(&src, AT_IPv6, 16, ip + 8);
                set_address(&dst, AT_IPv6, 16, ip + 24);
            } else {
                set_address(&src, AT_IPv4, 4, ip + 12);
                set_address(&dst, AT_IPv4, 4, ip + 16);
            }
            in->src_hash = sf_hash_bytes(src.data, src.len);
            in->seg.sport = sp;
            in->seg.dport = dp;

            conversation_t *conv = find_conversation(pinfo->num, &src, &dst, CONVERSATION_TCP,
                                                     sp, dp, 0);
            if (conv != NULL && proto_tcp > 0) {
                const struct tcp_analysis *tcpd =
                    (const struct tcp_analysis *)conversation_get_proto_data(conv, proto_tcp);
                if (tcpd != NULL) {
                    in->stream = tcpd->stream;
                    in->have_stream = TRUE;
                }
            }

            guint avail = len - o;
            guint hlen = 0;
            if (avail >= 14) {
                in->seg.seq = sf_get32(b + o + 4);
                in->seg.ack = sf_get32(b + o + 8);
                in->seg.flags = (guint16)(sf_get16(b + o + 12) & 0x0FFF);
                hlen = (guint)(b[o + 12] >> 4) * 4;
                in->seg.win = avail >= 16 ? sf_get16(b + o + 14) : 0;
                in->have_seg = in->have_stream;
            }
            /* Like TCP: the length comes from the IP layer, so it is known
             * even when the capture cut the options or the payload. */
            if (avail >= 14 && hlen >= 20 && iplen >= iphl + hlen) {
                in->seg.len = iplen - iphl - hlen;
                in->seg.len_known = true;
            } else {
                in->seg.len = 0;
                in->seg.len_known = false;
                in->incomplete = TRUE;
            }
            return TRUE;
        }
        /* A reassembled IP payload (data source other than the frame) starts
         * with the TCP header itself; the addresses are the IP layer's. */
        if (l != pinfo->data_src && b[0] == (sp >> 8) && b[1] == (sp & 0xff) &&
            b[2] == (dp >> 8) && b[3] == (dp & 0xff) && occurrence-- == 0) {
            in->hdr = b;
            in->hdr_avail = len;
            in->hlen = (guint)(b[12] >> 4) * 4;
            if (header_only)
                return TRUE;
            in->src_hash = sf_hash_address(&pinfo->src);
            in->seg.sport = sp;
            in->seg.dport = dp;
            conversation_t *conv = find_conversation(pinfo->num, &pinfo->src, &pinfo->dst,
                                                     CONVERSATION_TCP, sp, dp, 0);
            if (conv != NULL && proto_tcp > 0) {
                const struct tcp_analysis *tcpd =
                    (const struct tcp_analysis *)conversation_get_proto_data(conv, proto_tcp);
                if (tcpd != NULL) {
                    in->stream = tcpd->stream;
                    in->have_stream = TRUE;
                }
            }
            guint hlen = (guint)(b[12] >> 4) * 4;
            guint rlen = tvb_reported_length(t);
            in->seg.seq = sf_get32(b + 4);
            in->seg.ack = sf_get32(b + 8);
            in->seg.flags = (guint16)(sf_get16(b + 12) & 0x0FFF);
            in->seg.win = sf_get16(b + 14);
            in->have_seg = in->have_stream;
            if (hlen >= 20 && rlen >= hlen) {
                in->seg.len = rlen - hlen;
                in->seg.len_known = true;
            } else {
                in->incomplete = TRUE;
            }
            return TRUE;
        }
    }
    return FALSE;
}

/* ------------------------------------------------------------------------ */
/* The injector's marker (spec section 6)                                    */

/* RFC 6994 experimental option: kind 253, length 8, ExID 0x5346 ("SF"),
 * then the injector's 4-byte run id in network order. */
#define SF_MARKER_KIND  253
#define SF_MARKER_LEN   8
#define SF_MARKER_EXID  0x5346

/* Walks the option list of the TCP header at h (avail captured bytes from
 * h on) and returns TRUE with the run id when it holds the marker.  The walk
 * ends at EOL, at the end of the header or of the captured bytes, and at the
 * first option whose length byte is missing, below 2 or runs past that end
 * (RFC 9293 section 3.1: a malformed list cannot be parsed any further). */
static gboolean
sf_options_marker(const guint8 *h, guint avail, guint32 *run)
{
    if (h == NULL || avail < 20)
        return FALSE;
    guint hlen = (guint)(h[12] >> 4) * 4;
    guint end = hlen < avail ? hlen : avail;
    guint i = 20;
    while (i < end) {
        guint kind = h[i];
        if (kind == 0)          /* End of Option List */
            break;
        if (kind == 1) {        /* No-Operation */
            i++;
            continue;
        }
        if (end - i < 2)
            break;
        guint olen = h[i + 1];
        if (olen < 2 || olen > end - i)
            break;
        if (kind == SF_MARKER_KIND && olen == SF_MARKER_LEN && sf_get16(h + i + 2) == SF_MARKER_EXID) {
            *run = sf_get32(h + i + 4);
            return TRUE;
        }
        i += olen;
    }
    return FALSE;
}

/* The marker of one TCP layer, read from the frame's bytes on every
 * dissection (so every pass agrees).  A header without options (the common
 * case: data offset 5) costs one comparison; the header is located in the
 * frame only when it has options. */
static gboolean
sf_marker_of(packet_info *pinfo, guint hlen, guint16 sport, guint16 dport, int occurrence,
             const guint8 **hdr, guint *hdr_avail, guint32 *run)
{
    if (hlen <= 20)
        return FALSE;
    if (*hdr == NULL) {
        sf_input tmp;
        memset(&tmp, 0, sizeof(tmp));
        if (!sf_locate(pinfo, sport, dport, occurrence, &tmp, TRUE) || tmp.hdr == NULL)
            return FALSE;
        *hdr = tmp.hdr;
        *hdr_avail = tmp.hdr_avail;
    }
    return sf_options_marker(*hdr, *hdr_avail, run);
}

/* ------------------------------------------------------------------------ */
/* First pass: run the engine and store the snapshot                         */

/* The connection of a segment, created on its first segment when `create`;
 * sets in->seg.from. */
static sf_conn *
sf_conn_of(sf_input *in, gboolean create)
{
    if (!in->have_stream || in->stream >= (1u << 28))
        return NULL;
    sf_conn *conn = (sf_conn *)sf_table_get(&sf_conns, in->stream, create);
    if (conn == NULL)
        return NULL;
    if (!conn->used) {
        if (!create)
            return NULL;
        lc_conn_init(&conn->c);
        lc_zeek_init(&conn->z);
        conn->ep0_port = in->seg.sport;
        conn->ep0_addr_hash = in->src_hash;
        conn->used = 1;
    }
    if (in->seg.sport != in->seg.dport)
        in->seg.from = in->seg.sport == conn->ep0_port ? 0 : 1;
    else
        in->seg.from = in->src_hash == conn->ep0_addr_hash ? 0 : 1;
    return conn;
}

static void
sf_compute(packet_info *pinfo, sf_input *in, sf_rec *st)
{
    memset(st, 0, sizeof(*st));
    if (!in->have_seg || !in->have_stream)
        return;
    sf_conn *conn = sf_conn_of(in, TRUE);
    in->seg.frame = pinfo->num;
    in->seg.time_ns = (gint64)pinfo->abs_ts.secs * 1000000000 + pinfo->abs_ts.nsecs;
    lc_conn_observe(&conn->c, &in->seg, st);
    lc_zeek_observe(&conn->z, &in->seg, st);
}

/* What the "synfin" tap carries for each annotated segment (also to Lua
 * listeners, which read the fields instead). */
typedef struct sf_tap_rec {
    const lc_result *r;
    guint32 stream;
    /* For the Flow Graph (only filled when the synfin tap has listeners). */
    guint32 seq_rel, ack_rel;
    gboolean has_ack_rel;
    guint16 sport, dport;
    guint32 len;
    gboolean len_known;
    /* The marker is looked up lazily by the listeners that want it. */
    guint hlen;
    int occurrence;
    const guint8 *hdr;
    guint hdr_avail;
} sf_tap_rec;

/* ------------------------------------------------------------------------ */
/* Every pass: show a stored snapshot                                        */

static void
sf_add_gen_uint(proto_tree *t, int hf, tvbuff_t *tvb, guint32 v)
{
    proto_item_set_generated(proto_tree_add_uint(t, hf, tvb, 0, 0, v));
}

static void
sf_add_gen_int(proto_tree *t, int hf, tvbuff_t *tvb, gint32 v)
{
    proto_item_set_generated(proto_tree_add_int(t, hf, tvb, 0, 0, v));
}

static void
sf_add_gen_bool(proto_tree *t, int hf, tvbuff_t *tvb, gboolean v)
{
    proto_item_set_generated(proto_tree_add_boolean(t, hf, tvb, 0, 0, v ? 1 : 0));
}

static void
sf_add_gen_time(proto_tree *t, int hf, tvbuff_t *tvb, gint64 ns)
{
    nstime_t d;
    d.secs = (time_t)(ns / 1000000000);
    d.nsecs = (int)(ns % 1000000000);
    proto_item_set_generated(proto_tree_add_time(t, hf, tvb, 0, 0, &d));
}

static void
sf_render(tvbuff_t *tvb, packet_info *pinfo, proto_tree *orig_tree, const sf_rec *st, sf_input *in)
{
    proto_tree *tree = orig_tree;
    const lc_result *r = st;
    const gboolean fed = r != NULL && r->valid;
    const gboolean have_stream = in->have_stream;
    const guint32 stream = in->stream;
    const guint32 frame = pinfo->num;
    const sf_conn *conn = NULL;
    proto_item *ti = NULL;
    proto_tree *t = NULL;
    char label[64];
    gboolean have_label = FALSE;

    if (fed)
        conn = sf_conn_of(in, FALSE);

    /* Build only what somebody looks at: the tree when it is visible or a
     * synfin field is referenced (filter, -e, column), expert info when
     * columns, the expert tap or an expert field want it. */
    if (!proto_field_is_referenced(tree, proto_synfin))
        tree = NULL;
    const gboolean visible = tree != NULL && PTREE_DATA(tree)->visible;
    const gboolean want_col = pref_info_column && pinfo->cinfo != NULL;
    /* Expert info matters to the tree, an expert filter, the expert tap and
     * the Expert column.  Anomalies (rare) are also emitted whenever there
     * are columns, so that the GUI's expert indicator sees them on the first
     * pass; the Chat items of the steps (every few segments) only when the
     * Expert column is shown. */
    const gboolean want_expert_any = tree != NULL ||
        (proto_ws_expert > 0 && proto_field_is_referenced(orig_tree, proto_ws_expert)) ||
        (expert_tap_id >= 0 && have_tap_listener(expert_tap_id));
    const gboolean want_expert = want_expert_any ||
        (pinfo->cinfo != NULL && pinfo->cinfo->col_first != NULL &&
         pinfo->cinfo->col_first[COL_EXPERT] >= 0);
    const gboolean want_anomalies = want_expert || pinfo->cinfo != NULL;
    const gboolean is_step = fed && r->step != 0 &&
        (r->phase == LC_PHASE_HANDSHAKE || r->phase == LC_PHASE_TEARDOWN);
    if (fed && (visible || want_col || (is_step && want_expert) ||
                (tree != NULL && proto_field_is_referenced(tree, hf_label)))) {
        lc_result_label(r, label, sizeof(label));
        have_label = TRUE;
    }

    if (tree != NULL) {
        if (visible) {
            if (have_label) {
                /* Joined by hand: this line is built for every segment. */
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
                ti = proto_tree_add_protocol_format(tree, proto_synfin, tvb, 0, 0, "%s", text);
            }
            else
                ti = proto_tree_add_protocol_format(tree, proto_synfin, tvb, 0, 0,
                        "synfin: TCP header incomplete");
        } else {
            ti = proto_tree_add_item(tree, proto_synfin, tvb, 0, 0, ENC_NA);
        }
        proto_item_set_generated(ti);
        t = proto_item_add_subtree(ti, ett_synfin);

        if (have_stream)
            sf_add_gen_uint(t, hf_stream, tvb, stream);
        /* Present only on marked segments: the presence filter
         * `synfin.injected` means "injected".  Looked for only when the
         * tree is shown or a filter, column or colour rule names the fields. */
        guint32 run = 0;
        if ((proto_field_is_referenced(tree, hf_injected) ||
             proto_field_is_referenced(tree, hf_injected_run)) &&
            sf_marker_of(pinfo, in->hlen, in->sport, in->dport, in->occurrence,
                         &in->hdr, &in->hdr_avail, &run)) {
            sf_add_gen_bool(t, hf_injected, tvb, TRUE);
            proto_item_set_generated(proto_tree_add_uint(t, hf_injected_run, tvb, 0, 0, run));
        }
        if (fed) {
            sf_add_gen_uint(t, hf_role, tvb, lc_result_role(r));
            sf_add_gen_bool(t, hf_role_guessed, tvb, r->role_guessed);
            sf_add_gen_uint(t, hf_phase, tvb, r->phase);
            sf_add_gen_uint(t, hf_step, tvb, r->step);
            if (r->step != 0) {
                sf_add_gen_uint(t, hf_step_total, tvb, r->total4 ? 4 : 3);
                sf_add_gen_bool(t, hf_step_merged, tvb, r->merged);
            }
            if (have_label)
                proto_item_set_generated(proto_tree_add_string(t, hf_label, tvb, 0, 0, label));
            sf_add_gen_uint(t, hf_state_client, tvb, r->state_client);
            sf_add_gen_uint(t, hf_state_server, tvb, r->state_server);
            if (conn != NULL && in->have_seg) {
                guint32 ra = 0;
                sf_add_gen_uint(t, hf_seq_rel, tvb, lc_conn_rel_seq(&conn->c, &in->seg));
                if (lc_conn_rel_ack(&conn->c, &in->seg, &ra))
                    sf_add_gen_uint(t, hf_ack_rel, tvb, ra);
            }
            if (r->has_seq_delta)
                sf_add_gen_int(t, hf_seq_delta, tvb, r->seq_delta);
            if (r->has_ack_delta)
                sf_add_gen_int(t, hf_ack_delta, tvb, r->ack_delta);
            if (r->has_ack_expected) {
                sf_add_gen_uint(t, hf_ack_expected, tvb, r->ack_expected);
                sf_add_gen_bool(t, hf_ack_ok, tvb, r->ack_ok);
            }
            if (r->ack_frame != 0)
                sf_add_gen_uint(t, hf_ack_frame, tvb, r->ack_frame);
            if (conn != NULL) {
                bool known = false;
                guint32 v = lc_conn_isn_at(&conn->c, 0, frame, &known);
                if (known)
                    sf_add_gen_uint(t, hf_isn_client, tvb, v);
                known = false;
                v = lc_conn_isn_at(&conn->c, 1, frame, &known);
                if (known)
                    sf_add_gen_uint(t, hf_isn_server, tvb, v);
                if ((v = lc_conn_syn_frame_before(&conn->c, frame)) != 0)
                    sf_add_gen_uint(t, hf_syn_frame, tvb, v);
                if ((v = lc_conn_synack_frame_before(&conn->c, frame)) != 0)
                    sf_add_gen_uint(t, hf_synack_frame, tvb, v);
                if ((v = lc_conn_peer_fin_frame_before(&conn->c, r, frame)) != 0)
                    sf_add_gen_uint(t, hf_fin_frame, tvb, v);
                /* RTT on the first SYN-ACK (2/3, or 3/4 of a simultaneous
                 * open), handshake time on the step that completes it (3/3,
                 * 4/4): both measured from the client's first SYN. */
                int hs_hf = -1;
                if (r->phase == LC_PHASE_HANDSHAKE && !r->retransmission) {
                    if (r->step == (r->total4 ? 3u : 2u))
                        hs_hf = hf_hs_rtt;
                    else if (r->step == (r->total4 ? 4u : 3u))
                        hs_hf = hf_hs_time;
                }
                int64_t syn_ns;
                if (hs_hf != -1 && lc_conn_syn_time(&conn->c, frame, &syn_ns)) {
                    gint64 now = (gint64)pinfo->abs_ts.secs * 1000000000 + pinfo->abs_ts.nsecs;
                    sf_add_gen_time(t, hs_hf, tvb, now - syn_ns);
                }
                int ini = lc_conn_teardown_initiator_at(&conn->c, frame);
                if (ini != 0)
                    sf_add_gen_uint(t, hf_td_initiator, tvb, (guint32)ini);
                if (LC_ZEEK_SNAP_HAS_STATE(r)) {
                    char hist[LC_ZEEK_HIST_MAX + 1];
                    proto_item_set_generated(proto_tree_add_string(t, hf_conn_state, tvb, 0, 0,
                        lc_zeek_state_name(LC_ZEEK_SNAP_STATE(r))));
                    lc_zeek_history(&conn->z, r, hist, sizeof(hist));
                    proto_item_set_generated(proto_tree_add_string(t, hf_conn_history, tvb, 0, 0, hist));
                }
            }
        }
    }

    /* Expert info: re-emitted on every pass from the stored bits. */
    if (!want_anomalies)
        goto done;
    if (is_step && want_expert)
        expert_add_info_format(pinfo, ti, r->phase == LC_PHASE_HANDSHAKE ? &ei_hs_step : &ei_td_step,
                               "%s %s", r->phase == LC_PHASE_HANDSHAKE ? "Handshake" : "Teardown", label);
    if (in->incomplete)
        expert_add_info(pinfo, ti, &ei_tcp_incomplete);
    if (fed && r->anomalies != 0) {
        const unsigned a = r->anomalies;
        if (a & LC_ANOM_BAD_ACK)        expert_add_info(pinfo, ti, &ei_bad_ack);
        if (a & LC_ANOM_SYN_RETRANS)    expert_add_info(pinfo, ti, &ei_syn_retrans);
        if (a & LC_ANOM_RETRANS)        expert_add_info(pinfo, ti, &ei_retrans);
        if (a & LC_ANOM_REFUSED)        expert_add_info(pinfo, ti, &ei_refused);
        if (a & LC_ANOM_ABORT)          expert_add_info(pinfo, ti, &ei_abort);
        if (a & LC_ANOM_DATA_AFTER_FIN) expert_add_info(pinfo, ti, &ei_data_after_fin);
        if (a & LC_ANOM_AFTER_CLOSE)    expert_add_info(pinfo, ti, &ei_after_close);
        if (a & LC_ANOM_MIDSTREAM)      expert_add_info(pinfo, ti, &ei_midstream);
        if (a & LC_ANOM_SIM_OPEN)       expert_add_info(pinfo, ti, &ei_sim_open);
        if (a & LC_ANOM_SIM_CLOSE)      expert_add_info(pinfo, ti, &ei_sim_close);
        if (a & LC_ANOM_BAD_FLAGS)      expert_add_info(pinfo, ti, &ei_bad_flags);
        if (a & LC_ANOM_SYN_REORDER)    expert_add_info(pinfo, ti, &ei_syn_reorder);
        if (a & LC_ANOM_NEW_ISN)        expert_add_info(pinfo, ti, &ei_new_isn);
        if ((a & LC_ANOM_NO_LENGTH) && !in->incomplete)
            expert_add_info(pinfo, ti, &ei_no_length);
    }

done:
    if (want_col && have_label)
        col_append_lstr(pinfo->cinfo, COL_INFO, " [synfin: ", label, "]", COL_ADD_LSTR_TERMINATOR);

    if (fed && have_stream && have_tap_listener(synfin_tap)) {
        sf_tap_rec *tr = wmem_new0(pinfo->pool, sf_tap_rec);
        tr->r = r;
        tr->stream = stream;
        tr->sport = in->seg.sport;
        tr->dport = in->seg.dport;
        tr->len = in->seg.len;
        tr->len_known = in->seg.len_known ? TRUE : FALSE;
        tr->hlen = in->hlen;
        tr->occurrence = in->occurrence;
        tr->hdr = in->hdr;
        tr->hdr_avail = in->hdr_avail;
        if (conn != NULL && in->have_seg) {
            tr->seq_rel = lc_conn_rel_seq(&conn->c, &in->seg);
            tr->has_ack_rel = lc_conn_rel_ack(&conn->c, &in->seg, &tr->ack_rel) ? TRUE : FALSE;
        }
        tap_queue_packet(synfin_tap, pinfo, tr);
    }
}

/* ------------------------------------------------------------------------ */
/* The post-dissector                                                        */

typedef struct sf_layer {
    guint    num;     /* layer number (position in pinfo->layers, from 1) */
    guint16  sport, dport;
    gboolean quoted;  /* inside an ICMP/ICMPv6 error */
} sf_layer;

static int
dissect_synfin(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    sf_layer layers[SF_MAX_LAYERS];
    guint nlayers = 0;
    gboolean in_icmp = FALSE;
    guint num = 0;

    if (pinfo->layers == NULL || proto_tcp <= 0)
        return 0;
    for (wmem_list_frame_t *f = wmem_list_head(pinfo->layers); f != NULL; f = wmem_list_frame_next(f)) {
        int id = GPOINTER_TO_INT(wmem_list_frame_data(f));
        num++;
        if (id == proto_icmp || id == proto_icmpv6) {
            in_icmp = TRUE;
        } else if (id == proto_tcp && nlayers < SF_MAX_LAYERS) {
            layers[nlayers].num = num;
            layers[nlayers].quoted = in_icmp;
            layers[nlayers].sport = (guint16)GPOINTER_TO_UINT(
                p_get_proto_data(pinfo->pool, pinfo, hf_tcp_srcport, num));
            layers[nlayers].dport = (guint16)GPOINTER_TO_UINT(
                p_get_proto_data(pinfo->pool, pinfo, hf_tcp_dstport, num));
            nlayers++;
        }
    }
    if (nlayers == 0)
        return 0;

    const gboolean visited = PINFO_FD_VISITED(pinfo);
    const tcp_info_t *recs[SF_MAX_LAYERS];
    guint nrecs = 0, next_rec = 0;
    {
        /* The TCP tap records of this frame, one per TCP layer that reached
         * its tap point, in layer order; none on passes without taps. */
        const tcp_info_t *th;
        while (nrecs < SF_MAX_LAYERS &&
               (th = (const tcp_info_t *)fetch_tapped_data(tcp_tap_id, (int)nrecs)) != NULL)
            recs[nrecs++] = th;
    }

    guint seg_idx = 0;
    for (guint i = 0; i < nlayers; i++) {
        const sf_layer *ly = &layers[i];
        const tcp_info_t *th = NULL;
        if (next_rec < nrecs &&
            recs[next_rec]->th_sport == ly->sport && recs[next_rec]->th_dport == ly->dport)
            th = recs[next_rec++];
        if (ly->quoted)
            continue; /* spec section 2: not a segment of the connection */

        {
            sf_input in;
            memset(&in, 0, sizeof(in));
            int occurrence = 0;
            for (guint k = 0; k < i; k++)
                if (layers[k].sport == ly->sport && layers[k].dport == ly->dport)
                    occurrence++;
            in.sport = ly->sport;
            in.dport = ly->dport;
            in.occurrence = occurrence;
            if (th != NULL) {
                sf_input_from_tap(&in, th);
            } else {
                /* No record: taps are off on this pass, or TCP stopped before
                 * its tap point (header cut, bogus header length, exception).
                 * Read what the frame has; when that is not enough to follow
                 * the segment, the header counts as incomplete. */
                if (!sf_locate(pinfo, ly->sport, ly->dport, occurrence, &in, FALSE)) {
                    in.incomplete = TRUE;
                    in.seg.len = 0;
                    in.seg.len_known = false;
                }
            }
            if (!in.have_seg || !in.have_stream)
                in.incomplete = TRUE; /* not followed */
            if (!visited)
                sf_compute(pinfo, &in, sf_rec_get(pinfo->num, seg_idx, TRUE));
            const sf_rec *st = sf_rec_get(pinfo->num, seg_idx, FALSE);
            if ((st != NULL && st->valid) || in.incomplete)
                sf_render(tvb, pinfo, tree, st, &in);
        }
        seg_idx++;
    }
    return seg_idx ? (int)tvb_captured_length(tvb) : 0;
}


/* ------------------------------------------------------------------------ */
/* Statistics: tshark -z synfin,tree and Statistics > synfin in the GUI      */

static const char st_phases[] = "Segments by phase";
static const char st_steps[] = "Handshake and teardown steps";
static const char st_states[] = "Connections by final conn_state (Zeek)";
static const char st_anoms[] = "Anomalies";

static const struct { unsigned bit; const char *name; } st_anom_names[] = {
    { LC_ANOM_BAD_ACK, "handshake ack is not peer ISN + 1" },
    { LC_ANOM_SYN_RETRANS, "SYN or SYN-ACK retransmitted" },
    { LC_ANOM_RETRANS, "step retransmitted" },
    { LC_ANOM_REFUSED, "connection refused (RST)" },
    { LC_ANOM_ABORT, "connection aborted (RST)" },
    { LC_ANOM_DATA_AFTER_FIN, "data after FIN" },
    { LC_ANOM_AFTER_CLOSE, "segment after close" },
    { LC_ANOM_MIDSTREAM, "handshake not captured" },
    { LC_ANOM_SIM_OPEN, "simultaneous open" },
    { LC_ANOM_SIM_CLOSE, "simultaneous close" },
    { LC_ANOM_BAD_FLAGS, "impossible flags" },
    { LC_ANOM_SYN_REORDER, "SYN after its SYN-ACK" },
    { LC_ANOM_NEW_ISN, "SYN with a new ISN" },
    { LC_ANOM_NO_LENGTH, "payload length unknown" },
};

/* Per tree instance (a GUI window, a -z argument): the conn_state each
 * stream had at its latest segment, so that the final count can move a
 * connection from one state to the next. */
static GHashTable *st_instances; /* stats_tree* -> GHashTable(stream -> state + 1) */

static GHashTable *
st_streams_of(stats_tree *st)
{
    if (st_instances == NULL)
        st_instances = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                             (GDestroyNotify)g_hash_table_destroy);
    GHashTable *h = (GHashTable *)g_hash_table_lookup(st_instances, st);
    if (h == NULL) {
        h = g_hash_table_new(g_direct_hash, g_direct_equal);
        g_hash_table_insert(st_instances, st, h);
    }
    return h;
}

static void
st_init(stats_tree *st)
{
    stats_tree_create_node(st, st_phases, 0, STAT_DT_INT, TRUE);
    stats_tree_create_node(st, st_steps, 0, STAT_DT_INT, TRUE);
    stats_tree_create_node(st, st_states, 0, STAT_DT_INT, TRUE);
    stats_tree_create_node(st, st_anoms, 0, STAT_DT_INT, TRUE);
    g_hash_table_remove_all(st_streams_of(st));
}

static void
st_cleanup(stats_tree *st)
{
    if (st_instances != NULL)
        g_hash_table_remove(st_instances, st);
}

static tap_packet_status
st_packet(stats_tree *st, packet_info *pinfo _U_, epan_dissect_t *edt _U_, const void *data,
          tap_flags_t flags _U_)
{
    const sf_tap_rec *tr = (const sf_tap_rec *)data;
    const lc_result *r = tr->r;
    int node;

    node = tick_stat_node(st, st_phases, 0, TRUE);
    tick_stat_node(st, lc_phase_name(r->phase), node, FALSE);

    if (r->step != 0) {
        char label[64];
        lc_result_label(r, label, sizeof(label));
        node = tick_stat_node(st, st_steps, 0, TRUE);
        tick_stat_node(st, label, node, FALSE);
    }

    if (LC_ZEEK_SNAP_HAS_STATE(r)) {
        GHashTable *streams = st_streams_of(st);
        gpointer key = GUINT_TO_POINTER(tr->stream);
        guint now = LC_ZEEK_SNAP_STATE(r) + 1;
        guint before = GPOINTER_TO_UINT(g_hash_table_lookup(streams, key));
        if (before != now) {
            node = stats_tree_parent_id_by_name(st, st_states);
            if (before == 0)
                tick_stat_node(st, st_states, 0, TRUE);
            else
                increase_stat_node(st, lc_zeek_state_name(before - 1), node, FALSE, -1);
            tick_stat_node(st, lc_zeek_state_name(now - 1), node, FALSE);
            g_hash_table_insert(streams, key, GUINT_TO_POINTER(now));
        }
    }

    if (r->anomalies != 0) {
        node = stats_tree_parent_id_by_name(st, st_anoms);
        for (size_t i = 0; i < G_N_ELEMENTS(st_anom_names); i++) {
            if (r->anomalies & st_anom_names[i].bit) {
                tick_stat_node(st, st_anoms, 0, TRUE);
                tick_stat_node(st, st_anom_names[i].name, node, FALSE);
            }
        }
    }
    return TAP_PACKET_REDRAW;
}

/* ------------------------------------------------------------------------ */
/* Flow Graph: Statistics > Flow Graph "synfin", tshark -z flow,synfin,...   */

#ifdef SYNFIN_HAVE_SEQ_ANALYSIS
/* One arrow per annotated segment: the synfin label on the arrow (with the
 * payload length when there is one), both states after the segment, the
 * relative numbers and the marker in the comment. */
static tap_packet_status
sf_flow_packet(void *ptr, packet_info *pinfo, epan_dissect_t *edt _U_, const void *data,
               tap_flags_t flags _U_)
{
    seq_analysis_info_t *sainfo = (seq_analysis_info_t *)ptr;
    const sf_tap_rec *tr = (const sf_tap_rec *)data;
    const lc_result *r = tr->r;
    char label[64];
    char ack[32] = "";
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

    if (tr->has_ack_rel)
        g_snprintf(ack, sizeof(ack), " ack=%u", tr->ack_rel);
    const guint8 *hdr = tr->hdr;
    guint avail = tr->hdr_avail;
    guint32 run = 0;
    if (sf_marker_of(pinfo, tr->hlen, tr->sport, tr->dport, tr->occurrence, &hdr, &avail, &run))
        g_snprintf(mark, sizeof(mark), " injected run=0x%08x", run);
    sai->comment = g_strdup_printf("client %s, server %s; seq=%u%s%s",
                                   lc_state_name(r->state_client), lc_state_name(r->state_server),
                                   tr->seq_rel, ack, mark);
    sai->line_style = 1;
    sai->conv_num = (guint16)tr->stream;
    sai->display = TRUE;
    g_queue_push_tail(sainfo->items, sai);
    return TAP_PACKET_REDRAW;
}
#endif

/* ------------------------------------------------------------------------ */
/* Registration                                                              */

void
proto_register_synfin(void)
{
    static hf_register_info hf[] = {
        { &hf_stream, { "Stream index", "synfin.stream", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Connection number (= tcp.stream)", HFILL } },
        { &hf_role, { "Direction", "synfin.role", FT_UINT8, BASE_DEC, VALS(role_vals), 0x0,
            "1 client to server, 2 server to client", HFILL } },
        { &hf_role_guessed, { "Role guessed", "synfin.role_guessed", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "The client/server roles are not proven by a SYN", HFILL } },
        { &hf_phase, { "Phase", "synfin.phase", FT_UINT8, BASE_DEC, VALS(phase_vals), 0x0,
            NULL, HFILL } },
        { &hf_step, { "Step", "synfin.step", FT_UINT8, BASE_DEC, NULL, 0x0,
            "Step within the phase (0 = not a step)", HFILL } },
        { &hf_step_total, { "Steps in the phase", "synfin.step.total", FT_UINT8, BASE_DEC, NULL, 0x0,
            NULL, HFILL } },
        { &hf_step_merged, { "Merged with the step before", "synfin.step.merged", FT_BOOLEAN, BASE_NONE,
            NULL, 0x0, "This segment also performs the step before it", HFILL } },
        { &hf_label, { "Label", "synfin.label", FT_STRING, BASE_NONE, NULL, 0x0,
            NULL, HFILL } },
        { &hf_state_client, { "Client state", "synfin.state.client", FT_UINT8, BASE_DEC,
            VALS(state_vals), 0x0, "Client's RFC 9293 state after this segment", HFILL } },
        { &hf_state_server, { "Server state", "synfin.state.server", FT_UINT8, BASE_DEC,
            VALS(state_vals), 0x0, "Server's RFC 9293 state after this segment", HFILL } },
        { &hf_seq_rel, { "Relative sequence number", "synfin.seq.rel", FT_UINT32, BASE_DEC, NULL, 0x0,
            NULL, HFILL } },
        { &hf_ack_rel, { "Relative acknowledgment number", "synfin.ack.rel", FT_UINT32, BASE_DEC,
            NULL, 0x0, NULL, HFILL } },
        { &hf_seq_delta, { "Sequence delta", "synfin.seq.delta", FT_INT32, BASE_DEC, NULL, 0x0,
            "Seq minus the previous seq from the same sender", HFILL } },
        { &hf_ack_delta, { "Acknowledgment delta", "synfin.ack.delta", FT_INT32, BASE_DEC, NULL, 0x0,
            "Ack minus the previous ack from the same sender", HFILL } },
        { &hf_ack_expected, { "Expected acknowledgment", "synfin.ack.expected", FT_UINT32, BASE_DEC,
            NULL, 0x0, "Relative ack that covers everything the peer has sent so far", HFILL } },
        { &hf_ack_ok, { "Acknowledgment as expected", "synfin.ack.ok", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "ack == expected (peer seq + 1 in the handshake)", HFILL } },
        { &hf_ack_frame, { "Acknowledges frame", "synfin.ack.frame", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_ACK), 0x0, "Newest peer segment this ack fully covers", HFILL } },
        { &hf_isn_client, { "Client ISN", "synfin.isn.client", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Client's raw initial sequence number", HFILL } },
        { &hf_isn_server, { "Server ISN", "synfin.isn.server", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Server's raw initial sequence number", HFILL } },
        { &hf_syn_frame, { "SYN in frame", "synfin.syn_frame", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_NONE), 0x0, NULL, HFILL } },
        { &hf_synack_frame, { "SYN-ACK in frame", "synfin.synack_frame", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_NONE), 0x0, NULL, HFILL } },
        { &hf_fin_frame, { "Peer's FIN in frame", "synfin.fin_frame", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_NONE), 0x0, NULL, HFILL } },
        { &hf_hs_rtt, { "Handshake RTT", "synfin.handshake.rtt", FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
            "SYN to SYN-ACK", HFILL } },
        { &hf_hs_time, { "Handshake time", "synfin.handshake.time", FT_RELATIVE_TIME, BASE_NONE, NULL,
            0x0, "SYN to the segment that completes the handshake", HFILL } },
        { &hf_td_initiator, { "Teardown initiator", "synfin.teardown.initiator", FT_UINT8, BASE_DEC,
            VALS(initiator_vals), 0x0, NULL, HFILL } },
        { &hf_conn_state, { "Connection state (Zeek)", "synfin.conn.state", FT_STRING, BASE_NONE, NULL,
            0x0, "Zeek conn_state of the connection as of this segment (final on its last segment)",
            HFILL } },
        { &hf_conn_history, { "History (Zeek)", "synfin.conn.history", FT_STRING, BASE_NONE, NULL, 0x0,
            "Zeek-style history letters as of this segment (upper case: originator)", HFILL } },
        { &hf_injected, { "Injected by synfin-inject", "synfin.injected", FT_BOOLEAN, BASE_NONE, NULL,
            0x0, "The segment carries the injector's marker (TCP option 253, ExID 0x5346); "
            "present only on marked segments", HFILL } },
        { &hf_injected_run, { "Injector run id", "synfin.injected.run", FT_UINT32, BASE_HEX, NULL, 0x0,
            "Run id from the injector's marker", HFILL } },

    };
    static gint *ett[] = { &ett_synfin };
    static ei_register_info ei[] = {
        { &ei_hs_step, { "synfin.handshake_step", PI_SEQUENCE, PI_CHAT,
            "Handshake step", EXPFILL } },
        { &ei_td_step, { "synfin.teardown_step", PI_SEQUENCE, PI_CHAT,
            "Teardown step", EXPFILL } },
        { &ei_bad_ack, { "synfin.bad_ack", PI_SEQUENCE, PI_WARN,
            "Handshake ack is not the peer's ISN + 1", EXPFILL } },
        { &ei_syn_retrans, { "synfin.syn_retransmission", PI_SEQUENCE, PI_WARN,
            "SYN or SYN-ACK retransmitted", EXPFILL } },
        { &ei_refused, { "synfin.rst_refused", PI_SEQUENCE, PI_WARN,
            "Connection refused: RST during the handshake", EXPFILL } },
        { &ei_abort, { "synfin.rst_abort", PI_SEQUENCE, PI_WARN,
            "Connection aborted by RST", EXPFILL } },
        { &ei_data_after_fin, { "synfin.data_after_fin", PI_SEQUENCE, PI_WARN,
            "Data beyond the sender's own FIN", EXPFILL } },
        { &ei_after_close, { "synfin.after_close", PI_SEQUENCE, PI_WARN,
            "Segment after both ends closed", EXPFILL } },
        { &ei_midstream, { "synfin.midstream", PI_SEQUENCE, PI_WARN,
            "Handshake not captured: connection picked up mid-stream", EXPFILL } },
        { &ei_bad_flags, { "synfin.bad_flags", PI_MALFORMED, PI_WARN,
            "Impossible TCP flag combination", EXPFILL } },
        { &ei_tcp_incomplete, { "synfin.tcp_incomplete", PI_MALFORMED, PI_WARN,
            "TCP header incomplete: segment not followed", EXPFILL } },
        { &ei_retrans, { "synfin.retransmission", PI_SEQUENCE, PI_NOTE,
            "Handshake or teardown step retransmitted", EXPFILL } },
        { &ei_sim_open, { "synfin.simultaneous_open", PI_SEQUENCE, PI_NOTE,
            "Simultaneous open: both ends sent a SYN", EXPFILL } },
        { &ei_sim_close, { "synfin.simultaneous_close", PI_SEQUENCE, PI_NOTE,
            "Simultaneous close: the FINs crossed", EXPFILL } },
        { &ei_syn_reorder, { "synfin.syn_reordered", PI_SEQUENCE, PI_NOTE,
            "SYN seen after the SYN-ACK that answers it", EXPFILL } },
        { &ei_new_isn, { "synfin.new_isn", PI_SEQUENCE, PI_NOTE,
            "SYN with another ISN on an open connection", EXPFILL } },
        { &ei_no_length, { "synfin.no_length", PI_SEQUENCE, PI_NOTE,
            "Payload length unknown", EXPFILL } },
    };

    proto_synfin = proto_register_protocol("TCP connection lifecycle (synfin)", "SYNFIN", "synfin");
    proto_register_field_array(proto_synfin, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert_register_field_array(expert_register_protocol(proto_synfin), ei, array_length(ei));

    module_t *m = prefs_register_protocol(proto_synfin, NULL);
    prefs_register_bool_preference(m, "info_column", "Show the label in the Info column",
        "Append \" [synfin: LABEL]\" to the Info column of every TCP segment", &pref_info_column);

    synfin_tap = register_tap("synfin");
#ifdef SYNFIN_HAVE_SEQ_ANALYSIS
    /* Listens to the "synfin" tap (the protocol's filter name). */
    register_seq_analysis("synfin", "TCP lifecycle (synfin)", proto_synfin, NULL, 0, sf_flow_packet);
#endif

    sf_overflow = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), g_direct_hash, g_direct_equal);
    register_init_routine(sf_init);
    register_cleanup_routine(sf_init);

    dissector_handle_t h = register_dissector("synfin", dissect_synfin, proto_synfin);
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

    /* Registered as a plugin so that the GUI lists it under Statistics. */
    stats_tree_register_plugin("synfin", "synfin", "TCP lifecycle (synfin)", 0, st_packet, st_init,
                               st_cleanup);

    GString *err = register_tap_listener("tcp", &sf_dummy_listener, NULL, TL_IS_DISSECTOR_HELPER,
                                         NULL, NULL, NULL, NULL);
    if (err != NULL) {
        ws_warning("synfin: cannot listen to the TCP tap: %s", err->str);
        g_string_free(err, TRUE);
    }
}

static void
sf_plugin_register(void)
{
    static proto_plugin plug;
    plug.register_protoinfo = proto_register_synfin;
    plug.register_handoff = proto_reg_handoff_synfin;
    proto_register_plugin(&plug);
}

SYNFIN_PLUGIN_DEFINE(SYNFIN_VERSION, sf_plugin_register, "TCP connection lifecycle (synfin)")
