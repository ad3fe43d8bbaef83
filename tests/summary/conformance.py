#!/usr/bin/env python3
"""conformance.py - synfin's Zeek-compatible conn_state against Zeek's own.

For every trace in shared/captures/zeek/EXPECTED.tsv (checksum-validated rows
excluded: Wireshark does not drop bad-checksum segments), runs tshark with
the plugin and takes each stream's synfin.conn.state and synfin.conn.history
at its last segment (the final values).  A row is comparable when its 4-tuple
maps to exactly one Zeek connection and exactly one tcp.stream, and Zeek's
baseline has a conn_state.  Prints every disagreement (conn_state) and every
history difference, the agreement, and fails below the goal (95%).

The history differences that are understood are pinned, each with its
reason, in known-history-differences.tsv (trace, stream, Zeek's history,
synfin's history).  A difference not in that file fails the test; so does
a pinned one that no longer shows (the row is to be deleted, or the trace
stopped being comparable), so the list can neither grow nor go stale
unnoticed.

usage: conformance.py ZEEK_CAPTURES_DIR   (run through tests/lib/with-ws.sh)
"""
import csv
import os
import sys
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from expected import read_expected  # noqa: E402
from wsenv import ws_checked  # noqa: E402

KNOWN_HISTORY = os.path.join(HERE, "known-history-differences.tsv")
GOAL = 0.95
SKIP = 77

FIELDS = ["tcp.stream", "ip.src", "ipv6.src", "tcp.srcport", "ip.dst", "ipv6.dst",
          "tcp.dstport", "synfin.stream", "synfin.conn.state", "synfin.conn.history"]


def last(v):
    return v.split(",")[-1] if v else ""


def streams_of(path):
    """stream -> (endpoint pair, final conn_state, final history)."""
    tmp = os.path.join(os.environ["WS_TMP"], "zeek-" + os.path.basename(path))
    with open(path, "rb") as src, open(tmp, "wb") as dst:
        dst.write(src.read())
    os.chmod(tmp, 0o644)
    args = ["tshark", "-n", "-r", tmp, "-Y", "synfin", "-T", "fields", "-E", "separator=\t"]
    for f in FIELDS:
        args += ["-e", f]
    try:
        out = ws_checked(args)
    finally:
        os.unlink(tmp)
    res = {}
    for line in out.stdout.splitlines():
        c = [last(x) for x in line.split("\t")]
        if len(c) < len(FIELDS) or not c[7]:
            continue
        stream = int(c[7])
        src, dst = c[2] or c[1], c[5] or c[4]
        key = frozenset([(src, int(c[3])), (dst, int(c[6]))])
        pair, _, _ = res.get(stream, (key, None, None))
        res[stream] = (pair, c[8], c[9])
    return res


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    zdir = sys.argv[1]
    expected = os.path.join(zdir, "EXPECTED.tsv")
    if not os.path.exists(expected):
        print(f"SKIP: {expected} not found")
        return SKIP
    rows = [r for r in csv.DictReader(open(expected), delimiter="\t")
            if r["zeek_variant"] != "checksum-validated"]
    by_trace = defaultdict(list)
    for r in rows:
        by_trace[r["trace"]].append(r)

    agree, disagree, skipped, hist_same, hist_total = 0, [], 0, 0, 0
    hist_diff = []
    for trace, zrows in sorted(by_trace.items()):
        streams = streams_of(os.path.join(zdir, trace))

        def tuple_of(r):
            return frozenset([(r["orig_h"], int(r["orig_p"])), (r["resp_h"], int(r["resp_p"]))])

        for r in zrows:
            key = tuple_of(r)
            zmatch = [x for x in zrows if tuple_of(x) == key]
            smatch = [s for s, v in streams.items() if v[0] == key]
            if len(zmatch) != 1 or len(smatch) != 1:
                skipped += 1
                continue
            _, state, hist = streams[smatch[0]]
            if r["history"] != "-":
                hist_total += 1
                if hist == r["history"]:
                    hist_same += 1
                else:
                    hist_diff.append((trace, str(smatch[0]), r["history"], hist))
            if r["conn_state"] == "-":
                skipped += 1
                continue
            if state == r["conn_state"]:
                agree += 1
            else:
                disagree.append(f"{trace} stream {smatch[0]}: Zeek {r['conn_state']} {r['history']}, "
                                f"synfin {state} {hist}")

    total = agree + len(disagree)
    for d in disagree:
        print("conn_state differs: " + d)
    known = {(k["trace"], k["stream"], k["zeek_history"], k["synfin_history"]): k["reason"]
             for k in read_expected(KNOWN_HISTORY)}
    new_diff = [d for d in hist_diff if d not in known]
    gone = [k for k in known if k not in hist_diff]
    for d in hist_diff:
        why = known.get(d, "NEW, not in known-history-differences.tsv")
        print(f"history differs:    {d[0]} stream {d[1]}: Zeek {d[2]}, synfin {d[3]} ({why})")
    for k in gone:
        print(f"history no longer differs: {k[0]} stream {k[1]}: Zeek {k[2]}, synfin {k[3]} was pinned")
    print(f"conn_state: {agree}/{total} comparable rows agree "
          f"({100.0 * agree / max(total, 1):.1f}%, goal {100 * GOAL:.0f}%); "
          f"{skipped} rows not comparable or without conn_state")
    print(f"history: {hist_same}/{hist_total} comparable rows identical")
    if total == 0:
        print("FAIL: no comparable rows")
        return 1
    if agree < GOAL * total:
        print("FAIL: agreement below the goal")
        return 1
    if new_diff:
        print(f"FAIL: {len(new_diff)} history difference(s) not in {os.path.basename(KNOWN_HISTORY)}")
        return 1
    if gone:
        print(f"FAIL: {len(gone)} pinned history difference(s) no longer seen: "
              f"delete their rows from {os.path.basename(KNOWN_HISTORY)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
