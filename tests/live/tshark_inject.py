#!/usr/bin/python3
"""tshark_inject.py - a live capture with the synfin profile sees synfin-inject.

As uid 65534 with the supplementary group `wireshark` (Debian's capture
group, tools/setup.sh), `tshark -C synfin --color -i lo -f 'tcp port P'`
captures while synfin-inject (root) makes two whole exchanges (--count 2)
with the echo server on 127.0.0.1:P. The profile is the one `cmake --install`
installs (the build tree's plugin/profile/cmake_install.cmake run with
DESTDIR), put into the throw-away HOME's profile folder.

Expected values, by hand from who sent what: every segment the injector sent
(its JSON says "dir":"sent") carries the marker, so tshark shows
synfin.injected = 1, the run id the injector printed, and the colouring rule
"synfin injected ..." (the first rule of the profile); every segment the
server sent has no synfin.injected and another rule. Every segment of the
injector's printout is in the capture (matched by ports, raw seq/ack and
length) with the same synfin.label, both states and the stream's segments
in the same order. tshark must print no warning (a rule that does not
compile, an unknown preference).

Exits 77 (skipped) when not root. The injector runs under
flock /tmp/synfin-netfilter.lock (its RST guard changes nft rules that other
tests compare).

usage: tshark_inject.py REPO PROFILE_INSTALL_SCRIPT PROFILE_INSTALL_DIR INJECT ECHO_SERVER
       (run through tests/lib/with-ws.sh PLUGIN_SO)
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import wsenv  # noqa: E402
from expected import STATES  # noqa: E402

SKIP = 77
LOCK = "/tmp/synfin-netfilter.lock"
INJECTED_RULE = "synfin injected (synfin-inject marker)"
FIELDS = ["frame.number", "tcp.stream", "tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.ack_raw",
          "tcp.len", "synfin.label", "synfin.state.client", "synfin.state.server",
          "synfin.injected", "synfin.injected.run", "frame.coloring_rule.name"]
failures = 0
procs = []


def fail(msg):
    global failures
    failures += 1
    print("FAIL: " + msg, flush=True)


def ws_cmd(args):
    """wsenv.ws_cmd with this test's capture rights."""
    return wsenv.ws_cmd(args, ("--groups", "wireshark"))


def start(cmd, **kw):
    p = subprocess.Popen(cmd, start_new_session=True, **kw)
    procs.append(p)
    return p


def cleanup():
    for p in procs:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()


def install_profile(script, install_dir):
    home = os.environ["WS_HOME"]
    dest = os.path.join(home, "inst")
    r = subprocess.run(["cmake", "-P", script], env=dict(os.environ, DESTDIR=dest),
                       capture_output=True, text=True)
    src = dest + install_dir + "/synfin"
    if r.returncode != 0 or not os.path.isfile(src + "/colorfilters"):
        fail("the profile's install script did not install " + src + ": " + r.stdout + r.stderr)
        sys.exit(1)
    profiles = os.path.join(home, ".config", "wireshark", "profiles")
    os.makedirs(profiles, exist_ok=True)
    shutil.copytree(src, os.path.join(profiles, "synfin"))
    for root, dirs, files in os.walk(home):
        for n in dirs + files:
            os.chown(os.path.join(root, n), 65534, 65534)


def main():
    repo, script, install_dir, inj, echo = sys.argv[1:6]
    if os.geteuid() != 0:
        print("SKIP: needs root (the injector; uid 65534 with the wireshark group)")
        return SKIP
    install_profile(script, install_dir)
    tmp = os.environ["WS_TMP"]

    port_file = os.path.join(tmp, "port")
    start([echo, "--mode", "echo", "--port-file", port_file, "127.0.0.1", "0"])
    for _ in range(100):
        if os.path.exists(port_file) and os.path.getsize(port_file):
            break
        time.sleep(0.05)
    port = int(open(port_file).read())
    print(f"echo server 127.0.0.1:{port}", flush=True)

    cmd = ["tshark", "-C", "synfin", "--color", "-n", "-l", "-i", "lo", "-f", f"tcp port {port}",
           "-a", "duration:60", "-T", "fields", "-E", "separator=/t"]
    for f in FIELDS:
        cmd += ["-e", f]
    t0 = time.monotonic()
    ts = start(ws_cmd(cmd), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    err_lines = []
    while time.monotonic() - t0 < 60:
        line = ts.stderr.readline()
        if not line:
            break
        err_lines.append(line)
        if "Capturing on" in line:
            break
    if not any("Capturing on" in l for l in err_lines):
        fail("tshark did not start capturing: " + "".join(err_lines)[-800:])
        return 1
    time.sleep(0.5)
    r = subprocess.run(["flock", LOCK, "timeout", "-s", "KILL", "60", inj, "--json", "--count", "2",
                        "127.0.0.1", str(port)], capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"synfin-inject exit {r.returncode}: {r.stderr.strip()}")
        return 1
    segs = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    print(f"injector: {len(segs)} segments ({sum(s['dir'] == 'sent' for s in segs)} sent)", flush=True)
    time.sleep(1.0)
    ts.send_signal(signal.SIGINT)
    try:
        out, err = ts.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        fail("tshark did not stop on SIGINT")
        cleanup()
        out, err = ts.communicate()
    err = "".join(err_lines) + err
    print(f"tshark: exit {ts.returncode}, {time.monotonic() - t0:.1f} s", flush=True)
    for l in wsenv.trouble_lines(err, wsenv.PROFILE_TROUBLE):
        fail("tshark stderr: " + l)

    rows = [dict(zip(FIELDS, l.split("\t"))) for l in out.splitlines() if l.strip()]
    print(f"captured: {len(rows)} frames", flush=True)
    # Match the injector's segments to captured frames, in order.
    used = set()
    run_ids = {s["injected.run"] for s in segs if "injected.run" in s}
    if len(run_ids) != 1:
        fail(f"the injector printed run ids {run_ids}, want one")
    run_id = run_ids.pop() if run_ids else None
    last_frame = {}
    for s in segs:
        key = (str(s["sport"]), str(s["dport"]), str(s["seq"]), str(s["ack"]), str(s["len"]))
        match = None
        for i, row in enumerate(rows):
            if i in used:
                continue
            ack = row["tcp.ack_raw"] if row["tcp.ack_raw"] else "0"
            if (row["tcp.srcport"], row["tcp.dstport"], row["tcp.seq_raw"], ack, row["tcp.len"]) == key:
                match = i
                break
        what = f"stream {s['stream']} frame {s['frame']} ({s['dir']} {s['flags']} {s['label']})"
        if match is None:
            fail(f"{what}: not in the capture")
            continue
        used.add(match)
        row = rows[match]
        # order within a stream is the injector's order
        if int(row["frame.number"]) < last_frame.get(s["stream"], 0):
            fail(f"{what}: captured out of the injector's order")
        last_frame[s["stream"]] = int(row["frame.number"])
        got = (row["synfin.label"], row["synfin.state.client"], row["synfin.state.server"])
        want = (s["label"], str(s["state.client"]), str(s["state.server"]))
        if got != want:
            fail(f"{what}: tshark label/states {got}, injector {want}")
        if s["dir"] == "sent":
            if row["synfin.injected"] != "1":
                fail(f"{what}: synfin.injected {row['synfin.injected']!r}, want 1")
            if run_id is not None and row["synfin.injected.run"] != f"0x{run_id:08x}":
                fail(f"{what}: run id {row['synfin.injected.run']}, want 0x{run_id:08x}")
            if row["frame.coloring_rule.name"] != INJECTED_RULE:
                fail(f"{what}: colouring rule {row['frame.coloring_rule.name']!r}, want {INJECTED_RULE!r}")
        else:
            if row["synfin.injected"] or row["synfin.injected.run"]:
                fail(f"{what}: the server's segment shows synfin.injected")
            if row["frame.coloring_rule.name"] == INJECTED_RULE:
                fail(f"{what}: the server's segment has the injected colour")
        print(f"  frame {row['frame.number']:>3} {s['dir']:8} {s['label']:18} "
              f"{STATES[s['state.client']]:12} {STATES[s['state.server']]:12} "
              f"{row['frame.coloring_rule.name']}", flush=True)
    extra = [rows[i]["frame.number"] for i in range(len(rows)) if i not in used]
    if extra:
        fail(f"captured frames not in the injector's printout: {extra}")
    if len(segs) < 2 * 9:
        fail(f"only {len(segs)} segments for two whole exchanges")
    if failures:
        print(f"{failures} failure(s)")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        cleanup()
