/* SPDX-License-Identifier: MIT */
/*
 * sasl-oauth tunnel URL: logs in to the mail server with the account's
 * bearer token, then hands the authenticated session to the program on
 * stdin/stdout: IMAP as "* PREAUTH [CAPABILITY ...]" with the capabilities
 * after login, POP3 as "+OK" in the TRANSACTION state. From there it relays
 * bytes both ways through one fixed buffer per direction until both sides
 * have closed; a half-close is passed on.
 *
 * A failed login ends as the protocol ends a session ("* BYE ..." /
 * "-ERR ..."), with the cause and the fix, and the same line goes to stderr
 * (fetchmail logs it) and to syslog. The exit status is sasl-oauth's.
 * Nothing is written to disk but the token cache; no socket listens.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "sasl-oauth/auth.h"
#include "sasl-oauth/cache.h"
#include "sasl-oauth/claims.h"
#include "sasl-oauth/imap.h"
#include "sasl-oauth/pop3.h"
#include "sasl-oauth/renew.h"
#include "sasl-oauth/source.h"
#include "sasl-oauth/tls.h"
#include "sasl-oauth/url.h"

#include "cli.h"

#define RELAY_BUF 65536
#define TIMEOUT_DEFAULT 60

enum { OPT_MECH, OPT_CA_FILE, OPT_CA_PATH, OPT_TIMEOUT, OPT_PLAINTEXT };

static const char *const mechs[] = { "XOAUTH2", "OAUTHBEARER", NULL };

static const cli_option_t options[] = {
	[OPT_MECH] = { .name = "mech", .kind = CLI_CHOICE, .choices = mechs },
	[OPT_CA_FILE] = { .name = "ca-file", .kind = CLI_STRING, .value = "FILE" },
	[OPT_CA_PATH] = { .name = "ca-path", .kind = CLI_STRING, .value = "DIR" },
	[OPT_TIMEOUT] = { .name = "timeout", .kind = CLI_NUMBER, .min = 1, .max = 3600, .value = "SECONDS" },
	[OPT_PLAINTEXT] = { .name = "plaintext", .kind = CLI_FLAG },
};

#define HELP \
	"Logs in to the mail server of URL with the token of the account that serves its user,\n" \
	"then relays the authenticated session on stdin/stdout: for fetchmail's plugin (with\n" \
	"auth ssh), mbsync's Tunnel and mutt's tunnel. URL is imaps://USER@HOST[:PORT],\n" \
	"imap:// (STARTTLS), pop3s:// or pop3:// (STLS); USER may itself hold an '@' (or %40).\n" \
	"The server's certificate and name are checked (--ca-file, --ca-path for a private CA);\n" \
	"--plaintext skips TLS, for a server on a loopback address only. XOAUTH2 unless --mech.\n" \
	"Example (fetchmail): plugin \"sasl-oauth tunnel imap://alice@contoso.com@%h:%p\"\n"

typedef struct opts {
	const char *mech;
	sao_tls_opts_t tls;
	sao_url_t url;
} opts_t;

/* The token and where it came from, so that a refused one can be marked
 * and refreshed once. */
typedef struct token {
	sao_secret_t value;
	char *cache_path;  /* managed cache only */
	int refreshed;     /* this process asked the provider */
} token_t;

static sao_err_t get_token(const sao_account_t *a, int force, token_t *t, sao_error_t *err)
{
	sao_source_result_t res = { 0 };
	sao_token_t tok;
	sao_err_t rc;

	sao_secret_clear(&t->value);
	if (a->token_command != NULL) {
		rc = sao_source_get(a, (int64_t)time(NULL), &t->value, &res, err);
		sao_source_result_clear(&res);
		return rc;
	}
	sao_token_init(&tok);
	rc = sao_renew_token(a, force, &tok, &t->refreshed, err);
	if (rc == SAO_OK)
		rc = sao_secret_set(&t->value, tok.access_token.data, tok.access_token.len, err);
	if (rc == SAO_OK && t->cache_path == NULL)
		rc = sao_settings_cache_path(a, &t->cache_path, err);
	sao_token_clear(&tok);
	return rc;
}

/* One connection and login as account a. On success *c_r is the logged-in
 * connection. */
static sao_err_t login(const opts_t *o, const sao_account_t *a, const token_t *t, sao_tls_t **c_r,
                       sao_login_result_t *res, sao_error_t *err)
{
	const sao_url_t *u = &o->url;
	sao_mech_input_t in = {
		.user = u->user, .host = u->host, .port = u->port, .token = t->value.data, .token_len = t->value.len
	};
	sao_auth_bearer_t bearer;
	sao_auth_t auth;
	sao_claims_t claims;
	sao_tls_t *c = NULL;
	int starttls = u->tls == SAO_TLS_STARTTLS && !o->tls.allow_plaintext;
	sao_err_t rc;

	*c_r = NULL;
	rc = sao_auth_bearer_init(&auth, &bearer, o->mech, &in, err);
	/* For the catalog's reading of a refusal that says nothing. */
	if (sao_claims_decode(t->value.data, t->value.len, &claims, NULL) != SAO_OK)
		claims.jwt = 0;
	sao_auth_hints(&auth, a, &claims, u->user);
	if (rc == SAO_OK)
		rc = sao_tls_connect(u->host, u->port, u->tls == SAO_TLS_IMPLICIT, &o->tls, &c, err);
	if (rc == SAO_OK)
		rc = u->proto == SAO_PROTO_IMAP ? sao_imap_login(c, starttls, &auth, res, err)
		                                : sao_pop3_login(c, starttls, &auth, res, err);
	sao_wipe(&bearer, sizeof(bearer));
	if (rc == SAO_OK)
		*c_r = c;
	else
		sao_tls_free(&c);
	return rc;
}

/* ---- relay ------------------------------------------------------------- */

typedef struct dir {
	unsigned char b[RELAY_BUF];
	size_t off, len;
} dir_t;

static void consumed(dir_t *d, size_t n)
{
	d->off += n;
	d->len -= n;
	if (d->len == 0)
		d->off = 0;
}

/* Our side of the program's connection ends: a socket gets a FIN (the
 * program may still talk), a pipe is closed. */
static void close_out(int fd)
{
	if (shutdown(fd, SHUT_WR) != 0 && errno == ENOTSOCK)
		close(fd);
}

/* down: server -> program; upw: program -> server, may hold what the
 * program sent before the relay began. */
static sao_err_t relay(sao_tls_t *up, int in, int out, dir_t *upw_, sao_error_t *err)
{
	static dir_t down;
	dir_t *const upw = upw_;
	short rd_want = POLLIN, wr_want = POLLOUT;
	int in_eof = 0, up_eof = 0, up_closed = 0, out_closed = 0;

	for (;;) {
		struct pollfd p[3] = { { .fd = in }, { .fd = out }, { .fd = sao_tls_fd(up) } };
		int progress = 0, n;
		ssize_t r;

		/* Server to program: gather what the server has sent, up to the
		 * buffer, then write it at once. fetchmail reads a plugin's socket
		 * a line at a time (peek, then read), so every write that finds it
		 * waiting costs it a wake-up; one write per TLS record (Dovecot
		 * sends 4 KB ones) was 12 of them per 50 KB message. */
		while (!up_eof && down.off + down.len < sizeof(down.b)) {
			r = sao_tls_read(up, down.b + down.off + down.len, sizeof(down.b) - down.off - down.len);
			if (r > 0) {
				down.len += (size_t)r;
				progress = 1;
				continue;
			}
			if (r == 0 || r == SAO_TLS_FAILED) {
				up_eof = 1;
				progress = 1;
			} else {
				rd_want = r == SAO_TLS_WANT_READ ? POLLIN : POLLOUT;
			}
			break;
		}
		if (down.len > 0 && !out_closed) {
			r = write(out, down.b + down.off, down.len);
			if (r > 0) {
				consumed(&down, (size_t)r);
				progress = 1;
			} else if (r < 0 && errno != EAGAIN && errno != EINTR) {
				/* The program went away: nothing left to relay to. */
				return SAO_OK;
			}
		}
		/* Program to server. */
		if (upw->len > 0) {
			r = sao_tls_write(up, upw->b + upw->off, upw->len);
			if (r > 0) {
				consumed(upw, (size_t)r);
				progress = 1;
			} else if (r == SAO_TLS_FAILED) {
				return sao_error_set(err, SAO_ERR_NET, "the connection to the mail server broke while relaying");
			} else {
				wr_want = r == SAO_TLS_WANT_READ ? POLLIN : POLLOUT;
			}
		}
		/* Half-closes travel on once the bytes before them have. */
		if (in_eof && upw->len == 0 && !up_closed) {
			sao_tls_shutdown_write(up);
			up_closed = 1;
		}
		if (up_eof && down.len == 0 && !out_closed) {
			close_out(out);
			out_closed = 1;
		}
		if (up_closed && out_closed)
			return SAO_OK;
		/* A server that closed while the program still talks: nothing it
		 * sends can be delivered any more. */
		if (up_eof && out_closed && upw->len > 0)
			return SAO_OK;

		p[0].events = !in_eof && upw->len == 0 ? POLLIN : 0;
		p[1].events = down.len > 0 && !out_closed ? POLLOUT : 0;
		p[2].events = (short)((down.off + down.len < sizeof(down.b) && !up_eof ? rd_want : 0) |
		                      (upw->len > 0 ? wr_want : 0));
		if (p[0].events == 0)
			p[0].fd = -1;
		if (p[1].events == 0)
			p[1].fd = -1;
		n = poll(p, 3, progress || (!up_eof && sao_tls_pending(up)) ? 0 : -1);
		if (n < 0 && errno != EINTR)
			return sao_error_set(err, SAO_ERR_IO, "poll failed while relaying: %s", strerror(errno));
		if (n > 0 && p[0].revents != 0) {
			r = read(in, upw->b, sizeof(upw->b));
			if (r > 0)
				upw->len = (size_t)r;
			else if (r == 0 || (errno != EAGAIN && errno != EINTR))
				in_eof = 1;
		}
	}
}

/* ---- POP3 clients that insist on logging in -------------------------- */

/* POP3 has no PREAUTH: mutt sends CAPA, then USER and PASS, before
 * anything else, and gives up when CAPA lists no USER. While the program
 * sends only those, the tunnel answers them: CAPA with the server's own
 * list plus USER, USER and PASS with +OK. The first other command, and all
 * after it, go to the server as they are. Returns with upw holding the
 * bytes that go to the server. */
static sao_err_t pop3_shim(sao_tls_t *up, int in, int out, dir_t *upw, sao_error_t *err)
{
	char line[SAO_LOGIN_LINE_MAX];
	sao_err_t rc;

	for (;;) {
		unsigned char *nl = memchr(upw->b, '\n', upw->len);
		size_t n;
		ssize_t r;

		if (nl == NULL) {
			if (upw->len == sizeof(upw->b))
				return SAO_OK;
			r = read(in, upw->b + upw->len, sizeof(upw->b) - upw->len);
			if (r <= 0)
				return SAO_OK; /* the relay sees the end too */
			upw->len += (size_t)r;
			continue;
		}
		n = (size_t)(nl - upw->b) + 1;
		if (n >= 5 && strncasecmp((const char *)upw->b, "CAPA", 4) == 0 && (upw->b[4] == '\r' || upw->b[4] == '\n')) {
			rc = sao_tls_write_all(up, "CAPA\r\n", 6, err);
			for (int first = 1; rc == SAO_OK; first = 0) {
				size_t len;

				rc = sao_tls_read_line(up, line, sizeof(line), &len, err);
				if (rc != SAO_OK)
					break;
				if (len >= 2 && line[0] == '.' && (line[1] == '\r' || line[1] == '\n')) {
					rc = write(out, "USER\r\n.\r\n", 9) == 9 ? SAO_OK
					                                         : sao_error_set(err, SAO_ERR_IO, "cannot write to the program");
					break;
				}
				if (write(out, line, len) != (ssize_t)len)
					rc = sao_error_set(err, SAO_ERR_IO, "cannot write to the program");
				else if (first && line[0] != '+')
					break; /* -ERR: no list to extend */
			}
		} else if (n >= 5 && (strncasecmp((const char *)upw->b, "USER ", 5) == 0 ||
		                      strncasecmp((const char *)upw->b, "PASS ", 5) == 0)) {
			rc = write(out, "+OK\r\n", 5) == 5 ? SAO_OK : sao_error_set(err, SAO_ERR_IO, "cannot write to the program");
		} else {
			return SAO_OK;
		}
		/* The PASS line held the program's idea of a password: gone. */
		sao_wipe(upw->b, n);
		memmove(upw->b, upw->b + n, upw->len - n);
		upw->len -= n;
		if (rc != SAO_OK)
			return rc;
	}
}

/* ---- the outcome -------------------------------------------------------- */

/* The failure as the program's protocol ends a session, on stdout, and as
 * the same line on stderr and in syslog. */
static int fail(const opts_t *o, const sao_error_t *e)
{
	char line[SAO_ERROR_MSG_MAX + 64];
	const char *msg = e->msg[0] != '\0' ? e->msg : sao_strerror(e->code);

	sao_error_printable(msg, strlen(msg), line, sizeof(line) - 4);
	if (o->url.host[0] != '\0') {
		if (o->url.proto == SAO_PROTO_IMAP)
			printf("* BYE sasl-oauth: %s\r\n", line);
		else
			printf("-ERR sasl-oauth: %s\r\n", line);
		fflush(stdout);
	}
	cli_say("%s", line);
	openlog("sasl-oauth", LOG_PID, LOG_MAIL);
	syslog(LOG_ERR, "tunnel: %s", line);
	closelog();
	return sao_exit_status(e->code);
}

static sao_err_t greet(const opts_t *o, const sao_login_result_t *res, sao_error_t *err)
{
	int n;

	if (o->url.proto == SAO_PROTO_IMAP)
		n = printf("* PREAUTH [CAPABILITY %s] sasl-oauth: logged in as %s with %s\r\n", res->caps, o->url.user,
		           o->mech);
	else
		n = printf("+OK sasl-oauth: logged in as %s with %s\r\n", o->url.user, o->mech);
	if (n < 0 || fflush(stdout) != 0)
		return sao_error_set(err, SAO_ERR_IO, "cannot write the greeting to standard output");
	return SAO_OK;
}

static sao_err_t take_opts(const cli_args_t *args, opts_t *o, sao_error_t *err)
{
	o->mech = args->given[OPT_MECH] ? mechs[args->number[OPT_MECH]] : "XOAUTH2";
	o->tls.ca_file = args->value[OPT_CA_FILE];
	o->tls.ca_path = args->value[OPT_CA_PATH];
	o->tls.timeout_ms = (int)(args->given[OPT_TIMEOUT] ? args->number[OPT_TIMEOUT] : TIMEOUT_DEFAULT) * 1000;
	o->tls.allow_plaintext = args->given[OPT_PLAINTEXT];
	if (sao_url_parse(args->operands[0], &o->url, err) != SAO_OK)
		return SAO_ERR_PROTO;
	if (o->url.proto == SAO_PROTO_SMTP)
		return sao_error_set(err, SAO_ERR_PROTO, "the tunnel relays IMAP and POP3 sessions; for SMTP, the "
		                     "program logs in through the plugin (check it with: sasl-oauth test %s)",
		                     args->operands[0]);
	return SAO_OK;
}

static int run(const sao_settings_t *s, const cli_args_t *args)
{
	static opts_t o;
	static dir_t upw;
	const sao_account_t *a = NULL;
	sao_login_result_t res;
	sao_tls_t *c = NULL;
	token_t tok = { .cache_path = NULL };
	sao_error_t err, first;
	sao_err_t rc;
	int code;

	sao_error_clear(&err);
	if (take_opts(args, &o, &err) != SAO_OK)
		return cli_usage_error(&cli_tunnel, err.msg);
	sao_secret_init(&tok.value, SAO_TOKEN_MAX);
	a = cli_url_account(s, &o.url, &err);
	if (a == NULL) {
		rc = err.code;
		goto out;
	}
	rc = get_token(a, 0, &tok, &err);
	if (rc != SAO_OK)
		goto out;
	sao_error_clear(&first);
	rc = login(&o, a, &tok, &c, &res, &first);
	/* A refused token from the managed cache that this process did not just
	 * get: mark it, refresh once, try once more (Exchange Online refuses a
	 * revoked token without saying why). */
	if (rc == SAO_ERR_REJECTED && tok.cache_path != NULL && !tok.refreshed) {
		(void)sao_cache_mark_rejected(tok.cache_path, &tok.value, (int64_t)time(NULL), first.msg, NULL);
		rc = get_token(a, 1, &tok, &err);
		if (rc == SAO_OK)
			rc = login(&o, a, &tok, &c, &res, &err);
	} else if (rc != SAO_OK) {
		sao_error_set(&err, rc, "%s", first.msg);
	}
	if (rc == SAO_ERR_REJECTED) {
		/* Say what to do, after the server's words. */
		char msg[SAO_ERROR_MSG_MAX];

		snprintf(msg, sizeof(msg), "%s", err.msg);
		sao_error_clear(&err);
		sao_error_set(&err, SAO_ERR_REJECTED,
		              "%s; the token of account '%s' was %s; check that '%s' may use %s on this server and that the "
		              "token's scope covers it, or sign in again: sasl-oauth login %s",
		              msg, a->name, tok.refreshed ? "just refreshed" : "fresh", o.url.user,
		              o.url.proto == SAO_PROTO_IMAP ? "IMAP" : "POP3", a->name);
	}
	if (rc != SAO_OK)
		goto out;
	sao_secret_clear(&tok.value);
	rc = greet(&o, &res, &err);
	if (rc == SAO_OK && o.url.proto == SAO_PROTO_POP3)
		rc = pop3_shim(c, STDIN_FILENO, STDOUT_FILENO, &upw, &err);
	if (rc == SAO_OK)
		rc = relay(c, STDIN_FILENO, STDOUT_FILENO, &upw, &err);
	sao_tls_free(&c);
	code = rc == SAO_OK ? SAO_EXIT_OK : sao_exit_status(rc);
	if (rc != SAO_OK)
		cli_say("%s", err.msg);
	goto done;
out:
	code = fail(&o, &err);
done:
	sao_secret_clear(&tok.value);
	free(tok.cache_path);
	return code;
}

/* A failure before run (no configuration): still the protocol's ending. */
static int failed(const cli_args_t *args, const sao_error_t *err)
{
	static opts_t o;

	if (take_opts(args, &o, NULL) != SAO_OK)
		memset(&o.url, 0, sizeof(o.url));
	return fail(&o, err);
}

const cli_command_t cli_tunnel = {
	.name = "tunnel", .help = HELP, CLI_OPTIONS(options), .operands = CLI_ONE_URL, .run = run, .failed = failed,
};
