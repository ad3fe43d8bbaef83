#!/usr/bin/python3
"""random_access.py - random access (as in the GUI) shows first-pass values.

For every capture: the single-pass `tshark -T fields` values of all synfin
fields are the reference. Then `sharkd -` (Wireshark's JSON-RPC daemon, the
engine behind the web UI; it dissects like the GUI) loads the capture and
is asked for every frame's protocol tree, once in a shuffled order (fixed
seed) and, in a fresh session, in reverse order. The synfin values in each
returned tree (read from the nodes' filter strings, e.g.
"synfin.step == 2") must equal the reference, frame by frame.

Usage (under tests/lib/with-ws.sh PLUGIN_SO):
    random_access.py [--seed N] DIR_OR_FILE...
"""

import argparse
import json
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wsfields as W  # noqa: E402

MAX_REPORTED = 30


def tree_values(nodes, wanted, out):
    """Collects synfin values from a sharkd tree, in tree order."""
    for node in nodes:
        f = node.get("f", "")
        if f.startswith("synfin.") and " == " in f:
            name, value = f.split(" == ", 1)
            if name in wanted:
                out.setdefault(name, []).append(value)
        if "n" in node:
            tree_values(node["n"], wanted, out)
    return out


def sharkd_session(capture, order, wanted):
    """Loads capture in a fresh sharkd, requests frames in order.
    Returns ({frame: {field: [raw values]}}, [errors])."""
    reqs = [{"jsonrpc": "2.0", "id": 1, "method": "load", "params": {"file": capture}}]
    for i, frame in enumerate(order):
        reqs.append({"jsonrpc": "2.0", "id": i + 2, "method": "frame",
                     "params": {"frame": frame, "proto": True}})
    text = "".join(json.dumps(r) + "\n" for r in reqs)
    p = W.ws_run(["sharkd", "-"], input=text, capture_output=True, text=True, errors="replace")
    errors = []
    if p.returncode != 0:
        errors.append("sharkd exit status %d: %s" % (p.returncode, p.stderr.strip()[-400:]))
    for line in W.stderr_problems(p.stderr):
        errors.append("sharkd stderr: " + line.strip())
    by_id = {}
    for line in p.stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            msg = json.loads(line)
        except ValueError:
            errors.append("unparsable sharkd output: %.200s" % line)
            continue
        if isinstance(msg.get("id"), int):
            by_id[msg["id"]] = msg
    load = by_id.get(1, {})
    if load.get("result", {}).get("status") != "OK":
        errors.append("load failed: %s" % json.dumps(load)[:300])
        return {}, errors
    seen = {}
    for i, frame in enumerate(order):
        msg = by_id.get(i + 2)
        if msg is None or "result" not in msg:
            errors.append("frame %d: no answer (%s)" % (frame, json.dumps(msg)[:200] if msg else "missing"))
            continue
        seen[frame] = tree_values(msg["result"].get("tree", []), wanted, {})
    return seen, errors


def check_capture(path, fields, types, seed):
    cap = W.stage(path)
    ref, err, rc = W.tshark_fields(cap, fields)
    problems = []
    compared = 0
    if rc < 0 or rc > 2:
        problems.append("reference tshark exit status %d: %s" % (rc, err.strip()[-300:]))
    frames = sorted(ref)
    if not frames:
        return problems, 0, 0
    shuffled = frames[:]
    random.Random(seed).shuffle(shuffled)
    wanted = set(fields)
    for tag, order in (("shuffled(seed %d)" % seed, shuffled), ("reversed", frames[::-1])):
        got, errors = sharkd_session(cap, order, wanted)
        problems += ["%s: %s" % (tag, e) for e in errors]
        diffs = 0
        for frame in order:
            if frame not in got:
                continue
            for f in fields:
                want = [W.normalise(types[f], v) for v in ref[frame][f]]
                have = [W.normalise(types[f], v) for v in got[frame].get(f, [])]
                compared += len(want)
                if want != have:
                    diffs += 1
                    if diffs <= MAX_REPORTED:
                        problems.append("%s: frame %d %s: single pass=%r random access=%r"
                                        % (tag, frame, f, W.AGG.join(want), W.AGG.join(have)))
        if diffs > MAX_REPORTED:
            problems.append("%s: ... %d differences in all" % (tag, diffs))
    return problems, len(frames), compared


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("targets", nargs="+")
    args = ap.parse_args()
    W.require_ws_env()
    captures = []
    for t in args.targets:
        captures += [t] if os.path.isfile(t) else W.find_captures([t])
    if not captures:
        print("SKIP: no captures found")
        return W.SKIP
    fields, types, missing = W.synfin_fields()
    if missing:
        print("note: contract fields not registered (passes.py fails on this): " + " ".join(missing))
    print("random access over %d captures, %d fields" % (len(captures), len(fields)), flush=True)
    failed = 0
    for path in captures:
        problems, n, compared = check_capture(path, fields, types, args.seed)
        if problems:
            failed += 1
            W.fail(path)
            for p in problems:
                print("    " + p)
        else:
            print("ok   %s (%d frames, 2 orders, %d values compared)" % (path, n, compared), flush=True)
    print("%d of %d captures failed" % (failed, len(captures)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
