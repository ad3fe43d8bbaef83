#!/usr/bin/python3
"""flow_graph.py PCAP EXPECTED_TSV [PCAP EXPECTED_TSV ...] - the native Flow Graph.

Runs under tests/lib/with-ws.sh (tshark with the freshly built plugin, via
tests/lib/ws-run).  For each capture, `tshark -q -z flow,synfin,network`
and `,standard` must draw one arrow per annotated TCP segment, in frame
order, and each arrow must match the hand-derived expected file
(captures/NAME.expected.tsv, the same file plugin.expected.NAME uses):

  arrow text  = synfin.label, plus " len=N" when the segment carries N > 0
                payload bytes (N is Wireshark's own tcp.len);
  direction   = "-->" for role 1 (client to server), "<--" for role 2 (the
                client is always the left node of its pair: it sends first);
  comment     = "client STATE, server STATE; seq=S[ ack=A][ injected run=0xR]"
                with the columns the expected file has (states by the spec's
                names, synfin.seq.rel, synfin.ack.rel, synfin.injected.run);
                without synfin.injected columns the comment must not
                mention "injected" at all.

Rows without a label (ICMP errors) get no arrow.  Exit 1 on any difference.
"""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from expected import read_expected, state_name  # noqa: E402
from wsenv import WS_RUN, tshark_stdout  # noqa: E402


# One arrow = two lines: "[conv ]|time |<label ...>|comment" and "... (port) --> (port) ...".
LINE1 = re.compile(r"^(?:\s*\d+\s*)?\|\s*[0-9.]+\s*\|(.*)\|([^|]*)$")
LINE2 = re.compile(r"\(\d+\)\s+(<?-+>?)\s+\(\d+\)")


def expected_arrows(tsv, lens):
    out = []
    for row in read_expected(tsv):
        label = row.get("synfin.label", "")
        if label == "":
            continue
        frame = int(row["frame.number"])
        n = lens.get(frame, 0)
        text = label + (" len=%d" % n if n > 0 else "")
        arrow = ">" if row["synfin.role"] == "1" else "<"
        comment = None
        if "synfin.state.client" in row:
            comment = "client %s, server %s; seq=%s" % (
                state_name(row, "synfin.state.client"), state_name(row, "synfin.state.server"),
                row["synfin.seq.rel"])
            if row.get("synfin.ack.rel", "") != "":
                comment += " ack=" + row["synfin.ack.rel"]
        inj = None
        if "synfin.injected" in row:
            inj = row["synfin.injected.run"] if row["synfin.injected"] == "1" else ""
        out.append((frame, text, arrow, comment, inj))
    return out


def drawn_arrows(text):
    got = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = LINE1.match(lines[i])
        if m and i + 1 < len(lines):
            m2 = LINE2.search(lines[i + 1])
            if m2:
                label = m.group(1).replace("|", " ").strip()
                d = m2.group(1)
                got.append((label, ">" if d.endswith(">") else "<", m.group(2).strip()))
                i += 2
                continue
        i += 1
    return got


def check(pcap, tsv):
    staged = os.path.join(os.environ["WS_TMP"], os.path.basename(pcap))
    shutil.copyfile(pcap, staged)
    os.chmod(staged, 0o644)
    lens = {}
    for line in tshark_stdout(["-n", "-r", staged, "-T", "fields", "-e", "frame.number", "-e", "tcp.len"]).splitlines():
        f = line.split("\t")
        if len(f) == 2 and f[1] != "" and "," not in f[1]:
            lens[int(f[0])] = int(f[1])
        elif len(f) == 2 and "," in f[1]:
            lens[int(f[0])] = None  # several TCP layers: not used by these captures
    exp = expected_arrows(tsv, lens)
    bad = 0
    for mode in ("network", "standard"):
        got = drawn_arrows(tshark_stdout(["-n", "-q", "-r", staged, "-z", "flow,synfin," + mode]))
        name = "%s flow,synfin,%s" % (os.path.basename(pcap), mode)
        if len(got) != len(exp):
            print("FAIL %s: %d arrows drawn, %d expected" % (name, len(got), len(exp)))
            bad += 1
        for k, e in enumerate(exp):
            if k >= len(got):
                break
            frame, text, arrow, comment, inj = e
            label, direction, cmt = got[k]
            errs = []
            if label != text:
                errs.append("text %r, expected %r" % (label, text))
            if direction != arrow:
                errs.append("arrow %s, expected %s" % (direction, arrow))
            run = re.search(r" injected run=(0x[0-9a-f]{8})$", cmt)
            base = cmt[:run.start()] if run else cmt
            if comment is not None and base != comment:
                errs.append("comment %r, expected %r" % (base, comment))
            if inj is None:
                if "injected" in cmt:
                    errs.append("comment %r mentions injected" % cmt)
            elif (run.group(1) if run else "") != inj:
                errs.append("marker %r, expected %r" % (run.group(1) if run else "", inj or "none"))
            if errs:
                print("FAIL %s arrow %d (frame %d): %s" % (name, k + 1, frame, "; ".join(errs)))
                bad += 1
        if not bad:
            print("ok   %s: %d arrows" % (name, len(got)))
    return bad


def main():
    args = sys.argv[1:]
    if len(args) < 2 or len(args) % 2:
        print("usage: flow_graph.py PCAP EXPECTED_TSV [PCAP EXPECTED_TSV ...]", file=sys.stderr)
        return 2
    h = subprocess.run([WS_RUN, "tshark", "-z", "help"], capture_output=True, text=True)
    if not re.search(r"^\s*flow,synfin\s*$", h.stdout + h.stderr, re.M):
        print("FAIL: tshark -z help lists no flow,synfin (the plugin was built without the Flow Graph?)")
        return 1
    bad = 0
    for i in range(0, len(args), 2):
        bad += check(args[i], args[i + 1])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
