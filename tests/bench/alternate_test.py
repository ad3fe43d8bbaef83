#!/usr/bin/python3
"""alternate_test.py - alternate.py lets two process groups run in turns.

Two busy workers, each in its own process group, note the monotonic time
every millisecond or so while they burn 0.6 s of CPU; alternate.py runs
them with turns of 0.1 s. Expected, from what alternate.py promises:
  - both finish, each having used its 0.6 s of CPU (CPU time is not
    counted while stopped), and alternate.py exits 0 once both are gone;
  - they never run at the same moment: merged in time order, the notes
    form runs of one worker (a turn) that last about a turn each, rather
    than interleaving every millisecond (at least half the time is spent
    in runs of half a turn or more: a switch on a busy machine may leave
    a few millisecond-long runs around it);
  - the turns alternate, so there are at least 6 of them (1.2 s of work
    in turns of 0.1 s gives about 12) and at most 100 (run together, the
    two would switch about every millisecond), and none is far longer than
    a turn;
  - nothing is left stopped (both process groups are gone at the end);
  - interrupted (SIGTERM) while two long workers take turns, alternate.py
    exits with 128 + 15 and ends both groups: none is left, stopped or not.
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
WORK_S = 0.6
TURN_S = 0.1

WORKER = r"""
import os, sys, time
out = open(sys.argv[1], "w")
start = time.process_time()
last = 0.0
while time.process_time() - start < %f:
    now = time.monotonic()
    if now - last >= 0.001:
        out.write("%%.6f\n" %% now)
        last = now
out.close()
""" % WORK_S


def main():
    with tempfile.TemporaryDirectory() as tmp:
        procs = []
        for name in ("a", "b"):
            procs.append(subprocess.Popen([sys.executable, "-c", WORKER, os.path.join(tmp, name)],
                                          start_new_session=True))
        # one CPU for both, as the benchmarks pin them
        cpu = min(os.sched_getaffinity(0))
        for p in procs:
            os.sched_setaffinity(p.pid, {cpu})
        t0 = time.monotonic()
        ctl = subprocess.run([sys.executable, os.path.join(HERE, "alternate.py"), str(TURN_S)] +
                             [str(p.pid) for p in procs], capture_output=True, text=True, timeout=60)
        for p in procs:
            p.wait(timeout=10)
        wall = time.monotonic() - t0
        fail = []
        if ctl.returncode != 0:
            fail.append("alternate.py exited %d: %s" % (ctl.returncode, ctl.stderr.strip()))
        for p in procs:
            if p.returncode != 0:
                fail.append("worker %d exited %d" % (p.pid, p.returncode))
            try:
                os.killpg(p.pid, 0)
                fail.append("process group %d still exists" % p.pid)
            except ProcessLookupError:
                pass
        notes = []
        for name in ("a", "b"):
            with open(os.path.join(tmp, name)) as f:
                notes += [(float(line), name) for line in f if line.strip()]
        notes.sort()
        turns = []  # [who, first, last]
        for t, who in notes:
            if turns and turns[-1][0] == who:
                turns[-1][2] = t
            else:
                turns.append([who, t, t])
        longest = max((last - first for _, first, last in turns), default=0.0)
        print("wall %.2f s, %d notes, %d turns, longest %.3f s" % (wall, len(notes), len(turns), longest))
        if len(turns) < 6:
            fail.append("only %d turns: the two did not take turns" % len(turns))
        # run together, their notes would interleave every millisecond
        # (busy neighbours on a loaded machine stretch the work, not the turns)
        if len(turns) > 100:
            fail.append("%d turns: the two ran at the same time" % len(turns))
        # Most of the time is spent in whole turns.  Around a switch the two
        # may overlap for a few milliseconds (the stop reaches the old worker
        # when the CPU, shared with other jobs, next runs it), which leaves a
        # few very short runs of notes there; they count for their duration,
        # not as turns.
        inner = [last - first for _, first, last in turns[1:-1]]
        span = sum(inner)
        long_share = sum(d for d in inner if d >= TURN_S / 2) / span if span > 0 else 0.0
        if inner and long_share < 0.5:
            fail.append("only %.0f %% of the time in turns of %.2f s or more (turns are %.1f s)"
                        % (100 * long_share, TURN_S / 2, TURN_S))
        # each turn is TURN_S of the controller's sleep; allow scheduling slack
        if longest > 5 * TURN_S:
            fail.append("a turn of %.3f s (turns are %.1f s)" % (longest, TURN_S))
        # one CPU and no overlap: 1.2 s of work takes at least about 1.2 s
        if wall < 2 * WORK_S * 0.9:
            fail.append("both done in %.2f s: they ran at the same time" % wall)
        fail += interrupted()
        for msg in fail:
            print("FAIL: " + msg)
        return 1 if fail else 0


def stopped(pid):
    """True while pid is stopped (state T)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "T"
    except (OSError, IndexError):
        return False


def interrupted():
    """Two workers of 30 s each; alternate.py is sent SIGTERM while they take turns."""
    fail = []
    busy = "import time\nt = time.process_time()\nwhile time.process_time() - t < 30: pass\n"
    procs = [subprocess.Popen([sys.executable, "-c", busy], start_new_session=True) for _ in range(2)]
    ctl = subprocess.Popen([sys.executable, os.path.join(HERE, "alternate.py"), str(TURN_S)] +
                           [str(p.pid) for p in procs], stderr=subprocess.DEVNULL)
    # Interrupt it once it is at work (a worker stopped: its handlers are in
    # place by then); on a busy machine Python's start alone can take 0.5 s.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not any(stopped(p.pid) for p in procs):
        time.sleep(0.01)
    time.sleep(0.3)
    ctl.send_signal(signal.SIGTERM)
    try:
        rc = ctl.wait(timeout=10)
        if rc != 128 + signal.SIGTERM:
            fail.append("interrupted alternate.py exited %d, not %d" % (rc, 128 + signal.SIGTERM))
    except subprocess.TimeoutExpired:
        fail.append("alternate.py did not exit on SIGTERM")
        ctl.kill()
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            fail.append("worker %d still there 10 s after alternate.py was interrupted" % p.pid)
            os.killpg(p.pid, signal.SIGKILL)
            os.killpg(p.pid, signal.SIGCONT)
            p.wait()
    print("interrupted: alternate.py exited %s, workers %s" % (ctl.returncode, [p.returncode for p in procs]))
    return fail


if __name__ == "__main__":
    signal.alarm(120)
    sys.exit(main())
