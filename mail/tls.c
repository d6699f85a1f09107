/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "sasl-oauth/tls.h"

/* Large enough for any line the dialogues read (an IMAP capability list, a
 * server challenge of SAO_CHALLENGE_MAX base64 bytes fits too). */
#define RBUF_SIZE 32768

struct sao_tls {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	char host[256];
	const char *ca_file;
	const char *ca_path;
	int timeout_ms;
	size_t rpos, wpos;
	sao_tls_trace_fn trace;
	void *trace_ctx;
	char rbuf[RBUF_SIZE];
};

/* The first OpenSSL error in words, for messages. */
static const char *ssl_reason(char *buf, size_t size)
{
	unsigned long e = ERR_get_error();

	if (e == 0)
		return "no further detail";
	ERR_error_string_n(e, buf, size);
	ERR_clear_error();
	return buf;
}

/* Waits for events on the socket within the time limit. */
static sao_err_t wait_fd(sao_tls_t *c, short events, const char *what, sao_error_t *err)
{
	struct pollfd p = { .fd = c->fd, .events = events };
	int n;

	do
		n = poll(&p, 1, c->timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return sao_error_set(err, SAO_ERR_TIMEOUT, "the mail server '%s' did not answer within %d seconds while %s",
		                     c->host, c->timeout_ms / 1000, what);
	if (n < 0)
		return sao_error_set(err, SAO_ERR_NET, "waiting for the mail server '%s' failed: %s", c->host,
		                     strerror(errno));
	return SAO_OK;
}

static int is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr);
	return 0;
}

static sao_tls_t *conn_new(const char *host, const sao_tls_opts_t *o)
{
	sao_tls_t *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->fd = -1;
	snprintf(c->host, sizeof(c->host), "%s", host);
	c->ca_file = o->ca_file;
	c->ca_path = o->ca_path;
	c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 60000;
	return c;
}

/* One connect attempt, waiting at most the time limit. Returns the socket or -1
 * with errno set. */
static int connect_one(sao_tls_t *c, const struct addrinfo *ai)
{
	struct pollfd p;
	socklen_t len = sizeof(int);
	int fd, soerr = 0, one = 1, n;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		if (errno != EINPROGRESS)
			goto fail;
		p.fd = fd;
		p.events = POLLOUT;
		do
			n = poll(&p, 1, c->timeout_ms);
		while (n < 0 && errno == EINTR);
		if (n == 0)
			errno = ETIMEDOUT;
		if (n <= 0)
			goto fail;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
			goto fail;
		if (soerr != 0) {
			errno = soerr;
			goto fail;
		}
	}
	/* The dialogue is short lines, answered one at a time; a session may
	 * then sit in IDLE for hours, and a server that vanished should end it. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	return fd;
fail:
	n = errno;
	close(fd);
	errno = n;
	return -1;
}

sao_err_t sao_tls_connect(const char *host, const char *port, int tls, const sao_tls_opts_t *o, sao_tls_t **c_r,
                          sao_error_t *err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG };
	struct addrinfo *res = NULL, *ai;
	sao_tls_t *c;
	int gai, last = 0, loopback = 0;
	sao_err_t rc;

	*c_r = NULL;
	c = conn_new(host, o);
	if (c == NULL)
		return sao_error_set(err, SAO_ERR_NOMEM, "out of memory");
	gai = getaddrinfo(host, port, &hints, &res);
	if (gai != 0) {
		rc = sao_error_set(err, SAO_ERR_NET,
		                   "cannot find the mail server '%s': %s; check the host name, and that this machine can "
		                   "resolve names (DNS) and reach the network",
		                   host, gai_strerror(gai));
		goto out;
	}
	for (ai = res; ai != NULL && c->fd < 0; ai = ai->ai_next) {
		c->fd = connect_one(c, ai);
		if (c->fd < 0)
			last = errno;
		else
			loopback = is_loopback(ai->ai_addr);
	}
	if (c->fd < 0) {
		rc = sao_error_set(err, SAO_ERR_NET, "cannot connect to the mail server '%s' port %s: %s", host, port,
		                   strerror(last));
		goto out;
	}
	if (!tls && o->allow_plaintext && !loopback) {
		rc = sao_error_set(err, SAO_ERR_CONFIG,
		                   "refusing a plaintext connection to '%s': the token would travel unencrypted; plaintext "
		                   "is only for servers on a loopback address",
		                   host);
		goto out;
	}
	rc = tls ? sao_tls_start(c, err) : SAO_OK;
out:
	if (res != NULL)
		freeaddrinfo(res);
	if (rc == SAO_OK)
		*c_r = c;
	else
		sao_tls_free(&c);
	return rc;
}

sao_err_t sao_tls_wrap_fd(int fd, const char *host, const sao_tls_opts_t *o, sao_tls_t **c_r, sao_error_t *err)
{
	sao_tls_t *c = conn_new(host, o);

	*c_r = NULL;
	if (c == NULL) {
		close(fd);
		return sao_error_set(err, SAO_ERR_NOMEM, "out of memory");
	}
	c->fd = fd;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
		sao_tls_free(&c);
		return sao_error_set(err, SAO_ERR_IO, "cannot make the connection non-blocking: %s", strerror(errno));
	}
	*c_r = c;
	return SAO_OK;
}

static sao_err_t verify_failed(sao_tls_t *c, sao_error_t *err)
{
	long v = SSL_get_verify_result(c->ssl);

	if (v == X509_V_ERR_HOSTNAME_MISMATCH || v == X509_V_ERR_IP_ADDRESS_MISMATCH)
		return sao_error_set(err, SAO_ERR_PROTO,
		                     "the certificate of the mail server '%s' is not for that name (%s); use the host name "
		                     "the certificate names",
		                     c->host, X509_verify_cert_error_string(v));
	return sao_error_set(err, SAO_ERR_PROTO,
	                     "the certificate of the mail server '%s' did not verify: %s; if the server uses a private "
	                     "CA, give it with --ca-file",
	                     c->host, X509_verify_cert_error_string(v));
}

static sao_err_t make_ssl(sao_tls_t *c, sao_error_t *err)
{
	char why[256];
	struct in6_addr a6;
	struct in_addr a4;
	int literal = inet_pton(AF_INET, c->host, &a4) == 1 || inet_pton(AF_INET6, c->host, &a6) == 1;

	c->ctx = SSL_CTX_new(TLS_client_method());
	if (c->ctx == NULL)
		return sao_error_set(err, SAO_ERR_NOMEM, "cannot set up TLS: %s", ssl_reason(why, sizeof(why)));
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	/* Servers that drop the connection without close_notify end a session
	 * normally; the mail protocol says where it ends. */
	SSL_CTX_set_options(c->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_mode(c->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (c->ca_file != NULL || c->ca_path != NULL) {
		if (SSL_CTX_load_verify_locations(c->ctx, c->ca_file, c->ca_path) != 1)
			return sao_error_set(err, SAO_ERR_CONFIG, "cannot load the CA certificates '%s': %s",
			                     c->ca_file != NULL ? c->ca_file : c->ca_path, ssl_reason(why, sizeof(why)));
	} else if (SSL_CTX_set_default_verify_paths(c->ctx) != 1) {
		return sao_error_set(err, SAO_ERR_CONFIG, "cannot load the system's CA certificates: %s",
		                     ssl_reason(why, sizeof(why)));
	}
	c->ssl = SSL_new(c->ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1)
		return sao_error_set(err, SAO_ERR_NOMEM, "cannot set up TLS: %s", ssl_reason(why, sizeof(why)));
	if (literal) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), c->host) != 1)
			return sao_error_set(err, SAO_ERR_INTERNAL, "cannot check the address '%s'", c->host);
	} else if (SSL_set1_host(c->ssl, c->host) != 1 || SSL_set_tlsext_host_name(c->ssl, c->host) != 1) {
		return sao_error_set(err, SAO_ERR_INTERNAL, "cannot check the name '%s'", c->host);
	}
	return SAO_OK;
}

sao_err_t sao_tls_start(sao_tls_t *c, sao_error_t *err)
{
	char why[256];
	int r, e;
	sao_err_t rc;

	if (c->rpos != c->wpos)
		return sao_error_set(err, SAO_ERR_PROTO,
		                     "the mail server '%s' sent %zu bytes before the TLS handshake; they could have been "
		                     "injected by anyone on the path, so the connection is dropped",
		                     c->host, c->wpos - c->rpos);
	rc = make_ssl(c, err);
	if (rc != SAO_OK)
		return rc;
	for (;;) {
		ERR_clear_error();
		r = SSL_connect(c->ssl);
		if (r == 1)
			return SAO_OK;
		e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			rc = wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, "starting TLS", err);
			if (rc != SAO_OK)
				return rc;
			continue;
		}
		if (SSL_get_verify_result(c->ssl) != X509_V_OK)
			return verify_failed(c, err);
		return sao_error_set(err, SAO_ERR_NET, "the TLS handshake with the mail server '%s' failed: %s", c->host,
		                     e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 ? "the server closed the connection"
		                                                                     : ssl_reason(why, sizeof(why)));
	}
}

const char *sao_tls_peer(const sao_tls_t *c, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char addr[NI_MAXHOST], port[NI_MAXSERV];

	if (getpeername(c->fd, (struct sockaddr *)&ss, &len) != 0 ||
	    getnameinfo((struct sockaddr *)&ss, len, addr, sizeof(addr), port, sizeof(port),
	                NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		return NULL;
	snprintf(buf, size, "%s;%s", addr, port);
	return buf;
}

int sao_tls_secure(const sao_tls_t *c)
{
	return c->ssl != NULL;
}

int sao_tls_fd(const sao_tls_t *c)
{
	return c->fd;
}

int sao_tls_pending(const sao_tls_t *c)
{
	return c->rpos != c->wpos || (c->ssl != NULL && SSL_pending(c->ssl) > 0);
}

/* Reads from the socket itself, bypassing the line buffer. */
static ssize_t raw_read(sao_tls_t *c, void *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;
	int e;

	if (c->ssl == NULL) {
		do
			r = recv(c->fd, buf, n, 0);
		while (r < 0 && errno == EINTR);
		if (r < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? SAO_TLS_WANT_READ : SAO_TLS_FAILED;
		return r;
	}
	ERR_clear_error();
	if (SSL_read_ex(c->ssl, buf, n, &got) == 1)
		return (ssize_t)got;
	e = SSL_get_error(c->ssl, 0);
	switch (e) {
	case SSL_ERROR_WANT_READ: return SAO_TLS_WANT_READ;
	case SSL_ERROR_WANT_WRITE: return SAO_TLS_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN: return 0;
	default: return SAO_TLS_FAILED;
	}
}

ssize_t sao_tls_read(sao_tls_t *c, void *buf, size_t n)
{
	if (c->rpos != c->wpos) {
		size_t k = c->wpos - c->rpos < n ? c->wpos - c->rpos : n;

		memcpy(buf, c->rbuf + c->rpos, k);
		c->rpos += k;
		return (ssize_t)k;
	}
	return raw_read(c, buf, n);
}

ssize_t sao_tls_write(sao_tls_t *c, const void *buf, size_t n)
{
	size_t put = 0;
	ssize_t r;
	int e;

	if (c->ssl == NULL) {
		do
			r = send(c->fd, buf, n, MSG_NOSIGNAL);
		while (r < 0 && errno == EINTR);
		if (r < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? SAO_TLS_WANT_WRITE : SAO_TLS_FAILED;
		return r;
	}
	ERR_clear_error();
	if (SSL_write_ex(c->ssl, buf, n, &put) == 1)
		return (ssize_t)put;
	e = SSL_get_error(c->ssl, 0);
	if (e == SSL_ERROR_WANT_READ)
		return SAO_TLS_WANT_READ;
	if (e == SSL_ERROR_WANT_WRITE)
		return SAO_TLS_WANT_WRITE;
	return SAO_TLS_FAILED;
}

/* Waits as an operation asked and says what went wrong otherwise. */
static sao_err_t wait_for(sao_tls_t *c, ssize_t r, const char *what, sao_error_t *err)
{
	char why[256];

	if (r == SAO_TLS_WANT_READ)
		return wait_fd(c, POLLIN, what, err);
	if (r == SAO_TLS_WANT_WRITE)
		return wait_fd(c, POLLOUT, what, err);
	if (r == 0)
		return sao_error_set(err, SAO_ERR_NET, "the mail server '%s' closed the connection while %s", c->host, what);
	return sao_error_set(err, SAO_ERR_NET, "the connection to the mail server '%s' failed while %s: %s", c->host, what,
	                     c->ssl != NULL && ERR_peek_error() != 0 ? ssl_reason(why, sizeof(why)) : strerror(errno));
}

void sao_tls_set_trace(sao_tls_t *c, sao_tls_trace_fn fn, void *ctx)
{
	c->trace = fn;
	c->trace_ctx = ctx;
}

static sao_err_t write_bytes(sao_tls_t *c, const void *p, size_t n, sao_error_t *err)
{
	const unsigned char *b = p;
	sao_err_t rc;

	while (n > 0) {
		ssize_t r = sao_tls_write(c, b, n);

		if (r > 0) {
			b += r;
			n -= (size_t)r;
			continue;
		}
		rc = wait_for(c, r, "sending a command", err);
		if (rc != SAO_OK)
			return rc;
	}
	return SAO_OK;
}

sao_err_t sao_tls_write_all(sao_tls_t *c, const void *p, size_t n, sao_error_t *err)
{
	return sao_tls_write_secret(c, p, n, n, err);
}

sao_err_t sao_tls_write_secret(sao_tls_t *c, const void *p, size_t n, size_t shown, sao_error_t *err)
{
	sao_err_t rc = write_bytes(c, p, n, err);

	if (rc == SAO_OK && c->trace != NULL)
		c->trace(c->trace_ctx, SAO_TLS_SENT, p, shown < n ? shown : n, shown < n ? n - shown : 0);
	return rc;
}

const char *sao_tls_describe(const sao_tls_t *c, char *buf, size_t size)
{
	X509 *peer;
	char subject[256] = "";

	if (c->ssl == NULL) {
		snprintf(buf, size, "no TLS");
		return buf;
	}
	peer = SSL_get1_peer_certificate(c->ssl);
	if (peer != NULL) {
		X509_NAME_oneline(X509_get_subject_name(peer), subject, sizeof(subject));
		X509_free(peer);
	}
	snprintf(buf, size, "%s, %s, certificate %s verified for '%s'", SSL_get_version(c->ssl),
	         SSL_get_cipher_name(c->ssl), subject, c->host);
	return buf;
}

sao_err_t sao_tls_read_line(sao_tls_t *c, char *line, size_t max, size_t *len_r, sao_error_t *err)
{
	sao_err_t rc;

	*len_r = 0;
	if (max < 2)
		return sao_error_set(err, SAO_ERR_INTERNAL, "line buffer too small");
	for (;;) {
		char *nl = memchr(c->rbuf + c->rpos, '\n', c->wpos - c->rpos);
		size_t have = nl != NULL ? (size_t)(nl - (c->rbuf + c->rpos)) + 1 : c->wpos - c->rpos;
		ssize_t r;

		if (have >= max)
			return sao_error_set(err, SAO_ERR_TOOBIG,
			                     "the mail server '%s' sent a line longer than %zu bytes during the login",
			                     c->host, max - 1);
		if (nl != NULL) {
			if (memchr(c->rbuf + c->rpos, '\0', have) != NULL)
				return sao_error_set(err, SAO_ERR_PROTO, "the mail server '%s' sent a NUL byte during the login",
				                     c->host);
			memcpy(line, c->rbuf + c->rpos, have);
			line[have] = '\0';
			c->rpos += have;
			*len_r = have;
			if (c->trace != NULL)
				c->trace(c->trace_ctx, SAO_TLS_RECEIVED, line, have, 0);
			return SAO_OK;
		}
		if (c->rpos > 0) {
			memmove(c->rbuf, c->rbuf + c->rpos, c->wpos - c->rpos);
			c->wpos -= c->rpos;
			c->rpos = 0;
		}
		r = raw_read(c, c->rbuf + c->wpos, sizeof(c->rbuf) - c->wpos);
		if (r > 0) {
			c->wpos += (size_t)r;
			continue;
		}
		rc = wait_for(c, r, "reading its answer", err);
		if (rc != SAO_OK)
			return rc;
	}
}

void sao_tls_farewell(sao_tls_t *c, const char *cmd, const char *until)
{
	char line[512];
	size_t n;

	if (sao_tls_write_all(c, cmd, strlen(cmd), NULL) != SAO_OK)
		return;
	while (sao_tls_read_line(c, line, sizeof(line), &n, NULL) == SAO_OK && until != NULL &&
	       strncmp(line, until, strlen(until)) != 0)
		;
}

void sao_tls_shutdown_write(sao_tls_t *c)
{
	if (c->ssl != NULL) {
		ERR_clear_error();
		(void)SSL_shutdown(c->ssl);
	}
	(void)shutdown(c->fd, SHUT_WR);
}

void sao_tls_free(sao_tls_t **c)
{
	if (*c == NULL)
		return;
	if ((*c)->ssl != NULL)
		SSL_free((*c)->ssl);
	if ((*c)->ctx != NULL)
		SSL_CTX_free((*c)->ctx);
	if ((*c)->fd >= 0)
		close((*c)->fd);
	free(*c);
	*c = NULL;
}
