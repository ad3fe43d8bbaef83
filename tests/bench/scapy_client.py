#!/usr/bin/python3
"""scapy_client.py - the Scapy baseline of tests/bench/bench_inject.sh.

usage: scapy_client.py ADDR PORT COUNT PAYLOAD SPORT_FIRST SPORT_LAST SPORT_OFFSET

The same exchange as synfin-inject and kernel_client.c, built by hand with
Scapy 2.5 (Debian python3-scapy), IPv4 on loopback only:

  SYN -> SYN-ACK -> ACK -> data (PSH) -> [server ACK] + echo -> FIN+ACK
  -> server FIN(+ACK) -> ACK

The FIN acknowledges the echo: no separate pure ACK before it, as the
kernel's delayed ACK rides on the FIN of shutdown(SHUT_WR) and as
synfin-inject does when it closes right after the reply (see
bench_inject.sh).  Only if the server's FIN came with the echo is that FIN
acknowledged first on its own.

The reply is complete at its first data (as synfin-inject --reply-idle 0 and
the kernel client's single recv() before shutdown(SHUT_WR)).

Persistent sockets (anchors §2, "persistent" variant): one raw IPv4 socket
(conf.L3socket = L3RawSocket, needed on loopback in 2.5, anchors §5.9) for
sending, one AF_PACKET socket on lo with a BPF filter for the server's
segments, opened once; Scapy only builds and parses the segments.  The
kernel's RST is the caller's business: bench_inject.sh drops the server's
segments to SPORT_FIRST-SPORT_LAST at prerouting (nft), before TCP sees them.

Timer: time.perf_counter() from just before the SYN is sent to just after
the last ACK is sent.  One line per exchange on stderr, in
synfin-inject --stats' format:
  scapy_client: stats: stream I: exchange US us, sport P, request N bytes, reply M bytes
"""
import random
import select
import socket
import sys
import time

from scapy.all import conf, IP, TCP, Raw  # noqa: E402
from scapy.supersocket import L3RawSocket  # noqa: E402

SOL_PACKET = 263
PACKET_IGNORE_OUTGOING = 23   # Linux 4.20+: lo's outgoing copies are not delivered
WAIT = 2.0                    # seconds per segment awaited


class Fail(Exception):
    pass


def main():
    if len(sys.argv) != 8:
        sys.exit("usage: scapy_client.py ADDR PORT COUNT PAYLOAD SPORT_FIRST SPORT_LAST SPORT_OFFSET")
    dst, dport, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    payload = sys.argv[4].encode()
    first, last, offset = int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
    span = last - first + 1

    conf.verb = 0
    conf.L3socket = L3RawSocket
    tx = L3RawSocket()
    rx = conf.L2socket(iface="lo", filter="tcp and src host %s and src port %d and dst portrange %d-%d"
                       % (dst, dport, first, last))
    try:
        rx.ins.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
    except OSError:
        pass   # L2Socket.recv drops the outgoing copies itself
    rng = random.SystemRandom()

    def recv_seg(sport):
        """The next segment of this flow from the server (TCP layer)."""
        deadline = time.perf_counter() + WAIT
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise Fail("timed out")
            r, _, _ = select.select([rx.ins], [], [], left)
            if not r:
                continue
            p = rx.recv()
            if p is None or TCP not in p:
                continue
            t = p[TCP]
            if t.dport == sport:
                return t

    for i in range(count):
        sport = first + (offset + i) % span
        isn = rng.getrandbits(32)
        ip = IP(src=dst, dst=dst)
        seq = isn

        def tcp(flags, ack, data=None):
            seg = ip / TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack, window=65535)
            return seg / Raw(data) if data else seg

        t0 = time.perf_counter()
        tx.send(ip / TCP(sport=sport, dport=dport, flags="S", seq=isn, window=65535,
                         options=[("MSS", 65495), ("SAckOK", b"")]))
        while True:
            s = recv_seg(sport)
            if s.flags.S and s.flags.A:
                if s.ack != (isn + 1) & 0xffffffff:
                    raise Fail("SYN-ACK acknowledges %d, expected %d" % (s.ack, isn + 1))
                break
            if s.flags.R:
                raise Fail("refused")
        seq = (isn + 1) & 0xffffffff
        rcv_nxt = (s.seq + 1) & 0xffffffff
        tx.send(tcp("A", rcv_nxt))
        tx.send(tcp("PA", rcv_nxt, payload))
        seq = (seq + len(payload)) & 0xffffffff
        reply = b""
        peer_fin = False
        while not reply:                      # the server's ACK, then (or with) the echo
            s = recv_seg(sport)
            if s.flags.R:
                raise Fail("reset")
            data = bytes(s.payload) if s.payload else b""
            if data and s.seq == rcv_nxt:
                reply += data
                rcv_nxt = (rcv_nxt + len(data)) & 0xffffffff
                if s.flags.F:
                    peer_fin = True
                    rcv_nxt = (rcv_nxt + 1) & 0xffffffff
        if peer_fin:                          # the server closed first: ACK its FIN, then ours
            tx.send(tcp("A", rcv_nxt))
        tx.send(tcp("FA", rcv_nxt))           # else the FIN carries the ACK of the echo
        seq = (seq + 1) & 0xffffffff
        fin_acked = False
        while not (peer_fin and fin_acked):   # server FIN(+ACK), possibly separate
            s = recv_seg(sport)
            if s.flags.R:
                raise Fail("reset")
            data = bytes(s.payload) if s.payload else b""
            if data and s.seq == rcv_nxt:
                reply += data
                rcv_nxt = (rcv_nxt + len(data)) & 0xffffffff
            if s.flags.A and s.ack == seq:
                fin_acked = True
            if s.flags.F and not peer_fin:
                peer_fin = True
                rcv_nxt = (rcv_nxt + 1) & 0xffffffff
        tx.send(tcp("A", rcv_nxt))
        t1 = time.perf_counter()
        if reply != payload:
            raise Fail("reply %r, expected %r" % (reply, payload))
        print("scapy_client: stats: stream %d: exchange %.1f us, sport %d, request %d bytes, reply %d bytes"
              % (i, (t1 - t0) * 1e6, sport, len(payload), len(reply)), file=sys.stderr, flush=True)
    tx.close()
    rx.close()


if __name__ == "__main__":
    try:
        main()
    except Fail as e:
        sys.exit("scapy_client: error: %s" % e)
