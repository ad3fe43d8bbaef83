/* storage.c - per-frame and per-connection tables in the file scope, and the
 * first-pass step that fills them from the engine.
 *
 * One lc_result (24 bytes) per segment and one synfin_conn per tcp.stream,
 * both in chunked arrays indexed by frame / stream number; a second TCP layer
 * in a frame goes to a small map.  The engine runs only on the first
 * dissection of a frame; later passes read the stored snapshot. */
#include <string.h>

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

static chunk_table results = { NULL, 0, 12, sizeof(lc_result) };  /* frame -> result */
static chunk_table conns = { NULL, 0, 10, sizeof(synfin_conn) };  /* stream -> conn */
static wmem_map_t *results_overflow; /* (frame << 8 | idx) -> lc_result, for idx >= 1 */

static void
storage_reset(void)
{
    results.chunks = NULL;
    results.nchunks = 0;
    conns.chunks = NULL;
    conns.nchunks = 0;
}

void
synfin_storage_register(void)
{
    results_overflow = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), g_direct_hash,
                                              g_direct_equal);
    register_init_routine(storage_reset);
    register_cleanup_routine(storage_reset);
}

static void *
table_get(chunk_table *t, guint32 index, gboolean create)
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

lc_result *
synfin_result_get(guint32 frame, guint idx, gboolean create)
{
    if (idx == 0)
        return (lc_result *)table_get(&results, frame, create);
    gpointer key = GSIZE_TO_POINTER(((gsize)frame << 8) | (idx & 0xff));
    lc_result *r = (lc_result *)wmem_map_lookup(results_overflow, key);
    if (r == NULL && create) {
        r = wmem_new0(wmem_file_scope(), lc_result);
        wmem_map_insert(results_overflow, key, r);
    }
    return r;
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
        lc_conn_init(&sc->conn);
        lc_zeek_init(&sc->zeek);
        sc->ep0_port = in->seg.sport;
        sc->ep0_addr_hash = in->src_hash;
        sc->used = 1;
    }
    if (in->seg.sport != in->seg.dport)
        in->seg.from = in->seg.sport == sc->ep0_port ? 0 : 1;
    else
        in->seg.from = in->src_hash == sc->ep0_addr_hash ? 0 : 1;
    return sc;
}

void
synfin_observe(packet_info *pinfo, synfin_input *in, lc_result *r)
{
    memset(r, 0, sizeof(*r));
    if (!in->have_seg || !in->have_stream)
        return;
    synfin_conn *sc = synfin_conn_of(in, TRUE);
    if (sc == NULL)
        return;
    in->seg.frame = pinfo->num;
    in->seg.time_ns = (gint64)pinfo->abs_ts.secs * 1000000000 + pinfo->abs_ts.nsecs;
    lc_conn_observe(&sc->conn, &in->seg, r);
    lc_zeek_observe(&sc->zeek, &in->seg, r);
}
