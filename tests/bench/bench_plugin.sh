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
#   --reps N        repetitions (default 5; median); with two CPUs a repetition
#                   is two simultaneous pairs, the CPUs swapped
#   --quick         smoke mode: 1,000 connections, 1 repetition
#
# Runs tshark as uid 65534 with the plugin in a throw-away HOME (wsenv.sh),
# output to /dev/null, timed by /usr/bin/time (user+sys CPU, peak RSS):
#   baseline : tshark -r CAP -T fields -e tcp.stream --disable-protocol synfin
#   plugin   : tshark -r CAP -T fields -e tcp.stream          (synfin enabled)
#   label    : tshark -r CAP -T fields -e synfin.label        (synfin enabled)
#   label_base: the same with --disable-protocol synfin (the field is then empty)
#   plain    : tshark -r CAP  (default summary lines), with and without synfin
# and prints the CPU ratio enabled/disabled (median over the repetitions of
# each repetition's ratio; the pair runs at the same time on two CPUs, once
# each way round, see pair(); also the lowest and highest repetition, the
# ratio of the medians and of the minima) and the extra peak memory per
# segment.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
quick=0 reps=5 conns=30000 capture= so=
. "$here/bench_plugin.inc.sh"
while [ $# -gt 0 ]; do
    bench_opt "$@"
    if [ "$bench_took" -gt 0 ]; then shift "$bench_took"; continue; fi
    case "$1" in
        -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
        -*) echo "bench: unknown option $1" >&2; exit 2 ;;
        *) so=$1 ;;
    esac
    shift
done
[ -n "$so" ] || { echo "usage: $0 [--quick] [--reps N] [--connections N] [--capture FILE] PLUGIN_SO" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }

. "$here/../lib/wsenv.sh"
ws_setup "$so"

bench_stage_capture
segments=$(ws_run tshark -n -r "$cap" -T fields -e tcp.stream 2>/dev/null | grep -c .)
streams=$(ws_run tshark -n -r "$cap" -T fields -e tcp.stream 2>/dev/null | sort -u | grep -c .)
echo "capture: $segments TCP segments, $streams connections, $(stat -c %s "$cap") bytes"
[ "$segments" -gt 0 ] || { echo "bench: no TCP segments in the capture" >&2; exit 1; }

# measure NAME TSHARK-ARGS...: one timed run, appends "user sys maxrss_kb"
# to $WS_TMP/NAME.times.
# MEASURE_CPU: when set, the run is pinned to that CPU (taskset).
measure() {
    local name=$1; shift
    local out=$WS_TMP/$name.time.out pin=()
    [ -n "${MEASURE_CPU:-}" ] && pin=(taskset -c "$MEASURE_CPU")
    if ! ws_run "${pin[@]}" /usr/bin/time -f '%U %S %M' -o "$out" tshark -n -r "$cap" "$@" >/dev/null 2>"$WS_TMP/$name.stderr"; then
        echo "bench: tshark failed ($name):" >&2
        tail -5 "$WS_TMP/$name.stderr" >&2
        return 1
    fi
    tail -1 "$out" >> "$WS_TMP/$name.times"
}

# pair BASE NAME ARGS...: the disabled and the enabled runs of one
# repetition. With two CPUs or more they run at the same time, each pinned
# to its own CPU, and then again with the CPUs swapped: a virtual machine's
# speed drifts by tens of percent within minutes, and a simultaneous pair
# sees the same speed; the two CPUs need not be equally fast, and the swap
# cancels that. With one CPU, one pair back to back, in alternating order.
ncpu=$(nproc 2>/dev/null || echo 1)
command -v taskset >/dev/null 2>&1 || ncpu=1
pair() {
    local base=$1 name=$2; shift 2
    if [ "$ncpu" -ge 2 ]; then
        local a pb pn
        for a in 0 1; do
            MEASURE_CPU=$a measure "$base" "$@" --disable-protocol synfin & pb=$!
            MEASURE_CPU=$((1 - a)) measure "$name" "$@" & pn=$!
            wait "$pb" || exit 1
            wait "$pn" || exit 1
        done
    elif [ $((i % 2)) = 1 ]; then
        measure "$base" "$@" --disable-protocol synfin || exit 1
        measure "$name" "$@" || exit 1
    else
        measure "$name" "$@" || exit 1
        measure "$base" "$@" --disable-protocol synfin || exit 1
    fi
}
for i in $(seq 1 "$reps"); do
    pair baseline plugin -T fields -e tcp.stream
    pair label_base label -T fields -e synfin.label
    # tshark's default output (summary lines, no details): the tree is not
    # visible, so synfin builds only its Info-column label.
    pair plain_base plain
    printf '.'
done
echo

/usr/bin/python3 - "$WS_TMP" "$segments" "$reps" <<'EOF'
import math, statistics, sys
tmp, segments, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def load(name):
    rows = [list(map(float, l.split())) for l in open("%s/%s.times" % (tmp, name)) if l.strip()]
    cpu = statistics.median(u + s for u, s, _ in rows)
    rss = statistics.median(m for _, _, m in rows) * 1024
    return cpu, rss, rows
runs = {name: load(name) for name in ("baseline", "plugin", "label_base", "label", "plain_base", "plain")}
print("repetitions: %d, %d runs per configuration (medians); segments: %d"
      % (reps, len(runs["plugin"][2]), segments))
print("%-10s %10s %12s %10s %16s" % ("config", "cpu_s", "peak_rss_MB", "cpu_ratio", "extra_B/segment"))
for name, ref in (("baseline", "baseline"), ("plugin", "baseline"), ("label_base", "label_base"),
                  ("label", "label_base"), ("plain_base", "plain_base"), ("plain", "plain_base")):
    cpu, rss, _ = runs[name]
    rcpu, rrss, _ = runs[ref]
    print("%-10s %10.2f %12.1f %9.3fx %16.1f" % (name, cpu, rss / 1e6, cpu / rcpu if rcpu else 0,
                                              (rss - rrss) / segments))
# On a shared virtual machine the speed itself drifts by tens of percent
# within minutes; the ratio of each pair (run together), median over the
# repetitions, is what such drift leaves alone (the headline). A repetition
# with two pairs (the CPUs swapped) counts the geometric mean of their two
# ratios. The lowest and highest repetition, the ratio of the medians and of
# the minima are printed beside it.
pairs = (("plugin", "baseline", "plugin_vs_baseline"), ("plain", "plain_base", "plain_r_vs_baseline"),
         ("label", "label_base", "label_vs_disabled"))
print()
print("%-22s %14s %16s %16s %14s" % ("CPU enabled/disabled", "paired median", "reps low-high",
                                      "ratio of medians", "ratio of minima"))
results = []
for name, ref, result in pairs:
    (cpu, rss, rows), (rcpu, rrss, refs) = runs[name], runs[ref]
    ratios = [(r[0] + r[1]) / (b[0] + b[1]) for r, b in zip(rows, refs) if b[0] + b[1] > 0]
    per = max(1, len(ratios) // reps)  # pairs per repetition: 2 when the CPUs were swapped
    reps_r = [math.exp(sum(map(math.log, ratios[k:k + per])) / per) for k in range(0, len(ratios), per)]
    paired = statistics.median(reps_r)
    minima = min(u + s for u, s, _ in rows) / min(u + s for u, s, _ in refs)
    print("%-22s %13.3fx %8.3f-%.3fx %15.3fx %13.3fx" % (name, paired, min(reps_r), max(reps_r), cpu / rcpu,
                                                         minima))
    results.append("RESULT %s cpu_extra_percent=%.1f extra_bytes_per_segment=%.1f"
                   % (result, (paired - 1) * 100, (rss - rrss) / segments))
print("\n".join(results))
EOF
