"""pcapgen.py - what the capture generators of the tests share (stdlib only).

Used by tests/bench/gen_capture.py, tests/summary/syn_flood.py and
tests/plugin/hostile.py: the Ethernet header they put before every IPv4
packet, the TCP flag bits and the IPv4 header checksum (RFC 791).
"""
import struct

ETH = bytes.fromhex("020000000001" "020000000002" "0800")
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def ip_checksum(hdr):
    """The checksum of a 20-byte IPv4 header whose checksum field is zero."""
    s = sum(struct.unpack("!10H", hdr))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF
