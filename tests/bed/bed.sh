# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# The integration test bed: a real Dovecot 2.3 on loopback (IMAP with
# STARTTLS, IMAPS, POP3, submission), the local Entra-like identity
# provider (tests/idp/idp.py), an SMTP sink behind submission, an SMTP
# submission server that answers like Exchange Online's (exo_smtp.py) and
# IMAP/POP3 servers that answer logins like Exchange Online's and then
# relay to Dovecot (exo_imap.py), all in one fresh directory, all stopped
# by bed_teardown.  Source this file; it sets
# no shell options and defines only bed_*/_bed_* functions and BED_*
# variables.
#
#   bed_setup DIR             start everything; exports the BED_* variables
#   bed_teardown              stop everything this bed started (idempotent)
#   bed_add_user UPN          register UPN at the IdP and create its mailbox
#   bed_deliver UPN FILE      save FILE into UPN's INBOX
#   bed_issue UPN [LIFETIME]  print {access_token, refresh_token, expires_in, ...}
#   bed_revoke TOKEN          revoke an access or refresh token at the IdP
#   bed_config JSON           change IdP behaviour (faults, lifetimes, flows)
#   bed_ctl METHOD PATH [ARG] any /control call (see tests/idp/ctl.py)
#   bed_exo_config JSON       replace the Exchange-like server's knobs
#                             (all of them; '{}' restores the defaults)
#   bed_stats                 print the IdP's request counters
#   bed_doveadm ARGS...       doveadm against this bed's Dovecot
#   bed_pids                  print the pids of every process of this bed
#   bed_logs                  print the tails of all logs (for failing tests)
#
# Exported by bed_setup: BED_DIR, BED_IDP_URL (http://127.0.0.1:PORT),
# BED_IMAP_PORT (STARTTLS), BED_IMAPS_PORT (implicit TLS), BED_POP3_PORT
# (STLS), BED_SUBMISSION_PORT (STARTTLS), BED_SINK_PORT, BED_CA (the CA
# that signed the DNS:localhost server certificate), BED_MAILDIR_ROOT
# (homes are BED_MAILDIR_ROOT/UPN, mail in ~/Maildir), BED_PLAIN_PASSWORD
# (of plainuser@example.com, the PLAIN/LOGIN user).  Messages relayed by
# submission land in $BED_DIR/sink/N.eml; logs are $BED_DIR/*.log.
#
# The Exchange-like server (tests/bed/exo_smtp.py; its header lists every
# reply): BED_EXO_PORT (STARTTLS, like smtp.office365.com:587; AUTH LOGIN
# XOAUTH2 offered after STARTTLS only), BED_EXO_SMTPS_PORT (implicit TLS,
# like 465), BED_EXO_HOST (the name in its greeting and in the " [HOST]"
# that ends its refusals), same certificate as Dovecot (BED_CA).  It checks
# tokens through the IdP's introspection: active, Outlook audience, SMTP.Send
# (delegated) or the role SMTP.SendAsApp (app-only).  Messages it accepts
# land in $BED_DIR/exo/N.eml, envelopes in $BED_DIR/exo-envelopes.log,
# its session log is $BED_DIR/exo.log.  Its knobs are $BED_DIR/exo.json
# (bed_exo_config), read at every connection; keys (defaults first):
#   offer_xoauth2 true|false              false: EHLO says "AUTH LOGIN" only
#   smtp_auth_disabled [MAILBOX...]       535 5.7.139 ... for the Mailbox ...
#   tenant_smtp_auth_disabled false|true  535 5.7.139 ... for the Tenant ...
#   smtp_auth_enabled [MAILBOX...]        mailboxes exempt from the tenant switch
#   policy_block {MAILBOX: "security_defaults"|"conditional_access"}
#   full_access {MAILBOX: [UPN or app client_id...]}  who else may log in
#   send_as {MAILBOX: [ADDRESS...]}       other senders MAILBOX may use
#   basic_auth "retired"|"disabled"       AUTH LOGIN: 550 5.7.30 | 535 5.7.139
#   throttle false|true|"auth"|"mail"     451 4.7.500 Server busy ...
#
# The Exchange-like IMAP and POP3 servers (tests/bed/exo_imap.py; its header
# lists every reply): BED_EXO_IMAP_PORT (STARTTLS, like
# outlook.office365.com:143), BED_EXO_IMAPS_PORT (implicit TLS, like 993),
# BED_EXO_POP3_PORT (STLS, like 110), BED_EXO_POP3S_PORT (implicit TLS, like
# 995); same host name and certificate.  They check tokens like exo_smtp.py
# with IMAP.AccessAsUser.All / IMAP.AccessAsApp (POP.AccessAsUser.All /
# POP.AccessAsApp), refuse with "NO AUTHENTICATE failed." / "-ERR
# Authentication failure: unknown user name or bad password." and no
# challenge, and after a login relay the session to this bed's Dovecot as
# the same mailbox with the same token (an app-only token: as Dovecot's
# master user exo-relay, whose password is in the root-only
# $BED_DIR/exo-relay.secret).  Log: $BED_DIR/exo-imap.log.  They
# read the same exo.json: offer_xoauth2 and full_access as above, and
#   imap_disabled [MAILBOX...]            OK AUTHENTICATE completed., then
#                                         BAD User is authenticated but not connected.
#   pop_disabled [MAILBOX...]             -ERR Authentication failure: ...
#   no_access "refuse"|"not_connected"    IMAP, a mailbox the token may not
#                                         open: NO AUTHENTICATE failed. | OK, then BAD
#
# Needs root (Dovecot drops to its own users), dovecot, openssl, python3.
# Knobs, read by bed_setup: BED_DEBUG=1 turns on Dovecot's auth and oauth2
# debug logging; BED_STRICT_USER=1 makes a token open only its own
# mailbox (by default any mailbox of its user's domain, see below);
# BED_OAUTH_MECHS="xoauth2" offers only XOAUTH2, as Exchange Online does
# (default "xoauth2 oauthbearer", as Gmail and Dovecot do).

BED_PY=${BED_PY:-/usr/bin/python3}
BED_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BED_IDP_PY="$BED_HERE/../idp/idp.py"
BED_CTL_PY="$BED_HERE/../idp/ctl.py"
BED_SINK_PY="$BED_HERE/sink.py"
BED_EXO_PY="$BED_HERE/exo_smtp.py"
BED_EXO_IMAP_PY="$BED_HERE/exo_imap.py"
BED_EXO_HOST=${BED_EXO_HOST:-EXO.LOCAL.BED}
# Dovecot's mail processes run as this user; created when missing.
BED_MAIL_USER=${BED_MAIL_USER:-saotest}

_bed_log() { echo "bed: $*" >&2; }

# _bed_wait_file FILE SECONDS: true once FILE exists and is not empty.
_bed_wait_file() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		[ -s "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# _bed_free_ports N: N distinct free loopback ports, bound at the same time
# so they differ from each other; another bed may still race us for one,
# which bed_setup survives by retrying with new ports.
_bed_free_ports() {
	"$BED_PY" -c '
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
' "$1"
}

# _bed_wait_greetings SECONDS [tls:]PORT...: true once every port answers
# with a protocol greeting (login processes work, not merely listening);
# a tls: port gets a TLS handshake first, without certificate checks.
_bed_wait_greetings() {
	"$BED_PY" - "$@" <<'PY'
import socket, ssl, sys, time
deadline = time.time() + float(sys.argv[1])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
for spec in sys.argv[2:]:
    tls, _, port = spec.rpartition(":")
    while True:
        try:
            with socket.create_connection(("127.0.0.1", int(port)), timeout=2) as raw:
                s = ctx.wrap_socket(raw) if tls else raw
                s.settimeout(2)
                if s.recv(64)[:1] in (b"*", b"+", b"2"):
                    break
        except OSError:
            pass
        if time.time() > deadline:
            sys.exit(1)
        time.sleep(0.05)
PY
}

_bed_ensure_mail_user() {
	getent passwd "$BED_MAIL_USER" >/dev/null && return 0
	# Two beds may start at once; the loser of the race finds the user.
	useradd --system --user-group --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin "$BED_MAIL_USER" 2>/dev/null
	getent passwd "$BED_MAIL_USER" >/dev/null
}

# A CA and a server certificate for DNS:localhost (isync refuses a
# certificate whose only SAN is an IP address), made fresh per bed, valid
# for BED_CERT_DAYS (2; the soak's clients live through a year).
_bed_make_certs() {
	local d="$BED_DIR/tls"
	mkdir -p "$d" && chmod 700 "$d"
	printf '%s\n' 'basicConstraints = CA:FALSE' 'keyUsage = critical, digitalSignature' \
		'extendedKeyUsage = serverAuth' 'subjectAltName = DNS:localhost, IP:127.0.0.1' > "$d/server.ext"
	if ! openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		-keyout "$d/ca.key" -out "$d/ca.crt" -days "${BED_CERT_DAYS:-2}" -subj "/CN=sasl-oauth test CA $$" \
		-addext 'basicConstraints = critical, CA:TRUE' \
		-addext 'keyUsage = critical, keyCertSign, cRLSign' >/dev/null 2>&1 ||
		! openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		-keyout "$d/server.key" -out "$d/server.csr" -subj "/CN=localhost" >/dev/null 2>&1 ||
		! openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
		-CAcreateserial -days "${BED_CERT_DAYS:-2}" -extfile "$d/server.ext" -out "$d/server.crt" >/dev/null 2>&1; then
		_bed_log "openssl could not make the test certificates"
		return 1
	fi
	chmod 644 "$d/ca.crt"
	BED_CA="$d/ca.crt"
}

# _bed_spawn_py NAME ARGS...: starts a python helper in the background with
# its own log and pid file; _bed_wait_py NAME waits for its port file.
_bed_spawn_py() {
	local name=$1
	shift
	"$BED_PY" "$@" </dev/null >>"$BED_DIR/$name.log" 2>&1 &
	echo $! > "$BED_DIR/$name.pid"
}

_bed_wait_py() {
	_bed_wait_file "$BED_DIR/$1.port" 10 ||
		{ _bed_log "$1 did not start; see $BED_DIR/$1.log"; return 1; }
}

_bed_start_py() {
	_bed_spawn_py "$@" && _bed_wait_py "$1"
}

_bed_write_dovecot_conf() {
	local uid gid fmt debug mechs=${BED_OAUTH_MECHS:-xoauth2 oauthbearer}
	uid=$(id -u "$BED_MAIL_USER") gid=$(id -g "$BED_MAIL_USER")
	# Dovecot compares the token's user with the login name through
	# username_format.  By default only the domain must match, so a token
	# opens any mailbox of its user's domain, the way an Exchange delegate
	# with FullAccess opens a shared mailbox (the bed's only way to test
	# shared mailboxes: introspection never learns the requested user).
	fmt='%Ld'
	[ "${BED_STRICT_USER:-0}" = 1 ] && fmt='%Lu'
	debug=no
	[ "${BED_DEBUG:-0}" = 1 ] && debug=yes

	cat > "$BED_DIR/dovecot-oauth2.conf.ext" <<EOF
# oauth2 passdb of the sasl-oauth test bed (Dovecot 2.3 keys)
introspection_mode = post
introspection_url = $BED_IDP_URL/introspect
username_attribute = username
username_format = $fmt
active_attribute = active
active_value = true
openid_configuration_url = $BED_IDP_URL/common/v2.0/.well-known/openid-configuration
timeout_msecs = 10000
debug = $debug
EOF
	printf '%s:{PLAIN}%s\n' plainuser@example.com "$BED_PLAIN_PASSWORD" > "$BED_DIR/passwd"
	printf '%s:{PLAIN}%s\n' exo-relay "$_BED_RELAY_PASSWORD" > "$BED_DIR/master-passwd"
	# The auth process runs as dovecot and must read these files.
	chgrp dovecot "$BED_DIR/passwd" "$BED_DIR/master-passwd" "$BED_DIR/dovecot-oauth2.conf.ext"
	chmod 640 "$BED_DIR/passwd" "$BED_DIR/master-passwd" "$BED_DIR/dovecot-oauth2.conf.ext"

	cat > "$BED_DIR/dovecot.conf" <<EOF
# Dovecot of the sasl-oauth test bed, generated by tests/bed/bed.sh
instance_name = sao-bed-$BED_IMAP_PORT
base_dir = $BED_DIR/run
state_dir = $BED_DIR/state
log_path = $BED_DIR/dovecot.log
info_log_path = $BED_DIR/dovecot.log
debug_log_path = $BED_DIR/dovecot.log
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
protocols = imap pop3 submission
listen = 127.0.0.1
hostname = localhost
shutdown_clients = yes

ssl = yes
ssl_cert = <$BED_DIR/tls/server.crt
ssl_key = <$BED_DIR/tls/server.key
ssl_dh = </usr/share/dovecot/dh.pem

# Tests log in with PLAIN over loopback too.
disable_plaintext_auth = no
auth_mechanisms = plain login $mechs
# A cached answer would hide a revocation.
auth_cache_size = 0
# Negative tests must not wait: no failure delay, and no anvil penalty
# (2 s doubling to 15 s per client IP).  The penalty is switched off the
# way Dovecot documents it: the auth process cannot open the socket.
auth_failure_delay = 0
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
auth_verbose = yes
auth_debug = $debug

passdb {
  driver = oauth2
  mechanisms = $mechs
  args = $BED_DIR/dovecot-oauth2.conf.ext
}
passdb {
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u $BED_DIR/passwd
}
# exo_imap.py relays an app-only login (its token names no user Dovecot
# could log in) as this master user, with PLAIN and the mailbox as
# authorization id; Exchange's checks were made before.
passdb {
  driver = passwd-file
  master = yes
  mechanisms = plain
  args = scheme=PLAIN username_format=%u $BED_DIR/master-passwd
}
# allow_all_users: doveadm looks users up without a password.
userdb {
  driver = static
  args = uid=$uid gid=$gid home=$BED_MAILDIR_ROOT/%u allow_all_users=yes
}
first_valid_uid = $uid
first_valid_gid = $gid
mail_location = maildir:~/Maildir

submission_relay_host = 127.0.0.1
submission_relay_port = $BED_SINK_PORT
submission_relay_trusted = yes
submission_relay_ssl = no

service imap-login {
  inet_listener imap {
    port = $BED_IMAP_PORT
  }
  inet_listener imaps {
    port = $BED_IMAPS_PORT
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    port = $BED_POP3_PORT
  }
  inet_listener pop3s {
    port = 0
  }
}
service submission-login {
  inet_listener submission {
    port = $BED_SUBMISSION_PORT
  }
}
EOF
}

# _bed_start_dovecot: one attempt on freshly picked ports.
_bed_start_dovecot() {
	local ports pid
	ports=$(_bed_free_ports 4) || return 1
	read -r BED_IMAP_PORT BED_IMAPS_PORT BED_POP3_PORT BED_SUBMISSION_PORT <<< "$ports"
	_bed_write_dovecot_conf || return 1
	: > "$BED_DIR/dovecot.log"
	# Foreground mode in a session of its own: the pid is known without
	# parsing anything, and every Dovecot process of this bed shares the
	# session id, which is how bed_pids finds them.
	setsid dovecot -F -c "$BED_DIR/dovecot.conf" </dev/null >>"$BED_DIR/dovecot.out" 2>&1 &
	pid=$!
	echo "$pid" > "$BED_DIR/dovecot.pid"
	if _bed_wait_greetings 10 "$BED_IMAP_PORT" "tls:$BED_IMAPS_PORT" "$BED_POP3_PORT" \
		"$BED_SUBMISSION_PORT" && kill -0 "$pid" 2>/dev/null; then
		return 0
	fi
	_bed_stop_dovecot
	return 1
}

_bed_stop_dovecot() {
	local pid i left
	[ -s "${BED_DIR:-/nonexistent}/dovecot.pid" ] || return 0
	pid=$(cat "$BED_DIR/dovecot.pid")
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		left=$(_bed_session_pids "$pid")
		[ -z "$left" ] && break
		sleep 0.05
	done
	# Whatever ignored SIGTERM for 5 s belongs to this bed and goes now.
	local -a rest
	mapfile -t rest < <(_bed_session_pids "$pid")
	[ "${#rest[@]}" -gt 0 ] && kill -KILL "${rest[@]}" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$BED_DIR/dovecot.pid"
}

# _bed_session_pids SID: pids of the processes in session SID.
# Zombies do not count: their parent is gone and PID 1 reaps them late.
_bed_session_pids() {
	ps -e -o pid= -o sid= -o stat= | awk -v s="$1" '$2 == s && $3 !~ /^Z/ { print $1 }'
}

_bed_stop_py() {
	local name=$1 pid i
	[ -s "${BED_DIR:-/nonexistent}/$name.pid" ] || return 0
	pid=$(cat "$BED_DIR/$name.pid")
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$BED_DIR/$name.pid"
}

bed_setup() {
	local dir=${1:?usage: bed_setup DIR} try
	local t
	for t in dovecot doveadm openssl setsid; do
		command -v "$t" >/dev/null 2>&1 || { _bed_log "$t is not installed"; return 1; }
	done
	[ -x "$BED_PY" ] || { _bed_log "$BED_PY is not installed"; return 1; }
	[ "$(id -u)" = 0 ] || { _bed_log "must run as root (Dovecot drops privileges itself)"; return 1; }
	mkdir -p "$dir" || return 1
	export BED_DIR
	BED_DIR=$(cd "$dir" && pwd)
	# Dovecot's unprivileged processes must reach their files in here.
	chmod 755 "$BED_DIR"
	_bed_ensure_mail_user || { _bed_log "cannot create the mail user $BED_MAIL_USER"; return 1; }

	export BED_MAILDIR_ROOT="$BED_DIR/mail"
	mkdir -p "$BED_MAILDIR_ROOT" "$BED_DIR/sink" "$BED_DIR/idp"
	chown "$BED_MAIL_USER:$BED_MAIL_USER" "$BED_MAILDIR_ROOT"
	chmod 700 "$BED_MAILDIR_ROOT"
	export BED_CA
	_bed_make_certs || return 1
	export BED_PLAIN_PASSWORD
	BED_PLAIN_PASSWORD=$(openssl rand -hex 12)
	# Dovecot's master user for exo_imap.py's app-only relays; the file
	# that hands it over is root's only.
	_BED_RELAY_PASSWORD=$(openssl rand -hex 16)
	(umask 077 && printf 'exo-relay %s\n' "$_BED_RELAY_PASSWORD" > "$BED_DIR/exo-relay.secret")

	_bed_start_py idp "$BED_IDP_PY" --port-file "$BED_DIR/idp.port" \
		--state-dir "$BED_DIR/idp" || { bed_teardown; return 1; }
	export BED_IDP_URL
	BED_IDP_URL="http://127.0.0.1:$(cat "$BED_DIR/idp.port")"
	# Started now, waited for once Dovecot is up: it starts meanwhile.
	_bed_spawn_py exo "$BED_EXO_PY" --idp-url "$BED_IDP_URL" --cert "$BED_DIR/tls/server.crt" \
		--key "$BED_DIR/tls/server.key" --dir "$BED_DIR/exo" --port-file "$BED_DIR/exo.port" \
		--config "$BED_DIR/exo.json" --envelopes "$BED_DIR/exo-envelopes.log" --hostname "$BED_EXO_HOST"
	_bed_start_py sink "$BED_SINK_PY" --dir "$BED_DIR/sink" --port-file "$BED_DIR/sink.port" \
		--envelopes "$BED_DIR/sink-envelopes.log" || { bed_teardown; return 1; }
	export BED_SINK_PORT
	BED_SINK_PORT=$(cat "$BED_DIR/sink.port")

	export BED_IMAP_PORT BED_IMAPS_PORT BED_POP3_PORT BED_SUBMISSION_PORT
	for try in 1 2 3; do
		_bed_start_dovecot && break
		_bed_log "dovecot did not come up (attempt $try); see $BED_DIR/dovecot.log"
		[ "$try" = 3 ] && { bed_teardown; return 1; }
	done
	# Relays to Dovecot, so it starts once Dovecot's ports are known.
	_bed_start_py exo-imap "$BED_EXO_IMAP_PY" --idp-url "$BED_IDP_URL" --cert "$BED_DIR/tls/server.crt" \
		--key "$BED_DIR/tls/server.key" --ca "$BED_CA" --dovecot-imaps-port "$BED_IMAPS_PORT" \
		--dovecot-pop3-port "$BED_POP3_PORT" --relay-secret "$BED_DIR/exo-relay.secret" \
		--port-file "$BED_DIR/exo-imap.port" \
		--config "$BED_DIR/exo.json" --hostname "$BED_EXO_HOST" || { bed_teardown; return 1; }
	_bed_wait_py exo || { bed_teardown; return 1; }
	export BED_EXO_PORT BED_EXO_SMTPS_PORT BED_EXO_HOST
	read -r BED_EXO_PORT BED_EXO_SMTPS_PORT < "$BED_DIR/exo.port"
	export BED_EXO_IMAP_PORT BED_EXO_IMAPS_PORT BED_EXO_POP3_PORT BED_EXO_POP3S_PORT
	read -r BED_EXO_IMAP_PORT BED_EXO_IMAPS_PORT BED_EXO_POP3_PORT BED_EXO_POP3S_PORT < "$BED_DIR/exo-imap.port"
	return 0
}

bed_teardown() {
	local errexit=0
	[ -n "${BED_DIR:-}" ] && [ -d "$BED_DIR" ] || return 0
	# Called from EXIT traps, where a script's `set -e` would end the
	# teardown at the first server that is already gone (wait and kill
	# then fail) and leave the others running: every server is stopped
	# whatever the one before did.
	case $- in *e*) errexit=1 && set +e ;; esac
	_bed_stop_dovecot
	_bed_stop_py idp
	_bed_stop_py sink
	_bed_stop_py exo
	_bed_stop_py exo-imap
	[ "$errexit" = 1 ] && set -e
	return 0
}

bed_ctl() {
	"$BED_PY" "$BED_CTL_PY" --url "$BED_IDP_URL" "$@"
}

bed_add_user() {
	local upn=${1:?usage: bed_add_user UPN}
	bed_ctl POST /control/users "upn=$upn" >/dev/null || return 1
	# A status query makes Dovecot create the home and an empty INBOX.
	bed_doveadm mailbox status -u "$upn" messages INBOX >/dev/null
}

bed_deliver() {
	local upn=${1:?usage: bed_deliver UPN FILE} file=${2:?usage: bed_deliver UPN FILE}
	bed_doveadm save -u "$upn" -m INBOX < "$file"
}

bed_issue() {
	local upn=${1:?usage: bed_issue UPN [LIFETIME]}
	if [ -n "${2:-}" ]; then
		bed_ctl POST /control/issue "upn=$upn" "lifetime:=$2"
	else
		bed_ctl POST /control/issue "upn=$upn"
	fi
}

bed_revoke() {
	bed_ctl POST /control/revoke "token=${1:?usage: bed_revoke TOKEN}" >/dev/null
}

bed_config() {
	bed_ctl POST /control/config "${1:?usage: bed_config JSON}" >/dev/null
}

# Written under a temporary name and renamed, so that a connection never
# reads half a file; refused unless it is a JSON object.
bed_exo_config() {
	"$BED_PY" -c '
import json, os, sys
cfg = json.loads(sys.argv[2])
if not isinstance(cfg, dict):
    sys.exit("bed_exo_config: not a JSON object")
tmp = sys.argv[1] + ".tmp"
with open(tmp, "w") as fh:
    json.dump(cfg, fh)
os.replace(tmp, sys.argv[1])
' "$BED_DIR/exo.json" "${1:?usage: bed_exo_config JSON}"
}

bed_stats() {
	bed_ctl GET /control/stats
}

bed_doveadm() {
	doveadm -c "$BED_DIR/dovecot.conf" "$@"
}

bed_pids() {
	local f
	for f in idp sink exo exo-imap; do
		[ -s "$BED_DIR/$f.pid" ] && kill -0 "$(cat "$BED_DIR/$f.pid")" 2>/dev/null &&
			cat "$BED_DIR/$f.pid"
	done
	[ -s "$BED_DIR/dovecot.pid" ] && _bed_session_pids "$(cat "$BED_DIR/dovecot.pid")"
	return 0
}

bed_logs() {
	local f
	# The Exchange-like servers' logs first, and only when they say more
	# than that they listen: callers that keep the last lines still see
	# Dovecot's, the IdP's and the sink's.
	for f in exo.log exo-imap.log dovecot.log dovecot.out idp.log sink.log; do
		[ -s "$BED_DIR/$f" ] || continue
		case $f in exo*.log) [ "$(wc -l < "$BED_DIR/$f")" -le 1 ] && continue ;; esac
		echo "----- $BED_DIR/$f (last 40 lines)"
		tail -n 40 "$BED_DIR/$f"
	done
}
