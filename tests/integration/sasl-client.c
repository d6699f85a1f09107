/* SPDX-License-Identifier: MIT */
/*
 * sasl-client: a small IMAP/POP3/SMTP client over libsasl2 that registers
 * callbacks the way Postfix's smtp client does (AUTHNAME and PASS procs, a
 * LOG callback, no interaction), so integration tests can drive the built
 * plugin against a real Dovecot without Postfix.
 *
 *   sasl-client --proto imap|pop3|smtp --port N [--tls implicit|starttls]
 *               --ca FILE --mech XOAUTH2 --user U [--authz Z] [--password P]
 *               [--plugin-path DIR] [--trace FILE] [--no-ir]
 *               [--mail-from A --rcpt B] [--chroot DIR] [--sigchld ignore|reap]
 *
 * Exit 0 when the server accepted the login (and the mail, with --rcpt),
 * 1 when it refused, 2 on usage or connection errors. The SASL error detail
 * and log lines go to stderr, as an application would log them. --trace
 * writes every SASL message in both directions, decoded, with bytes outside
 * printable ASCII as \xNN, one per line ("C: " client, "S: " server).
 * A failed step cancels the exchange with "*"; after a refused login the
 * SASL error detail is printed, as a careful application logs it.
 * --chroot enters DIR after sasl_client_init, as Postfix's smtp does.
 * --sigchld makes it a host that reaps children itself: SIGCHLD ignored, or
 * a handler reaping every child with waitpid(-1), as sendmail's does.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sasl/sasl.h>
#include <sasl/saslutil.h>

#include "testlib.h"

static FILE *trace;

/* sendmail's way: reap every child that has ended, whoever started it. */
static void reap_all(int sig)
{
	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		continue;
}

static int cb_log(void *ctx, int level, const char *message)
{
	(void)ctx;
	fprintf(stderr, "sasl log (level %d): %s\n", level, message);
	return SASL_OK;
}

/* One connection, plain or TLS. */
static struct {
	int fd;
	SSL *ssl;
	char buf[65536];
	size_t have;
} io;

static int io_write(const char *p, size_t n)
{
	while (n > 0) {
		int w = io.ssl ? SSL_write(io.ssl, p, (int)n) : (int)write(io.fd, p, n);

		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int io_printf(const char *line)
{
	fprintf(stderr, "> %.200s%s\n", line, strlen(line) > 200 ? "..." : "");
	return io_write(line, strlen(line)) == 0 && io_write("\r\n", 2) == 0 ? 0 : -1;
}

/* Reads one line (without CRLF) into line. */
static int io_readline(char *line, size_t size)
{
	for (;;) {
		char *nl = memchr(io.buf, '\n', io.have);

		if (nl != NULL) {
			size_t n = (size_t)(nl - io.buf);
			size_t copy = n < size - 1 ? n : size - 1;

			memcpy(line, io.buf, copy);
			line[copy] = '\0';
			if (copy > 0 && line[copy - 1] == '\r')
				line[copy - 1] = '\0';
			memmove(io.buf, nl + 1, io.have - n - 1);
			io.have -= n + 1;
			fprintf(stderr, "< %.200s\n", line);
			return 0;
		}
		if (io.have == sizeof(io.buf))
			return -1;
		int r = io.ssl ? SSL_read(io.ssl, io.buf + io.have, (int)(sizeof(io.buf) - io.have))
		               : (int)read(io.fd, io.buf + io.have, sizeof(io.buf) - io.have);
		if (r <= 0)
			return -1;
		io.have += (size_t)r;
	}
}

static int start_tls(SSL_CTX *ctx)
{
	io.ssl = SSL_new(ctx);
	SSL_set_fd(io.ssl, io.fd);
	SSL_set_tlsext_host_name(io.ssl, "localhost");
	SSL_set1_host(io.ssl, "localhost");
	if (SSL_connect(io.ssl) != 1) {
		ERR_print_errors_fp(stderr);
		return -1;
	}
	return 0;
}

static void trace_bytes(const char *dir, const char *p, unsigned n)
{
	if (trace == NULL)
		return;
	fputs(dir, trace);
	for (unsigned i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			fputc(c, trace);
		else
			fprintf(trace, "\\x%02x", c);
	}
	fputc('\n', trace);
	fflush(trace);
}

static char *b64enc(const char *p, unsigned n)
{
	unsigned cap = (n + 2) / 3 * 4 + 1, len = 0;
	char *out = malloc(cap + 1);

	if (out == NULL || sasl_encode64(p, n, out, cap + 1, &len) != SASL_OK) {
		free(out);
		return NULL;
	}
	return out;
}

int main(int argc, char **argv)
{
	const char *proto = NULL, *tls = "starttls", *ca = NULL, *mech = NULL, *trace_path = NULL;
	const char *mail_from = NULL, *rcpt = NULL, *jail = NULL, *sigchld = NULL;
	int port = 0, use_ir = 1, rc, ok = 0;
	char line[65536], remote[64], *enc = NULL;
	const char *out = NULL, *chosen = NULL;
	unsigned outlen = 0;
	sasl_conn_t *conn = NULL;
	SSL_CTX *ctx;
	struct sockaddr_in sa;
	static char decoded[65536];
	static sasl_callback_t callbacks[] = {
		{ SASL_CB_GETPATH, TEST_SASL_PROC(test_sasl_getpath), NULL },
		{ SASL_CB_LOG, TEST_SASL_PROC(cb_log), NULL },
		{ SASL_CB_LIST_END, NULL, NULL },
	};

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--no-ir") == 0) {
			use_ir = 0;
			continue;
		}
		if (v == NULL)
			goto usage;
		i++;
		if (strcmp(a, "--proto") == 0) proto = v;
		else if (strcmp(a, "--port") == 0) port = (int)strtol(v, NULL, 10);
		else if (strcmp(a, "--tls") == 0) tls = v;
		else if (strcmp(a, "--ca") == 0) ca = v;
		else if (strcmp(a, "--mech") == 0) mech = v;
		else if (strcmp(a, "--user") == 0) test_sasl.authname = v;
		else if (strcmp(a, "--authz") == 0) test_sasl.user = v;
		else if (strcmp(a, "--password") == 0) test_sasl.password = v;
		else if (strcmp(a, "--plugin-path") == 0) test_sasl.path = v;
		else if (strcmp(a, "--trace") == 0) trace_path = v;
		else if (strcmp(a, "--mail-from") == 0) mail_from = v;
		else if (strcmp(a, "--rcpt") == 0) rcpt = v;
		else if (strcmp(a, "--chroot") == 0) jail = v;
		else if (strcmp(a, "--sigchld") == 0) sigchld = v;
		else goto usage;
	}
	if (sigchld != NULL) {
		struct sigaction host;

		memset(&host, 0, sizeof(host));
		sigemptyset(&host.sa_mask);
		if (strcmp(sigchld, "ignore") == 0)
			host.sa_handler = SIG_IGN;
		else if (strcmp(sigchld, "reap") == 0)
			host.sa_handler = reap_all;
		else
			goto usage;
		sigaction(SIGCHLD, &host, NULL);
	}
	if (proto == NULL || port <= 0 || mech == NULL || test_sasl.authname == NULL)
		goto usage;
	if (trace_path != NULL) {
		trace = fopen(trace_path, "w");
		if (trace == NULL) {
			perror(trace_path);
			return 2;
		}
	}

	ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (ca != NULL && SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
		ERR_print_errors_fp(stderr);
		return 2;
	}
	io.fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(io.fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		perror("connect");
		return 2;
	}
	if (strcmp(tls, "implicit") == 0 && start_tls(ctx) != 0)
		return 2;
	if (io_readline(line, sizeof(line)) != 0)
		return 2;
	if (strcmp(tls, "starttls") == 0) {
		if (strcmp(proto, "imap") == 0) {
			io_printf("s1 STARTTLS");
			do {
				if (io_readline(line, sizeof(line)) != 0)
					return 2;
			} while (strncmp(line, "s1 ", 3) != 0);
		} else if (strcmp(proto, "pop3") == 0) {
			io_printf("STLS");
			io_readline(line, sizeof(line));
		} else {
			io_printf("EHLO client.example");
			do {
				if (io_readline(line, sizeof(line)) != 0)
					return 2;
			} while (line[3] == '-');
			io_printf("STARTTLS");
			io_readline(line, sizeof(line));
		}
		if (start_tls(ctx) != 0)
			return 2;
	}
	if (strcmp(proto, "smtp") == 0) {
		io_printf("EHLO client.example");
		do {
			if (io_readline(line, sizeof(line)) != 0)
				return 2;
		} while (line[3] == '-');
	}

	/* Without --plugin-path libsasl2 searches its usual places. */
	if (sasl_client_init(test_sasl.path != NULL ? callbacks : callbacks + 1) != SASL_OK) {
		fprintf(stderr, "sasl_client_init failed\n");
		return 2;
	}
	if (jail != NULL && (chroot(jail) != 0 || chdir("/") != 0)) {
		perror(jail);
		return 2;
	}
	snprintf(remote, sizeof(remote), "127.0.0.1;%d", port);
	/* Postfix-style procs; GETPATH went to sasl_client_init. */
	if (sasl_client_new(strcmp(proto, "smtp") == 0 ? "smtp" : proto, "localhost", NULL, remote, test_sasl_callbacks + 1, 0,
	                    &conn) != SASL_OK)
		return 2;
	rc = sasl_client_start(conn, mech, NULL, &out, &outlen, &chosen);
	if (rc != SASL_OK && rc != SASL_CONTINUE) {
		fprintf(stderr, "sasl error: %s\n", sasl_errdetail(conn));
		return 1;
	}
	trace_bytes("C: ", out, outlen);
	enc = b64enc(out, outlen);
	/* Initial response on the command line only where it fits, as Postfix
	 * does for SMTP (512 octets); POP3's 255-octet limit rules it out. */
	if (strcmp(proto, "imap") == 0) {
		snprintf(line, sizeof(line), use_ir ? "a1 AUTHENTICATE %s %s" : "a1 AUTHENTICATE %s", chosen, enc);
	} else if (strcmp(proto, "pop3") == 0) {
		snprintf(line, sizeof(line), "AUTH %s", chosen);
		use_ir = 0;
	} else {
		use_ir = use_ir && strlen(enc) + strlen(chosen) + 8 <= 512;
		snprintf(line, sizeof(line), use_ir ? "AUTH %s %s" : "AUTH %s", chosen, enc);
	}
	io_printf(line);
	for (;;) {
		unsigned declen = 0;
		const char *data;

		if (io_readline(line, sizeof(line)) != 0)
			return 2;
		if (strncmp(line, "+ ", 2) == 0 || strcmp(line, "+") == 0 || strncmp(line, "334", 3) == 0) {
			data = line[0] == '+' ? line + (line[1] == ' ' ? 2 : 1) : line + (line[3] == ' ' ? 4 : 3);
			if (!use_ir && enc != NULL) {
				/* The server's empty prompt for the deferred initial response. */
				use_ir = 1;
				io_printf(enc);
				continue;
			}
			if (sasl_decode64(data, (unsigned)strlen(data), decoded, sizeof(decoded), &declen) != SASL_OK) {
				fprintf(stderr, "bad base64 from server\n");
				return 2;
			}
			trace_bytes("S: ", decoded, declen);
			rc = sasl_client_step(conn, decoded, declen, NULL, &out, &outlen);
			if (rc != SASL_OK && rc != SASL_CONTINUE) {
				fprintf(stderr, "sasl error: %s\n", sasl_errdetail(conn));
				io_printf("*");
				continue;
			}
			trace_bytes("C: ", out, outlen);
			free(enc);
			enc = b64enc(out, outlen);
			io_printf(enc != NULL ? enc : "");
			continue;
		}
		if (strcmp(proto, "imap") == 0 && strncmp(line, "a1 ", 3) != 0)
			continue;
		ok = strncmp(line, "a1 OK", 5) == 0 || strncmp(line, "+OK", 3) == 0 || strncmp(line, "235", 3) == 0;
		break;
	}
	free(enc);
	if (!ok) {
		fprintf(stderr, "login refused: %s\nsasl detail: %s\n", line, sasl_errdetail(conn));
		return 1;
	}
	if (strcmp(proto, "smtp") == 0 && rcpt != NULL) {
		snprintf(line, sizeof(line), "MAIL FROM:<%s>", mail_from != NULL ? mail_from : test_sasl.authname);
		io_printf(line);
		io_readline(line, sizeof(line));
		snprintf(line, sizeof(line), "RCPT TO:<%s>", rcpt);
		io_printf(line);
		io_readline(line, sizeof(line));
		io_printf("DATA");
		io_readline(line, sizeof(line));
		io_printf("Subject: sasl-oauth test\r\n\r\nsent through the plugin\r\n.");
		io_readline(line, sizeof(line));
		ok = strncmp(line, "250", 3) == 0;
	}
	io_printf(strcmp(proto, "imap") == 0 ? "z LOGOUT" : "QUIT");
	printf("%s\n", ok ? "OK" : "FAILED");
	sasl_dispose(&conn);
	sasl_done();
	return ok ? 0 : 1;
usage:
	fprintf(stderr, "usage: sasl-client --proto imap|pop3|smtp --port N --mech MECH --user U [options]\n");
	return 2;
}
