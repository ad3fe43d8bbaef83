#!/bin/bash
# expect_lines.sh - the check of the benchmarks' smoke tests: runs a
# benchmark, shows its output, and fails unless it exited 0 and every
# expected line is there.
#
# Usage: tests/bench/expect_lines.sh NAME REGEX... -- COMMAND [ARGS...]
#   NAME    the test's name, for the message
#   REGEX   an extended regular expression (grep -E) that some line of the
#           output must match
# Exits with COMMAND's status when it is not 0 (so a skip, 77, stays a
# skip), 1 when a REGEX matches no line, else 0.
name=${1:?usage: expect_lines.sh NAME REGEX... -- COMMAND [ARGS...]}
shift
res=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do res+=("$1"); shift; done
[ "${1-}" = -- ] && [ $# -gt 1 ] || { echo "usage: expect_lines.sh NAME REGEX... -- COMMAND [ARGS...]" >&2; exit 2; }
shift
out=$("$@"); rc=$?
printf '%s\n' "$out"
[ $rc = 0 ] || exit $rc
for re in "${res[@]}"; do
    printf '%s\n' "$out" | grep -Eq "$re" || { echo "$name: no line matching $re" >&2; exit 1; }
done
