#!/bin/bash
# stderr_trouble.sh PLUGIN_SO REPO
#
# The list of standard-error lines that fail the tests
# (tests/lib/wireshark-stderr-trouble.ere) means the same in the shell
# (ws_trouble, grep -E) and in Python (wsenv.py trouble_lines, re), and it
# catches what the tests rely on it to catch, in the format this release of
# Wireshark really prints:
#   1. Lines written here after the formats of Wireshark's log (wsutil/wslog.c:
#      " ** (PROG:PID) HH:MM:SS.UUUUUU [Domain LEVEL] [file:line] -- [func(): ]text"),
#      GLib's own warning format, a dissector bug, ASan and UBSan reports:
#      each trouble line is found, each harmless one (MESSAGE, INFO, DEBUG,
#      TShark's note on a file cut short) is not; by both readers, alike.
#   2. Real TShark at debug level, with the plugin loaded, over a reference
#      capture: it prints lines in its log format, none of which is trouble,
#      and the first of them with its level turned into WARNING, CRITICAL
#      or ERROR is trouble (so a change in the format of a later release
#      shows here, not as warnings the other tests no longer see).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/wsenv.sh
. "$HERE/../lib/wsenv.sh"

[ $# -eq 2 ] || { echo "usage: $0 PLUGIN_SO REPO" >&2; exit 2; }
SO=$1 REPO=$2
PY=${SYNFIN_TEST_PYTHON:-python3}
ws_setup "$SO" || exit 1
rc=0
fail() { echo "FAIL: $*"; rc=1; }

# Both readers over one file: the lines each reports, which must be WANT's.
# check NAME FILE WANT_FILE
check() {
    local name=$1 file=$2 want=$3
    ws_trouble "$file" > "$WS_TMP/sh.out"
    "$PY" - "$HERE/../lib" "$file" > "$WS_TMP/py.out" <<'EOF' || fail "$name: wsenv.py failed"
import sys
sys.path.insert(0, sys.argv[1])
from wsenv import trouble_lines
with open(sys.argv[2], errors="replace") as f:
    for line in trouble_lines(f.read()):
        print(line)
EOF
    diff -u --label "$name: expected" --label "$name: ws_trouble (grep -E)" "$want" "$WS_TMP/sh.out" ||
        fail "$name: ws_trouble"
    diff -u --label "$name: expected" --label "$name: trouble_lines (Python)" "$want" "$WS_TMP/py.out" ||
        fail "$name: trouble_lines"
}

# 1. Written lines. T: trouble, -: harmless.
cat > "$WS_TMP/samples" <<'EOF'
T  ** (tshark:4711) 17:18:16.123456 [synfin WARNING] -- synfin: cannot listen to the TCP tap: no such tap
T  ** (tshark:4711) 17:18:16.123456 [Epan WARNING] ./epan/proto.c:1234 -- proto_tree_add_item(): something odd
T  ** (tshark:4711) 17:18:16 [(none) WARNING] -- no microseconds
T  ** (tshark:4711) 17:18:16.123456 [Epan CRITICAL] -- some critical
T  ** (tshark:4711) 17:18:16.123456 [Main ERROR] ./tshark.c:12 -- main(): fatal
T (process:4711): GLib-WARNING **: 17:18:16.123: g_something: assertion failed
T (process:4711): GLib-CRITICAL **: 17:18:16.123: g_hash_table_lookup: assertion 'hash_table != NULL' failed
T [Dissector bug, protocol synfin: ./plugin/synfin.c:12: failed assertion "x"]
T tshark: DISSECTOR_ASSERT failed in synfin
T ==4711==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x602000000011
T AddressSanitizer:DEADLYSIGNAL
T ==4711==ERROR: LeakSanitizer: detected memory leaks
T plugin/storage.c:120:9: runtime error: shift exponent 40 is too large for 32-bit type 'unsigned int'
-  ** (tshark:4711) 17:18:16.123456 [Main MESSAGE] -- Wireshark is up and ready to go
-  ** (tshark:4711) 17:18:16.123456 [Capture INFO] -- capture started
-  ** (tshark:4711) 17:18:16.123456 [Main DEBUG] ./tshark.c:897 -- main(): tshark started with 5 args
-  ** (tshark:4711) 17:18:16.123456 [Epan NOISY] -- counting
-  ** (tshark:4711) 17:18:16.123456 [Main MESSAGE] -- a message that mentions the word WARNING in passing
- tshark: The file "/tmp/x.pcap" appears to have been cut short in the middle of a packet.
- Running as user "root" and group "root". This could be dangerous.
EOF
cut -c3- "$WS_TMP/samples" > "$WS_TMP/samples.text"
grep '^T ' "$WS_TMP/samples" | cut -c3- > "$WS_TMP/samples.want"
check "written lines" "$WS_TMP/samples.text" "$WS_TMP/samples.want"

# 2. Real TShark, this release's own log format.
cp "$REPO/captures/open-close-4seg.pcap" "$WS_TMP/c.pcap" && chmod a+r "$WS_TMP/c.pcap"
ws_run tshark --log-level debug -n -r "$WS_TMP/c.pcap" > "$WS_TMP/real.out" 2> "$WS_TMP/real.err"
st=$?
[ $st -eq 0 ] || { fail "tshark --log-level debug exited with status $st"; sed 's/^/    /' "$WS_TMP/real.err"; }
grep -q 'synfin: ' "$WS_TMP/real.out" || fail "tshark's lines have no synfin label (plugin not running?)"
# Wireshark's log lines: " ** (tshark:PID) TIME [Domain LEVEL] ...".
LOGLINE='^ \*\* \(tshark:[0-9]+\) [0-9:.]+ \[[^]]* (DEBUG|INFO|MESSAGE|NOISY)] '
grep -E "$LOGLINE" "$WS_TMP/real.err" > "$WS_TMP/real.log"
n=$(wc -l < "$WS_TMP/real.log")
if [ "$n" -eq 0 ]; then
    fail "tshark --log-level debug printed no line in Wireshark's log format:"; head -5 "$WS_TMP/real.err" | sed 's/^/    /'
else
    echo "tshark --log-level debug: $n lines in Wireshark's log format, e.g."
    head -1 "$WS_TMP/real.log" | sed 's/^/    /'
    : > "$WS_TMP/empty"
    check "tshark --log-level debug (stderr)" "$WS_TMP/real.err" "$WS_TMP/empty"
    first=$(head -1 "$WS_TMP/real.log")
    for lvl in WARNING CRITICAL ERROR; do
        printf '%s\n' "$first" | sed -E "s/ (DEBUG|INFO|MESSAGE|NOISY)] / $lvl] /" > "$WS_TMP/raised"
        grep -q " $lvl] " "$WS_TMP/raised" || { fail "could not raise the level of: $first"; continue; }
        check "tshark's own line at $lvl" "$WS_TMP/raised" "$WS_TMP/raised"
    done
fi

[ $rc -eq 0 ] && echo "PASS: the stderr trouble list, in grep -E and in Python, on written lines and on this tshark's own log format"
exit $rc
