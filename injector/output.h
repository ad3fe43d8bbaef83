/* output.h - what the injector shows: every segment it sends or receives
 * goes through here, is fed to the lifecycle engine (lc_conn_observe, then
 * the Zeek summary) and is printed with the engine's own label and state
 * names, either as a ladder line or as one JSON object, and written to the
 * -w pcap file (LINKTYPE_RAW, so frame numbers there equal "frame" here).
 *
 * JSON field names are the plugin's field names without the "synfin."
 * prefix (docs/injector.md lists them).
 */
#ifndef SYNFIN_INJ_OUTPUT_H
#define SYNFIN_INJ_OUTPUT_H

#include <pcap/pcap.h>
#include <stdio.h>

#include "common.h"
#include "lifecycle.h"
#include "packet.h"
#include "zeek.h"

typedef struct output {
    FILE    *out;            /* stdout */
    bool     json, quiet, verbose;
    pcap_t  *dead;
    pcap_dumper_t *dump;
    uint32_t frame;          /* frames so far, over all exchanges */
} output;

/* One exchange = one connection = one stream. */
typedef struct out_conn {
    lc_conn  lc;
    lc_zeek  zeek;
    uint32_t stream;
    int64_t  t0_ns;          /* time of the first segment */
    int64_t  last_ns;        /* time of the latest segment */
    bool     started;
    bool     scale_known;    /* the window scales are known (after the SYN-ACK) */
    uint8_t  shift[2];       /* window scale of the client's / the server's windows */
} out_conn;

int  output_open(output *o, const char *pcap_file, bool json, bool quiet, bool verbose);
void output_close(output *o);
void out_conn_init(out_conn *c, uint32_t stream);

/* Header for one exchange (ladder only). */
void output_begin(output *o, const out_conn *c, const inj_addr *src, uint16_t sport,
                  const inj_addr *dst, uint16_t dport, uint32_t run_id, const char *guard);

/* The window scales the handshake agreed (RFC 7323): from now on every
 * segment's lc_segment.win_scaled is its window field shifted by its
 * sender's scale (win_known); before, only SYNs have a known window. */
void out_conn_set_scale(out_conn *c, bool known, uint8_t client_shift, uint8_t server_shift);

/* Feeds one segment (IP packet ip, caplen bytes captured of wirelen, parsed
 * as p) to the engine and prints it.  sent: the injector sent it (the
 * client).  Fills *r. */
void output_segment(output *o, out_conn *c, bool sent, const uint8_t *ip, size_t caplen, size_t wirelen,
                    const pkt_tcp *p, int64_t time_ns, lc_result *r);

/* A free-form note in the ladder ("# ..."), suppressed by -q and --json. */
void output_note(output *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
