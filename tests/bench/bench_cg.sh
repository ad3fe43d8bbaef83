#!/bin/bash
# bench_cg.sh - what synfin costs tshark per TCP segment, counted instead of
# timed: instructions and cache misses from valgrind's cachegrind, which
# do not depend on how busy the machine is.
#
# Usage: tests/bench/bench_cg.sh [--quick] [--reps N] [--connections N]
#                                [--capture FILE] PLUGIN_SO
#   PLUGIN_SO       the synfin.so to measure (e.g. build/plugin/synfin.so)
#   --reps N        runs of each command (default 3; the median is shown)
#   --connections   size of the generated capture (default 2000 connections,
#                   about 26,000 segments)
#   --capture FILE  measure an existing capture instead
#   --quick         smoke mode: one run on 100 connections (the start-up of
#                   tshark then outweighs the capture: not a measurement)
#
# For `tshark -r CAP -T fields -e tcp.stream` and plain `tshark -r CAP`,
# each with synfin and with --disable-protocol synfin, runs tshark as uid
# 65534 (wsenv.sh) under `valgrind --tool=cachegrind --cache-sim=yes`, once
# on the capture and once on an empty capture of the same link type: the
# difference is what the segments cost, without tshark's start-up and
# exit. Prints per segment the instructions (Ir), first-level instruction
# and data cache misses (I1mr; D1mr + D1mw) and last-level misses (ILmr +
# DLmr + DLmw), with synfin's extra as a percentage of the disabled run,
# and one line per command:
#   RESULT cg_fields instr_extra_percent=X i1_extra_percent=X d1_extra_percent=X ll_extra_percent=X instr_extra_per_segment=N instr_spread_per_segment=N
#   RESULT cg_plain  ...
# The counts are not the same on every run: Wireshark's wmem maps (the
# frame's protocol layers, conversations, ...) place their keys with a
# multiplier drawn at random when each tshark starts (wmem_init_hashing in
# wsutil/wmem/wmem_map.c, 4.0 to 4.6), so the length of the chains that a
# lookup walks differs from run to run: some hundreds of instructions a
# segment in these commands, up to a third of what synfin adds. So each
# command runs --reps times, each figure is the median of its runs, and
# instr_spread_per_segment is the largest minus the smallest instruction
# count a segment of any one configuration had over its runs (0 with one
# run).
# The simulated caches are a 32 KiB 8-way I1, a 48 KiB 12-way D1 and a
# 1 MiB 16-way last level (a recent x86 core's L1 and L2), so that figures
# from different machines compare; SYNFIN_CG_CACHES replaces those options.
# These are counts, not time: a miss costs some cycles in the first-level
# cache's case and tens in the last level's, and the timed figures are
# bench_plugin.sh's (README "Performance").
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
quick=0 reps=3 conns=2000 quick_conns=100 capture= so= segments=0 streams=0
. "$here/bench_plugin.inc.sh"
bench_args bench_cg "[--quick] [--reps N] [--connections N] [--capture FILE] PLUGIN_SO" "$@"
[ "$reps" -ge 1 ] 2>/dev/null || { echo "bench_cg: --reps needs a number of at least 1" >&2; exit 2; }
command -v valgrind >/dev/null 2>&1 || { echo "bench_cg: valgrind missing (apt-get install valgrind; tools/setup.sh installs it)" >&2; exit 1; }
caches=${SYNFIN_CG_CACHES:---I1=32768,8,64 --D1=49152,12,64 --LL=1048576,16,64}

. "$here/../lib/wsenv.sh"
ws_setup "$so"
bench_stage_capture
# The empty capture: the capture's packets before 1970-01-01 00:00:01 (none).
empty=$WS_TMP/empty.pcapng
editcap -B "1970-01-01 00:00:01" "$cap" "$empty" >/dev/null 2>&1 &&
    [ "$(capinfos -c -M "$empty" 2>/dev/null | sed -n 's/^Number of packets: *//p')" = 0 ] ||
    { echo "bench_cg: editcap could not make an empty copy of the capture" >&2; exit 1; }
chmod 644 "$empty"
bench_count_capture bench_cg
echo "valgrind $(valgrind --version | sed 's/^valgrind-//'), cachegrind $caches"
[ "$quick" = 1 ] && echo "quick mode: $conns connections (a smoke test, not a measurement)"

# run NAME FILE ARGS...: cachegrind's counts for tshark -n -r FILE ARGS
# into $WS_TMP/NAME.cg (the output file of uid 65534).
run() {
    local name=$1 file=$2
    shift 2
    # $caches is split on purpose: options without spaces.
    # shellcheck disable=SC2086
    if ! ws_run valgrind --tool=cachegrind --cache-sim=yes $caches \
            --cachegrind-out-file="$WS_TMP/$name.cg" \
            tshark -n -r "$file" "$@" >/dev/null 2>"$WS_TMP/$name.err"; then
        echo "bench_cg: tshark under valgrind failed ($name):" >&2
        tail -5 "$WS_TMP/$name.err" >&2
        return 1
    fi
}
fields=(-T fields -e tcp.stream)
off=(--disable-protocol synfin)
# Two at a time (the counts do not depend on what else runs).
pids=()
start() { run "$@" & pids+=($!); }
finish() { local p rc=0; for p in "${pids[@]}"; do wait "$p" || rc=1; done; pids=(); return $rc; }
echo "runs: $reps of each command (medians shown)"
for r in $(seq 1 "$reps"); do
    start "fields_off.$r" "$cap" "${fields[@]}" "${off[@]}"; start "fields_on.$r" "$cap" "${fields[@]}"; finish
    start "plain_off.$r" "$cap" "${off[@]}"; start "plain_on.$r" "$cap"; finish
    start "fields_off0.$r" "$empty" "${fields[@]}" "${off[@]}"; start "fields_on0.$r" "$empty" "${fields[@]}"; finish
    start "plain_off0.$r" "$empty" "${off[@]}"; start "plain_on0.$r" "$empty"; finish
done

/usr/bin/python3 - "$WS_TMP" "$segments" "$reps" <<'PY'
import statistics
import sys
tmp, segs, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def counts(name):
    """{event: total} from a cachegrind output file's events/summary lines."""
    ev = tot = None
    for line in open(f"{tmp}/{name}.cg"):
        if line.startswith("events:"):
            ev = line.split()[1:]
        elif line.startswith("summary:"):
            tot = [int(x) for x in line.split()[1:]]
    if ev is None or tot is None:
        sys.exit(f"bench_cg: no totals in {name}.cg")
    c = dict(zip(ev, tot))
    return {"instr": c["Ir"], "i1": c["I1mr"], "d1": c["D1mr"] + c["D1mw"],
            "ll": c["ILmr"] + c["DLmr"] + c["DLmw"]}

def per_segment(name):
    """Per event, the median over the runs of (capture - empty capture) / segments,
    and the instructions' spread (largest - smallest) over the runs."""
    runs = []
    for r in range(1, reps + 1):
        full, empty = counts(f"{name}.{r}"), counts(f"{name}0.{r}")
        runs.append({k: (full[k] - empty[k]) / segs for k in full})
    med = {k: statistics.median(run[k] for run in runs) for k in runs[0]}
    instr = [run["instr"] for run in runs]
    return med, max(instr) - min(instr)

keys = ("instr", "i1", "d1", "ll")
print(f"{'per segment (median)':42s} {'instr':>9s} {'I1 miss':>8s} {'D1 miss':>8s} {'LL miss':>8s} {'instr spread':>12s}")
for cmd, label in (("fields", "-T fields -e tcp.stream"), ("plain", "plain -r")):
    (off, off_spread), (on, on_spread) = per_segment(cmd + "_off"), per_segment(cmd + "_on")
    print(f"{label + ', synfin disabled':42s} " + " ".join(f"{off[k]:{9 if k == 'instr' else 8}.1f}" for k in keys)
          + f" {off_spread:12.0f}")
    print(f"{label + ', synfin':42s} " + " ".join(f"{on[k]:{9 if k == 'instr' else 8}.1f}" for k in keys)
          + f" {on_spread:12.0f}")
    pct = {k: 100.0 * (on[k] - off[k]) / off[k] if off[k] > 0 else float("nan") for k in keys}
    print(f"{'  extra':42s} " + " ".join(f"{pct[k]:{8 if k == 'instr' else 7}.1f}%" for k in keys))
    print(f"RESULT cg_{cmd} instr_extra_percent={pct['instr']:.2f} i1_extra_percent={pct['i1']:.2f} "
          f"d1_extra_percent={pct['d1']:.2f} ll_extra_percent={pct['ll']:.2f} "
          f"instr_extra_per_segment={on['instr'] - off['instr']:.0f} "
          f"instr_spread_per_segment={max(off_spread, on_spread):.0f}")
PY
