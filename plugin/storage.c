/* storage.c - per-frame and per-connection tables in the file scope, and the
 * first-pass step that fills them from the engine.
 *
 * One lc_result_packed (16 bytes) per segment and one synfin_conn (260
 * bytes, the lc_conn packed) per tcp.stream, both in chunked arrays indexed
 * by frame / stream number; a second TCP layer in a frame, a result that
 * does not pack and a connection that does not pack go to small maps.  The
 * engine runs only on the first dissection of a frame; later passes read
 * the stored snapshot. */
#include <stddef.h>
#include <string.h>

#include "framebytes.h"
#include "storage.h"

/* A file-scope array indexed by a dense number (frame, tcp.stream), grown in
 * zeroed chunks so that memory follows what is used and pointers into it stay
 * valid.  Reset (without freeing: the file scope does that) at file start and
 * end. */
typedef struct chunk_table {
    guint8 **chunks;
    guint    nchunks;
    guint    shift;     /* log2 of the elements per chunk */
    size_t   elem;      /* element size */
} chunk_table;

G_STATIC_ASSERT(sizeof(lc_result_packed) == 16);
G_STATIC_ASSERT(sizeof(synfin_conn) == 260);

static chunk_table results = { NULL, 0, 12, sizeof(lc_result_packed) }; /* frame -> result */
static chunk_table conns = { NULL, 0, 10, sizeof(synfin_conn) };  /* stream -> conn */
/* (frame << 8 | idx) -> lc_result: for idx >= 1, and for idx 0 when the
 * result does not pack (its packed slot then says RESULT_FULL). */
static wmem_map_t *results_overflow;
/* stream -> lc_conn, for the connections that do not pack (synfin_conn.wide). */
static wmem_map_t *wide_conns;

/* The connections the first pass is following, unpacked: a direct-mapped
 * cache by stream number, written back (packed) when another stream takes
 * the slot.  Segments of a capture come from a working set of connections
 * that are open at that time, and tcp.stream numbers them in order of their
 * first segment, so the set maps onto distinct slots and a segment costs no
 * unpack and no pack (docs/engine.md "Stored forms").  A connection's latest
 * state is in exactly one place: its hot slot when tagged, else the wide map
 * when wide, else its packed form. */
#define HOT_BITS 9
typedef struct hot_conn {
    guint32 tag;        /* stream + 1; 0: empty */
    lc_conn c;
} hot_conn;
G_STATIC_ASSERT(sizeof(hot_conn) % 64 == 0);
/* Line-aligned: a slot is exactly sizeof(hot_conn) / 64 cache lines. */
static _Alignas(64) hot_conn hot[1u << HOT_BITS];

static hot_conn *
hot_slot(guint32 stream)
{
    return &hot[stream & ((1u << HOT_BITS) - 1)];
}
/* Spec 8.2: the reuse reading of the connections that reused a 4-tuple
 * (stream -> synfin_reuse); the earlier connection is found through
 * Wireshark's own conversation table, so no per-4-tuple memory is kept. */
static wmem_map_t *reuses;

/* The 4-tuples of the connections begun so far, as one bit per hash of the
 * unordered 4-tuple (128 KiB per file, whatever its size): a connection
 * whose bit was clear had no earlier connection on its 4-tuple, and the
 * conversation-table lookup - the dearest step of a new connection, since
 * a miss tries every wildcard form - is skipped. */
#define TUPLE_BITS 20
static guint64 *tuples_seen;

/* Engine work put off on the first pass, run together in capture order
 * when the queue is full or before anything reads what it writes, so the
 * engine's code stays in the instruction cache across a batch instead of
 * being evicted by Wireshark's dissectors between two segments.
 *   - The whole step (lc_conn_observe, lc_zeek_observe, the stored result)
 *     when the frame shows nothing of synfin (tshark -T fields without a
 *     synfin field, the first pass of -2 and of sharkd).
 *   - Only its tail (lc_zeek_observe and the stored result) when the frame
 *     shows the label or expert items but no tree wants synfin and no
 *     synfin tap listens (plain tshark, the Info column): the label needs
 *     lc_conn_observe's answer now, nothing shown needs the rest.  Where no
 *     results are stored (keep_results), the tail is not queued at all:
 *     its only other reader, a frame showing the Zeek summary, does not
 *     come in such a run (synfin_observe; synfin_conn.zeek_gap).
 * Everything that reads the connections, their Zeek summaries or the
 * stored results (synfin_result_load, synfin_conn_load,
 * synfin_conn_by_stream, a step taken at once) runs pending_flush first;
 * an lc_conn_observe taken at once runs the whole steps queued before it. */
#define PENDING_MAX 64
typedef struct pending_step {
    lc_segment   seg;
    lc_result    r;       /* tail: lc_conn_observe's answer (whole: filled when run) */
    synfin_conn *sc;
    guint32      stream;
    guint32      base[2]; /* the connection's relative bases (lc_conn_bases) */
    guint        idx;
    gboolean     tail;
} pending_step;
static pending_step pending[PENDING_MAX];
static guint npending;
static guint npending_whole; /* how many of them are whole steps */

static void pending_run(void);

/* Whether this file's results are stored.  They are read only when a frame
 * is dissected again.  TShark dissects a frame again only in its two-pass
 * mode (-2), whose first pass never fills columns (tshark.c,
 * process_packet_first_pass); a first dissection with columns in TShark is
 * its single pass (plain tshark -r, a live capture that prints lines),
 * which never comes back to a frame.  There nothing is stored: 16 bytes a
 * segment, nearly half of synfin's memory, and the packing.  Everything
 * else stores: Wireshark, sharkd, TShark without columns (-T fields, -2,
 * -q).  Decided on the file's first segment (keep_decide), as the answer
 * holds for a whole run. */
static gboolean keep_results = TRUE;
static gboolean keep_decided;

/* Prefetching.  Between two segments of one connection pass Wireshark's
 * dissections of the segments of every other open connection, which flush
 * most of the cache; a connection's lines are then usually back in main
 * memory, a wait of the order of 100 ns each when read one after the other.
 * So they are asked for all together as early as their address is known:
 * the post-dissector as soon as it has the stream (synfin_conn_prefetch),
 * a batch of put-off steps PREFETCH_AHEAD steps ahead.  A hint only: it
 * changes no state. */
#define PREFETCH_AHEAD 3

static inline void
prefetch_lines(const void *p, size_t n)
{
#if defined(__GNUC__)
    const guint8 *b = (const guint8 *)((guintptr)p & ~(guintptr)63);
    const guint8 *e = (const guint8 *)p + n;
    for (; b < e; b += 64)
        __builtin_prefetch(b, 1, 3);
#else
    (void)p;
    (void)n;
#endif
}

static inline void
pending_flush(void)
{
    if (G_UNLIKELY(npending != 0))
        pending_run();
}

static void
storage_reset(void)
{
    npending = npending_whole = 0; /* the file is gone: nothing left to read them */
    for (guint i = 0; i < G_N_ELEMENTS(hot); i++)
        hot[i].tag = 0;
    results.chunks = NULL;
    results.nchunks = 0;
    conns.chunks = NULL;
    conns.nchunks = 0;
    tuples_seen = NULL; /* the file scope frees it */
    keep_results = TRUE;
    keep_decided = FALSE;
}

void
synfin_storage_register(void)
{
    results_overflow = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), g_direct_hash,
                                              g_direct_equal);
    reuses = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), g_direct_hash,
                                    g_direct_equal);
    wide_conns = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), g_direct_hash,
                                        g_direct_equal);
    register_init_routine(storage_reset);
    register_cleanup_routine(storage_reset);
}

static void *table_grow(chunk_table *t, guint32 index, gboolean create);

/* The element's address: inline when its chunk exists (every segment but a
 * chunk's first), else table_grow. */
static inline void *
table_get(chunk_table *t, guint32 index, gboolean create)
{
    guint ci = index >> t->shift;
    if (G_LIKELY(ci < t->nchunks && t->chunks[ci] != NULL))
        return t->chunks[ci] + (index & ((1u << t->shift) - 1)) * t->elem;
    return table_grow(t, index, create);
}

static void *
table_grow(chunk_table *t, guint32 index, gboolean create)
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

/* A packed slot whose result is in results_overflow: a valid packed result
 * never has bit 15 of its anomalies (LC_ANOM_STORED_COUNT is 15). */
#define RESULT_FULL 0x8000u

static guint16
slot_anomalies(const lc_result_packed *p)
{
    guint16 a;
    memcpy(&a, p->tail, sizeof(a));
    return a;
}

static gpointer
overflow_key(guint32 frame, guint idx)
{
    return GSIZE_TO_POINTER(((gsize)frame << 8) | (idx & 0xff));
}

/* Stores the result of segment idx of frame; base: the connection's
 * relative bases (lc_conn_bases), which the packed form needs. */
static void
result_store(guint32 frame, guint idx, const guint32 base[2], const lc_segment *s, const lc_result *r)
{
    if (idx == 0) {
        lc_result_packed *p = (lc_result_packed *)table_get(&results, frame, TRUE);
        if (lc_result_pack(r, frame, s->ack, base, p))
            return;
        guint16 a = RESULT_FULL;
        memset(p, 0, sizeof(*p));
        memcpy(p->tail, &a, sizeof(a));
    }
    wmem_map_insert(results_overflow, overflow_key(frame, idx),
                    wmem_memdup(wmem_file_scope(), r, sizeof(*r)));
}

gboolean
synfin_result_load(guint32 frame, guint idx, synfin_input *in, lc_result *out)
{
    memset(out, 0, sizeof(*out));
    pending_flush();
    if (idx == 0) {
        const lc_result_packed *p = (const lc_result_packed *)table_get(&results, frame, FALSE);
        if (p == NULL)
            return FALSE;
        if (!(slot_anomalies(p) & RESULT_FULL)) {
            if (!lc_result_packed_valid(p))
                return FALSE;
            /* The bases of the segment's connection (set once, never changed). */
            guint32 base[2] = { 0, 0 };
            const synfin_conn *sc = synfin_conn_of(in, FALSE);
            if (sc != NULL && (sc->wide || hot_slot(in->stream)->tag == in->stream + 1)) {
                lc_conn buf;
                lc_conn_bases(synfin_conn_load(sc, in->stream, &buf), base);
            } else if (sc != NULL) {
                lc_conn_packed_bases(&sc->pk, base);
            }
            lc_result_unpack(p, frame, in->seg.ack, base, out);
            return TRUE;
        }
    }
    const lc_result *r = (const lc_result *)wmem_map_lookup(results_overflow, overflow_key(frame, idx));
    if (r == NULL || !r->valid)
        return FALSE;
    *out = *r;
    return TRUE;
}

guint32
synfin_src_hash(synfin_input *in)
{
    if (in->src_hash_lazy) {
        in->src_hash = synfin_hash_address(&in->src);
        in->src_hash_lazy = FALSE;
    }
    return in->src_hash;
}

synfin_conn *
synfin_conn_of(synfin_input *in, gboolean create)
{
    if (!in->have_stream || in->stream >= (1u << 28))
        return NULL;
    synfin_conn *sc = (synfin_conn *)table_get(&conns, in->stream, create);
    if (sc == NULL)
        return NULL;
    if (!sc->used) {
        if (!create)
            return NULL;
        lc_conn c;
        lc_conn_init(&c);
        if (!lc_conn_pack(&c, &sc->pk))
            g_assert_not_reached(); /* a fresh connection always packs */
        lc_zeek_init(&sc->zeek);
        sc->ep0_port = in->seg.sport;
        sc->ep0_addr_hash = synfin_src_hash(in);
        sc->ws0 = sc->ws1 = 1; /* -1: unknown */
        sc->zeek_gap = 0;
        sc->used = 1;
    }
    if (in->seg.sport != in->seg.dport)
        in->seg.from = in->seg.sport == sc->ep0_port ? 0 : 1;
    else
        in->seg.from = synfin_src_hash(in) == sc->ep0_addr_hash ? 0 : 1;
    return sc;
}

const lc_conn *
synfin_conn_load(const synfin_conn *sc, guint32 stream, lc_conn *buf)
{
    pending_flush();
    if (sc->wide)
        return (const lc_conn *)wmem_map_lookup(wide_conns, GUINT_TO_POINTER(stream));
    const hot_conn *h = hot_slot(stream);
    if (h->tag == stream + 1)
        return &h->c;
    lc_conn_unpack(&sc->pk, buf);
    return buf;
}

/* The writable lc_conn of sc (first pass): the wide one, else its hot slot,
 * after writing back the connection that held the slot. */
static lc_conn *
conn_for_update(synfin_conn *sc, guint32 stream)
{
    if (sc->wide)
        return (lc_conn *)wmem_map_lookup(wide_conns, GUINT_TO_POINTER(stream));
    hot_conn *h = hot_slot(stream);
    if (h->tag == stream + 1)
        return &h->c;
    if (h->tag != 0) {
        synfin_conn *old = (synfin_conn *)table_get(&conns, h->tag - 1, FALSE);
        if (!lc_conn_pack(&h->c, &old->pk)) {
            /* From now on the full form: frames or times too far apart to pack. */
            wmem_map_insert(wide_conns, GUINT_TO_POINTER(h->tag - 1),
                            wmem_memdup(wmem_file_scope(), &h->c, sizeof(h->c)));
            old->wide = 1;
        }
    }
    lc_conn_unpack(&sc->pk, &h->c);
    h->tag = stream + 1;
    return &h->c;
}

void
synfin_conn_prefetch(guint32 stream)
{
    /* The hot slot, and what synfin_conn_of and window_of read of the
     * record (the fields after the packed form and the Zeek summary). */
    prefetch_lines(hot_slot(stream), sizeof(hot_conn));
    const synfin_conn *sc = (const synfin_conn *)table_get(&conns, stream, FALSE);
    if (sc != NULL)
        prefetch_lines(&sc->ep0_addr_hash,
                       sizeof(*sc) - offsetof(synfin_conn, ep0_addr_hash));
}

const lc_conn *
synfin_conn_by_stream(guint32 stream, lc_conn *buf)
{
    synfin_input in;
    memset(&in, 0, sizeof(in));
    in.have_stream = TRUE;
    in.stream = stream;
    const synfin_conn *sc = synfin_conn_of(&in, FALSE);
    return sc != NULL ? synfin_conn_load(sc, stream, buf) : NULL;
}

const synfin_reuse *
synfin_reuse_of(guint32 stream)
{
    return (const synfin_reuse *)wmem_map_lookup(reuses, GUINT_TO_POINTER(stream));
}

/* The `from` value (0/1) that a segment from (src_hash, sport) has in sc. */
static guint
from_in(const synfin_conn *sc, synfin_input *in)
{
    if (in->seg.sport != in->seg.dport)
        return in->seg.sport == sc->ep0_port ? 0 : 1;
    return synfin_src_hash(in) == sc->ep0_addr_hash ? 0 : 1;
}

/* Marks the segment's 4-tuple in tuples_seen; TRUE when it was marked
 * already (a reuse, or another 4-tuple with the same hash). */
static gboolean
tuple_seen_before(synfin_input *in)
{
    if (tuples_seen == NULL)
        tuples_seen = (guint64 *)wmem_alloc0(wmem_file_scope(), (1u << TUPLE_BITS) / 8);
    /* Each end (address hash, port) mixed alone, the two summed: the same
     * value from either direction. */
    guint64 a = ((guint64)synfin_src_hash(in) << 16 | in->seg.sport) * 0x9e3779b97f4a7c15ull;
    guint64 b = ((guint64)synfin_hash_address(&in->dst) << 16 | in->seg.dport) * 0x9e3779b97f4a7c15ull;
    guint64 h = (a ^ (a >> 29)) + (b ^ (b >> 29));
    h *= 0xff51afd7ed558ccdull;
    const guint32 bit = (guint32)(h >> (64 - TUPLE_BITS));
    const guint64 mask = G_GUINT64_CONSTANT(1) << (bit & 63);
    const gboolean seen = (tuples_seen[bit >> 6] & mask) != 0;
    tuples_seen[bit >> 6] |= mask;
    return seen;
}

/* Spec 8.2, on the first segment of a connection: when it is a bare SYN
 * and its 4-tuple had an earlier connection (the TCP conversation the
 * 4-tuple had at the frame before: Wireshark set up this connection's at
 * this frame), take the reuse reading against that connection as it stands
 * now (first pass: every earlier segment seen). */
static void
tuple_first_segment(synfin_input *in)
{
    const guint16 bare = in->seg.flags & (LC_SYN | LC_ACK | LC_RST | LC_FIN);
    guint32 prev_stream;
    if (!tuple_seen_before(in) || bare != LC_SYN || in->seg.frame <= 1 ||
        !synfin_stream_at(in->seg.frame - 1, &in->src, &in->dst, in->seg.sport, in->seg.dport,
                          &prev_stream) ||
        prev_stream == in->stream)
        return;
    synfin_input pin;
    memset(&pin, 0, sizeof(pin));
    pin.have_stream = TRUE;
    pin.stream = prev_stream;
    const synfin_conn *prev = synfin_conn_of(&pin, FALSE);
    if (prev == NULL)
        return;
    lc_tuple_prev tp;
    synfin_reuse sr;
    lc_conn buf;
    const lc_conn *pc = synfin_conn_load(prev, prev_stream, &buf);
    lc_tuple_prev_from_conn(&tp, pc, prev_stream);
    /* Which end of the earlier connection sends this SYN. */
    guint role = from_in(prev, in) == pc->client_from ? 0 : 1;
    if (lc_reuse_check(&tp, role, &in->seg, pref_time_wait, &sr.reuse)) {
        sr.frame = in->seg.frame;
        wmem_map_insert(reuses, GUINT_TO_POINTER(in->stream),
                        wmem_memdup(wmem_file_scope(), &sr, sizeof(sr)));
    }
}

/* Spec 8.3 input: the segment's window as Wireshark has it (tcp.window_size)
 * and whether its scale is known, following the TCP dissector's own rule
 * (packet-tcp.c: a SYN's window is never scaled; a window-scale option on a
 * SYN or SYN-ACK sets the sender's shift, capped at 14; a SYN without one, or
 * a SYN-ACK answering a SYN without one, means no scaling for both / that
 * end; unknown (-1) until then).  Kept per connection by `from`, in capture
 * order on the first pass, so it is Wireshark's first-pass value. */
static gint
ws_get(const synfin_conn *sc, guint from)
{
    return (gint)(from ? sc->ws1 : sc->ws0) - 2;
}

static void
ws_set(synfin_conn *sc, guint from, gint ws)
{
    if (from)
        sc->ws1 = (guint)(ws + 2) & 0x1f;
    else
        sc->ws0 = (guint)(ws + 2) & 0x1f;
}

static void
window_of(packet_info *pinfo, synfin_conn *sc, synfin_input *in)
{
    const guint from = in->seg.from & 1;
    const gboolean syn = (in->seg.flags & LC_SYN) != 0;
    gint ws = ws_get(sc, from);
    if (syn) {
        in->seg.win_known = true;
        in->seg.win_scaled = in->seg.win;
    } else if (in->have_tap_win) {
        /* th_win: scaled by Wireshark when it had the segment length */
        in->seg.win_known = in->tap_seglen && ws != -1;
        in->seg.win_scaled = in->seg.win;
    } else {
        in->seg.win_known = ws != -1 && in->seg.len_known;
        in->seg.win_scaled = ws >= 0 ? (guint32)(in->seg.win & 0xffff) << ws : in->seg.win;
    }
    if (!syn)
        return;
    /* The SYN's own options: they set this end's shift for what follows. */
    gint opt = -1;
    if (in->hlen > 20) {
        const guint8 *h = in->hdr;
        guint avail = in->hdr_avail;
        if (h == NULL) {
            synfin_input tmp;
            memset(&tmp, 0, sizeof(tmp));
            if (synfin_locate(pinfo, in->sport, in->dport, in->occurrence, &tmp, TRUE)) {
                h = tmp.hdr;
                avail = tmp.hdr_avail;
            }
        }
        if (h != NULL)
            opt = synfin_wscale_option(h, avail);
    }
    if (opt >= 0)
        ws_set(sc, from, opt);
    if (ws_get(sc, from) == -1) {
        ws_set(sc, from, -2);
        ws_set(sc, from ^ 1, -2);
    } else if ((in->seg.flags & LC_ACK) && ws_get(sc, from ^ 1) == -2) {
        ws_set(sc, from, -2);
    }
}

/* The step's first half: the connection's own rules (lc_conn_observe) into
 * *r, and the connection's relative bases that storing r needs. */
static void
step_conn(synfin_conn *sc, guint32 stream, const lc_segment *seg, lc_result *r, guint32 base[2])
{
    lc_conn *c = conn_for_update(sc, stream);
    lc_conn_observe(c, seg, r);
    lc_conn_bases(c, base);
}

/* The step's tail: the Zeek summary, then the stored result. */
static void
step_tail(synfin_conn *sc, guint idx, const guint32 base[2], const lc_segment *seg, lc_result *r)
{
    if (G_LIKELY(!sc->zeek_gap))
        lc_zeek_observe(&sc->zeek, seg, r); /* else r has no Zeek snapshot: nothing shown */
    if (keep_results)
        result_store(seg->frame, idx, base, seg, r);
}

static void
keep_decide(packet_info *pinfo)
{
    keep_results = !(pinfo->cinfo != NULL && synfin_program_is_tshark());
    keep_decided = TRUE;
}

/* The lines a queued step will read: the Zeek summary, and for a whole
 * step its hot slot. */
static inline void
pending_prefetch(const pending_step *p)
{
    prefetch_lines(&p->sc->zeek, sizeof(p->sc->zeek));
    if (!p->tail)
        prefetch_lines(hot_slot(p->stream), sizeof(hot_conn));
}

static void
pending_run(void)
{
    const guint n = npending;
    npending = npending_whole = 0;
    for (guint i = 0; i < n && i < PREFETCH_AHEAD; i++)
        pending_prefetch(&pending[i]);
    for (guint i = 0; i < n; i++) {
        pending_step *p = &pending[i];
        if (i + PREFETCH_AHEAD < n)
            pending_prefetch(&pending[i + PREFETCH_AHEAD]);
        if (!p->tail) {
            memset(&p->r, 0, sizeof(p->r));
            step_conn(p->sc, p->stream, &p->seg, &p->r, p->base);
        }
        step_tail(p->sc, p->idx, p->base, &p->seg, &p->r);
    }
}

/* Queues the segment's step: the whole of it, or (r and base given: what
 * step_conn gave) its tail; runs the queue when it is full. */
static void
pending_add(synfin_conn *sc, const synfin_input *in, guint idx, const lc_result *r,
            const guint32 base[2])
{
    pending_step *p = &pending[npending++];
    p->seg = in->seg;
    p->sc = sc;
    p->stream = in->stream;
    p->idx = idx;
    p->tail = r != NULL;
    if (p->tail) {
        p->r = *r;
        p->base[0] = base[0];
        p->base[1] = base[1];
    } else {
        npending_whole++;
    }
    if (npending == PENDING_MAX)
        pending_run();
}

gboolean
synfin_observe(packet_info *pinfo, synfin_input *in, guint idx, synfin_step when, lc_result *out,
               const synfin_conn **sc_out)
{
    memset(out, 0, sizeof(*out));
    *sc_out = NULL;
    if (!in->have_seg || !in->have_stream)
        return FALSE;
    synfin_conn *sc = synfin_conn_of(in, TRUE);
    if (sc == NULL)
        return FALSE;
    in->seg.frame = pinfo->num;
    in->seg.time_ns = (gint64)pinfo->abs_ts.secs * 1000000000 + pinfo->abs_ts.nsecs;
    if (G_UNLIKELY(!keep_decided))
        keep_decide(pinfo);
    /* What needs the frame (its options, Wireshark's conversations) now. */
    window_of(pinfo, sc, in);
    if (sc->used == 1) {
        tuple_first_segment(in);
        sc->used = 2;
    }
    if (when == SYNFIN_STEP_LATER) {
        pending_add(sc, in, idx, NULL, NULL);
        return FALSE;
    }
    if (when == SYNFIN_STEP_NOW || npending_whole != 0)
        pending_flush();
    *sc_out = sc;
    guint32 base[2];
    step_conn(sc, in->stream, &in->seg, out, base);
    if (when == SYNFIN_STEP_TAIL_LATER) {
        /* Without stored results the tail's one reader left is a frame that
         * shows the connection's Zeek summary (a synfin field or tap), and
         * in a TShark single pass every frame asks what the first asked:
         * none will.  The tail is dropped; should a frame ask after all, the
         * connection shows no Zeek summary rather than a wrong one. */
        if (keep_results)
            pending_add(sc, in, idx, out, base);
        else if (!sc->zeek_gap)
            sc->zeek_gap = 1;
    } else
        step_tail(sc, idx, base, &in->seg, out);
    return out->valid;
}
