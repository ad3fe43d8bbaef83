/* output_replay - the injector's printout of a capture it did not make.
 *
 *   output_replay FILE.pcap > out.json
 *
 * Reads every frame of FILE (Ethernet or raw IP) with libpcap, parses it with
 * the injector's own parser (injector/packet.c) and feeds it to the
 * injector's output module (injector/output.c) exactly as a live exchange
 * would, in JSON mode: the sender of the first TCP segment plays the
 * injector (the client).  Frames that are not TCP of that one connection
 * are an error: the frame numbers of the JSON must be the capture's.
 *
 * Lets a test compare the injector's rendering of shapes a live server
 * cannot be made to produce (a simultaneous open) with the plugin's
 * (tests/injector/plugin_agrees.py --no-marker).
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "output.h"
#include "packet.h"

int main(int argc, char **argv)
{
    char err[PCAP_ERRBUF_SIZE];
    if (argc != 2) {
        fprintf(stderr, "usage: output_replay FILE.pcap\n");
        return 2;
    }
    pcap_t *pc = pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_NANO, err);
    if (!pc) {
        fprintf(stderr, "output_replay: %s\n", err);
        return 1;
    }
    int dlt = pcap_datalink(pc);
    if (dlt != DLT_EN10MB && dlt != DLT_RAW) {
        fprintf(stderr, "output_replay: %s: link type %d (want Ethernet or raw IP)\n", argv[1], dlt);
        pcap_close(pc);
        return 1;
    }
    output o;
    out_conn c;
    if (output_open(&o, NULL, true, false, false) != 0) {
        pcap_close(pc);
        return 1;
    }
    out_conn_init(&c, 0);

    struct pcap_pkthdr *h;
    const u_char *bytes;
    inj_addr client;
    uint16_t client_port = 0;
    bool have_client = false;
    unsigned n = 0;
    int rc = 0, got;
    while ((got = pcap_next_ex(pc, &h, &bytes)) == 1) {
        n++;
        const uint8_t *l3 = bytes;
        size_t len = h->caplen;
        uint16_t ethertype = 0;
        if (dlt == DLT_EN10MB) {
            if (len < 14) { rc = 1; break; }
            ethertype = (uint16_t)(bytes[12] << 8 | bytes[13]);
            l3 += 14;
            len -= 14;
        } else if (len > 0) {
            ethertype = (l3[0] >> 4) == 6 ? 0x86dd : 0x0800;
        }
        pkt_tcp t;
        pkt_icmp ic;
        pkt_neigh ng;
        if (pkt_parse(l3, len, ethertype, NULL, &t, &ic, &ng) != PKT_TCP) {
            fprintf(stderr, "output_replay: frame %u is not a TCP segment\n", n);
            rc = 1;
            break;
        }
        if (!have_client) {
            client = t.src;
            client_port = t.sport;
            have_client = true;
        }
        bool sent = inj_addr_eq(&t.src, &client) && t.sport == client_port;
        lc_result r;
        int64_t ns = (int64_t)h->ts.tv_sec * 1000000000 + h->ts.tv_usec; /* nano precision */
        size_t iplen = pkt_ip_len(l3, len);
        output_segment(&o, &c, sent, l3, iplen, iplen, &t, ns, &r);
    }
    if (got == PCAP_ERROR) {
        fprintf(stderr, "output_replay: %s\n", pcap_geterr(pc));
        rc = 1;
    }
    output_close(&o);
    pcap_close(pc);
    return rc;
}
