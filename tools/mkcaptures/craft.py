"""craft.py - write the crafted reference captures (shapes a kernel will not make).

  /usr/bin/python3 tools/mkcaptures/craft.py captures/

Deterministic: fixed addresses, ports, ISNs, payloads and timestamps, so the
output is byte-for-byte the same on every run.  Each capture is one function;
its docstring says what it shows.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcapw import (ACK, AE, CWR, ECE, FIN, PSH, RST, SYN, URG, MAC_A, MAC_B, PcapWriter,  # noqa: E402
                   ether, icmp4_unreach, icmp6_unreach, ip4, ip6, ipv4_packet,
                   ipv6_packet, tcp_header)

T0 = 1700000000 * 1000000  # 2023-11-14 22:13:20 UTC, in microseconds
STEP = 10000               # 10 ms between frames


class Flow:
    """Frames of one IPv4/IPv6 TCP conversation between endpoint a and b."""

    def __init__(self, w, a, b, aport, bport, v6=False, vlan=None):
        self.w, self.v6, self.vlan = w, v6, vlan
        conv = ip6 if v6 else ip4
        self.addr = {"a": conv(a), "b": conv(b)}
        self.port = {"a": aport, "b": bport}
        self.ident = 0

    def packet(self, frm, seq, ack, flags, payload=b"", options=b""):
        """The IP packet of one segment from `frm` ('a' or 'b')."""
        to = "b" if frm == "a" else "a"
        src, dst = self.addr[frm], self.addr[to]
        seg = tcp_header(src, dst, self.port[frm], self.port[to], seq, ack, flags,
                         payload, options=options, v6=self.v6)
        if self.v6:
            return ipv6_packet(src, dst, 6, seg)
        self.ident += 1
        return ipv4_packet(src, dst, 6, seg, ident=self.ident)

    def send(self, frm, seq, ack, flags, payload=b"", options=b"", caplen=None):
        pkt = self.packet(frm, seq, ack, flags, payload, options)
        self.w.frame(pkt, frm, self.v6, self.vlan, caplen)
        return pkt


class Writer(PcapWriter):
    def __init__(self, path):
        super().__init__(path)
        self.t = T0

    def frame(self, pkt, frm, v6=False, vlan=None, caplen=None):
        src, dst = (MAC_A, MAC_B) if frm == "a" else (MAC_B, MAC_A)
        self.write(self.t, ether(pkt, 0x86DD if v6 else 0x0800, src, dst, vlan), caplen)
        self.t += STEP


def sim_open(w):
    """Simultaneous open (RFC 9293 figure 7), data, normal close."""
    f = Flow(w, "192.0.2.1", "192.0.2.2", 5001, 5002)
    f.send("a", 1000, 0, SYN)
    f.send("b", 5000, 0, SYN)
    f.send("b", 5000, 1001, SYN | ACK)
    f.send("a", 1000, 5001, SYN | ACK)
    f.send("a", 1001, 5001, PSH | ACK, b"0123456789")
    f.send("b", 5001, 1011, ACK)
    f.send("a", 1011, 5001, FIN | ACK)
    f.send("b", 5001, 1012, FIN | ACK)
    f.send("a", 1012, 5002, ACK)


def sim_close(w):
    """Normal open, then both FINs cross (neither acks the other), then the acks."""
    f = Flow(w, "192.0.2.1", "192.0.2.2", 40050, 80)
    f.send("a", 100, 0, SYN)
    f.send("b", 300, 101, SYN | ACK)
    f.send("a", 101, 301, ACK)
    f.send("a", 101, 301, FIN | ACK)
    f.send("b", 301, 101, FIN | ACK)
    f.send("b", 302, 102, ACK)
    f.send("a", 102, 302, ACK)


def seq_wrap(w):
    """ISNs just below 2^32: the client's data and both FINs cross the wrap."""
    f = Flow(w, "192.0.2.1", "192.0.2.2", 40051, 80)
    f.send("a", 0xFFFFFFF0, 0, SYN)
    f.send("b", 0xFFFFFFFF, 0xFFFFFFF1, SYN | ACK)
    f.send("a", 0xFFFFFFF1, 0x00000000, ACK)
    f.send("a", 0xFFFFFFF1, 0x00000000, PSH | ACK, bytes(range(32)))
    f.send("b", 0x00000000, 0x00000011, PSH | ACK, b"twenty bytes reply!\n")
    f.send("a", 0x00000011, 0x00000014, ACK)
    f.send("a", 0x00000011, 0x00000014, FIN | ACK)
    f.send("b", 0x00000014, 0x00000012, FIN | ACK)
    f.send("a", 0x00000012, 0x00000015, ACK)


def vlan(w):
    """802.1Q-tagged (VLAN 100) open, request/reply, merged close."""
    f = Flow(w, "192.0.2.1", "192.0.2.2", 40052, 80, vlan=100)
    f.send("a", 2000, 0, SYN)
    f.send("b", 9000, 2001, SYN | ACK)
    f.send("a", 2001, 9001, ACK)
    f.send("a", 2001, 9001, PSH | ACK, b"ping\n")
    f.send("b", 9001, 2006, PSH | ACK, b"pong\n")
    f.send("a", 2006, 9006, FIN | ACK)
    f.send("b", 9006, 2007, FIN | ACK)
    f.send("a", 2007, 9007, ACK)


def icmp_unreachable(w):
    """ICMP and ICMPv6 destination-unreachable errors quoting a SYN."""
    f = Flow(w, "192.0.2.1", "203.0.113.5", 40053, 80)
    router = ip4("192.0.2.254")
    syn = f.send("a", 7000, 0, SYN)
    w.frame(icmp4_unreach(router, ip4("192.0.2.1"), 1, syn), "b")      # host unreachable
    f.send("a", 7000, 0, SYN)                                          # retransmission
    f.send("b", 8000, 7001, SYN | ACK)
    f.send("a", 7001, 8001, ACK)
    f.send("a", 7001, 8001, FIN | ACK)
    f.send("b", 8001, 7002, FIN | ACK)
    f.send("a", 7002, 8002, ACK)
    g = Flow(w, "2001:db8::1", "2001:db8:1::5", 40054, 80, v6=True)
    syn6 = g.send("a", 9000, 0, SYN)
    w.frame(icmp6_unreach(ip6("2001:db8::ff"), ip6("2001:db8::1"), 3, syn6), "b", v6=True)


def tunnel_gtp(w):
    """Two TCP layers per frame: an inner connection in GTP-U over an outer TCP
    connection to port 2152 (Wireshark 4.0 decodes it by default)."""
    o = Flow(w, "192.0.2.1", "192.0.2.2", 40055, 2152)
    i = Flow(w, "198.51.100.1", "198.51.100.2", 33000, 80)

    def gtp(pkt):
        return struct.pack("!BBHI", 0x30, 0xFF, len(pkt), 0x5346) + pkt

    o.send("a", 10000, 0, SYN)
    o.send("b", 20000, 10001, SYN | ACK)
    o.send("a", 10001, 20001, ACK)
    # outer seq/ack follow the GTP payload lengths (48, or 53 with 5 data bytes)
    o.send("a", 10001, 20001, PSH | ACK, gtp(i.packet("a", 1000, 0, SYN)))
    o.send("b", 20001, 10049, PSH | ACK, gtp(i.packet("b", 2000, 1001, SYN | ACK)))
    o.send("a", 10049, 20049, PSH | ACK, gtp(i.packet("a", 1001, 2001, ACK)))
    o.send("a", 10097, 20049, PSH | ACK, gtp(i.packet("a", 1001, 2001, PSH | ACK, b"hello")))
    o.send("b", 20049, 10150, PSH | ACK, gtp(i.packet("b", 2001, 1006, ACK)))
    o.send("a", 10150, 20097, PSH | ACK, gtp(i.packet("a", 1006, 2001, FIN | ACK)))
    o.send("b", 20097, 10198, PSH | ACK, gtp(i.packet("b", 2001, 1007, FIN | ACK)))
    o.send("a", 10198, 20145, PSH | ACK, gtp(i.packet("a", 1007, 2002, ACK)))
    o.send("b", 20145, 10246, ACK)
    o.send("a", 10246, 20145, FIN | ACK)
    o.send("b", 20145, 10247, FIN | ACK)
    o.send("a", 10247, 20146, ACK)


def dup_ack_fin_retrans(w):
    """A duplicated ACK 3/3, a retransmitted FIN 1/4 and a duplicated ACK 4/4."""
    f = Flow(w, "192.0.2.1", "192.0.2.2", 40056, 80)
    f.send("a", 1000, 0, SYN)
    f.send("b", 5000, 1001, SYN | ACK)
    f.send("a", 1001, 5001, ACK)
    f.send("a", 1001, 5001, ACK)                  # duplicate of ACK 3/3
    f.send("a", 1001, 5001, PSH | ACK, b"0123456789")
    f.send("b", 5001, 1011, ACK)
    f.send("a", 1011, 5001, FIN | ACK)
    f.send("a", 1011, 5001, FIN | ACK)            # FIN retransmission
    f.send("b", 5001, 1012, ACK)
    f.send("b", 5001, 1012, FIN | ACK)
    f.send("a", 1012, 5002, ACK)
    f.send("a", 1012, 5002, ACK)                  # duplicate of ACK 4/4


def bad_flags(w):
    """Impossible flag combinations, one connection each: SYN+FIN as the first
    SYN, SYN+RST answering a SYN, all flags on an established connection."""
    f = Flow(w, "192.0.2.1", "192.0.2.2", 40057, 80)
    f.send("a", 1000, 0, SYN | FIN)
    f.send("b", 5000, 1001, SYN | ACK)
    f.send("a", 1001, 5001, ACK)
    g = Flow(w, "192.0.2.1", "192.0.2.2", 40058, 81)
    g.send("a", 2000, 0, SYN)
    g.send("b", 0, 0, SYN | RST)
    h = Flow(w, "192.0.2.1", "192.0.2.2", 40059, 82)
    h.send("a", 3000, 0, SYN)
    h.send("b", 6000, 3001, SYN | ACK)
    h.send("a", 3001, 6001, ACK)
    h.send("a", 3001, 6001, FIN | SYN | RST | PSH | ACK | URG | ECE | CWR | AE)


# The injector's marker (spec section 6): RFC 6994 experimental option,
# kind 253, length 8, ExID 0x5346, 4-byte run id.
MARKER_RUN = 0x0A1B2C3D


def marker(run=MARKER_RUN, exid=0x5346, length=8):
    return struct.pack("!BBHI", 253, length, exid, run)[:length] if length <= 8 else \
        struct.pack("!BBHI", 253, length, exid, run) + b"\0" * (length - 8)


def injected_marker(w):
    """The injector's marker on the client's segments (stream 0, run id
    0x0A1B2C3D; the server's segments carry none or other options), options
    lists that must not count as the marker (stream 1) and two that must,
    and an IPv6 SYN with the marker (stream 2).  captures/README.md lists
    what each frame's options are."""
    m = marker()
    mss = bytes.fromhex("020405b4")
    ts = bytes.fromhex("0101080a0000000100000002")
    f = Flow(w, "192.0.2.1", "192.0.2.2", 40060, 80)
    f.send("a", 1000, 0, SYN, options=mss + m)                          # 1  marker after MSS
    f.send("b", 5000, 1001, SYN | ACK, options=mss)                     # 2  no marker
    f.send("a", 1001, 5001, ACK, options=m)                             # 3  marker alone
    f.send("a", 1001, 5001, PSH | ACK, b"hello\n", options=b"\x01\x01" + m)  # 4  after NOPs
    f.send("b", 5001, 1007, ACK, options=ts)                            # 5  timestamps only
    f.send("a", 1007, 5001, FIN | ACK, options=m)                       # 6
    f.send("b", 5001, 1008, FIN | ACK)                                  # 7  no options
    f.send("a", 1008, 5002, ACK, options=m)                             # 8
    g = Flow(w, "192.0.2.1", "192.0.2.2", 40061, 80)
    g.send("a", 2000, 0, SYN, options=marker(exid=0x1234))              # 9  other ExID
    g.send("b", 6000, 2001, SYN | ACK)                                  # 10
    g.send("a", 2001, 6001, ACK, options=marker(length=10))             # 11 length 10
    g.send("a", 2001, 6001, PSH | ACK, b"b1", options=marker(length=6))  # 12 length 6
    g.send("a", 2003, 6001, PSH | ACK, b"b2", options=b"\x02\x00" + m)  # 13 length-0 option first
    g.send("a", 2005, 6001, PSH | ACK, b"b3", options=m[:4])            # 14 marker runs past the header
    g.send("a", 2007, 6001, PSH | ACK, b"b4", options=b"\0\0\0\0" + m)  # 15 after EOL
    g.send("a", 2009, 6001, PSH | ACK, b"b5",
           options=marker(0xDEADBEEF, exid=0x1234) + marker(0xDEADBEEF))  # 16 second kind-253 option
    g.send("a", 2011, 6001, PSH | ACK, b"b6",
           options=bytes.fromhex("4c0300") + marker(0x01020304))        # 17 after a 3-byte option
    g.send("a", 2013, 6001, PSH | ACK, b"b7", options=b"\x01\x01\x01\xfd")  # 18 kind without length
    g.send("a", 2015, 6001, PSH | ACK, b"b8", options=b"\x01\x01" + m,
           caplen=14 + 20 + 20 + 6)                                     # 19 capture cut in the marker
    g.send("a", 2017, 6001, PSH | ACK, b"b9", options=b"\xfd\x01" + m[2:])  # 20 length 1
    h = Flow(w, "2001:db8::1", "2001:db8::2", 40062, 80, v6=True)
    h.send("a", 3000, 0, SYN, options=m)                                # 21 IPv6, marker
    h.send("b", 0, 3001, RST | ACK)                                     # 22


CAPTURES = {
    "sim-open": sim_open,
    "sim-close": sim_close,
    "seq-wrap": seq_wrap,
    "vlan-8021q": vlan,
    "icmp-unreachable": icmp_unreachable,
    "tunnel-gtp": tunnel_gtp,
    "dup-ack-fin-retrans": dup_ack_fin_retrans,
    "bad-flags": bad_flags,
    "injected-marker": injected_marker,
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "captures"
    for name, fn in CAPTURES.items():
        w = Writer(os.path.join(out, name + ".pcap"))
        fn(w)
        w.close()


if __name__ == "__main__":
    main()
