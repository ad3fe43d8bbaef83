# bench_plugin.inc.sh - what bench_plugin.sh and bench_ab.sh share: their
# common options and the capture they measure. Sourced; uses and sets the
# callers' variables quick, reps, conns, capture and here (the scripts'
# folder), and WS_TMP from wsenv.sh.

# bench_opt WORD [NEXT]: takes one of the common options (--quick, --reps N,
# --connections N, --capture FILE); sets bench_took to the number of words
# it used, 0 when WORD is not one of them.
bench_opt() {
    bench_took=1
    case "$1" in
        --quick) quick=1; reps=1; conns=1000 ;;
        --reps) reps=${2:?--reps needs a number}; bench_took=2 ;;
        --connections) conns=${2:?--connections needs a number}; bench_took=2 ;;
        --capture) capture=${2:?--capture needs a file}; bench_took=2 ;;
        *) bench_took=0 ;;
    esac
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
