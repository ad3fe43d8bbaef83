# bench_bulk.inc.sh - sourced by bench_inject.sh after its per-exchange table
# (not run on its own): the "bulk and reuse" rows, in the same run.
#   (a) the same exchange against a server that closes first (its side keeps
#       TIME-WAIT): --count 1000 from synfin-inject (its own ports, RFC 6528
#       ISNs, --busy-poll 0 as in bench_inject.sh) and 1000 from kernel_client; goal: synfin-inject <= 1.3x the
#       kernel (medians of the per-exchange timers), every exchange complete;
#       the server and both clients pinned to CPU 0 (taskset);
#   (b) a 10 MB file from nginx (nginx-light, a config of its own in the temp
#       folder, HTTP/1.0): synfin-inject --save-reply, curl, and a kernel
#       socket client (python3: connect, send, read to EOF); whole-process
#       wall time, median of 5; goal: synfin-inject <= 10x the kernel client;
#       the bodies compared byte for byte;
#   (c) a 10 MB upload to the echo server (synfin-inject -d @FILE; the reply
#       is the 10 MB echoed back) vs the kernel socket client; information.
# Uses bench_inject.sh's TMP, PY, INJ, ECHO_BIN, ADDR, PAYLOAD, SERVER_PID,
# STRICT, fail(); its EXIT trap kills SERVER_PID and removes TMP.

restart_echo() {   # restart_echo MODE [CMD-PREFIX...]: sets BPORT
    local mode=$1; shift
    kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null
    rm -f "$TMP/port"
    "$@" "$ECHO_BIN" --mode "$mode" --port-file "$TMP/port" "$ADDR" 0 2>"$TMP/server.err" &
    SERVER_PID=$!
    for _ in $(seq 100); do [ -s "$TMP/port" ] && break; sleep 0.05; done
    [ -s "$TMP/port" ] || fail "echo server did not start"
    BPORT=$(cat "$TMP/port")
}

# (a) The server and both clients pinned to one CPU.  Each client is one
# process of 1000 exchanges, and a process that the scheduler happens to run
# on the other CPU than the server, waking one for every segment of the
# other (see bench_inject.sh, --busy-poll), would decide the whole row.
PIN=(taskset -c 0)
"${PIN[@]}" true 2>/dev/null || PIN=()
restart_echo close-first "${PIN[@]}"
"${PIN[@]}" "$TMP/kernel_client" "$ADDR" "$BPORT" 1000 "$PAYLOAD" 2>"$TMP/cf.kernel" || fail "kernel_client vs close-first failed"
"${PIN[@]}" "$INJ" -q --stats --reply-idle 0 --linger 0 --busy-poll 0 -d "$PAYLOAD" --count 1000 "$ADDR" "$BPORT" 2>"$TMP/cf.inject" ||
    fail "synfin-inject --count 1000 vs close-first failed: $(grep -v stats: "$TMP/cf.inject" | tail -3)"

# (b)
mkdir -p "$TMP/www" "$TMP/nginx"
head -c 10485760 /dev/urandom >"$TMP/www/big.bin"
chmod 755 "$TMP" "$TMP/www"
NGINX_PID=
if [ -x /usr/sbin/nginx ]; then
    NPORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    cat >"$TMP/nginx/nginx.conf" <<EOF_NG
daemon off; master_process off; pid $TMP/nginx/pid; error_log $TMP/nginx/error.log;
events { worker_connections 64; }
http { access_log off; client_body_temp_path $TMP/nginx/b; proxy_temp_path $TMP/nginx/p;
  fastcgi_temp_path $TMP/nginx/f; uwsgi_temp_path $TMP/nginx/u; scgi_temp_path $TMP/nginx/s;
  server { listen 127.0.0.1:$NPORT; root $TMP/www; } }
EOF_NG
    /usr/sbin/nginx -e "$TMP/nginx/error.log" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" &
    NGINX_PID=$!
    for _ in $(seq 100); do ss -Hltn "sport = :$NPORT" | grep -q LISTEN && break; sleep 0.05; done
fi
cat >"$TMP/kget.py" <<'EOF_PY'
import socket, sys, threading
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
def send():   # in a thread: an echo server's reply must be read while we send
    s.sendall(open(sys.argv[3], "rb").read())
    if sys.argv[5] == "shut":
        s.shutdown(socket.SHUT_WR)
threading.Thread(target=send, daemon=True).start()
with open(sys.argv[4], "wb") as out:
    while True:
        b = s.recv(1 << 20)
        if not b:
            break
        out.write(b)
EOF_PY
printf 'GET /big.bin HTTP/1.0\r\n\r\n' >"$TMP/req"
wall() {   # wall CMD...: 5 runs; WALL = the median in microseconds
    local i t0 t1
    : > "$TMP/w"
    for i in 1 2 3 4 5; do
        t0=$(date +%s%N)
        "$@" >/dev/null 2>"$TMP/w.err" || { echo "bench_inject.sh: failed: $* ($(tail -1 "$TMP/w.err"))" >&2; WALL=nan; return 1; }
        t1=$(date +%s%N)
        echo $(( (t1 - t0) / 1000 )) >> "$TMP/w"
    done
    WALL=$(sort -n "$TMP/w" | sed -n 3p)
}
B_INJ=nan B_CURL=nan B_KERN=nan B_SAME=no
if [ -n "$NGINX_PID" ]; then
    wall "$INJ" -q --save-reply "$TMP/b.inj" -d @"$TMP/req" "$ADDR" "$NPORT" && B_INJ=$WALL
    wall curl -s -o "$TMP/b.curl" "http://$ADDR:$NPORT/big.bin" && B_CURL=$WALL
    wall "$PY" "$TMP/kget.py" "$ADDR" "$NPORT" "$TMP/req" "$TMP/b.kern" keep && B_KERN=$WALL
    tail -c 10485760 "$TMP/b.inj" | cmp -s - "$TMP/www/big.bin" && cmp -s "$TMP/b.curl" "$TMP/www/big.bin" &&
        tail -c 10485760 "$TMP/b.kern" | cmp -s - "$TMP/www/big.bin" && B_SAME=yes
    kill "$NGINX_PID" 2>/dev/null; wait "$NGINX_PID" 2>/dev/null
fi

# (c)
restart_echo echo
C_INJ=nan C_KERN=nan C_SAME=no
wall "$INJ" -q --save-reply "$TMP/c.inj" -d @"$TMP/www/big.bin" "$ADDR" "$BPORT" && C_INJ=$WALL
wall "$PY" "$TMP/kget.py" "$ADDR" "$BPORT" "$TMP/www/big.bin" "$TMP/c.kern" shut && C_KERN=$WALL
cmp -s "$TMP/c.inj" "$TMP/www/big.bin" && cmp -s "$TMP/c.kern" "$TMP/www/big.bin" && C_SAME=yes

"$PY" - "$TMP" "$B_INJ" "$B_CURL" "$B_KERN" "$B_SAME" "$C_INJ" "$C_KERN" "$C_SAME" "$STRICT" <<'EOF_PY'
import math, re, statistics, sys
tmp, b_inj, b_curl, b_kern, b_same, c_inj, c_kern, c_same, strict = sys.argv[1:]
def stats(f):
    return [float(x) for x in re.findall(r"stats: stream [0-9]+: exchange ([0-9.]+) us", open(f).read())]
k, i = stats(tmp + "/cf.kernel"), stats(tmp + "/cf.inject")
ms = lambda x: "n/a" if x == "nan" else "%.1f ms" % (int(x) / 1e3)
ratio = lambda a, b: float("nan") if "nan" in (a, b) else int(a) / int(b)
print()
print("bulk and reuse (same run):")
print("%-60s %13s %10s %7s  %s" % ("case", "synfin-inject", "kernel", "ratio", "goal / check"))
ra = statistics.median(i) / statistics.median(k)
print("%-60s %10.1f us %7.1f us %7.2f  <= 1.3: %s; %d/1000 and %d/1000 complete" % (
    "(a) server closes first, --count 1000, median per exchange", statistics.median(i), statistics.median(k), ra,
    "met" if ra <= 1.3 else "NOT met", len(i), len(k)))
rb = ratio(b_inj, b_kern)
print("%-60s %13s %10s %7.2f  <= 10: %s; curl %s; bytes identical: %s" % (
    "(b) 10 MB from nginx, whole process, median of 5", ms(b_inj), ms(b_kern), rb,
    "met" if rb <= 10 else "NOT met", ms(b_curl), b_same))
rc = ratio(c_inj, c_kern)
print("%-60s %13s %10s %7.2f  information; echo identical: %s" % (
    "(c) 10 MB upload to the echo server, whole process, median of 5", ms(c_inj), ms(c_kern), rc, c_same))
ok = len(i) == 1000 and len(k) == 1000 and b_same == "yes" and c_same == "yes"
if not ok:
    print("bench_inject.sh: an exchange did not complete or bytes differ", file=sys.stderr)
sys.exit(1 if not ok else 3 if strict == "1" and not (ra <= 1.3 and rb <= 10) else 0)
EOF_PY
