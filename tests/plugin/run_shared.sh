#!/bin/bash
# run_shared.sh PLUGIN_SO DIR...
#
# Runs real tshark with the built synfin.so (as uid 65534 through
# tests/lib/wsenv.sh) over every capture (*.pcap, *.pcapng, *.cap) found
# under the given directories, and fails on
#   - a non-zero exit status (2 is allowed only for a file cut short),
#   - a line on stderr that ws_trouble (tests/lib/wsenv.sh) reports: a
#     dissector bug, a warning or critical message, a sanitizer report (the
#     one-pass fields run, the -2 run and the -V run),
#   - a TCP frame without synfin: -Y 'tcp && !synfin && !icmp && !icmpv6'
#     must print nothing (a TCP header quoted in an ICMP error is not a
#     segment, so ICMP frames are left out),
#   - a frame (outside ICMP errors) whose number of TCP layers differs from
#     its number of synfin trees, or whose synfin.stream values differ from
#     its tcp.stream values (each real TCP layer is a segment, spec section 2).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/wsenv.sh
. "$HERE/../lib/wsenv.sh"

if [ $# -lt 2 ]; then
    echo "usage: $0 PLUGIN_SO DIR..." >&2
    exit 2
fi
SO=$1; shift
for d in "$@"; do
    [ -d "$d" ] || { echo "SKIP: $d is not a directory (SYNFIN_SHARED_CAPTURES)"; exit 77; }
done
ws_setup "$SO" || exit 1

mapfile -t FILES < <(find "$@" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | sort)
if [ ${#FILES[@]} -eq 0 ]; then
    echo "FAIL: no captures found under $*"
    exit 1
fi

rc=0
n=0
for f in "${FILES[@]}"; do
    n=$((n + 1))
    c=$WS_TMP/c.$n.${f##*.}
    cp "$f" "$c" && chmod a+r "$c"
    fail=0

    check_run() {   # WHAT STATUS STDERR_FILE
        if [ "$2" -ne 0 ]; then
            if [ "$2" -ne 2 ] || ! grep -q 'cut short\|appears to have been cut' "$3"; then
                echo "FAIL: $f: $1 exited with status $2"; sed 's/^/    /' "$3"; fail=1
            fi
        fi
        if ws_trouble "$3" > "$3.bad"; then
            echo "FAIL: $f: $1 printed:"; head -5 "$3.bad" | sed 's/^/    /'; fail=1
        fi
    }

    ws_run tshark -r "$c" -Y 'tcp && !synfin && !icmp && !icmpv6' > "$WS_TMP/missing" 2> "$WS_TMP/err"
    check_run "-Y 'tcp && !synfin && !icmp && !icmpv6'" $? "$WS_TMP/err"
    if [ -s "$WS_TMP/missing" ]; then
        echo "FAIL: $f: TCP frames without synfin:"; head -5 "$WS_TMP/missing" | sed 's/^/    /'; fail=1
    fi

    ws_run tshark -r "$c" -Y '!icmp && !icmpv6 && tcp' -T fields -e frame.number \
        -e tcp.stream -e synfin.stream > "$WS_TMP/layers" 2> "$WS_TMP/err"
    check_run "-T fields tcp.stream synfin.stream" $? "$WS_TMP/err"
    awk -F'\t' -v f="$f" '
        { nt = split($2, t, ","); ns = split($3, s, ",")
          if (nt != ns) { printf "FAIL: %s: frame %s has %d TCP layer(s) but %d synfin tree(s) [%s] [%s]\n", f, $1, nt, ns, $2, $3; bad++; next }
          for (i = 1; i <= nt; i++) { want[t[i]]++; got[s[i]]++ }
          for (k in want) if (want[k] != got[k]) { printf "FAIL: %s: frame %s: tcp.stream [%s] but synfin.stream [%s]\n", f, $1, $2, $3; bad++; break }
          delete want; delete got }
        END { exit bad > 0 }' "$WS_TMP/layers" | head -5
    [ "${PIPESTATUS[0]}" -eq 0 ] || fail=1

    ws_run tshark -2 -r "$c" -V > /dev/null 2> "$WS_TMP/err"
    check_run "-2 -V" $? "$WS_TMP/err"

    if [ $fail -eq 0 ]; then
        echo "ok: $f"
    else
        rc=1
    fi
    rm -f "$c"
done
echo "$n captures checked"
[ $rc -eq 0 ] && echo "PASS" || echo "FAIL"
exit $rc
