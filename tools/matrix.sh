#!/bin/bash
# matrix.sh - build and test synfin against the other Wireshark releases
# users run, each in a minimal Debian root made with debootstrap:
#
#   bookworm  Debian 12   Wireshark 4.0  (the host's release: only the .deb
#                                         built on the host is installed and
#                                         checked here; the host trees are
#                                         the reference for everything else)
#   trixie    Debian 13   Wireshark 4.4  build + tests + .deb
#   sid       Debian sid  Wireshark 4.6  build + tests + GUI smoke + .deb
#
# Usage (as root): tools/matrix.sh [--roots-only] [RELEASE...]
#   RELEASE: bookworm, trixie, sid (default: all three)
#   --roots-only  create/refresh the cached roots, nothing else
#
# The roots are cached in $SYNFIN_MATRIX_CACHE (default
# /var/cache/synfin-matrix/<suite>) and rebuilt when missing or broken (no
# stamp, a different package list, or tshark/cmake that no longer run).
# The source tree is bind-mounted read-only at the same path inside the root
# (so the build tree's absolute paths and ../shared/captures work), and each
# release's build tree is /build inside its root. Every mount is undone on
# every exit path (EXIT/INT/TERM/HUP trap).
#
# Debian sid moves: when its Wireshark is no longer 4.6.x the matrix says so
# in one line and goes on with the other releases (not a failure).
#
# Environment: SYNFIN_MATRIX_MIRROR (default: the host's Debian mirror),
#              SYNFIN_MATRIX_CACHE, SYNFIN_MATRIX_JOBS (ctest -j, default 2),
#              SYNFIN_MATRIX_HOST_BUILD (host tree holding the 4.0 .deb,
#              default build).
# Exit status: 0 when every release that could be tested passed.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
shared=$(readlink -f "$root/../shared" 2>/dev/null || true)
cache=${SYNFIN_MATRIX_CACHE:-/var/cache/synfin-matrix}
jobs=${SYNFIN_MATRIX_JOBS:-2}
host_build=${SYNFIN_MATRIX_HOST_BUILD:-$root/build}
case "$host_build" in /*) ;; *) host_build=$root/$host_build ;; esac
start_all=$(date +%s)

say() { printf 'matrix: %s\n' "$*"; }
die() { printf 'matrix: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (debootstrap, chroot and mounts)"

roots_only=0
releases=()
for a in "$@"; do
    case "$a" in
        --roots-only) roots_only=1 ;;
        bookworm|trixie|sid) releases+=("$a") ;;
        *) die "unknown argument: $a (releases: bookworm trixie sid)" ;;
    esac
done
[ ${#releases[@]} -gt 0 ] || releases=(bookworm trixie sid)

# The host's mirror (deb822 or one-line format), else deb.debian.org.
host_mirror() {
    local u
    u=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null |
        grep -v security | head -n 1)
    [ -n "$u" ] || u=$(sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]*\).*/\2/p' \
        /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | grep -v security | head -n 1)
    echo "${u:-http://deb.debian.org/debian}"
}
mirror=${SYNFIN_MATRIX_MIRROR:-$(host_mirror)}

# What each root needs: the build (compiler, cmake, the release's Wireshark
# development files, libpcap/libnftables for the injector), the tests
# (tshark, the GUI, python3, Xvfb and the tools gui_smoke.sh uses), the
# package test (man-db) and the .deb build (dpkg-dev, file for CPack).
ROOT_PACKAGES="gcc libc6-dev cmake ninja-build pkg-config make
libwireshark-dev libwiretap-dev libglib2.0-dev libpcap-dev libnftables-dev
tshark wireshark-common wireshark
python3 time iproute2 procps file xz-utils adduser
xvfb xauth xdotool imagemagick
man-db groff-base dpkg-dev"
# bookworm only installs the host-built .deb: tshark, the GUI and man-db.
BOOKWORM_PACKAGES="tshark wireshark-common wireshark-qt man-db groff-base"

mounted=()      # mount points, innermost last
cleanup() {
    local i
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
        umount -l "${mounted[$i]}" 2>/dev/null || true
    done
    mounted=()
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM HUP

mnt() {   # mount ARGS... TARGET
    local target=${*: -1}
    mount "$@" || return 1
    mounted+=("$target")
}

mount_root() {   # DIR: /proc, /dev, /dev/pts, /sys, /dev/shm, source
    local r=$1
    mnt -t proc proc "$r/proc" &&
    mnt --bind /dev "$r/dev" &&
    mnt -t devpts -o newinstance,ptmxmode=0666 devpts "$r/dev/pts" &&
    mnt -t sysfs sysfs "$r/sys" &&
    mnt -t tmpfs -o mode=1777 tmpfs "$r/dev/shm"
}

mount_src() {   # DIR: the source (and the shared folder) read-only at the same paths
    local r=$1 d
    for d in "$root" ${shared:+"$shared"}; do
        mkdir -p "$r$d"
        mnt --bind "$d" "$r$d" && mount -o remount,bind,ro "$r$d" || return 1
    done
    # ../shared as seen from the source (a symlink on the host)
    if [ -n "$shared" ] && [ ! -e "$r$root/../shared" ]; then
        :
    fi
}

# safe_rm DIR: remove a root, never through a mount (a bind-mounted /dev!):
# anything still mounted below DIR (a killed earlier run) is unmounted first.
safe_rm() {
    local d m
    d=$(readlink -f "$1") || return 0
    [ -e "$d" ] || return 0
    case "$d" in "$cache"/*) ;; *) die "refusing to remove $d (not under $cache)" ;; esac
    for m in $(awk -v d="$d" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/mounts | sort -r); do
        umount -l "$m" 2>/dev/null || true
    done
    if awk -v d="$d" '$2 == d || index($2, d "/") == 1 { f = 1 } END { exit !f }' /proc/mounts; then
        die "$d still has mounts; not removing it"
    fi
    rm -rf --one-file-system "$d"
}

in_root() {   # DIR CMD...: run CMD in the root with a clean environment
    local r=$1; shift
    chroot "$r" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
        DEBIAN_FRONTEND=noninteractive "$@"
}

apt_opts() {   # SUITE
    local o="-q -y -o DPkg::Lock::Timeout=600 -o APT::Install-Recommends=false"
    [ "$1" = sid ] && o="$o -o Acquire::Check-Valid-Until=false"
    echo "$o"
}

pkgs_of() { if [ "$1" = bookworm ]; then echo $BOOKWORM_PACKAGES; else echo $ROOT_PACKAGES; fi; }

root_ok() {   # SUITE DIR
    local s=$1 r=$2
    [ -r "$r/.synfin-matrix-stamp" ] || return 1
    [ "$(cat "$r/.synfin-matrix-stamp")" = "$(pkgs_of "$s" | md5sum | cut -d' ' -f1)" ] || return 1
    chroot "$r" /usr/bin/tshark --version >/dev/null 2>&1 || return 1
    if [ "$s" != bookworm ]; then
        chroot "$r" /usr/bin/cmake --version >/dev/null 2>&1 || return 1
        chroot "$r" /usr/bin/pkg-config --modversion wireshark >/dev/null 2>&1 || return 1
    fi
}

# make_root SUITE: (re)create $cache/SUITE when missing or broken.
make_root() {
    local s=$1 r=$cache/$1 t0 opts
    if root_ok "$s" "$r"; then
        say "$s: cached root $r"
        return 0
    fi
    t0=$(date +%s)
    command -v debootstrap >/dev/null 2>&1 ||
        apt-get -q -y -o DPkg::Lock::Timeout=600 install --no-install-recommends debootstrap >/dev/null ||
        die "cannot install debootstrap"
    say "$s: creating root $r (debootstrap --variant=minbase $s $mirror)"
    safe_rm "$r.new"
    mkdir -p "$cache"
    if ! debootstrap --variant=minbase --include=adduser "$s" "$r.new" "$mirror" >"$cache/$s.debootstrap.log" 2>&1; then
        tail -n 5 "$cache/$s.debootstrap.log" >&2
        safe_rm "$r.new"; say "$s: debootstrap failed"; return 1
    fi
    opts=$(apt_opts "$s")
    # Non-root users may capture (as on the host, tools/setup.sh).
    mount_root "$r.new" || { cleanup; safe_rm "$r.new"; return 1; }
    echo "wireshark-common wireshark-common/install-setuid boolean true" | in_root "$r.new" debconf-set-selections
    # shellcheck disable=SC2046,SC2086
    if ! { in_root "$r.new" apt-get $opts update &&
           in_root "$r.new" apt-get $opts install $(pkgs_of "$s"); } >"$cache/$s.apt.log" 2>&1; then
        tail -n 5 "$cache/$s.apt.log" >&2
        cleanup; safe_rm "$r.new"; say "$s: installing the packages failed"; return 1
    fi
    in_root "$r.new" apt-get clean
    cleanup
    pkgs_of "$s" | md5sum | cut -d' ' -f1 > "$r.new/.synfin-matrix-stamp"
    safe_rm "$r"
    mv "$r.new" "$r"
    say "$s: root ready in $(( $(date +%s) - t0 )) s"
}

if [ "$roots_only" = 1 ]; then
    rc=0
    for s in "${releases[@]}"; do make_root "$s" || rc=1; done
    exit $rc
fi
