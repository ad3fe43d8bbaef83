#!/bin/bash
# configure_unsupported.sh SOURCE_DIR CMAKE
#
# Configure against a Wireshark release synfin does not support: a fake
# pkg-config (the real one, except that `--modversion` reports 3.6.0, then
# 4.8.0, for wireshark) makes CMake see that release. Expected (issue 10,
# "Bad input"): configure exits non-zero and prints exactly one error line
# naming the release found and the supported ones (4.0, 4.4, 4.6); with
# -DSYNFIN_ALLOW_UNSUPPORTED_WIRESHARK=ON it goes on (exit 0) with a warning
# naming the release. Control: with the real pkg-config the same configure
# succeeds without that warning (so the check cannot pass by failing for
# another reason).
set -u
SRC=$1 CMAKE=${2:-cmake}
real=$(command -v pkg-config) || { echo "FAIL: no pkg-config"; exit 1; }
tmp=$(mktemp -d /tmp/synfin-cfgtest.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
rc=0
fail() { echo "FAIL: $*"; rc=1; }

fake() {   # VERSION: a pkg-config that reports VERSION for wireshark
    cat > "$tmp/pkg-config-$1" <<EOS
#!/bin/sh
case " \$* " in
    *" --modversion "*wireshark*) echo "$1"; exit 0 ;;
esac
exec "$real" "\$@"
EOS
    chmod +x "$tmp/pkg-config-$1"
    echo "$tmp/pkg-config-$1"
}

configure() {   # NAME PKGCONFIG EXTRA...: configure into $tmp/NAME, output in $tmp/NAME.log
    local name=$1 pc=$2; shift 2
    "$CMAKE" -S "$SRC" -B "$tmp/$name" -G Ninja -DPKG_CONFIG_EXECUTABLE="$pc" \
        -DSYNFIN_BUILD_INJECTOR=OFF -DSYNFIN_FLOW_GRAPH=OFF "$@" >"$tmp/$name.log" 2>&1
}

want_line() {   # VERSION: the one error line
    echo "synfin: found Wireshark $1, supported releases are 4.0, 4.4, 4.6 (-DSYNFIN_ALLOW_UNSUPPORTED_WIRESHARK=ON to try anyway)"
}

for v in 3.6.0 4.8.0; do
    pc=$(fake "$v")
    configure "refuse-$v" "$pc"; st=$?
    [ "$st" -ne 0 ] || fail "configure against Wireshark $v exited 0"
    n=$(grep -c 'synfin: found Wireshark' "$tmp/refuse-$v.log")
    line=$(grep 'synfin: found Wireshark' "$tmp/refuse-$v.log" | sed 's/^[[:space:]]*//')
    if [ "$n" != 1 ] || [ "$line" != "$(want_line "$v")" ]; then
        fail "Wireshark $v: expected the one line '$(want_line "$v")', got $n line(s):"; cat "$tmp/refuse-$v.log"
    else
        echo "ok: Wireshark $v refused (status $st): $line"
    fi
    # the error is the only one: nothing after it was configured
    if grep -q 'plugin installs to' "$tmp/refuse-$v.log"; then fail "Wireshark $v: configure went on after the error"; fi
    configure "allow-$v" "$pc" -DSYNFIN_ALLOW_UNSUPPORTED_WIRESHARK=ON; st=$?
    if [ "$st" -ne 0 ]; then
        fail "Wireshark $v with SYNFIN_ALLOW_UNSUPPORTED_WIRESHARK=ON: configure failed (status $st)"; tail -n 15 "$tmp/allow-$v.log"
    elif ! grep -q "Wireshark $v is not a supported release" "$tmp/allow-$v.log"; then
        fail "Wireshark $v with SYNFIN_ALLOW_UNSUPPORTED_WIRESHARK=ON: no warning naming the release"
    else
        echo "ok: Wireshark $v with SYNFIN_ALLOW_UNSUPPORTED_WIRESHARK=ON: configured, with the warning"
    fi
done

configure control "$real"; st=$?
if [ "$st" -ne 0 ]; then
    fail "control: configure with the real pkg-config failed (status $st)"; tail -n 15 "$tmp/control.log"
elif grep -q 'not a supported release\|synfin: found Wireshark' "$tmp/control.log"; then
    fail "control: the real Wireshark ($("$real" --modversion wireshark)) was called unsupported"
else
    echo "ok: control: Wireshark $("$real" --modversion wireshark) configures"
fi
[ $rc -eq 0 ] && echo "PASS"
exit $rc
