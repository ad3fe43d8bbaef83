#!/bin/bash
# run_expected.sh PLUGIN_SO PCAP EXPECTED_TSV
#
# Runs real tshark with the built synfin.so (as uid 65534 through
# tests/lib/wsenv.sh) over one reference capture and compares the synfin
# fields with the hand-derived expected file.  Both the one-pass run and a
# two-pass run (tshark -2) must match it: every value is a snapshot.
# On a mismatch it prints a unified diff and, per differing frame, the
# columns that differ. An exit status other than 0 (or 2 for a file cut
# short) or a line of ws_trouble (tests/lib/wsenv.sh) on stderr fails too.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/wsenv.sh
. "$HERE/../lib/wsenv.sh"

if [ $# -ne 3 ]; then
    echo "usage: $0 PLUGIN_SO PCAP EXPECTED_TSV" >&2
    exit 2
fi
SO=$1 PCAP=$2 EXPECTED=$3
EXP_NAME=$(basename "$EXPECTED")
for f in "$PCAP" "$EXPECTED"; do
    [ -r "$f" ] || { echo "run_expected: cannot read $f" >&2; exit 2; }
done

# The columns are the expected file's header line (tshark field names), so
# a capture can check other fields than the common set (e.g. the injector's
# marker in injected-marker.expected.tsv).
FIELDS=$(head -n 1 "$EXPECTED" | tr '\t' ' ')
case " $FIELDS " in
    *" frame.number "*) ;;
    *) echo "run_expected: the header of $EXPECTED must name frame.number first" >&2; exit 2 ;;
esac

ws_setup "$SO" || exit 1
cp "$PCAP" "$WS_TMP/capture.pcap"
chmod a+r "$WS_TMP/capture.pcap"

# Release overrides (captures/README.md, "Release-dependent values"): a file
# NAME.expected-X.Y.tsv next to NAME.expected.tsv holds, for Wireshark X.Y
# and later releases, the cells that differ there because Wireshark's own
# dissection differs (tcp.stream, which synfin follows, spec section 2).
# Its header is frame.number and the columns it replaces; each row replaces
# those cells of that frame (an empty cell = the field is absent there).
# The newest override whose X.Y is not above the running release is used.
override=
best=
base=${EXPECTED%.expected.tsv}
for f in "$base".expected-*.tsv; do
    [ -r "$f" ] || continue
    v=${f##*.expected-}; v=${v%.tsv}
    case "$v" in [0-9]*.[0-9]*) ;; *) echo "run_expected: bad override name $f" >&2; exit 2 ;; esac
    # v <= running release, and newer than the best so far
    if [ "$(printf '%s\n%s\n' "$v" "$SYNFIN_WS_XY" | sort -V | tail -n 1)" = "$SYNFIN_WS_XY" ] &&
       { [ -z "$best" ] || [ "$(printf '%s\n%s\n' "$v" "$best" | sort -V | tail -n 1)" = "$v" ]; }; then
        best=$v override=$f
    fi
done
if [ -n "$override" ]; then
    [ "$(head -n 1 "$override" | cut -f1)" = frame.number ] ||
        { echo "run_expected: the header of $override must name frame.number first" >&2; exit 2; }
    awk -F'\t' -v OFS='\t' '
        NR == FNR { if (FNR == 1) { for (i = 2; i <= NF; i++) ocol[i] = $i; on = NF; next }
                    for (i = 2; i <= on; i++) ov[$1, ocol[i]] = $i; orow[$1] = 1; next }
        FNR == 1 { for (i = 1; i <= NF; i++) col[$i] = i
                   for (i = 2; i <= on; i++) if (!(ocol[i] in col)) { print "override column " ocol[i] " is not in the expected file" > "/dev/stderr"; bad = 1; exit 1 }
                   print; next }
        { if ($1 in orow) { for (i = 2; i <= on; i++) $col[ocol[i]] = ov[$1, ocol[i]]; used[$1] = 1 } print }
        END { if (bad) exit 1; for (f in orow) if (!(f in used)) { print "override frame " f " is not in the expected file" > "/dev/stderr"; exit 1 } }
    ' "$override" "$EXPECTED" > "$WS_TMP/expected.tsv" || { echo "run_expected: cannot apply $override" >&2; exit 2; }
    echo "run_expected: Wireshark $SYNFIN_WS_XY: $(basename "$EXPECTED") with the $(basename "$override") override ($(($(wc -l < "$override") - 1)) frame(s))"
    EXPECTED=$WS_TMP/expected.tsv
fi

fargs=()
for f in $FIELDS; do fargs+=(-e "$f"); done

# Print the columns that differ, frame by frame (both files have a header).
explain() {   # EXPECTED ACTUAL
    awk -F'\t' '
        FNR == 1 { if (NR == 1) for (i = 1; i <= NF; i++) name[i] = $i; next }
        NR == FNR { exp_row[$1] = $0; order[++n] = $1; next }
        { act_row[$1] = $0; if (!($1 in exp_row)) order[++n] = $1 }
        END {
            for (k = 1; k <= n; k++) {
                fr = order[k]
                if (exp_row[fr] == act_row[fr]) continue
                if (!(fr in act_row)) { printf "frame %s: missing in tshark output\n", fr; continue }
                if (!(fr in exp_row)) { printf "frame %s: not in the expected file\n", fr; continue }
                ne = split(exp_row[fr], e, "\t"); na = split(act_row[fr], a, "\t")
                m = ne > na ? ne : na
                for (i = 2; i <= m; i++)
                    if (e[i] != a[i])
                        printf "frame %s: %-26s expected [%s] got [%s]\n", fr, name[i], e[i], a[i]
            }
        }' "$1" "$2"
}

rc=0
for pass in 1 2; do
    opt=()
    [ "$pass" = 2 ] && opt=(-2)
    out=$WS_TMP/actual.$pass.tsv err=$WS_TMP/stderr.$pass
    ws_run tshark "${opt[@]}" -r "$WS_TMP/capture.pcap" -T fields -E header=y \
        "${fargs[@]}" > "$out" 2> "$err"
    st=$?
    label="tshark${opt[*]:+ ${opt[*]}} ($(basename "$PCAP"))"
    # Wireshark 4.2 and later print FT_BOOLEAN fields as True/False in
    # -T fields (4.0: 1/0); the expected files use 1/0. Whole fields only.
    # (several occurrences in one field are comma-separated: each is mapped)
    awk -F'\t' -v OFS='\t' '{ for (i = 1; i <= NF; i++) { n = split($i, v, ","); if (n == 0) continue; o = "";
            for (j = 1; j <= n; j++) o = o (j > 1 ? "," : "") (v[j] == "True" ? 1 : v[j] == "False" ? 0 : v[j]);
            $i = o } print }' \
        "$out" > "$out.n" && mv "$out.n" "$out"
    if [ $st -ne 0 ] && [ $st -ne 2 ]; then
        # 2: the capture file ends in a cut packet; anything else is a failure
        echo "FAIL: $label exited with status $st"; cat "$err"; rc=1; continue
    fi
    if [ $st -eq 2 ] && ! grep -q 'cut short\|appears to have been cut' "$err"; then
        echo "FAIL: $label exited with status 2"; cat "$err"; rc=1; continue
    fi
    if ws_trouble "$err"; then
        echo "FAIL: $label printed the errors above"; rc=1
    fi
    if ! diff -u --label "expected $EXP_NAME${override:+ + $(basename "$override")}" --label "$label" "$EXPECTED" "$out"; then
        echo "--- differing columns ($label):"
        explain "$EXPECTED" "$out"
        rc=1
    fi
done
[ $rc -eq 0 ] && echo "PASS: $(basename "$PCAP") (one pass and two passes)"
exit $rc
