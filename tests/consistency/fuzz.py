#!/usr/bin/python3
"""fuzz.py - the plugin survives damaged captures.

All given captures are concatenated into one pcapng (mergecap -a), then
mutated deterministically with editcap:
  - random byte errors (-E P --seed N), with -o 0 (anywhere), -o 14 (keep the
    Ethernet header) or -o 34 (keep Ethernet + IPv4, so the damage lands
    mostly in TCP headers and payload),
  - truncation of every packet (-s N) inside or just after the TCP header.
Each variant goes through tshark with the plugin: `-T fields -e
synfin.label`, `-V` (full tree, which also reads the injector's marker) and,
when the plugin has the native Flow Graph, `-q -z flow,synfin,network`. A crash (signal or sanitizer exit), a
"Dissector bug"/DISSECTOR_ASSERT naming synfin, a synfin warning/critical
log line or a sanitizer report fails the test; the variant is kept in
--keep-dir with the command that reproduces it.

Usage (under tests/lib/with-ws.sh PLUGIN_SO):
    fuzz.py [--seeds N] [--keep-dir DIR] DIR_OR_FILE...
"""

import argparse
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wsfields as W  # noqa: E402


def variants(seeds):
    """(name, editcap arguments) of every mutation, deterministic."""
    out = []
    offsets = (0, 14, 34)
    for i in range(seeds):
        seed = 1000 + i
        prob = 0.1 if i % 4 == 3 else 0.02
        out.append(("E%g-o%d-seed%d" % (prob, offsets[i % 3], seed),
                    ["-E", str(prob), "-o", str(offsets[i % 3]), "--seed", str(seed)]))
    for snap in (38, 46, 54, 58, 66):
        out.append(("snap%d" % snap, ["-s", str(snap)]))
    return out


def run_checked(args, label, problems, max_reported=10):
    """Runs a Wireshark program via ws-run, scanning stdout and stderr."""
    p = W.ws_run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace")
    found = []
    if p.returncode < 0 or p.returncode > 2:
        found.append("exit status %d (crash or sanitizer report)" % p.returncode)
    found += ["stderr: " + line.strip() for line in W.stderr_problems(p.stderr)]
    # -V prints exceptions into the tree as "[Dissector bug, protocol X: ...]".
    found += ["tree: " + line.strip() for line in p.stdout.splitlines()
              if "Dissector bug" in line and "synfin" in line.lower()]
    for f in found[:max_reported]:
        problems.append("%s: %s" % (label, f))
    if len(found) > max_reported:
        problems.append("%s: ... %d problems in all" % (label, len(found)))
    others = W.other_bugs(p.stderr)
    if others:
        print("    note (%s): %d dissector bug reports from other protocols, e.g. %s"
              % (label, len(others), others[0].strip()[:200]))
    return p.returncode


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=12)
    ap.add_argument("--keep-dir", default=None, help="where failing variants are kept")
    ap.add_argument("targets", nargs="+")
    args = ap.parse_args()
    W.require_ws_env()

    captures = []
    for t in args.targets:
        captures += [t] if os.path.isfile(t) else W.find_captures([t])
    captures = [c for c in captures if os.path.getsize(c) > 24]  # skip header-only files
    if not captures:
        print("SKIP: no captures found")
        return W.SKIP

    work = os.path.join(os.environ["WS_TMP"], "fuzz")
    os.makedirs(work, exist_ok=True)
    os.chmod(work, 0o777)
    corpus = os.path.join(work, "corpus.pcapng")
    p = subprocess.run(["mergecap", "-a", "-F", "pcapng", "-w", corpus] + captures,
                       capture_output=True, text=True)
    if p.returncode != 0:
        print("FAIL: mergecap: " + p.stderr.strip())
        return 1
    print("corpus: %d captures -> %s" % (len(captures), corpus), flush=True)

    failed = 0
    start = time.monotonic()
    # Builds with the native Flow Graph (plugin/CMakeLists.txt) also get -z flow,synfin.
    zhelp = W.ws_run(["tshark", "-z", "help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
    flow = any(l.strip() == "flow,synfin" for l in zhelp.splitlines())
    print("flow graph listener: %s" % ("checked" if flow else "not built"))
    for name, edit in [("original", None)] + variants(args.seeds):
        path = corpus
        if edit is not None:
            path = os.path.join(work, name + ".pcapng")
            p = subprocess.run(["editcap"] + edit + [corpus, path], capture_output=True, text=True)
            if p.returncode != 0:
                print("FAIL: editcap %s: %s" % (" ".join(edit), p.stderr.strip()))
                failed += 1
                continue
        os.chmod(path, 0o644)
        problems = []
        t0 = time.monotonic()
        run_checked(["tshark", "-n", "-r", path, "-T", "fields", "-e", "frame.number",
                     "-e", "synfin.label"], "fields", problems)
        run_checked(["tshark", "-n", "-r", path, "-V"], "-V", problems)
        if flow:
            # The Flow Graph listener reads the marker from the frame's bytes too.
            run_checked(["tshark", "-n", "-q", "-r", path, "-z", "flow,synfin,network"], "flow", problems)
        if problems:
            failed += 1
            W.fail("variant %s (editcap %s)" % (name, " ".join(edit or ["(none)"])))
            for line in problems:
                print("    " + line)
            if args.keep_dir:
                os.makedirs(args.keep_dir, exist_ok=True)
                kept = os.path.join(args.keep_dir, name + ".pcapng")
                shutil.copyfile(path, kept)
                print("    kept as %s; reproduce: tests/lib/with-ws.sh PLUGIN_SO tests/lib/ws-run tshark -r %s -V"
                      % (kept, kept))
        else:
            print("ok   %-24s %.1fs" % (name, time.monotonic() - t0), flush=True)
    print("%d variants failed, %.0fs" % (failed, time.monotonic() - start))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
