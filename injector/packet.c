/* packet.c - building and parsing IPv4/IPv6 + TCP, ICMP errors (and their
 * texts), ARP and NDP. */
#include "packet.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "lifecycle.h"
#include "marker.h"

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
    while (len > 1) {
        sum += get16(p);
        p += 2;
        len -= 2;
    }
    if (len)
        sum += (uint32_t)p[0] << 8;
    return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* Checksum over the pseudo-header and the transport bytes (RFC 9293, RFC 8200 8.1). */
static uint16_t l4_csum(const inj_addr *src, const inj_addr *dst, uint8_t proto, const uint8_t *l4, size_t len)
{
    uint32_t sum = 0;
    size_t alen = inj_addr_len(src);
    sum = csum_add(sum, src->a, alen);
    sum = csum_add(sum, dst->a, alen);
    sum += proto;
    sum += (uint32_t)(len & 0xffff) + (uint32_t)(len >> 16);
    sum = csum_add(sum, l4, len);
    return csum_fold(sum);
}

size_t pkt_tcp_opts_len(const tcp_opts *o)
{
    size_t n = 0;
    if (o->has_mss) n += 4;
    if (o->has_wscale) n += 3;
    if (o->sack_ok) n += 2;
    if (o->has_ts) n += 10;
    if (o->has_marker) n += LC_MARKER_LEN;
    if (o->sack_n) n += 2 + 8u * o->sack_n;
    return (n + 3) & ~(size_t)3;
}

static size_t write_opts(uint8_t *p, const tcp_opts *o)
{
    size_t n = 0;
    if (o->has_mss) {
        p[n++] = 2; p[n++] = 4; put16(p + n, o->mss); n += 2;
    }
    if (o->sack_ok) {
        p[n++] = 4; p[n++] = 2;
    }
    if (o->has_ts) {
        p[n++] = 8; p[n++] = 10; put32(p + n, o->tsval); put32(p + n + 4, o->tsecr); n += 8;
    }
    if (o->has_wscale) {
        p[n++] = 3; p[n++] = 3; p[n++] = o->wscale;
    }
    if (o->sack_n) {
        p[n++] = 5;
        p[n++] = (uint8_t)(2 + 8 * o->sack_n);
        for (unsigned i = 0; i < o->sack_n; i++) {
            put32(p + n, o->sack[i][0]);
            put32(p + n + 4, o->sack[i][1]);
            n += 8;
        }
    }
    if (o->has_marker) {
        n += lc_marker_encode(p + n, LC_MARKER_LEN, o->run_id);
    }
    while (n & 3)
        p[n++] = 1;   /* NOP padding; an EOL would end option parsing early for nothing */
    return n;
}

size_t pkt_build(uint8_t *buf, size_t cap, const inj_addr *src, const inj_addr *dst,
                 uint16_t sport, uint16_t dport, const seg_spec *s, uint16_t ip_id)
{
    size_t iphl = src->family == AF_INET6 ? 40 : 20;
    size_t optl = pkt_tcp_opts_len(&s->opts);
    size_t thl = 20 + optl;
    size_t total = iphl + thl + s->len;
    if (optl > 40 || total > cap || total > 65535)
        return 0;
    memset(buf, 0, iphl + thl);
    uint8_t *ip = buf, *t = buf + iphl;
    if (src->family == AF_INET) {
        ip[0] = 0x45;
        put16(ip + 2, (uint16_t)total);
        put16(ip + 4, ip_id);
        put16(ip + 6, 0x4000);   /* DF */
        ip[8] = 64;
        ip[9] = IPPROTO_TCP;
        memcpy(ip + 12, src->a, 4);
        memcpy(ip + 16, dst->a, 4);
        put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
    } else {
        ip[0] = 0x60;
        put16(ip + 4, (uint16_t)(thl + s->len));
        ip[6] = IPPROTO_TCP;
        ip[7] = 64;
        memcpy(ip + 8, src->a, 16);
        memcpy(ip + 24, dst->a, 16);
    }
    put16(t, sport);
    put16(t + 2, dport);
    put32(t + 4, s->seq);
    put32(t + 8, (s->flags & LC_ACK) ? s->ack : 0);
    t[12] = (uint8_t)((thl / 4) << 4 | ((s->flags >> 8) & 1));
    t[13] = (uint8_t)s->flags;
    put16(t + 14, s->win);
    write_opts(t + 20, &s->opts);
    if (s->len)
        memcpy(t + thl, s->payload, s->len);
    put16(t + 16, l4_csum(src, dst, IPPROTO_TCP, t, thl + s->len));
    return total;
}

static void parse_opts(const uint8_t *p, size_t len, tcp_opts *o)
{
    memset(o, 0, sizeof *o);
    size_t i = 0;
    while (i < len) {
        uint8_t kind = p[i];
        if (kind == 0)
            break;
        if (kind == 1) {
            i++;
            continue;
        }
        if (i + 1 >= len)
            break;
        uint8_t ol = p[i + 1];
        if (ol < 2 || i + ol > len)
            break;
        const uint8_t *v = p + i + 2;
        switch (kind) {
        case 2: if (ol == 4) { o->has_mss = true; o->mss = get16(v); } break;
        case 3: if (ol == 3) { o->has_wscale = true; o->wscale = v[0] > 14 ? 14 : v[0]; } break;
        case 4: if (ol == 2) o->sack_ok = true; break;
        case 8: if (ol == 10) { o->has_ts = true; o->tsval = get32(v); o->tsecr = get32(v + 4); } break;
        case LC_MARKER_KIND: /* this one option, read by the engine's marker parser */
            if (lc_marker_find(p + i, ol, &o->run_id)) o->has_marker = true;
            break;
        default: break;   /* SACK blocks and others: advisory, ignored */
        }
        i += ol;
    }
}

/* t..t+caplen are the captured bytes of a TCP segment of declared length len
 * (the IP length says so); caplen < len for a cut frame or a quoted header. */
static bool parse_tcp(const uint8_t *t, size_t len, size_t caplen, pkt_tcp *out)
{
    if (caplen < 20 || len < 20)
        return false;
    out->sport = get16(t);
    out->dport = get16(t + 2);
    out->seq = get32(t + 4);
    out->ack = get32(t + 8);
    out->flags = (uint16_t)(t[13] | (t[12] & 1) << 8);
    out->win = get16(t + 14);
    size_t thl = (size_t)(t[12] >> 4) * 4;
    if (thl < 20 || thl > len || thl > caplen)
        return false;   /* no whole header: nothing to rely on */
    parse_opts(t + 20, thl - 20, &out->opts);
    out->payload = t + thl;
    out->len = (uint32_t)(len - thl);
    out->caplen = (uint32_t)(caplen - thl);
    out->cut = out->caplen < out->len;
    return true;
}

/* IPv6 extension headers (RFC 8200 4): follows hop-by-hop, routing,
 * destination options, fragment (first fragments only) and AH headers from
 * *off, leaving *proto as the upper layer.  A jumbo payload option (RFC 2675)
 * in hop-by-hop sets *jumbo.  False when the chain is cut, a later fragment,
 * or "no next header". */
static bool ip6_ext(const uint8_t *ip, size_t caplen, size_t *off, uint8_t *proto, uint32_t *jumbo)
{
    for (int hops = 0; hops < 16; hops++) {
        uint8_t nh = *proto;
        const uint8_t *h = ip + *off;
        size_t hl;
        switch (nh) {
        case 0: case 43: case 60:
            if (*off + 8 > caplen)
                return false;
            hl = ((size_t)h[1] + 1) * 8;
            if (*off + hl > caplen)
                return false;
            if (nh == 0) {   /* options: look for the jumbo payload (type 0xc2, length 4) */
                size_t i = 2;
                while (i < hl) {
                    if (h[i] == 0) { i++; continue; }
                    if (i + 2 > hl || i + 2 + h[i + 1] > hl)
                        break;
                    if (h[i] == 0xc2 && h[i + 1] == 4)
                        *jumbo = get32(h + i + 2);
                    i += 2 + (size_t)h[i + 1];
                }
            }
            break;
        case 44:
            if (*off + 8 > caplen)
                return false;
            if ((get16(h + 2) & 0xfff8) != 0)
                return false;   /* not a first fragment */
            hl = 8;
            break;
        case 51:
            if (*off + 8 > caplen)
                return false;
            hl = ((size_t)h[1] + 2) * 4;
            if (*off + hl > caplen)
                return false;
            break;
        case 59:
            return false;
        default:
            return true;
        }
        *proto = h[0];
        *off += hl;
    }
    return false;   /* more headers than anyone sends */
}

/* Locates the transport header of an IP packet of caplen captured bytes:
 * returns its offset (0: not usable).  *l4len is the transport length the IP
 * header declares, *l4cap what of it was captured.  For a packet quoted in
 * an ICMP error (quoted: true) the declared length means nothing (the quote
 * is cut on purpose): both are what is there. */
static size_t ip_l4(const uint8_t *ip, size_t caplen, bool quoted, inj_addr *src, inj_addr *dst, uint8_t *proto,
                    size_t *l4len, size_t *l4cap)
{
    if (caplen < 1)
        return 0;
    memset(src, 0, sizeof *src);
    memset(dst, 0, sizeof *dst);
    size_t off, tot;
    if ((ip[0] >> 4) == 4) {
        if (caplen < 20)
            return 0;
        off = (size_t)(ip[0] & 15) * 4;
        tot = get16(ip + 2);
        if (off < 20 || off > caplen)
            return 0;
        if (tot == 0 && caplen > 65535 && !quoted)
            tot = caplen;   /* BIG TCP (Linux): a GSO packet beyond 64 KB carries total length 0 */
        if ((get16(ip + 6) & 0x1fff) != 0)
            return 0;    /* not a first fragment */
        src->family = dst->family = AF_INET;
        memcpy(src->a, ip + 12, 4);
        memcpy(dst->a, ip + 16, 4);
        *proto = ip[9];
    } else if ((ip[0] >> 4) == 6) {
        if (caplen < 40)
            return 0;
        off = 40;
        *proto = ip[6];
        uint32_t jumbo = 0;
        if (!ip6_ext(ip, caplen, &off, proto, &jumbo))
            return 0;
        tot = 40 + (size_t)get16(ip + 4);
        if (get16(ip + 4) == 0 && !quoted) {
            if (jumbo)
                tot = 40 + (size_t)jumbo;   /* RFC 2675 */
            else if (caplen > 65575)
                tot = caplen;               /* BIG TCP: the jumbo header already stripped */
        }
        src->family = dst->family = AF_INET6;
        memcpy(src->a, ip + 8, 16);
        memcpy(dst->a, ip + 24, 16);
    } else {
        return 0;
    }
    if (quoted || tot > (size_t)1 << 31)
        tot = caplen;
    if (tot < off)
        return 0;
    *l4len = tot - off;
    *l4cap = (caplen < tot ? caplen : tot) - off;
    return off;
}

/* The TCP header an ICMP/ICMPv6 error quotes (after its 8-byte header):
 * addresses, ports and seq; only the first 8 bytes of TCP are guaranteed. */
static bool parse_quoted_tcp(pkt_icmp *icmp, const uint8_t *l4, size_t l4len)
{
    uint8_t qp = 0;
    size_t ql = 0, qc = 0;
    size_t qoff = ip_l4(l4 + 8, l4len - 8, true, &icmp->q_src, &icmp->q_dst, &qp, &ql, &qc);
    if (!qoff || qp != IPPROTO_TCP || qc < 8)
        return false;
    const uint8_t *qt = l4 + 8 + qoff;
    icmp->q_sport = get16(qt);
    icmp->q_dport = get16(qt + 2);
    icmp->q_seq = get32(qt + 4);
    return true;
}

/* An ICMP/ICMPv6 error from src (type and code in its first two bytes). */
static enum pkt_kind parse_icmp_error(pkt_icmp *icmp, const inj_addr *src, const uint8_t *l4, size_t l4len,
                                      uint32_t mtu)
{
    memset(icmp, 0, sizeof *icmp);
    icmp->from = *src;
    icmp->family = src->family;
    icmp->type = l4[0];
    icmp->code = l4[1];
    icmp->mtu = mtu;
    return parse_quoted_tcp(icmp, l4, l4len) ? PKT_ICMP : PKT_OTHER;
}


enum pkt_kind pkt_parse(const uint8_t *l3, size_t len, uint16_t ethertype, const uint8_t *eth_src,
                        pkt_tcp *tcp, pkt_icmp *icmp, pkt_neigh *neigh)
{
    if (ethertype == 0x0806) {
        /* ARP request for IPv4 over Ethernet */
        if (len < 28 || get16(l3) != 1 || get16(l3 + 2) != 0x0800 || l3[4] != 6 || l3[5] != 4 || get16(l3 + 6) != 1)
            return PKT_OTHER;
        memset(neigh, 0, sizeof *neigh);
        neigh->family = AF_INET;
        memcpy(neigh->asker_mac, l3 + 8, 6);
        neigh->asker.family = neigh->target.family = AF_INET;
        memcpy(neigh->asker.a, l3 + 14, 4);
        memcpy(neigh->target.a, l3 + 24, 4);
        return PKT_NEIGH;
    }
    inj_addr src, dst;
    uint8_t proto = 0;
    size_t l4len = 0, l4cap = 0;
    size_t off = ip_l4(l3, len, false, &src, &dst, &proto, &l4len, &l4cap);
    if (!off)
        return PKT_OTHER;
    const uint8_t *l4 = l3 + off;
    if (proto == IPPROTO_TCP) {
        memset(tcp, 0, sizeof *tcp);
        tcp->src = src;
        tcp->dst = dst;
        return parse_tcp(l4, l4len, l4cap, tcp) ? PKT_TCP : PKT_OTHER;
    }
    l4len = l4cap;   /* ICMP: what was captured */
    if (proto == IPPROTO_ICMP && src.family == AF_INET && l4len >= 8) {
        uint8_t type = l4[0];
        if (type != 3 && type != 11 && type != 12 && type != 4)
            return PKT_OTHER;
        uint32_t mtu = type == 3 && l4[1] == 4 ? get16(l4 + 6) : 0;
        return parse_icmp_error(icmp, &src, l4, l4len, mtu);
    }
    if (proto == IPPROTO_ICMPV6 && src.family == AF_INET6 && l4len >= 8) {
        uint8_t type = l4[0];
        if (type == 135 && l4len >= 24) {
            memset(neigh, 0, sizeof *neigh);
            neigh->family = AF_INET6;
            neigh->asker = src;
            neigh->target.family = AF_INET6;
            memcpy(neigh->target.a, l4 + 8, 16);
            if (eth_src)
                memcpy(neigh->asker_mac, eth_src, 6);
            return PKT_NEIGH;
        }
        if (type < 1 || type > 4)
            return PKT_OTHER;
        return parse_icmp_error(icmp, &src, l4, l4len, type == 2 ? get32(l4 + 4) : 0);
    }
    return PKT_OTHER;
}

size_t pkt_ip_len(const uint8_t *l3, size_t caplen)
{
    inj_addr a, b;
    uint8_t proto;
    size_t l4len = 0, l4cap = 0;
    size_t off = ip_l4(l3, caplen, false, &a, &b, &proto, &l4len, &l4cap);
    if (!off)
        return caplen;
    return off + l4len;   /* may exceed caplen: the frame was cut */
}

bool pkt_icmp_describe(const pkt_icmp *ic, char *what, size_t size)
{
    static const char *const unreach4[] = {
        "network unreachable", "host unreachable", "protocol unreachable", "port unreachable",
        "fragmentation needed", "source route failed", "network unknown", "host unknown",
        "source host isolated", "network prohibited", "host prohibited", "network unreachable for TOS",
        "host unreachable for TOS", "administratively prohibited"
    };
    static const char *const unreach6[] = {
        "no route", "administratively prohibited", "beyond scope", "address unreachable", "port unreachable",
        "source address failed policy", "reject route"
    };
    bool v4 = ic->family == AF_INET;
    if (ic->type == (v4 ? 3 : 1)) {
        const char *const *tab = v4 ? unreach4 : unreach6;
        unsigned n = v4 ? sizeof unreach4 / sizeof unreach4[0] : sizeof unreach6 / sizeof unreach6[0];
        snprintf(what, size, "destination unreachable (%s)", ic->code < n ? tab[ic->code] : "unknown code");
        return v4 ? (ic->code == 2 || ic->code == 3 || ic->code == 9 || ic->code == 10 || ic->code == 13)
                  : (ic->code == 1 || ic->code == 4);
    }
    if (!v4 && ic->type == 2)
        snprintf(what, size, "packet too big (MTU %u)", ic->mtu);
    else if (ic->type == (v4 ? 11 : 3))
        snprintf(what, size, "time exceeded");
    else if (v4)
        snprintf(what, size, "ICMP type %u code %u", ic->type, ic->code);
    else
        snprintf(what, size, "parameter problem");
    return false;
}

uint32_t pkt_mss_from_mtu(int family, uint32_t mtu)
{
    uint32_t hdrs = (family == AF_INET6 ? 40 : 20) + 20;
    return mtu > hdrs ? mtu - hdrs : 0;
}

size_t pkt_build_neigh_reply(uint8_t *buf, size_t cap, const pkt_neigh *q, const uint8_t mac[6])
{
    if (q->family == AF_INET) {
        if (cap < 42)
            return 0;
        memset(buf, 0, 42);
        memcpy(buf, q->asker_mac, 6);
        memcpy(buf + 6, mac, 6);
        put16(buf + 12, 0x0806);
        uint8_t *a = buf + 14;
        put16(a, 1);
        put16(a + 2, 0x0800);
        a[4] = 6;
        a[5] = 4;
        put16(a + 6, 2);   /* reply */
        memcpy(a + 8, mac, 6);
        memcpy(a + 14, q->target.a, 4);
        memcpy(a + 18, q->asker_mac, 6);
        memcpy(a + 24, q->asker.a, 4);
        return 42;
    }
    /* Neighbour advertisement, solicited + override, with the target link-layer option. */
    size_t icmplen = 32, total = 14 + 40 + icmplen;
    if (cap < total)
        return 0;
    memset(buf, 0, total);
    memcpy(buf, q->asker_mac, 6);
    memcpy(buf + 6, mac, 6);
    put16(buf + 12, 0x86dd);
    uint8_t *ip = buf + 14, *ic = ip + 40;
    inj_addr dst = q->asker;
    static const uint8_t unspec[16];
    if (memcmp(dst.a, unspec, 16) == 0) {   /* DAD probe: answer all-nodes */
        memset(dst.a, 0, 16);
        dst.a[0] = 0xff; dst.a[1] = 0x02; dst.a[15] = 1;
    }
    ip[0] = 0x60;
    put16(ip + 4, (uint16_t)icmplen);
    ip[6] = IPPROTO_ICMPV6;
    ip[7] = 255;
    memcpy(ip + 8, q->target.a, 16);
    memcpy(ip + 24, dst.a, 16);
    ic[0] = 136;
    ic[4] = (memcmp(q->asker.a, unspec, 16) == 0) ? 0x20 : 0x60;   /* S only if solicited; O */
    memcpy(ic + 8, q->target.a, 16);
    ic[24] = 2;   /* target link-layer address */
    ic[25] = 1;
    memcpy(ic + 26, mac, 6);
    put16(ic + 2, l4_csum(&q->target, &dst, IPPROTO_ICMPV6, ic, icmplen));
    return total;
}

const char *pkt_flags_str(uint16_t flags, char buf[12])
{
    static const struct { uint16_t bit; char c; } tab[] = {
        { LC_SYN, 'S' }, { LC_FIN, 'F' }, { LC_RST, 'R' }, { LC_PSH, 'P' }, { LC_ACK, '.' },
        { LC_URG, 'U' }, { LC_ECE, 'E' }, { LC_CWR, 'W' }, { LC_AE, 'A' }
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (flags & tab[i].bit)
            buf[n++] = tab[i].c;
    if (n == 0)
        buf[n++] = '-';
    buf[n] = 0;
    return buf;
}
