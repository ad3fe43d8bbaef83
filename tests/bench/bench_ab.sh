#!/bin/bash
# bench_ab.sh - which of two builds of the plugin costs tshark less CPU.
#
# Usage: tests/bench/bench_ab.sh [--quick] [--reps N] [--connections N]
#                                [--capture FILE] A_SO B_SO [TSHARK-ARGS...]
#   A_SO, B_SO      the two synfin.so builds (e.g. before and after a change)
#   TSHARK-ARGS     what tshark does besides -n -r CAPTURE (default:
#                   -T fields -e tcp.stream; none at all: give "")
#   --connections   size of the generated capture (default 30000)
#   --capture FILE  measure an existing capture instead
#   --reps N        repetitions (default 6); a repetition is two pairs
#   --quick         smoke mode: 1,000 connections, 1 repetition
#
# Both builds run enabled, as uid 65534 with the plugin in a throw-away
# HOME each (wsenv.sh), output to /dev/null. A pair is A and B taking turns
# on one CPU (bench_pairs in bench_plugin.inc.sh); with two CPUs a
# repetition is two pairs at the same time, A first on CPU 0, B first on
# CPU 1. Prints each pair's CPU ratio B/A (user+sys, /usr/bin/time), their
# geometric mean with about 95 % of its uncertainty, median and range, and
# "RESULT ab cpu_ratio=GEOMEAN pairs=N" (below 1: B is cheaper).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
quick=0 reps=6 conns=30000 capture=
sos=() targs=()
. "$here/bench_plugin.inc.sh"
while [ $# -gt 0 ]; do
    bench_opt "$@"
    if [ "$bench_took" -gt 0 ]; then shift "$bench_took"; continue; fi
    case "$1" in
        -h|--help) bench_help; exit 0 ;;
        *) if [ ${#sos[@]} -lt 2 ]; then sos+=("$1"); else targs+=("$1"); fi ;;
    esac
    shift
done
[ ${#sos[@]} = 2 ] || { echo "usage: $0 [--quick] [--reps N] [--connections N] [--capture FILE] A_SO B_SO [TSHARK-ARGS...]" >&2; exit 2; }
[ ${#targs[@]} -gt 0 ] || targs=(-T fields -e tcp.stream)
[ ${#targs[@]} = 1 ] && [ -z "${targs[0]}" ] && targs=()
[ -x /usr/bin/time ] || { echo "bench_ab: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
[ "$quick" = 1 ] && echo "quick mode: $conns connections, 1 repetition (a smoke test, not a measurement)"

. "$here/../lib/wsenv.sh"
ws_setup "${sos[1]}"
home_b=$WS_HOME
ws_setup "${sos[0]}" # WS_TMP: A's
home_a=$WS_HOME

bench_stage_capture
echo "A: ${sos[0]}"
echo "B: ${sos[1]}"
echo "tshark -n -r $(basename "${capture:-$cap}") ${targs[*]}"

# one timed run each, "user sys" (bench_tshark), in A's and B's HOME
run_a() { WS_HOME=$home_a bench_tshark a "$1" '%U %S' "${targs[@]}"; }
run_b() { WS_HOME=$home_b bench_tshark b "$1" '%U %S' "${targs[@]}"; }
# record CPU: the pair that ran on CPU, as a line of $WS_TMP/pairs
record() {
    printf '%s %s %s\n' "${1:--}" "$(tail -1 "$WS_TMP/a.$1.time")" "$(tail -1 "$WS_TMP/b.$1.time")" >> "$WS_TMP/pairs"
}
: > "$WS_TMP/pairs"
for _ in $(seq 1 "$reps"); do
    bench_pairs run_a run_b record || exit 1
    printf '.'
done
echo

/usr/bin/python3 - "$WS_TMP/pairs" <<'EOF'
import math, statistics, sys
ratios = []
print("%-5s %-5s %8s %8s %7s" % ("pair", "A cpu", "A cpu_s", "B cpu_s", "B/A"))
for n, line in enumerate(open(sys.argv[1]), 1):
    c, au, asys, bu, bsys = line.split()
    a, b = float(au) + float(asys), float(bu) + float(bsys)
    if a <= 0 or b <= 0:
        continue
    ratios.append(b / a)
    print("%-5d %-5s %8.2f %8.2f %7.3f" % (n, c, a, b, b / a))
if not ratios:
    sys.exit("bench_ab: no timed pairs")
logs = [math.log(r) for r in ratios]
g = math.exp(statistics.fmean(logs))
half = "%.1f %%" % (200 * statistics.stdev(logs) / math.sqrt(len(logs))) if len(logs) > 1 else "?"
print("B/A: geometric mean %.3f (95 %% +- %s), median %.3f, range %.3f-%.3f over %d pairs"
      % (g, half, statistics.median(ratios), min(ratios), max(ratios), len(ratios)))
print("RESULT ab cpu_ratio=%.3f pairs=%d" % (g, len(ratios)))
EOF
