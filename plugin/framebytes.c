/* framebytes.c - the TCP header from the frame's bytes (IPv4, IPv6 with
 * extension headers, PPPoE, reassembled IP payloads) and the injector's
 * marker in its options (see framebytes.h). */
#include <string.h>

#include <epan/conversation.h>
#include <epan/dissectors/packet-tcp.h>

#include "framebytes.h"
#include "marker.h"

static guint32
hash_bytes(const void *data, int len)
{
    const guint8 *p = (const guint8 *)data;
    guint32 h = 2166136261u;
    for (int i = 0; i < len; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

guint32
synfin_hash_address(const address *a)
{
    if (a == NULL || a->data == NULL || a->len <= 0)
        return 0;
    return hash_bytes(a->data, a->len);
}

static guint16
get16(const guint8 *p)
{
    return (guint16)((p[0] << 8) | p[1]);
}

static guint32
get32(const guint8 *p)
{
    return ((guint32)p[0] << 24) | ((guint32)p[1] << 16) | ((guint32)p[2] << 8) | p[3];
}

/* An IPv6 header whose extension-header chain (hop-by-hop, routing,
 * destination options, first fragment) ends at offset o with next header TCP;
 * sets *hdrlen to the length from the IPv6 header to o. */
static const guint8 *
find_ipv6_ext(const guint8 *b, guint o, guint *hdrlen)
{
    for (guint back = 48; back <= 40 + 256 && back <= o; back += 8) {
        const guint8 *ip = b + o - back;
        if ((ip[0] >> 4) != 6)
            continue;
        guint nh = ip[6];
        guint q = o - back + 40;
        while (q < o) {
            guint elen;
            if (nh == 0 || nh == 43 || nh == 60)
                elen = ((guint)b[q + 1] + 1) * 8;
            else if (nh == 44 && (get16(b + q + 2) & 0xfff9) == 0)
                elen = 8; /* atomic fragment */
            else
                break;
            nh = b[q];
            q += elen;
        }
        if (q == o && nh == 6) {
            *hdrlen = back;
            return ip;
        }
    }
    return NULL;
}

/* The tcp.stream of (src, sport) -> (dst, dport): TCP's conversation data. */
static void
stream_of_conversation(packet_info *pinfo, const address *src, const address *dst, guint16 sp,
                       guint16 dp, synfin_input *in)
{
    conversation_t *conv = find_conversation(pinfo->num, src, dst, CONVERSATION_TCP, sp, dp, 0);
    if (conv == NULL || proto_tcp <= 0)
        return;
    const struct tcp_analysis *tcpd =
        (const struct tcp_analysis *)conversation_get_proto_data(conv, proto_tcp);
    if (tcpd != NULL) {
        in->stream = tcpd->stream;
        in->have_stream = TRUE;
    }
}

/* See framebytes.h. */
gboolean
synfin_stream_at(guint32 frame, const address *src, const address *dst, guint16 sp, guint16 dp,
                 guint32 *stream)
{
    if (proto_tcp <= 0 || src->len <= 0 || dst->len <= 0)
        return FALSE;
    conversation_t *conv = find_conversation(frame, src, dst, CONVERSATION_TCP, sp, dp, 0);
    if (conv == NULL)
        return FALSE;
    const struct tcp_analysis *tcpd =
        (const struct tcp_analysis *)conversation_get_proto_data(conv, proto_tcp);
    if (tcpd == NULL)
        return FALSE;
    *stream = tcpd->stream;
    return TRUE;
}

/* See framebytes.h.  IPv6 with no extension headers is tried first. */
gboolean
synfin_locate(packet_info *pinfo, guint16 sp, guint16 dp, int occurrence, synfin_input *in,
              gboolean header_only)
{
    for (GSList *l = pinfo->data_src; l != NULL; l = l->next) {
        tvbuff_t *t = get_data_source_tvb((const struct data_source *)l->data);
        if (t == NULL)
            continue;
        guint len = tvb_captured_length(t);
        if (len < 24)
            continue;
        const guint8 *b = tvb_get_ptr(t, 0, (gint)len);
        if (b == NULL)
            continue;
        for (guint o = 20; o + 4 <= len; o++) {
            if (b[o] != (sp >> 8) || b[o + 1] != (sp & 0xff) ||
                b[o + 2] != (dp >> 8) || b[o + 3] != (dp & 0xff))
                continue;
            guint iphl = 0, iplen = 0;
            gboolean v6 = FALSE;
            const guint8 *ip = NULL;
            if (o >= 40 && (b[o - 40] >> 4) == 6 && b[o - 40 + 6] == 6) {
                ip = b + o - 40;
                v6 = TRUE;
                iphl = 40;
                iplen = get16(ip + 4);
                iplen = iplen ? iplen + 40 : len - (o - 40);
            } else if ((ip = find_ipv6_ext(b, o, &iphl)) != NULL) {
                v6 = TRUE;
                iplen = get16(ip + 4);
                iplen = iplen ? iplen + 40 : len - (guint)(ip - b);
            } else {
                for (guint h = 20; h <= 60 && h <= o; h += 4) {
                    const guint8 *c = b + o - h;
                    if (c[0] == (0x40 | (h >> 2)) && c[9] == 6 &&
                        (get16(c + 6) & 0x3fff) == 0) {
                        ip = c;
                        iphl = h;
                        iplen = get16(c + 2);
                        if (iplen == 0) /* TSO: length left to the capture */
                            iplen = len - (o - h);
                        break;
                    }
                }
            }
            if (ip == NULL)
                continue;
            if (occurrence-- > 0)
                continue;
            in->hdr = b + o;
            in->hdr_avail = len - o;
            if (len - o >= 13)
                in->hlen = (guint)(b[o + 12] >> 4) * 4;
            if (header_only)
                return TRUE;
            /* The IP layer gets at most what is left of the packet. */
            if (tvb_reported_length(t) >= (guint)(ip - b) &&
                iplen > tvb_reported_length(t) - (guint)(ip - b))
                iplen = tvb_reported_length(t) - (guint)(ip - b);
            /* PPPoE session (RFC 2516) bounds the IP packet with its own
             * length field, which Wireshark honours. */
            if (ip - b >= 8) {
                const guint8 *pp = ip - 8;
                guint16 proto = get16(pp + 6);
                if (pp[0] == 0x11 && pp[1] == 0x00 &&
                    (proto == (v6 ? 0x0057 : 0x0021))) {
                    guint plen = get16(pp + 4);
                    if (plen >= 2 && plen - 2 < iplen)
                        iplen = plen - 2;
                }
            }

            /* Found it. */
            address src, dst;
            if (v6) {
                set_address(&src, AT_IPv6, 16, ip + 8);
                set_address(&dst, AT_IPv6, 16, ip + 24);
            } else {
                set_address(&src, AT_IPv4, 4, ip + 12);
                set_address(&dst, AT_IPv4, 4, ip + 16);
            }
            in->src_hash = hash_bytes(src.data, src.len);
            in->src = src;
            in->dst = dst;
            in->seg.sport = sp;
            in->seg.dport = dp;

            stream_of_conversation(pinfo, &src, &dst, sp, dp, in);

            guint avail = len - o;
            guint hlen = 0;
            if (avail >= 14) {
                in->seg.seq = get32(b + o + 4);
                in->seg.ack = get32(b + o + 8);
                in->seg.flags = (guint16)(get16(b + o + 12) & 0x0FFF);
                hlen = (guint)(b[o + 12] >> 4) * 4;
                in->seg.win = avail >= 16 ? get16(b + o + 14) : 0;
                in->have_seg = in->have_stream;
            }
            /* Like TCP: the length comes from the IP layer, so it is known
             * even when the capture cut the options or the payload. */
            if (avail >= 14 && hlen >= 20 && iplen >= iphl + hlen) {
                in->seg.len = iplen - iphl - hlen;
                in->seg.len_known = true;
            } else {
                in->seg.len = 0;
                in->seg.len_known = false;
                in->incomplete = TRUE;
            }
            return TRUE;
        }
        /* A reassembled IP payload (data source other than the frame) starts
         * with the TCP header itself; the addresses are the IP layer's. */
        if (l != pinfo->data_src && b[0] == (sp >> 8) && b[1] == (sp & 0xff) &&
            b[2] == (dp >> 8) && b[3] == (dp & 0xff) && occurrence-- == 0) {
            in->hdr = b;
            in->hdr_avail = len;
            in->hlen = (guint)(b[12] >> 4) * 4;
            if (header_only)
                return TRUE;
            in->src_hash = synfin_hash_address(&pinfo->src);
            in->src = pinfo->src;
            in->dst = pinfo->dst;
            in->seg.sport = sp;
            in->seg.dport = dp;
            stream_of_conversation(pinfo, &pinfo->src, &pinfo->dst, sp, dp, in);
            guint hlen = (guint)(b[12] >> 4) * 4;
            guint rlen = tvb_reported_length(t);
            in->seg.seq = get32(b + 4);
            in->seg.ack = get32(b + 8);
            in->seg.flags = (guint16)(get16(b + 12) & 0x0FFF);
            in->seg.win = get16(b + 14);
            in->have_seg = in->have_stream;
            if (hlen >= 20 && rlen >= hlen) {
                in->seg.len = rlen - hlen;
                in->seg.len_known = true;
            } else {
                in->incomplete = TRUE;
            }
            return TRUE;
        }
    }
    return FALSE;
}

/* See framebytes.h.  The option walk itself is the engine's (marker.h). */
gboolean
synfin_marker_of(packet_info *pinfo, guint hlen, guint16 sport, guint16 dport, int occurrence,
                 const guint8 **hdr, guint *hdr_avail, guint32 *run)
{
    if (hlen <= 20)
        return FALSE;
    if (*hdr == NULL) {
        synfin_input tmp;
        memset(&tmp, 0, sizeof(tmp));
        if (!synfin_locate(pinfo, sport, dport, occurrence, &tmp, TRUE) || tmp.hdr == NULL)
            return FALSE;
        *hdr = tmp.hdr;
        *hdr_avail = tmp.hdr_avail;
    }
    /* The options: from byte 20 to the end of the header or of the capture. */
    const guint8 *h = *hdr;
    guint avail = *hdr_avail;
    if (h == NULL || avail < 20)
        return FALSE;
    guint end = (guint)(h[12] >> 4) * 4;
    if (end > avail)
        end = avail;
    return end > 20 && lc_marker_find(h + 20, end - 20, run) ? TRUE : FALSE;
}

/* See framebytes.h.  The walk follows Wireshark's option loop: EOL ends it,
 * NOP is one byte, any other option needs a length of at least 2 that fits. */
gint
synfin_wscale_option(const guint8 *hdr, guint avail)
{
    if (hdr == NULL || avail < 20)
        return -1;
    guint end = (guint)(hdr[12] >> 4) * 4;
    if (end > avail)
        end = avail;
    gint shift = -1;
    for (guint i = 20; i < end;) {
        guint kind = hdr[i];
        if (kind == 0)
            break;
        if (kind == 1) {
            i++;
            continue;
        }
        if (i + 1 >= end)
            break;
        guint olen = hdr[i + 1];
        if (olen < 2 || i + olen > end)
            break;
        if (kind == 3 && olen == 3)
            shift = hdr[i + 2] > 14 ? 14 : hdr[i + 2];
        i += olen;
    }
    return shift;
}
