/* fuzz_packet.c - libFuzzer target on the injector's receive-path parser
 * (injector/packet.c): everything a host on the path can send it.
 *
 * Input: byte 0 picks the link's ethertype (even: by the IP version nibble
 * of what follows, IPv4 or IPv6; odd: ARP), the rest is the frame from the
 * network layer on.  Checked on every input:
 *   - pkt_parse never reads outside the frame (ASan) and a TCP segment's
 *     captured payload lies inside it; caplen <= len; cut == (caplen < len);
 *   - the IP length pkt_ip_len reports is at least the TCP header's end;
 *   - an ICMP error's text is a terminated string;
 *   - a segment built from the parsed fields (pkt_build) parses back to the
 *     same numbers, flags, options and payload.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle.h"
#include "packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "fuzz_packet: %s (line %d)\n", #c, __LINE__); abort(); } } while (0)

static void roundtrip(const pkt_tcp *t)
{
    static uint8_t buf[INJ_PKT_MAX];
    seg_spec s;
    memset(&s, 0, sizeof s);
    s.flags = t->flags & 0x1ff;
    s.seq = t->seq;
    s.ack = t->ack;
    s.win = t->win;
    s.payload = t->payload;
    s.len = t->caplen > 2000 ? 2000 : t->caplen;
    s.opts = t->opts;
    s.opts.sack_n = 0;
    if (s.opts.has_marker)
        s.opts.run_id = t->opts.run_id;
    size_t n = pkt_build(buf, sizeof buf, &t->dst, &t->src, t->dport, t->sport, &s, 1);
    if (n == 0)
        return;   /* options too long for one header: nothing to compare */
    pkt_tcp b;
    pkt_icmp ic;
    pkt_neigh nb;
    uint16_t et = t->src.family == AF_INET6 ? 0x86dd : 0x0800;
    CHECK(pkt_parse(buf, n, et, NULL, &b, &ic, &nb) == PKT_TCP);
    CHECK(b.seq == s.seq && b.win == s.win && b.flags == s.flags);
    CHECK(b.ack == ((s.flags & LC_ACK) ? s.ack : 0));
    CHECK(b.sport == t->dport && b.dport == t->sport);
    CHECK(inj_addr_eq(&b.src, &t->dst) && inj_addr_eq(&b.dst, &t->src));
    CHECK(b.len == s.len && b.caplen == s.len && !b.cut);
    CHECK(s.len == 0 || memcmp(b.payload, s.payload, s.len) == 0);
    CHECK(b.opts.has_mss == s.opts.has_mss && (!b.opts.has_mss || b.opts.mss == s.opts.mss));
    CHECK(b.opts.has_wscale == s.opts.has_wscale && (!b.opts.has_wscale || b.opts.wscale == s.opts.wscale));
    CHECK(b.opts.sack_ok == s.opts.sack_ok);
    CHECK(b.opts.has_ts == s.opts.has_ts && (!b.opts.has_ts || (b.opts.tsval == s.opts.tsval &&
                                                                 b.opts.tsecr == s.opts.tsecr)));
    CHECK(b.opts.has_marker == s.opts.has_marker && (!b.opts.has_marker || b.opts.run_id == s.opts.run_id));
    CHECK(pkt_ip_len(buf, n) == n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    /* a copy of exactly the frame's size: any read beyond it is caught */
    size_t len = size - 1;
    uint8_t *frame = malloc(len);
    if (!frame)
        return 0;
    memcpy(frame, data + 1, len);
    uint16_t et = (data[0] & 1) ? 0x0806 : ((frame[0] >> 4) == 6 ? 0x86dd : 0x0800);
    static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
    pkt_tcp t;
    pkt_icmp ic;
    pkt_neigh nb;
    switch (pkt_parse(frame, len, et, (data[0] & 2) ? mac : NULL, &t, &ic, &nb)) {
    case PKT_TCP: {
        CHECK(t.caplen <= t.len);
        CHECK(t.cut == (t.caplen < t.len));
        CHECK(t.payload >= frame && t.payload + t.caplen <= frame + len);
        volatile uint8_t sum = 0;
        for (uint32_t i = 0; i < t.caplen; i++)
            sum ^= t.payload[i];
        (void)sum;
        CHECK(pkt_ip_len(frame, len) >= (size_t)(t.payload - frame));
        CHECK(!t.opts.has_wscale || t.opts.wscale <= 14);
        roundtrip(&t);
        break;
    }
    case PKT_ICMP: {
        char what[96];
        pkt_icmp_describe(&ic, what, sizeof what);
        CHECK(memchr(what, 0, sizeof what) != NULL);
        CHECK(ic.q_src.family == AF_INET || ic.q_src.family == AF_INET6);
        break;
    }
    case PKT_NEIGH: {
        uint8_t out[128];
        size_t n = pkt_build_neigh_reply(out, sizeof out, &nb, mac);
        CHECK(n > 0 && n <= sizeof out);
        break;
    }
    default:
        break;
    }
    free(frame);
    return 0;
}
