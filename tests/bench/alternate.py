#!/usr/bin/python3
"""alternate.py TURN_S PGID... - let process groups run in turns, one at a time.

Every group but one is stopped (SIGSTOP); every TURN_S seconds the running
group is stopped and the next one continued (SIGCONT), until every group
leader has exited. The benchmarks use it to time two tshark runs that share
one CPU: a virtual machine's speed drifts by several percent from one second
to the next, and two runs taking turns of a tenth of a second see the same
drift, while each turn is long enough that refilling the caches after the
other run costs next to nothing. CPU time is not counted while stopped.

A group counts as finished when its leader (pid = PGID) has exited: the
leader is the shell that waits for the group's other processes. On any exit
every group still present is continued, so nothing is left stopped; when
interrupted (SIGINT, SIGTERM) it also ends them (SIGTERM), since their
timing means nothing any more. Prints the number of turns on stderr.
"""
import os
import signal
import sys
import time


def alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def send(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def main(argv):
    if len(argv) < 3:
        sys.exit("usage: alternate.py TURN_S PGID...")
    turn_s = float(argv[1])
    groups = [int(a) for a in argv[2:]]
    everyone = list(groups)

    interrupted = []

    def stop_here(signum, frame):
        interrupted.append(signum)
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop_here)
    signal.signal(signal.SIGINT, stop_here)
    turns = 0
    try:
        for g in groups[1:]:
            send(g, signal.SIGSTOP)
        current = 0
        while True:
            groups = [g for g in groups if alive(g)]
            if not groups:
                break
            current %= len(groups)
            for i, g in enumerate(groups):
                send(g, signal.SIGCONT if i == current else signal.SIGSTOP)
            time.sleep(turn_s)
            current += 1
            turns += 1
    finally:
        for g in everyone:
            if interrupted:
                send(g, signal.SIGTERM)
            send(g, signal.SIGCONT)
    print("alternate: %d turns" % turns, file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv)
