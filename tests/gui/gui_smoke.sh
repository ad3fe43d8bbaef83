#!/bin/bash
# gui_smoke.sh - smoke tests of the real Wireshark 4.0 GUI under Xvfb with the
# synfin plugin, its Lua scripts and the synfin profile, as a user would have
# them (recipe: shared/reference/gui-headless.md).
#
# usage: gui_smoke.sh MODE OUTDIR PLUGIN_SO PROFILE_INSTALL_SCRIPT PROFILE_INSTALL_DIR REPO [INJECT ECHO_SERVER]
#   MODE   file    a capture opened with -C synfin: every synfin colour rule is
#                  visible (exact-colour pixel counts), and the columns
#                  exported by the GUI itself (File > Export Packet
#                  Dissections > As CSV) are the profile's, with the labels and
#                  states of the hand-written expected files
#          live    live capture on lo (tcp port P, as uid 65534 in group
#                  wireshark) while synfin-inject talks to the echo server on
#                  127.0.0.1:P: the injected highlight and the handshake and
#                  teardown colours appear; Ctrl+Q leaves no dumpcap behind
#          ladder  Tools > synfin > Ladder diagram opens the Lua window
#                  (checked by its title, "... synfin ladder: stream 0")
#          flow    tshark -z flow,synfin,network prints the synfin labels
#   OUTDIR  screenshots and logs of failed runs are kept here
#   PROFILE_INSTALL_SCRIPT  the build tree's plugin/profile/cmake_install.cmake:
#           run with DESTDIR into the throw-away HOME, i.e. exactly the files
#           `cmake --install` installs, then put where Wireshark looks for a
#           user's profiles
# Environment: SYNFIN_GUI_SHOT=FILE keeps the final screenshot (live: the
# packet list; ladder: the ladder window) for tools/screenshots.sh.
#
# Runs as root (it hands uid 65534 the wireshark group and drives the
# injector); otherwise exit 77 (skipped). Missing programs are a failure:
# tools/setup.sh installs them. Every process (Wireshark, its dumpcap, Xvfb,
# the echo server) and the throw-away HOME are removed on exit, also on failure.
set -u
MODE=$1 OUTDIR=$2 PLUGIN_SO=$3 PROFILE_SCRIPT=$4 PROFILE_DIR=$5 REPO=$6
INJ=${7:-} ECHO=${8:-}
LOCK=/tmp/synfin-netfilter.lock
SECONDS=0

# Exact colours of the profile's rules (plugin/profile/synfin/colorfilters,
# 16-bit components / 257).
C_INJECTED='rgb(200,0,200)'
C_RESET='rgb(204,0,0)'
C_ANOMALY='rgb(255,215,0)'
C_HANDSHAKE='rgb(96,200,96)'
C_TEARDOWN='rgb(173,216,230)'
ROW_PX=10000      # a 1280-px window's packet-list row is about 20,000 px

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (setpriv to uid 65534 with the wireshark group, the injector)"; exit 77; }
for p in wireshark tshark Xvfb xdotool import convert setpriv editcap mergecap cmake; do
    command -v "$p" >/dev/null 2>&1 || { echo "FAIL: $p is missing (tools/setup.sh installs it)"; exit 1; }
done
getent group wireshark >/dev/null || { echo "FAIL: no wireshark group (tools/setup.sh sets it up)"; exit 1; }

. "$REPO/tests/lib/wsenv.sh"
mkdir -p "$OUTDIR"
FAILS=0
XVFB= WS= WSP= ECHO_PID= DISP= WS_TEMPFILE=
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
elapsed() { echo "$SECONDS"; }

cleanup() {
    local c
    if [ -n "$WSP" ] && kill -0 "$WSP" 2>/dev/null; then
        # SIGTERM would orphan dumpcap: kill the child first.
        for c in $(pgrep -P "$WSP"); do kill -KILL "$c" 2>/dev/null; done
        kill -KILL "$WSP" 2>/dev/null
    fi
    [ -n "$WS" ] && { kill -KILL "$WS" 2>/dev/null; wait "$WS" 2>/dev/null; }
    [ -n "$ECHO_PID" ] && { kill -KILL "$ECHO_PID" 2>/dev/null; wait "$ECHO_PID" 2>/dev/null; }
    [ -n "$XVFB" ] && { kill -TERM "$XVFB" 2>/dev/null; wait "$XVFB" 2>/dev/null; }
    # the capture's temp file (dumpcap has file capabilities, so it ignores
    # TMPDIR and writes to /tmp); Wireshark removes it when it quits normally
    [ -n "$WS_TEMPFILE" ] && rm -f "$WS_TEMPFILE"
    ws_cleanup
}
die() { echo "FAIL: $*"; shot "$OUTDIR/$MODE-failure.png"; echo "screenshot: $OUTDIR/$MODE-failure.png"; exit 1; }

# --- the throw-away HOME: plugin (wsenv.sh), Lua scripts, installed profile ---
ws_setup "$PLUGIN_SO" || exit 1
# after ws_setup, which sets its own EXIT trap (cleanup calls ws_cleanup)
trap cleanup EXIT
trap 'exit 130' INT TERM
H=$WS_HOME
mkdir -p "$H/.local/lib/wireshark/plugins/synfin" "$H/.config/wireshark/profiles" "$H/xdg" "$H/inst"
cp "$REPO"/lua/*.lua "$H/.local/lib/wireshark/plugins/synfin/"
if ! DESTDIR="$H/inst" cmake -P "$PROFILE_SCRIPT" >"$H/install.log" 2>&1; then
    cat "$H/install.log"; echo "FAIL: the profile's install script failed"; exit 1
fi
[ -f "$H/inst$PROFILE_DIR/synfin/colorfilters" ] && [ -f "$H/inst$PROFILE_DIR/synfin/preferences" ] \
    || { echo "FAIL: cmake install did not put colorfilters and preferences into $PROFILE_DIR/synfin"; exit 1; }
cp -r "$H/inst$PROFILE_DIR/synfin" "$H/.config/wireshark/profiles/"
cat >"$H/.config/wireshark/recent_common" <<'EOF'
gui.geometry_main_x: 0
gui.geometry_main_y: 0
gui.geometry_main_width: 1280
gui.geometry_main_height: 800
gui.geometry_main_maximized: FALSE
EOF
chown -R 65534:65534 "$H"
chmod 700 "$H/xdg"

# --- Xvfb on a free display ---------------------------------------------
start_xvfb() {
    local n
    for n in $(seq 90 189); do
        [ -e "/tmp/.X$n-lock" ] || [ -e "/tmp/.X11-unix/X$n" ] && continue
        Xvfb ":$n" -screen 0 1280x800x24 -nolisten tcp -noreset >"$H/xvfb.log" 2>&1 &
        XVFB=$!
        local i
        for i in $(seq 100); do
            if DISPLAY=":$n" xdotool getdisplaygeometry >/dev/null 2>&1; then DISP=$n; export DISPLAY=":$n"; return 0; fi
            kill -0 "$XVFB" 2>/dev/null || break
            sleep 0.05
        done
        kill -KILL "$XVFB" 2>/dev/null; wait "$XVFB" 2>/dev/null; XVFB=
    done
    echo "FAIL: no Xvfb display could be started"; exit 1
}

shot() { [ -n "$DISP" ] && import -window root "$1" 2>/dev/null; }
# px FILE COLOUR: number of pixels of exactly COLOUR
px() { convert "$1" -fill black +opaque "$2" -fill white -opaque "$2" -format '%[fx:round(mean*w*h)]' info:; }
# wait_colours SECONDS COLOUR=MIN...: poll screenshots until every colour has
# at least MIN pixels; prints the counts
wait_colours() {
    local end=$(( $(date +%s) + $1 )) ok spec counts
    shift
    while :; do
        shot "$H/shot.png"
        ok=1 counts=
        for spec in "$@"; do
            local n
            n=$(px "$H/shot.png" "${spec%=*}")
            counts="$counts ${spec%=*}:$n"
            [ "$n" -ge "${spec#*=}" ] || ok=0
        done
        [ $ok = 1 ] && { echo "colours:$counts"; return 0; }
        [ "$(date +%s)" -ge "$end" ] && { echo "colours:$counts"; return 1; }
        sleep 0.3
    done
}

# start_ws ARGS...: Wireshark as uid 65534 (group wireshark) in the HOME.
# gui.ask_unsaved is a test-only setting (quitting mid-capture without the
# save prompt), given on the command line, not shipped in the profile.
start_ws() {
    WS_GROUPS="--groups wireshark" WS_EXTRA_ENV="DISPLAY=$DISPLAY XDG_RUNTIME_DIR=$H/xdg " \
        ws_run wireshark -C synfin -o gui.ask_unsaved:FALSE "$@" >"$H/ws.log" 2>&1 &
    WS=$!
    # $WS is the background shell; Wireshark is its child (setpriv and env
    # exec). Match the name: ws_run's $(id -u) is a short-lived child too,
    # and taking it for Wireshark made the dumpcap checks look at a dead pid.
    local i
    for i in $(seq 100); do
        WSP=$(pgrep -P "$WS" -x wireshark | head -1)
        [ -n "$WSP" ] && return 0
        sleep 0.05
    done
    die "Wireshark did not start"
}
wait_title() {   # wait_title REGEX SECONDS: prints the window id
    timeout "$2" xdotool search --sync --onlyvisible --name "$1" 2>/dev/null | head -1
}
titles() { xdotool search --onlyvisible --name '.' 2>/dev/null | while read -r w; do xdotool getwindowname "$w"; done; }

quit_ws() {   # Ctrl+Q on the main window; Wireshark and dumpcap must be gone within 10 s
    local w=$1 i dc
    dc=$(pgrep -P "$WSP" -x dumpcap)
    xdotool windowfocus --sync "$w" 2>/dev/null
    xdotool key ctrl+q
    for i in $(seq 100); do kill -0 "$WSP" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$WSP" 2>/dev/null; then
        fail "Wireshark did not quit on Ctrl+Q within 10 s (windows: $(titles | tr '\n' '|'))"
        shot "$OUTDIR/$MODE-quit.png"
        return
    fi
    wait "$WS" 2>/dev/null
    WS= WSP=
    for i in $dc; do
        kill -0 "$i" 2>/dev/null && { fail "dumpcap $i still running after Wireshark quit"; kill -KILL "$i"; }
    done
    if [ -n "$WS_TEMPFILE" ] && [ -e "$WS_TEMPFILE" ]; then fail "capture temp file left: $WS_TEMPFILE"; fi
}

# Every line Wireshark prints must be one that tests/lib/wireshark-stderr-allowed.ere
# allows: an informational log message (" ** (wireshark:PID) TIME [Domain
# MESSAGE|INFO|DEBUG] -- ...") or the interface list's "nl80211 not found."
# (no wireless support in this kernel); anything else - a warning, a rule
# that does not compile, a Qt or Lua message, a sanitizer report - fails.
check_stderr() {
    local bad
    bad=$(grep -v -E -f "$REPO/tests/lib/wireshark-stderr-allowed.ere" "$H/ws.log")
    [ -z "$bad" ] || fail "Wireshark printed warnings: $bad"
}

# Expected values from the hand-written files in captures/.
# expected_rows CAPTURE FIRST LAST: "label<TAB>client<TAB>server" per frame
# (states as names; empty when the file has no state columns).
expected_rows() {
    /usr/bin/python3 - "$REPO/captures/$1.expected.tsv" "$2" "$3" "$REPO/tests/lib" <<'PY'
import sys
sys.path.insert(0, sys.argv[4])
from expected import read_expected, state_name
for d in read_expected(sys.argv[1]):
    if int(sys.argv[2]) <= int(d["frame.number"]) <= int(sys.argv[3]):
        print("\t".join([d["synfin.label"], state_name(d, "synfin.state.client"),
                         state_name(d, "synfin.state.server")]))
PY
}

[ "$MODE" = flow ] || { start_xvfb; echo "display :$DISP, HOME $H"; }

case "$MODE" in
file)
    # 14 frames, all on screen: injected-marker 1-8 (client segments injected,
    # SYN-ACK handshake, ACK+FIN teardown, server ACK uncoloured by synfin),
    # refused (SYN handshake, RST reset), syn-retransmission 1-4 (SYN,
    # retransmitted SYN = anomaly, SYN-ACK, ACK 3/3).
    editcap -r "$REPO/captures/injected-marker.pcap" "$H/a.pcap" 1-8 >/dev/null &&
    editcap -r "$REPO/captures/syn-retransmission.pcap" "$H/c.pcap" 1-4 >/dev/null &&
    mergecap -a -F pcap -w "$H/synfin-file.pcap" "$H/a.pcap" "$REPO/captures/refused.pcap" "$H/c.pcap" \
        || die "could not build the test capture"
    { expected_rows injected-marker 1 8; expected_rows refused 1 2; expected_rows syn-retransmission 1 4; } >"$H/want.tsv"
    chown 65534:65534 "$H/synfin-file.pcap"
    start_ws -r "$H/synfin-file.pcap"
    W=$(wait_title '^synfin-file\.pcap' 30)
    [ -n "$W" ] || die "no main window titled synfin-file.pcap within 30 s: $(cat "$H/ws.log")"
    xdotool mousemove 1279 799     # no hover highlight
    # Frame 1 (injected) is selected and shows the selection colour; visible
    # rows per rule: injected 3 4 6 8; handshake 2 9 11 13 14; teardown 7;
    # reset 10; anomaly 12.
    wait_colours 20 "$C_INJECTED=$((4 * ROW_PX))" "$C_HANDSHAKE=$((5 * ROW_PX))" "$C_TEARDOWN=$ROW_PX" \
        "$C_RESET=$ROW_PX" "$C_ANOMALY=$ROW_PX" || fail "not every synfin colour rule is visible"
    cp "$H/shot.png" "$OUTDIR/file.png"
    other=$(titles | grep -v '^synfin-file\.pcap$')
    [ -z "$other" ] || fail "unexpected windows: $other"
    # The GUI's own column export: File > Export Packet Dissections > As CSV.
    # File menu positions (4.0, a file open, Save disabled): Open, Open
    # Recent, Merge, Import from Hex Dump, Close, Save As, File Set, Export
    # Specified Packets, Export Packet Dissections > As Plain Text, As CSV.
    xdotool windowfocus --sync "$W"
    xdotool key alt+f; sleep 0.5
    xdotool key Down Down Down Down Down Down Down Down; sleep 0.3
    xdotool key Right; sleep 0.5
    xdotool key Down Return
    D=$(wait_title 'Export Packet Dissections' 10)
    [ -n "$D" ] || die "File > Export Packet Dissections > As CSV did not open its dialog (windows: $(titles | tr '\n' '|'))"
    xdotool windowfocus --sync "$D"; sleep 0.3
    xdotool type --delay 5 "$H/cols.csv"; xdotool key Return
    for i in $(seq 50); do [ -s "$H/cols.csv" ] && break; sleep 0.1; done
    sleep 0.3
    [ -s "$H/cols.csv" ] || die "the CSV export was not written"
    /usr/bin/python3 - "$H/cols.csv" "$H/want.tsv" <<'PY' || fail "exported columns differ (above)"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8")))
want_head = ["No.", "Time", "Source", "Destination", "Protocol", "Length", "synfin",
             "Client state", "Server state", "Seq delta", "Ack delta", "Info"]
bad = 0
if rows[0] != want_head:
    print("header", rows[0], "want", want_head); bad += 1
want = [l.rstrip("\n").split("\t") for l in open(sys.argv[2])]
if len(rows) - 1 != len(want):
    print(len(rows) - 1, "rows, want", len(want)); bad += 1
for i, (r, w) in enumerate(zip(rows[1:], want), 1):
    got = [r[6], r[7], r[8]]
    for j, (g, x) in enumerate(zip(got, w)):
        if x and g != x:
            print(f"frame {i}: column {want_head[6 + j]!r} {g!r}, want {x!r}"); bad += 1
print("csv: %d rows checked" % (len(rows) - 1))
sys.exit(1 if bad else 0)
PY
    check_stderr
    quit_ws "$W"
    ;;
live)
    [ -x "$INJ" ] && [ -x "$ECHO" ] || { echo "FAIL: usage: live needs INJECT and ECHO_SERVER"; exit 1; }
    "$ECHO" --mode echo --port-file "$H/port" 127.0.0.1 0 2>"$H/echo.err" &
    ECHO_PID=$!
    for i in $(seq 100); do [ -s "$H/port" ] && break; sleep 0.05; done
    [ -s "$H/port" ] || die "echo server did not start: $(cat "$H/echo.err")"
    P=$(cat "$H/port")
    start_ws -i lo -k -f "tcp port $P"
    W=$(wait_title "^Capturing from .*tcp port $P" 30)
    [ -n "$W" ] || die "no 'Capturing from ... (tcp port $P)' window within 30 s (windows: $(titles | tr '\n' '|')): $(cat "$H/ws.log")"
    for i in $(seq 50); do
        WS_TEMPFILE=$(sed -n 's/.*Capture MESSAGE.*File: "\(\/tmp\/wireshark_[^"]*\)".*/\1/p' "$H/ws.log" | head -1)
        [ -n "$WS_TEMPFILE" ] && break; sleep 0.1
    done
    [ -n "$(pgrep -P "$WSP" -x dumpcap)" ] || fail "no dumpcap child capturing"
    xdotool mousemove 1279 799
    sleep 1
    # One whole exchange: client segments SYN, ACK 3/3, DATA, ACK, FIN 1/4,
    # ACK 4/4 carry the marker (injected); the server's SYN-ACK is a handshake
    # step and its ACK+FIN (or ACK 2/4, FIN 3/4) teardown steps.
    flock "$LOCK" timeout -s KILL 60 "$INJ" --json 127.0.0.1 "$P" >"$H/inj.json" 2>"$H/inj.err"
    rc=$?
    [ $rc = 0 ] || die "synfin-inject exit $rc: $(cat "$H/inj.err")"
    sent=$(grep -c '"dir":"sent"' "$H/inj.json")
    echo "injector: $(wc -l <"$H/inj.json") segments, $sent sent"
    # Frame 1 (the SYN) is selected: at least the other sent segments show.
    wait_colours 20 "$C_INJECTED=$(( (sent - 1) * ROW_PX ))" "$C_HANDSHAKE=$ROW_PX" "$C_TEARDOWN=$ROW_PX" \
        || fail "the injected highlight or the handshake/teardown colours did not appear"
    cp "$H/shot.png" "$OUTDIR/live.png"
    [ -n "${SYNFIN_GUI_SHOT:-}" ] && cp "$H/shot.png" "$SYNFIN_GUI_SHOT"
    other=$(titles | grep -v '^Capturing from ')
    [ -z "$other" ] || fail "unexpected windows: $other"
    check_stderr
    quit_ws "$W"
    ;;
ladder)
    cp "$REPO/captures/injected-marker.pcap" "$H/synfin-ladder.pcap"
    chown 65534:65534 "$H/synfin-ladder.pcap"
    start_ws -r "$H/synfin-ladder.pcap"
    W=$(wait_title '^synfin-ladder\.pcap' 30)
    [ -n "$W" ] || die "no main window within 30 s: $(cat "$H/ws.log")"
    xdotool mousemove 1279 799
    wait_colours 20 "$C_INJECTED=$ROW_PX" >/dev/null || die "the capture did not load"
    # Tools menu: Firewall ACL Rules, Credentials, Lua, synfin (Lua menus
    # sorted; synfin is last, so Up from the first item wraps to it);
    # synfin submenu: Connection report, Ladder diagram, Ladder diagram of stream...
    # Packet 1 (stream 0) is selected.
    xdotool windowfocus --sync "$W"
    xdotool key alt+t; sleep 0.5
    xdotool key Up; sleep 0.3
    xdotool key Right; sleep 0.5
    xdotool key Down; sleep 0.3
    xdotool key Return
    L=$(wait_title 'synfin ladder' 10)
    [ -n "$L" ] || die "Tools > synfin > Ladder diagram opened no 'synfin ladder' window (windows: $(titles | tr '\n' '|'))"
    title=$(xdotool getwindowname "$L")
    echo "ladder window: $title"
    case "$title" in
        *"synfin ladder: stream 0"*) ;;
        *) fail "ladder window title '$title', want 'synfin ladder: stream 0' (packet 1 is in stream 0)" ;;
    esac
    xdotool windowsize "$L" 1060 640; xdotool windowmove "$L" 110 80; sleep 0.7
    import -window "$L" "$OUTDIR/ladder.png" 2>/dev/null
    [ -n "${SYNFIN_GUI_SHOT:-}" ] && cp "$OUTDIR/ladder.png" "$SYNFIN_GUI_SHOT"
    check_stderr
    quit_ws "$W"
    ;;
flow)
    # The labels of open-close-4seg, in frame order, from its hand-written file.
    cp "$REPO/captures/open-close-4seg.pcap" "$WS_TMP/"
    chmod a+r "$WS_TMP/open-close-4seg.pcap"
    expected_rows open-close-4seg 1 99 | cut -f1 >"$H/want.txt"
    ws_run tshark -q -r "$WS_TMP/open-close-4seg.pcap" -z flow,synfin,network >"$H/flow.txt" 2>"$H/ws.log"
    rc=$?
    cat "$H/flow.txt"
    [ $rc = 0 ] || fail "tshark -z flow,synfin,network exit $rc: $(cat "$H/ws.log")"
    /usr/bin/python3 - "$H/flow.txt" "$H/want.txt" <<'PY' || fail "flow graph labels differ (above)"
import re, sys
want = [l.strip() for l in open(sys.argv[2]) if l.strip()]
got = []
for line in open(sys.argv[1]):
    m = re.match(r"\|\s*[0-9.]+\s*\|\s*(.+?)\s*(\||$)", line)
    if m:
        got.append(re.sub(r" len=\d+$", "", m.group(1).strip()))
arrows = sum(1 for l in open(sys.argv[1]) if re.search(r"-{5,}>|<-{5,}", l))
print("labels:", got)
ok = got == want and arrows == len(want)
if not ok:
    print("want:", want, "arrows:", arrows)
sys.exit(0 if ok else 1)
PY
    check_stderr
    ;;
*)
    echo "usage: gui_smoke.sh file|live|ladder|flow OUTDIR PLUGIN_SO PROFILE_INSTALL_SCRIPT PROFILE_INSTALL_DIR REPO [INJECT ECHO]"
    exit 2 ;;
esac

if [ -s "$H/ws.log" ]; then echo "--- Wireshark stderr"; cat "$H/ws.log"; fi
if [ "$FAILS" != 0 ]; then
    shot "$OUTDIR/$MODE-failure.png" && echo "screenshot: $OUTDIR/$MODE-failure.png"
    echo "$FAILS failure(s) ($(elapsed) s)"
    exit 1
fi
echo "ok: gui $MODE ($(elapsed) s)"
