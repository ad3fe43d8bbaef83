#!/usr/bin/python3
"""gen_capture.py - write a large, realistic TCP capture quickly (pcap, Ethernet, IPv4).

Connections are interleaved (up to --concurrent open at a time, the next
segment taken from a random open connection) and follow a seeded mix:
  70 %  normal: handshake, 1-3 request segments, 1-6 response segments with
        ACKs, client-first FIN teardown (4 segments, or 3 when the server's
        FIN also acknowledges the client's FIN)
  8 %   server closes first
  8 %   like normal, with one data segment retransmitted (and a duplicate ACK)
  4 %   SYN retransmitted once before the SYN-ACK
  5 %   aborted by RST after some data
  5 %   refused (SYN answered by RST-ACK)
Addresses: clients 192.0.2.0/24, servers 198.51.100.0/24 (documentation
ranges); payloads are zero bytes. The output is deterministic for a given --seed.

Usage: gen_capture.py [--connections N] [--seed S] [--ports P,P..] OUT.pcap
Prints "connections N segments M" on stdout.
"""

import argparse
import os
import random
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from pcapgen import ETH, FIN, SYN, RST, PSH, ACK, ip_checksum  # noqa: E402,F401

MSS = 1400


class Conn:
    """Yields (from_client, flags, seq, ack, payload_len) of one connection."""

    def __init__(self, rng, kind, caddr, cport, saddr, sport):
        self.caddr, self.cport, self.saddr, self.sport = caddr, cport, saddr, sport
        self.steps = list(self.script(rng, kind))
        self.pos = 0

    @staticmethod
    def script(rng, kind):
        c = rng.getrandbits(32)      # client ISN
        s = rng.getrandbits(32)      # server ISN
        m = 0xFFFFFFFF
        yield (True, SYN, c, 0, 0)
        if kind == "synretx":
            yield (True, SYN, c, 0, 0)
        if kind == "refused":
            yield (False, RST | ACK, 0, (c + 1) & m, 0)
            return
        yield (False, SYN | ACK, s, (c + 1) & m, 0)
        c, s = (c + 1) & m, (s + 1) & m
        yield (True, ACK, c, s, 0)
        for _ in range(rng.randint(1, 3)):
            n = rng.randint(40, 600)
            yield (True, PSH | ACK, c, s, n)
            c = (c + n) & m
        acked_c = c
        retx = kind == "retx"
        for i in range(rng.randint(1, 6)):
            n = rng.choice((MSS, MSS, rng.randint(100, MSS)))
            yield (False, PSH | ACK if i else ACK, s, acked_c, n)
            if retx and i == 0:
                yield (False, ACK, s, acked_c, n)          # retransmission
                yield (True, ACK, c, s, 0)                 # duplicate ACK
                retx = False
            s = (s + n) & m
            if i % 2 == 1:
                yield (True, ACK, c, s, 0)
        if kind == "rst":
            yield (True, RST | ACK, c, s, 0)
            return
        if kind == "srvfirst":
            yield (False, FIN | ACK, s, c, 0)
            yield (True, ACK, c, (s + 1) & m, 0)
            yield (True, FIN | ACK, c, (s + 1) & m, 0)
            yield (False, ACK, (s + 1) & m, (c + 1) & m, 0)
            return
        yield (True, FIN | ACK, c, s, 0)
        if rng.random() < 0.3:                             # merged ACK+FIN
            yield (False, FIN | ACK, s, (c + 1) & m, 0)
        else:
            yield (False, ACK, s, (c + 1) & m, 0)
            yield (False, FIN | ACK, s, (c + 1) & m, 0)
        yield (True, ACK, (c + 1) & m, (s + 1) & m, 0)


KINDS = (["normal"] * 70 + ["srvfirst"] * 8 + ["retx"] * 8 + ["synretx"] * 4
         + ["rst"] * 5 + ["refused"] * 5)


def generate(out, connections, seed, concurrent, ports):
    rng = random.Random(seed)
    f = open(out, "wb")
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    pack_ip = struct.Struct("!BBHHHBBH4s4s").pack
    pack_tcp = struct.Struct("!HHIIBBHHH").pack
    pack_rec = struct.Struct("<IIII").pack
    zeros = bytes(MSS)
    t_us = 1_700_000_000 * 1_000_000
    started = segments = 0
    ip_id = 0
    active = []
    buf = []
    while active or started < connections:
        while len(active) < concurrent and started < connections:
            i = started
            caddr = bytes((192, 0, 2, 1 + i % 250))
            saddr = bytes((198, 51, 100, 1 + (i // 250) % 50))
            cport = 1024 + (i // 250) % 60000
            active.append(Conn(rng, rng.choice(KINDS), caddr, cport, saddr, rng.choice(ports)))
            started += 1
        k = rng.randrange(len(active))
        conn = active[k]
        from_client, flags, seq, ack, n = conn.steps[conn.pos]
        conn.pos += 1
        if conn.pos == len(conn.steps):
            active[k] = active[-1]
            active.pop()
        if from_client:
            src, dst, sp, dp = conn.caddr, conn.saddr, conn.cport, conn.sport
        else:
            src, dst, sp, dp = conn.saddr, conn.caddr, conn.sport, conn.cport
        ip_id = (ip_id + 1) & 0xFFFF
        tcp = pack_tcp(sp, dp, seq, ack, 5 << 4, flags, 64240, 0, 0)
        iph = pack_ip(0x45, 0, 40 + n, ip_id, 0x4000, 64, 6, 0, src, dst)
        iph = iph[:10] + struct.pack("!H", ip_checksum(iph)) + iph[12:]
        frame = ETH + iph + tcp + zeros[:n]
        t_us += rng.randint(5, 200)
        buf.append(pack_rec(t_us // 1_000_000, t_us % 1_000_000, len(frame), len(frame)))
        buf.append(frame)
        segments += 1
        if len(buf) >= 8192:
            f.write(b"".join(buf))
            buf.clear()
    f.write(b"".join(buf))
    f.close()
    return segments


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--connections", type=int, default=30000)
    ap.add_argument("--concurrent", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ports", default="40001,40002,40003,40004",
                    help="server ports, comma-separated (default: ports no Wireshark "
                         "dissector claims, so the baseline is TCP work; e.g. 80,443,5432 "
                         "adds HTTP/TLS/PGSQL dissection of the zero-filled payloads)")
    ap.add_argument("out")
    a = ap.parse_args()
    n = generate(a.out, a.connections, a.seed, a.concurrent,
                 tuple(int(p) for p in a.ports.split(",")))
    print("connections %d segments %d" % (a.connections, n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
