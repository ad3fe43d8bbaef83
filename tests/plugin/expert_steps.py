#!/usr/bin/python3
"""expert_steps.py PCAP EXPECTED_TSV [PCAP EXPECTED_TSV ...] - the step Chat items.

Runs under tests/lib/with-ws.sh (tshark with the freshly built plugin, via
tests/lib/ws-run).  Every handshake or teardown step gets a Chat expert item
(synfin.handshake_step, synfin.teardown_step) whose text is "Handshake " or
"Teardown " and the label.  The plugin writes these items for every step
only when something reads all expert items (a shown tree, an expert filter
or field, the expert tap, the Expert column); otherwise a step gets its item
only when its own field is asked for (plugin/synfin.c, frame_wants).  So
these must hold, in one pass and with -2, whatever else the run asks for:

  -Y synfin.handshake_step   the frames whose expected row has phase 1
                             (handshake) and a step, no others;
  -Y synfin.teardown_step    phase 3 (teardown) and a step;
  the same two filters with -T fields -e synfin.label (synfin fields
  asked for, no tree shown), and with -e _ws.expert.message, whose message
  on those frames must include "Handshake LABEL" / "Teardown LABEL".

The expected frames come from the hand-written expected files
(captures/NAME.expected.tsv, the same ones plugin.expected.NAME uses).
Exit 1 on any difference.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from expected import read_expected  # noqa: E402
from wsenv import tshark_stdout  # noqa: E402

PHASES = (("1", "synfin.handshake_step", "Handshake"), ("3", "synfin.teardown_step", "Teardown"))


def tshark(args):
    """The rows of `tshark -n ARGS` (tab-separated fields)."""
    return [line.split("\t") for line in tshark_stdout(["-n"] + args).splitlines() if line != ""]


def expected_steps(tsv, phase):
    """{frame: (label cell, [labels of its steps of this phase])} of the
    expected rows with a step of this phase in any of their TCP layers (a
    cell holds one value per layer, comma-separated)."""
    out = {}
    for row in read_expected(tsv):
        layers = zip(row.get("synfin.phase", "").split(","), row.get("synfin.step", "").split(","),
                     row.get("synfin.label", "").split(","))
        steps = [label for ph, st, label in layers if ph == phase and st not in ("", "0")]
        if steps:
            out[int(row["frame.number"])] = (row["synfin.label"], steps)
    return out


def check(pcap, tsv):
    problems = []
    name = os.path.basename(pcap)
    for phase, field, word in PHASES:
        want = expected_steps(tsv, phase)
        for passes in ([], ["-2"]):
            tag = "%s %s%s" % (name, field, " -2" if passes else "")
            runs = (
                ("frame.number", ["-e", "frame.number"]),
                ("with synfin.label", ["-e", "frame.number", "-e", "synfin.label"]),
            )
            for what, cols in runs:
                rows = tshark(["-r", pcap] + passes + ["-Y", field, "-T", "fields"] + cols)
                got = sorted(int(r[0]) for r in rows)
                if got != sorted(want):
                    problems.append("%s (%s): frames %s, expected %s" % (tag, what, got, sorted(want)))
                if what == "with synfin.label":
                    for r in rows:
                        f = int(r[0])
                        if f in want and r[1] != want[f][0]:
                            problems.append("%s: frame %d label %r, expected %r" % (tag, f, r[1], want[f][0]))
            rows = tshark(["-r", pcap] + passes + ["-Y", field, "-T", "fields", "-E", "occurrence=a",
                                                    "-E", "aggregator=|", "-e", "frame.number",
                                                    "-e", "_ws.expert.message"])
            for r in rows:
                f = int(r[0])
                for label in want.get(f, ("", ["?"]))[1]:
                    text = "%s %s" % (word, label)
                    if text not in r[1].split("|"):
                        problems.append("%s: frame %d expert messages %r lack %r" % (tag, f, r[1], text))
        print("%s: %d frame(s) with a %s step, found by %s" % (name, len(want), word.lower(), field), flush=True)
    return problems


def main(argv):
    if len(argv) < 3 or len(argv) % 2 != 1:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    problems = []
    for i in range(1, len(argv), 2):
        problems += check(argv[i], argv[i + 1])
    for p in problems:
        print("FAIL: " + p, flush=True)
    if problems:
        return 1
    print("expert_steps: all step items as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
