/* storage.h - the plugin's memory: one lc_result per TCP segment (indexed
 * by frame number and the segment's position in the frame) and one engine
 * connection per tcp.stream, both in Wireshark's file scope. */
#ifndef SYNFIN_STORAGE_H
#define SYNFIN_STORAGE_H

#include "synfin-int.h"
#include "packed.h"

/* One connection (= one tcp.stream).  Endpoint 0 is the first sender seen;
 * later segments are numbered 0/1 by port, or by address when both ports are
 * equal.  The engine's lc_conn is kept packed (lc_conn_packed, exact), and
 * unpacked in a small cache while the first pass follows it; a connection
 * that does not pack (frames or times too far apart) keeps the full lc_conn
 * in a side map from then on (`wide`).  Read it with synfin_conn_load. */
typedef struct synfin_conn {
    lc_conn_packed pk;   /* unused when wide */
    lc_zeek  zeek;       /* Zeek-compatible conn_state and history */
    guint32  ep0_addr_hash;
    guint16  ep0_port;
    /* Packed into the two bytes after ep0_port (the struct stays 260 bytes):
     * used: conn is initialised (1), and a segment was fed (2);
     * wide: the lc_conn is in the side map, not in pk;
     * ws0, ws1: by lc_segment.from, the sender's window shift as Wireshark's
     * TCP has it on the first pass, plus 2 (0 = -2 no scaling, 1 = -1
     * unknown, 2..16 = shift 0..14);
     * zeek_gap: the Zeek summary missed a segment (a pass that stores no
     * results and shows no Zeek summary drops its part of the step:
     * storage.c, keep_results), so it is never shown for this connection. */
    guint16  used : 2, ws0 : 5, ws1 : 5, wide : 1, zeek_gap : 1;
} synfin_conn;

/* Spec 8.2: a connection whose first bare SYN reused the 4-tuple of an
 * earlier connection (kept only for those, decided on the first pass). */
typedef struct synfin_reuse {
    lc_reuse reuse;
    guint32  frame;      /* the SYN that shows it */
} synfin_reuse;

/* Registers the storage's init/cleanup with the file scope (proto_register). */
void synfin_storage_register(void);

/* The stored snapshot of segment `idx` (0 for the first TCP layer) of a
 * frame into *out; FALSE (and *out zeroed) when nothing is stored (valid ==
 * 0).  in: the segment (its stream, frame and ack: the packed form needs
 * them). */
gboolean synfin_result_load(guint32 frame, guint idx, synfin_input *in, lc_result *out);

/* The connection of a segment, created on its first segment when `create`;
 * sets in->seg.from.  NULL without a stream. */
synfin_conn *synfin_conn_of(synfin_input *in, gboolean create);

/* A hint, as soon as a segment's stream is known: start loading what the
 * first pass will read of that connection (storage.c, "Prefetching"). */
void synfin_conn_prefetch(guint32 stream);

/* The engine connection of sc (stream `stream`): the stored one when it is
 * wide, else unpacked into *buf. */
const lc_conn *synfin_conn_load(const synfin_conn *sc, guint32 stream, lc_conn *buf);

/* The engine connection of tcp.stream `stream` (see synfin_conn_load), NULL
 * when it has none. */
const lc_conn *synfin_conn_by_stream(guint32 stream, lc_conn *buf);

/* The reuse reading of connection `stream`, NULL when it reused nothing. */
const synfin_reuse *synfin_reuse_of(guint32 stream);

/* When synfin_observe may run the engine's work (storage.c, "Engine work
 * put off"). */
typedef enum synfin_step {
    SYNFIN_STEP_NOW,        /* the frame's tree or a synfin tap reads it all */
    SYNFIN_STEP_TAIL_LATER, /* only the label and expert items are shown */
    SYNFIN_STEP_LATER       /* nothing of synfin is shown */
} synfin_step;

/* First pass: feed the segment to the engine and the Zeek summary, storing
 * its snapshot as segment `idx` of the frame, and return it in *out: TRUE
 * when there is one (what synfin_result_load gives back on later passes),
 * FALSE (nothing stored, *out zeroed) when the segment cannot be followed.
 * *sc_out: the segment's connection (NULL without one).  `when`: with
 * SYNFIN_STEP_LATER the step is queued and FALSE returned; with
 * SYNFIN_STEP_TAIL_LATER *out lacks the Zeek snapshot (zeek_*), which is
 * stored later. */
gboolean synfin_observe(packet_info *pinfo, synfin_input *in, guint idx, synfin_step when,
                        lc_result *out, const synfin_conn **sc_out);

/* The hash of the segment's sender address (in->src_hash), computed on first
 * use when the input came from the TCP tap record. */
guint32 synfin_src_hash(synfin_input *in);

#endif
