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
#   --reps N        repetitions (default 5); with two CPUs a repetition is
#                   two pairs, one on each CPU
#   --quick         smoke mode: 1,000 connections, 1 repetition
#
# Runs tshark as uid 65534 with the plugin in a throw-away HOME (wsenv.sh),
# output to /dev/null, timed by /usr/bin/time (user+sys CPU, peak RSS):
#   baseline : tshark -r CAP -T fields -e tcp.stream --disable-protocol synfin
#   plugin   : tshark -r CAP -T fields -e tcp.stream          (synfin enabled)
#   label    : tshark -r CAP -T fields -e synfin.label        (synfin enabled)
#   label_base: the same with --disable-protocol synfin (the field is then empty)
#   plain    : tshark -r CAP  (default summary lines), with and without synfin
# and prints the CPU ratio enabled/disabled (the geometric mean over the
# pairs, whose two runs take turns on one CPU: bench_pairs in
# bench_plugin.inc.sh; about 95 % of its uncertainty; the lowest and highest
# pair) and the extra peak memory per segment.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
quick=0 reps=5 conns=30000 capture= so= segments=0 streams=0
. "$here/bench_plugin.inc.sh"
bench_args bench "[--quick] [--reps N] [--connections N] [--capture FILE] PLUGIN_SO" "$@"
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }

. "$here/../lib/wsenv.sh"
ws_setup "$so"

bench_stage_capture
bench_count_capture bench

# one timed run each: "user sys maxrss_kb" (bench_tshark)
run_base() { bench_tshark "$pair_base" "$1" '%U %S %M' "${pair_args[@]}" --disable-protocol synfin; }
run_name() { bench_tshark "$pair_name" "$1" '%U %S %M' "${pair_args[@]}"; }

# record CPU: the pair that ran on CPU, one line each into
# $WS_TMP/BASE.times and NAME.times, so that line k of one goes with line k
# of the other.
record() {
    tail -1 "$WS_TMP/$pair_base.$1.time" >> "$WS_TMP/$pair_base.times"
    tail -1 "$WS_TMP/$pair_name.$1.time" >> "$WS_TMP/$pair_name.times"
}
# pair BASE NAME ARGS...: one repetition of the disabled and the enabled
# run (bench_pairs: in turns on one CPU; two such pairs when there are two
# CPUs).
pair() {
    pair_base=$1 pair_name=$2; shift 2
    pair_args=("$@")
    bench_pairs run_base run_name record || exit 1
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
# The headline is the geometric mean of the pairs' ratios (each pair's two
# runs took turns on one CPU, see bench_pairs), with about 95 % of its
# uncertainty (two standard errors of the mean log ratio) and the lowest
# and highest pair beside it.
pairs = (("plugin", "baseline", "plugin_vs_baseline"), ("plain", "plain_base", "plain_r_vs_baseline"),
         ("label", "label_base", "label_vs_disabled"))
print()
print("%-22s %14s %12s %16s %6s" % ("CPU enabled/disabled", "geometric mean", "95 % +-", "pairs low-high",
                                    "pairs"))
results = []
for name, ref, result in pairs:
    (cpu, rss, rows), (rcpu, rrss, refs) = runs[name], runs[ref]
    logs = [math.log((r[0] + r[1]) / (b[0] + b[1])) for r, b in zip(rows, refs)
            if b[0] + b[1] > 0 and r[0] + r[1] > 0]
    if not logs:
        sys.exit("bench: no timed pairs for %s" % name)
    mean = statistics.fmean(logs)
    half = 2 * statistics.stdev(logs) / math.sqrt(len(logs)) if len(logs) > 1 else float("nan")
    geo = math.exp(mean)
    print("%-22s %13.3fx %11.1f%% %8.3f-%.3fx %6d" % (name, geo, 100 * half, math.exp(min(logs)),
                                                     math.exp(max(logs)), len(logs)))
    results.append("RESULT %s cpu_extra_percent=%.1f ci95_percent=%.1f extra_bytes_per_segment=%.1f"
                   % (result, (geo - 1) * 100, 100 * half, (rss - rrss) / segments))
print("\n".join(results))
EOF
