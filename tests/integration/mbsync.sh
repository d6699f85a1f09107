# SPDX-License-Identifier: MIT
# mbsync helpers: a configuration for one account against the bed's IMAPS
# port, and a run that records output and elapsed time.

# write_mbsyncrc USER AUTHMECHS [EXTRA-ACCOUNT-LINES]
write_mbsyncrc() {
	MBSYNCRC="$BED_DIR/mbsyncrc"
	MAILDIR="$BED_DIR/maildir"
	mkdir -p "$MAILDIR"
	cat > "$MBSYNCRC" <<RC
IMAPAccount acct
Host localhost
Port $BED_IMAPS_PORT
SSLType IMAPS
CertificateFile $BED_CA
SystemCertificates no
User $1
AuthMechs $2
${3:-}

IMAPStore remote
Account acct

MaildirStore local
Path $MAILDIR/
Inbox $MAILDIR/INBOX

Channel sync
Far :remote:
Near :local:
Patterns INBOX
Create Near
SyncState *
RC
}

# run_mbsync: runs mbsync (never waiting on a terminal), output in
# $MBSYNC_OUT, exit status in $MBSYNC_RC, wall time in $MBSYNC_MS.
run_mbsync() {
	local t0 t1
	t0=$(date +%s%N)
	MBSYNC_OUT=$(timeout 30 mbsync -c "$MBSYNCRC" -V sync </dev/null 2>&1)
	MBSYNC_RC=$?
	t1=$(date +%s%N)
	MBSYNC_MS=$(( (t1 - t0) / 1000000 ))
	echo "--- mbsync exit $MBSYNC_RC after ${MBSYNC_MS} ms"
	echo "$MBSYNC_OUT" | grep -v '^[<>] ' | sed 's/^/    /'
}

# count of messages synced into the local INBOX
local_count() { find "$MAILDIR/INBOX/cur" "$MAILDIR/INBOX/new" -type f 2>/dev/null | wc -l; }
