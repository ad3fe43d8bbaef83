#!/usr/bin/env python3
"""lua_scripts.py - lua/synfin_ladder.lua and lua/synfin_report.lua in real
tshark with the freshly built plugin (run through tests/lib/with-ws.sh, which
runs tshark as uid 65534 in a throw-away HOME).

usage: lua_scripts.py MODE REPO_DIR [ARGS...]
  expected  REPO            the ladders of open-close-4seg (stream 0) and refused
                            against tests/lua/*.ladder.txt (derived by hand from
                            the captures' expected.tsv and raw packet lists)
  select    REPO            several captures: stream N shows exactly N's frames, with
                            the plugin's labels, states and directions; "all" and no
                            argument show every stream in order
  args      REPO            bad arguments, a missing stream, no plugin: one line on
                            stderr, nothing on stdout, exit status 2 (1: no such stream)
  autoload  REPO            both scripts in the personal Lua plugin folder (and in a
                            global one via WIRESHARK_PLUGIN_DIR): plain runs unchanged,
                            -X of the same script prints exactly once
  injected  REPO            "*" exactly on the frames injected-marker.expected.tsv marks
  section8  REPO            a generated capture with spec section 8 shapes: the report's
                            vantage, a/b split, half-close and time-in-state columns, the
                            ladder's new labels and the stats tree, all worked out by hand
  install   REPO BUILD DIR  cmake --install BUILD with DESTDIR: both scripts land in
                            DIR (SYNFIN_LUA_INSTALL_DIR), a folder Wireshark scans
Exit status 77 = skipped.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from expected import STATES, read_expected  # noqa: E402
from wsenv import ws_checked  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
WS_RUN = os.path.join(HERE, "..", "lib", "ws-run")
failures = 0

FRAME_LINE = re.compile(r"^ *(\d+)([ *]) +(\d+\.\d{6})  (\S+) +\|(.*)\|  (\S+)$")


def fail(msg):
    global failures
    failures += 1
    print("FAIL: " + msg)


def env_with(env_extra):
    env = dict(os.environ)
    if env_extra:
        env.update(env_extra)
    return env


def run(args, env_extra=None):
    return subprocess.run([WS_RUN] + args, capture_output=True, text=True, env=env_with(env_extra))


def ok_run(args, env_extra=None):
    """run, failing on a non-zero status or on trouble on stderr (wsenv.ws_checked)."""
    return ws_checked(args, env=env_with(env_extra)).stdout


def stage(repo, name):
    """Copy a repository file where uid 65534 can read it."""
    dst = os.path.join(os.environ["WS_TMP"], os.path.basename(name))
    shutil.copy(os.path.join(repo, name), dst)
    os.chmod(dst, 0o644)
    return dst


def ladder(script, cap, *args, env_extra=None):
    cmd = ["tshark", "-q", "-n", "-r", cap, "-X", "lua_script:" + script]
    for a in args:
        cmd += ["-X", "lua_script1:" + a]
    return run(cmd, env_extra=env_extra)


def parse_ladders(text):
    """{stream: [(frame, injected, client_state, arrow, server_state), ...]} in output order."""
    out, order, cur = {}, [], None
    for line in text.splitlines():
        m = re.match(r"^synfin ladder: stream (\d+), (\d+) segments?, ", line)
        if m:
            cur = int(m.group(1))
            if cur in out:
                fail(f"stream {cur} drawn twice")
            out[cur] = []
            order.append((cur, int(m.group(2))))
            continue
        m = FRAME_LINE.match(line)
        if m and cur is not None:
            out[cur].append((int(m.group(1)), m.group(2) == "*", m.group(4), m.group(5), m.group(6)))
    return out, order


def plugin_view(cap):
    """Per (frame, stream): role, label, client/server state, from the plugin's fields."""
    r = ok_run(["tshark", "-n", "-r", cap, "-Y", "synfin", "-T", "fields", "-E", "separator=\t",
                "-e", "frame.number", "-e", "synfin.stream", "-e", "synfin.role", "-e", "synfin.label",
                "-e", "synfin.state.client", "-e", "synfin.state.server"])
    view = {}
    for line in r.splitlines():
        c = line.split("\t")
        cols = [x.split(",") for x in c[1:]]
        # Labels contain no commas; several TCP layers give several values.
        for k in range(len(cols[0])):
            sid = int(cols[0][k])
            view.setdefault(sid, []).append((int(c[0]), int(cols[1][k]), cols[2][k],
                                             STATES[int(cols[3][k])], STATES[int(cols[4][k])]))
    return view


# ---------------------------------------------------------------------------

def mode_expected(repo):
    script = stage(repo, "lua/synfin_ladder.lua")
    for name, stream in (("open-close-4seg", "0"), ("refused", "0"), ("refused", "all")):
        cap = stage(repo, f"captures/{name}.pcap")
        want = open(os.path.join(HERE, f"{name}.ladder.txt")).read()
        r = ladder(script, cap, stream)
        if r.returncode != 0 or r.stderr.strip():
            fail(f"{name} {stream}: exit {r.returncode}, stderr {r.stderr.strip()!r}")
        if r.stdout != want:
            fail(f"{name} stream {stream}: ladder differs from tests/lua/{name}.ladder.txt")
            import difflib
            sys.stdout.writelines(difflib.unified_diff(want.splitlines(True), r.stdout.splitlines(True),
                                                       "expected", "got"))


def mode_select(repo):
    script = stage(repo, "lua/synfin_ladder.lua")
    for name in ("port-reuse", "bad-flags", "abort-linger0", "injected-marker", "tunnel-gtp",
                 "icmp-unreachable", "mid-stream"):
        cap = stage(repo, f"captures/{name}.pcap")
        view = plugin_view(cap)
        streams = sorted(view)
        singles = {}
        for sid in streams + [None]:
            args = [] if sid is None else [str(sid)]
            r = ladder(script, cap, *args)
            if r.returncode != 0 or r.stderr.strip():
                fail(f"{name} {args}: exit {r.returncode}, stderr {r.stderr.strip()!r}")
                continue
            got, order = parse_ladders(r.stdout)
            want_ids = streams if sid is None else [sid]
            if [o[0] for o in order] != want_ids:
                fail(f"{name} {args}: ladders for streams {[o[0] for o in order]}, want {want_ids}")
                continue
            if sid is not None:
                singles[sid] = r.stdout
            for s, count in order:
                frames = [g[0] for g in got[s]]
                want_frames = [v[0] for v in view[s]]
                if frames != want_frames or count != len(want_frames):
                    fail(f"{name} {args} stream {s}: frames {frames} (header {count}), want {want_frames}")
                    continue
                for g, v in zip(got[s], view[s]):
                    frame, _, cst, arrow, sst = g
                    _, role, label, want_c, want_s = v
                    if (cst, sst) != (want_c, want_s):
                        fail(f"{name} stream {s} frame {frame}: states {cst}/{sst}, want {want_c}/{want_s}")
                    if f" {label} [" not in arrow:
                        fail(f"{name} stream {s} frame {frame}: arrow {arrow!r} lacks label {label!r}")
                    good = arrow.endswith(">") and arrow[0] == "-" if role == 1 else \
                        arrow.startswith("<") and arrow[-1] == "-"
                    if not good:
                        fail(f"{name} stream {s} frame {frame}: arrow {arrow!r} points the wrong way for role {role}")
        # "all" is every single ladder, in stream order, one legend at the end.
        r_all = ladder(script, cap, "all")
        legend = None
        parts = []
        for sid in streams:
            text = singles.get(sid, "")
            body, sep, leg = text.partition("\nlegend: ")
            parts.append(body)
            legend = sep + leg
        if r_all.stdout != "\n".join(parts) + (legend or ""):
            fail(f"{name} all: not the single-stream ladders one after another")


def one_error_line(what, r, status):
    lines = r.stderr.strip().splitlines()
    if r.returncode != status:
        fail(f"{what}: exit {r.returncode}, want {status}")
    if r.stdout != "":
        fail(f"{what}: stdout not empty: {r.stdout[:200]!r}")
    if len(lines) != 1 or not re.match(r"^synfin_(ladder|report)\.lua: \S", lines[0]):
        fail(f"{what}: want one error line on stderr, got {r.stderr!r}")
    if "traceback" in r.stderr or "Lua: Error" in r.stderr:
        fail(f"{what}: a Lua traceback on stderr")


def mode_args(repo):
    script = stage(repo, "lua/synfin_ladder.lua")
    report = stage(repo, "lua/synfin_report.lua")
    cap = stage(repo, "captures/open-close-4seg.pcap")
    for bad in ("x", "-1", "1.5", "0x1", "4294967296", "0,1", "stream 0"):
        one_error_line(f"ladder {bad!r}", ladder(script, cap, bad), 2)
    one_error_line("ladder with two arguments", ladder(script, cap, "0", "1"), 2)
    r = ladder(script, cap, "5")
    one_error_line("ladder of a stream the capture lacks", r, 1)
    if "stream 5" not in r.stderr:
        fail(f"missing stream: the error does not name the stream: {r.stderr!r}")
    one_error_line("report 'xml'", run(["tshark", "-q", "-r", cap, "-X", "lua_script:" + report,
                                         "-X", "lua_script1:xml"]), 2)
    # No plugin: a HOME without synfin.so.
    bare = os.path.join(os.environ["WS_TMP"], "bare-home")
    os.makedirs(os.path.join(bare, ".config", "wireshark"), exist_ok=True)
    for d, _, _ in os.walk(bare):
        os.chmod(d, 0o777)
    for what, s in (("ladder", script), ("report", report)):
        r = run(["tshark", "-q", "-r", cap, "-X", "lua_script:" + s], env_extra={"WS_HOME": bare})
        one_error_line(f"{what} without the plugin", r, 2)
        if "not loaded" not in r.stderr:
            fail(f"{what} without the plugin: {r.stderr!r}")


def mode_autoload(repo):
    cap = stage(repo, "captures/open-close-4seg.pcap")
    ladder_x = stage(repo, "lua/synfin_ladder.lua")
    report_x = stage(repo, "lua/synfin_report.lua")
    plain_runs = [["tshark", "-n", "-r", cap], ["tshark", "-n", "-r", cap, "-V"],
                  ["tshark", "-n", "-r", cap, "-T", "fields", "-e", "synfin.label"],
                  ["tshark", "-q", "-n", "-r", cap, "-z", "synfin,tree"]]
    base = [ok_run(a) for a in plain_runs]
    base_ladder = ok_run(["tshark", "-q", "-n", "-r", cap, "-X", "lua_script:" + ladder_x, "-X", "lua_script1:0"])
    base_report = ok_run(["tshark", "-q", "-n", "-r", cap, "-X", "lua_script:" + report_x])
    if base_ladder.count("synfin ladder: stream 0") != 1 or base_report.count("\n") != 2:
        fail("the scripts do not work without an installed copy")

    personal = os.path.join(os.environ["WS_HOME"], ".local", "lib", "wireshark", "plugins", "synfin")
    glob = os.path.join(os.environ["WS_TMP"], "global-plugins")
    for where, env in (("personal", None), ("global", {"WS_EXTRA_ENV": "WIRESHARK_PLUGIN_DIR=" + glob})):
        folder = personal if where == "personal" else glob
        os.makedirs(folder, exist_ok=True)
        for f in ("synfin_ladder.lua", "synfin_report.lua"):
            shutil.copy(os.path.join(repo, "lua", f), os.path.join(folder, f))
            os.chmod(os.path.join(folder, f), 0o644)
        for d in (os.path.dirname(folder), folder):
            os.chmod(d, 0o755)
        plugins = ok_run(["tshark", "-G", "plugins"], env_extra=env)
        for f in ("synfin_ladder.lua", "synfin_report.lua"):
            if os.path.join(folder, f) not in plugins:
                fail(f"{where}: {f} is not loaded automatically (tshark -G plugins)")
        for args, want in zip(plain_runs, base):
            r = run(args, env_extra=env)
            if r.returncode != 0 or r.stdout != want or r.stderr.strip():
                fail(f"{where}: `{' '.join(args[:1] + args[3:])}` changed by the installed scripts "
                     f"(exit {r.returncode}, stderr {r.stderr.strip()[:200]!r})")
        installed_ladder = os.path.join(folder, "synfin_ladder.lua")
        installed_report = os.path.join(folder, "synfin_report.lua")
        for what, args, want in (
                ("ladder -X (other copy)", ["-X", "lua_script:" + ladder_x, "-X", "lua_script1:0"], base_ladder),
                ("ladder -X (installed file)", ["-X", "lua_script:" + installed_ladder, "-X", "lua_script1:0"], base_ladder),
                ("report -X (other copy)", ["-X", "lua_script:" + report_x], base_report),
                ("report -X (installed file)", ["-X", "lua_script:" + installed_report], base_report)):
            r = run(["tshark", "-q", "-n", "-r", cap] + args, env_extra=env)
            if r.returncode != 0 or r.stdout != want or r.stderr.strip():
                fail(f"{where}: {what}: exit {r.returncode}, {r.stdout.count('synfin ladder:')} ladders, "
                     f"stdout {len(r.stdout)} bytes (want {len(want)}), stderr {r.stderr.strip()[:300]!r}")
        # Both scripts named at once: each prints once, the second takes lua_script2.
        r = run(["tshark", "-q", "-n", "-r", cap, "-X", "lua_script:" + report_x,
                 "-X", "lua_script:" + ladder_x, "-X", "lua_script2:0"], env_extra=env)
        # (tshark draws the taps in the reverse order of their registration)
        if r.returncode != 0 or r.stdout not in (base_report + base_ladder, base_ladder + base_report):
            fail(f"{where}: report and ladder together: exit {r.returncode}, stderr {r.stderr.strip()[:300]!r}")
        if where == "personal":
            shutil.rmtree(folder)


def mode_injected(repo):
    fields = ok_run(["tshark", "-G", "fields"])
    if not re.search(r"^F\t[^\t]*\tsynfin\.injected\t", fields, re.M):
        print("SKIP: the plugin has no synfin.injected field")
        return 77
    expected = os.path.join(repo, "captures", "injected-marker.expected.tsv")
    if not os.path.exists(expected):
        print("SKIP: no captures/injected-marker.expected.tsv")
        return 77
    rows = read_expected(expected)
    want = sorted({int(r["frame.number"]) for r in rows if r.get("synfin.injected") == "1"})
    if not want:
        fail("injected-marker.expected.tsv marks no frame")
    script = stage(repo, "lua/synfin_ladder.lua")
    cap = stage(repo, "captures/injected-marker.pcap")
    r = ladder(script, cap, "all")
    got, _ = parse_ladders(r.stdout)
    marked = sorted(g[0] for segs in got.values() for g in segs if g[1])
    if r.returncode != 0 or marked != want:
        fail(f"injected-marker: '*' on frames {marked}, want {want} (exit {r.returncode})")
    return 0


def mode_install(repo, build, lua_dir):
    dest = tempfile.mkdtemp(prefix="synfin-lua-install.")
    try:
        env = dict(os.environ, DESTDIR=dest)
        r = subprocess.run(["cmake", "--install", build], capture_output=True, text=True, env=env)
        if r.returncode != 0:
            fail(f"cmake --install: exit {r.returncode}: {r.stderr.strip()[:500]}")
            return
        for f in ("synfin_ladder.lua", "synfin_report.lua"):
            path = dest + os.path.join(lua_dir, f)
            if not os.path.isfile(path):
                fail(f"{f} not installed into {lua_dir} (DESTDIR {dest})")
                continue
            if open(path, "rb").read() != open(os.path.join(repo, "lua", f), "rb").read():
                fail(f"installed {f} differs from lua/{f}")
            if os.stat(path).st_mode & 0o777 != 0o644:
                fail(f"installed {f}: mode {oct(os.stat(path).st_mode & 0o777)}, want 0644")
        # The folder must be one Wireshark loads Lua plugins from (or below it).
        folders = subprocess.run(["tshark", "-G", "folders"], capture_output=True, text=True).stdout
        roots = [l.split("\t")[-1].strip() for l in folders.splitlines()
                 if l.startswith(("Global Lua Plugins:", "Personal Lua Plugins:"))]
        personal_default = os.path.join(os.path.expanduser("~"), ".local/lib/wireshark/plugins")
        if not any(lua_dir == r or lua_dir.startswith(r.rstrip("/") + "/") for r in roots + [personal_default]):
            fail(f"{lua_dir} is not inside a Lua plugin folder ({roots})")
    finally:
        shutil.rmtree(dest, ignore_errors=True)


# ---------------------------------------------------------------------------
# Spec section 8 in the report, the ladder and the stats tree.

def section8_capture(path):
    """Two connections (times in seconds from 0; raw ISNs client 1000, server 5000):
    stream 0  192.0.2.1:40100 -> 192.0.2.2:80
      0.000000 SYN | 0.010000 SYN-ACK | 0.010500 ACK 3/3   a = 10 ms, b = 0.5 ms: 4b <= a,
      near the client | 0.020000 5 bytes | 0.020100 server ACK (window 64240, no scaling)
      | 0.030000 client RST seq 1106 = RCV.NXT 1006 + 100 < 1006 + 64240: in window, not
      exact, both stay ESTABLISHED | 0.030050 the server's challenge ACK | 1.000000 client
      FIN 1/4 (server CLOSE_WAIT) | 1.000100 server ACK 2/4 (client FIN_WAIT_2); no more:
      left open.
    stream 1  192.0.2.1:40101 -> 192.0.2.2:80
      2.000000 SYN | 2.000100 SYN-ACK | 2.010100 ACK 3/3   a = 0.1 ms, b = 10 ms: 4a <= b,
      near the server | 2.100000 client FIN 1/4 | 2.100100 ACK 2/4 | 2.600000 server FIN
      3/4: halfclose 0.5 s | 2.600100 ACK 4/4: teardown.time 0.5001 s; client TIME_WAIT.
    The capture ends at 2.600100."""
    import struct as st
    eth = bytes.fromhex("020000000001020000000002" "0800")
    C, S = bytes((192, 0, 2, 1)), bytes((192, 0, 2, 2))
    FIN, SYN, RST, PSH, ACK = 1, 2, 4, 8, 16
    base = 1_700_000_000_000_000
    recs = []

    def seg(t, from_client, cport, flags, seq, ack, payload=b""):
        src, dst = (C, S) if from_client else (S, C)
        sp, dp = (cport, 80) if from_client else (80, cport)
        tcp = st.pack("!HHIIBBHHH", sp, dp, seq, ack, 5 << 4, flags, 64240, 0, 0)
        ip = st.pack("!BBHHHBBH4s4s", 0x45, 0, 40 + len(payload), 1, 0x4000, 64, 6, 0, src, dst)
        s_ = sum(st.unpack("!10H", ip))
        s_ = (s_ & 0xFFFF) + (s_ >> 16)
        ip = ip[:10] + st.pack("!H", ~((s_ & 0xFFFF) + (s_ >> 16)) & 0xFFFF) + ip[12:]
        fr = eth + ip + tcp + payload
        us = base + round(t * 1e6)
        recs.append(st.pack("<IIII", us // 1_000_000, us % 1_000_000, len(fr), len(fr)) + fr)

    seg(0.0, True, 40100, SYN, 1000, 0)
    seg(0.010, False, 40100, SYN | ACK, 5000, 1001)
    seg(0.0105, True, 40100, ACK, 1001, 5001)
    seg(0.020, True, 40100, PSH | ACK, 1001, 5001, b"hello")
    seg(0.0201, False, 40100, ACK, 5001, 1006)
    seg(0.030, True, 40100, RST, 1106, 0)
    seg(0.03005, False, 40100, ACK, 5001, 1006)
    seg(1.0, True, 40100, FIN | ACK, 1006, 5001)
    seg(1.0001, False, 40100, ACK, 5001, 1007)
    seg(2.0, True, 40101, SYN, 1000, 0)
    seg(2.0001, False, 40101, SYN | ACK, 5000, 1001)
    seg(2.0101, True, 40101, ACK, 1001, 5001)
    seg(2.1, True, 40101, FIN | ACK, 1001, 5001)
    seg(2.1001, False, 40101, ACK, 5001, 1002)
    seg(2.6, False, 40101, FIN | ACK, 5001, 1002)
    seg(2.6001, True, 40101, ACK, 1002, 5002)
    with open(path, "wb") as f:
        f.write(st.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1) + b"".join(recs))
    os.chmod(path, 0o644)


def mode_section8(repo):
    cap = os.path.join(os.environ["WS_TMP"], "section8.pcap")
    section8_capture(cap)
    # The report (hand-derived from the capture's docstring).
    script = stage(repo, "lua/synfin_report.lua")
    out = ok_run(["tshark", "-q", "-n", "-r", cap, "-X", "lua_script:" + script]).splitlines()
    head = out[0].split("\t")
    rows = {int(r["stream"]): r for r in (dict(zip(head, l.split("\t"))) for l in out[1:])}
    want = {
        0: {"vantage": "near the client", "hs_a_server_side": "0.010000", "hs_b_client_side": "0.000500",
            "halfclose": "-", "client_state": "FIN_WAIT_2", "server_state": "CLOSE_WAIT",
            "client_state_for": "1.600000", "server_state_for": "1.600100"},
        1: {"vantage": "near the server", "hs_a_server_side": "0.000100", "hs_b_client_side": "0.010000",
            "halfclose": "0.500000", "client_state": "TIME_WAIT", "server_state": "CLOSED",
            "client_state_for": "-", "server_state_for": "-"},
    }
    for sid, cols in want.items():
        for k, v in cols.items():
            got = rows.get(sid, {}).get(k)
            if got != v:
                fail(f"section8 report stream {sid} {k}: {got!r}, want {v!r}")
    jsn = ok_run(["tshark", "-q", "-n", "-r", cap, "-X", "lua_script:" + script,
                  "-X", "lua_script1:json"]).splitlines()
    import json
    j0 = json.loads(jsn[0])
    if j0.get("server_state_for") != 1.6001 or j0.get("vantage") != "near the client" or \
            j0.get("halfclose", 0) is not None:
        fail(f"section8 report JSON stream 0: {j0}")
    # The ladder: the RST's label and both ends still ESTABLISHED after it.
    lscript = stage(repo, "lua/synfin_ladder.lua")
    r = ladder(lscript, cap, "0")
    lad, _ = parse_ladders(r.stdout)
    rst = [x for x in lad.get(0, []) if x[0] == 6]
    if not rst or "RST (in window, not exact) [R] seq=106 len=0" not in rst[0][3] \
            or rst[0][2] != "ESTABLISHED" or rst[0][4] != "ESTABLISHED" or not rst[0][3].endswith(">"):
        fail(f"section8 ladder frame 6: {rst}")
    # The stats tree.
    tree = ok_run(["tshark", "-q", "-n", "-r", cap, "-z", "synfin,tree"])
    counts, sec, sub = {}, None, None
    for line in tree.splitlines():
        parts = re.split(r"\s{2,}", line.strip())
        if len(parts) < 2 or not parts[1].isdigit():
            continue
        depth = len(line) - len(line.lstrip(" "))
        if depth == 0:
            sec = parts[0]
        elif depth == 1:
            sub = parts[0]
            counts[(sec, sub)] = int(parts[1])
        else:
            counts[(sec, sub, parts[0])] = (int(parts[1]), parts[2] if len(parts) > 2 else None)
    want_tree = {
        ("RSTs by acceptability (spec 8.3)", "in window"): 1,
        ("Capture point (spec 8.5)", "near the client"): 1,
        ("Capture point (spec 8.5)", "near the server"): 1,
        ("Left open at the end (spec 8.4)", "client FIN_WAIT_2"): 1,
        ("Left open at the end (spec 8.4)", "server CLOSE_WAIT"): 1,
        ("Left open at the end (spec 8.4)", "client ESTABLISHED"): 0,
    }
    for k, v in want_tree.items():
        if counts.get(k) != v:
            fail(f"section8 stats {k}: {counts.get(k)}, want {v}")
    # longest: 2.6001 - 1.0001 = 1.6 s (client), 2.6001 - 1.0 = 1.6001 s (server): 1600 ms
    for end in ("client FIN_WAIT_2", "server CLOSE_WAIT"):
        got = counts.get(("Left open at the end (spec 8.4)", end, "longest in this state (ms)"))
        if not got or got[0] != 1600:
            fail(f"section8 stats longest {end}: {got}, want 1600")
    # a and b averages (us): near the client a = 10000, near the server b = 10000
    a = counts.get(("Capture point (spec 8.5)", "near the client", "a: SYN->SYN-ACK, server side (us)"))
    b = counts.get(("Capture point (spec 8.5)", "near the server", "b: SYN-ACK->ACK, client side (us)"))
    if not a or a != (1, "10000.00") or not b or b != (1, "10000.00"):
        fail(f"section8 stats split: near the client a {a}, near the server b {b}")


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    mode, repo = sys.argv[1], sys.argv[2]
    status = {"expected": mode_expected, "select": mode_select, "args": mode_args,
              "autoload": mode_autoload, "injected": mode_injected,
              "section8": mode_section8}.get(mode)
    if mode == "install":
        rc = mode_install(repo, sys.argv[3], sys.argv[4])
    elif status is None:
        print(f"unknown mode {mode}")
        return 2
    else:
        rc = status(repo)
    if rc == 77:
        return 77
    if failures:
        print(f"{failures} failure(s)")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
