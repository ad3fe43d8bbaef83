#!/bin/bash
# output_agrees.sh OUTPUT_REPLAY PLUGIN_SO CAPTURE...
#
# The injector's output module and the plugin render the same segments the
# same way, also for shapes a live exchange cannot be made to produce (a
# simultaneous open, where handshake.rtt belongs on SYN-ACK 3/4 and
# handshake.time on SYN-ACK 4/4 - one engine rule, lc_view_of): each capture
# is replayed through injector/output.c (output_replay, JSON) and compared
# field by field with tshark + synfin.so (plugin_agrees.py --no-marker).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 3 ] || { echo "usage: $0 OUTPUT_REPLAY PLUGIN_SO CAPTURE..." >&2; exit 2; }
REPLAY=$1 SO=$2
shift 2
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
bad=0
for cap in "$@"; do
    name=$(basename "$cap" .pcap)
    if ! "$REPLAY" "$cap" > "$WORK/$name.json"; then
        echo "FAIL $name: output_replay failed"; bad=1; continue
    fi
    # the rule the test is about must really be exercised where it applies
    if [ "$name" = sim-open ] &&
       ! grep -q '"label":"SYN-ACK 3/4".*"handshake.rtt"' "$WORK/$name.json"; then
        echo "FAIL $name: the injector's JSON has no handshake.rtt on SYN-ACK 3/4"; bad=1
    fi
    if bash "$HERE/../lib/with-ws.sh" "$SO" /usr/bin/python3 "$HERE/plugin_agrees.py" \
            --no-marker "$WORK/$name.json" "$cap"; then
        echo "ok   $name"
    else
        echo "FAIL $name: the plugin and the injector's output disagree"; bad=1
    fi
done
exit $bad
