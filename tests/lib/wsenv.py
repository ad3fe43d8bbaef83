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


_LIB = os.path.dirname(os.path.abspath(__file__))
WS_RUN = os.path.join(_LIB, "ws-run")

# The lines of standard error that fail a test: the patterns of
# wireshark-stderr-trouble.ere, which wsenv.sh's ws_trouble gives to grep -E
# (see there for what they catch; they are written to mean the same in
# Python's re).
with open(os.path.join(_LIB, "wireshark-stderr-trouble.ere")) as _f:
    WS_TROUBLE = re.compile("|".join("(?:%s)" % l.rstrip("\n") for l in _f if l.strip()))


# What the synfin profile's files can cause on top of WS_TROUBLE, for the
# tests that run with it (-C synfin): a colouring rule that does not compile,
# an unknown preference, a column naming a missing field, or a bare "WARNING"
# in whatever format.
PROFILE_TROUBLE = re.compile(r"WARNING|Could not compile|No such preference|not a valid")


def trouble_lines(stderr, extra=None):
    """The lines of a Wireshark program's standard error that fail a test
    (WS_TROUBLE, or EXTRA, a compiled pattern, when given)."""
    return [l for l in stderr.splitlines()
            if WS_TROUBLE.search(l) or (extra is not None and extra.search(l))]


def ws_checked(args, **kw):
    """Runs ARGS (a Wireshark program and its arguments) through
    tests/lib/ws-run (uid 65534, the test HOME) and returns the completed
    process; raises RuntimeError on a non-zero status or on trouble_lines in
    its standard error. KW goes to subprocess.run (env, timeout, input)."""
    r = subprocess.run([WS_RUN] + list(args), capture_output=True, text=True,
                       errors="replace", **kw)
    if r.returncode != 0 or trouble_lines(r.stderr):
        raise RuntimeError("%s: status %d\n%s" % (" ".join(args), r.returncode, r.stderr))
    return r


def tshark_stdout(args):
    """ws_checked for `tshark ARGS`; its standard output."""
    return ws_checked(["tshark"] + list(args)).stdout
