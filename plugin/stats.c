/* stats.c - the statistics tree: tshark -z synfin,tree and Statistics >
 * TCP lifecycle (synfin) in the GUI, fed by the "synfin" tap.  Counts
 * segments by phase, steps by label, connections by their latest Zeek
 * conn_state, and anomalies (named by the engine's table). */
#include <epan/stats_tree.h>

#include "synfin-int.h"

static const char node_phases[] = "Segments by phase";
static const char node_steps[] = "Handshake and teardown steps";
static const char node_states[] = "Connections by final conn_state (Zeek)";
static const char node_anomalies[] = "Anomalies";

/* Per tree instance (a GUI window, a -z argument): the conn_state each
 * stream had at its latest segment, so that the final count can move a
 * connection from one state to the next. */
static GHashTable *instances; /* stats_tree* -> GHashTable(stream -> state + 1) */

static GHashTable *
streams_of(stats_tree *tree)
{
    if (instances == NULL)
        instances = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                          (GDestroyNotify)g_hash_table_destroy);
    GHashTable *h = (GHashTable *)g_hash_table_lookup(instances, tree);
    if (h == NULL) {
        h = g_hash_table_new(g_direct_hash, g_direct_equal);
        g_hash_table_insert(instances, tree, h);
    }
    return h;
}

static void
stats_init(stats_tree *tree)
{
    stats_tree_create_node(tree, node_phases, 0, STAT_DT_INT, TRUE);
    stats_tree_create_node(tree, node_steps, 0, STAT_DT_INT, TRUE);
    stats_tree_create_node(tree, node_states, 0, STAT_DT_INT, TRUE);
    stats_tree_create_node(tree, node_anomalies, 0, STAT_DT_INT, TRUE);
    g_hash_table_remove_all(streams_of(tree));
}

static void
stats_cleanup(stats_tree *tree)
{
    if (instances != NULL)
        g_hash_table_remove(instances, tree);
}

static tap_packet_status
stats_packet(stats_tree *tree, packet_info *pinfo _U_, epan_dissect_t *edt _U_, const void *data,
             tap_flags_t flags _U_)
{
    const synfin_tap_rec *tr = (const synfin_tap_rec *)data;
    const lc_result *r = tr->result;
    int node;

    node = tick_stat_node(tree, node_phases, 0, TRUE);
    tick_stat_node(tree, lc_phase_name(r->phase), node, FALSE);

    if (r->step != 0) {
        char label[64];
        lc_result_label(r, label, sizeof(label));
        node = tick_stat_node(tree, node_steps, 0, TRUE);
        tick_stat_node(tree, label, node, FALSE);
    }

    if (LC_ZEEK_SNAP_HAS_STATE(r)) {
        GHashTable *streams = streams_of(tree);
        gpointer key = GUINT_TO_POINTER(tr->stream);
        guint now = LC_ZEEK_SNAP_STATE(r) + 1;
        guint before = GPOINTER_TO_UINT(g_hash_table_lookup(streams, key));
        if (before != now) {
            node = stats_tree_parent_id_by_name(tree, node_states);
            if (before == 0)
                tick_stat_node(tree, node_states, 0, TRUE);
            else
                increase_stat_node(tree, lc_zeek_state_name(before - 1), node, FALSE, -1);
            tick_stat_node(tree, lc_zeek_state_name(now - 1), node, FALSE);
            g_hash_table_insert(streams, key, GUINT_TO_POINTER(now));
        }
    }

    if (r->anomalies != 0) {
        node = stats_tree_parent_id_by_name(tree, node_anomalies);
        for (unsigned i = 0; i < LC_ANOM_COUNT; i++) {
            if (r->anomalies & lc_anomalies[i].bit) {
                tick_stat_node(tree, node_anomalies, 0, TRUE);
                tick_stat_node(tree, lc_anomalies[i].stat, node, FALSE);
            }
        }
    }
    return TAP_PACKET_REDRAW;
}

void
synfin_stats_register(void)
{
    /* Registered as a plugin so that the GUI lists it under Statistics. */
    stats_tree_register_plugin("synfin", "synfin", "TCP lifecycle (synfin)", 0, stats_packet,
                               stats_init, stats_cleanup);
}
