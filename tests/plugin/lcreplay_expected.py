#!/usr/bin/env python3
"""lcreplay_expected.py LCREPLAY CAPTURES_DIR - the engine alone against the
hand-derived spec section 8 expected files.

Every captures/NAME.expected.tsv whose header names synfin.rst.check is a
section 8 file.  Its capture goes through tshark (Wireshark's own fields
only: no plugin) and tools/lcreplay -8, which gives the engine each
segment's scaled window and keeps the 4-tuple table; every column lcreplay
answers (phase, step, label, states, rst.check, vantage, teardown times,
reuse fields, the section 8 expert items) must equal the expected file.
This checks the engine's decisions independently of the plugin's field
registration.  No section 8 file found is a failure.
"""
import glob
import os
import subprocess
import sys

FIELDS = ["frame.number", "frame.time_epoch", "tcp.stream", "ip.src", "ipv6.src",
          "tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.ack_raw", "tcp.flags",
          "tcp.len", "tcp.window_size_value", "tcp.window_size",
          "tcp.window_size_scalefactor"]
# lcreplay -8 output columns (tools/lcreplay.c)
OUT = ["frame.number", "tcp.stream", "synfin.label", "synfin.state.client",
       "synfin.state.server", "synfin.phase", "synfin.step", "synfin.rst.check",
       "synfin.vantage", "synfin.teardown.halfclose", "synfin.teardown.time",
       "synfin.reuse.prev_stream", "synfin.reuse.gap", "synfin.reuse.isn_higher", "anomalies"]
EXPERT = {"synfin.old_connection": 1 << 14, "synfin.rst_not_exact": 1 << 16,
          "synfin.rst_out_of_window": 1 << 17, "synfin.reuse_time_wait": (1 << 18) | (1 << 19)}


def engine_rows(lcreplay, pcap):
    cmd = ["tshark", "-r", pcap, "-Y", "tcp && !icmp && !icmpv6", "-T", "fields",
           "-E", "separator=/t"]
    for f in FIELDS:
        cmd += ["-e", f]
    fields = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    out = subprocess.run([lcreplay, "-8"], input=fields, capture_output=True, text=True,
                         check=True).stdout
    rows = {}
    for line in out.splitlines():
        d = dict(zip(OUT, line.split("\t")))
        anomalies = int(d.pop("anomalies"), 16)
        for key, bits in EXPERT.items():
            d[key] = "1" if anomalies & bits else ""
        rows[d["frame.number"]] = d
    return rows


def main():
    lcreplay, captures = sys.argv[1], sys.argv[2]
    files = 0
    failures = 0
    for exp in sorted(glob.glob(os.path.join(captures, "*.expected.tsv"))):
        lines = open(exp).read().splitlines()
        header = lines[0].split("\t")
        if "synfin.rst.check" not in header:
            continue
        files += 1
        name = os.path.basename(exp)[:-len(".expected.tsv")]
        got = engine_rows(lcreplay, os.path.join(captures, name + ".pcap"))
        cols = [c for c in header if c in OUT or c in EXPERT]
        for line in lines[1:]:
            want = dict(zip(header, line.split("\t")))
            have = got.get(want["frame.number"])
            if have is None:
                print(f"FAIL: {name} frame {want['frame.number']}: no engine row")
                failures += 1
                continue
            for c in cols:
                if want.get(c, "") != have.get(c, ""):
                    print(f"FAIL: {name} frame {want['frame.number']}: {c} expected "
                          f"[{want.get(c, '')}] engine [{have.get(c, '')}]")
                    failures += 1
        if len(got) != len(lines) - 1:
            print(f"FAIL: {name}: {len(got)} engine rows, {len(lines) - 1} expected")
            failures += 1
    if files == 0:
        print("FAIL: no section 8 expected file (header with synfin.rst.check) in " + captures)
        return 1
    print(f"{files} section 8 captures, {failures} difference(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
