"""s8shift.py IN OUT SECONDS - crafted time for reuse-after-tw.pcap.

Copies the classic pcap IN to OUT with every frame from the second bare SYN
(SYN without ACK) on moved SECONDS later: the same real-kernel exchange,
as if the 4-tuple had been used again after the earlier connection's
TIME-WAIT had run out (a test cannot wait 60 s).  Only timestamps change.
Ethernet + IPv4 only (what s8real.sh writes).
"""
import struct
import sys


def main():
    src, dst, secs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    data = open(src, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic != 0xA1B2C3D4:
        raise SystemExit("s8shift: little-endian microsecond pcap expected")
    out = bytearray(data[:24])
    off, syns, shifting = 24, 0, False
    while off < len(data):
        ts, us, incl, orig = struct.unpack("<IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + incl]
        ihl = (pkt[14] & 0x0F) * 4
        if pkt[12:14] == b"\x08\x00" and pkt[23] == 6:
            flags = pkt[14 + ihl + 13]
            if flags & 0x12 == 0x02:
                syns += 1
                if syns == 2:
                    shifting = True
        if shifting:
            ts += secs
        out += struct.pack("<IIII", ts, us, incl, orig) + pkt
        off += 16 + incl
    if not shifting:
        raise SystemExit("s8shift: no second SYN in " + src)
    open(dst, "wb").write(bytes(out))


if __name__ == "__main__":
    main()
