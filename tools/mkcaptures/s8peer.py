"""s8peer.py - programs for the spec section 8 real-kernel captures (s8real.sh).

Run inside the namespaces made by s8real.sh with Debian's /usr/bin/python3
(stdlib; the raw parts use Debian's python3-scapy).  Kernel sockets do the
connections; Scapy only adds the segments a kernel will not send on its own
(a client SYN with a chosen ISN, an injected RST) and sends them at layer 2
(sendp), so they pass no netfilter hook of the sending namespace.

  s8peer.py server MODE[,MODE...] ADDR PORT        one accept() per mode
  s8peer.py client MODE ADDR PORT SRCADDR SRCPORT  a kernel client
  s8peer.py oldack IFACE ADDR PORT SRCADDR SRCPORT ISN   raw client (8.1)
  s8peer.py rstinject MODE ADDR PORT SRCADDR SRCPORT IFACE  kernel client + injected RST (8.3)
  s8peer.py synrst IFACE PORT                      answer the next SYN with a RST,ACK
                                                   whose ack is wrong (8.3)
  s8peer.py relay IFACE1 IFACE2 DELAY_MS           a layer-2 relay that delays every
                                                   frame by DELAY_MS (8.5)
"""
import heapq
import socket
import struct
import sys
import threading
import time

import os

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peer import REQ, REPLY, read_to_eof, recv_exact  # noqa: E402  (one copy of the kernel peers' basics)


# ---- kernel server and client ------------------------------------------------

def serve_one(s, mode):
    if mode == "srvfirst":          # reply, then close first (we hold TIME-WAIT)
        recv_exact(s, len(REQ)); s.sendall(REPLY); time.sleep(0.1); s.close()
    elif mode == "eof":             # read until the peer's FIN, then close
        read_to_eof(s); s.close()
    elif mode == "twice":           # two request/replies, the client closes first
        for _ in range(2):
            recv_exact(s, len(REQ)); s.sendall(REPLY)
        read_to_eof(s); s.close()
    elif mode == "closewait":       # the client closes first; we sit in CLOSE_WAIT 2 s
        recv_exact(s, len(REQ)); s.sendall(REPLY)
        read_to_eof(s); time.sleep(2.0); s.close()
    elif mode == "close3":          # the client closes first; we close at once
        recv_exact(s, len(REQ)); s.sendall(REPLY); read_to_eof(s); s.close()
    else:
        raise SystemExit("unknown server mode " + mode)


def server(modes, addr, port):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(8)
    for mode in modes.split(","):
        s, _peer = ls.accept()
        serve_one(s, mode)
    ls.close()


def kernel_connect(addr, port, srcaddr, srcport):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((srcaddr, srcport))
    s.settimeout(10)
    s.connect((addr, port))
    return s


def client(mode, addr, port, srcaddr, srcport):
    s = kernel_connect(addr, port, srcaddr, srcport)
    if mode == "srvfirst":
        s.sendall(REQ); read_to_eof(s); time.sleep(0.1); s.close()
    elif mode == "close3":
        s.sendall(REQ); recv_exact(s, len(REPLY)); time.sleep(0.1); s.close()
    else:
        raise SystemExit("unknown client mode " + mode)


# ---- raw parts (Scapy) -------------------------------------------------------

def scapy():
    import scapy.all as sc   # Debian python3-scapy
    sc.conf.verb = 0
    return sc


class Tap:
    """Every TCP frame of one port pair seen on IFACE, from now on."""

    def __init__(self, sc, iface, port):
        self.sc, self.frames, self.cv = sc, [], threading.Condition()
        self.sniffer = sc.AsyncSniffer(iface=iface, filter="tcp port %d" % port,
                                       prn=self._add, store=False)
        self.sniffer.start()
        time.sleep(0.5)

    def _add(self, p):
        with self.cv:
            self.frames.append(p)
            self.cv.notify_all()

    def mark(self):
        with self.cv:
            return len(self.frames)

    def wait(self, pred, start, timeout=5.0):
        """The first frame since mark() `start` for which pred(frame) holds."""
        end = time.time() + timeout
        with self.cv:
            while True:
                for p in self.frames[start:]:
                    if pred(p):
                        return p
                left = end - time.time()
                if left <= 0:
                    raise SystemExit("timeout waiting for a frame")
                self.cv.wait(left)

    def stop(self):
        self.sniffer.stop()


def oldack(iface, addr, port, srcaddr, srcport, isn):
    """Section 8.1 with a server in TIME-WAIT: SYN with ISN `isn` (lower than the
    old connection's), the server's old-connection ACK, our RST at its ack
    number, the same SYN again, the handshake, then we close first."""
    sc = scapy()
    tap = Tap(sc, iface, port)
    mac_dst = sc.getmacbyip(addr)
    eth = sc.Ether(dst=mac_dst)
    ip = sc.IP(src=srcaddr, dst=addr)

    def from_server(flags):
        return lambda p: sc.TCP in p and p[sc.IP].src == addr and p[sc.TCP].flags == flags

    syn = ip / sc.TCP(sport=srcport, dport=port, seq=isn, flags="S", window=64240,
                      options=[("MSS", 1460)])
    m = tap.mark()
    sc.sendp(eth / syn, iface=iface)
    a = tap.wait(from_server("A"), m)
    time.sleep(0.05)
    sc.sendp(eth / ip / sc.TCP(sport=srcport, dport=port, seq=a[sc.TCP].ack, flags="R",
                               window=0), iface=iface)
    time.sleep(0.2)
    m = tap.mark()
    sc.sendp(eth / syn, iface=iface)                     # the same SYN again
    sa = tap.wait(from_server("SA"), m)
    srv = sa[sc.TCP].seq + 1
    me = isn + 1
    sc.sendp(eth / ip / sc.TCP(sport=srcport, dport=port, seq=me, ack=srv, flags="A",
                               window=64240), iface=iface)
    time.sleep(0.1)
    m = tap.mark()
    sc.sendp(eth / ip / sc.TCP(sport=srcport, dport=port, seq=me, ack=srv, flags="FA",
                               window=64240), iface=iface)
    fin = tap.wait(lambda p: sc.TCP in p and p[sc.IP].src == addr and p[sc.TCP].flags.F, m)
    sc.sendp(eth / ip / sc.TCP(sport=srcport, dport=port, seq=me + 1,
                               ack=fin[sc.TCP].seq + 1, flags="A", window=64240), iface=iface)
    time.sleep(0.2)
    tap.stop()


def rstinject(mode, addr, port, srcaddr, srcport, iface):
    """A kernel client: request/reply, then a RST toward the server with our
    address and port that the server's kernel must judge (mode inwindow: seq =
    our next sequence number + 100; outofwindow: + 0x40000000), then a second
    request/reply and a normal close."""
    sc = scapy()
    tap = Tap(sc, iface, port)
    s = kernel_connect(addr, port, srcaddr, srcport)
    s.sendall(REQ); recv_exact(s, len(REPLY))
    time.sleep(0.2)
    mine = [p for p in tap.frames if sc.TCP in p and p[sc.IP].src == srcaddr]
    last = mine[-1]
    nxt = (last[sc.TCP].seq + len(last[sc.TCP].payload)) & 0xFFFFFFFF
    off = 100 if mode == "inwindow" else 0x40000000
    sc.sendp(sc.Ether(src=last[sc.Ether].src, dst=last[sc.Ether].dst) /
             sc.IP(src=srcaddr, dst=addr) /
             sc.TCP(sport=srcport, dport=port, seq=(nxt + off) & 0xFFFFFFFF, flags="R",
                    window=0), iface=iface)
    time.sleep(0.3)
    s.sendall(REQ); recv_exact(s, len(REPLY)); time.sleep(0.1); s.close()
    time.sleep(0.3)
    tap.stop()


def synrst(iface, port):
    """In the server's namespace: answer the next SYN to `port` with RST,ACK
    whose ack is the SYN's seq + 5001 (not acceptable: RFC 9293 3.10.7.3)."""
    sc = scapy()
    tap = Tap(sc, iface, port)
    print("ready", flush=True)
    syn = tap.wait(lambda p: sc.TCP in p and p[sc.TCP].flags == "S" and p[sc.TCP].dport == port,
                   0, timeout=10)
    sc.sendp(sc.Ether(src=syn[sc.Ether].dst, dst=syn[sc.Ether].src) /
             sc.IP(src=syn[sc.IP].dst, dst=syn[sc.IP].src) /
             sc.TCP(sport=port, dport=syn[sc.TCP].sport, seq=0,
                    ack=(syn[sc.TCP].seq + 5001) & 0xFFFFFFFF, flags="RA", window=0),
             iface=iface)
    tap.stop()


# ---- the delaying layer-2 relay (no tc netem in this kernel) ----------------

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def fix_tcp_checksum(frame):
    """veth hands frames over with the TCP checksum not filled in (checksum
    offload); a relayed copy must carry a correct one.  IPv4 TCP only."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
        return frame
    ihl = (frame[14] & 0x0F) * 4
    tot = struct.unpack("!H", frame[16:18])[0]
    seg = bytearray(frame[14 + ihl:14 + tot])
    seg[16:18] = b"\0\0"
    pseudo = frame[26:34] + struct.pack("!xBH", 6, len(seg))
    data = pseudo + bytes(seg) + (b"\0" if len(seg) % 2 else b"")
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    seg[16:18] = struct.pack("!H", (~s) & 0xFFFF)
    return frame[:14 + ihl] + bytes(seg) + frame[14 + tot:]


def relay(if1, if2, delay_ms):
    socks = {}
    for name in (if1, if2):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.bind((name, 0))
        socks[name] = s
    other = {if1: socks[if2], if2: socks[if1]}
    queue, cv = [], threading.Condition()
    delay = delay_ms / 1000.0
    seq = [0]

    def reader(name):
        s = socks[name]
        while True:
            try:
                frame, addr = s.recvfrom(65535)
            except OSError:      # the namespace is being removed
                return
            if addr[2] == PACKET_OUTGOING:
                continue
            with cv:
                seq[0] += 1
                heapq.heappush(queue, (time.monotonic() + delay, seq[0], name,
                                       fix_tcp_checksum(frame)))
                cv.notify()

    for name in (if1, if2):
        threading.Thread(target=reader, args=(name,), daemon=True).start()
    print("ready", flush=True)
    while True:
        with cv:
            while not queue:
                cv.wait()
            due, _n, name, frame = queue[0]
            now = time.monotonic()
            if due > now:
                cv.wait(due - now)
                continue
            heapq.heappop(queue)
        other[name].send(frame)


def main():
    a = sys.argv
    if a[1] == "server":
        server(a[2], a[3], int(a[4]))
    elif a[1] == "client":
        client(a[2], a[3], int(a[4]), a[5], int(a[6]))
    elif a[1] == "oldack":
        oldack(a[2], a[3], int(a[4]), a[5], int(a[6]), int(a[7]))
    elif a[1] == "rstinject":
        rstinject(a[2], a[3], int(a[4]), a[5], int(a[6]), a[7])
    elif a[1] == "synrst":
        synrst(a[2], int(a[3]))
    elif a[1] == "relay":
        relay(a[2], a[3], float(a[4]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
