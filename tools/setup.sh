#!/bin/sh
# setup.sh - install everything synfin needs to build and test, on Debian 12
# (Wireshark 4.0) or Debian 13 (Wireshark 4.4); Debian sid (4.6) works too.
#
# Idempotent: packages that are already installed are left alone, and
# apt-get update runs at most once, only when something is missing.
# Must run as root (or with nothing to install). Non-interactive.
set -eu

# Build: compiler, cmake/ninja, Wireshark headers (epan/wiretap), libpcap
# (injector), glib. Tests: tshark/sharkd/editcap (wireshark-common), Debian's
# python3 (stdlib only), setpriv (util-linux, essential), /usr/bin/time
# (benchmark), tcpdump, iproute2 and nftables (injector tests on loopback and
# in network namespaces), nginx-light, openssh-server and curl (servers no
# one in this project wrote, started by the injector tests on loopback with
# their own config; the services the packages install are not used). GUI (the synfin profile, the Lua ladder window,
# the paired demo and the GUI smoke tests under a virtual display):
# wireshark-qt, xvfb, xdotool, imagemagick.
PACKAGES="
gcc libc6-dev cmake ninja-build pkg-config
libwireshark-dev libwiretap-dev libglib2.0-dev libpcap-dev libnftables-dev
tshark wireshark-common
python3 python3-scapy time valgrind tcpdump iproute2 nftables iptables libcap2-bin
nginx-light openssh-server curl
xvfb xdotool imagemagick
"
# The Qt GUI: wireshark-qt on Debian 12; from Debian 13 on the GUI is the
# package "wireshark" itself (wireshark-qt is only a transitional name).
case "$(cat /etc/debian_version 2>/dev/null)" in
    12*|bookworm*) PACKAGES="$PACKAGES wireshark-qt" ;;
    *) PACKAGES="$PACKAGES wireshark" ;;
esac

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

[ -r /etc/debian_version ] || die "this script supports Debian 12 (bookworm) and 13 (trixie)"
case "$(cat /etc/debian_version)" in
    12*|bookworm*|13*|trixie*|forky*|sid*) ;;
    *) say "warning: Debian $(cat /etc/debian_version) detected; synfin is tested on Debian 12, 13 and sid" ;;
esac

missing=
for p in $PACKAGES; do
    # "install ok installed" is the only state that means "usable".
    if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    say "all build and test dependencies are installed"
else
    [ "$(id -u)" = 0 ] || die "missing packages:$missing - run this script as root to install them"
    export DEBIAN_FRONTEND=noninteractive
    # wireshark-common asks whether non-root users may capture; answer
    # "yes" in advance so the install never prompts (see below).
    echo "wireshark-common wireshark-common/install-setuid boolean true" | debconf-set-selections
    # Other apt users may hold the lock for a while; wait instead of failing.
    APT="apt-get -q -y -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold"
    say "installing:$missing"
    # Retry a few times: another apt run may hold the lists lock briefly.
    tries=0
    say "running apt-get update"
    until $APT update; do
        tries=$((tries + 1))
        [ $tries -lt 3 ] || die "apt-get update failed (network, mirror or a held apt lock?)"
        say "apt-get update failed, retrying in 15 s"; sleep 15
    done
    tries=0
    # shellcheck disable=SC2086
    until $APT install --no-install-recommends $missing; do
        tries=$((tries + 1))
        [ $tries -lt 3 ] || die "apt-get install failed for:$missing"
        say "apt-get install failed, retrying in 15 s"; sleep 15
    done
fi

# Live capture as a non-root user, the Debian way: the "wireshark" group
# may run /usr/bin/dumpcap, which carries cap_net_raw,cap_net_admin.
# (dpkg-reconfigure with install-setuid=true creates the group, sets the
# file capabilities and mode root:wireshark 0750.) A user captures after
# "usermod -aG wireshark USER" and a new login; the tests and the demo run
# Wireshark as uid 65534 with that group as a supplementary group.
if ! getent group wireshark >/dev/null || [ -z "$(getcap /usr/bin/dumpcap 2>/dev/null)" ]; then
    [ "$(id -u)" = 0 ] || die "dumpcap is not set up for non-root capture - run this script as root"
    say "allowing live capture for members of the 'wireshark' group (dumpcap capabilities)"
    echo "wireshark-common wireshark-common/install-setuid boolean true" | debconf-set-selections
    DEBIAN_FRONTEND=noninteractive dpkg-reconfigure wireshark-common >/dev/null 2>&1 ||
        die "dpkg-reconfigure wireshark-common failed"
    getent group wireshark >/dev/null || die "the wireshark group was not created"
fi

# Source-package access for the build: the native Flow Graph needs
# epan/sequence_analysis.h, which libwireshark-dev does not ship; the
# build (tools/fetch-ws-header.sh) takes it from Debian's wireshark source
# package, which needs a deb-src entry for the same mirror.
src_list=/etc/apt/sources.list.d/synfin-deb-src.sources
if [ ! -e "$src_list" ] && [ "$(id -u)" = 0 ] && [ -r /etc/apt/sources.list.d/debian.sources ]; then
    say "adding deb-src entries ($src_list) for Debian's wireshark source package"
    sed -e 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > "$src_list"
    apt-get -q -o DPkg::Lock::Timeout=600 update >/dev/null || say "warning: apt-get update failed; the Flow Graph feature may be left out"
fi

# Check the Wireshark release: the plugin is built and tested for 4.0, 4.4
# and 4.6 (CMakeLists.txt stops on others unless asked to try).
ver=$(pkg-config --modversion wireshark 2>/dev/null) || die "pkg-config cannot find wireshark.pc (libwireshark-dev)"
case "$ver" in
    4.0.*|4.4.*|4.6.*) say "Wireshark $ver (plugin ABI ${ver%.*}) - ok" ;;
    *) die "synfin supports Wireshark 4.0, 4.4 and 4.6; pkg-config reports $ver" ;;
esac
[ -x /usr/bin/python3 ] || die "/usr/bin/python3 missing"
say "done"
