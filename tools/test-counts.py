#!/usr/bin/env python3
"""test-counts.py - how many tests passed, failed and were skipped in one
ctest run, from the JUnit file ctest writes with --output-junit.

usage: test-counts.py TREE JUNIT.xml

Prints one line "TREE: P passed, F failed, S skipped (of N)", then one line
per skipped test with ctest's reason and the test's own first "SKIP" line.
A test ctest did not run for another reason (its program is missing) counts
as failed, as ctest itself counts it.  Exits 0 when nothing was skipped,
3 when something was, 2 when the file cannot be read.
"""
import sys
import xml.etree.ElementTree as ET

SKIP_REASONS = ("SKIP_RETURN_CODE", "SKIP_REGULAR_EXPRESSION")


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    tree, path = sys.argv[1], sys.argv[2]
    try:
        cases = ET.parse(path).getroot().iter("testcase")
    except (OSError, ET.ParseError) as e:
        print(f"{tree}: cannot read the test results ({e})", file=sys.stderr)
        return 2
    passed, failed, skipped = [], [], []
    for c in cases:
        name, status = c.get("name"), c.get("status")
        skip = c.find("skipped")
        reason = skip.get("message", "") if skip is not None else ""
        if status == "run":
            passed.append(name)
        elif status == "disabled" or (status == "notrun" and reason.startswith(SKIP_REASONS)):
            out = c.findtext("system-out") or ""
            said = next((l.strip() for l in out.splitlines() if "SKIP" in l.upper()), "")
            skipped.append((name, reason or "DISABLED", said))
        else:
            failed.append(name)
    total = len(passed) + len(failed) + len(skipped)
    print(f"{tree}: {len(passed)} passed, {len(failed)} failed, {len(skipped)} skipped (of {total})")
    for name, reason, said in skipped:
        print(f"{tree}:   skipped {name} ({reason})" + (f": {said}" if said else ""))
    return 3 if skipped else 0


if __name__ == "__main__":
    sys.exit(main())
