#!/bin/bash
# bench_inject.sh - how long one whole TCP exchange takes with synfin-inject,
# with the kernel's own stack (tests/bench/kernel_client.c) and with Scapy
# doing it by hand (tests/bench/scapy_client.py), against the same fast C echo
# server on 127.0.0.1, in one run.
#
# usage: bench_inject.sh [--count N] [--rounds R] [--quick] [--strict] SYNFIN_INJECT [ECHO_SERVER]
#
#   --count N   exchanges per client (default 200), split over R rounds
#   --rounds R  rounds (default 5); in each round every client runs N/R
#               exchanges (+1 warm-up, not counted), the order of the three
#               clients rotating from round to round
#   --quick     N=6, R=2: only proves the script works (ctest bench.inject_smoke)
#   --strict    exit 3 when a goal is missed
#   ECHO_SERVER the project's echo server (tests/injector/echo_server.c, built
#               as synfin-echo-server); compiled here with $CC when not given
#
# The exchange, the same for all three (13-byte payload, client closes first),
# 9 segments:
#   SYN -> SYN-ACK -> ACK -> data (PSH) -> server ACK [+] echo
#   -> FIN+ACK (acknowledges the echo) -> server FIN+ACK -> ACK
# The reply counts as complete at its first data: the kernel client does one
# recv() and then shutdown(SHUT_WR); synfin-inject runs with --reply-idle 0;
# Scapy sends its FIN after the first echo segment.  None of them sends a
# separate pure ACK of the echo: its ACK rides on the FIN (delayed ACK,
# RFC 1122 4.2.3.2).
#
# What the kernel really sends (tcpdump -i lo -U -w on the server port,
# Linux 6.18, 50 exchanges each way): left alone, kernel_client sent 10
# segments per exchange, with a pure ACK of the echo 3 us after it in 50 of
# 50 exchanges and then its FIN (seq 14, ack 14) -- the first data segment a
# Linux socket receives is acknowledged at once (quick-ACK mode,
# tcp_event_data_recv), so the delayed ACK never got the chance to ride on
# the FIN.  kernel_client therefore sets TCP_QUICKACK to 0 after connect():
# the ACK of the echo is delayed and the FIN of shutdown(SHUT_WR) carries it,
# 9 segments, FIN seq 14 ack 14 and no pure ACK in 50 of 50 exchanges.
#
# synfin-inject runs with --busy-poll 0: the server is a process on this
# host, and a client spinning on its capture ring keeps its CPU busy, so the
# scheduler often runs the server on the other CPU and wakes it there for
# every segment (2-vCPU guest: 21-23 or 31-36 us per exchange, at random per
# process); sleeping in poll() keeps both on one CPU, as with the kernel
# client (README, "synfin-inject: time per exchange").
#
# Each client times every exchange itself with a monotonic clock, from just before the SYN to just
# after the last ACK (process start, socket/rule set-up between exchanges and
# synfin-inject's TIME_WAIT linger are outside the timer), and prints one
# "stats: stream I: exchange US us" line per exchange (synfin-inject --stats).
#
# RST suppression on loopback (shared/reference/injector-anchors.md §3-§4):
# synfin-inject uses its own --rst-guard (nft owner table, default); for
# Scapy this script creates the nft table inet synfin_bench_inj_<pid>, one
# prerouting/raw rule dropping 127.0.0.1:<server port> -> 127.0.0.1:<Scapy's
# ports 20000-29999> before TCP sees it (AF_PACKET still captures it), and
# deletes it on every exit (trap EXIT INT TERM HUP).
#
# Unless --quick, tests/bench/bench_bulk.inc.sh then adds three rows in the
# same run: (a) a server that closes first, --count 1000 vs the kernel client;
# (b) 10 MB from nginx vs curl and a kernel client; (c) 10 MB upload.
#
# Needs root (raw sockets, AF_PACKET, nft) and /usr/bin/python3 with Scapy
# (Debian python3-scapy).  Without root or without Scapy: exit 77 (skipped).
# Loopback only.
set -u

N=200
ROUNDS=5
STRICT=0
while [ $# -gt 0 ]; do
    case "$1" in
        --count) N=$2; shift 2 ;;
        --rounds) ROUNDS=$2; shift 2 ;;
        --quick) N=6; ROUNDS=2; shift ;;
        --strict) STRICT=1; shift ;;
        -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        --) shift; break ;;
        -*) echo "bench_inject.sh: unknown option $1" >&2; exit 2 ;;
        *) break ;;
    esac
done
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: bench_inject.sh [--count N] [--rounds R] [--quick] [--strict] SYNFIN_INJECT [ECHO_SERVER]" >&2
    exit 2
fi
case "$N$ROUNDS" in *[!0-9]*) echo "bench_inject.sh: --count and --rounds take numbers" >&2; exit 2 ;; esac
if [ "$N" -lt 1 ] || [ "$ROUNDS" -lt 1 ] || [ "$ROUNDS" -gt "$N" ]; then
    echo "bench_inject.sh: need 1 <= --rounds <= --count" >&2
    exit 2
fi
INJ=$(realpath "$1")
ECHO_BIN=${2:-}
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
CC=${CC:-cc}
ADDR=127.0.0.1
PAYLOAD='hello, world!'          # 13 bytes, as in the anchors' measurements
SCAPY_FIRST=20000 SCAPY_LAST=29999   # below the kernel's ephemeral range; synfin-inject picks 61000+
TABLE=synfin_bench_inj_$$

if [ "$(id -u)" != 0 ]; then
    echo "bench_inject.sh: needs root (raw sockets, AF_PACKET, nft); skipped" >&2
    exit 77
fi
if ! "$PY" -c 'import scapy.all' 2>/dev/null; then
    echo "bench_inject.sh: $PY has no Scapy (apt-get install python3-scapy); skipped" >&2
    exit 77
fi
[ -x "$INJ" ] || { echo "bench_inject.sh: $INJ is not executable" >&2; exit 2; }

TMP=$(mktemp -d /tmp/synfin-bench-inj.XXXXXX)
SERVER_PID=
TABLE_MADE=0
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    [ "$TABLE_MADE" = 1 ] && nft delete table inet "$TABLE" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

fail() { echo "bench_inject.sh: $*" >&2; exit 1; }

# --- the programs --------------------------------------------------------
"$CC" -O2 -Wall -o "$TMP/kernel_client" "$HERE/kernel_client.c" || fail "cannot build kernel_client.c"
if [ -z "$ECHO_BIN" ]; then
    ECHO_BIN=$TMP/echo_server
    "$CC" -O2 -Wall -o "$ECHO_BIN" "$SRC/tests/injector/echo_server.c" || fail "cannot build echo_server.c"
fi

# --- the server: sequential C echo server, echo until EOF, then close ----
"$ECHO_BIN" --port-file "$TMP/port" "$ADDR" 0 2>"$TMP/server.err" &
SERVER_PID=$!
for _ in $(seq 100); do [ -s "$TMP/port" ] && break; sleep 0.05; done
[ -s "$TMP/port" ] || fail "echo server did not start: $(cat "$TMP/server.err")"
PORT=$(cat "$TMP/port")

# --- RST suppression for Scapy's ports, scoped to this server port ------
nft -f - <<EOF || fail "cannot create nft table inet $TABLE"
table inet $TABLE {
    chain pre {
        type filter hook prerouting priority raw; policy accept;
        ip saddr $ADDR ip daddr $ADDR tcp sport $PORT tcp dport $SCAPY_FIRST-$SCAPY_LAST drop comment "bench_inject.sh: Scapy's flows"
    }
}
EOF
TABLE_MADE=1

# --- the rounds ----------------------------------------------------------
# Each client's run does 1 + n exchanges; the first (stream 0) is a warm-up
# (page faults, first nft rule, Python's first dissection) and is not counted.
: > "$TMP/kernel.txt"; : > "$TMP/inject.txt"; : > "$TMP/scapy.txt"
scapy_off=0
run_client() {   # name n round
    local name=$1 n=$2 round=$3 log=$TMP/$1.$3.log rc=0 t0 t1
    t0=$(date +%s%N)
    case "$name" in
        kernel) "$TMP/kernel_client" "$ADDR" "$PORT" $((n + 1)) "$PAYLOAD" 2>"$log" || rc=$? ;;
        inject) "$INJ" -q --stats --reply-idle 0 --linger 0 --busy-poll 0 -d "$PAYLOAD" --count $((n + 1)) "$ADDR" "$PORT" 2>"$log" || rc=$? ;;
        scapy) "$PY" "$HERE/scapy_client.py" "$ADDR" "$PORT" $((n + 1)) "$PAYLOAD" \
                   $SCAPY_FIRST $SCAPY_LAST $scapy_off 2>"$log" || rc=$?
               scapy_off=$((scapy_off + n + 1)) ;;
    esac
    t1=$(date +%s%N)
    if [ $rc != 0 ]; then
        echo "bench_inject.sh: $name failed in round $round (exit $rc):" >&2
        grep -v ': stats: ' "$log" | tail -5 >&2
        exit 1
    fi
    # "stats: stream I: exchange US us, ..., reply M bytes"; stream 0 is the warm-up
    sed -n 's/.*: stats: stream \([0-9]*\): exchange \([0-9.]*\) us,.* reply \([0-9]*\) bytes$/\1 \2 \3/p' "$log" |
        awk -v r="$round" -v len=${#PAYLOAD} -v name="$name" '
            $3 != len { print "bench_inject.sh: " name " stream " $1 ": reply " $3 " bytes" > "/dev/stderr"; bad = 1 }
            $1 > 0 { print r, $2 }
            END { exit bad }' >> "$TMP/$name.txt" || exit 1
    echo "$round $(( (t1 - t0) / 1000 )) $((n + 1))" >> "$TMP/$name.wall"
}

per=$((N / ROUNDS)) extra=$((N % ROUNDS))
clients=(kernel inject scapy)
for ((r = 0; r < ROUNDS; r++)); do
    n=$per; [ $r -lt $extra ] && n=$((n + 1))
    for ((k = 0; k < 3; k++)); do
        run_client "${clients[$(( (r + k) % 3 ))]}" $n $r
    done
done

# --- figures -------------------------------------------------------------
"$PY" - "$TMP" "$N" "$ROUNDS" "$PORT" "$STRICT" <<'EOF'
import os, statistics, sys
tmp, n, rounds, port, strict = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5] == "1"
names = [("kernel", "kernel client (connect/send/recv/shutdown/read/close)"),
         ("inject", "synfin-inject (raw socket + libpcap)"),
         ("scapy", "Scapy 2.5 (persistent raw + AF_PACKET sockets)")]

def pct(v, q):   # nearest-rank percentile
    v = sorted(v)
    return v[min(len(v) - 1, max(0, int(q * len(v) + 0.999999) - 1))]

res = {}
for key, _ in names:
    samples = []
    for line in open(os.path.join(tmp, key + ".txt")):
        r, us = line.split()
        samples.append((int(r), float(us)))
    if len(samples) != n:
        sys.exit("bench_inject.sh: %s: %d exchanges timed, expected %d" % (key, len(samples), n))
    v = [us for _, us in samples]
    # the anchors' method: batches of 20 consecutive exchanges, median of each, median of those
    batches = []
    for r in range(rounds):
        rv = [us for rr, us in samples if rr == r]
        chunks = [rv[i:i + 20] for i in range(0, len(rv), 20)]
        if len(chunks) > 1 and len(chunks[-1]) < 10:   # a short tail joins the batch before it
            chunks[-2] += chunks.pop()
        batches += [statistics.median(b) for b in chunks]
    walls = [line.split() for line in open(os.path.join(tmp, key + ".wall"))]
    wall = sum(int(w[1]) for w in walls) / sum(int(w[2]) for w in walls)
    res[key] = dict(med=statistics.median(v), p90=pct(v, 0.9), mn=min(v), bm=statistics.median(batches),
                    blo=min(batches), bhi=max(batches), nb=len(batches), wall=wall)

print("synfin-inject benchmark: %d exchanges per client in %d interleaved rounds (+1 warm-up per run), "
      "C echo server 127.0.0.1:%s, 13-byte payload, %d CPUs, load %s"
      % (n, rounds, port, os.cpu_count(), " ".join(open("/proc/loadavg").read().split()[:3])))
print("per exchange, from just before the SYN to just after the last ACK, microseconds:")
print("%-54s %8s %8s %8s  %-28s %s" % ("client", "median", "p90", "min", "batch medians: median [range]",
                                       "wall/exch*"))
for key, label in names:
    x = res[key]
    b = "%.1f [%.1f-%.1f, %d]" % (x["bm"], x["blo"], x["bhi"], x["nb"])
    print("%-54s %8.1f %8.1f %8.1f  %-28s %7.2f ms" % (label, x["med"], x["p90"], x["mn"], b, x["wall"] / 1e3))
print("* whole process time / exchanges: includes process start, the warm-up exchange and the set-up")
print("  between exchanges (synfin-inject: nft table, capture filter and RST-guard rule once per run,")
print("  a source-port bind per exchange); information only")
r1 = res["inject"]["med"] / res["kernel"]["med"]
r2 = res["scapy"]["med"] / res["inject"]["med"]
g1, g2 = r1 <= 1.3, r2 >= 10
print("ratio synfin-inject/kernel (medians): %.2f   goal <= 1.3: %s" % (r1, "met" if g1 else "NOT met"))
print("ratio scapy/synfin-inject (medians):  %.1f   goal >= 10:  %s" % (r2, "met" if g2 else "NOT met"))
print("ratio synfin-inject/kernel (p90): %.2f; scapy/synfin-inject (p90): %.1f"
      % (res["inject"]["p90"] / res["kernel"]["p90"], res["scapy"]["p90"] / res["inject"]["p90"]))
sys.exit(3 if strict and not (g1 and g2) else 0)
EOF
main_rc=$?
# --quick (the smoke test) stops here; otherwise the bulk and reuse rows
[ "$N" -le 6 ] && exit $main_rc
. "$HERE/bench_bulk.inc.sh"
bulk_rc=$?
[ $bulk_rc = 0 ] && exit $main_rc
exit $bulk_rc
