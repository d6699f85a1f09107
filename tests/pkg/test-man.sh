#!/bin/bash
# SPDX-License-Identifier: MIT
# The man pages against the code and docs/: every configuration key of
# lib/settings.c's keyword table, every command and option the built
# sasl-oauth lists, and every exit status of include/sasl-oauth/error.h is
# documented in both the man page and docs/ (configuration.md, cli.md), and
# nothing is documented there that the code does not have; each key's default,
# choices and range in the table are named in its man entry and its row. Then each page
# renders with "MANWIDTH=80 man --warnings" without a warning, docs/ARCHITECTURE.md
# names every module of plugin/, lib/, oauth/ and cli/, and the
# example configuration parses.
. "$(dirname "$0")/../integration/lib.sh"
need python3
CLI="$top_builddir/cli/sasl-oauth"
[ -x "$CLI" ] || skip "$CLI is not built"

help_dir=$(mktemp -d /tmp/sao-man-XXXXXX)
trap 'rm -rf "$help_dir"' EXIT
"$CLI" --help > "$help_dir/main" 2>&1
for c in $(sed -n '/^commands:/,/^$/s/^  \([a-z][a-z0-9-]*\) .*/\1/p' "$help_dir/main"); do
	"$CLI" "$c" --help > "$help_dir/cmd.$c" 2>&1
done

if python3 - "$top_srcdir" "$help_dir" <<'PY'
import os, re, sys

src, helpdir = sys.argv[1], sys.argv[2]
read = lambda p: open(os.path.join(src, p), encoding="utf-8").read()
bad = []

def compare(what, truth, docs):
    if not truth:
        bad.append(f"found no {what} in the code: the parser of this test needs updating")
    for name, found in docs.items():
        for k in sorted(truth - found):
            bad.append(f"{what} '{k}' is missing from {name}")
        for k in sorted(found - truth):
            bad.append(f"{name} documents {what} '{k}', which the code does not have")

def man_section(text, title):
    m = re.search(r'^\.SH "?' + re.escape(title) + r'"?\n(.*?)(?=^\.SH |\Z)', text, re.M | re.S)
    return m.group(1) if m else ""

def man_tags(section):
    """The first word of each .TP tag line (".B word" or "word")."""
    return {re.sub(r"\\-", "-", m.group(1)) for m in re.finditer(r"^\.TP\n(?:\.B[RI]? )?(\S+)", section, re.M)}

def md_section(text, title):
    m = re.search(r"^## " + re.escape(title) + r"\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    return m.group(1) if m else ""

# Keys: lib/settings.c's table is the truth.
keys = set(re.findall(r'\.name = "([a-z0-9_]+)"', read("lib/settings.c")))
conf_md = md_section(read("docs/configuration.md"), "Keys")
md_keys = set()
for line in conf_md.splitlines():
    if line.startswith("| `"):
        md_keys |= set(re.findall(r"`([a-z0-9_]+)`", line.split("|")[1]))
man5 = read("man/sasl-oauth.conf.5")
compare("key", keys, {"docs/configuration.md": md_keys, "sasl-oauth.conf(5)": man_tags(man_section(man5, "KEYS"))})

# Defaults, choices and ranges of each key, from the same table: the key's
# entry in the man page and its row in configuration.md must name them.
src_c = read("lib/settings.c")
defines = dict(re.findall(r"^#define (SAO_\w+) (\d+)$", "".join(
    read(os.path.join("include/sasl-oauth", h)) for h in os.listdir(os.path.join(src, "include/sasl-oauth"))), re.M))
arrays = {n: re.findall(r'"([^"]+)"', body)
          for n, body in re.findall(r"static const char \*const (\w+)\[\] = \{([^}]*)\}", src_c)}
man_keys = man_section(man5, "KEYS")
def man_entry(key):
    m = re.search(r"^\.TP\n\.B " + re.escape(key) + r"\n(.*?)(?=^\.TP|\Z)", man_keys, re.M | re.S)
    return re.sub(r"^\.[A-Z]+ ?", "", m.group(1).replace("\\-", "-"), flags=re.M) if m else ""
def md_row(key):
    for line in conf_md.splitlines():
        if line.startswith("| ") and "`" + key + "`" in line.split("|")[1]:
            return line
    return ""
n_facts = 0
for entry in re.findall(r"\[KEY_\w+\] = \{(.*?)\},", src_c, re.S):
    name = re.search(r'\.name = "([^"]+)"', entry).group(1)
    facts = []
    d = re.search(r'\.def = "([^"]+)"', entry)
    if d:
        facts.append(("default", d.group(1)))
    ld = re.search(r"\.ldef = (\w+)", entry)
    if ld:
        facts.append(("default", defines.get(ld.group(1), ld.group(1))))
    ch = re.search(r"\.choices = (\w+)", entry)
    for c in arrays.get(ch.group(1), []) if ch else []:
        facts.append(("choice", c))
    rng = re.search(r"\.min = (\d+),\s*\.max = (\d+)", entry)
    if rng:
        facts.append(("range", rng.group(1) + "\\(en" + rng.group(2)))
    for kind, value in facts:
        n_facts += 1
        if kind == "range":
            if value not in man_keys.split(".B " + name + "\n", 1)[-1].split(".TP", 1)[0]:
                bad.append(f"sasl-oauth.conf(5) does not give the range {value} of '{name}'")
            if value.replace("\\(en", "–") not in md_row(name):
                bad.append(f"docs/configuration.md does not give the range of '{name}'")
            continue
        # A default must stand after "Default:" (man) or in the last column (docs).
        man_text = man_entry(name).split("Default:", 1)[-1] if kind == "default" else man_entry(name)
        md_text = md_row(name).split("|")[-2] if kind == "default" and md_row(name) else md_row(name)
        if not re.search(r"\b" + re.escape(value) + r"\b", man_text):
            bad.append(f"sasl-oauth.conf(5) does not name the {kind} '{value}' of '{name}'")
        if not re.search(r"\b" + re.escape(value) + r"\b", md_text):
            bad.append(f"docs/configuration.md does not name the {kind} '{value}' of '{name}'")

# Commands: what the built sasl-oauth lists in its --help.
main = open(os.path.join(helpdir, "main")).read()
cmds = set(re.findall(r"^  ([a-z][a-z0-9-]*) ", main.split("commands:", 1)[-1].split("\n\n", 1)[0], re.M))
cli_md = read("docs/cli.md")
man1 = read("man/sasl-oauth.1")
man1_cmds = {c.replace("\\-", "-") for c in re.findall(r"^\.SS sasl\\-oauth ([a-z0-9\\-]+)$", man1, re.M)}
synopsis = man_section(man1, "SYNOPSIS")
syn_cmds = {c.replace("\\-", "-") for c in re.findall(r"^\.SY sasl\\-oauth\n\.B ([a-z0-9\\-]+)$", synopsis, re.M)}
compare("command", cmds, {"docs/cli.md": set(re.findall(r"^## ([a-z][a-z0-9-]*)$", cli_md, re.M)),
                          "sasl-oauth(1)": man1_cmds, "the SYNOPSIS of sasl-oauth(1)": syn_cmds})

# Options: each option in a command's usage line, in both places.
for c in sorted(cmds):
    usage = open(os.path.join(helpdir, "cmd." + c)).read().split("\n", 1)[0]
    for opt in sorted(set(re.findall(r"--[a-z][a-z0-9-]*", usage))):
        synopsis_md = "".join(l for l in cli_md.split("\n## ", 1)[0].splitlines(True) if l.startswith("sasl-oauth " + c + " "))
        if opt not in md_section(cli_md, c) and opt not in synopsis_md:
            bad.append(f"option {opt} of '{c}' is missing from docs/cli.md")
        if opt.replace("-", "\\-") not in man1:
            bad.append(f"option {opt} of '{c}' is missing from sasl-oauth(1)")

# Exit statuses: include/sasl-oauth/error.h.
codes = set(re.findall(r"SAO_EXIT_[A-Z]+ = ([0-9]+)", read("include/sasl-oauth/error.h")))
compare("exit status", codes, {"docs/cli.md": set(re.findall(r"^\| ([0-9]+) \|", md_section(cli_md, "Exit status"), re.M)),
                               "sasl-oauth(1)": man_tags(man_section(man1, "EXIT STATUS"))})

# docs/ARCHITECTURE.md names every module of plugin/, lib/, oauth/, mail/ and cli/.
arch = read("docs/ARCHITECTURE.md")
n_modules = 0
for d in ("plugin", "lib", "oauth", "mail", "cli"):
    for f in sorted(os.listdir(os.path.join(src, d))):
        if f.endswith(".c"):
            n_modules += 1
            if not re.search(r"\b" + re.escape(f[:-2]) + r"\b", arch):
                bad.append(f"docs/ARCHITECTURE.md does not describe {d}/{f}")

for b in bad:
    print("FAIL:", b)
print(f"checked {len(keys)} keys ({n_facts} defaults, choices and ranges), {len(cmds)} commands, {len(codes)} exit statuses, {n_modules} modules")
sys.exit(1 if bad else 0)
PY
then pass "man pages, docs/configuration.md and docs/cli.md match the code"; else fail "documentation out of step with the code"; fi

if command -v man >/dev/null 2>&1; then
	for page in sasl-oauth.1 sasl-oauth.conf.5 sasl-oauth.7; do
		warnings=$(MANWIDTH=80 man --warnings -l "$top_srcdir/man/$page" 2>&1 >/dev/null)
		lines=$(MANWIDTH=80 man -l "$top_srcdir/man/$page" 2>/dev/null | wc -l)
		if [ -z "$warnings" ] && [ "$lines" -gt 20 ]; then
			pass "$page renders ($lines lines) without warnings"
		else
			fail "$page: $warnings"
		fi
	done
else
	skip_case "rendering" "man is not installed"
fi

# The shipped example is a valid configuration: the only complaint is about
# the account we ask for.
cp "$top_srcdir/packaging/sasl-oauth.conf.example" "$help_dir/example.conf"
chmod 600 "$help_dir/example.conf"
out=$(SASL_OAUTH_CONF="$help_dir/example.conf" "$CLI" token no-such-account 2>&1)
if echo "$out" | grep -q "no account 'no-such-account'"; then
	pass "the example configuration parses"
else
	fail "the example configuration: $out"
fi
finish
