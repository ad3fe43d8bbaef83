#!/bin/bash
# real.sh - make the real-kernel reference captures (run as root).
#
# Two network namespaces joined by a veth pair: client 192.0.2.1 /
# 2001:db8::1, server 192.0.2.2 / 2001:db8::2.  tcpdump captures on the
# client's veth (pcap, immediate mode).  Everything is removed on exit, also
# on failure.  Output goes to DIR (default: captures/ next to this script's
# repository).  Usage: real.sh [DIR] [NAME...]   (no NAME: all of them)
#
# Kernel ISNs, ports of retries and timings differ from run to run, so a
# regenerated capture needs new expected files; the committed pcaps are the
# reference.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/../../captures}
shift || true
PY=/usr/bin/python3
PEER=$HERE/peer.py
NC=synfin-cap-c-$$
NS=synfin-cap-s-$$
TCPDUMP_PID=
SERVER_PID=

cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi
    if [ -n "$TCPDUMP_PID" ]; then kill "$TCPDUMP_PID" 2>/dev/null || true; fi
    ip netns del "$NC" 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

setup() {
    ip netns add "$NC"
    ip netns add "$NS"
    ip link add vc netns "$NC" type veth peer name vs netns "$NS"
    for ns in "$NC" "$NS"; do
        ip -n "$ns" link set lo up
        # no TSO/GRO surprises; small MSS-sized writes only anyway
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0
    done
    ip -n "$NC" addr add 192.0.2.1/24 dev vc
    ip -n "$NS" addr add 192.0.2.2/24 dev vs
    ip -n "$NC" addr add 2001:db8::1/64 dev vc nodad
    ip -n "$NS" addr add 2001:db8::2/64 dev vs nodad
    ip -n "$NC" link set vc up
    ip -n "$NS" link set vs up
    sleep 0.5
}

start_capture() {   # FILE
    rm -f "$1"
    ip netns exec "$NC" tcpdump -i vc --immediate-mode -U -s 0 -w "$1" tcp 2>/dev/null &
    TCPDUMP_PID=$!
    sleep 1
}

stop_capture() {
    sleep 0.5
    kill -INT "$TCPDUMP_PID"; wait "$TCPDUMP_PID" 2>/dev/null || true
    TCPDUMP_PID=
}

start_server() {   # MODE ADDR PORT [COUNT]
    ip netns exec "$NS" "$PY" "$PEER" server "$@" > /dev/null &
    SERVER_PID=$!
    sleep 0.5
}

wait_server() {
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
}

client() {   # MODE ADDR PORT SRC SRCPORT [COUNT]
    ip netns exec "$NC" "$PY" "$PEER" client "$@"
}

# name  -> one capture
cap_open_close_4seg() {
    start_server close4 192.0.2.2 8001
    start_capture "$OUT/open-close-4seg.pcap"
    client close4 192.0.2.2 8001 192.0.2.1 40001
    wait_server; stop_capture
}
cap_open_close_3seg() {
    start_server close3 192.0.2.2 8002
    start_capture "$OUT/open-close-3seg.pcap"
    client close3 192.0.2.2 8002 192.0.2.1 40002
    wait_server; stop_capture
}
cap_server_closes_first() {
    start_server srvfirst 192.0.2.2 8003
    start_capture "$OUT/server-closes-first.pcap"
    client srvfirst 192.0.2.2 8003 192.0.2.1 40003
    wait_server; stop_capture
}
cap_half_close() {
    start_server halfclose 192.0.2.2 8004
    start_capture "$OUT/half-close.pcap"
    client halfclose 192.0.2.2 8004 192.0.2.1 40004
    wait_server; stop_capture
}
cap_abort() {
    start_server abort 192.0.2.2 8005
    start_capture "$OUT/abort-linger0.pcap"
    client abort 192.0.2.2 8005 192.0.2.1 40005
    wait_server; stop_capture
}
cap_refused() {
    start_capture "$OUT/refused.pcap"
    client close3 192.0.2.2 8006 192.0.2.1 40006 || true
    stop_capture
}
cap_syn_retrans() {
    # drop the server's incoming SYNs for 0.5 s: the client's first SYN is
    # lost, its retransmission (about 1 s later) gets through
    start_server close3 192.0.2.2 8007
    ip netns exec "$NS" nft -f - <<'NFT'
table inet synfin_cap {
    chain in { type filter hook input priority 0; tcp dport 8007 tcp flags & (syn|ack) == syn drop; }
}
NFT
    start_capture "$OUT/syn-retransmission.pcap"
    ( sleep 0.5; ip netns exec "$NS" nft delete table inet synfin_cap ) &
    local lift=$!
    client close3 192.0.2.2 8007 192.0.2.1 40007
    wait "$lift" || true
    wait_server; stop_capture
}
cap_ipv6() {
    start_server close3 2001:db8::2 8008
    start_capture "$OUT/ipv6-open-close.pcap"
    client close3 2001:db8::2 8008 2001:db8::1 40008
    wait_server; stop_capture
}
cap_port_reuse() {
    start_server srvfirst 192.0.2.2 8009 2
    start_capture "$OUT/port-reuse.pcap"
    client srvfirst 192.0.2.2 8009 192.0.2.1 40009 2
    wait_server; stop_capture
}
cap_multi() {
    # source of mid-stream.pcap and truncated-snap60.pcap (not a reference itself)
    start_server multi 192.0.2.2 8010
    start_capture "$OUT/.multi-full.pcap"
    client multi 192.0.2.2 8010 192.0.2.1 40010
    wait_server; stop_capture
    editcap -F pcap "$OUT/.multi-full.pcap" "$OUT/mid-stream.pcap" 1-4
    editcap -F pcap -s 60 "$OUT/.multi-full.pcap" "$OUT/truncated-snap60.pcap"
    rm -f "$OUT/.multi-full.pcap"
}

ALL="open_close_4seg open_close_3seg server_closes_first half_close abort refused syn_retrans ipv6 port_reuse multi"
setup
if [ $# -gt 0 ]; then NAMES=("$@"); else read -r -a NAMES <<< "$ALL"; fi
for n in "${NAMES[@]}"; do
    echo "capture: $n"
    "cap_$n"
done
chown root:root "$OUT"/*.pcap 2>/dev/null || true
chmod 644 "$OUT"/*.pcap
