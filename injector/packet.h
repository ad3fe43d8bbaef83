/* packet.h - the injector's segments on the wire: building IPv4/IPv6 + TCP
 * headers with options and checksums, parsing captured frames (TCP, quoted
 * headers in ICMP errors, ARP requests, neighbour solicitations), what an
 * ICMP/ICMPv6 error means (its text, hard or soft), the MSS a link MTU
 * allows, and building ARP replies and neighbour advertisements.
 *
 * Pure functions on caller buffers; no sockets, no allocation.
 * Received TCP checksums are never checked: segments from a local server are
 * captured before the checksum is finished (offload).
 */
#ifndef SYNFIN_INJ_PACKET_H
#define SYNFIN_INJ_PACKET_H

#include "common.h"

#define INJ_PKT_MAX      65600

/* TCP options of one segment, sent or received. */
typedef struct tcp_opts {
    bool     has_mss, has_wscale, sack_ok, has_ts, has_marker;
    uint16_t mss;
    uint8_t  wscale;
    uint32_t tsval, tsecr;
    uint32_t run_id;          /* marker */
    uint8_t  sack_n;          /* SACK blocks to send (RFC 2018); not parsed on receive */
    uint32_t sack[4][2];      /* left edge, right edge */
} tcp_opts;

/* A segment to send. */
typedef struct seg_spec {
    uint16_t flags;           /* LC_* bits */
    uint32_t seq, ack;
    uint16_t win;             /* the header field (already scaled down) */
    const uint8_t *payload;
    uint32_t len;
    tcp_opts opts;
} seg_spec;

/* Bytes of TCP options seg_spec.opts produce (padded to 4). */
size_t pkt_tcp_opts_len(const tcp_opts *o);

/* Builds IP + TCP into buf; returns the packet length, 0 if it does not fit. */
size_t pkt_build(uint8_t *buf, size_t cap, const inj_addr *src, const inj_addr *dst,
                 uint16_t sport, uint16_t dport, const seg_spec *s, uint16_t ip_id);

/* A parsed TCP segment (pointers into the caller's buffer). */
typedef struct pkt_tcp {
    inj_addr src, dst;
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint16_t flags, win;
    const uint8_t *payload;
    uint32_t len;             /* payload bytes the IP length declares */
    uint32_t caplen;          /* of which captured (payload[0..caplen)) */
    bool     cut;             /* caplen < len: the frame was cut, the data is not usable */
    tcp_opts opts;
} pkt_tcp;

/* A parsed ICMP/ICMPv6 error quoting one of our segments. */
typedef struct pkt_icmp {
    inj_addr from;            /* who sent the error */
    int      family;
    uint8_t  type, code;
    uint32_t mtu;             /* fragmentation needed / packet too big */
    inj_addr q_src, q_dst;    /* the quoted header */
    uint16_t q_sport, q_dport;
    uint32_t q_seq;
} pkt_icmp;

/* A neighbour request for an address (ARP who-has or IPv6 NS). */
typedef struct pkt_neigh {
    int      family;
    inj_addr target, asker;
    uint8_t  asker_mac[6];
} pkt_neigh;

enum pkt_kind { PKT_OTHER = 0, PKT_TCP, PKT_ICMP, PKT_NEIGH };

/* Parses a frame starting at the network layer (IPv4/IPv6, IPv6 extension
 * headers followed) or, for ARP, at the ARP header; len is the captured
 * length.  A TCP segment's len is the one its IP header declares: a cut
 * frame gives cut = true (use its header, never its data).  ethertype tells which; eth_src is the frame's source MAC
 * (NULL when the link has none). */
enum pkt_kind pkt_parse(const uint8_t *l3, size_t len, uint16_t ethertype, const uint8_t *eth_src,
                        pkt_tcp *tcp, pkt_icmp *icmp, pkt_neigh *neigh);

/* Length of the IP packet at l3 as its header declares it (without
 * link-layer padding; BIG TCP's zero length and RFC 2675 jumbograms
 * resolved); more than caplen when the frame was cut. */
size_t pkt_ip_len(const uint8_t *l3, size_t caplen);

/* Describes an ICMP/ICMPv6 error ("destination unreachable (port
 * unreachable)", "packet too big (MTU 1280)", ...) into what; returns true
 * for a hard error (RFC 1122 4.2.3.9: protocol, port or prohibited), which
 * ends a connection still in SYN-SENT. */
bool pkt_icmp_describe(const pkt_icmp *ic, char *what, size_t size);

/* The largest TCP payload without options that a link MTU carries for the
 * family (MTU - IP header - 20); 0 when the MTU leaves no room. */
uint32_t pkt_mss_from_mtu(int family, uint32_t mtu);

/* Ethernet frame answering a neighbour request: "target is at mac". */
size_t pkt_build_neigh_reply(uint8_t *buf, size_t cap, const pkt_neigh *q, const uint8_t mac[6]);

/* "SA", "FPA", ... (flag letters in tcpdump order). */
const char *pkt_flags_str(uint16_t flags, char buf[12]);

#endif
