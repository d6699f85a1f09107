#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Small numeric helpers for bench/run.sh (python3 standard library only).

  helper.py stats            numbers on stdin -> "median min max"
  helper.py spawn N CMD...   runs CMD N times (stdout/stderr to /dev/null),
                             prints the wall time of each start in
                             microseconds, one per line; exit 1 if a run fails
  helper.py ratio A B        A / B with three decimals
  helper.py firstline N CMD... runs CMD N times with pipes, prints the wall
                             time from the start to its first output line
                             (a greeting) in microseconds, one per line; then
                             closes its stdin and waits; exit 1 if a first
                             line is not what a mail server greets with
"""
import os
import statistics
import subprocess
import sys
import time


def stats():
    xs = [float(x) for x in sys.stdin.read().split()]
    if not xs:
        print("nan nan nan")
        return 1
    print("%.3f %.3f %.3f" % (statistics.median(xs), min(xs), max(xs)))
    return 0


def spawn(n, cmd):
    dn = os.open(os.devnull, os.O_RDWR)
    for _ in range(n):
        t0 = time.perf_counter_ns()
        rc = subprocess.call(cmd, stdin=dn, stdout=dn, stderr=dn)
        t1 = time.perf_counter_ns()
        if rc != 0:
            print("spawn: %s exited %d" % (cmd[0], rc), file=sys.stderr)
            return 1
        print("%.1f" % ((t1 - t0) / 1000.0))
    return 0


def firstline(n, cmd):
    for _ in range(n):
        t0 = time.perf_counter_ns()
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        line = p.stdout.readline()
        t1 = time.perf_counter_ns()
        p.stdin.close()
        p.stdout.read()
        p.wait()
        if not (line.startswith(b"* PREAUTH") or line.startswith(b"* OK") or line.startswith(b"+OK")):
            print("firstline: %s said %r" % (cmd[0], line[:80]), file=sys.stderr)
            return 1
        print("%.1f" % ((t1 - t0) / 1000.0))
    return 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "stats":
        return stats()
    if len(argv) >= 4 and argv[1] == "spawn":
        return spawn(int(argv[2]), argv[3:])
    if len(argv) >= 4 and argv[1] == "firstline":
        return firstline(int(argv[2]), argv[3:])
    if len(argv) == 4 and argv[1] == "ratio":
        b = float(argv[3])
        print("%.3f" % (float(argv[2]) / b if b else float("nan")))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
