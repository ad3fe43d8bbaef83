"""peer.py - the client and server programs for the real-kernel captures.

Run inside the namespaces made by real.sh (Debian's /usr/bin/python3, stdlib
only).  Every shape is one mode; the server accepts `count` connections.

  peer.py server MODE ADDR PORT [COUNT]
  peer.py client MODE ADDR PORT SRCADDR SRCPORT [COUNT]
"""
import socket
import struct
import sys
import time

REQ = b"GET /synfin HTTP/1.0\r\n\r\n"        # 24 bytes
REPLY = b"HTTP/1.0 200 OK\r\n\r\nsynfin\n"   # 26 bytes


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def read_to_eof(s):
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            return data
        data += chunk


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def server(mode, addr, port, count):
    ls = socket.socket(family(addr), socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(8)
    print("ready", flush=True)
    for _ in range(count):
        s, _peer = ls.accept()
        if mode == "close4":          # client closes first; we close 0.3 s later
            recv_exact(s, len(REQ)); s.sendall(REPLY)
            read_to_eof(s); time.sleep(0.3); s.close()
        elif mode == "close3":        # client closes first; we close at once
            recv_exact(s, len(REQ)); s.sendall(REPLY)
            read_to_eof(s); s.close()
        elif mode == "srvfirst":      # we close first, right after the reply
            recv_exact(s, len(REQ)); s.sendall(REPLY)
            time.sleep(0.1); s.close()
        elif mode == "halfclose":     # read until the client's FIN, then answer
            read_to_eof(s); time.sleep(0.1); s.sendall(REPLY)
            time.sleep(0.1); s.close()
        elif mode == "abort":         # the client resets; just read
            try:
                read_to_eof(s)
            except ConnectionResetError:
                pass
            s.close()
        elif mode == "multi":         # three request/replies, client closes first
            for _i in range(3):
                recv_exact(s, len(REQ)); s.sendall(REPLY)
            read_to_eof(s); s.close()
        else:
            raise SystemExit("unknown mode " + mode)
    ls.close()


def client(mode, addr, port, srcaddr, srcport, count):
    for i in range(count):
        s = socket.socket(family(addr), socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((srcaddr, srcport))
        s.settimeout(10)
        try:
            s.connect((addr, port))
        except (ConnectionRefusedError, socket.timeout) as e:
            print("connect:", e, flush=True)
            s.close()
            continue
        if mode in ("close4", "close3"):
            s.sendall(REQ); recv_exact(s, len(REPLY)); time.sleep(0.1); s.close()
        elif mode == "srvfirst":
            s.sendall(REQ); read_to_eof(s); time.sleep(0.1); s.close()
        elif mode == "halfclose":
            s.sendall(REQ); time.sleep(0.1); s.shutdown(socket.SHUT_WR)
            read_to_eof(s); time.sleep(0.1); s.close()
        elif mode == "abort":
            s.sendall(REQ); time.sleep(0.2)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        elif mode == "multi":
            for _i in range(3):
                s.sendall(REQ); recv_exact(s, len(REPLY)); time.sleep(0.05)
            time.sleep(0.1); s.close()
        else:
            raise SystemExit("unknown mode " + mode)
        if i + 1 < count:
            time.sleep(0.3)


def main():
    role, mode, addr, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    if role == "server":
        server(mode, addr, port, int(sys.argv[5]) if len(sys.argv) > 5 else 1)
    else:
        client(mode, addr, port, sys.argv[5], int(sys.argv[6]),
               int(sys.argv[7]) if len(sys.argv) > 7 else 1)


if __name__ == "__main__":
    main()
