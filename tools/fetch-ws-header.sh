#!/bin/sh
# fetch-ws-header.sh [--quiet] FALLBACK_CACHE_DIR
#
# Debian's libwireshark-dev does not ship epan/sequence_analysis.h (the Flow
# Graph API that libwireshark exports: register_seq_analysis() and friends),
# nor wsutil/file_util.h, which it includes.  This script obtains exactly
# those headers for the installed libwireshark from Debian's wireshark source
# package of the same version, and caches them outside the repository:
#
#   /var/cache/synfin/wireshark-<debian version>/   when it exists or can be made,
#   FALLBACK_CACHE_DIR/wireshark-<debian version>/  otherwise (the build tree).
#
# A cache that holds the headers for the installed version is used as it is
# (no network, no root).  Otherwise the source package is downloaded with
# `apt-get source --download-only wireshark=<installed version>` into a
# temporary directory (works as any user when a deb-src entry is configured
# and `apt-get update` has run: tools/setup.sh does both), only the needed
# headers are taken out of the upstream tarball (Debian's patches are applied
# when one of them touches these headers), and the temporary files are
# removed.  Version check: the .dsc's Version must be the installed
# libwireshark-dev version, and headers that Debian does ship (epan/tap.h,
# epan/address.h, epan/packet_info.h) must be byte-identical in the source.
#
# Output (stdout), on success (exit 0):
#   SYNFIN_WS_HEADER_DIR=<dir to add to the include path>
#   SYNFIN_WS_HEADER_VERSION=<Debian version>
# On failure: exit 1, and the last line on stderr is the reason.
set -eu

quiet=0
if [ "${1:-}" = "--quiet" ]; then quiet=1; shift; fi
if [ $# -ne 1 ]; then
    echo "usage: $0 [--quiet] FALLBACK_CACHE_DIR" >&2
    exit 2
fi
fallback=$1

say() { [ "$quiet" = 1 ] || echo "fetch-ws-header: $*" >&2; }
die() { echo "fetch-ws-header: $*" >&2; exit 1; }

# Headers we need from the source, and shipped headers that prove the source
# is the installed one.
NEEDED="epan/sequence_analysis.h"
PROBES="epan/tap.h epan/address.h epan/packet_info.h"
SYSINC=$(pkg-config --variable=includedir wireshark 2>/dev/null || true)
[ -n "$SYSINC" ] && SYSINC=$SYSINC/wireshark
[ -n "$SYSINC" ] && [ -d "$SYSINC/epan" ] || SYSINC=/usr/include/wireshark
[ -r "$SYSINC/epan/tap.h" ] || die "no Wireshark headers in $SYSINC (libwireshark-dev not installed)"

debver=$(dpkg-query -W -f '${Version}' libwireshark-dev 2>/dev/null || true)
[ -n "$debver" ] || die "libwireshark-dev is not installed as a Debian package (no version to fetch)"
upver=$(pkg-config --modversion wireshark 2>/dev/null || true)
# The upstream part of the Debian version (no epoch, no revision).
debup=${debver#*:}
debup=${debup%-*}
[ -z "$upver" ] || [ "$upver" = "$debup" ] ||
    die "pkg-config says Wireshark $upver but libwireshark-dev is $debver"

name=wireshark-$debver
sys_cache=/var/cache/synfin/$name
fb_cache=$fallback/$name

cache_ok() {   # DIR: holds the headers for this version
    [ -r "$1/VERSION" ] && [ "$(cat "$1/VERSION")" = "$debver" ] &&
        [ -r "$1/include/epan/sequence_analysis.h" ]
}

for d in "$sys_cache" "$fb_cache"; do
    if cache_ok "$d"; then
        say "cached: $d"
        echo "SYNFIN_WS_HEADER_DIR=$d/include"
        echo "SYNFIN_WS_HEADER_VERSION=$debver"
        exit 0
    fi
done

# Where the new cache goes.
if mkdir -p /var/cache/synfin 2>/dev/null && [ -w /var/cache/synfin ]; then
    dest=$sys_cache
else
    mkdir -p "$fallback" 2>/dev/null || die "cannot create $fallback"
    dest=$fb_cache
fi

command -v apt-get >/dev/null 2>&1 || die "no apt-get: cannot fetch the Debian source package"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/synfin-wssrc.XXXXXX") || die "cannot make a temporary directory"
trap 'rm -rf "$tmp"' EXIT INT TERM HUP

say "downloading Debian source package wireshark=$debver"
if ! (cd "$tmp" && apt-get source --download-only -q "wireshark=$debver") >"$tmp/apt.log" 2>&1; then
    tail -n 3 "$tmp/apt.log" >&2
    die "apt-get source wireshark=$debver failed (a deb-src entry and apt-get update are needed: tools/setup.sh)"
fi
dsc=$(ls "$tmp"/wireshark_*.dsc 2>/dev/null | head -n 1)
[ -n "$dsc" ] || die "no .dsc downloaded"
dscver=$(sed -n 's/^Version: *//p' "$dsc" | head -n 1)
[ "$dscver" = "$debver" ] || die "downloaded source is $dscver, installed is $debver"
orig=$(ls "$tmp"/wireshark_*.orig.tar.* 2>/dev/null | head -n 1)
[ -n "$orig" ] || die "no upstream tarball downloaded"
debtar=$(ls "$tmp"/wireshark_*.debian.tar.* 2>/dev/null | head -n 1)

src=$tmp/src
mkdir -p "$src"
# Extract FILE... (paths below the tarball's top directory) into $src.
extract() {
    pats=
    for _e in "$@"; do pats="$pats */$_e"; done
    # shellcheck disable=SC2086
    tar -xf "$orig" -C "$src" --strip-components=1 --wildcards $pats 2>/dev/null
}

# The needed headers, plus whatever they include (quoted) that Debian does
# not ship, recursively.
extract $NEEDED $PROBES || die "cannot extract $NEEDED $PROBES from $(basename "$orig")"
want=$NEEDED
done_list=
while [ -n "$want" ]; do
    next=
    for f in $want; do
        [ -r "$src/$f" ] || die "$f is not in $(basename "$orig")"
        done_list="$done_list $f"
        dir=${f%/*}
        for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$src/$f"); do
            # found next to the header or from the include root, as the compiler would
            for cand in "$dir/$inc" "$inc"; do
                if [ -r "$SYSINC/$cand" ]; then
                    continue 2
                fi
            done
            for cand in "$dir/$inc" "$inc"; do
                case " $done_list $next " in *" $cand "*) continue 2 ;; esac
                if [ -r "$src/$cand" ] || { extract "$cand" && [ -r "$src/$cand" ]; }; then
                    say "$f includes $inc, which Debian does not ship: taking $cand too"
                    next="$next $cand"
                    continue 2
                fi
            done
            die "$f includes \"$inc\", found neither in $SYSINC nor in the source"
        done
    done
    want=$next
done

# Debian's patches, when one touches a header we take.
if [ -n "$debtar" ]; then
    mkdir -p "$tmp/deb"
    tar -xf "$debtar" -C "$tmp/deb" debian/patches 2>/dev/null || true
    series=$tmp/deb/debian/patches/series
    if [ -r "$series" ]; then
        for p in $(sed -e 's/#.*//' "$series"); do
            pf=$tmp/deb/debian/patches/$p
            [ -r "$pf" ] || continue
            touches=0
            for f in $done_list $PROBES; do
                if grep -q "^+++ [^[:space:]]*/$f\([[:space:]]\|\$\)" "$pf"; then touches=1; fi
            done
            if [ "$touches" = 1 ]; then
                say "Debian patch $p touches the headers: unpacking the whole source"
                command -v dpkg-source >/dev/null 2>&1 || die "dpkg-source (dpkg-dev) is needed to apply $p"
                (cd "$tmp" && dpkg-source --no-check -x "$dsc" full) >"$tmp/dpkg-source.log" 2>&1 ||
                    die "dpkg-source -x failed"
                for f in $done_list; do cp "$tmp/full/$f" "$src/$f"; done
                src_probe=$tmp/full
                break
            fi
        done
    fi
fi

# Proof that this source is the installed version: shipped headers match.
src_probe=${src_probe:-$src}
for f in $PROBES; do
    cmp -s "$src_probe/$f" "$SYSINC/$f" ||
        die "$f of the source package differs from the installed $SYSINC/$f: not the installed version"
done

stage=$tmp/cache
mkdir -p "$stage/include"
for f in $done_list; do
    mkdir -p "$stage/include/${f%/*}"
    cp "$src/$f" "$stage/include/$f"
done
echo "$debver" > "$stage/VERSION"
{
    echo "Taken from Debian's source package wireshark $debver by tools/fetch-ws-header.sh"
    echo "upstream tarball: $(basename "$orig") sha256 $(sha256sum "$orig" | cut -d' ' -f1)"
    echo "files:$done_list"
} > "$stage/SOURCE"
chmod -R a+rX "$stage"

mkdir -p "${dest%/*}"
rm -rf "$dest.new.$$"
cp -R "$stage" "$dest.new.$$"
if ! mv -T "$dest.new.$$" "$dest" 2>/dev/null; then
    rm -rf "$dest.new.$$"
    cache_ok "$dest" || die "cannot write the cache $dest"
fi
say "cached in $dest:$done_list"
echo "SYNFIN_WS_HEADER_DIR=$dest/include"
echo "SYNFIN_WS_HEADER_VERSION=$debver"
