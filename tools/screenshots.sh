#!/bin/bash
# screenshots.sh - regenerate the README's screenshots with the real Wireshark
# under Xvfb (tests/gui/gui_smoke.sh does the work, so the pictures show
# exactly what the GUI tests check):
#   docs/img/live-capture.png  a live capture on lo with the synfin profile
#                              while synfin-inject talks to the echo server
#                              (injected rows magenta, handshake green,
#                              teardown blue; label and state columns)
#   docs/img/ladder.png        Tools > synfin > Ladder diagram of the
#                              injected stream of captures/injected-marker.pcap
# usage (root, like the tests): tools/screenshots.sh [BUILD_DIR]   (default build, the tree tools/test.sh and the demo build)
# Needs a built tree (plugin, injector, echo server); tools/setup.sh installs
# Wireshark, Xvfb, xdotool and ImageMagick.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
case "$build" in /*) ;; *) build=$root/$build ;; esac
[ -f "$build/CMakeCache.txt" ] || { echo "screenshots: no build tree at $build (cmake -S . -B $build && cmake --build $build)" >&2; exit 1; }
profile_dir=$(sed -n 's/^SYNFIN_PROFILE_INSTALL_DIR:PATH=//p' "$build/CMakeCache.txt")
out=$(mktemp -d /tmp/synfin-shots.XXXXXX)
trap 'rm -rf "$out"' EXIT
common=("$build/plugin/synfin.so" "$build/plugin/profile/cmake_install.cmake" "$profile_dir" "$root")

# (gui_smoke.sh takes the netfilter lock itself around the injector run.)
SYNFIN_GUI_SHOT="$out/live.png" \
    bash "$root/tests/gui/gui_smoke.sh" live "$out" "${common[@]}" \
        "$build/injector/synfin-inject" "$build/tests/injector/synfin-echo-server"
SYNFIN_GUI_SHOT="$out/ladder-window.png" bash "$root/tests/gui/gui_smoke.sh" ladder "$out" "${common[@]}"

mkdir -p "$root/docs/img"
# The packet list only (menu, toolbar, filter bar, list: the top 300 px).
convert "$out/live.png" -crop 1280x300+0+0 +repage -strip -colors 64 "PNG8:$root/docs/img/live-capture.png"
convert "$out/ladder-window.png" -strip -colors 32 "PNG8:$root/docs/img/ladder.png"
ls -l "$root/docs/img/live-capture.png" "$root/docs/img/ladder.png"
