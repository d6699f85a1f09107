#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Talks to the local identity provider's /control API (curl may be
missing from a build host; python3 is not).

  ctl.py [--url URL] METHOD PATH [JSON | key=value | key:=json ...]

The URL defaults to $BED_IDP_URL.  A single argument that starts with "{"
is sent as the JSON body; otherwise key=value pairs build an object
(key:=json takes a raw JSON value, e.g. lifetime:=60).  The response body
goes to stdout; the exit status is 0 for 2xx, 1 for other answers, 2 when
the provider cannot be reached.
"""

import json
import os
import sys
import urllib.error
import urllib.request


def build_body(args):
    if not args:
        return None
    if len(args) == 1 and args[0].lstrip().startswith("{"):
        json.loads(args[0])  # refuse to send what the provider cannot parse
        return args[0].encode()
    obj = {}
    for a in args:
        if ":=" in a:
            k, _, v = a.partition(":=")
            obj[k] = json.loads(v)
        elif "=" in a:
            k, _, v = a.partition("=")
            obj[k] = v
        else:
            raise ValueError("argument %r is neither key=value nor key:=json" % a)
    return json.dumps(obj).encode()


def main(argv):
    url = os.environ.get("BED_IDP_URL", "")
    if len(argv) >= 2 and argv[0] == "--url":
        url, argv = argv[1], argv[2:]
    if len(argv) < 2 or not url:
        sys.stderr.write(__doc__)
        return 2
    method, path = argv[0].upper(), argv[1]
    try:
        body = build_body(argv[2:])
    except ValueError as e:
        sys.stderr.write("ctl.py: %s\n" % e)
        return 2
    req = urllib.request.Request(url.rstrip("/") + path, data=body, method=method)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            sys.stdout.write(resp.read().decode())
            status = 0
    except urllib.error.HTTPError as e:
        sys.stdout.write(e.read().decode(errors="replace"))
        status = 1
    except (urllib.error.URLError, OSError) as e:
        sys.stderr.write("ctl.py: cannot reach %s: %s\n" % (url, e))
        return 2
    sys.stdout.write("\n")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
