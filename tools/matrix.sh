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
# Usage (as root): tools/matrix.sh [--roots-only | --bench] [RELEASE...]
#   RELEASE: bookworm, trixie, sid, fresh (default: all four; fresh = the
#            quick start in a fresh Debian 13 root, see fresh_check)
#   --roots-only  create/refresh the cached roots, nothing else
#   --bench       the plugin benchmark per release instead of the tests
#                 (bookworm trixie sid; SYNFIN_BENCH_REPS, _CONNECTIONS)
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
bench=0
releases=()
for a in "$@"; do
    case "$a" in
        --roots-only) roots_only=1 ;;
        --bench) bench=1 ;;
        bookworm|trixie|sid|fresh) releases+=("$a") ;;
        *) die "unknown argument: $a (releases: bookworm trixie sid fresh; --roots-only, --bench)" ;;
    esac
done
if [ ${#releases[@]} -eq 0 ]; then
    if [ "$bench" = 1 ]; then releases=(bookworm trixie sid); else releases=(bookworm trixie sid fresh); fi
fi

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

# --bench: tests/bench/bench_plugin.sh on every release, on one capture
# generated once ($cache/bench.pcap: SYNFIN_BENCH_CONNECTIONS connections,
# default 30000 = about 390,000 segments), SYNFIN_BENCH_REPS repetitions
# (default 3; a repetition is a pair of runs on each CPU). 4.0 runs on the
# host (the reference tree $host_build; the bookworm root has no build),
# 4.4 and 4.6 in their roots with the plugin their matrix build made (run
# the matrix first). Then tests/bench/bench_cg.sh (instructions and cache
# misses per segment, valgrind's cachegrind; three runs of each command,
# medians) on its own smaller capture;
# valgrind is installed into a root that lacks it (the roots' package list,
# and so their stamp, stays as the tests need it). Not a test: it prints
# the per-release tables (README, "Speed and memory", "Counted per
# segment").
# root_valgrind SUITE DIR: valgrind in the root, installed when missing
# (from the root's package lists, else after an apt-get update).
root_valgrind() {
    local s=$1 r=$2
    in_root "$r" sh -c 'command -v valgrind' >/dev/null && return 0
    say "bench: installing valgrind into the $s root"
    # shellcheck disable=SC2046
    { in_root "$r" apt-get $(apt_opts "$s") install valgrind ||
      { in_root "$r" apt-get $(apt_opts "$s") update &&
        in_root "$r" apt-get $(apt_opts "$s") install valgrind; }; } >"$cache/$s.valgrind.log" 2>&1
}
if [ "$bench" = 1 ]; then
    bcap=$cache/bench-${SYNFIN_BENCH_CONNECTIONS:-30000}.pcap
    breps=${SYNFIN_BENCH_REPS:-3}
    if [ ! -s "$bcap" ]; then
        say "bench: generating $bcap"
        python3 "$root/tests/bench/gen_capture.py" --connections "${SYNFIN_BENCH_CONNECTIONS:-30000}" "$bcap.new" &&
            mv "$bcap.new" "$bcap" || die "cannot generate the benchmark capture"
    fi
    brc=0
    for s in "${releases[@]}"; do
        t0=$(date +%s)
        case "$s" in
            bookworm)
                so=$host_build/plugin/synfin.so
                [ -r "$so" ] || { say "bench: no $so (build the host tree)"; brc=1; continue; }
                say "bench: Wireshark $(tshark --version | sed -n '1s/^TShark (Wireshark) \([^ ]*\).*/\1/p') (host, Debian 12)"
                "$root/tests/bench/bench_plugin.sh" --reps "$breps" --capture "$bcap" "$so" 2>&1 |
                    tee "$cache/bookworm.bench.log" | grep -v '^\.*$' || brc=1
                "$root/tests/bench/bench_cg.sh" "$so" 2>&1 | tee "$cache/bookworm.bench-cg.log" || brc=1 ;;
            trixie|sid)
                r=$cache/$s
                [ -r "$r/build/plugin/synfin.so" ] || { say "bench: no $r/build/plugin/synfin.so (run tools/matrix.sh $s first)"; brc=1; continue; }
                mount_root "$r" && mount_src "$r" || { cleanup; brc=1; continue; }
                cp "$bcap" "$r/tmp/bench.pcap"
                say "bench: Wireshark $(chroot "$r" dpkg-query -W -f '${Version}' tshark) ($s root)"
                in_root "$r" "$root/tests/bench/bench_plugin.sh" --reps "$breps" --capture /tmp/bench.pcap \
                    /build/plugin/synfin.so 2>&1 | tee "$cache/$s.bench.log" | grep -v '^\.*$' || brc=1
                rm -f "$r/tmp/bench.pcap"
                if root_valgrind "$s" "$r"; then
                    in_root "$r" "$root/tests/bench/bench_cg.sh" /build/plugin/synfin.so 2>&1 |
                        tee "$cache/$s.bench-cg.log" || brc=1
                else
                    say "bench: no valgrind in the $s root ($cache/$s.valgrind.log)"; brc=1
                fi
                cleanup ;;
            *) continue ;;
        esac
        say "bench: $s took $(( $(date +%s) - t0 )) s"
    done
    exit $brc
fi

# The tests each release runs, chosen by family (test-name prefix) and
# label, not by name, so tests added to a family run here too: every unit,
# zeek, plugin, consistency, Lua, statistics (summary) and profile test,
# except those labelled gui/injector/live/demo/bench (network namespaces,
# firewall rules, live capture, X: the host runs them; the GUI smoke below
# runs on 4.6) and, by name pattern, the long sweeps over the shared
# capture folder (*shared*), fuzzing (*fuzz*, except the corpus replay in
# unit.*), the million-SYN flood (*syn_flood*) and live runs (*live*): the
# host's reference trees run those.
TESTS='^(unit|zeek|plugin|consistency|lua|summary|profile)\.'
TESTS_EXCLUDE_LABELS='^(gui|injector|live|demo|bench)$'
TESTS_EXCLUDE='shared|^consistency\.fuzz|^fuzz\.|syn_flood|live'
# The GUI smoke test (4.6 only), under Xvfb: the capture-file one.
GUI_TESTS='^gui\.file$'

summary=()
rc_all=0
note() { summary+=("$1"); }

# deb_check SUITE DIR DEB: install DEB into the root with apt, check it, purge it.
deb_check() {
    local s=$1 r=$2 deb=$3 base ok=1 out
    base=$(basename "$deb")
    cp "$deb" "$r/tmp/$base"
    # shellcheck disable=SC2046
    if ! in_root "$r" apt-get $(apt_opts "$s") install "/tmp/$base" >"$cache/$s.deb.log" 2>&1; then
        say "$s: apt-get install $base failed:"; tail -n 5 "$cache/$s.deb.log" >&2; rm -f "$r/tmp/$base"; return 1
    fi
    out=$(in_root "$r" tshark -G plugins 2>/dev/null | grep '^synfin\.so')
    case "$out" in
        *dissector*) say "$s: .deb: tshark -G plugins: $(echo "$out" | tr '\t' ' ')" ;;
        *) say "$s: .deb: synfin.so is not listed as a dissector by tshark -G plugins: '$out'"; ok=0 ;;
    esac
    # -C NAME fails ("Configuration Profile ... does not exist") without the
    # profile; with it, its colouring rules are applied to the capture.
    mkdir -p "$r/tmp/h" && cp "$root/captures/injected-marker.pcap" "$r/tmp/h/c.pcap"
    if in_root "$r" sh -c "HOME=/tmp/h tshark -C synfin -r /tmp/h/c.pcap -T fields -e synfin.label >/tmp/h/out 2>&1 && grep -q 'SYN 1/3' /tmp/h/out"; then
        say "$s: .deb: tshark -C synfin reads a capture with the installed profile and plugin"
    else
        say "$s: .deb: tshark -C synfin failed: $(head -c 300 "$r/tmp/h/out" 2>/dev/null)"; ok=0
    fi
    if [ -x "$r/usr/bin/wireshark" ]; then
        deb_gui_check "$s" "$r" || ok=0
    else
        say "$s: .deb: no wireshark GUI in this root: wireshark -C synfin not checked"
    fi
    if in_root "$r" sh -c 'MANWIDTH=80 MANPAGER=cat man synfin-inject 2>&1 | tr -s " " | grep -q "synfin-inject - make one TCP client"'; then
        say "$s: .deb: man synfin-inject renders"
    else
        say "$s: .deb: man synfin-inject does not render"; ok=0
    fi
    in_root "$r" synfin-inject --help >/dev/null 2>&1 || { say "$s: .deb: synfin-inject --help failed"; ok=0; }
    # shellcheck disable=SC2046
    in_root "$r" apt-get $(apt_opts "$s") purge synfin >/dev/null 2>&1 || { say "$s: cannot purge synfin"; ok=0; }
    rm -rf "$r/tmp/$base" "$r/tmp/h"
    [ "$ok" = 1 ]
}

# deb_gui_check SUITE DIR: the GUI of the root, as uid 65534 with HOME=/tmp/h
# (the capture is /tmp/h/c.pcap), opens the capture with -C synfin: the main
# window appears, Wireshark prints no "does not exist" error, and it takes
# the installed global profile into the user's profiles folder. A run with
# -C of a profile nobody installed must print the error (the check can
# fail). Xvfb and xdotool are the host's: X displays are abstract sockets,
# shared with the root, so the roots need no X server. Holds
# /tmp/synfin-net.lock (Xvfb displays are shared with the other GUI tests).
deb_gui_check() {
    local s=$1 r=$2
    flock /tmp/synfin-net.lock bash -c '
        s=$1 r=$2 n= x= w= rc=1
        say() { printf "matrix: %s\n" "$*"; }
        for c in Xvfb xdotool; do command -v $c >/dev/null || { say "$s: .deb: $c missing on the host (tools/setup.sh)"; exit 1; }; done
        for i in $(seq 120 219); do
            [ -e /tmp/.X$i-lock ] || [ -e /tmp/.X11-unix/X$i ] && continue
            Xvfb :$i -screen 0 1280x800x24 -nolisten tcp -noreset >/dev/null 2>&1 & x=$!
            for j in $(seq 100); do DISPLAY=:$i xdotool getdisplaygeometry >/dev/null 2>&1 && { n=$i; break; }; sleep 0.05; done
            [ -n "$n" ] && break
            kill $x 2>/dev/null; wait $x 2>/dev/null; x=
        done
        [ -n "$n" ] || { say "$s: .deb: no Xvfb display"; exit 1; }
        export DISPLAY=:$n
        chown -R 65534:65534 "$r/tmp/h"
        run() { chroot "$r" /usr/bin/env -i HOME=/tmp/h PATH=/usr/bin:/bin LANG=C.UTF-8 DISPLAY=:$n \
                    XDG_RUNTIME_DIR=/tmp/h QT_QPA_PLATFORM=xcb setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
        # negative control: an uninstalled profile is refused
        timeout 60 bash -c "$(declare -f run); r=$r n=$n; run wireshark -C synfin-not-installed -r /tmp/h/c.pcap" >"$r/tmp/h/neg.log" 2>&1
        if ! grep -q "does not exist" "$r/tmp/h/neg.log"; then
            say "$s: .deb: wireshark -C synfin-not-installed did not report a missing profile: $(head -c 200 "$r/tmp/h/neg.log")"
        else
            run wireshark -C synfin -o gui.ask_unsaved:FALSE -r /tmp/h/c.pcap >"$r/tmp/h/gui.log" 2>&1 & w=$!
            if timeout 90 xdotool search --sync --onlyvisible --name "c.pcap" >/dev/null 2>&1; then
                sleep 2
                if grep -q "does not exist" "$r/tmp/h/gui.log"; then
                    say "$s: .deb: wireshark -C synfin: $(grep -m1 "does not exist" "$r/tmp/h/gui.log")"
                elif [ ! -r "$r/tmp/h/.config/wireshark/profiles/synfin/colorfilters" ]; then
                    say "$s: .deb: wireshark -C synfin opened the capture but did not take the synfin profile (no ~/.config/wireshark/profiles/synfin/colorfilters)"
                else
                    say "$s: .deb: wireshark -C synfin (Xvfb) opened the capture with the installed profile (the -C of an uninstalled profile is refused)"
                    rc=0
                fi
            else
                say "$s: .deb: wireshark -C synfin: no window within 90 s: $(head -c 300 "$r/tmp/h/gui.log")"
            fi
            kill -KILL $w 2>/dev/null; wait $w 2>/dev/null
        fi
        kill $x 2>/dev/null; wait $x 2>/dev/null
        exit $rc
    ' deb_gui_check "$s" "$r"
}

# deb_refused SUITE DIR DEB: apt must refuse DEB (built for another release).
deb_refused() {
    local s=$1 r=$2 deb=$3 base
    base=$(basename "$deb")
    cp "$deb" "$r/tmp/$base"
    # shellcheck disable=SC2046
    if in_root "$r" apt-get $(apt_opts "$s") --simulate install "/tmp/$base" >"$cache/$s.refuse.log" 2>&1; then
        rm -f "$r/tmp/$base"; return 1
    fi
    rm -f "$r/tmp/$base"
    say "$s: apt refuses $base: $(grep -m1 -i 'depends' "$cache/$s.refuse.log" | sed 's/^ *//')"
}

declare -A debs=()

run_release() {   # SUITE
    local s=$1 r=$cache/$1 want ver xy t0 st="ok" flow
    t0=$(date +%s)
    case "$s" in bookworm) want=4.0 ;; trixie) want=4.4 ;; sid) want=4.6 ;; esac
    make_root "$s" || { note "$s: FAILED (cannot make the root)"; rc_all=1; return; }
    ver=$(chroot "$r" dpkg-query -W -f '${Version}' tshark 2>/dev/null)
    xy=$(echo "$ver" | sed -n 's/^\([0-9]*:\)\{0,1\}\([0-9]*\.[0-9]*\)\..*/\2/p')
    if [ "$xy" != "$want" ]; then
        say "$s: Debian $s now ships Wireshark $ver, not $want.x: skipped (not a failure)"
        note "$s: skipped (Wireshark $ver is not $want.x)"
        return
    fi
    mount_root "$r" || { cleanup; note "$s: FAILED (mounts)"; rc_all=1; return; }
    if [ "$s" = bookworm ]; then
        # The host's Debian 12 trees are the reference; here only the .deb
        # built on the host (same release, same library package) is installed.
        local deb
        deb=$(ls "$host_build"/deb/synfin_*+ws4.0_*.deb 2>/dev/null | head -n 1)
        if [ -z "$deb" ]; then
            say "bookworm: no 4.0 .deb in $host_build/deb (cmake --build $host_build --target deb)"; st="FAILED"
        elif deb_check "$s" "$r" "$deb"; then
            debs[$s]=$deb
        else
            st="FAILED"
        fi
        cleanup
        note "bookworm: Wireshark $ver: .deb (built on the host) $st in $(( $(date +%s) - t0 )) s"
        [ "$st" = ok ] || rc_all=1
        return
    fi
    mount_src "$r" || { cleanup; note "$s: FAILED (source mount)"; rc_all=1; return; }
    # A synfin package left installed by an interrupted run (deb_check purges
    # it) would put a second synfin.so beside the tests' personal one.
    if chroot "$r" dpkg-query -W -f '${Status}' synfin 2>/dev/null | grep -q installed; then
        say "$s: purging the synfin package an interrupted run left installed"
        in_root "$r" apt-get $(apt_opts "$s") purge synfin >/dev/null 2>&1 ||
            { cleanup; note "$s: FAILED (cannot purge a left-over synfin package)"; rc_all=1; return; }
    fi
    say "$s: Wireshark $ver: configure and build in $r/build"
    # A build tree made from another source tree (another checkout) is
    # started again: CMake refuses to reuse it.
    if [ -r "$r/build/CMakeCache.txt" ] &&
       ! grep -qx "CMAKE_HOME_DIRECTORY:INTERNAL=$root" "$r/build/CMakeCache.txt"; then
        say "$s: $r/build was made from another source tree: starting it again"
        rm -rf --one-file-system "$r/build"
    fi
    if ! in_root "$r" sh -c "cmake -S '$root' -B /build -G Ninja -DSYNFIN_WERROR=ON >/build.cfg.log 2>&1 && cmake --build /build >/build.log 2>&1"; then
        say "$s: build failed:"; tail -n 20 "$r/build.cfg.log" "$r/build.log" >&2
        cleanup; note "$s: Wireshark $ver: FAILED (build)"; rc_all=1; return
    fi
    flow=$(grep -o 'native Flow Graph: .*' "$r/build.cfg.log" | head -n 1)
    say "$s: $flow"
    say "$s: tests (-R '$TESTS' -LE '$TESTS_EXCLUDE_LABELS' -E '$TESTS_EXCLUDE')"
    if ! in_root "$r" ctest --test-dir /build --output-on-failure -j "$jobs" -R "$TESTS" \
            -LE "$TESTS_EXCLUDE_LABELS" -E "$TESTS_EXCLUDE" >"$cache/$s.ctest.log" 2>&1; then
        st="FAILED"; grep -a -E 'tests passed|Failed|\*\*\*' "$cache/$s.ctest.log" | tail -n 15 >&2
    fi
    local counts
    counts=$(grep -a -o '[0-9]*% tests passed, [0-9]* tests failed out of [0-9]*' "$cache/$s.ctest.log")
    say "$s: $counts"
    if [ "$s" = sid ]; then
        # Xvfb displays are abstract sockets shared with the host: hold the lock.
        if flock /tmp/synfin-net.lock chroot "$r" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
               ctest --test-dir /build --output-on-failure -R "$GUI_TESTS" >"$cache/$s.gui.log" 2>&1 &&
           grep -aq '100% tests passed' "$cache/$s.gui.log"; then
            counts="$counts; GUI smoke passed"
        else
            st="FAILED"; counts="$counts; GUI smoke FAILED"; tail -n 20 "$cache/$s.gui.log" >&2
        fi
    fi
    # The .deb for this release, built and installed in its own root.
    if in_root "$r" sh -c "cmake --build /build --target deb >/build.deb.log 2>&1"; then
        local deb
        deb=$(ls "$r"/build/deb/synfin_*+ws"$want"_*.deb 2>/dev/null | head -n 1)
        if [ -n "$deb" ] && deb_check "$s" "$r" "$deb"; then
            debs[$s]=$deb; counts="$counts; .deb ok"
        else
            st="FAILED"; counts="$counts; .deb FAILED"
        fi
    else
        st="FAILED"; counts="$counts; .deb build FAILED"; tail -n 10 "$r/build.deb.log" >&2
    fi
    cleanup
    [ "$st" = ok ] || rc_all=1
    note "$s: Wireshark $ver: $st ($counts; ${flow:-Flow Graph ?}) in $(( $(date +%s) - t0 )) s"
}

# fresh_check: the README's quick start on a fresh Debian 13 host. A copy of
# a minimal trixie root (debootstrap --variant=minbase, nothing else; cached
# as $cache/trixie-base) runs tools/setup.sh, then configures, builds and
# runs, as a user would, the engine's and the expected-capture tests and the
# README's first command, tools/demo.sh, on a capture file and live in
# network namespaces (tests/demo/demo_test.py): ctest -R "$fresh_tests".
# Package downloads are kept between runs in $cache/trixie-fresh-archives (a
# download cache, like a proxy: the root itself starts empty every time).
# The copy is removed afterwards.
fresh_tests='unit|plugin.expected|^demo\.(file|netns)$'
fresh_check() {
    local base=$cache/trixie-base r=$cache/trixie-fresh t0 st=ok counts=""
    t0=$(date +%s)
    if [ ! -r "$base/.synfin-base-stamp" ] || ! chroot "$base" /bin/true 2>/dev/null; then
        say "fresh: creating the minimal trixie root $base (debootstrap --variant=minbase trixie $mirror)"
        safe_rm "$base.new"; safe_rm "$base"
        mkdir -p "$cache"
        if ! debootstrap --variant=minbase trixie "$base.new" "$mirror" >"$cache/trixie-base.debootstrap.log" 2>&1; then
            tail -n 5 "$cache/trixie-base.debootstrap.log" >&2; safe_rm "$base.new"
            note "fresh: FAILED (debootstrap)"; rc_all=1; return
        fi
        date -u > "$base.new/.synfin-base-stamp"
        mv "$base.new" "$base"
    fi
    safe_rm "$r"
    cp -a "$base" "$r" || { note "fresh: FAILED (copy of the base)"; rc_all=1; return; }
    rm -f "$r/.synfin-base-stamp"
    mkdir -p "$cache/trixie-fresh-archives/partial"
    # The root bound onto itself, so that its / is a mount point: `ip netns
    # exec` (demo.netns) remounts / as a slave and fails on a plain folder.
    if ! { mnt --bind "$r" "$r" && mount_root "$r" && mnt --bind "$cache/trixie-fresh-archives" "$r/var/cache/apt/archives" && mount_src "$r"; }; then
        cleanup; safe_rm "$r"; note "fresh: FAILED (mounts)"; rc_all=1; return
    fi
    say "fresh: tools/setup.sh in a fresh Debian 13 root"
    if ! in_root "$r" sh -c "cd '$root' && tools/setup.sh" >"$cache/fresh.setup.log" 2>&1; then
        tail -n 10 "$cache/fresh.setup.log" >&2; st="FAILED"; counts="tools/setup.sh failed"
    elif ! in_root "$r" sh -c "cd '$root' && cmake -S . -B /fbuild -G Ninja -DSYNFIN_WERROR=ON >/fbuild.cfg.log 2>&1 && cmake --build /fbuild >/fbuild.log 2>&1"; then
        tail -n 20 "$r/fbuild.cfg.log" "$r/fbuild.log" >&2; st="FAILED"; counts="build failed"
    else
        say "fresh: $(grep -o 'synfin: Wireshark [^;]*' "$r/fbuild.cfg.log" | head -n 1); $(grep -o 'native Flow Graph: [a-z]*' "$r/fbuild.cfg.log" | head -n 1)"
        in_root "$r" ctest --test-dir /fbuild --output-on-failure -j "$jobs" -R "$fresh_tests" >"$cache/fresh.ctest.log" 2>&1 || st="FAILED"
        counts=$(grep -a -o '[0-9]*% tests passed, [0-9]* tests failed out of [0-9]*' "$cache/fresh.ctest.log")
        [ -n "$counts" ] || { st="FAILED"; counts="no ctest summary"; }
        [ "$st" = ok ] || grep -a -E 'Failed|\*\*\*' "$cache/fresh.ctest.log" | tail -n 10 >&2
    fi
    cleanup
    safe_rm "$r"
    [ "$st" = ok ] || rc_all=1
    note "fresh Debian 13 (setup.sh, build, ctest -R '$fresh_tests'): $st ($counts) in $(( $(date +%s) - t0 )) s"
}

for s in "${releases[@]}"; do
    if [ "$s" = fresh ]; then fresh_check; else run_release "$s"; fi
done

# A .deb next to another Wireshark minor release is refused by apt: the 4.4
# .deb in the 4.6 root and the 4.0 .deb in the 4.4 root, on every run (also
# a run of some releases only: then the .deb of an earlier run is used, from
# the other root's build tree or the host's).
deb_of() {   # SUITE: this run's .deb, else the newest one built before
    local s=$1 d want
    [ -n "${debs[$s]:-}" ] && { echo "${debs[$s]}"; return; }
    case "$s" in bookworm) d=$host_build/deb want=4.0 ;; trixie) d=$cache/trixie/build/deb want=4.4 ;; sid) d=$cache/sid/build/deb want=4.6 ;; esac
    ls -t "$d"/synfin_*+ws"$want"_*.deb 2>/dev/null | head -n 1
}
cross_check() {   # FROM_SUITE INTO_SUITE
    local from=$1 into=$2 deb
    deb=$(deb_of "$from")
    if [ -z "$deb" ]; then
        note "cross-release: no $from .deb built yet: its refusal in $into is not checked (run tools/matrix.sh $from)"; rc_all=1; return
    fi
    if ! root_ok "$into" "$cache/$into"; then
        note "cross-release: no usable $into root: the $from .deb's refusal there is not checked"; rc_all=1; return
    fi
    if ! mount_root "$cache/$into"; then
        note "cross-release: cannot mount the $into root (in use by another run?): the $from .deb's refusal is not checked: FAILED"; rc_all=1
    elif deb_refused "$into" "$cache/$into" "$deb"; then
        note "cross-release: $(basename "$deb") is refused in the $into root: ok"
    else
        note "cross-release: $(basename "$deb") was NOT refused in the $into root: FAILED"; rc_all=1
    fi
    cleanup
}
cross_check trixie sid
cross_check bookworm trixie

say "summary:"
for l in "${summary[@]}"; do say "  $l"; done
say "wall time $(( $(date +%s) - start_all )) s"
exit $rc_all
