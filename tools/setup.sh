#!/bin/sh
# setup.sh - install everything synfin needs to build and test, on Debian 12.
#
# Idempotent: packages that are already installed are left alone, and
# apt-get update runs at most once, only when something is missing.
# Must run as root (or with nothing to install). Non-interactive.
set -eu

# Build: compiler, cmake/ninja, Wireshark 4.0 headers (epan/wiretap), libpcap
# (injector), glib. Tests: tshark/sharkd/editcap (wireshark-common), Debian's
# python3 (stdlib only), setpriv (util-linux, essential), /usr/bin/time
# (benchmark), tcpdump, iproute2 and nftables (injector tests on loopback and
# in network namespaces).
PACKAGES="
gcc libc6-dev cmake ninja-build pkg-config
libwireshark-dev libwiretap-dev libglib2.0-dev libpcap-dev
tshark wireshark-common
python3 time tcpdump iproute2 nftables
"

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

[ -r /etc/debian_version ] || die "this script supports Debian 12 (bookworm) only"
case "$(cat /etc/debian_version)" in
    12*|bookworm*) ;;
    *) say "warning: Debian $(cat /etc/debian_version) detected; synfin is tested on Debian 12 only" ;;
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
    # wireshark-common asks whether non-root users may capture (setuid
    # dumpcap); answer "no" in advance so the install never prompts.
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
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

# Check the Wireshark version: the plugin ABI is 4.0.x only.
ver=$(pkg-config --modversion wireshark 2>/dev/null) || die "pkg-config cannot find wireshark.pc (libwireshark-dev)"
case "$ver" in
    4.0.*) say "Wireshark $ver (plugin ABI 4.0) - ok" ;;
    *) die "synfin needs Wireshark 4.0.x, pkg-config reports $ver" ;;
esac
[ -x /usr/bin/python3 ] || die "/usr/bin/python3 missing"
say "done"
