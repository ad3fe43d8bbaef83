#!/bin/bash
# demo.sh - the paired demo: synfin-inject makes a TCP connection by hand
# while tshark (and Wireshark, when there is a display) captures it live
# with the synfin plugin and profile.
#
#   tools/demo.sh               the paired live demo (needs root)
#   tools/demo.sh --loopback    the same on 127.0.0.1 instead of namespaces
#   tools/demo.sh --gui|--no-gui  force the Wireshark window on or off
#                               (default: on when $DISPLAY is set)
#   tools/demo.sh FILE.pcap     synfin's annotations of a capture file
#   --build-dir DIR             use the tree already built in DIR (no
#                               configure, no build; the tests use this)
#
# What the live demo does, step by step (every step says so as it runs):
#  1. tools/setup.sh installs what is missing (Debian packages), and lets the
#     "wireshark" group capture (dumpcap's capabilities).
#  2. Builds the plugin, synfin-inject and a small echo server into build/.
#  3. Makes a throw-away HOME for an unprivileged user (uid 65534 with the
#     wireshark group; Wireshark ignores personal plugins as root) holding the
#     plugin, the Lua scripts and the synfin profile, as a user would have
#     them after installing synfin personally.
#  4. Creates two network namespaces joined by a veth pair: the server side
#     198.51.100.1 and the client side 198.51.100.2 (a documentation range).
#  5. Starts the echo server (a real kernel TCP server) in the server
#     namespace, and a live capture in the client namespace: tshark
#     annotates each segment with its synfin label and both states as it
#     arrives (printed after the injector's own ladder, so the two do not
#     interleave); with a display, Wireshark opens too, with the synfin
#     profile, and shows the segments live.
#  6. Runs synfin-inject in the client namespace: handshake, a request, the
#     echoed reply, the four-way teardown; it prints its own ladder.
#  7. Stops the capture and prints the ladder diagram of the connection
#     (lua/synfin_ladder.lua) from the captured file.
#  8. Removes everything it made (processes, namespaces with their firewall
#     table, the HOME, temporary files) - also on Ctrl-C or an error.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

say() { printf '\ndemo: %s\n' "$*"; }
die() { printf 'demo: error: %s\n' "$*" >&2; exit 1; }

mode=netns gui=auto capture_file= build_dir=
while [ $# -gt 0 ]; do
    case "$1" in
        --loopback) mode=loopback ;;
        --build-dir)
            [ $# -ge 2 ] || die "--build-dir needs a folder"
            build_dir=$(cd "$2" 2>/dev/null && pwd) || die "no such build folder: $2"
            shift ;;
        --gui) gui=yes ;;
        --no-gui) gui=no ;;
        -h|--help) sed -n '2,35p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) die "unknown option $1 (see --help)" ;;
        *) capture_file=$1 ;;
    esac
    shift
done

"$root/tools/setup.sh"

if [ -z "$build_dir" ]; then
    build_dir=$root/build
    say "building ($build_dir)"
    cmake -S "$root" -B "$build_dir" -G Ninja >/dev/null
    cmake --build "$build_dir" >/dev/null
fi
so=$build_dir/plugin/synfin.so
inject=$build_dir/injector/synfin-inject
echo_server=$build_dir/tests/injector/synfin-echo-server
for f in "$so" "$inject" "$echo_server"; do
    [ -r "$f" ] || die "$f was not built"
done

. "$root/tests/lib/wsenv.sh"
ws_setup "$so"
say "throw-away HOME for uid 65534: $WS_HOME"
# The Lua scripts and the profile where Wireshark looks for a user's own.
mkdir -p "$WS_HOME/.local/lib/wireshark/plugins/synfin" "$WS_HOME/.config/wireshark/profiles"
cp "$root"/lua/*.lua "$WS_HOME/.local/lib/wireshark/plugins/synfin/"
cp -r "$root/plugin/profile/synfin" "$WS_HOME/.config/wireshark/profiles/"
chmod -R a+rX "$WS_HOME"
[ "$(id -u)" = 0 ] && chown -R 65534:65534 "$WS_HOME"

# One table layout for the live lines and the file mode.
fields=(-e frame.number -e frame.time_relative -e synfin.role -e tcp.flags.str -e tcp.len
        -e synfin.label -e synfin.state.client -e synfin.state.server
        -e synfin.seq.rel -e synfin.ack.rel -e synfin.ack.expected -e synfin.ack.ok -e synfin.injected)
# -T fields prints the states as numbers; their names are the plugin's own
# value strings (tshark -G values: "V<TAB>synfin.state.client<TAB>4<TAB>ESTABLISHED").
# (Custom columns and -e _ws.col.TITLE would give the names on 4.0 only:
# from 4.2 on the _ws.col.* fields are named by column type, not title.)
states=$WS_TMP/states.tsv
ws_run tshark -G values | awk -F'\t' '$1 == "V" && $2 == "synfin.state.client" { print $3 "\t" $4 }' >"$states"
[ -s "$states" ] || die "tshark -G values lists no synfin.state.client names (is the plugin loaded?)"
table() {
    awk -F'\t' -v states="$states" '
    function state(n) { return (n in name) ? name[n] : n }
    BEGIN { while ((getline line < states) > 0) { split(line, kv, "\t"); name[kv[1]] = kv[2] }
            printf "%-5s %8s %-4s %-12s %5s  %-24s %-12s %-12s %8s %8s  %-8s %s\n",
            "frame", "time", "dir", "flags", "len", "synfin.label", "client", "server",
            "seq.rel", "ack.rel", "ack ok?", "injected"; fflush() }
    {
        dir = ($3 == 1) ? "C>S" : ($3 == 2) ? "S>C" : "?"
        ok = ($12 == "") ? "" : ($12 == "1" || $12 == "True") ? "yes" : "NO:" $11
        inj = ($13 == "1" || $13 == "True") ? "*" : ""
        printf "%-5s %8.6f %-4s %-12s %5s  %-24s %-12s %-12s %8s %8s  %-8s %s\n",
               $1, $2, dir, $4, $5, $6, state($7), state($8), $9, $10, ok, inj
        fflush()
    }'
}

if [ -n "$capture_file" ]; then
    [ -r "$capture_file" ] || die "cannot read $capture_file"
    cp "$capture_file" "$WS_TMP/demo.pcap" && chmod 644 "$WS_TMP/demo.pcap"
    say "synfin on $capture_file (tshark as uid 65534; Wireshark ignores personal plugins as root)"
    ws_run tshark -n -r "$WS_TMP/demo.pcap" -Y synfin -T fields "${fields[@]}" | table
    exit 0
fi

# ---------------------------------------------------------------- live demo
[ "$(id -u)" = 0 ] || die "the live demo needs root (namespaces, raw sockets); try: tools/demo.sh FILE.pcap"

NS_SRV=synfin-demo-srv NS_CLI=synfin-demo-cli
pids=() made_ns=
# kill_tree SIGNAL PID: PID and its descendants (ws_run's subshell -> tshark
# or wireshark -> dumpcap).
kill_tree() {
    local c
    for c in $(pgrep -P "$2" 2>/dev/null); do kill_tree "$1" "$c"; done
    kill "-$1" "$2" 2>/dev/null || true
}
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    for p in "${pids[@]}"; do kill_tree TERM "$p"; done
    if [ -n "$made_ns" ]; then
        # Whatever still runs in the namespaces.
        for ns in "$NS_CLI" "$NS_SRV"; do
            ip netns pids "$ns" 2>/dev/null | xargs -r kill -TERM 2>/dev/null
        done
        sleep 0.3
        for ns in "$NS_CLI" "$NS_SRV"; do
            ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
            ip netns del "$ns" 2>/dev/null
        done
    fi
    sleep 0.2
    for p in "${pids[@]}"; do kill_tree KILL "$p"; wait "$p" 2>/dev/null; done
    # Wireshark's capture file: dumpcap (file capabilities) ignores TMPDIR
    # and writes to /tmp; Wireshark removes it only when it quits normally.
    if [ -r "$WS_TMP/wireshark.log" ]; then
        sed -n 's/.*Capture MESSAGE.*File: "\(\/tmp\/wireshark_[^"]*\)".*/\1/p' "$WS_TMP/wireshark.log" |
            while read -r f; do rm -f "$f"; done
    fi
    # Loopback: a guard a killed injector left (namespaces took theirs along).
    [ -z "$made_ns" ] && "$inject" --cleanup >/dev/null 2>&1
    ws_cleanup                           # the HOME, with the capture and temp files
    [ $rc -ne 0 ] && printf 'demo: cleaned up after exit status %s\n' "$rc" >&2
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$mode" = netns ]; then
    say "network namespaces $NS_CLI (198.51.100.2) <-veth-> $NS_SRV (198.51.100.1)"
    for ns in "$NS_CLI" "$NS_SRV"; do
        ip netns list | grep -qw "^$ns" && ip netns del "$ns"   # left by a killed demo
    done
    made_ns=1
    ip netns add "$NS_SRV"
    ip netns add "$NS_CLI"
    ip link add sfdemo-s netns "$NS_SRV" type veth peer name sfdemo-c netns "$NS_CLI"
    ip -n "$NS_SRV" addr add 198.51.100.1/24 dev sfdemo-s
    ip -n "$NS_CLI" addr add 198.51.100.2/24 dev sfdemo-c
    for ns in "$NS_SRV" "$NS_CLI"; do ip -n "$ns" link set lo up; done
    ip -n "$NS_SRV" link set sfdemo-s up
    ip -n "$NS_CLI" link set sfdemo-c up
    server=198.51.100.1 port=7 iface=sfdemo-c
    run_srv=(ip netns exec "$NS_SRV") run_cli=(ip netns exec "$NS_CLI")
    export WS_NETNS=$NS_CLI
else
    server=127.0.0.1 iface=lo
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    run_srv=() run_cli=()
fi

say "starting the echo server on $server:$port (a real kernel TCP server)"
"${run_srv[@]}" "$echo_server" --count 1 "$server" "$port" &
pids+=($!)

# Capture rights the Debian way: the wireshark group may run dumpcap.
export WS_GROUPS="--groups wireshark"
say "live capture: tshark -C synfin -i $iface -f 'tcp port $port' (uid 65534, group wireshark)"
mkfifo "$WS_TMP/live.fifo"
ws_run tshark -n -C synfin -i "$iface" -f "tcp port $port" -l -w "$WS_TMP/live.pcapng" -P \
    -T fields "${fields[@]}" >"$WS_TMP/live.fifo" 2>"$WS_TMP/tshark.err" &
pid_tshark=$!
pids+=($pid_tshark)
# The live lines are kept until the injector has printed its own ladder, so
# that the two printouts do not interleave on the terminal.
table <"$WS_TMP/live.fifo" >"$WS_TMP/live.txt" &
pid_table=$!
pids+=($pid_table)
for _ in $(seq 100); do grep -q 'Capturing on' "$WS_TMP/tshark.err" 2>/dev/null && break; sleep 0.1; done
grep -q 'Capturing on' "$WS_TMP/tshark.err" || { cat "$WS_TMP/tshark.err" >&2; die "tshark did not start capturing"; }

if [ "$gui" = auto ]; then
    if [ -n "${DISPLAY:-}" ] && command -v wireshark >/dev/null; then gui=yes; else gui=no; fi
fi
if [ "$gui" = yes ]; then
    [ -n "${DISPLAY:-}" ] || die "--gui needs a display (\$DISPLAY is not set)"
    xenv="DISPLAY=$DISPLAY XDG_RUNTIME_DIR=$WS_HOME/xdg TMPDIR=$WS_TMP"
    mkdir -p -m 700 "$WS_HOME/xdg" && chown 65534:65534 "$WS_HOME/xdg"
    if [ -r "${XAUTHORITY:-$HOME/.Xauthority}" ]; then
        cp "${XAUTHORITY:-$HOME/.Xauthority}" "$WS_HOME/.Xauthority"
        chown 65534:65534 "$WS_HOME/.Xauthority"
        xenv="$xenv XAUTHORITY=$WS_HOME/.Xauthority"
    fi
    say "opening Wireshark with the synfin profile, capturing on $iface"
    WS_EXTRA_ENV=$xenv ws_run wireshark -C synfin -i "$iface" -k -f "tcp port $port" \
        >"$WS_TMP/wireshark.log" 2>&1 &
    pid_gui=$!
    pids+=($pid_gui)
    sleep 4   # the window and its capture need a moment before the connection
fi

sleep 0.5
say "synfin-inject $server $port: the connection made by hand (its own ladder):"
"${run_cli[@]}" "$inject" -d "hello from synfin-inject" "$server" "$port" ||
    die "synfin-inject failed (exit $?)"

sleep 1   # the last segments reach the capture
# tshark is the child of ws_run's subshell: stop it like Ctrl-C would.
pkill -INT -P "$pid_tshark" || true
wait "$pid_tshark" 2>/dev/null || true
wait "$pid_table" 2>/dev/null || true

say "the live capture: tshark -C synfin annotated each segment as it arrived (* = synfin.injected):"
cat "$WS_TMP/live.txt"

say "the ladder of the captured connection (tshark -X lua_script:synfin_ladder.lua -X lua_script1:0):"
ws_run tshark -q -r "$WS_TMP/live.pcapng" -X "lua_script:$WS_HOME/.local/lib/wireshark/plugins/synfin/synfin_ladder.lua" \
    -X lua_script1:0

if [ "$gui" = yes ]; then
    say "Wireshark is still open: close its window to end the demo (or press Ctrl-C)."
    say "Tools > synfin > Ladder diagram draws the same ladder there."
    wait "$pid_gui" 2>/dev/null || true
fi
say "done - everything the demo made is removed on exit"
