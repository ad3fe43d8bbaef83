#!/usr/bin/python3
"""profile_check.py - the synfin profile, installed globally, in tshark.

1. Installs the profile with the build tree's install script
   (plugin/profile/cmake_install.cmake, i.e. what `cmake --install` does)
   under DESTDIR, and builds a Wireshark data folder from it: the system's
   /usr/share/wireshark entries plus profiles/synfin from the install.
   WIRESHARK_DATA_DIR points tshark (uid 65534, throw-away HOME, the built
   plugin) at it, so `tshark -C synfin` finds synfin as a *global* profile
   and copies it into the user's configuration, as it would from
   /usr/share/wireshark/profiles, without touching the system.
2. Every capture in captures/ with --color: tshark prints no warning (a rule
   that does not compile, an unknown preference, a column naming a missing
   field) and every frame gets the rule its hand-written annotations
   (captures/NAME.expected.tsv) call for, first match wins:
     injected (synfin.injected 1)       -> "synfin injected (synfin-inject marker)"
     RST (in window, not exact) / RST (out of window) (spec 8.3: rst.check 2 or 3)
                                        -> "synfin reset not accepted (in window or out of window)"
     phase 4                            -> "synfin reset"
     a retransmitted step ("... (retransmission)"), an old-connection ACK
     ("ACK (old connection)", spec 8.1; also the warning synfin.reuse_time_wait with
     synfin.reuse.isn_higher 0: tw-old-ack frame 12), and the two anomalies
     listed in ANOMALIES below          -> "synfin anomaly"
     phase 1 / phase 3 with step != 0   -> "synfin handshake step" / "synfin teardown step"
     anything else                      -> not a synfin rule (a stock rule)
3. The columns: tshark -C synfin prints the label and both state names.

usage: profile_check.py PLUGIN_SO PROFILE_INSTALL_SCRIPT PROFILE_INSTALL_DIR REPO
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from expected import read_expected, ws_release  # noqa: E402
import wsenv  # noqa: E402

RULE = {"injected": "synfin injected (synfin-inject marker)", "reset": "synfin reset",
        "not_accepted": "synfin reset not accepted (in window or out of window)",
        "anomaly": "synfin anomaly", "handshake": "synfin handshake step",
        "teardown": "synfin teardown step"}
# Anomalies that the label does not show (captures/README.md, derivations):
ANOMALIES = {("mid-stream", 1): "handshake not captured (synfin.midstream)",
             ("bad-flags", 1): "SYN+FIN (synfin.bad_flags)"}
failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL: " + msg, flush=True)


def main():
    so, script, install_dir, repo = sys.argv[1:5]
    work = tempfile.mkdtemp(prefix="synfin-profile.")
    try:
        return run(so, script, install_dir, repo, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(so, script, install_dir, repo, work):
    os.chmod(work, 0o755)
    dest = os.path.join(work, "inst")
    r = subprocess.run(["cmake", "-P", script], env=dict(os.environ, DESTDIR=dest),
                       capture_output=True, text=True)
    installed = dest + install_dir + "/synfin"
    for f in ("colorfilters", "preferences"):
        if not os.path.isfile(os.path.join(installed, f)):
            fail(f"cmake install did not install {f} into {install_dir}/synfin: {r.stdout}{r.stderr}")
            return 1
    data = os.path.join(work, "data")
    os.makedirs(os.path.join(data, "profiles"))
    for e in os.listdir("/usr/share/wireshark"):
        if e != "profiles":
            os.symlink(os.path.join("/usr/share/wireshark", e), os.path.join(data, e))
    shutil.copytree(installed, os.path.join(data, "profiles", "synfin"))
    home = os.path.join(work, "home")
    pdir = ".local/lib/wireshark/plugins/%s/epan" % ws_release()
    for d in (pdir, ".config/wireshark", "no-extcap"):
        os.makedirs(os.path.join(home, d))
    shutil.copy(so, os.path.join(home, pdir, "synfin.so"))
    caps = os.path.join(work, "caps")
    shutil.copytree(os.path.join(repo, "captures"), caps)
    for root, dirs, files in os.walk(work):
        for n in dirs + files:
            p = os.path.join(root, n)
            if not os.path.islink(p):
                os.chmod(p, 0o755 if os.path.isdir(p) else 0o644)
    if os.geteuid() == 0:
        for root, dirs, files in os.walk(home):
            for n in dirs + files:
                os.chown(os.path.join(root, n), 65534, 65534)
        os.chown(home, 65534, 65534)

    env = ["HOME=" + home, "PATH=/usr/bin:/bin", "LANG=C.UTF-8", "TZ=UTC",
           "WIRESHARK_EXTCAP_DIR=" + os.path.join(home, "no-extcap"), "WIRESHARK_DATA_DIR=" + data]
    if subprocess.run(["readelf", "-d", so], capture_output=True, text=True).stdout.find("libasan") >= 0:
        asan = subprocess.run(["cc", "-print-file-name=libasan.so"], capture_output=True,
                              text=True).stdout.strip()
        env += ["LD_PRELOAD=" + os.path.realpath(asan),
                "ASAN_OPTIONS=" + wsenv.ASAN_DEFAULTS, "UBSAN_OPTIONS=" + wsenv.UBSAN_DEFAULTS]
    pre = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []

    def tshark(args):
        r = subprocess.run(pre + ["env", "-i"] + env + ["tshark"] + args, capture_output=True,
                           text=True, timeout=120)
        for l in wsenv.trouble_lines(r.stderr, wsenv.PROFILE_TROUBLE):
            fail(f"tshark {' '.join(args[-3:])}: stderr: {l}")
        if r.returncode != 0:
            fail(f"tshark {' '.join(args)}: exit {r.returncode}: {r.stderr.strip()[-500:]}")
        return r.stdout

    # The global profile is found and copied into the user's configuration.
    first = tshark(["-C", "synfin", "-r", os.path.join(caps, "open-close-4seg.pcap")])
    personal = os.path.join(home, ".config/wireshark/profiles/synfin")
    if not os.path.isfile(os.path.join(personal, "colorfilters")):
        fail("tshark -C synfin did not copy the global profile into ~/.config/wireshark/profiles/synfin")
    # Columns: label and state names in the summary lines.
    want_cols = ["SYN 1/3 SYN_SENT SYN_RECEIVED", "SYN-ACK 2/3 ESTABLISHED SYN_RECEIVED",
                 "ACK 3/3 ESTABLISHED ESTABLISHED", "FIN 1/4 FIN_WAIT_1 CLOSE_WAIT",
                 "ACK 2/4 FIN_WAIT_2 CLOSE_WAIT", "FIN 3/4 TIME_WAIT LAST_ACK",
                 "ACK 4/4 TIME_WAIT CLOSED"]
    for w in want_cols:
        if w not in re.sub(r" +", " ", first):
            fail(f"summary lines lack the columns {w!r}:\n{first}")
    if "[synfin:" in first:
        fail("the Info column still carries [synfin: ...] (synfin.info_column: FALSE in the profile)")

    checked = 0
    for tsv in sorted(glob.glob(os.path.join(caps, "*.expected.tsv"))):
        name = os.path.basename(tsv)[:-len(".expected.tsv")]
        rows = read_expected(tsv)
        out = tshark(["-C", "synfin", "--color", "-r", os.path.join(caps, name + ".pcap"),
                      "-T", "fields", "-e", "frame.number", "-e", "frame.coloring_rule.name"])
        got = dict(l.split("\t", 1) for l in out.splitlines() if l)
        for row in rows:
            n = row["frame.number"]
            label = row.get("synfin.label", "")
            if "," in label:
                continue        # several TCP layers in one frame (tunnel-gtp)
            phase = row.get("synfin.phase", "")
            step = row.get("synfin.step", "")
            if not phase and label:       # injected-marker.expected.tsv has no phase/step
                if label.startswith("RST"):
                    phase, step = "4", "0"
                elif re.match(r"(SYN|SYN-ACK|ACK) \d/3$", label):
                    phase, step = "1", "1"
                elif re.match(r"(FIN|ACK|ACK\+FIN) [\d/+]+4$", label):
                    phase, step = "3", "1"
                else:
                    phase, step = "2", "0"
            if row.get("synfin.injected") == "1":
                want = "injected"
            elif label in ("RST (in window, not exact)", "RST (out of window)"):
                want = "not_accepted"
            elif phase == "4":
                want = "reset"
            elif label.endswith("(retransmission)") or label == "ACK (old connection)" or \
                    (row.get("synfin.reuse_time_wait") == "1" and
                     row.get("synfin.reuse.isn_higher") == "0") or \
                    (name, int(n)) in ANOMALIES:
                want = "anomaly"
            elif phase == "1" and step not in ("", "0"):
                want = "handshake"
            elif phase == "3" and step not in ("", "0"):
                want = "teardown"
            else:
                want = None
            g = got.get(n, "")
            checked += 1
            if want is None:
                if g.startswith("synfin"):
                    fail(f"{name} frame {n} ({label or 'no label'}): rule {g!r}, want a stock rule")
            elif g != RULE[want]:
                fail(f"{name} frame {n} ({label}): rule {g!r}, want {RULE[want]!r}")
    print(f"{checked} frames checked", flush=True)
    if failures:
        print(f"{failures} failure(s)")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
