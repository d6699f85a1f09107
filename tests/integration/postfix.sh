# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# A private Postfix instance for the relay tests: its own config_directory,
# queue_directory (which is also the smtp chroot), data_directory and
# mail.log (maillog_file), listening on a random loopback port and relaying
# through the bed's Dovecot submission port with XOAUTH2. Never touches
# /etc/postfix or the system's Postfix. Its main.cf relay lines, the
# sasl_passwd map and the commands come from docs/clients/postfix.md.
# Source after lib.sh and clients.sh, and call after start_bed.
#
#   pf_setup CHROOT       write the instance (CHROOT y|n for smtp in master.cf)
#   pf_start / pf_stop    start it; stop it and every process it started
#   pf_send FROM TO SUBJ  submit one message to its smtpd (exit 0 = queued)
#   pf_flush              postqueue -f: retry deferred mail now
#   pf_queued             messages still in the queue
#   pf_wait_queue N       wait (bounded) until N messages are queued
#   pf_log                the instance's mail.log
#   sink_count            messages the bed's sink has received

PF_DIR=
PF_ETC=
PF_CONF=
PF_QUEUE=
PF_LOG=
PF_MASTER=

# pf_from_page: a block of docs/clients/postfix.md pointed at this
# instance: the bed's submission port for Exchange Online, example.com for
# contoso.com, and private directories for /etc/postfix, /etc/sasl-oauth
# and /var/spool/postfix (the jail). Nothing else changes.
pf_from_page() {
	sed -e "s#\[smtp\.office365\.com\]:587#[127.0.0.1]:$BED_SUBMISSION_PORT#g" \
		-e "s#/etc/postfix/#$PF_CONF/#g" -e "s#/etc/sasl-oauth/#$PF_ETC/#g" \
		-e "s#/var/spool/postfix#$PF_QUEUE#g" -e "s#contoso\.com#example.com#g"
}

# pf_page NAME: the page's block NAME (clients.sh) through pf_from_page.
pf_page() {
	local text
	text=$(page_block postfix.md "$1") || { printf '%s\n' "$text"; exit 1; }
	printf '%s\n' "$text" | pf_from_page
}

pf_setup() {
	local chroot=$1 port
	PF_DIR="$BED_DIR/postfix"
	PF_CONF="$PF_DIR/conf"
	PF_QUEUE="$PF_DIR/queue"
	PF_LOG="$PF_DIR/mail.log"
	PF_ETC="$PF_DIR/etc"
	mkdir -p "$PF_CONF" "$PF_QUEUE" "$PF_DIR/data" "$PF_ETC"
	chmod 755 "$PF_ETC"
	# Postfix's commands (postmap, postqueue) find this instance as the
	# page's commands are written, without -c.
	export MAIL_CONFIG="$PF_CONF"
	chown postfix "$PF_DIR/data"
	chmod 755 "$PF_DIR" "$PF_QUEUE"
	port=$(_bed_free_ports 1) || return 1
	PF_SMTPD_PORT=$port
	cat > "$PF_CONF/main.cf" <<EOF
# A private test instance (tests/integration/postfix.sh)
compatibility_level = 3.6
config_directory = $PF_CONF
queue_directory = $PF_QUEUE
data_directory = $PF_DIR/data
mail_owner = postfix
setgid_group = postdrop
myhostname = relay.example.com
mydomain = example.com
myorigin = example.com
mydestination =
local_recipient_maps =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
maillog_file = $PF_LOG
maillog_file_prefixes = $PF_DIR
# Short and quiet: the test flushes the queue itself.
queue_run_delay = 3600s
minimal_backoff_time = 3600s
maximal_backoff_time = 3600s
maximal_queue_lifetime = 1d
delay_warning_time = 0
smtp_connect_timeout = 10s
# docs/clients/postfix.md, "main.cf":
$(pf_page main.cf)
# Where libsasl2 finds the built plugin and the plugin its configuration;
# a real admin installs both (docs/clients/postfix.md) and needs neither.
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C SASL_PATH=$PF_DIR/plugins SASL_OAUTH_CONF=$SASL_OAUTH_CONF SASL_OAUTH_CLI=${PF_CLI:-/nonexistent/sasl-oauth}
EOF
	# Debian's master.cf, cut to the services a relay uses; smtp's chroot
	# column is the one under test.
	cat > "$PF_CONF/master.cf" <<EOF
127.0.0.1:$PF_SMTPD_PORT inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       $chroot       -       -       smtp
relay     unix  -       -       $chroot       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
	# Only our plugin: nothing else installed may answer for XOAUTH2.
	plugin_dir "$PF_DIR/plugins" >/dev/null || return 1
}

# pf_passwd: the page's sasl_passwd map, made by the page's commands.
pf_passwd() {
	pf_page sasl_passwd > "$PF_CONF/sasl_passwd" && bash -e -c "$(pf_page postmap)"
}

pf_start() {
	: > "$PF_LOG"
	postfix -c "$PF_CONF" check >"$PF_DIR/start.out" 2>&1 &&
		postfix -c "$PF_CONF" start >>"$PF_DIR/start.out" 2>&1 || {
		echo "postfix did not start:"; cat "$PF_DIR/start.out"; return 1
	}
	PF_MASTER=$(tr -d ' ' < "$PF_QUEUE/pid/master.pid" 2>/dev/null)
	_bed_wait_greetings 20 "$PF_SMTPD_PORT" || { echo "postfix smtpd does not answer"; return 1; }
}

# The master's children, and theirs: only processes of this instance.
_pf_tree() {
	local pid=$1 c
	for c in $(ps -o pid= --ppid "$pid" 2>/dev/null); do
		echo "$c"
		_pf_tree "$c"
	done
}

pf_stop() {
	local i left
	[ -n "$PF_MASTER" ] || return 0
	left=$(_pf_tree "$PF_MASTER")
	postfix -c "$PF_CONF" stop >/dev/null 2>&1 || kill -TERM "$PF_MASTER" 2>/dev/null
	for ((i = 0; i < 200; i++)); do
		kill -0 "$PF_MASTER" 2>/dev/null || break
		sleep 0.05
	done
	# Whatever outlived the master for 10 s is ours and goes now.
	kill -KILL "$PF_MASTER" $left 2>/dev/null
	PF_MASTER=
	return 0
}

pf_send() {
	"$PY" - "$PF_SMTPD_PORT" "$1" "$2" "$3" <<'PY'
import smtplib, sys
port, frm, to, subj = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
msg = "From: %s\r\nTo: %s\r\nSubject: %s\r\n\r\nrelayed by the private Postfix\r\n" % (frm, to, subj)
with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
    s.sendmail(frm, [to], msg)
PY
}

pf_flush() { postqueue -c "$PF_CONF" -f; }

pf_queued() {
	find "$PF_QUEUE/incoming" "$PF_QUEUE/active" "$PF_QUEUE/deferred" "$PF_QUEUE/hold" "$PF_QUEUE/maildrop" \
		-type f 2>/dev/null | wc -l
}

pf_log() { cat "$PF_LOG" 2>/dev/null; }

sink_count() { find "$BED_DIR/sink" -name '*.eml' | wc -l; }

# wait_for SECONDS 'SHELL CONDITION': polls the condition, evaluated anew each
# time, until it holds (bounded). Quote it: expanded once it would not poll.
wait_for() {
	local s=$1 i
	shift
	for ((i = 0; i < s * 10; i++)); do
		eval "$*" && return 0
		sleep 0.1
	done
	return 1
}

# log_count PATTERN: lines of mail.log matching the extended regex PATTERN.
log_count() { grep -cE -- "$1" "$PF_LOG" 2>/dev/null; }
