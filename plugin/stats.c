/* stats.c - the statistics tree: tshark -z synfin,tree and Statistics >
 * TCP lifecycle (synfin) in the GUI, fed by the "synfin" tap.  Counts
 * segments by phase, steps by label, connections by their latest Zeek
 * conn_state, anomalies (named by the engine's table) and the readings of
 * spec section 8: old-connection ACKs, 4-tuple reuse, RSTs by class,
 * connections by capture point (with the a / b split) and the connections
 * left open at the end of the capture, by each end's state, with the
 * longest time an end has been in it.
 *
 * Node names stay within 38 characters including their indentation, so
 * that tshark's text output keeps its 40-character name column (scripts
 * read the counts from there).  *
 * The tree is fed packet by packet and has no "end of capture" callback, so
 * whole-connection results are kept current as packets arrive: a connection
 * moves from one node to the next as its state changes (as the final
 * conn_state always did), and the "longest" values are recomputed from the
 * latest capture time seen.  On the first pass the connection is as of the
 * packet; on a later pass (the GUI retaps) it is already final, which gives
 * the same totals at the end. */
#include <epan/stats_tree.h>

#include "synfin-int.h"
#include "storage.h"

static const char node_phases[] = "Segments by phase";
static const char node_steps[] = "Handshake and teardown steps";
static const char node_states[] = "Connections by final conn_state (Zeek)";
static const char node_anomalies[] = "Anomalies";
static const char node_old[] = "Old connections (spec 8.1)";
static const char node_old_ack[] = "old-connection ACKs";
static const char node_old_rst[] = "RSTs clearing an old connection";
static const char node_reuse[] = "Reused 4-tuples (spec 8.2)"; /* a letter first: scripts take a line starting with a digit for no node */
static const char node_reuse_tw[] = "inside TIME_WAIT";
static const char node_reuse_tw_lower[] = "inside TIME_WAIT, ISN not higher";
static const char node_reuse_lower[] = "ISN not higher";
static const char node_rst[] = "RSTs by acceptability (spec 8.3)";
static const char node_vantage[] = "Capture point (spec 8.5)";
static const char node_split_a[] = "a: SYN->SYN-ACK, server side (us)";
static const char node_split_b[] = "b: SYN-ACK->ACK, client side (us)";
static const char node_open[] = "Left open at the end (spec 8.4)";
static const char node_longest[] = "longest in this state (ms)";

/* One connection as the tree has counted it (2 bytes: a SYN flood has a
 * connection per segment). */
typedef struct stream_rec {
    guint8 zstate : 4,  /* Zeek conn_state + 1 counted; 0 none */
           open : 1,    /* counted among the connections left open */
           vantage : 1, /* counted by capture point */
           pad : 2;
    guint8 st0 : 4, st1 : 4; /* each end's state counted (while open) */
} stream_rec;

/* Lazy min-heap of (since, stream) per end and state: the earliest entry
 * whose connection is still counted there, and still entered that state at
 * that time, gives the longest.  since: milliseconds from the first capture
 * time the tree saw (8 bytes an entry). */
typedef struct heap_ent {
    gint32  since;
    guint32 stream;
} heap_ent;

#define NSTATES LC_STATE_COUNT

typedef struct stats_inst {
    stream_rec *recs;
    guint32     nrecs;
    GArray     *heap[2][NSTATES];
    guint32     count[2][NSTATES];  /* connections left open with that end in that state */
    gint        shown[2][NSTATES];  /* value last written to the "longest" node */
    gint64      t_end;              /* latest capture time seen */
    gint64      t0;                 /* first capture time seen: the heaps' origin */
    gboolean    have_t;
} stats_inst;

static GHashTable *instances; /* stats_tree* -> stats_inst* */

static void
inst_free(gpointer p)
{
    stats_inst *in = (stats_inst *)p;
    for (int e = 0; e < 2; e++)
        for (int s = 0; s < NSTATES; s++)
            if (in->heap[e][s] != NULL)
                g_array_free(in->heap[e][s], TRUE);
    g_free(in->recs);
    g_free(in);
}

static stats_inst *
inst_of(stats_tree *tree)
{
    if (instances == NULL)
        instances = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, inst_free);
    stats_inst *in = (stats_inst *)g_hash_table_lookup(instances, tree);
    if (in == NULL) {
        in = g_new0(stats_inst, 1);
        g_hash_table_insert(instances, tree, in);
    }
    return in;
}

static stream_rec *
rec_of(stats_inst *in, guint32 stream)
{
    if (stream >= (1u << 28))
        return NULL;
    if (stream >= in->nrecs) {
        guint32 n = in->nrecs ? in->nrecs : 1024;
        while (n <= stream)
            n *= 2;
        in->recs = (stream_rec *)g_realloc(in->recs, (gsize)n * sizeof(stream_rec));
        memset(in->recs + in->nrecs, 0, (gsize)(n - in->nrecs) * sizeof(stream_rec));
        in->nrecs = n;
    }
    return &in->recs[stream];
}

static gint32
rel_ms(const stats_inst *in, gint64 t)
{
    gint64 ms = (t - in->t0) / 1000000;
    return ms > G_MAXINT32 ? G_MAXINT32 : ms < G_MININT32 ? G_MININT32 : (gint32)ms;
}

static unsigned
rec_state(const stream_rec *sr, int e)
{
    return e ? sr->st1 : sr->st0;
}

static gboolean
ent_less(const heap_ent *a, const heap_ent *b)
{
    return a->since < b->since || (a->since == b->since && a->stream < b->stream);
}

static void
heap_push(stats_inst *in, int e, int s, gint32 since, guint32 stream)
{
    if (in->heap[e][s] == NULL)
        in->heap[e][s] = g_array_new(FALSE, FALSE, sizeof(heap_ent));
    GArray *h = in->heap[e][s];
    heap_ent x = { since, stream };
    g_array_append_val(h, x);
    heap_ent *v = (heap_ent *)(void *)h->data;
    guint i = h->len - 1;
    while (i > 0) {
        guint p = (i - 1) / 2;
        if (!ent_less(&v[i], &v[p]))
            break;
        heap_ent t = v[i]; v[i] = v[p]; v[p] = t;
        i = p;
    }
}

static void
heap_pop(GArray *h)
{
    heap_ent *v = (heap_ent *)(void *)h->data;
    guint n = h->len - 1;
    v[0] = v[n];
    g_array_set_size(h, n);
    guint i = 0;
    for (;;) {
        guint l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && ent_less(&v[l], &v[m]))
            m = l;
        if (r < n && ent_less(&v[r], &v[m]))
            m = r;
        if (m == i)
            break;
        heap_ent t = v[i]; v[i] = v[m]; v[m] = t;
        i = m;
    }
}

/* The earliest "since" (ms from t0) of the connections counted in (e, s);
 * FALSE if none.  An entry is stale when its connection left that state or
 * entered it again later; a connection still there gets its current time
 * pushed when its entry turns out stale. */
static gboolean
heap_min(stats_inst *in, int e, int s, gint32 *since)
{
    GArray *h = in->heap[e][s];
    while (h != NULL && h->len > 0) {
        const heap_ent top = *(const heap_ent *)(void *)h->data;
        const stream_rec *sr = top.stream < in->nrecs ? &in->recs[top.stream] : NULL;
        if (sr != NULL && sr->open && rec_state(sr, e) == (unsigned)s) {
            lc_conn buf;
            const lc_conn *c = synfin_conn_by_stream(top.stream, &buf);
            lc_left_open lo;
            if (c != NULL && lc_conn_left_open(c, &lo)) {
                gint32 now = rel_ms(in, lo.since_ns[e]);
                if (now == top.since) {
                    *since = top.since;
                    return TRUE;
                }
                heap_pop(h);
                heap_push(in, e, s, now, top.stream);
                continue;
            }
        }
        heap_pop(h); /* stale: that connection moved on */
    }
    return FALSE;
}

static void
stats_init(stats_tree *tree)
{
    stats_tree_create_node(tree, node_phases, 0, STAT_DT_INT, TRUE);
    stats_tree_create_node(tree, node_steps, 0, STAT_DT_INT, TRUE);
    stats_tree_create_node(tree, node_states, 0, STAT_DT_INT, TRUE);
    stats_tree_create_node(tree, node_anomalies, 0, STAT_DT_INT, TRUE);
    stats_tree_create_node(tree, node_old, 0, STAT_DT_INT, TRUE);
    stats_tree_create_node(tree, node_reuse, 0, STAT_DT_INT, TRUE);
    stats_tree_create_node(tree, node_rst, 0, STAT_DT_INT, TRUE);
    stats_tree_create_node(tree, node_vantage, 0, STAT_DT_INT, TRUE);
    stats_tree_create_node(tree, node_open, 0, STAT_DT_INT, TRUE);
    if (instances != NULL)
        g_hash_table_remove(instances, tree);
    (void)inst_of(tree);
}

static void
stats_cleanup(stats_tree *tree)
{
    if (instances != NULL)
        g_hash_table_remove(instances, tree);
}

/* "client ESTABLISHED", "server CLOSE_WAIT": a child of node_open. */
static void
end_state_name(int e, unsigned s, char *buf, size_t size)
{
    g_snprintf(buf, (gulong)size, "%s %s", e == 0 ? "client" : "server", lc_state_name(s));
}

/* Spec 8.4: move the connection to where lc_conn_left_open puts it now. */
static void
update_left_open(stats_tree *tree, stats_inst *in, stream_rec *sr, guint32 stream, const lc_conn *c)
{
    lc_left_open lo;
    gboolean open = lc_conn_left_open(c, &lo);
    unsigned st[2] = { lo.state[0] < NSTATES ? lo.state[0] : 0, lo.state[1] < NSTATES ? lo.state[1] : 0 };
    if (!open && !sr->open)
        return;
    if (open && sr->open && st[0] == sr->st0 && st[1] == sr->st1)
        return; /* a new entry time in the same state is picked up by heap_min */
    int parent = stats_tree_parent_id_by_name(tree, node_open);
    char name[64];
    for (int e = 0; e < 2; e++) {
        unsigned old = rec_state(sr, e);
        if (sr->open && open && old == st[e])
            continue;
        if (sr->open) {
            end_state_name(e, old, name, sizeof(name));
            increase_stat_node(tree, name, parent, TRUE, -1);
            in->count[e][old]--;
        }
        if (open) {
            end_state_name(e, st[e], name, sizeof(name));
            tick_stat_node(tree, name, parent, TRUE);
            in->count[e][st[e]]++;
            heap_push(in, e, (int)st[e], rel_ms(in, lo.since_ns[e]), stream);
        }
    }
    if (open != (sr->open != 0))
        increase_stat_node(tree, node_open, 0, TRUE, open ? 1 : -1);
    sr->open = open ? 1 : 0;
    if (open) {
        sr->st0 = st[0] & 0xf;
        sr->st1 = st[1] & 0xf;
    }
}

/* The "longest" child of every end state with connections left open: the
 * latest capture time seen minus the earliest entry into that state. */
static void
update_longest(stats_tree *tree, stats_inst *in)
{
    int parent = -1;
    char name[64];
    for (int e = 0; e < 2; e++) {
        for (int s = 0; s < NSTATES; s++) {
            gint32 since;
            gint ms = 0;
            if (in->count[e][s] == 0 && in->shown[e][s] == 0)
                continue;
            if (in->count[e][s] != 0 && heap_min(in, e, s, &since)) {
                gint64 d = (gint64)rel_ms(in, in->t_end) - since;
                ms = d <= 0 ? 0 : d > G_MAXINT ? G_MAXINT : (gint)d;
            }
            if (ms == in->shown[e][s])
                continue;
            if (parent < 0)
                parent = stats_tree_parent_id_by_name(tree, node_open);
            end_state_name(e, (unsigned)s, name, sizeof(name));
            int node = increase_stat_node(tree, name, parent, TRUE, 0); /* its id */
            stats_tree_manip_node_int(MN_SET, tree, node_longest, node, FALSE, ms);
            in->shown[e][s] = ms;
        }
    }
}

static tap_packet_status
stats_packet(stats_tree *tree, packet_info *pinfo, epan_dissect_t *edt _U_, const void *data,
             tap_flags_t flags _U_)
{
    const synfin_tap_rec *tr = (const synfin_tap_rec *)data;
    const lc_result *r = tr->result;
    stats_inst *in = inst_of(tree);
    stream_rec *sr = rec_of(in, tr->stream);
    int node;

    node = tick_stat_node(tree, node_phases, 0, TRUE);
    tick_stat_node(tree, lc_phase_name(r->phase), node, FALSE);

    if (r->step != 0) {
        char label[64];
        lc_result_label(r, label, sizeof(label));
        node = tick_stat_node(tree, node_steps, 0, TRUE);
        tick_stat_node(tree, label, node, FALSE);
    }

    if (LC_ZEEK_SNAP_HAS_STATE(r) && sr != NULL) {
        guint now = LC_ZEEK_SNAP_STATE(r) + 1;
        guint before = sr->zstate;
        if (before != now) {
            node = stats_tree_parent_id_by_name(tree, node_states);
            if (before == 0)
                tick_stat_node(tree, node_states, 0, TRUE);
            else
                increase_stat_node(tree, lc_zeek_state_name(before - 1), node, FALSE, -1);
            tick_stat_node(tree, lc_zeek_state_name(now - 1), node, FALSE);
            sr->zstate = (guint8)now;
        }
    }

    if (tr->anomalies != 0) {
        node = stats_tree_parent_id_by_name(tree, node_anomalies);
        for (unsigned i = 0; i < LC_ANOM_COUNT; i++) {
            if (tr->anomalies & lc_anomalies[i].bit) {
                tick_stat_node(tree, node_anomalies, 0, TRUE);
                tick_stat_node(tree, lc_anomalies[i].stat, node, FALSE);
            }
        }
    }

    /* 8.1 */
    if ((tr->anomalies & LC_ANOM_OLD_CONNECTION) || r->clears_old) {
        node = tick_stat_node(tree, node_old, 0, TRUE);
        tick_stat_node(tree, r->clears_old ? node_old_rst : node_old_ack, node, FALSE);
    }
    /* 8.2: once per connection (its first SYN) */
    if (tr->reuse != NULL) {
        const lc_reuse *ru = tr->reuse;
        node = tick_stat_node(tree, node_reuse, 0, TRUE);
        if (ru->anomalies & (LC_ANOM_REUSE_TIME_WAIT | LC_ANOM_REUSE_TIME_WAIT_LOWER))
            tick_stat_node(tree, node_reuse_tw, node, FALSE);
        if (ru->anomalies & LC_ANOM_REUSE_TIME_WAIT_LOWER)
            tick_stat_node(tree, node_reuse_tw_lower, node, FALSE);
        if (ru->isn_known && !ru->isn_higher)
            tick_stat_node(tree, node_reuse_lower, node, FALSE);
    }
    /* 8.3 */
    if (r->is_rst) {
        node = tick_stat_node(tree, node_rst, 0, TRUE);
        tick_stat_node(tree, lc_rst_check_name(r->rst_check), node, FALSE);
    }
    /* 8.5: once per connection, from the segment that completed the handshake */
    if (tr->has_vantage && sr != NULL && !sr->vantage && tr->conn != NULL) {
        sr->vantage = 1;
        node = tick_stat_node(tree, node_vantage, 0, TRUE);
        int vn = tick_stat_node(tree, lc_vantage_name(tr->vantage), node, TRUE);
        gint64 a, b;
        if (lc_conn_handshake_split(tr->conn, tr->frame, &a, &b)) {
            stats_tree_manip_node_int(MN_AVERAGE, tree, node_split_a, vn, FALSE,
                                      (gint)CLAMP(a / 1000, G_MININT, G_MAXINT));
            stats_tree_manip_node_int(MN_AVERAGE, tree, node_split_b, vn, FALSE,
                                      (gint)CLAMP(b / 1000, G_MININT, G_MAXINT));
        }
    }
    /* 8.4 */
    gint64 t = (gint64)pinfo->abs_ts.secs * 1000000000 + pinfo->abs_ts.nsecs;
    if (!in->have_t) {
        in->t0 = t;
        in->t_end = t;
        in->have_t = TRUE;
    } else if (t > in->t_end) {
        in->t_end = t;
    }
    if (sr != NULL && tr->conn != NULL) {
        update_left_open(tree, in, sr, tr->stream, tr->conn);
    }
    update_longest(tree, in);
    return TAP_PACKET_REDRAW;
}

void
synfin_stats_register(void)
{
    /* Registered as a plugin so that the GUI lists it under Statistics. */
    stats_tree_register_plugin("synfin", "synfin", "TCP lifecycle (synfin)", 0, stats_packet,
                               stats_init, stats_cleanup);
}
