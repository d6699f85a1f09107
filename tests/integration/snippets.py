#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Checks that "sasl-oauth setup --for PROGRAM" prints the lines of the
docs/clients/ page for PROGRAM: every block the page shows for it appears
in the output, line for line, and the output has nothing else but blank
lines and comments.

  snippets.py CLI DOCS_CLIENTS_DIR SCRATCH_DIR

One line per program: "ok: ...", "FAIL: ..." or "note: ..." (a page from a
branch that has not landed yet: nothing to compare with). Exit status 1 when any program failed.
"""

import os
import re
import subprocess
import sys

# program -> (page, account, mailbox, blocks): a block is "check: NAME"
# (the fenced block after <!-- check: NAME -->) or "first: TEXT" (the
# fenced block whose first line starts with TEXT, for pages without marks)
# or "in: NAME" (each remaining line is one of the lines of the block NAME:
# the page lists more users than setup's one).
PAGES = {
    "mutt": ("mutt.md", "work", "alice@contoso.com", ["check: muttrc"]),
    "neomutt": ("mutt.md", "work", "alice@contoso.com", ["check: muttrc"]),
    "mbsync": ("mbsync-plugin.md", "work", "alice@contoso.com", ["check: mbsyncrc"]),
    "fetchmail": ("fetchmail.md", "work", "alice@contoso.com", ["check: fetchmailrc-imap"]),
    "msmtp": ("msmtp.md", "work", "alice@contoso.com", ["check: msmtprc"]),
    "postfix": ("postfix.md", "relay", "relay@contoso.com",
                ["first: relayhost = ", "in: sasl_passwd"]),
    "curl": ("curl.md", "work", "alice@contoso.com", ["check: curl-imap-list", "check: curl-smtp"]),
}


def fenced_blocks(text):
    """(mark or None, [lines]) for every fenced block."""
    out, mark, inside, lines = [], None, False, []
    pending = None
    for line in text.splitlines():
        if inside:
            if line.startswith("```"):
                out.append((mark, lines))
                inside, lines, mark = False, [], None
            else:
                lines.append(line)
            continue
        m = re.fullmatch(r"<!-- check: (\S+) -->", line.strip())
        if m:
            pending = m.group(1)
            continue
        if line.startswith("```"):
            inside, mark, pending = True, pending, None
        elif line.strip():
            pending = None
    return out


def find_block(blocks, spec):
    kind, _, arg = spec.partition(": ")
    for mark, lines in blocks:
        if kind in ("check", "in") and mark == arg:
            return lines
        if kind == "first" and lines and lines[0].startswith(arg):
            return lines
    return None


def contains(haystack, needle):
    for i in range(len(haystack) - len(needle) + 1):
        if haystack[i:i + len(needle)] == needle:
            return i
    return -1


def main(cli, docs, scratch):
    failed = False
    for prog, (page, account, mailbox, specs) in PAGES.items():
        path = os.path.join(docs, page)
        if not os.path.exists(path):
            print("note: %s: docs/clients/%s is not in this tree yet, nothing to compare" % (prog, page))
            continue
        blocks = fenced_blocks(open(path).read())
        conf = os.path.join(scratch, "%s.conf" % prog)
        env = dict(os.environ, SASL_OAUTH_CONF=conf)
        r = subprocess.run([cli, "setup", mailbox, "--name", account, "--provider", "microsoft",
                            "--tenant", "contoso.onmicrosoft.com", "--client-id",
                            "00000000-0000-0000-0000-000000000000", "--no-login", "--yes",
                            "--for", prog], env=env, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=60)
        if r.returncode != 0:
            print("FAIL: %s: setup exited %d: %s" % (prog, r.returncode, r.stderr.strip()))
            failed = True
            continue
        got = r.stdout.splitlines()
        rest = list(got)
        problems = []
        for spec in specs:
            want = find_block(blocks, spec)
            if want is None:
                problems.append("docs/clients/%s has no block '%s'" % (page, spec))
                continue
            if spec.startswith("in: "):
                ours = [line for line in rest if line.strip() and not line.startswith("#")]
                if not ours or any(line not in want for line in ours):
                    problems.append("the lines %r are not in the block '%s' of docs/clients/%s"
                                    % (ours, spec, page))
                rest = [line for line in rest if line not in ours]
                continue
            i = contains(rest, want)
            if i < 0:
                problems.append("the block '%s' of docs/clients/%s is not in the output" % (spec, page))
                continue
            rest[i:i + len(want)] = [""]
        extra = [line for line in rest if line.strip() and not line.startswith("#")]
        if extra:
            problems.append("lines not on the page: %r" % extra)
        if problems:
            failed = True
            print("FAIL: %s: %s\n%s" % (prog, "; ".join(problems),
                                         "\n".join("    | " + line for line in got)))
        else:
            print("ok: %s: setup --for %s prints the lines of docs/clients/%s (%s)"
                  % (prog, prog, page, ", ".join(specs)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
