"""wsfields.py - shared helpers of the consistency tests.

Runs tshark/sharkd through tests/lib/ws-run (as uid 65534, with the plugin
under test in a throw-away HOME; see tests/lib/with-ws.sh), lists the
synfin fields, reads `tshark -T fields` output into per-frame values, and
normalises values so that tshark's field text and sharkd's filter strings
compare equal when they mean the same thing.
"""

import glob
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
WS_RUN = os.path.join(HERE, "..", "lib", "ws-run")

# The per-segment fields of the contract (shared/spec/SYNFIN.md sections 4 and 8).
CONTRACT_FIELDS = """
synfin.stream synfin.role synfin.role_guessed synfin.phase synfin.step
synfin.step.total synfin.step.merged synfin.label synfin.state.client
synfin.state.server synfin.seq.rel synfin.ack.rel synfin.seq.delta
synfin.ack.delta synfin.ack.expected synfin.ack.ok synfin.ack.frame
synfin.isn.client synfin.isn.server synfin.syn_frame synfin.synack_frame
synfin.fin_frame synfin.handshake.rtt synfin.handshake.time
synfin.teardown.initiator synfin.injected synfin.injected.run
synfin.conn.state synfin.conn.history
synfin.reuse.prev_stream synfin.reuse.gap synfin.reuse.isn_higher synfin.rst.check
synfin.teardown.halfclose synfin.teardown.time synfin.vantage
""".split()

# Field separator and occurrence aggregator for -T fields; neither occurs in
# synfin values (labels use spaces, '+', '/' and parentheses).
SEP = "\t"
AGG = "|"

# Exit status for "nothing to test" (ctest SKIP_RETURN_CODE).
SKIP = 77

# Types whose values are not worth comparing (no value, or the subtree).
VALUELESS = {"FT_NONE", "FT_PROTOCOL"}


def fail(msg):
    print("FAIL: " + msg, flush=True)


def ws_run(args, **kw):
    """Runs a Wireshark program as uid 65534 in the test HOME."""
    return subprocess.run([WS_RUN] + list(args), **kw)


def synfin_fields():
    """(fields, types, missing): every valued field the loaded plugin
    registers under synfin., contract fields first; the contract fields the
    plugin does not register."""
    out = ws_run(["tshark", "-G", "fields"], capture_output=True, text=True, check=True).stdout
    types = {}
    for line in out.splitlines():
        cols = line.split("\t")
        if len(cols) >= 4 and cols[0] == "F" and cols[2].startswith("synfin."):
            if cols[3] not in VALUELESS:
                types[cols[2]] = cols[3]
    missing = [f for f in CONTRACT_FIELDS if f not in types]
    fields = [f for f in CONTRACT_FIELDS if f in types]
    fields += sorted(f for f in types if f not in CONTRACT_FIELDS)
    return fields, types, missing


def stage(path):
    """Copies a capture into WS_TMP (readable by uid 65534 wherever the
    original lives) and returns the copy's path."""
    dst_dir = os.path.join(os.environ["WS_TMP"], "captures")
    os.makedirs(dst_dir, exist_ok=True)
    # Distinct sources can share a base name (zeek/a/x.pcap, zeek/b/x.pcap).
    name = "%d-%s" % (len(os.listdir(dst_dir)), os.path.basename(path))
    dst = os.path.join(dst_dir, name)
    shutil.copyfile(path, dst)
    os.chmod(dst, 0o644)
    os.chmod(dst_dir, 0o755)
    return dst


def tshark_fields(capture, fields, extra=(), stderr_sink=None):
    """Runs `tshark -r capture -T fields` with frame.number, tcp.stream and
    fields. Returns ({frame: {field: [values]}}, stderr, returncode)."""
    args = ["tshark", "-n", "-r", capture] + list(extra) + [
        "-T", "fields", "-E", "header=n", "-E", "occurrence=a",
        "-E", "aggregator=" + AGG, "-E", "quote=n",
        "-e", "frame.number", "-e", "tcp.stream"]
    for f in fields:
        args += ["-e", f]
    p = ws_run(args, capture_output=True, text=True, errors="replace")
    rows = {}
    for line in p.stdout.splitlines():
        cols = line.split(SEP)
        if len(cols) != len(fields) + 2 or not cols[0].isdigit():
            continue
        vals = {"tcp.stream": split_values(cols[1])}
        for f, v in zip(fields, cols[2:]):
            vals[f] = split_values(v)
        rows[int(cols[0])] = vals
    return rows, p.stderr, p.returncode


def split_values(text):
    return text.split(AGG) if text != "" else []


def normalise(ftype, value):
    """Canonical text for a field value, from tshark -T fields or sharkd."""
    v = value.strip()
    if v.startswith('"') and v.endswith('"') and len(v) >= 2:
        v = v[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if ftype == "FT_BOOLEAN":
        return {"true": "1", "false": "0"}.get(v.lower(), v)
    if ftype.startswith(("FT_UINT", "FT_INT", "FT_FRAMENUM")):
        try:
            return str(int(v, 0))
        except ValueError:
            return v
    if ftype in ("FT_RELATIVE_TIME", "FT_DOUBLE", "FT_FLOAT"):
        try:
            return "%.9f" % float(v)
        except ValueError:
            return v
    return v


# Reports that mean a bug in the plugin: Wireshark's "Dissector bug" (a
# failed DISSECTOR_ASSERT or another exception) naming synfin, anything
# synfin logs at warning level or above, and any sanitizer report. A stock
# dissector's own bug on a mutated capture is not ours (see other_bugs).
# Narrower on purpose than tests/lib/wsenv.py's WS_TROUBLE, which the tests
# on sound captures use: it fails on any dissector's bug or warning.
SANITIZER_MARKS = ("AddressSanitizer", "runtime error:", "LeakSanitizer")
BAD_LOG_LEVELS = ("WARNING", "CRITICAL", "ERROR")


def _is_dissector_bug(line):
    return "Dissector bug" in line or "DISSECTOR_ASSERT" in line


def stderr_problems(text):
    bad = []
    for line in text.splitlines():
        low = line.lower()
        if any(s in line for s in SANITIZER_MARKS):
            bad.append(line)
        elif _is_dissector_bug(line) and "synfin" in low:
            bad.append(line)
        elif any("[synfin " + lvl.lower() in low for lvl in BAD_LOG_LEVELS):
            bad.append(line)
    return bad


def other_bugs(text):
    """Dissector bugs reported for other protocols (worth a note only)."""
    return [line for line in text.splitlines()
            if _is_dissector_bug(line) and "synfin" not in line.lower()]


def find_captures(dirs, patterns=("*.pcap", "*.pcapng", "*.pcap.gz", "*.pcapng.gz")):
    """Captures under each directory (recursively), sorted, de-duplicated."""
    found = []
    for d in dirs:
        if not d or not os.path.isdir(d):
            continue
        for pat in patterns:
            found += glob.glob(os.path.join(d, "**", pat), recursive=True)
    seen, out = set(), []
    for f in sorted(found):
        real = os.path.realpath(f)
        if real not in seen:
            seen.add(real)
            out.append(f)
    return out


def require_ws_env():
    if not os.environ.get("WS_HOME"):
        sys.exit("run this under tests/lib/with-ws.sh PLUGIN_SO ...")
