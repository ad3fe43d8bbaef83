#!/bin/bash
# test.sh - the whole test suite, as CI runs it.
#
# Installs what is missing (tools/setup.sh), then configures, builds and
# tests two trees:
#   build/       normal build, warnings are errors (-DSYNFIN_WERROR=ON)
#   build-asan/  the same with AddressSanitizer + UndefinedBehaviorSanitizer
#                (-DSYNFIN_SANITIZE=ON); tshark/sharkd get libasan preloaded
#                by tests/lib/wsenv.sh when they load the instrumented plugin
# then the version matrix (tools/matrix.sh): Wireshark 4.4 (Debian 13) and
# 4.6 (Debian sid) in cached debootstrap roots, and the .deb of every
# release (4.0 built here, in build/) installed into its own root.
# Exits non-zero if any step fails; every step always runs, so one run
# reports every failure.  After each tree it prints how many tests
# passed, failed and were skipped, and names every skipped test with its
# reason (tools/test-counts.py reads ctest's --output-junit file).  With
# CI=true a skipped test fails the run: CI runs as root with everything
# installed, so nothing there has a reason to skip.
#
# Environment: SYNFIN_TEST_JOBS (parallel ctest jobs, default: nproc),
#              SYNFIN_TEST_TREES (default "build build-asan"),
#              CI (true: skipped tests are failures),
#              SYNFIN_MATRIX=0 skips the matrix (default 1: CI runs it),
#              extra ctest arguments can be given on the command line,
#              e.g. tools/test.sh -R consistency
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=${SYNFIN_TEST_JOBS:-$(nproc)}
trees=${SYNFIN_TEST_TREES:-"build build-asan"}

say() { printf '\n=== %s\n' "$*"; }

say "setup"
"$root/tools/setup.sh" || { echo "test: setup failed" >&2; exit 1; }

# Sanitizer reports from the unit tests themselves (the Wireshark programs
# get theirs from wsenv.sh): leaks count in our own code.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=66}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

failed=""
counts=""
for tree in $trees; do
    case "$tree" in
        build-asan) opts="-DSYNFIN_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug" ;;
        *) opts="-DSYNFIN_SANITIZE=OFF" ;;
    esac
    say "$tree: configure"
    # shellcheck disable=SC2086
    if ! cmake -S "$root" -B "$root/$tree" -G Ninja -DSYNFIN_WERROR=ON $opts; then
        failed="$failed $tree(configure)"; continue
    fi
    say "$tree: build"
    if ! cmake --build "$root/$tree"; then
        failed="$failed $tree(build)"; continue
    fi
    say "$tree: test"
    junit="$root/$tree/ctest-results.xml"
    rm -f "$junit"
    if ! ctest --test-dir "$root/$tree" --output-on-failure -j "$jobs" --output-junit "$junit" "$@"; then
        failed="$failed $tree(test)"
    fi
    say "$tree: counts"
    summary=$(python3 "$root/tools/test-counts.py" "$tree" "$junit")
    rc=$?
    printf '%s\n' "$summary"
    counts="$counts$summary"$'\n'
    case $rc in
        0) ;;
        3) if [ "${CI:-}" = true ]; then failed="$failed $tree(skipped under CI)"; fi ;;
        *) failed="$failed $tree(no test results)" ;;
    esac
done

say "counts"
printf '%s' "$counts"

# The .deb of the host's release (4.0), for the matrix's package test.
if [ "${SYNFIN_MATRIX:-1}" != 0 ]; then
    say "build: Debian package"
    if ! cmake --build "$root/build" --target deb; then
        failed="$failed deb"
    fi
    say "matrix: Wireshark 4.0 (.deb), 4.4 and 4.6 in Debian roots (SYNFIN_MATRIX=0 skips)"
    if ! SYNFIN_MATRIX_HOST_BUILD="$root/build" "$root/tools/matrix.sh"; then
        failed="$failed matrix"
    fi
else
    say "matrix: skipped (SYNFIN_MATRIX=0)"
fi

if [ -n "$failed" ]; then
    say "FAILED:$failed"
    exit 1
fi
say "all tests passed ($trees)"
