"""expected.py - the hand-written expected annotations in captures/.

captures/NAME.expected.tsv: a header line of field names, then one line per
frame (tab-separated, empty where the field is absent). STATES are the
spec's state names by value (SYNFIN.md section 3, the plugin's value_string).
Release overrides (captures/README.md, "Release-dependent values"):
NAME.expected-X.Y.tsv replaces cells for Wireshark X.Y and later; read_expected
applies the newest one not above the running release, as run_expected.sh does.
"""
import glob
import os
import re
import subprocess

STATES = ["CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1",
          "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT"]


def ws_release():
    """The running Wireshark's X.Y: SYNFIN_WS_XY (tests/lib/wsenv.sh), else tshark --version."""
    xy = os.environ.get("SYNFIN_WS_XY")
    if xy:
        return xy
    first = subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout
    m = re.search(r"(\d+)\.(\d+)\.\d+", first)
    return "%s.%s" % (m.group(1), m.group(2)) if m else ""


def _xy_key(xy):
    major, minor = xy.split(".")
    return (int(major), int(minor))


def _read_tsv(path):
    with open(path) as f:
        lines = [l.rstrip("\n").split("\t") for l in f]
    return lines[0], [dict(zip(lines[0], l)) for l in lines[1:]]


def read_expected(path, release=None):
    """The rows of an expected.tsv file, each a dict by field name, with the
    release override for RELEASE (default: the running Wireshark) applied."""
    header, rows = _read_tsv(path)
    if not path.endswith(".expected.tsv"):
        return rows
    base = path[:-len(".expected.tsv")]
    overrides = []
    for f in glob.glob(glob.escape(base) + ".expected-*.tsv"):
        xy = f[len(base) + len(".expected-"):-len(".tsv")]
        if not re.fullmatch(r"\d+\.\d+", xy):
            raise ValueError("bad override name " + f)
        overrides.append((_xy_key(xy), f))
    if not overrides:
        return rows
    running = _xy_key(release or ws_release())
    usable = [o for o in overrides if o[0] <= running]
    if not usable:
        return rows
    ohead, orows = _read_tsv(max(usable)[1])
    if ohead[0] != "frame.number" or any(c not in header for c in ohead):
        raise ValueError("override %s names a column %s does not have" % (max(usable)[1], path))
    by_frame = {r["frame.number"]: r for r in rows}
    for o in orows:
        if o["frame.number"] not in by_frame:
            raise ValueError("override frame %s is not in %s" % (o["frame.number"], path))
        by_frame[o["frame.number"]].update(o)
    return rows


def state_name(row, field):
    """The state name of ROW's FIELD (synfin.state.client/server), "" when absent."""
    v = row.get(field, "")
    return STATES[int(v)] if v != "" else ""
