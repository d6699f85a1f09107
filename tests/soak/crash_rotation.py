#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""SIGKILL at random points of "sasl-oauth token --force" against strict
rotation (issue 13, defect 1).

Run by crash-rotation.sh inside a test bed (BED_IDP_URL, a configuration
for account "work" and a seeded cache in $XDG_STATE_HOME).  Each round
starts the forced refresh, kills it with SIGKILL after a random delay
between 0 and 1.3 times a normal run's length, then looks at what is left:

  corrupt       the cache file is not a complete cache (goal: 0)
  lost          the next "token --force" cannot refresh any more: the
                login is gone and a person must sign in again
  lost-before   ... and the provider's answer had not been sent when the
                kill came (inherent with strict rotation: the provider has
                rotated and nobody received the new refresh token)
  lost-after    ... although the answer had been sent (goal: 0)

The provider records when it sent each rotated answer (machine clock);
the kill's time is taken right before kill().  After a lost login the
cache is seeded again from the provider.  Prints one line per round with
-v, and the totals as "key=value" lines.
"""

import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.request

CLI = os.environ["CLI"]
URL = os.environ["BED_IDP_URL"]
STATE = os.path.join(os.environ["XDG_STATE_HOME"], "sasl-oauth")
CACHE = os.path.join(STATE, "work.json")
UPN = "alice@example.com"


def ctl(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(URL + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


def seed():
    t = ctl("POST", "/control/issue", {"upn": UPN})
    now = int(time.time())
    doc = {"format_version": 1, "account": "work", "access_token": t["access_token"],
           "refresh_token": t["refresh_token"], "token_type": "Bearer", "scope": t["scope"],
           "expires_at": now + int(t["expires_in"]), "obtained_at": now,
           "refresh_obtained_at": now, "rejected_at": 0}
    os.makedirs(STATE, mode=0o700, exist_ok=True)
    for f in os.listdir(STATE):
        if f.startswith("work.json"):
            os.unlink(os.path.join(STATE, f))
    fd = os.open(CACHE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, json.dumps(doc, indent=2).encode())
    os.close(fd)


def intact():
    """The cache is a complete cache: it parses and holds a refresh token."""
    try:
        with open(CACHE) as fh:
            d = json.load(fh)
    except (OSError, ValueError):
        return False
    return isinstance(d.get("refresh_token"), str) and d["refresh_token"] != ""


def run_forced():
    return subprocess.run([CLI, "token", "--force", "work"], stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    verbose = "-v" in sys.argv
    rng = random.Random(int(os.environ.get("SAO_CRASH_SEED", "13")))
    ctl("POST", "/control/config", {"rotation": "strict"})
    seed()
    # A normal run's length, for the range of kill points.
    t0 = time.monotonic()
    for _ in range(3):
        r = run_forced()
        if r.returncode != 0:
            sys.exit("a forced refresh without kill failed: %s" % r.stderr.decode(errors="replace"))
    normal = (time.monotonic() - t0) / 3
    counts = {"rounds": rounds, "killed": 0, "finished": 0, "corrupt": 0, "lost": 0,
              "lost_before": 0, "lost_after": 0, "answer_sent_before_kill": 0,
              "kept_aside": 0, "normal_run_ms": int(normal * 1000)}
    for i in range(rounds):
        sent_before = len(ctl("GET", "/control/stats")["refresh_sent"])
        delay = rng.uniform(0, normal * 1.3)
        p = subprocess.Popen([CLI, "token", "--force", "work"], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        killed_at = time.time()
        finished = p.poll() is not None
        if not finished:
            os.kill(p.pid, signal.SIGKILL)
        p.wait()
        counts["finished" if finished else "killed"] += 1
        sent = ctl("GET", "/control/stats")["refresh_sent"]
        new = sent[sent_before:] if len(sent) >= sent_before else sent
        after = any(t < killed_at for t, _ in new)
        if after and not finished:
            counts["answer_sent_before_kill"] += 1
        ok = intact()
        if not ok:
            counts["corrupt"] += 1
        counts["kept_aside"] += len([f for f in os.listdir(STATE) if ".corrupt." in f])
        r = run_forced()
        lost = r.returncode != 0
        what = "ok"
        if lost:
            counts["lost"] += 1
            kind = "lost_after" if after else "lost_before"
            counts[kind] += 1
            what = kind
            seed()
        if verbose:
            print("round %d: delay %.1f ms, %s, answer %s, cache %s, %s%s" % (
                i + 1, delay * 1000, "finished" if finished else "killed",
                "sent before the kill" if after else "not sent before the kill",
                "intact" if ok else "CORRUPT", what,
                (": " + r.stderr.decode(errors="replace").strip().splitlines()[-1]) if lost else ""))
            sys.stdout.flush()
    for k, v in counts.items():
        print("%s=%s" % (k, v))


if __name__ == "__main__":
    main()
