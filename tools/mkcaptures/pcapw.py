"""pcapw.py - a tiny, dependency-free pcap writer and packet builder.

Used by craft.py to write the crafted reference captures in captures/.
Only what those captures need: Ethernet (optionally 802.1Q tagged), IPv4,
IPv6, TCP (with correct checksums), ICMP and ICMPv6 errors.  Everything is
deterministic: fixed addresses, MACs, IP ids and timestamps.
"""
import struct

LINKTYPE_ETHERNET = 1

FIN, SYN, RST, PSH, ACK, URG, ECE, CWR, AE = 0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40, 0x80, 0x100

MAC_A = bytes.fromhex("020000000001")
MAC_B = bytes.fromhex("020000000002")


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def ip6(a):
    import ipaddress
    return ipaddress.IPv6Address(a).packed


def tcp_header(src, dst, sport, dport, seq, ack, flags, payload=b"", win=64240,
               options=b"", v6=False):
    """TCP header + payload with a correct checksum for the given addresses."""
    options += b"\0" * (-len(options) % 4)
    off = (20 + len(options)) // 4
    offflags = (off << 12) | (flags & 0x1FF)
    hdr = struct.pack("!HHIIHHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      offflags, win, 0, 0) + options
    seg = hdr + payload
    if v6:
        pseudo = src + dst + struct.pack("!IxxxB", len(seg), 6)
    else:
        pseudo = src + dst + struct.pack("!xBH", 6, len(seg))
    c = csum(pseudo + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def ipv4_packet(src, dst, proto, payload, ident=0, ttl=64):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0x4000,
                      ttl, proto, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def ipv6_packet(src, dst, nxt, payload, hlim=64):
    return struct.pack("!IHBB", 6 << 28, len(payload), nxt, hlim) + src + dst + payload


def ether(payload, ethertype, src=MAC_A, dst=MAC_B, vlan=None):
    if vlan is not None:
        return dst + src + struct.pack("!HHH", 0x8100, vlan, ethertype) + payload
    return dst + src + struct.pack("!H", ethertype) + payload


def icmp4_unreach(src, dst, code, quoted):
    body = struct.pack("!BBHI", 3, code, 0, 0) + quoted
    return ipv4_packet(src, dst, 1, body[:2] + struct.pack("!H", csum(body)) + body[4:])


def icmp6_unreach(src, dst, code, quoted):
    body = struct.pack("!BBHI", 1, code, 0, 0) + quoted
    pseudo = src + dst + struct.pack("!IxxxB", len(body), 58)
    c = csum(pseudo + body)
    return ipv6_packet(src, dst, 58, body[:2] + struct.pack("!H", c) + body[4:])


class PcapWriter:
    """Classic pcap (microsecond), Ethernet link type."""

    def __init__(self, path, snaplen=65535, linktype=LINKTYPE_ETHERNET):
        self.f = open(path, "wb")
        self.snaplen = snaplen
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype))

    def write(self, t_us, frame, caplen=None):
        data = frame if caplen is None else frame[:caplen]
        self.f.write(struct.pack("<IIII", t_us // 1000000, t_us % 1000000, len(data), len(frame)))
        self.f.write(data)

    def close(self):
        self.f.close()
