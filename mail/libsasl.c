/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sasl/sasl.h>
#include <sasl/saslplug.h>

#include "sasl-oauth/libsasl.h"

/* libsasl2's callback table holds int (*)(void); each entry is called with
 * its own signature. */
#define PROC(f) ((int (*)(void))(void (*)(void))(f))

static sao_err_t start_libsasl(sao_error_t *err)
{
	static int started;

	if (!started && sasl_client_init(NULL) != SASL_OK)
		return sao_error_set(err, SAO_ERR_CONFIG, "libsasl2 could not load its client plugins");
	started = 1;
	return SAO_OK;
}

/* What a plugin's failure means, in sasl-oauth's terms: the plugin maps its
 * own errors to these codes (plugin.c), and "sasl-oauth test" exits as the
 * table of docs/cli.md says. */
static sao_err_t from_sasl(int r)
{
	switch (r) {
	case SASL_NOMEM: return SAO_ERR_NOMEM;
	case SASL_EXPIRED: return SAO_ERR_LOGIN;
	case SASL_UNAVAIL: return SAO_ERR_NET;
	case SASL_BADAUTH: return SAO_ERR_REJECTED;
	case SASL_BADPROT: return SAO_ERR_PROTO;
	case SASL_BADPARAM: return SAO_ERR_NOCRED;
	case SASL_NOMECH: return SAO_ERR_CONFIG;
	default: return SAO_ERR_CMD;
	}
}

/* The plugin's own words: sasl_errdetail without libsasl2's leader
 * ("SASL(-1): generic failure: "). */
static void detail(const sao_libsasl_t *s, char *buf, size_t size)
{
	const char *d = sasl_errdetail(s->conn), *p;

	if (d == NULL)
		d = "";
	p = strstr(d, "): ");
	if (p != NULL)
		p = strstr(p + 3, ": ");
	if (p != NULL)
		d = p + 2;
	sao_error_printable(d, strlen(d), buf, size - 4);
}

static sao_err_t failed(const sao_libsasl_t *s, int r, const char *what, sao_error_t *err)
{
	char said[SAO_ERROR_MSG_MAX];

	detail(s, said, sizeof(said));
	if (r == SASL_INTERACT)
		return sao_error_set(err, SAO_ERR_NOCRED,
		                     "libsasl2's %s plugin (%s) asked for a password %s: it is not sasl-oauth's, or no "
		                     "account serves '%s' (see: sasl-oauth config)",
		                     s->mech, s->plugin, what, s->user);
	return sao_error_set(err, from_sasl(r), "the %s plugin failed %s: %s", s->plugin, what,
	                     said[0] != '\0' ? said : sasl_errstring(r, NULL, NULL));
}

static sao_err_t libsasl_start(void *ctx, sao_secret_t *out, sao_error_t *err)
{
	sao_libsasl_t *s = ctx;
	sasl_interact_t *interact = NULL;
	const char *clientout = NULL, *chosen = NULL;
	unsigned len = 0;
	int r = sasl_client_start(s->conn, s->mech, &interact, &clientout, &len, &chosen);

	if (r != SASL_OK && r != SASL_CONTINUE)
		return failed(s, r, "before sending anything", err);
	return sao_secret_set(out, clientout != NULL ? clientout : "", len, err);
}

/* The plugin answers an error challenge as the mechanism requires and says
 * why through sasl_errdetail; the server's refusal follows. */
static sao_err_t libsasl_step(void *ctx, const unsigned char *challenge, size_t len, sao_secret_t *out,
                              sao_error_t *err)
{
	sao_libsasl_t *s = ctx;
	sasl_interact_t *interact = NULL;
	const char *clientout = NULL;
	unsigned n = 0;
	int r;

	if (len > 0)
		s->challenged = 1;
	r = sasl_client_step(s->conn, (const char *)challenge, (unsigned)len, &interact, &clientout, &n);
	if (s->challenged)
		detail(s, s->detail, sizeof(s->detail));
	if (r != SASL_OK && r != SASL_CONTINUE)
		return failed(s, r, "answering the server's challenge", err);
	return sao_secret_set(out, clientout != NULL ? clientout : "", n, err);
}

static const char *libsasl_diagnosis(void *ctx)
{
	sao_libsasl_t *s = ctx;

	return s->challenged && s->detail[0] != '\0' ? s->detail : NULL;
}

static const sao_auth_ops_t libsasl_ops = {
	.start = libsasl_start,
	.step = libsasl_step,
	.diagnosis = libsasl_diagnosis,
};

static int get_user(void *ctx, int id, const char **result, unsigned *len)
{
	const sao_libsasl_t *s = ctx;

	if (id != SASL_CB_USER && id != SASL_CB_AUTHNAME)
		return SASL_BADPARAM;
	*result = s->user;
	if (len != NULL)
		*len = (unsigned)strlen(s->user);
	return SASL_OK;
}

/* Programs register a password callback (Postfix) or answer its prompt
 * (mbsync), and libsasl2 skips a plugin whose required prompts nobody can
 * answer: without this one it would pass over another XOAUTH2 plugin the
 * programs do get. sasl-oauth's plugin never asks for a configured user. */
static int get_pass(sasl_conn_t *conn, void *ctx, int id, sasl_secret_t **psecret)
{
	static sasl_secret_t none = { .len = 0 };

	(void)conn;
	(void)ctx;
	if (id != SASL_CB_PASS || psecret == NULL)
		return SASL_BADPARAM;
	*psecret = &none;
	return SASL_OK;
}

sao_err_t sao_libsasl_init(sao_auth_t *a, sao_libsasl_t *s, const char *service, const char *mech,
                           const char *user, const char *host, const char *remote, sao_error_t *err)
{
	char names[1][SAO_LIBSASL_NAME_MAX];
	sasl_callback_t *cb;
	size_t n = 0;
	sao_err_t rc;
	int r;

	memset(s, 0, sizeof(*s));
	memset(a, 0, sizeof(*a));
	snprintf(s->user, sizeof(s->user), "%s", user);
	snprintf(s->mech, sizeof(s->mech), "%s", mech);
	rc = sao_libsasl_plugins(mech, names, 1, &n, err);
	if (rc != SAO_OK)
		return rc;
	if (n == 0)
		return sao_error_set(err, SAO_ERR_CONFIG, "no libsasl2 client plugin offers %s (SASL_PATH: %s); is "
		                     "sasl-oauth's plugin installed?", mech,
		                     getenv("SASL_PATH") != NULL ? getenv("SASL_PATH") : "not set, libsasl2's own directory");
	snprintf(s->plugin, sizeof(s->plugin), "%s", names[0]);
	cb = calloc(4, sizeof(*cb));
	if (cb == NULL)
		return sao_error_set(err, SAO_ERR_NOMEM, "out of memory");
	cb[0] = (sasl_callback_t){ SASL_CB_USER, PROC(get_user), s };
	cb[1] = (sasl_callback_t){ SASL_CB_AUTHNAME, PROC(get_user), s };
	cb[2] = (sasl_callback_t){ SASL_CB_PASS, PROC(get_pass), NULL };
	cb[3] = (sasl_callback_t){ SASL_CB_LIST_END, NULL, NULL };
	s->callbacks = cb;
	r = sasl_client_new(service, host, NULL, remote, cb, 0, (sasl_conn_t **)&s->conn);
	if (r != SASL_OK) {
		sao_libsasl_dispose(s);
		return sao_error_set(err, SAO_ERR_CONFIG, "libsasl2 cannot start a connection: %s",
		                     sasl_errstring(r, NULL, NULL));
	}
	a->mech = s->mech;
	a->ops = &libsasl_ops;
	a->ctx = s;
	return SAO_OK;
}

void sao_libsasl_dispose(sao_libsasl_t *s)
{
	sasl_conn_t *conn = s->conn;

	if (conn != NULL)
		sasl_dispose(&conn);
	s->conn = NULL;
	free(s->callbacks);
	s->callbacks = NULL;
}

typedef struct found {
	const char *mech;
	char (*names)[SAO_LIBSASL_NAME_MAX];
	size_t max, n;
} found_t;

static void collect(client_sasl_mechanism_t *m, sasl_info_callback_stage_t stage, void *rock)
{
	found_t *f = rock;

	if (stage != SASL_INFO_LIST_MECH || m == NULL || m->plug == NULL || m->plug->mech_name == NULL)
		return;
	if (strcasecmp(m->plug->mech_name, f->mech) != 0 || f->n >= f->max)
		return;
	snprintf(f->names[f->n++], SAO_LIBSASL_NAME_MAX, "%s", m->plugname != NULL ? m->plugname : "?");
}

sao_err_t sao_libsasl_plugins(const char *mech, char names[][SAO_LIBSASL_NAME_MAX], size_t max, size_t *n_r,
                              sao_error_t *err)
{
	found_t f = { .mech = mech, .names = names, .max = max };
	sao_err_t rc = start_libsasl(err);

	*n_r = 0;
	if (rc != SAO_OK)
		return rc;
	/* Ties of rank stay in load order, which this walk follows as
	 * sasl_client_start does. */
	if (sasl_client_plugin_info(mech, collect, &f) == SASL_OK)
		*n_r = f.n;
	return SAO_OK;
}
