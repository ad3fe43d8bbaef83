#!/bin/bash
# s8real.sh - make the real-kernel reference captures of spec section 8
# (run as root).  Usage: s8real.sh [DIR] [NAME...]   (no NAME: all of them)
#
# Like real.sh: network namespaces joined by veth pairs, addresses from
# 198.51.100.0/24 (client .1, server .2), Debian's /usr/bin/python3 with
# s8peer.py (kernel sockets; Scapy only for the segments a kernel will not
# send by itself), tcpdump --immediate-mode -U.  Every namespace, nft table
# and process is removed on exit, also on failure.  Kernel ISNs and timings
# change from run to run: a regenerated capture needs its expected file
# derived again (the committed pcaps are the reference).
#
# The path for the vantage captures (section 8.5) is
#   client (vc) -- [relay A: ra1 ra2] -- [relay B: rb1 rb2] -- server (vs)
# where each relay is a user-space layer-2 relay (s8peer.py relay) that
# delays every frame by 10 ms: this kernel has no tc netem.  tcpdump runs on
# vc (near the client), ra2 (in between) and vs (near the server) at once.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/../../captures}
shift || true
OUT=$(cd "$OUT" && pwd)
PY=/usr/bin/python3
PEER=$HERE/s8peer.py
TAG=$$
NC=s8-c-$TAG NS=s8-s-$TAG NA=s8-a-$TAG NB=s8-b-$TAG
PIDS=()

cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    for ns in "$NC" "$NS" "$NA" "$NB"; do ip netns del "$ns" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

bg() {   # NETNS CMD...: run in the background, remember the pid
    local ns=$1; shift
    ip netns exec "$ns" "$@" > /dev/null &
    PIDS+=($!)
    LAST=$!
}

reap() {   # PID: wait for it and forget it
    wait "$1" 2>/dev/null || true
    local keep=() p
    for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    PIDS=("${keep[@]}")
}

netns_up() {   # NS...
    local ns
    for ns in "$@"; do
        ip netns del "$ns" 2>/dev/null || true
        ip netns add "$ns"
        ip -n "$ns" link set lo up
    done
}

setup_pair() {   # client and server joined directly
    netns_up "$NC" "$NS"
    ip link add vc netns "$NC" type veth peer name vs netns "$NS"
    ip -n "$NC" addr add 198.51.100.1/24 dev vc
    ip -n "$NS" addr add 198.51.100.2/24 dev vs
    ip -n "$NC" link set vc up
    ip -n "$NS" link set vs up
    sleep 0.5
}

teardown_all() {
    for ns in "$NC" "$NS" "$NA" "$NB"; do ip netns del "$ns" 2>/dev/null || true; done
}

capture() {   # NETNS IFACE FILE [FILTER]: start tcpdump, LAST = its pid
    rm -f "$3"
    bg "$1" tcpdump -i "$2" --immediate-mode -U -s 0 -w "$3" "${4:-tcp}"
    sleep 1
}

stop() {   # PID of a tcpdump
    sleep 0.5
    kill -INT "$1" 2>/dev/null || true
    reap "$1"
}

server() {   # MODES PORT: LAST = its pid
    bg "$NS" "$PY" "$PEER" server "$1" 198.51.100.2 "$2"
    sleep 0.5
}

# --- 8.1 + 8.2: a server in TIME-WAIT answers a lower-ISN SYN with the old
# connection's ACK; the client's RST clears it (tcp_rfc1337=0), its SYN again
# is accepted.
cap_tw_old_ack() {
    setup_pair
    # the client namespace's kernel has no socket for the raw client's
    # segments: keep its RSTs off the wire (Scapy sends at layer 2, below nft)
    ip netns exec "$NC" nft -f - <<'NFT'
table inet s8 {
    chain out { type filter hook output priority 0; tcp sport 40020 tcp flags & rst == rst drop; }
}
NFT
    ip netns exec "$NS" sysctl -n net.ipv4.tcp_rfc1337 | grep -qx 0 ||
        { echo "tw_old_ack: tcp_rfc1337 is not 0 in the server namespace" >&2; return 1; }
    server srvfirst,eof 8020; local srv=$LAST
    capture "$NC" vc "$OUT/tw-old-ack.pcap"; local cap=$LAST
    ip netns exec "$NC" "$PY" "$PEER" client srvfirst 198.51.100.2 8020 198.51.100.1 40020
    sleep 0.5
    # the new ISN: 100000 below the first connection's client ISN (mod 2^32)
    local old
    old=$(tshark -r "$OUT/tw-old-ack.pcap" -o tcp.relative_sequence_numbers:FALSE \
          -Y 'tcp.flags == 0x002' -T fields -e tcp.seq_raw 2>/dev/null | head -1)
    ip netns exec "$NC" "$PY" "$PEER" oldack vc 198.51.100.2 8020 198.51.100.1 40020 \
        $(( (old - 100000) & 0xFFFFFFFF ))
    reap "$srv"; stop "$cap"
    teardown_all
}

# --- 8.2: the kernel client uses the 4-tuple again while the server is in
# TIME-WAIT; its ISN is higher, the server's kernel accepts the SYN.
cap_reuse_tw_higher() {
    setup_pair
    server srvfirst,srvfirst 8021; local srv=$LAST
    capture "$NC" vc "$OUT/reuse-tw-higher.pcap"; local cap=$LAST
    ip netns exec "$NC" "$PY" "$PEER" client srvfirst 198.51.100.2 8021 198.51.100.1 40021
    sleep 0.3
    ip netns exec "$NC" "$PY" "$PEER" client srvfirst 198.51.100.2 8021 198.51.100.1 40021
    reap "$srv"; stop "$cap"
    teardown_all
    # the same capture with the second connection 70 s later (crafted time:
    # a test cannot wait out the 60 s TIME-WAIT)
    "$PY" "$HERE/s8shift.py" "$OUT/reuse-tw-higher.pcap" "$OUT/reuse-after-tw.pcap" 70
}

# --- 8.3: a RST into a live connection, in window but not exact (the
# server's kernel sends a challenge ACK) or out of window (ignored); the
# connection goes on.
cap_rst_inject() {   # MODE FILE PORT
    setup_pair
    server twice "$3"; local srv=$LAST
    capture "$NC" vc "$OUT/$2"; local cap=$LAST
    ip netns exec "$NC" "$PY" "$PEER" rstinject "$1" 198.51.100.2 "$3" 198.51.100.1 $((40000 + $3 - 8000)) vc
    reap "$srv"; stop "$cap"
    teardown_all
}
cap_rst_in_window()     { cap_rst_inject inwindow rst-in-window.pcap 8022; }
cap_rst_out_of_window() { cap_rst_inject outofwindow rst-out-of-window.pcap 8023; }

# --- 8.3: a RST,ACK answering a SYN with an ack that is not acceptable: the
# client's kernel ignores it; the server's nft drops the first SYN so the
# real answer comes to the retransmitted SYN.
cap_rst_syn_bad_ack() {
    setup_pair
    server close3 8024; local srv=$LAST
    ip netns exec "$NS" nft -f - <<'NFT'
table inet s8 {
    chain in { type filter hook input priority 0; tcp dport 8024 tcp flags & (syn|ack) == syn drop; }
}
NFT
    bg "$NS" "$PY" "$PEER" synrst vs 8024; local inj=$LAST
    sleep 2
    capture "$NC" vc "$OUT/rst-syn-bad-ack.pcap"; local cap=$LAST
    ( sleep 0.5; ip netns exec "$NS" nft delete table inet s8 ) &
    local lift=$!
    ip netns exec "$NC" "$PY" "$PEER" client close3 198.51.100.2 8024 198.51.100.1 40024
    wait "$lift" || true
    reap "$inj"; reap "$srv"; stop "$cap"
    teardown_all
}

# --- 8.4: the client closes first, the server sits in CLOSE_WAIT for 2 s.
cap_close_wait() {
    setup_pair
    server closewait 8025; local srv=$LAST
    capture "$NC" vc "$OUT/close-wait-2s.pcap"; local cap=$LAST
    ip netns exec "$NC" "$PY" "$PEER" client close3 198.51.100.2 8025 198.51.100.1 40025
    reap "$srv"; stop "$cap"
    teardown_all
}

# --- 8.5: one connection captured near the client, in between, near the server.
cap_vantage() {
    netns_up "$NC" "$NS" "$NA" "$NB"
    ip link add vc netns "$NC" type veth peer name ra1 netns "$NA"
    ip link add ra2 netns "$NA" type veth peer name rb1 netns "$NB"
    ip link add rb2 netns "$NB" type veth peer name vs netns "$NS"
    ip -n "$NC" addr add 198.51.100.1/24 dev vc
    ip -n "$NS" addr add 198.51.100.2/24 dev vs
    for l in "$NC vc" "$NA ra1" "$NA ra2" "$NB rb1" "$NB rb2" "$NS vs"; do
        set -- $l; ip -n "$1" link set "$2" up
    done
    bg "$NA" "$PY" "$PEER" relay ra1 ra2 10
    bg "$NB" "$PY" "$PEER" relay rb1 rb2 10
    sleep 1
    server close3 8026; local srv=$LAST
    capture "$NC" vc "$OUT/vantage-client.pcap"; local c1=$LAST
    capture "$NA" ra2 "$OUT/vantage-between.pcap"; local c2=$LAST
    capture "$NS" vs "$OUT/vantage-server.pcap"; local c3=$LAST
    ip netns exec "$NC" "$PY" "$PEER" client close3 198.51.100.2 8026 198.51.100.1 40026
    reap "$srv"; stop "$c1"; stop "$c2"; stop "$c3"
    teardown_all
}

# --- 8.5: loopback (a + b below 20 us: unknown), in one namespace's lo.
cap_vantage_loopback() {
    netns_up "$NC"
    ip -n "$NC" addr add 198.51.100.1/32 dev lo
    bg "$NC" "$PY" "$PEER" server close3 198.51.100.1 8027; local srv=$LAST
    sleep 0.5
    capture "$NC" lo "$OUT/vantage-loopback.pcap"; local cap=$LAST
    ip netns exec "$NC" "$PY" "$PEER" client close3 198.51.100.1 8027 198.51.100.1 40027
    reap "$srv"; stop "$cap"
    teardown_all
}

ALL="tw_old_ack reuse_tw_higher rst_in_window rst_out_of_window rst_syn_bad_ack close_wait vantage vantage_loopback"
if [ $# -gt 0 ]; then NAMES=("$@"); else read -r -a NAMES <<< "$ALL"; fi
for n in "${NAMES[@]}"; do
    echo "capture: $n"
    "cap_$n"
done
chmod 644 "$OUT"/*.pcap
