# bench_plugin.inc.sh - what bench_plugin.sh, bench_ab.sh and bench_cg.sh share: their
# common options, the capture they measure, its counts and how two runs are timed
# against each other. Sourced; uses and sets the
# callers' variables quick, reps, conns, quick_conns, capture, cap, so,
# segments, streams and here (the scripts' folder), and wsenv.sh's WS_TMP
# and ws_run.

# bench_opt WORD [NEXT]: takes one of the common options (--quick, --reps N,
# --connections N, --capture FILE); sets bench_took to the number of words
# it used, 0 when WORD is not one of them.  --quick: one repetition of a
# capture of $quick_conns connections (default 1000).
bench_opt() {
    bench_took=1
    case "$1" in
        --quick) quick=1; reps=1; conns=${quick_conns:-1000} ;;
        --reps) reps=${2:?--reps needs a number}; bench_took=2 ;;
        --connections) conns=${2:?--connections needs a number}; bench_took=2 ;;
        --capture) capture=${2:?--capture needs a file}; bench_took=2 ;;
        *) bench_took=0 ;;
    esac
}

# bench_help: the script's header comment (from its second line to the
# first line that is not a comment), for -h/--help.
bench_help() {
    awk 'NR == 1 { next } /^#/ { print; next } { exit }' "$0"
}

# bench_args NAME USAGE ARGS...: the command line of a script that measures
# one PLUGIN_SO (bench_plugin.sh, bench_cg.sh): the common options
# (bench_opt), -h/--help (bench_help), PLUGIN_SO into so; "NAME: unknown
# option" or "usage: SCRIPT USAGE" and exit 2 otherwise.
bench_args() {
    local name=$1 usage=$2
    shift 2
    while [ $# -gt 0 ]; do
        bench_opt "$@"
        if [ "$bench_took" -gt 0 ]; then shift "$bench_took"; continue; fi
        case "$1" in
            -h|--help) bench_help; exit 0 ;;
            -*) echo "$name: unknown option $1" >&2; exit 2 ;;
            *) so=$1 ;;
        esac
        shift
    done
    [ -n "$so" ] || { echo "usage: $0 $usage" >&2; exit 2; }
}

# bench_stage_capture: $WS_TMP/bench.pcap (readable by uid 65534) from
# --capture FILE, else generated with $conns connections; sets cap.
bench_stage_capture() {
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
}

# bench_count_capture NAME: the capture's TCP segments and connections
# (tcp.stream values) into segments and streams, from one tshark run, and
# the line that says them; stops the script (NAME: in the message) when the
# capture has no TCP segment.
bench_count_capture() {
    ws_run tshark -n -r "$cap" -T fields -e tcp.stream 2>/dev/null | grep . >"$WS_TMP/streams" || true
    segments=$(wc -l <"$WS_TMP/streams")
    streams=$(sort -u "$WS_TMP/streams" | wc -l)
    echo "capture: $segments TCP segments, $streams connections, $(stat -c %s "$cap") bytes"
    [ "$segments" -gt 0 ] || { echo "$1: no TCP segments in the capture" >&2; exit 1; }
}

# bench_pairs FUNC_A FUNC_B RECORD: one repetition of two timed runs that
# are to be compared. FUNC_A CPU and FUNC_B CPU each make one timed tshark
# run, pinned to CPU when CPU is not empty. The two run in turns of
# BENCH_TURN seconds (default 0.1) on one CPU, alternate.py stopping the one
# whose turn it is not: this machine's speed drifts by several percent
# within seconds, and runs that take turns see the same drift. Runs started
# at the same time on two CPUs do not (those pairs spread by ±10 %), and two
# runs left to the scheduler's own time slices of a few milliseconds pay for
# refilling the caches after each other, which hides part of the difference
# (README "Performance"). With two CPUs and taskset, a repetition is two
# such pairs at the same time: on CPU 0 A takes the first turn, on CPU 1 B.
# Then RECORD CPU runs for each pair, in CPU order (CPU empty for one pair).
bench_together() {
    local cpu=$1 a b rc=0 pin=()
    [ -n "$cpu" ] && pin=(taskset -c "$cpu")
    set -m # each run in its own process group, for alternate.py to stop
    "$2" "$cpu" & a=$!
    "$3" "$cpu" & b=$!
    set +m
    "${pin[@]}" /usr/bin/python3 "$here/alternate.py" "${BENCH_TURN:-0.1}" "$a" "$b" 2>/dev/null || rc=1
    wait "$a" || rc=1
    wait "$b" || rc=1
    return "$rc"
}
bench_pairs() {
    local p0 p1 rc=0
    if [ "$(nproc 2>/dev/null || echo 1)" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
        bench_together 0 "$1" "$2" & p0=$!
        bench_together 1 "$2" "$1" & p1=$!
        wait "$p0" || rc=1
        wait "$p1" || rc=1
        [ "$rc" = 0 ] && "$3" 0 && "$3" 1
    else
        bench_together "" "$1" "$2" && "$3" ""
    fi
}

# bench_tshark NAME CPU FORMAT TSHARK-ARGS...: one timed run of tshark -n -r
# $cap TSHARK-ARGS (ws_run: in WS_HOME), /usr/bin/time's FORMAT into
# $WS_TMP/NAME.CPU.time, pinned to CPU unless it is empty; when tshark
# fails, the end of its stderr.
bench_tshark() {
    local name=$1 cpu=$2 format=$3 pin=()
    shift 3
    [ -n "$cpu" ] && pin=(taskset -c "$cpu")
    if ! ws_run "${pin[@]}" /usr/bin/time -f "$format" -o "$WS_TMP/$name.$cpu.time" \
            tshark -n -r "$cap" "$@" >/dev/null 2>"$WS_TMP/$name.$cpu.stderr"; then
        echo "bench: tshark failed ($name):" >&2
        tail -5 "$WS_TMP/$name.$cpu.stderr" >&2
        return 1
    fi
}
