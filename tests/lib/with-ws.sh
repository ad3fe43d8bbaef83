#!/bin/bash
# with-ws.sh PLUGIN_SO COMMAND [ARGS...]
# Sets up the throw-away Wireshark HOME of wsenv.sh for PLUGIN_SO, exports
# WS_HOME, WS_TMP and WS_PRELOAD, runs COMMAND (as the caller, usually root),
# then removes the HOME. COMMAND starts Wireshark programs through
# tests/lib/ws-run, which runs them as uid 65534 with that HOME.
set -u
. "$(dirname "$0")/wsenv.sh"
[ $# -ge 2 ] || { echo "usage: with-ws.sh PLUGIN_SO COMMAND [ARGS...]" >&2; exit 2; }
so=$1; shift
ws_setup "$so" || exit 1
export WS_HOME WS_TMP WS_PRELOAD
"$@"
