#!/usr/bin/python3
"""passes.py - one pass and two passes must show the same synfin values.

For every capture, runs `tshark -T fields` with all synfin fields once in
a single pass, once with `-2` and once with `-2 -z expert` (the second
pass re-dissects visited frames, so the plugin has to render what it
stored on the first pass; see SECOND_PASSES) and fails on any difference,
reported as capture, frame, field, pass-1 value, second-pass value. Also
fails when
  - a contract field (SYNFIN.md section 4) is not registered,
  - a capture with TCP segments gets no synfin.label at all,
  - synfin.stream is not one of the frame's tcp.stream values,
  - tshark crashes or reports a dissector bug / a synfin warning.

Usage (under tests/lib/with-ws.sh PLUGIN_SO): passes.py DIR_OR_FILE...
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wsfields as W  # noqa: E402

MAX_REPORTED = 30


# The second passes compared with the single pass.  What the plugin does on
# a first pass depends on what that pass shows (plugin/storage.c, "Engine
# work put off"): tshark's first pass of -2 shows nothing (the engine steps
# are queued); with -z expert the expert tap listens, so the engine runs at
# once for the expert items and only the Zeek summary and the stored result
# are queued.  The second pass must read them all back.
SECOND_PASSES = (("-2", ["-2"]), ("-2 -z expert", ["-2", "-z", "expert"]))


def check_capture(path, fields):
    problems = []
    cap = W.stage(path)
    p1, err1, rc1 = W.tshark_fields(cap, fields)
    runs = [("pass 1", p1, rc1, err1)]
    for tag, extra in SECOND_PASSES:
        p2, err2, rc2 = W.tshark_fields(cap, fields, extra=extra)
        runs.append((tag, p2, rc2, err2))
    for tag, _rows, rc, err in runs:
        # 0 ok, 1 bad arguments, 2 capture-file trouble (e.g. cut short);
        # a signal or a sanitizer exit is a crash.
        if rc < 0 or rc > 2:
            problems.append("%s: tshark exit status %d: %s" % (tag, rc, err.strip()[-400:]))
        elif rc == 1:
            problems.append("%s: tshark exit status 1: %s" % (tag, err.strip()[-400:]))
        for line in W.stderr_problems(err):
            problems.append("%s: stderr: %s" % (tag, line.strip()))

    for tag, p2, _rc, _err in runs[1:]:
        if set(p1) != set(p2):
            only1 = sorted(set(p1) - set(p2))[:10]
            only2 = sorted(set(p2) - set(p1))[:10]
            problems.append("%s: frame sets differ: only in pass 1 %s, only in %s %s"
                            % (tag, only1, tag, only2))
        diffs = 0
        for frame in sorted(set(p1) & set(p2)):
            for f in fields:
                a, b = p1[frame][f], p2[frame][f]
                if a != b:
                    diffs += 1
                    if diffs <= MAX_REPORTED:
                        problems.append("frame %d %s: pass1=%r %s=%r"
                                        % (frame, f, W.AGG.join(a), tag, W.AGG.join(b)))
        if diffs > MAX_REPORTED:
            problems.append("... %s: %d differences in all" % (tag, diffs))

    tcp_frames = [n for n, v in p1.items() if v["tcp.stream"]]
    labelled = [n for n, v in p1.items() if v.get("synfin.label")]
    if tcp_frames and not labelled and "synfin.label" in fields:
        problems.append("%d frames have tcp.stream but none has synfin.label" % len(tcp_frames))

    bad_stream = 0
    for n, v in sorted(p1.items()):
        for s in v.get("synfin.stream", []):
            if s not in v["tcp.stream"]:
                bad_stream += 1
                if bad_stream <= 5:
                    problems.append("frame %d: synfin.stream %s not in tcp.stream %s" % (n, s, v["tcp.stream"]))
    return problems, len(p1), len(tcp_frames), len(labelled)


def main(argv):
    W.require_ws_env()
    targets = argv[1:]
    captures = []
    for t in targets:
        captures += [t] if os.path.isfile(t) else W.find_captures([t])
    if not captures:
        print("SKIP: no captures found in %s" % " ".join(targets))
        return W.SKIP

    fields, _types, missing = W.synfin_fields()
    failed = 0
    if missing:
        W.fail("contract fields not registered by the plugin: " + " ".join(missing))
        failed += 1
    print("comparing %d synfin fields on %d captures" % (len(fields), len(captures)), flush=True)

    for path in captures:
        problems, frames, tcp, labelled = check_capture(path, fields)
        if problems:
            failed += 1
            W.fail(path)
            for p in problems:
                print("    " + p)
        else:
            print("ok   %s (frames %d, tcp %d, labelled %d)" % (path, frames, tcp, labelled), flush=True)
    print("%d of %d captures failed" % (failed - (1 if missing else 0), len(captures)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
