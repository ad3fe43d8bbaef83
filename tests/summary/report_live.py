#!/usr/bin/python3
"""report_live.py - the Lua conn.log-style report on a live capture.

Captures on the loopback interface (capture filter for one free port P) with
the freshly built plugin and lua/synfin_report.lua, as uid 65534 (Wireshark
ignores personal plugins as root); the capture rights come the Debian way:
uid 65534 carries the supplementary group `wireshark`, which may run
/usr/bin/dumpcap with its file capabilities (tools/setup.sh sets this up).
Without that group (a machine not set up by tools/setup.sh) the test falls
back to ambient capabilities (setpriv --ambient-caps +net_raw,+net_admin),
which tshark's child dumpcap inherits. Meanwhile a client and a server on 127.0.0.1:P make
3 short connections (connect, send, receive, close both ways). The report
printed when the capture stops must have exactly 3 rows, all SF, with the
client's ports as orig_p and P as resp_p; the JSON variant must parse and
agree.

Exits 77 (skipped) only when not run as root (no group or capabilities to
hand on); a dumpcap that cannot open lo is a failure.

usage: report_live.py REPO_DIR   (run through tests/lib/with-ws.sh)
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import grp
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import wsenv  # noqa: E402

SKIP = 77
CONNS = 3
try:
    grp.getgrnam("wireshark")
    CAPS = ["--groups", "wireshark"]
except KeyError:
    CAPS = ["--clear-groups", "--inh-caps", "+net_raw,+net_admin",
            "--ambient-caps", "+net_raw,+net_admin"]
failures = 0
procs = []


def fail(msg):
    global failures
    failures += 1
    print("FAIL: " + msg, flush=True)


def skip(msg):
    print("SKIP: " + msg, flush=True)
    sys.exit(SKIP)


def ws_cmd(args):
    """wsenv.ws_cmd with this test's capture rights."""
    return wsenv.ws_cmd(args, CAPS)


def start(args):
    p = subprocess.Popen(ws_cmd(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, start_new_session=True)
    procs.append(p)
    return p


def cleanup():
    for p in procs:
        if p.poll() is None:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(p.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    p.wait(timeout=5)
                    break
                except subprocess.TimeoutExpired:
                    pass


def serve(lsock, stop):
    lsock.settimeout(0.5)
    while not stop.is_set():
        try:
            c, _ = lsock.accept()
        except socket.timeout:
            continue
        except OSError:
            return
        with c:
            c.settimeout(5)
            data = c.recv(100)
            c.sendall(b"pong:" + data)
            while c.recv(100):     # read to the client's FIN, then close
                pass


def talk(port):
    ports = []
    for i in range(CONNS):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            ports.append(s.getsockname()[1])
            s.sendall(b"ping %d" % i)
            got = b""
            while len(got) < 11:
                d = s.recv(100)
                if not d:
                    break
                got += d
            s.shutdown(socket.SHUT_WR)
            s.recv(100)             # the server's FIN
        time.sleep(0.1)
    return ports


def capture(script, port, extra, talk_fn):
    """Live capture with the report; returns (rc, stdout, stderr, talk result)."""
    p = start(["tshark", "-n", "-i", "lo", "-f", f"tcp port {port}", "-a", "duration:6", "-q",
               "-X", "lua_script:" + script] + extra)
    # tshark says "Capturing on 'Loopback: lo'" once dumpcap runs with the filter.
    err_lines = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = p.stderr.readline()
        if not line:
            break
        err_lines.append(line)
        if "Capturing on" in line:
            break
    if not any("Capturing on" in l for l in err_lines):
        out, err = p.communicate(timeout=60)
        return p.returncode, out, "".join(err_lines) + err, None
    time.sleep(0.5)
    result = talk_fn()
    try:
        out, err = p.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        cleanup()
        out, err = p.communicate()
        fail("tshark did not stop after its 6 s autostop")
    return p.returncode, out, "".join(err_lines) + err, result


def main():
    repo = sys.argv[1]
    if os.geteuid() != 0:
        skip("not root: no capabilities to give the uid 65534 tshark for a live capture")
    # Can dumpcap, as uid 65534 with the capture rights, open lo?
    r = subprocess.run(ws_cmd(["dumpcap", "-i", "lo", "-L"]), capture_output=True, text=True)
    if r.returncode != 0:
        fail("dumpcap as uid 65534 (" + " ".join(CAPS) + ") cannot open lo: "
             + r.stderr.strip()[-300:])
        sys.exit(1)
    script = os.path.join(os.environ["WS_TMP"], "synfin_report.lua")
    shutil.copy(os.path.join(repo, "lua", "synfin_report.lua"), script)
    os.chmod(script, 0o644)

    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(8)
    port = lsock.getsockname()[1]
    stop = threading.Event()
    threading.Thread(target=serve, args=(lsock, stop), daemon=True).start()
    print(f"server 127.0.0.1:{port}", flush=True)

    for variant, extra in (("tsv", []), ("json", ["-X", "lua_script1:json"])):
        t0 = time.monotonic()
        rc, out, err, cports = capture(script, port, extra, lambda: talk(port))
        print(f"{variant}: tshark exit {rc}, {time.monotonic() - t0:.1f} s, client ports {cports}",
              flush=True)
        if cports is None:
            fail(f"{variant}: live capture did not start: {err.strip()[-800:]}")
            continue
        if rc != 0:
            fail(f"{variant}: tshark exit {rc}: {err.strip()[-800:]}")
        for l in wsenv.trouble_lines(err):
            fail(f"{variant}: stderr: {l}")
        lines = [l for l in out.splitlines() if l.strip()]
        if variant == "tsv":
            if not lines:
                fail("tsv: no report")
                continue
            head = lines[0].split("\t")
            rows = [dict(zip(head, l.split("\t"))) for l in lines[1:]]
        else:
            try:
                rows = [json.loads(l) for l in lines]
            except ValueError as e:
                fail(f"json: report does not parse: {e}: {out[:500]}")
                continue
        print(out, end="", flush=True)
        if len(rows) != CONNS:
            fail(f"{variant}: {len(rows)} report rows, want {CONNS}")
        for row in rows:
            if row.get("conn_state") != "SF":
                fail(f"{variant}: stream {row.get('stream')}: conn_state {row.get('conn_state')} "
                     f"{row.get('history')}, want SF")
        got = sorted((str(r.get("orig_h")), str(r.get("orig_p")), str(r.get("resp_h")),
                      str(r.get("resp_p"))) for r in rows)
        want = sorted(("127.0.0.1", str(p), "127.0.0.1", str(port)) for p in cports)
        if got != want:
            fail(f"{variant}: endpoints {got}, want {want}")
    stop.set()
    lsock.close()
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
