#!/usr/bin/python3
"""demo_test.py - the README's first command, tools/demo.sh, end to end.

usage: demo_test.py REPO BUILD_DIR netns|loopback|sigint|gui|file

Runs `tools/demo.sh --no-gui --build-dir BUILD_DIR` (plus `--loopback` in
that mode) as root, the way a user runs it, and checks what it prints and
what it leaves:

  netns, loopback  exit 0; the injector's own ladder, the live tshark table
                   and the Lua ladder of the captured file tell the same
                   story, and that story is the one worked out by hand for
                   an echo exchange closed by the client (below); only the
                   client's segments carry the injected mark.
  sigint           Ctrl-C (SIGINT to the demo's whole process group, as a
                   terminal sends it) while the live capture is starting:
                   exit status 130 and the same clean-up.
  file             `tools/demo.sh captures/open-close-4seg.pcap`: one row per
                   frame with the direction, length, label, both states and
                   relative seq/ack of the capture's hand-written expected
                   annotations (captures/open-close-4seg.expected.tsv).
  gui              --gui on a virtual display (Xvfb): the same printouts,
                   and the real Wireshark window "Capturing from sfdemo-c"
                   with the synfin profile shows the injected highlight
                   (exact pixel colour of the profile's rule) and prints no
                   warning; then Ctrl-C ends the demo (exit status 130) and
                   Wireshark's capture file in /tmp is removed too.

After every run: no demo namespace, no process of the demo (tshark, dumpcap,
the echo server, the injector), its throw-away HOME removed, and on the host
the nft and iptables rulesets as they were before.

The exchange, by hand (RFC 9293 §3.5 and the spec's labels; request = the
demo's 24-byte greeting, echoed by the server, client closes first):
  C>S SYN 1/3          SYN_SENT     SYN_RECEIVED
  S>C SYN-ACK 2/3      ESTABLISHED  SYN_RECEIVED
  C>S ACK 3/3          ESTABLISHED  ESTABLISHED
  C>S DATA  len 24     ESTABLISHED  ESTABLISHED
  S>C ACK   (optional: a kernel may let the echo carry the ack)
  S>C DATA  len 24     ESTABLISHED  ESTABLISHED
  C>S ACK              ESTABLISHED  ESTABLISHED
  C>S FIN 1/4          FIN_WAIT_1   CLOSE_WAIT
  then either  S>C ACK+FIN 2/4+3/4  TIME_WAIT   LAST_ACK
  or           S>C ACK 2/4          FIN_WAIT_2  CLOSE_WAIT
               S>C FIN 3/4          TIME_WAIT   LAST_ACK
  C>S ACK 4/4          TIME_WAIT    CLOSED
Exits 77 (skipped) when not root.
"""
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from expected import read_expected, state_name  # noqa: E402

SKIP = 77
E, C = "ESTABLISHED", "C>S"
# (direction, label, client state, server state, payload length or None, optional)
EXPECTED_HEAD = [
    (C, "SYN 1/3", "SYN_SENT", "SYN_RECEIVED", 0, False),
    ("S>C", "SYN-ACK 2/3", E, "SYN_RECEIVED", 0, False),
    (C, "ACK 3/3", E, E, 0, False),
    (C, "DATA", E, E, 24, False),
    ("S>C", "ACK", E, E, 0, True),
    ("S>C", "DATA", E, E, 24, False),
    (C, "ACK", E, E, 0, False),
    (C, "FIN 1/4", "FIN_WAIT_1", "CLOSE_WAIT", 0, False),
]
TAIL_MERGED = [("S>C", "ACK+FIN 2/4+3/4", "TIME_WAIT", "LAST_ACK", 0, False)]
TAIL_SPLIT = [("S>C", "ACK 2/4", "FIN_WAIT_2", "CLOSE_WAIT", 0, False),
              ("S>C", "FIN 3/4", "TIME_WAIT", "LAST_ACK", 0, False)]
TAIL_END = [(C, "ACK 4/4", "TIME_WAIT", "CLOSED", 0, False)]
NAMESPACES = ("synfin-demo-cli", "synfin-demo-srv")
INJECTED_RGB = "rgb(200,0,200)"   # plugin/profile/synfin/colorfilters, 51400/257
ROW_PX = 10000                    # a 1280-px packet-list row is about 20,000 px
# What Wireshark may print, as for tests/gui/gui_smoke.sh: informational log
# messages and the interface list's "nl80211 not found."; any other line (a
# warning, a rule that does not compile, a Qt or Lua message) fails.
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib",
                       "wireshark-stderr-allowed.ere")) as _f:
    HARMLESS_STDERR = [re.compile(l.rstrip("\n")) for l in _f if l.strip()]

failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL: " + msg, flush=True)


def matches(rows, pattern):
    """True if rows (dir, label, client, server, len) follow pattern."""
    i = 0
    for want in pattern:
        d, label, cs, ss, ln, optional = want
        got = rows[i] if i < len(rows) else None
        ok = got is not None and got[:4] == (d, label, cs, ss) and (ln is None or got[4] == ln)
        if ok:
            i += 1
        elif not optional:
            return False
    return i == len(rows)


def check_story(name, rows):
    if not (matches(rows, EXPECTED_HEAD + TAIL_MERGED + TAIL_END) or
            matches(rows, EXPECTED_HEAD + TAIL_SPLIT + TAIL_END)):
        fail("%s is not the hand-derived exchange:\n    %s" % (name, "\n    ".join(map(str, rows))))
    else:
        print("ok: %s: %d segments as derived by hand" % (name, len(rows)))


def host_rules():
    out = subprocess.run(["nft", "list", "ruleset"], capture_output=True, text=True).stdout
    for tool in ("iptables-save", "ip6tables-save"):
        r = subprocess.run([tool], capture_output=True, text=True)
        out += "\n".join(l for l in r.stdout.splitlines() if not l.startswith("#"))
    return re.sub(r"\[\d+:\d+\]", "", out)


def leftovers(home):
    """Everything of the demo still around after it exited."""
    left = []
    ns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    left += ["namespace " + n for n in NAMESPACES if re.search(r"^%s\b" % n, ns, re.M)]
    if home and os.path.exists(home):
        left.append("HOME " + home)
    me = os.getpid()
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == me:
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        try:
            with open("/proc/%s/environ" % pid, "rb") as f:
                environ = f.read().split(b"\0")
        except OSError:
            environ = []
        if (home and (home in cmd or ("HOME=" + home).encode() in environ)) or \
                "synfin-demo" in cmd or ("synfin-echo-server" in cmd and "--count 1" in cmd):
            left.append("process %s: %s" % (pid, cmd.strip()))
    return left


def start_xvfb():
    """Xvfb on a free display (above the ones tests/gui uses); (process, ":N")."""
    for n in range(190, 230):
        if os.path.exists("/tmp/.X%d-lock" % n) or os.path.exists("/tmp/.X11-unix/X%d" % n):
            continue
        x = subprocess.Popen(["Xvfb", ":%d" % n, "-screen", "0", "1280x800x24", "-nolisten", "tcp",
                              "-noreset"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if subprocess.run(["xdotool", "getdisplaygeometry"], env=dict(os.environ, DISPLAY=":%d" % n),
                              capture_output=True).returncode == 0:
                return x, ":%d" % n
            if x.poll() is not None:
                break
            time.sleep(0.05)
        x.kill()
        x.wait()
    raise SystemExit("FAIL: no Xvfb display could be started")


def injected_pixels(display):
    env = dict(os.environ, DISPLAY=display)
    shot = subprocess.run(["import", "-window", "root", "png:-"], env=env, capture_output=True).stdout
    r = subprocess.run(["convert", "png:-", "-fill", "black", "+opaque", INJECTED_RGB, "-fill", "white",
                        "-opaque", INJECTED_RGB, "-format", "%[fx:round(mean*w*h)]", "info:"],
                       input=shot, capture_output=True)
    try:
        return int(r.stdout.decode().strip() or "0")
    except ValueError:
        return 0


def check_window(display, home):
    """The demo's Wireshark window, while the demo waits for it to be closed.
    Returns the capture file Wireshark's dumpcap writes (to check its removal)."""
    env = dict(os.environ, DISPLAY=display)
    r = subprocess.run(["timeout", "30", "xdotool", "search", "--sync", "--onlyvisible", "--name",
                        "^Capturing from sfdemo-c"], env=env, capture_output=True, text=True)
    if not r.stdout.strip():
        fail("no Wireshark window 'Capturing from sfdemo-c' within 30 s")
    else:
        subprocess.run(["xdotool", "mousemove", "1279", "799"], env=env)
        n = 0
        for _ in range(60):
            n = injected_pixels(display)
            if n >= 3 * ROW_PX:
                break
            time.sleep(0.3)
        if n < 3 * ROW_PX:
            fail("the injected highlight %s shows on %d pixels, want the rows of the injector's "
                 "segments (at least %d)" % (INJECTED_RGB, n, 3 * ROW_PX))
        else:
            print("ok: Wireshark window shows the injected highlight (%d pixels)" % n)
    log = os.path.join(home or "/nonexistent", "tmp", "wireshark.log")
    text = open(log, errors="replace").read() if os.path.exists(log) else ""
    bad = [l for l in text.splitlines() if not any(p.search(l) for p in HARMLESS_STDERR)]
    if bad:
        fail("Wireshark printed warnings:\n    " + "\n    ".join(bad))
    m = re.search(r'Capture MESSAGE.*File: "(/tmp/wireshark_[^"]*)"', text)
    return m.group(1) if m else None


FILE_CAPTURE = "open-close-4seg"


def check_file_mode(repo, lines):
    """The file mode's table against the capture's hand-written annotations."""
    exp = os.path.join(repo, "captures", FILE_CAPTURE + ".expected.tsv")
    want = [(d["frame.number"], "C>S" if d["synfin.role"] == "1" else "S>C", d["synfin.label"],
             state_name(d, "synfin.state.client"), state_name(d, "synfin.state.server"),
             d["synfin.seq.rel"], d["synfin.ack.rel"]) for d in read_expected(exp)]
    row_re = re.compile(r"^(\d+)\s+\d+\.\d+ (C>S|S>C)\s+\S+\s+\d+\s+(.+?)\s{2,}(\S+)\s+(\S+)\s+(\d+)"
                        r"(?:\s+(\d+))?")
    got = []
    for line in lines:
        m = row_re.match(line)
        if m:
            got.append(tuple(m.group(i) or "" for i in range(1, 8)))
    if got != want:
        fail("file mode rows differ from %s:\n  got  %s\n  want %s" % (exp, got, want))
    else:
        print("ok: file mode: %d frames as in %s" % (len(got), os.path.basename(exp)))


def run_demo(repo, build, mode, display=None):
    args = [os.path.join(repo, "tools", "demo.sh"), "--build-dir", build]
    args.append("--gui" if mode == "gui" else "--no-gui")
    if mode == "loopback":
        args.append("--loopback")
    if mode == "file":
        args.append(os.path.join(repo, "captures", FILE_CAPTURE + ".pcap"))
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    if display:
        env["DISPLAY"] = display
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         env=env, start_new_session=True)
    lines, home, interrupted, capfile = [], None, False, None
    deadline = time.time() + 150
    for line in p.stdout:
        lines.append(line.rstrip("\n"))
        m = re.search(r"throw-away HOME for uid 65534: (\S+)", line)
        if m:
            home = m.group(1)
        if mode == "sigint" and not interrupted and line.startswith("demo: live capture:"):
            os.killpg(p.pid, signal.SIGINT)
            interrupted = True
        if mode == "gui" and not interrupted and line.startswith("demo: Wireshark is still open"):
            capfile = check_window(display, home)
            os.killpg(p.pid, signal.SIGINT)
            interrupted = True
        if time.time() > deadline:
            os.killpg(p.pid, signal.SIGKILL)
            fail("the demo did not end within 150 s")
            break
    rc = p.wait()
    return rc, lines, home, interrupted, capfile


def parse(lines):
    """The three printouts of the demo, as (dir, label, client, server, len) rows."""
    inj, live, ladder, ladder_head = [], [], [], None
    marks_ok = True
    inj_re = re.compile(r"^\s+\d+\.\d+ (-->|<--) (\S+)\s+\d+\s+(?:\d+|-)\s+(\d+)\s+\d+\s+"
                        r"(.+?)\s{2,}(\S+)\s+(\S+)$")
    live_re = re.compile(r"^(\d+)\s+\d+\.\d+ (C>S|S>C)\s+\S+\s+(\d+)\s+(.+?)\s{2,}(\S+)\s+(\S+)\s")
    lad_re = re.compile(r"^\s+(\d+)(\*| )\s+\d+\.\d+\s+(\S+)\s+\|(<?)-+ (.+?) \[\w*\] .*len=(\d+) -+(>?)\|\s+(\S+)$")
    for line in lines:
        m = inj_re.match(line)
        if m:
            d = C if m.group(1) == "-->" else "S>C"
            inj.append((d, m.group(4), m.group(5), m.group(6), int(m.group(3))))
            continue
        m = live_re.match(line)
        if m:
            d = m.group(2)
            live.append((d, m.group(4), m.group(5), m.group(6), int(m.group(3))))
            starred = line.rstrip().endswith("*")
            if starred != (d == C):
                marks_ok = False
                print("  live row with a wrong injected mark: " + line)
            continue
        if line.startswith("synfin ladder: stream"):
            ladder_head = line
        m = lad_re.match(line)
        if m:
            d = "S>C" if m.group(4) == "<" else C
            ladder.append((d, m.group(5), m.group(3), m.group(8), int(m.group(6))))
            if (m.group(2) == "*") != (d == C):
                marks_ok = False
                print("  ladder row with a wrong injected mark: " + line)
    return inj, live, ladder, ladder_head, marks_ok


def main():
    if len(sys.argv) != 4 or sys.argv[3] not in ("netns", "loopback", "sigint", "gui", "file"):
        print(__doc__)
        return 2
    if os.geteuid() != 0:
        print("SKIP: the demo needs root")
        return SKIP
    repo, build, mode = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3]
    before = host_rules()
    xvfb = display = None
    if mode == "gui":
        xvfb, display = start_xvfb()
    try:
        rc, lines, home, interrupted, capfile = run_demo(repo, build, mode, display)
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait()
    print("\n".join("  | " + l for l in lines))
    if home is None:
        fail("the demo did not say where its HOME is")

    if mode in ("sigint", "gui"):
        if not interrupted:
            fail("the demo never reached the step to interrupt")
        if rc != 130:
            fail("exit status %d after Ctrl-C, want 130" % rc)
        if not any("cleaned up after exit status 130" in l for l in lines):
            fail("the demo did not say that it cleaned up")
    if mode == "gui":
        if capfile is None:
            fail("Wireshark's log names no capture file")
        elif os.path.exists(capfile):
            fail("Wireshark's capture file is left: " + capfile)
            os.unlink(capfile)
    elif rc != 0 and mode != "sigint":
        fail("demo exit status %d" % rc)
    if mode == "file":
        check_file_mode(repo, lines)
    if mode in ("netns", "loopback", "gui"):
        inj, live, ladder, head, marks_ok = parse(lines)
        check_story("synfin-inject's printout", inj)
        check_story("the live tshark table", live)
        check_story("the Lua ladder", ladder)
        if inj != live or live != ladder:
            fail("the three printouts differ")
        want_head = "synfin ladder: stream 0, %d segments" % len(inj)
        if head is None or not head.startswith(want_head):
            fail("ladder header %r, want it to start with %r" % (head, want_head))
        if not marks_ok:
            fail("the injected mark is not on exactly the client's segments")

    # The processes get a moment to be reaped after the demo's exit.
    for _ in range(20):
        left = leftovers(home)
        if not left:
            break
        time.sleep(0.1)
    for item in left:
        fail("left behind: " + item)
    after = host_rules()
    if after != before:
        fail("the host's firewall rules changed:\n--- before\n%s\n--- after\n%s" % (before, after))
    if failures:
        print("%d failure(s)" % failures)
        return 1
    print("ok: demo %s" % mode)
    return 0


if __name__ == "__main__":
    sys.exit(main())
