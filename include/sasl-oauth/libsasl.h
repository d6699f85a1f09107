/* SPDX-License-Identifier: MIT */
/*
 * libsasl: the authenticator (auth.h) that logs in through libsasl2 and
 * whatever client plugin it picks for the mechanism, with callbacks like
 * Postfix's and mbsync's (user names, a log callback, no password), so that
 * "sasl-oauth test" exercises exactly what those programs will. Also which
 * plugins offer a mechanism, in the order libsasl2 tries them ("sasl-oauth
 * config").
 *
 * libsasl2 is set up once per process (sasl_client_init); its plugin path
 * is SASL_PATH, else its own directory, as for any program.
 */
#ifndef SAO_LIBSASL_H
#define SAO_LIBSASL_H

#include <stddef.h>

#include "sasl-oauth/auth.h"
#include "sasl-oauth/error.h"
#include "sasl-oauth/url.h"

#define SAO_LIBSASL_PLUGINS_MAX 16
#define SAO_LIBSASL_NAME_MAX 64

typedef struct sao_libsasl {
	void *conn;                   /* sasl_conn_t */
	void *callbacks;              /* sasl_callback_t[], alive as long as conn */
	char user[SAO_URL_USER_MAX + 1];
	char mech[32];
	char plugin[SAO_LIBSASL_NAME_MAX]; /* the plugin libsasl2 picked */
	int challenged;               /* the server sent an error challenge */
	char detail[SAO_ERROR_MSG_MAX]; /* what the plugin said about it (sasl_errdetail) */
} sao_libsasl_t;

/* Sets a up to log in as user to host through libsasl2 with mech; service
 * is the SASL service name ("imap", "pop", "smtp"), remote the server's
 * "ADDRESS;PORT" (sao_tls_peer; OAUTHBEARER names the port). SAO_ERR_CONFIG
 * when libsasl2 cannot start or no plugin offers mech. sao_libsasl_dispose
 * ends it. */
sao_err_t sao_libsasl_init(sao_auth_t *a, sao_libsasl_t *s, const char *service, const char *mech,
                           const char *user, const char *host, const char *remote, sao_error_t *err);
void sao_libsasl_dispose(sao_libsasl_t *s);

/* The plugins libsasl2 loaded that offer mech, in the order it tries them
 * (the first is its pick); *n_r of them in names. SAO_ERR_CONFIG when
 * libsasl2 cannot start. */
sao_err_t sao_libsasl_plugins(const char *mech, char names[][SAO_LIBSASL_NAME_MAX], size_t max, size_t *n_r,
                              sao_error_t *err);

#endif
