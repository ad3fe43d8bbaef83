# wsenv.sh - run tshark / sharkd with a freshly built synfin.so, as an
# unprivileged user (Wireshark ignores personal plugins when run as root).
#
# Source it, then:
#   ws_setup PLUGIN_SO     creates a throw-away HOME with the plugin linked in
#   ws_run tshark ARGS...  runs a Wireshark program in that HOME as uid 65534
#   ws_trouble FILE        prints the lines of a saved stderr that fail a test
#   ws_cleanup             removes the HOME (also done by an EXIT trap); after
#                          several ws_setup calls (one HOME per plugin build,
#                          the latest in WS_HOME), removes them all
# Files the programs read or write must be readable/writable by uid 65534;
# WS_TMP is a directory that is.
# Variables: WS_HOME (the HOME), WS_TMP (a scratch dir owned by uid 65534),
# SYNFIN_WS_XY (the release X.Y of the plugin folder, from tshark --version
# unless already set).
# WS_GROUPS: setpriv's supplementary-group option for ws_run, default
# "--clear-groups"; live-capture tests set "--groups wireshark" (Debian's
# group that may run dumpcap, see tools/setup.sh). WS_NETNS: when set,
# ws_run runs the program inside that network namespace (ip netns exec).
# WS_EXTRA_ENV: more NAME=VALUE words for the program's environment (no
# spaces inside a value), e.g. "DISPLAY=:0 XDG_RUNTIME_DIR=/tmp/x".
# From programs that are not shell scripts: tests/lib/with-ws.sh PLUGIN_SO CMD
# sets up and exports the environment for CMD, which then starts Wireshark
# programs with tests/lib/ws-run PROGRAM ARGS.
# Extcap helpers are switched off (WIRESHARK_EXTCAP_DIR points at an empty
# folder): the tests never capture live.
#
# Sanitizer builds: a plugin built with -fsanitize=address can only be
# dlopen()ed by a program that has the ASan runtime loaded first, so ws_run
# then puts it in LD_PRELOAD. ws_setup detects such a plugin by itself
# (it needs libasan); SYNFIN_WS_PRELOAD=/path/libasan.so.N overrides the
# detection (SYNFIN_WS_PRELOAD=none turns the preload off).
# The sanitizer options for the Wireshark programs are SYNFIN_WS_ASAN_OPTIONS
# and SYNFIN_WS_UBSAN_OPTIONS (not the caller's ASAN_OPTIONS, which may be
# meant for our own test programs); the defaults turn leak detection off
# (Wireshark itself does not free everything at exit) and make any sanitizer
# report exit with status 66 (a crash for the tests, unlike tshark's own exit
# status 1 or 2).

# Standard error that fails a test, whatever else the test checks: one
# extended regular expression a line in wireshark-stderr-trouble.ere next to
# this file (also read by wsenv.py, so shell and Python tests fail on the
# same lines): a dissector bug or failed DISSECTOR_ASSERT, a message Wireshark
# logs at warning level or above (" ** (tshark:PID) TIME [Domain WARNING] --
# ..."; CRITICAL also in GLib's own format), and any sanitizer report.
# ws_trouble FILE prints FILE's lines that match; true when there are any.
WS_TROUBLE_ERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/wireshark-stderr-trouble.ere"
ws_trouble() {
    grep -E -f "$WS_TROUBLE_ERE" -- "$1"
}

WS_PRELOAD=${WS_PRELOAD:-}   # kept when inherited (see ws-run)
WS_ASAN_DEFAULTS="detect_leaks=0:exitcode=66:abort_on_error=0:allocator_may_return_null=1"
WS_UBSAN_DEFAULTS="halt_on_error=1:print_stacktrace=1:exitcode=66"

# ws_needs_asan SO: true if SO links the ASan runtime.
ws_needs_asan() {
    if command -v readelf >/dev/null 2>&1; then
        readelf -d "$1" 2>/dev/null | grep -q 'NEEDED.*libasan'
    else
        grep -q 'libasan\.so' "$1"
    fi
}

# ws_plugin_xy: set and export SYNFIN_WS_XY, the X.Y of the tshark on PATH
# (the personal plugin folder is plugins/X.Y/epan, and a plugin loads only
# into the release it was built for). Kept when already set.
ws_plugin_xy() {
    if [ -z "${SYNFIN_WS_XY:-}" ]; then
        SYNFIN_WS_XY=$(tshark --version 2>/dev/null |
            sed -n '1s/^TShark (Wireshark) \([0-9]*\.[0-9]*\)\..*/\1/p')
        if [ -z "$SYNFIN_WS_XY" ]; then
            echo "wsenv: cannot tell the Wireshark release from 'tshark --version'" >&2
            return 1
        fi
    fi
    export SYNFIN_WS_XY
}

ws_setup() {
    local so=$1
    if [ ! -r "$so" ]; then
        echo "wsenv: plugin not found: $so" >&2
        return 1
    fi
    WS_PRELOAD=
    case "${SYNFIN_WS_PRELOAD:-}" in
        none) ;;
        "")
            if ws_needs_asan "$so"; then
                WS_PRELOAD=$(${CC:-cc} -print-file-name=libasan.so 2>/dev/null)
                case "$WS_PRELOAD" in
                    /*) WS_PRELOAD=$(readlink -f "$WS_PRELOAD") ;;
                    *) echo "wsenv: $so needs libasan, but the compiler does not know where it is; set SYNFIN_WS_PRELOAD" >&2
                       return 1 ;;
                esac
            fi ;;
        *) WS_PRELOAD=$SYNFIN_WS_PRELOAD ;;
    esac
    ws_plugin_xy || return 1
    WS_HOME=$(mktemp -d /tmp/synfin-ws.XXXXXX)
    WS_HOMES="${WS_HOMES:-} $WS_HOME"
    local pdir=$WS_HOME/.local/lib/wireshark/plugins/$SYNFIN_WS_XY/epan
    mkdir -p "$pdir" "$WS_HOME/.config/wireshark" "$WS_HOME/tmp" "$WS_HOME/no-extcap"
    cp "$so" "$pdir/synfin.so"
    WS_TMP=$WS_HOME/tmp
    chmod -R a+rX "$WS_HOME"
    if [ "$(id -u)" = 0 ]; then
        chown -R 65534:65534 "$WS_HOME"
    fi
    trap ws_cleanup EXIT
    # Sanity check: a plugin that failed to load is silently skipped, and
    # -G plugins lists only the ones that loaded (-G must be the first option).
    if ! ws_run tshark -G plugins 2>/dev/null | grep -q '^synfin\.so'; then
        echo "wsenv: synfin.so did not load in tshark (check the build and permissions${WS_PRELOAD:+; preload $WS_PRELOAD})" >&2
        return 1
    fi
}

ws_run() {
    # WIRESHARK_EXTCAP_DIR: no extcap helpers (tests never capture; under
    # an ASan preload some of them hang at exit in p11-kit).
    local envs="HOME=$WS_HOME PATH=/usr/bin:/bin LANG=C.UTF-8 TZ=UTC WIRESHARK_EXTCAP_DIR=$WS_HOME/no-extcap"
    envs="$envs ${WS_EXTRA_ENV:-}"
    if [ -n "$WS_PRELOAD" ]; then
        envs="$envs LD_PRELOAD=$WS_PRELOAD ASAN_OPTIONS=${SYNFIN_WS_ASAN_OPTIONS:-$WS_ASAN_DEFAULTS} UBSAN_OPTIONS=${SYNFIN_WS_UBSAN_OPTIONS:-$WS_UBSAN_DEFAULTS}"
    fi
    # $envs is split on purpose: none of its values contains spaces.
    if [ "$(id -u)" = 0 ]; then
        # shellcheck disable=SC2086
        ${WS_NETNS:+ip netns exec "$WS_NETNS"} setpriv --reuid=65534 --regid=65534 ${WS_GROUPS:---clear-groups} env -i $envs "$@"
    else
        # shellcheck disable=SC2086
        env -i $envs "$@"
    fi
}

ws_cleanup() {
    local h
    for h in ${WS_HOMES:-} ${WS_HOME:-}; do
        if [ -d "$h" ]; then
            rm -rf "$h"
        fi
    done
    WS_HOME= WS_HOMES=
}
