#!/usr/bin/env python3
"""report.py - the Lua conn.log-style report and the synfin stats tree agree
with the per-segment annotations and with tshark's own view of the capture.

For each capture: runs lua/synfin_report.lua (TSV and JSON lines) and
`-z synfin,tree`, and checks, for every connection,
  * conn_state and history = synfin.conn.state / .history of its last segment,
  * payload bytes and segments each way = sums of tcp.len per direction,
    with the originator being the first sender, or the other end when the
    final history has an odd number of flips ("^"; docs/zeek.md),
  * duration = last minus first segment time, handshake RTT = the SYN-ACK's
    synfin.handshake.rtt,
and that the stats tree counts every segment once by phase and every
connection once by its final conn_state; sharkd's tap (the GUI's retap path)
must give the same tree.

usage: report.py REPO_DIR CAPTURE...   (run through tests/lib/with-ws.sh)
"""
import json
import os
import shutil
import sys
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from wsenv import ws_checked  # noqa: E402
failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL: " + msg)


def ws(args, **kw):
    return ws_checked(args, **kw).stdout


def per_segment(cap):
    fields = ["frame.time_epoch", "synfin.stream", "ip.src", "ipv6.src", "tcp.srcport", "tcp.len",
              "synfin.conn.state", "synfin.conn.history", "synfin.handshake.rtt",
              "synfin.phase"]
    args = ["tshark", "-n", "-r", cap, "-Y", "synfin", "-T", "fields", "-E", "separator=\t"]
    for f in fields:
        args += ["-e", f]
    conns = {}
    phases = defaultdict(int)
    for line in ws(args).splitlines():
        c = line.split("\t")
        if "," in c[1]:
            continue  # several TCP layers: covered by other tests
        t, sid = float(c[0]), int(c[1])
        src = (c[3] or c[2]).split(",")[-1]
        sport = int(c[4].split(",")[-1])
        ln = int(c[5].split(",")[-1] or 0)
        k = conns.setdefault(sid, {"first": t, "bytes": defaultdict(int), "pkts": defaultdict(int),
                                   "rtt": None, "first_ep": (src, sport)})
        k["last"] = t
        k["bytes"][(src, sport)] += ln
        k["pkts"][(src, sport)] += 1
        k["state"], k["hist"] = c[6], c[7]
        if c[8]:
            k["rtt"] = float(c[8])
        phases[c[9]] += 1
    return conns, phases


def check_capture(repo, cap):
    script = os.path.join(os.environ["WS_TMP"], "synfin_report.lua")
    shutil.copy(os.path.join(repo, "lua", "synfin_report.lua"), script)
    os.chmod(script, 0o644)
    conns, phases = per_segment(cap)
    tsv = ws(["tshark", "-q", "-n", "-r", cap, "-X", "lua_script:" + script]).splitlines()
    jsn = ws(["tshark", "-q", "-n", "-r", cap, "-X", "lua_script:" + script,
              "-X", "lua_script1:json"]).splitlines()
    head = tsv[0].split("\t")
    rows = [dict(zip(head, l.split("\t"))) for l in tsv[1:]]
    jrows = [json.loads(l) for l in jsn]
    name = os.path.basename(cap)
    if len(rows) != len(jrows):
        fail(f"{name}: {len(rows)} TSV rows but {len(jrows)} JSON rows")
    single = {sid for sid in conns}
    for row, jrow in zip(rows, jrows):
        sid = int(row["stream"])
        if jrow["stream"] != sid or jrow["conn_state"] != row["conn_state"] or jrow["history"] != row["history"]:
            fail(f"{name} stream {sid}: JSON and TSV rows differ")
        if sid not in single:
            continue
        k = conns[sid]
        if row["conn_state"] != k["state"] or row["history"] != k["hist"]:
            fail(f"{name} stream {sid}: report {row['conn_state']} {row['history']}, "
                 f"last segment {k['state']} {k['hist']}")
        first = k["first_ep"]
        other = next((e for e in k["pkts"] if e != first), None)
        orig, resp = (other, first) if k["hist"].count("^") % 2 else (first, other)
        # With one direction captured, one of the two ends sent nothing.
        if orig is not None:
            want = (str(orig[0]), str(orig[1]))
            if (row["orig_h"], row["orig_p"]) != want:
                fail(f"{name} stream {sid}: originator {row['orig_h']}:{row['orig_p']}, want {want}")
            if int(row["orig_bytes"]) != k["bytes"][orig] or int(row["orig_pkts"]) != k["pkts"][orig]:
                fail(f"{name} stream {sid}: originator bytes/segments {row['orig_bytes']}/"
                     f"{row['orig_pkts']}, want {k['bytes'][orig]}/{k['pkts'][orig]}")
        if resp is not None:
            if int(row["resp_bytes"]) != k["bytes"][resp] or int(row["resp_pkts"]) != k["pkts"][resp]:
                fail(f"{name} stream {sid}: responder bytes/segments {row['resp_bytes']}/"
                     f"{row['resp_pkts']}, want {k['bytes'][resp]}/{k['pkts'][resp]}")
        dur = k["last"] - k["first"]
        if abs(float(row["duration"]) - dur) > 2e-6:
            fail(f"{name} stream {sid}: duration {row['duration']}, want {dur:.6f}")
        if (k["rtt"] is None) != (row["handshake_rtt"] == "-") or \
           (k["rtt"] is not None and abs(float(row["handshake_rtt"]) - k["rtt"]) > 2e-6):
            fail(f"{name} stream {sid}: handshake RTT {row['handshake_rtt']}, want {k['rtt']}")

    # Stats tree: phases count segments, final conn_states count connections.
    tree = ws(["tshark", "-q", "-n", "-r", cap, "-z", "synfin,tree"])
    counts = {}
    section = None
    for line in tree.splitlines():
        parts = line.rstrip().split()
        if not parts or not line[0].isalpha() and not line.startswith(" "):
            continue
        if not line.startswith(" "):
            section = line[:40].strip()
            continue
        name_ = line[:40].strip()
        try:
            counts[(section, name_)] = int(line[40:54].strip())
        except ValueError:
            pass
    phase_names = {"0": "unknown", "1": "handshake", "2": "data", "3": "teardown", "4": "reset", "5": "closed"}
    for ph, n in phases.items():
        got = counts.get(("Segments by phase", phase_names.get(ph, ph)))
        if got != n:
            fail(f"{name}: stats tree phase {phase_names.get(ph, ph)} {got}, want {n}")
    finals = defaultdict(int)
    for k in conns.values():
        finals[k["state"]] += 1
    for st, n in finals.items():
        got = counts.get(("Connections by final conn_state (Zeek)", st))
        if got != n:
            fail(f"{name}: stats tree final {st} {got}, want {n}")
    # The GUI's retap path (sharkd's tap request re-dissects a loaded file
    # without a tree) must give the same tree as tshark's single pass.
    req = (json.dumps({"jsonrpc": "2.0", "id": 1, "method": "load", "params": {"file": cap}}) + "\n" +
           json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tap", "params": {"tap0": "stat:synfin"}}) + "\n")
    retap = {}
    for line in ws(["sharkd", "-"], input=req).splitlines():
        msg = json.loads(line) if line.startswith("{") else {}
        if msg.get("id") == 2:
            for top in msg["result"]["taps"][0]["stats"]:
                for sub in top.get("sub", []):
                    retap[(top["name"], sub["name"])] = sub["count"]
    if not retap:
        fail(f"{name}: sharkd retap gave no synfin tree")
    for key, n in retap.items():
        if counts.get(key) != n:
            fail(f"{name}: retap {key} = {n}, tshark -z gives {counts.get(key)}")
    print(f"ok {name}: {len(rows)} connections, stats tree and retap agree")


def main():
    repo, caps = sys.argv[1], sys.argv[2:]
    for cap in caps:
        tmp = os.path.join(os.environ["WS_TMP"], os.path.basename(cap))
        shutil.copy(cap, tmp)
        os.chmod(tmp, 0o644)
        check_capture(repo, tmp)
    if failures:
        print(f"{failures} failure(s)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
