#!/bin/bash
# demo.sh - build synfin and show what it says about a capture.
#
# Installs what is missing (tools/setup.sh), builds into build/, puts the
# plugin into a throw-away HOME (removed at exit; nothing is installed
# system-wide) and prints every TCP segment of a capture with synfin's
# annotations: the step label, both endpoints' RFC 9293 states after the
# segment, relative seq/ack and whether the ack is the expected one.
#
# Usage: tools/demo.sh [CAPTURE]
#   default: captures/open-close-4seg.pcap (a normal open and close)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

"$root/tools/setup.sh"

echo "demo: building (build/)"
cmake -S "$root" -B "$root/build" -G Ninja >/dev/null
cmake --build "$root/build" >/dev/null
so=$root/build/plugin/synfin.so
[ -r "$so" ] || { echo "demo: $so was not built" >&2; exit 1; }

capture=${1:-}
if [ -z "$capture" ]; then
    for c in "$root/captures/open-close-4seg.pcap" "$root/../shared/captures/public/dns_tcp.pcap"; do
        # A pcap header alone is 24 bytes: skip files without packets.
        if [ -r "$c" ] && [ "$(stat -c %s "$c")" -gt 24 ]; then capture=$c; break; fi
    done
fi
[ -n "$capture" ] && [ -r "$capture" ] || { echo "demo: no capture to show (give one as argument)" >&2; exit 1; }

. "$root/tests/lib/wsenv.sh"
ws_setup "$so"
cp "$capture" "$WS_TMP/demo.pcap" && chmod 644 "$WS_TMP/demo.pcap"

echo "demo: synfin on $capture"
echo "      (tshark as an unprivileged user; Wireshark ignores personal plugins as root)"
echo
# Custom columns give the states' names (-T fields alone prints numbers).
cols='"No.","%m","Label","%Cus:synfin.label:0:R","Client","%Cus:synfin.state.client:0:R","Server","%Cus:synfin.state.server:0:R"'
ws_run tshark -n -r "$WS_TMP/demo.pcap" -Y synfin -o "gui.column.format:$cols" \
    -T fields -e _ws.col.No. -e synfin.role -e tcp.flags.str -e tcp.len \
    -e _ws.col.Label -e _ws.col.Client -e _ws.col.Server \
    -e synfin.seq.rel -e synfin.ack.rel -e synfin.ack.expected -e synfin.ack.ok |
awk -F'\t' '
BEGIN { printf "%-5s %-4s %-12s %5s  %-24s %-13s %-13s %10s %10s  %s\n",
        "frame", "dir", "flags", "len", "synfin.label", "client", "server", "seq.rel", "ack.rel", "ack ok?" }
{
    dir = ($2 == 1) ? "C>S" : ($2 == 2) ? "S>C" : "?"
    ok = ($11 == "") ? "" : ($11 == "1" || $11 == "True") ? "yes" : "NO (expected " $10 ")"
    printf "%-5s %-4s %-12s %5s  %-24s %-13s %-13s %10s %10s  %s\n", $1, dir, $3, $4, $5, $6, $7, $8, $9, ok
}'
echo
echo "demo: try it on your own capture:  tools/demo.sh FILE.pcap"
