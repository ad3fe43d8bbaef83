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

Exit 1 on any difference, 2 on bad arguments.
"""
import glob
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from expected import read_expected  # noqa: E402
from wsenv import tshark_stdout  # noqa: E402

SUFFIX = re.compile(r" \[synfin: ([^\]]*)\]")
FRAME = re.compile(r"^\s*(\d+)\s")


def tshark_lines(pcap, extra):
    out = {}
    for line in tshark_stdout(["-n", "-r", pcap] + extra).splitlines():
        m = FRAME.match(line)
        if m:
            out[int(m.group(1))] = SUFFIX.findall(line)
    return out


def check(pcap, tsv):
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
    for pcap, tsv in pairs:
        p, n = check(pcap, tsv)
        problems += p
        labelled += n
    for p in problems:
        print("FAIL: " + p, flush=True)
    if problems:
        return 1
    print("info_column: %d captures, %d labelled frames, Info column as expected in one pass and -2"
          % (len(pairs), labelled))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
