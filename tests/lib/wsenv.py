"""wsenv.py - the Python side of tests/lib/wsenv.sh.

Test scripts started through tests/lib/with-ws.sh find WS_HOME and
WS_PRELOAD in their environment; ws_cmd() turns a Wireshark command line
into one that runs it as uid 65534 in that HOME, with the same clean
environment and sanitizer settings as ws_run in wsenv.sh.
"""
import os
import re
import subprocess

ASAN_DEFAULTS = "detect_leaks=0:exitcode=66:abort_on_error=0:allocator_may_return_null=1"
UBSAN_DEFAULTS = "halt_on_error=1:print_stacktrace=1:exitcode=66"


def ws_cmd(args, privileges=("--clear-groups",)):
    """setpriv ... env -i HOME=... ARGS; privileges: setpriv's group/capability
    options (for live capture: "--groups", "wireshark")."""
    home = os.environ["WS_HOME"]
    envs = ["HOME=" + home, "PATH=/usr/bin:/bin", "LANG=C.UTF-8", "TZ=UTC",
            "WIRESHARK_EXTCAP_DIR=" + os.path.join(home, "no-extcap")]
    pre = os.environ.get("WS_PRELOAD", "")
    if pre:
        envs += ["LD_PRELOAD=" + pre,
                 "ASAN_OPTIONS=" + os.environ.get("SYNFIN_WS_ASAN_OPTIONS", ASAN_DEFAULTS),
                 "UBSAN_OPTIONS=" + os.environ.get("SYNFIN_WS_UBSAN_OPTIONS", UBSAN_DEFAULTS)]
    return (["setpriv", "--reuid=65534", "--regid=65534"] + list(privileges)
            + ["env", "-i"] + envs + list(args))


WS_RUN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ws-run")
_WS_TROUBLE = re.compile(r"Dissector bug|CRITICAL|WARNING \*\*|runtime error:")


def tshark_stdout(args):
    """Runs `tshark ARGS` through tests/lib/ws-run (uid 65534, the test
    HOME) and returns its standard output; raises RuntimeError on a non-zero
    status or on a dissector bug, a critical or warning message or a
    sanitizer report on standard error."""
    r = subprocess.run([WS_RUN, "tshark"] + list(args), capture_output=True, text=True,
                       errors="replace")
    if r.returncode != 0 or _WS_TROUBLE.search(r.stderr):
        raise RuntimeError("tshark %s: status %d\n%s" % (" ".join(args), r.returncode, r.stderr))
    return r.stdout
