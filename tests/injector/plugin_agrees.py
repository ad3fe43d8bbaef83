#!/usr/bin/python3
"""plugin_agrees.py [--no-marker] JSON PCAP - the injector's printout equals the plugin's.

Runs under tests/lib/with-ws.sh (tshark with the freshly built plugin, via
tests/lib/ws-run).  For every segment of synfin-inject --json output, and for
every JSON field whose "synfin."-prefixed name is a field the plugin
registers, the value tshark shows for the same frame of the -w file must be
the same.  The marker (spec section 6) is checked on its own: every segment
the injector sent has `synfin.injected` with the run id, one run id for the
whole run, and no segment it received has it (the plugin adds the two fields
only on marked segments, so "injected": false means "absent").
With --no-marker (a capture replayed through the injector's output by
output_replay, whose segments carry no marker) the marker is not checked.
Prints the differences; exit 1 if any.
"""
import json
import os
import shutil
import subprocess
import sys

WS_RUN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib", "ws-run")


def tshark(args):
    return subprocess.run([WS_RUN, "tshark"] + args, check=True, capture_output=True, text=True).stdout


def norm(v):
    if isinstance(v, bool):
        return "1" if v else "0"
    if v in ("True", "true"):
        return "1"
    if v in ("False", "false"):
        return "0"
    return str(v)


def main():
    args = sys.argv[1:]
    check_marker = "--no-marker" not in args
    args = [a for a in args if a != "--no-marker"]
    if len(args) != 2:
        print("usage: plugin_agrees.py [--no-marker] JSON PCAP")
        return 2
    segs = [json.loads(l) for l in open(args[0])]
    pcap = os.path.join(os.environ["WS_TMP"], "agree.pcap")
    shutil.copyfile(args[1], pcap)
    os.chmod(pcap, 0o644)
    known = set()
    for line in tshark(["-G", "fields"]).splitlines():
        f = line.split("\t")
        if len(f) > 2 and f[0] == "F" and f[2].startswith("synfin."):
            known.add(f[2][len("synfin."):])
    marker_fields = ("injected", "injected.run") if check_marker else ()
    fields = sorted(k for k in set().union(*[s.keys() for s in segs])
                    if k in known and k not in ("injected", "injected.run"))
    if not fields:
        print("the plugin registers none of the JSON fields")
        return 1
    for f in marker_fields:
        if f not in known:
            print("the plugin does not register synfin.%s" % f)
            return 1
    fields += list(marker_fields)
    out = tshark(["-n", "-r", pcap, "-T", "fields", "-E", "separator=\t", "-e", "frame.number"]
                 + [a for f in fields for a in ("-e", "synfin." + f)])
    rows = {}
    for line in out.splitlines():
        cols = line.split("\t")
        rows[int(cols[0])] = dict(zip(fields, cols[1:]))
    bad = 0
    # The marker: sent segments carry it with the run's id, received ones not.
    runs = set(s["injected.run"] for s in segs if s.get("dir") == "sent" and "injected.run" in s)
    if len(runs) > 1:
        print("the injector's sent segments carry %d run ids: %s" % (len(runs), sorted(runs)))
        bad += 1
    nsent = 0
    for s in segs if check_marker else ():
        r = rows.get(s["frame"])
        if r is None:
            continue
        inj, run = r.get("injected", ""), r.get("injected.run", "")
        if s.get("dir") == "sent":
            nsent += 1
            if s.get("injected") is not True or "injected.run" not in s:
                print("frame %d: the injector sent it without the marker (JSON %r)"
                      % (s["frame"], s.get("injected")))
                bad += 1
                continue
            want = "0x%08x" % s["injected.run"]
            if inj != "1" or run != want:
                print("frame %d (sent, %s): plugin synfin.injected %r run %r, want 1 %s"
                      % (s["frame"], s["label"], inj, run, want))
                bad += 1
        else:
            if inj != "" or run != "":
                print("frame %d (received, %s): plugin synfin.injected %r run %r, want absent"
                      % (s["frame"], s["label"], inj, run))
                bad += 1
    if nsent == 0 and check_marker:
        print("no sent segment in the JSON")
        bad += 1
    for s in segs:
        r = rows.get(s["frame"])
        if r is None:
            print("frame %d: not in the pcap" % s["frame"])
            bad += 1
            continue
        for f in fields:
            if f in marker_fields:
                continue
            mine = s.get(f)
            theirs = r.get(f, "")
            if mine is None:
                if theirs != "":
                    print("frame %d %s: injector none, plugin %r" % (s["frame"], f, theirs))
                    bad += 1
                continue
            if isinstance(mine, float):
                ok = theirs != "" and abs(float(theirs) - mine) < 2e-6
            else:
                ok = norm(mine) == norm(theirs)
            if not ok:
                print("frame %d %s: injector %r, plugin %r (label %s)" % (s["frame"], f, mine, theirs, s["label"]))
                bad += 1
    print("%d segments (%d sent, run id %s), %d fields compared (%s): %d differences"
          % (len(segs), nsent, " ".join("0x%08x" % r for r in sorted(runs)) or "-", len(fields),
             " ".join(fields), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
