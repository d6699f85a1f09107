#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A year unattended in minutes (issue 13): the built CLI and plugin under
faketime, the local identity provider on the same warped clock (its
control API's clock_offset), a real Dovecot checking every token with the
provider.  No code path in the product knows it is being tested.

Run by soak.sh inside a test bed.  Simulated events, in time order:
  timer    "sasl-oauth refresh --all" every 15 minutes (the systemd timer,
           with its randomized delay of up to 60 s; --timer-minutes)
  mbsync   an IMAP login through the plugin (tests/integration/sasl-client,
           as mbsync loads it) every JOB minutes; a failed one is retried by
           the next
  relay    mails submitted at random times (Postfix's smtp client: the
           callback client through submission); a deferred mail is retried
           after 5 minutes, doubling up to 66 minutes, as Postfix's queue
           does, and counts as lost after 5 days (maximal_queue_lifetime)
  outages  the token endpoint answers 503 for 1-12 hours, or does not
           answer within the account's http_timeout, or is down for a day
  tokens   access tokens of 60-90 minutes (a new lifetime every day),
           refresh tokens rotated on every use and dying after 90 days
           unused (Entra's inactivity limit)
With --laptop the machine is suspended on nights (19:00-08:00), weekends
and a two-week holiday: nothing runs then, and the clock jumps.

Prints the figures as key=value lines; exit 1 when a person had to sign in
again, a mail was lost or a cache was corrupt.
"""

import argparse
import heapq
import json
import os
import random
import subprocess
import sys
import time
import urllib.request

B = os.environ
CLI = B["CLI"]
SASL_CLIENT = B["SASL_CLIENT"]
URL = B["BED_IDP_URL"]
CACHE = os.path.join(B["XDG_STATE_HOME"], "sasl-oauth", "work.json")
SIMTIME = B["SAO_SOAK_SIMTIME"]
FAKETIME_LIB = B.get("FAKETIME_LIB", "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
DAY = 86400
HOUR = 3600


def ctl(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(URL + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


class World:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.t0 = int(time.time())
        self.figures = {"days": args.days, "timer_runs": 0, "timer_failures": 0,
                        "jobs": 0, "job_failures": 0, "mails": 0, "mails_sent": 0,
                        "mail_attempts_failed": 0, "mails_lost": 0, "longest_mail_wait_s": 0,
                        "person_logins_needed": 0, "corrupt_caches": 0, "outages": 0,
                        "outage_hours": 0, "suspended_hours": 0}
        self.events = []
        self.seq = 0
        self.outage_until = 0
        self.failures = []
        self.wakes = []
        self.awake = 0

    # -- the clock ------------------------------------------------------
    def sync_idp(self, t):
        """The provider's clock follows the simulation: its offset makes
        its "now" this event's time, running on in real time as the
        programs' faked clocks do."""
        ctl("POST", "/control/config", {"clock_offset": self.t0 + t - time.time()})

    def env(self, t):
        e = dict(os.environ)
        e["LD_PRELOAD"] = FAKETIME_LIB
        e["FAKETIME"] = "@" + time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(self.t0 + t))
        e["TZ"] = "UTC"
        # Time limits (poll, the child's timeout) keep real time.
        e["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"
        e["FAKETIME_NO_CACHE"] = "1"
        return e

    def run(self, t, argv):
        self.sync_idp(t)
        # The plugin starts sasl-oauth with a clean environment (no
        # LD_PRELOAD, no FAKETIME), so SASL_OAUTH_CLI is a wrapper that
        # puts it under faketime at the time written here.
        with open(SIMTIME + ".tmp", "w") as fh:
            fh.write(self.env(t)["FAKETIME"] + "\n")
        os.rename(SIMTIME + ".tmp", SIMTIME)
        r = subprocess.run(argv, env=self.env(t), stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        if r.returncode != 0 and len(self.failures) < 20:
            text = (r.stderr.decode(errors="replace") + r.stdout.decode(errors="replace")).strip()
            self.failures.append("%s: %s: %s" % (self.stamp(t), os.path.basename(argv[0]),
                                                 text.splitlines()[-1] if text else "exit %d" % r.returncode))
        return r.returncode == 0

    def stamp(self, t):
        return "day %d %s" % (t // DAY, time.strftime("%H:%M", time.gmtime(self.t0 + t)))

    def check_cache(self):
        try:
            with open(CACHE) as fh:
                d = json.load(fh)
            if not d.get("refresh_token"):
                raise ValueError("no refresh token")
        except (OSError, ValueError):
            self.figures["corrupt_caches"] += 1

    # -- the schedule ---------------------------------------------------
    def at(self, t, kind, data=None):
        self.seq += 1
        heapq.heappush(self.events, (t, self.seq, kind, data))

    def suspended(self, t):
        if not self.args.laptop:
            return False
        day, sec = divmod(t, DAY)
        weekday = (day + 0) % 7            # day 0 is a Monday
        if 14 <= day < 28:                 # the holiday
            return True
        if weekday >= 5:
            return True
        return not (8 * HOUR <= sec < 19 * HOUR)

    def plan(self):
        end = self.args.days * DAY
        self.end = end
        t = 0
        while t < end:
            self.at(t + self.rng.randint(0, 60), "timer")
            t += self.args.timer_minutes * 60
        t = 0
        while t < end:
            self.at(t, "job")
            t += self.args.job_minutes * 60
        t = self.rng.expovariate(1.0 / (self.args.mail_hours * HOUR))
        while t < end:
            # Nobody writes mail on a suspended laptop.
            if not self.suspended(int(t)):
                self.at(int(t), "mail", {"created": int(t), "delay": 300})
                self.figures["mails"] += 1
            t += self.rng.expovariate(1.0 / (self.args.mail_hours * HOUR))
        t = self.rng.expovariate(1.0 / (self.args.outage_days * DAY))
        while t < end:
            kind = self.rng.choice(["503", "503", "timeout", "down"])
            hours = self.rng.uniform(1, 12) if kind != "down" else self.rng.uniform(12, 30)
            if kind == "timeout":
                hours = self.rng.uniform(0.5, 2)   # each try waits http_timeout in real time
            self.at(int(t), "outage", {"kind": kind, "seconds": int(hours * HOUR)})
            t += hours * HOUR + self.rng.expovariate(1.0 / (self.args.outage_days * DAY))
        for d in range(self.args.days):
            self.at(d * DAY, "lifetime")

    # -- what happens ---------------------------------------------------
    def outage(self, t, data):
        self.figures["outages"] += 1
        self.figures["outage_hours"] += data["seconds"] // HOUR
        cfg = {"fault_endpoints": ["token"], "fault_count": 0}
        if data["kind"] == "timeout":
            cfg.update({"delay_ms": 3000, "fail_status": 503})
        else:
            cfg.update({"fail_status": 503 if data["kind"] == "503" else 502})
        ctl("POST", "/control/config", cfg)
        self.at(t + data["seconds"], "outage_end")

    def outage_end(self, t):
        ctl("POST", "/control/config", {"fail_status": 0, "delay_ms": 0})

    def mail(self, t, data):
        ok = self.run(t, [SASL_CLIENT, "--proto", "smtp", "--port", B["BED_SUBMISSION_PORT"],
                          "--tls", "starttls", "--ca", B["BED_CA"], "--mech", "XOAUTH2",
                          "--user", "alice@example.com", "--mail-from", "alice@example.com",
                          "--rcpt", "bob@example.com"])
        if ok:
            self.figures["mails_sent"] += 1
            wait = t - data["created"]
            self.figures["longest_mail_wait_s"] = max(self.figures["longest_mail_wait_s"], wait)
            return
        self.figures["mail_attempts_failed"] += 1
        if t - data["created"] > 5 * DAY:
            self.figures["mails_lost"] += 1
            return
        nxt = t + data["delay"]
        self.at(nxt, "mail", {"created": data["created"], "delay": min(data["delay"] * 2, 4000)})

    def loop(self):
        ctl("POST", "/control/config", {"rotation": self.args.rotation,
                                        "refresh_lifetime": 90 * DAY})
        last_day = -1
        while self.events:
            t, _, kind, data = heapq.heappop(self.events)
            if t >= self.end and kind not in ("mail", "outage_end"):
                continue
            if t >= self.end + 6 * DAY:
                break
            if self.suspended(t) and kind in ("timer", "job", "mail"):
                if kind == "mail":
                    # A laptop's queue waits for the lid to open.
                    self.at(t + 15 * 60, "mail", data)
                else:
                    self.figures["suspended_hours"] += 0.25 if kind == "timer" else 0
                continue
            if kind == "job" and self.args.laptop and t - self.awake > DAY:
                # The lid opens after a weekend or the holiday: what the
                # first mbsync run finds.
                gap_days = (t - self.awake) / DAY
                before = ctl("GET", "/control/stats")["grants"].get("refresh_token", 0)
                ok = self.run(t, [SASL_CLIENT, "--proto", "imap", "--port", B["BED_IMAPS_PORT"], "--tls",
                                  "implicit", "--ca", B["BED_CA"], "--mech", "XOAUTH2", "--user",
                                  "alice@example.com"])
                after = ctl("GET", "/control/stats")["grants"].get("refresh_token", 0)
                self.wakes.append("%s after %.1f days suspended: first mbsync login %s, %d refresh" % (
                    self.stamp(t), gap_days, "accepted" if ok else "FAILED", after - before))
                self.figures["jobs"] += 1
                self.figures["job_failures"] += 0 if ok else 1
                self.awake = t
                continue
            if kind in ("timer", "job"):
                self.awake = t
            if kind == "timer":
                self.figures["timer_runs"] += 1
                if not self.run(t, [CLI, "refresh", "--all"]):
                    self.figures["timer_failures"] += 1
            elif kind == "job":
                self.figures["jobs"] += 1
                if not self.run(t, [SASL_CLIENT, "--proto", "imap", "--port", B["BED_IMAPS_PORT"],
                                    "--tls", "implicit", "--ca", B["BED_CA"], "--mech", "XOAUTH2",
                                    "--user", "alice@example.com"]):
                    self.figures["job_failures"] += 1
            elif kind == "mail":
                self.mail(t, data)
            elif kind == "outage":
                self.outage(t, data)
            elif kind == "outage_end":
                self.outage_end(t)
            elif kind == "lifetime":
                ctl("POST", "/control/config", {"access_lifetime": self.rng.randint(3600, 5400)})
            if t // DAY != last_day:
                last_day = t // DAY
                self.check_cache()
                if self.args.verbose:
                    print("%s: %s" % (self.stamp(t), json.dumps(self.figures)), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=400)
    ap.add_argument("--job-minutes", type=int, default=15, help="minutes between mbsync jobs")
    ap.add_argument("--timer-minutes", type=int, default=15, help="minutes between refresh --all runs")
    ap.add_argument("--mail-hours", type=float, default=6.0, help="mean hours between mails")
    ap.add_argument("--outage-days", type=float, default=20.0, help="mean days between outages")
    ap.add_argument("--rotation", default="entra", choices=["entra", "strict"])
    ap.add_argument("--laptop", action="store_true")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    w = World(args)
    w.plan()
    started = time.monotonic()
    w.loop()
    w.check_cache()
    # Still unattended at the end: a forced refresh works without a person.
    if not w.run(w.end + 7 * DAY, [CLI, "token", "--force", "work"]):
        w.figures["final_refresh_failed"] = 1
    stats = ctl("GET", "/control/stats")
    # A person must sign in again exactly when the provider refused a
    # refresh token (invalid_grant: expired, revoked, reused).
    w.figures["person_logins_needed"] = sum(v for k, v in stats["errors"].items()
                                            if k.startswith("invalid_grant"))
    w.figures["refreshes"] = stats["grants"].get("refresh_token", 0)
    w.figures["token_requests_failed"] = stats["faults"]
    w.figures["reuse_detected"] = stats.get("reuse_detected", 0)
    w.figures["real_seconds"] = int(time.monotonic() - started)
    for k, v in w.figures.items():
        print("%s=%s" % (k, v))
    for m in w.wakes:
        print("wake: %s" % m)
    for m in w.failures[:10]:
        print("failure: %s" % m)
    bad = (w.figures["person_logins_needed"] or w.figures["mails_lost"] or w.figures["corrupt_caches"]
           or w.figures.get("final_refresh_failed"))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
