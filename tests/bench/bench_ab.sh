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
# HOME each (wsenv.sh), output to /dev/null. A pair is A and B started at
# the same time, each pinned to one of the two CPUs; each repetition runs
# one pair and then another with the CPUs swapped. A virtual machine's
# speed drifts within minutes and its two CPUs need not be equally fast:
# the two runs of a pair see the same moment, the swap cancels the CPUs.
# Prints each pair's CPU ratio B/A (user+sys, /usr/bin/time), their
# geometric mean, median and range, and "RESULT ab cpu_ratio=GEOMEAN
# pairs=N" (below 1: B is cheaper). Needs two CPUs and taskset.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
quick=0 reps=6 conns=30000 capture=
sos=() targs=()
. "$here/bench_plugin.inc.sh"
while [ $# -gt 0 ]; do
    bench_opt "$@"
    if [ "$bench_took" -gt 0 ]; then shift "$bench_took"; continue; fi
    case "$1" in
        -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
        *) if [ ${#sos[@]} -lt 2 ]; then sos+=("$1"); else targs+=("$1"); fi ;;
    esac
    shift
done
[ ${#sos[@]} = 2 ] || { echo "usage: $0 [--quick] [--reps N] [--connections N] [--capture FILE] A_SO B_SO [TSHARK-ARGS...]" >&2; exit 2; }
[ ${#targs[@]} -gt 0 ] || targs=(-T fields -e tcp.stream)
[ ${#targs[@]} = 1 ] && [ -z "${targs[0]}" ] && targs=()
[ -x /usr/bin/time ] || { echo "bench_ab: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
command -v taskset >/dev/null 2>&1 || { echo "bench_ab: taskset missing (util-linux)" >&2; exit 1; }
[ "$(nproc)" -ge 2 ] || { echo "bench_ab: needs two CPUs (a pair runs A and B at the same time)" >&2; exit 1; }
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

# run WHO HOME CPU: one timed run, "user sys" into $WS_TMP/WHO.time
run() {
    local out=$WS_TMP/$1.time
    if ! WS_HOME=$2 ws_run taskset -c "$3" /usr/bin/time -f '%U %S' -o "$out" \
            tshark -n -r "$cap" "${targs[@]}" >/dev/null 2>"$WS_TMP/$1.stderr"; then
        echo "bench_ab: tshark failed ($1):" >&2
        tail -5 "$WS_TMP/$1.stderr" >&2
        return 1
    fi
}
: > "$WS_TMP/pairs"
for _ in $(seq 1 "$reps"); do
    for c in 0 1; do
        run a "$home_a" "$c" & pa=$!
        run b "$home_b" $((1 - c)) & pb=$!
        wait "$pa" || exit 1
        wait "$pb" || exit 1
        printf '%s %s %s\n' "$c" "$(tail -1 "$WS_TMP/a.time")" "$(tail -1 "$WS_TMP/b.time")" >> "$WS_TMP/pairs"
    done
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
g = math.exp(sum(map(math.log, ratios)) / len(ratios))
print("B/A: geometric mean %.3f, median %.3f, range %.3f-%.3f over %d pairs"
      % (g, statistics.median(ratios), min(ratios), max(ratios), len(ratios)))
print("RESULT ab cpu_ratio=%.3f pairs=%d" % (g, len(ratios)))
EOF
