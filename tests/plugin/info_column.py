#!/usr/bin/python3
"""info_column.py CAPTURES_DIR - the Info column's " [synfin: LABEL]" in tshark's own lines.

Runs under tests/lib/with-ws.sh (tshark with the freshly built plugin, via
tests/lib/ws-run).  For every capture NAME.pcap in CAPTURES_DIR that has a
hand-written NAME.expected.tsv, plain `tshark -n -r NAME.pcap` (one line per
frame, the default columns) must end each frame's Info column with one
" [synfin: LABEL]" per TCP layer, in layer order, LABEL as the expected
file's synfin.label (the layers' labels joined by ","), and nothing for a
frame without a label.  Twice: in one pass, where TShark fills the
columns on the frame's only dissection and the plugin stores no results
(plugin/storage.c, keep_results: nothing can read them), and with -2,
where the first pass has no columns and the printed lines come from the
second pass, which reads every label back from the stored results.

A third run reads the Zeek summary in a pass with columns: `-T fields` with
the Info column (_ws.col.info, which makes TShark fill the columns) and
synfin.conn.state and synfin.conn.history.  From 4.4 on that is a pass that
stores no results and drops the Zeek summary's part of each step unless a
frame shows it (plugin/storage.c, keep_results and zeek_gap): here every
frame shows it, so each frame's conn.state and conn.history must be those of
the pass without columns (`-T fields` alone, which stores everything), and
every frame's Info field must be filled (the pass had columns).  Its synfin
suffix is not checked there: from 4.2 on Wireshark fills the _ws.col.*
fields before the post-dissectors run (packet-frame.c, col_dissect), so the
field lacks any post-dissector's text, synfin's too, while the column
itself (the first run, the GUI's packet list) has it.

Exit 1 on any difference, 2 on bad arguments.
"""
import glob
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from expected import read_expected  # noqa: E402
from wsenv import tshark_stdout  # noqa: E402

ZEEK_FIELDS = ["synfin.conn.state", "synfin.conn.history"]

SUFFIX = re.compile(r" \[synfin: ([^\]]*)\]")
FRAME = re.compile(r"^\s*(\d+)\s")


def tshark_lines(pcap, extra):
    out = {}
    for line in tshark_stdout(["-n", "-r", pcap] + extra).splitlines():
        m = FRAME.match(line)
        if m:
            out[int(m.group(1))] = SUFFIX.findall(line)
    return out


def info_field():
    """The Info column's field: _ws.col.info from 4.2 on, _ws.col.Info before."""
    names = set(line.split("\t")[2] for line in tshark_stdout(["-G", "fields"]).splitlines()
                if line.startswith("F\t") and line.count("\t") >= 2)
    return "_ws.col.info" if "_ws.col.info" in names else "_ws.col.Info"


def zeek_rows(pcap, extra):
    """frame -> {field: value} for the Zeek fields and the extra ones (-T fields)."""
    fields = ZEEK_FIELDS + extra
    out = {}
    args = ["-n", "-r", pcap, "-T", "fields", "-E", "separator=\t", "-e", "frame.number"]
    for f in fields:
        args += ["-e", f]
    for line in tshark_stdout(args).splitlines():
        cols = line.split("\t")
        out[int(cols[0])] = dict(zip(fields, cols[1:]))
    return out


def check_zeek(pcap, want, info):
    """The third run (module doc): the Zeek summary in a pass with columns."""
    name = os.path.basename(pcap)
    base = zeek_rows(pcap, [])
    cols = zeek_rows(pcap, [info])
    problems = []
    if sorted(cols) != sorted(base):
        return ["%s (columns + Zeek fields): frames %s, expected %s" % (name, sorted(cols), sorted(base))]
    shown = 0
    for f in sorted(base):
        b = [base[f].get(k, "") for k in ZEEK_FIELDS]
        c = [cols[f].get(k, "") for k in ZEEK_FIELDS]
        if b != c:
            problems.append("%s (columns + Zeek fields): frame %d conn.state/history %s, without columns %s"
                            % (name, f, c, b))
        shown += 1 if b[0] else 0
        if not cols[f].get(info):
            problems.append("%s (columns + Zeek fields): frame %d has no Info field: no columns?"
                            % (name, f))
    if shown == 0 and any(want.values()):
        problems.append("%s: no frame has a conn.state, though frames have labels" % name)
    return problems


def check(pcap, tsv, info):
    problems = []
    # The expected cell holds the frame's labels in layer order, joined by
    # "," (tshark's aggregator; a label may hold a comma itself), so the
    # suffixes are compared joined the same way.
    want = {int(row["frame.number"]): row.get("synfin.label", "") for row in read_expected(tsv)}
    name = os.path.basename(pcap)
    for tag, extra in (("one pass", []), ("-2", ["-2"])):
        got = tshark_lines(pcap, extra)
        if sorted(got) != sorted(want):
            problems.append("%s (%s): frames %s, expected %s" % (name, tag, sorted(got), sorted(want)))
            continue
        for f in sorted(want):
            if ",".join(got[f]) != want[f]:
                problems.append("%s (%s): frame %d Info suffixes %s, expected %s"
                                % (name, tag, f, got[f], want[f]))
    problems += check_zeek(pcap, want, info)
    return problems, sum(1 for v in want.values() if v)


def main(argv):
    if len(argv) != 2 or not os.path.isdir(argv[1]):
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    pairs = []
    for tsv in sorted(glob.glob(os.path.join(argv[1], "*.expected.tsv"))):
        pcap = tsv[:-len(".expected.tsv")] + ".pcap"
        if os.path.exists(pcap):
            pairs.append((pcap, tsv))
    if not pairs:
        print("info_column: no capture with an expected file in %s" % argv[1], file=sys.stderr)
        return 2
    problems = []
    labelled = 0
    info = info_field()
    for pcap, tsv in pairs:
        p, n = check(pcap, tsv, info)
        problems += p
        labelled += n
    for p in problems:
        print("FAIL: " + p, flush=True)
    if problems:
        return 1
    print("info_column: %d captures, %d labelled frames, Info column as expected in one pass and -2,"
          " and with the Zeek summary read in a pass with columns" % (len(pairs), labelled))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
