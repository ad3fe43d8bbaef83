#!/bin/bash
# bench_plugin.sh - what synfin costs tshark, as ratios against a baseline
# measured in the same run.
#
# Usage: tests/bench/bench_plugin.sh [--quick] [--reps N] [--connections N]
#                                    [--capture FILE] PLUGIN_SO
#   PLUGIN_SO       the synfin.so to measure (e.g. build/plugin/synfin.so)
#   --connections   size of the generated capture (default 30000 connections,
#                   about 390,000 segments; written to a temp dir)
#   --capture FILE  measure an existing capture instead
#   --reps N        runs per configuration, alternating (default 5; median)
#   --quick         smoke mode: 1,000 connections, 1 run each
#
# Runs tshark as uid 65534 with the plugin in a throw-away HOME (wsenv.sh),
# output to /dev/null, timed by /usr/bin/time (user+sys CPU, peak RSS):
#   baseline : tshark -r CAP -T fields -e tcp.stream --disable-protocol synfin
#   plugin   : tshark -r CAP -T fields -e tcp.stream          (synfin enabled)
#   label    : tshark -r CAP -T fields -e synfin.label        (synfin enabled)
#   label_base: the same with --disable-protocol synfin (the field is then empty)
#   plain    : tshark -r CAP  (default summary lines), with and without synfin
# and prints CPU ratio plugin/baseline and the extra peak memory per segment.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
quick=0 reps=5 conns=30000 capture= so=
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1; reps=1; conns=1000 ;;
        --reps) reps=$2; shift ;;
        --connections) conns=$2; shift ;;
        --capture) capture=$2; shift ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        -*) echo "bench: unknown option $1" >&2; exit 2 ;;
        *) so=$1 ;;
    esac
    shift
done
[ -n "$so" ] || { echo "usage: $0 [--quick] [--reps N] [--connections N] [--capture FILE] PLUGIN_SO" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }

. "$here/../lib/wsenv.sh"
ws_setup "$so"

cap=$WS_TMP/bench.pcap
if [ -n "$capture" ]; then
    [ -r "$capture" ] || { echo "bench: cannot read $capture" >&2; exit 1; }
    cp "$capture" "$cap"
    echo "capture: $capture"
else
    echo "generating $conns connections ..."
    /usr/bin/python3 "$here/gen_capture.py" --connections "$conns" "$cap"
fi
chmod 644 "$cap"
segments=$(ws_run tshark -n -r "$cap" -T fields -e tcp.stream 2>/dev/null | grep -c .)
streams=$(ws_run tshark -n -r "$cap" -T fields -e tcp.stream 2>/dev/null | sort -u | grep -c .)
echo "capture: $segments TCP segments, $streams connections, $(stat -c %s "$cap") bytes"
[ "$segments" -gt 0 ] || { echo "bench: no TCP segments in the capture" >&2; exit 1; }

# measure NAME TSHARK-ARGS...: one timed run, appends "user sys maxrss_kb"
# to $WS_TMP/NAME.times.
measure() {
    local name=$1; shift
    local out=$WS_TMP/time.out
    if ! ws_run /usr/bin/time -f '%U %S %M' -o "$out" tshark -n -r "$cap" "$@" >/dev/null 2>"$WS_TMP/stderr"; then
        echo "bench: tshark failed ($name):" >&2
        tail -5 "$WS_TMP/stderr" >&2
        exit 1
    fi
    tail -1 "$out" >> "$WS_TMP/$name.times"
}

for i in $(seq 1 "$reps"); do
    # Alternate, so drifts (cache, CPU frequency) hit both sides alike.
    measure baseline -T fields -e tcp.stream --disable-protocol synfin
    measure plugin -T fields -e tcp.stream
    measure label_base -T fields -e synfin.label --disable-protocol synfin
    measure label -T fields -e synfin.label
    # tshark's default output (summary lines, no details): the tree is not
    # visible, so synfin builds only its Info-column label.
    measure plain_base --disable-protocol synfin
    measure plain
    printf '.'
done
echo

/usr/bin/python3 - "$WS_TMP" "$segments" "$reps" <<'EOF'
import statistics, sys
tmp, segments, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def load(name):
    rows = [list(map(float, l.split())) for l in open("%s/%s.times" % (tmp, name)) if l.strip()]
    cpu = statistics.median(u + s for u, s, _ in rows)
    rss = statistics.median(m for _, _, m in rows) * 1024
    return cpu, rss, rows
base_cpu, base_rss, _ = load("baseline")
print("runs per configuration: %d (medians); segments: %d" % (reps, segments))
print("%-10s %10s %12s %10s %16s" % ("config", "cpu_s", "peak_rss_MB", "cpu_ratio", "extra_B/segment"))
for name, ref in (("baseline", "baseline"), ("plugin", "baseline"), ("label_base", "label_base"),
                  ("label", "label_base"), ("plain_base", "plain_base"), ("plain", "plain_base")):
    cpu, rss, rows = load(name)
    rcpu, rrss, _ = load(ref)
    print("%-10s %10.2f %12.1f %9.3fx %16.1f" % (name, cpu, rss / 1e6, cpu / rcpu if rcpu else 0,
                                              (rss - rrss) / segments))
p_cpu, p_rss, _ = load("plugin")
l_cpu, l_rss, _ = load("label")
print("RESULT plugin_vs_baseline cpu_extra_percent=%.1f extra_bytes_per_segment=%.1f"
      % ((p_cpu / base_cpu - 1) * 100 if base_cpu else 0, (p_rss - base_rss) / segments))
pb_cpu, pb_rss, _ = load("plain_base")
pl_cpu, pl_rss, _ = load("plain")
print("RESULT plain_r_vs_baseline cpu_extra_percent=%.1f extra_bytes_per_segment=%.1f"
      % ((pl_cpu / pb_cpu - 1) * 100 if pb_cpu else 0, (pl_rss - pb_rss) / segments))
lb_cpu, lb_rss, _ = load("label_base")
print("RESULT label_vs_disabled cpu_extra_percent=%.1f extra_bytes_per_segment=%.1f"
      % ((l_cpu / lb_cpu - 1) * 100 if lb_cpu else 0, (l_rss - lb_rss) / segments))
EOF
