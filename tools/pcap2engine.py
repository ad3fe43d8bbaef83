#!/usr/bin/env python3
"""pcap2engine.py - turn captures into inputs for the engine fuzzer.

Each TCP connection (4-tuple) of each capture becomes one file in OUTDIR,
encoded as tests/fuzz/fuzz_engine.c decodes it: a 9-byte header (ports mode,
the two endpoints' first sequence numbers) and one record per segment with
absolute seq and ack (bit 7), flags, payload length, window / 64 and the
time step (sign * b^2 microseconds, the nearest value).

    tools/pcap2engine.py OUTDIR captures/*.pcap

Reads classic pcap (Ethernet, Linux cooked v1, raw IP; 802.1Q tags) with
the standard library only; pcapng files and other link types are skipped
with a message.  A connection with more than 256 segments is cut (the
fuzzer reads 256).  The window is known only when the connection's SYNs
carry no window-scale option, or on the SYN/SYN-ACK themselves (not scaled).
"""
import hashlib
import math
import os
import struct
import sys

MAX_SEGS = 256


def packets(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end, nano = "<", magic == b"\x4d\x3c\xb2\xa1"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end, nano = ">", magic == b"\xa1\xb2\x3c\x4d"
    else:
        print(f"{path}: not a classic pcap, skipped", file=sys.stderr)
        return
    linktype = struct.unpack(end + "I", data[20:24])[0] & 0xFFFF
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack(end + "IIII", data[off:off + 16])
        off += 16
        pkt = data[off:off + incl]
        off += incl
        t_ns = sec * 1_000_000_000 + (frac if nano else frac * 1000)
        ip = link_payload(linktype, pkt)
        if ip is not None:
            yield t_ns, ip


def link_payload(linktype, pkt):
    if linktype == 1:  # Ethernet
        off, etype = 14, struct.unpack(">H", pkt[12:14])[0] if len(pkt) >= 14 else 0
        while etype in (0x8100, 0x88A8) and len(pkt) >= off + 4:
            etype = struct.unpack(">H", pkt[off + 2:off + 4])[0]
            off += 4
        return pkt[off:] if etype in (0x0800, 0x86DD) else None
    if linktype == 113:  # Linux cooked v1
        if len(pkt) < 16:
            return None
        etype = struct.unpack(">H", pkt[14:16])[0]
        return pkt[16:] if etype in (0x0800, 0x86DD) else None
    if linktype in (101, 12, 14):  # raw IP
        return pkt
    return None


def tcp_of(ip):
    """(src, dst, tcp header bytes, payload length) or None."""
    if len(ip) < 20:
        return None
    ver = ip[0] >> 4
    if ver == 4:
        ihl = (ip[0] & 15) * 4
        if ip[9] != 6 or len(ip) < ihl + 20:
            return None
        total = struct.unpack(">H", ip[2:4])[0]
        src, dst, tcp = ip[12:16], ip[16:20], ip[ihl:]
        iplen = total - ihl
    elif ver == 6:
        if len(ip) < 60 or ip[6] != 6:  # no extension headers
            return None
        src, dst, tcp = ip[8:24], ip[24:40], ip[40:]
        iplen = struct.unpack(">H", ip[4:6])[0]
    else:
        return None
    doff = (tcp[12] >> 4) * 4
    if len(tcp) < 20 or doff < 20:
        return None
    return src, dst, tcp, max(0, iplen - doff)


def has_wscale(tcp):
    doff = (tcp[12] >> 4) * 4
    opts, i = tcp[20:doff], 0
    while i < len(opts):
        kind = opts[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= len(opts) or opts[i + 1] < 2:
            break
        if kind == 3:
            return True
        i += opts[i + 1]
    return False


def time_byte(dt_ns):
    us = abs(dt_ns) / 1000.0
    b = min(127, int(round(math.sqrt(us))))
    return (b if dt_ns >= 0 else -b) & 0xFF


def encode(conn):
    segs = conn["segs"][:MAX_SEGS]
    sport0, dport0 = conn["ports"]
    if sport0 > dport0:
        mode = 0
    elif sport0 == dport0:
        mode = 1
    else:
        mode = 2
    isn = [0, 0]
    seen = [False, False]
    for _t, frm, tcp, _plen in segs:
        if not seen[frm]:
            isn[frm] = struct.unpack(">I", tcp[4:8])[0]
            seen[frm] = True
    out = bytearray([mode]) + struct.pack(">II", isn[0], isn[1])
    prev_t = segs[0][0]
    for t, frm, tcp, plen in segs:
        seq, ack = struct.unpack(">II", tcp[4:12])
        fl = tcp[13]
        win = struct.unpack(">H", tcp[14:16])[0]
        syn = bool(fl & 0x02)
        known = syn or not conn["wscale"]
        b0 = frm | 0x80
        b0 |= 0x02 if syn else 0
        b0 |= 0x04 if fl & 0x10 else 0
        b0 |= 0x08 if fl & 0x01 else 0
        b0 |= 0x10 if fl & 0x04 else 0
        b0 |= 0x20 if fl & 0x08 else 0
        b0 |= 0x40 if known else 0
        out += bytes([b0, 0, 0, min(plen, 254), min(255, win // 64), time_byte(t - prev_t)])
        out += struct.pack(">II", seq, ack)
        prev_t = t
    return bytes(out)


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    outdir = argv[1]
    os.makedirs(outdir, exist_ok=True)
    written = 0
    for path in argv[2:]:
        conns = {}
        order = []
        for t, ip in packets(path):
            parsed = tcp_of(ip)
            if not parsed:
                continue
            src, dst, tcp, plen = parsed
            sp, dp = struct.unpack(">HH", tcp[0:4])
            a, b = (src, sp), (dst, dp)
            key = (a, b) if a <= b else (b, a)
            c = conns.get(key)
            if c is None:
                c = conns[key] = {"first": a, "ports": (sp, dp), "segs": [], "wscale": False}
                order.append(key)
            frm = 0 if a == c["first"] else 1
            if (tcp[13] & 0x02) and has_wscale(tcp):
                c["wscale"] = True
            c["segs"].append((t, frm, tcp, plen))
        for key in order:
            blob = encode(conns[key])
            name = os.path.basename(path).rsplit(".", 1)[0]
            digest = hashlib.sha1(blob).hexdigest()[:12]
            with open(os.path.join(outdir, f"{name}-{digest}"), "wb") as f:
                f.write(blob)
            written += 1
    print(f"pcap2engine: {written} inputs in {outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
