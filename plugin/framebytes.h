/* framebytes.h - reading a TCP header from the frame's own bytes, for the
 * dissection paths that run without the TCP tap (tshark -2 first pass,
 * sharkd, GUI selection and refiltering) and for TCP layers that stopped
 * before their tap point (header cut by the snapshot length, exceptions);
 * and the injector's marker in that header's options. */
#ifndef SYNFIN_FRAMEBYTES_H
#define SYNFIN_FRAMEBYTES_H

#include "synfin-int.h"

/* A hash of an address (the sender's identity when both ports are equal). */
guint32 synfin_hash_address(const address *a);

/* Finds the TCP header with these ports in the frame's data sources, right
 * behind an IPv4 header (protocol 6, not a fragment), an IPv6 header (next
 * header 6, possibly behind hop-by-hop / routing / destination options /
 * atomic-fragment headers), inside PPPoE or at the start of a reassembled IP
 * payload, and reads what is captured of it into *in (stream from TCP's
 * conversation).  `occurrence` skips earlier headers with the same ports.
 * With header_only, only in->hdr / hdr_avail / hlen are set.  Sets
 * in->incomplete when the header is not fully there; FALSE when not found. */
gboolean synfin_locate(packet_info *pinfo, guint16 sport, guint16 dport, int occurrence,
                       synfin_input *in, gboolean header_only);

/* The injector's marker (spec section 6) of one TCP layer, read from the
 * frame's bytes on every dissection.  A header without options (data offset
 * 5) costs one comparison; the header is located only when it has options.
 * *hdr / *hdr_avail cache the located header. */
gboolean synfin_marker_of(packet_info *pinfo, guint hlen, guint16 sport, guint16 dport,
                          int occurrence, const guint8 **hdr, guint *hdr_avail, guint32 *run);

/* Spec 8.2: the tcp.stream of the TCP conversation that this 4-tuple had
 * at frame `frame` (the latest one set up at or before it: Wireshark starts
 * a new conversation, and a new tcp.stream, when a 4-tuple is used again).
 * FALSE when there is none or it has no TCP data. */
gboolean synfin_stream_at(guint32 frame, const address *src, const address *dst, guint16 sp,
                          guint16 dp, guint32 *stream);

/* The window-scale option (RFC 7323, kind 3, length 3) of a TCP header
 * (hdr: avail captured bytes): its shift, capped at 14 as Wireshark does;
 * the last one when there are several; -1 when there is none. */
gint synfin_wscale_option(const guint8 *hdr, guint avail);

#endif
