/* SPDX-License-Identifier: MIT */
/*
 * tls: the connection to a mail server, the only user of OpenSSL's TLS.
 *
 * A connection is a TCP socket with, once TLS is on, an SSL object that
 * verifies the server's certificate chain (system store, or --ca-file /
 * --ca-path) and its name (RFC 6125: DNS name, or IP address for an address
 * literal); there is no switch to turn either off. Plaintext is refused
 * unless the server is on a loopback address (tests) and the caller asked
 * for plaintext explicitly; STARTTLS never falls back.
 *
 * Lines are read through a small buffer of the connection (protocol
 * dialogues); bytes left in it after the dialogue belong to the session and
 * are handed out first by sao_tls_read. Before TLS starts on a plaintext
 * connection the buffer must be empty: bytes the server sent ahead of the
 * handshake would otherwise be taken as protected (the STARTTLS command
 * injection of CVE-2011-0411), so sao_tls_start refuses them.
 *
 * The socket is non-blocking; the dialogue functions wait with poll and a
 * time limit, the relay functions report what they wait for.
 * Ownership: sao_tls_t owns the socket and the SSL objects; sao_tls_free
 * closes them.
 */
#ifndef SAO_TLS_H
#define SAO_TLS_H

#include <stddef.h>
#include <sys/types.h>

#include "sasl-oauth/error.h"

typedef struct sao_tls sao_tls_t;

typedef struct sao_tls_opts {
	const char *ca_file;   /* NULL: the system's default store */
	const char *ca_path;
	int timeout_ms;        /* connect, handshake, each line of the dialogue */
	int allow_plaintext;   /* no TLS at all: refused unless the address is loopback */
} sao_tls_opts_t;

/* Connects to host:port (every address getaddrinfo gives, in order) and, when
 * tls is set, completes the TLS handshake. SAO_ERR_NET when the server cannot
 * be reached or the handshake fails; a certificate that does not verify is
 * SAO_ERR_PROTO with the reason and the fix (--ca-file). Without tls, the
 * caller either starts TLS with STARTTLS next or has set allow_plaintext,
 * which is SAO_ERR_CONFIG unless the address is a loopback one. */
sao_err_t sao_tls_connect(const char *host, const char *port, int tls, const sao_tls_opts_t *o, sao_tls_t **c_r,
                          sao_error_t *err);

/* A connection over an already connected descriptor (unit tests drive the
 * dialogues over a socketpair); the connection takes fd over. */
sao_err_t sao_tls_wrap_fd(int fd, const char *host, const sao_tls_opts_t *o, sao_tls_t **c_r, sao_error_t *err);

/* The server's numeric address and port as libsasl2 takes them,
 * "ADDRESS;PORT", in buf; NULL when the socket cannot tell. */
const char *sao_tls_peer(const sao_tls_t *c, char *buf, size_t size);

/* Starts TLS on a plaintext connection (after STARTTLS / STLS). */
sao_err_t sao_tls_start(sao_tls_t *c, sao_error_t *err);

/* 1 when TLS is on. */
int sao_tls_secure(const sao_tls_t *c);

/* Reads one line ending in LF into line (at most max bytes including the
 * CRLF, NUL-terminated after them; *len_r excludes the NUL). A longer line
 * is SAO_ERR_TOOBIG, a NUL byte SAO_ERR_PROTO, the end of the connection
 * SAO_ERR_NET, no line within timeout_ms SAO_ERR_TIMEOUT. */
sao_err_t sao_tls_read_line(sao_tls_t *c, char *line, size_t max, size_t *len_r, sao_error_t *err);

/* Writes all n bytes (waiting at most timeout_ms). */
sao_err_t sao_tls_write_all(sao_tls_t *c, const void *p, size_t n, sao_error_t *err);

/* The same for bytes that hold a secret after their first shown bytes
 * (a SASL response): a trace sees only those. */
sao_err_t sao_tls_write_secret(sao_tls_t *c, const void *p, size_t n, size_t shown, sao_error_t *err);

/* The session's last command (cmd, with its CRLF), then its answer: lines
 * up to one that starts with until, or one line when until is NULL. What
 * the server answers, or whether it closes first, does not matter. */
void sao_tls_farewell(sao_tls_t *c, const char *cmd, const char *until);

/* ---- transcript ("sasl-oauth test -v") ------------------------------ */

/* Called with every line the dialogues read and every write they make,
 * never with the relay's bytes. hidden: how many bytes after p[0..n) were
 * sent but withheld from the trace (0 for all but sao_tls_write_secret). */
enum { SAO_TLS_SENT = 'C', SAO_TLS_RECEIVED = 'S' };
typedef void (*sao_tls_trace_fn)(void *ctx, int dir, const char *p, size_t n, size_t hidden);
void sao_tls_set_trace(sao_tls_t *c, sao_tls_trace_fn fn, void *ctx);

/* "TLSv1.3, TLS_AES_256_GCM_SHA384, certificate /CN=... verified for
 * 'host'" or "no TLS", in buf. Returns buf. */
const char *sao_tls_describe(const sao_tls_t *c, char *buf, size_t size);

/* ---- relay: non-blocking, one call per poll round ------------------- */

/* The descriptor to poll. */
int sao_tls_fd(const sao_tls_t *c);

/* 1 when bytes are ready without touching the socket (line buffer or
 * decrypted TLS data): poll would not show them. */
int sao_tls_pending(const sao_tls_t *c);

/* Outcome of sao_tls_read / sao_tls_write: > 0 bytes moved; 0 the peer
 * closed (read only); SAO_TLS_WANT_READ / SAO_TLS_WANT_WRITE: poll for that
 * and call again; SAO_TLS_FAILED: the connection is broken. */
#define SAO_TLS_WANT_READ (-1)
#define SAO_TLS_WANT_WRITE (-2)
#define SAO_TLS_FAILED (-3)

ssize_t sao_tls_read(sao_tls_t *c, void *buf, size_t n);
ssize_t sao_tls_write(sao_tls_t *c, const void *buf, size_t n);

/* Ends our direction (TLS close_notify, then TCP FIN); reading goes on. */
void sao_tls_shutdown_write(sao_tls_t *c);

void sao_tls_free(sao_tls_t **c);

#endif
