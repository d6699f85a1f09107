/* SPDX-License-Identifier: MIT */
/*
 * plugin: the Cyrus SASL client glue for XOAUTH2 and OAUTHBEARER.
 *
 * A guest in somebody else's process (DESIGN.md §8): no output on stdout or
 * stderr, no exit, no signal handlers, no global state. The configuration is
 * read once in sasl_client_plug_init and lives in the mechanisms' glob_context
 * (freed by the last mech_free). With no configuration file the plugin
 * registers no mechanism at all; with a broken one it registers both and
 * reports the precise error at login.
 *
 * State machine per connection (driven by our own state, not by serverinlen,
 * because mbsync without SASL-IR calls the first step with serverin = ""):
 *   START  -> gather user names (prompts or callbacks), pick the account,
 *             fetch the token, send the initial response        -> SENT
 *   SENT   -> empty/NULL server data: success, canon_user, done  -> DONE
 *          -> non-empty: the server's error challenge: decode it, mark the
 *             cached token rejected, report the reason (sasl_seterror and
 *             the SASL log) and answer as the mechanism requires: an empty
 *             response for XOAUTH2, 0x01 for OAUTHBEARER (RFC 7628 §3.2.3);
 *             the server then ends the exchange with its failure -> FAILED
 *   FAILED -> every further step fails with the same reason
 *
 * Why the challenge is answered instead of failing the step: a failed step
 * leaves the server waiting for a response the application never sends;
 * mbsync 1.4 then hangs until its timeout. Answering lets the server close
 * the exchange at once, and the next login refuses the rejected token with
 * a message before anything is sent.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sasl/sasl.h>
#include <sasl/saslplug.h>

#include "sasl-oauth/cache.h"
#include "sasl-oauth/challenge.h"
#include "sasl-oauth/claims.h"
#include "sasl-oauth/json.h"
#include "sasl-oauth/mech.h"
#include "sasl-oauth/secret.h"
#include "sasl-oauth/settings.h"
#include "sasl-oauth/source.h"

#define SAO_EXPORT __attribute__((visibility("default")))
#define USER_MAX 1024

typedef struct mech_def {
	const char *name;
	sao_mech_encode_fn encode;
	const char *error_reply; /* what the mechanism answers to an error challenge */
	unsigned error_reply_len;
} mech_def_t;

static const mech_def_t mech_defs[] = {
	{ .name = "XOAUTH2", .encode = sao_mech_xoauth2_encode, .error_reply = "", .error_reply_len = 0 },
	{ .name = "OAUTHBEARER", .encode = sao_mech_oauthbearer_encode, .error_reply = "\x01", .error_reply_len = 1 },
};
#define N_MECHS (sizeof(mech_defs) / sizeof(mech_defs[0]))

struct plugin_state;

/* One mechanism's glob_context: which encoder, and the shared state. */
typedef struct mech_ctx {
	const mech_def_t *def;
	struct plugin_state *shared;
} mech_ctx_t;

/* Shared by both mechanisms: the once-read configuration. (Not "glob_t":
 * that is POSIX <glob.h>'s.) */
typedef struct plugin_state {
	sao_settings_t *settings;   /* NULL when loading failed */
	sao_error_t load_err;       /* why loading failed */
	int refs;                   /* mechanisms still registered */
	mech_ctx_t mctx[N_MECHS];
	sasl_client_plug_t plugs[N_MECHS];
} plugin_state_t;

enum mech_conn_state { START, SENT, DONE, FAILED };

/* One login in progress: the mechanism's conn_context (not libsasl2's
 * sasl_conn_t, the connection it runs on). */
typedef struct mech_conn {
	const mech_def_t *def;
	plugin_state_t *shared;
	enum mech_conn_state state;
	char authid[USER_MAX];
	char authzid[USER_MAX];
	int have_names;
	const sao_account_t *account;
	sao_source_result_t source;
	sao_secret_t token;
	sao_secret_t out;           /* clientout must stay valid until the next call */
	sao_error_t err;            /* the failure, repeated by later steps */
} mech_conn_t;

/* The one place internal errors become SASL codes. */
static const struct {
	sao_err_t err;
	int sasl;
} err_map[] = {
	{ SAO_ERR_NOMEM, SASL_NOMEM },     { SAO_ERR_CONFIG, SASL_FAIL },   { SAO_ERR_PERM, SASL_FAIL },
	{ SAO_ERR_IO, SASL_FAIL },         { SAO_ERR_NOTFOUND, SASL_FAIL }, { SAO_ERR_CORRUPT, SASL_FAIL },
	{ SAO_ERR_TOOBIG, SASL_FAIL },     { SAO_ERR_PROTO, SASL_BADPROT }, { SAO_ERR_CMD, SASL_FAIL },
	{ SAO_ERR_TIMEOUT, SASL_UNAVAIL }, { SAO_ERR_STALE, SASL_EXPIRED }, { SAO_ERR_REJECTED, SASL_BADAUTH },
	{ SAO_ERR_NOCRED, SASL_BADPARAM }, { SAO_ERR_INTERNAL, SASL_FAIL },  { SAO_ERR_NET, SASL_UNAVAIL },
	{ SAO_ERR_OAUTH, SASL_FAIL },      { SAO_ERR_LOGIN, SASL_EXPIRED },
};

static int to_sasl(sao_err_t e)
{
	for (size_t i = 0; i < sizeof(err_map) / sizeof(err_map[0]); i++) {
		if (err_map[i].err == e)
			return err_map[i].sasl;
	}
	return e == SAO_OK ? SASL_OK : SASL_FAIL;
}

/* Reports c->err to the application (sasl_errdetail) and the SASL log. */
static void report(mech_conn_t *c, const sasl_utils_t *utils)
{
	utils->seterror(utils->conn, 0, "%s: %s", c->def->name, c->err.msg);
	utils->log(utils->conn, SASL_LOG_ERR, "sasl-oauth: %s: %s", c->def->name, c->err.msg);
	c->state = FAILED;
}

/* Reports c->err and returns its SASL code. */
static int fail(mech_conn_t *c, const sasl_utils_t *utils)
{
	report(c, utils);
	return to_sasl(c->err.code);
}

static int mech_new(void *glob_context, sasl_client_params_t *params, void **conn_context)
{
	const mech_ctx_t *m = glob_context;
	mech_conn_t *c;

	*conn_context = NULL;
	c = params->utils->malloc(sizeof(*c));
	if (c == NULL) {
		params->utils->seterror(params->utils->conn, 0, "sasl-oauth: out of memory");
		return SASL_NOMEM;
	}
	memset(c, 0, sizeof(*c));
	c->def = m->def;
	c->shared = m->shared;
	c->state = START;
	sao_secret_init(&c->token, SAO_TOKEN_MAX);
	sao_secret_init(&c->out, SAO_TOKEN_MAX + 2 * USER_MAX + 1024);
	*conn_context = c;
	return SASL_OK;
}

/* A value the application answered in a prompt array, or NULL. */
static const sasl_interact_t *find_prompt(sasl_interact_t *prompts, unsigned long id)
{
	for (sasl_interact_t *p = prompts; p != NULL && p->id != SASL_CB_LIST_END; p++) {
		if (p->id == id)
			return p;
	}
	return NULL;
}

static int copy_name(char *dst, const char *src, size_t len)
{
	if (len >= USER_MAX || memchr(src, '\0', len) != NULL)
		return 0;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return 1;
}

/*
 * Fetches a simple value (user names) from an answered prompt or the
 * application's callback. Returns SASL_OK with the value copied into dst
 * (empty when the application has none), or SASL_INTERACT when the
 * application wants to be prompted for it.
 */
static int get_simple(sasl_client_params_t *params, sasl_interact_t *prompts, unsigned long id, char *dst)
{
	const sasl_interact_t *p = find_prompt(prompts, id);
	sasl_callback_ft proc = NULL;
	void *ctx = NULL;
	const char *val = NULL;
	unsigned len = 0;
	int rc;

	dst[0] = '\0';
	if (p != NULL) {
		if (p->result != NULL && !copy_name(dst, p->result, p->len))
			return SASL_BADPARAM;
		return SASL_OK;
	}
	rc = params->utils->getcallback(params->utils->conn, id, &proc, &ctx);
	if (rc == SASL_INTERACT)
		return SASL_INTERACT;
	if (rc != SASL_OK || proc == NULL)
		return SASL_OK;
	rc = ((sasl_getsimple_t *)(void *)proc)(ctx, (int)id, &val, &len);
	if (rc != SASL_OK || val == NULL)
		return SASL_OK;
	if (len == 0)
		len = (unsigned)strlen(val);
	return copy_name(dst, val, len) ? SASL_OK : SASL_BADPARAM;
}

/* Same for the password (SASL_CB_PASS), copied into a secret buffer. */
static int get_password(sasl_client_params_t *params, sasl_interact_t *prompts, sao_secret_t *dst, sao_error_t *err)
{
	const sasl_interact_t *p = find_prompt(prompts, SASL_CB_PASS);
	sasl_callback_ft proc = NULL;
	void *ctx = NULL;
	sasl_secret_t *secret = NULL;
	int rc;

	if (p != NULL)
		return p->result == NULL || sao_secret_set(dst, p->result, p->len, err) == SAO_OK ? SASL_OK : SASL_NOMEM;
	rc = params->utils->getcallback(params->utils->conn, SASL_CB_PASS, &proc, &ctx);
	if (rc == SASL_INTERACT)
		return SASL_INTERACT;
	if (rc != SASL_OK || proc == NULL)
		return SASL_OK;
	rc = ((sasl_getsecret_t *)(void *)proc)(params->utils->conn, ctx, SASL_CB_PASS, &secret);
	if (rc != SASL_OK || secret == NULL)
		return SASL_OK;
	return sao_secret_set(dst, secret->data, secret->len, err) == SAO_OK ? SASL_OK : SASL_NOMEM;
}

/* Hands the application a prompt array for the given ids. */
static int make_prompts(sasl_client_params_t *params, sasl_interact_t **prompt_need, const unsigned long *ids,
                        size_t n)
{
	static const struct {
		unsigned long id;
		const char *prompt;
	} texts[] = {
		{ SASL_CB_USER, "Mailbox to log in to (authorization id)" },
		{ SASL_CB_AUTHNAME, "User name" },
		{ SASL_CB_PASS, "Access token" },
	};
	sasl_interact_t *p;

	if (prompt_need == NULL)
		return SASL_BADPARAM;
	p = params->utils->malloc(sizeof(*p) * (n + 1));
	if (p == NULL)
		return SASL_NOMEM;
	memset(p, 0, sizeof(*p) * (n + 1));
	for (size_t i = 0; i < n; i++) {
		p[i].id = ids[i];
		for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++) {
			if (texts[t].id == ids[i])
				p[i].prompt = texts[t].prompt;
		}
	}
	p[n].id = SASL_CB_LIST_END;
	*prompt_need = p;
	return SASL_INTERACT;
}

/* The port from "a.b.c.d;port" (ipremoteport), or NULL. */
static const char *remote_port(const sasl_client_params_t *params)
{
	const char *semi;

	if (params->ipremoteport == NULL)
		return NULL;
	semi = strrchr(params->ipremoteport, ';');
	if (semi == NULL || semi[1] == '\0' || strspn(semi + 1, "0123456789") != strlen(semi + 1))
		return NULL;
	return semi + 1;
}

/* Picks the token for this login: the account serving the user, else the
 * application's password used as the bearer token. */
static int find_token(mech_conn_t *c, sasl_client_params_t *params, sasl_interact_t *prompts,
                      sasl_interact_t **prompt_need)
{
	const char *login = c->authzid[0] != '\0' ? c->authzid : c->authid;
	const char *why = NULL;
	int rc;

	c->account = sao_settings_find(c->shared->settings, login, params->serverFQDN);
	if (c->account == NULL && strcmp(login, c->authid) != 0)
		c->account = sao_settings_find(c->shared->settings, c->authid, params->serverFQDN);
	if (c->account != NULL) {
		if (sao_source_get(c->account, (int64_t)time(NULL), &c->token, &c->source, &c->err) != SAO_OK)
			return fail(c, params->utils);
		return SASL_OK;
	}
	rc = get_password(params, prompts, &c->token, &c->err);
	if (rc == SASL_INTERACT) {
		static const unsigned long ids[] = { SASL_CB_PASS };
		return make_prompts(params, prompt_need, ids, 1);
	}
	if (rc != SASL_OK)
		return rc;
	if (c->token.len == 0) {
		sao_error_set(&c->err, SAO_ERR_NOCRED,
		              "no account in the sasl-oauth configuration serves user '%s' and the application gave no "
		              "password to use as the bearer token; add the user to an account's 'users =' line",
		              login);
		return fail(c, params->utils);
	}
	if (!sao_source_token_shaped(c->token.data, c->token.len, &why)) {
		/* libsasl2 picked this mechanism over PLAIN without asking us;
		 * sending a password as a token only earns a refusal that says
		 * nothing. */
		sao_error_set(&c->err, SAO_ERR_NOCRED,
		              "no account in the sasl-oauth configuration serves user '%s', and the password the "
		              "application gave cannot be a bearer token: %s; libsasl2 chose %s because the sasl-oauth "
		              "plugin is configured; to log in with a password, restrict this account to PLAIN (mbsync: "
		              "AuthMechs PLAIN; Postfix: smtp_sasl_mechanism_filter = plain, login), or to use OAuth add "
		              "the user to an account's 'users =' line",
		              login, why, c->def->name);
		sao_secret_clear(&c->token);
		return fail(c, params->utils);
	}
	c->source.source = "password";
	return SASL_OK;
}

static int step_start(mech_conn_t *c, sasl_client_params_t *params, sasl_interact_t **prompt_need, const char **clientout,
                      unsigned *clientoutlen)
{
	sasl_interact_t *prompts = prompt_need != NULL ? *prompt_need : NULL;
	sao_mech_input_t in;
	char fp[SAO_FINGERPRINT_LEN + 1];
	int rc;

	if (c->shared->settings == NULL) {
		c->err = c->shared->load_err;
		rc = fail(c, params->utils);
		goto out;
	}
	if (!c->have_names) {
		int ru = get_simple(params, prompts, SASL_CB_USER, c->authzid);
		int ra = get_simple(params, prompts, SASL_CB_AUTHNAME, c->authid);

		if (ru == SASL_INTERACT || ra == SASL_INTERACT) {
			unsigned long ids[2];
			size_t n = 0;

			if (ru == SASL_INTERACT)
				ids[n++] = SASL_CB_USER;
			if (ra == SASL_INTERACT)
				ids[n++] = SASL_CB_AUTHNAME;
			rc = make_prompts(params, prompt_need, ids, n);
			goto out;
		}
		if (ru != SASL_OK || ra != SASL_OK) {
			sao_error_set(&c->err, SAO_ERR_PROTO, "the user name is longer than %d bytes or holds a NUL byte",
			              USER_MAX - 1);
			rc = fail(c, params->utils);
			goto out;
		}
		if (c->authid[0] == '\0')
			memcpy(c->authid, c->authzid, sizeof(c->authid));
		c->have_names = 1;
	}
	rc = find_token(c, params, prompts, prompt_need);
	if (rc != SASL_OK)
		goto out;

	memset(&in, 0, sizeof(in));
	in.user = c->authzid[0] != '\0' ? c->authzid : c->authid;
	in.host = params->serverFQDN;
	in.port = remote_port(params);
	in.token = c->token.data;
	in.token_len = c->token.len;
	if (c->def->encode(&in, &c->out, &c->err) != SAO_OK) {
		rc = fail(c, params->utils);
		goto out;
	}
	sao_fingerprint(c->token.data, c->token.len, fp);
	params->utils->log(params->utils->conn, SASL_LOG_DEBUG, "sasl-oauth: %s as '%s' with account '%s', token %s from %s",
	                   c->def->name, in.user, c->account != NULL ? c->account->name : "(none)", fp,
	                   c->source.source);
	*clientout = (const char *)c->out.data;
	*clientoutlen = (unsigned)c->out.len;
	c->state = SENT;
	rc = SASL_CONTINUE;
out:
	/* The answered prompts were ours and their values have been copied. */
	if (prompts != NULL) {
		if (*prompt_need == prompts)
			*prompt_need = NULL;
		params->utils->free(prompts);
	}
	return rc;
}

static int step_success(mech_conn_t *c, sasl_client_params_t *params, sasl_out_params_t *oparams)
{
	int rc;

	if (c->authzid[0] == '\0' || strcmp(c->authzid, c->authid) == 0) {
		rc = params->canon_user(params->utils->conn, c->authid, 0, SASL_CU_AUTHID | SASL_CU_AUTHZID, oparams);
	} else {
		rc = params->canon_user(params->utils->conn, c->authid, 0, SASL_CU_AUTHID, oparams);
		if (rc == SASL_OK)
			rc = params->canon_user(params->utils->conn, c->authzid, 0, SASL_CU_AUTHZID, oparams);
	}
	if (rc != SASL_OK)
		return rc;
	oparams->doneflag = 1;
	oparams->mech_ssf = 0;
	oparams->maxoutbuf = 0;
	oparams->encode_context = NULL;
	oparams->encode = NULL;
	oparams->decode_context = NULL;
	oparams->decode = NULL;
	oparams->param_version = 0;
	c->state = DONE;
	return SASL_OK;
}

/* What the token itself says is wrong with it (a Graph audience, a missing
 * scope or role), as "; the token's ...; fix: ...", or "" when its claims
 * look right or cannot be read. A server's challenge says only "invalid";
 * the claims often say why (lib/claims.c judges, as sasl-oauth inspect). */
static void token_problem(const mech_conn_t *c, char *buf, size_t size)
{
	static const char *const names[] = { "audience", "scopes", "roles" };
	sao_claims_t claims;
	sao_checks_t checks;

	buf[0] = '\0';
	if (sao_claims_decode(c->token.data, c->token.len, &claims, NULL) != SAO_OK || !claims.jwt)
		return;
	sao_claims_check(&claims, c->account, NULL, 0, (int64_t)time(NULL), &checks);
	for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
		for (size_t i = 0; i < checks.n; i++) {
			const sao_check_t *k = &checks.item[i];

			if (strcmp(k->name, names[n]) != 0 || k->level < SAO_CHECK_WARN)
				continue;
			snprintf(buf, size, "; sasl-oauth inspect finds: %s; fix: %s", k->text, k->fix);
			return;
		}
	}
}

static int step_challenge(mech_conn_t *c, sasl_client_params_t *params, const char *serverin, unsigned serverinlen,
                          const char **clientout, unsigned *clientoutlen)
{
	char problem[2 * SAO_CHECK_TEXT_MAX + 64];
	sao_challenge_t ch;
	sao_error_t perr;
	sao_error_t merr;
	const char *who = c->account != NULL ? c->account->name : NULL;
	const char *user = c->authzid[0] != '\0' ? c->authzid : c->authid;
	char reason[sizeof(ch.status) + sizeof(ch.scope) + 256];

	sao_error_clear(&perr);
	sao_error_clear(&merr);
	if (sao_challenge_parse(serverin, serverinlen, &ch, &perr) != SAO_OK) {
		sao_error_set(&c->err, SAO_ERR_REJECTED,
		              "the server refused the token for '%s' and sent an error challenge that could not be read (%s)",
		              user, perr.msg);
		goto out;
	}
	snprintf(reason, sizeof(reason), "%s (status %s%s%s)", sao_challenge_cause(&ch), ch.status,
	         ch.scope[0] != '\0' ? ", scope " : "", ch.scope);
	token_problem(c, problem, sizeof(problem));
	if (problem[0] != '\0') {
		/* The fix is in the token's request, not in a refresh; the cache
		 * keeps it for the next login's message (mbsync shows no detail
		 * after the server's final reply, only at the next run). */
		char noted[sizeof(reason) + sizeof(problem)];

		snprintf(noted, sizeof(noted), "%s%s", reason, problem);
		if (who != NULL && c->source.cache_path != NULL &&
		    sao_cache_mark_rejected(c->source.cache_path, &c->token, (int64_t)time(NULL), noted, &merr) != SAO_OK)
			params->utils->log(params->utils->conn, SASL_LOG_WARN, "sasl-oauth: %s", merr.msg);
		sao_error_set(&c->err, SAO_ERR_REJECTED, "the server refused the token%s%s%s for '%s': %s%s",
		              who != NULL ? " of account '" : "", who != NULL ? who : "", who != NULL ? "'" : "", user,
		              reason, problem);
		goto out;
	}
	if (who == NULL || c->source.cache_path == NULL) {
		sao_error_set(&c->err, SAO_ERR_REJECTED,
		              "the server refused the token %s for '%s': %s; check what the token source prints",
		              who != NULL ? "from the token command" : "given as the password", user, reason);
		goto out;
	}
	if (sao_cache_mark_rejected(c->source.cache_path, &c->token, (int64_t)time(NULL), reason, &merr) != SAO_OK)
		params->utils->log(params->utils->conn, SASL_LOG_WARN, "sasl-oauth: %s", merr.msg);
	sao_error_fix(&c->err, SAO_ERR_REJECTED, SAO_FIX_REFRESH_OR_LOGIN, who,
	              "the server refused the token of account '%s' for '%s': %s; the cached token is marked "
	              "rejected; ",
	              who, user, reason);
out:
	report(c, params->utils);
	*clientout = c->def->error_reply;
	*clientoutlen = c->def->error_reply_len;
	return SASL_CONTINUE;
}

static int mech_step(void *conn_context, sasl_client_params_t *params, const char *serverin, unsigned serverinlen,
                     sasl_interact_t **prompt_need, const char **clientout, unsigned *clientoutlen,
                     sasl_out_params_t *oparams)
{
	mech_conn_t *c = conn_context;

	*clientout = NULL;
	*clientoutlen = 0;
	switch (c->state) {
	case START:
		return step_start(c, params, prompt_need, clientout, clientoutlen);
	case SENT:
		if (serverin == NULL || serverinlen == 0)
			return step_success(c, params, oparams);
		return step_challenge(c, params, serverin, serverinlen, clientout, clientoutlen);
	case DONE:
		params->utils->seterror(params->utils->conn, 0, "%s: step called after the exchange finished",
		                        c->def->name);
		return SASL_BADPROT;
	case FAILED:
		break;
	}
	params->utils->seterror(params->utils->conn, 0, "%s: %s", c->def->name, c->err.msg);
	return to_sasl(c->err.code);
}

static void mech_dispose(void *conn_context, const sasl_utils_t *utils)
{
	mech_conn_t *c = conn_context;

	if (c == NULL)
		return;
	sao_secret_clear(&c->token);
	sao_secret_clear(&c->out);
	sao_source_result_clear(&c->source);
	sao_wipe(c, sizeof(*c));
	utils->free(c);
}

static void plugin_state_release(plugin_state_t *g, const sasl_utils_t *utils)
{
	if (g == NULL || --g->refs > 0)
		return;
	sao_settings_free(&g->settings);
	utils->free(g);
}

static void mech_free(void *glob_context, const sasl_utils_t *utils)
{
	const mech_ctx_t *m = glob_context;

	plugin_state_release(m->shared, utils);
}

static const unsigned long required_prompts[] = { SASL_CB_AUTHNAME, SASL_CB_LIST_END };

/* Postfix's smtp and sendmail call this as root, then enter a chroot that
 * holds no libjson-c: open it now. Only a privileged process can chroot, so
 * every other host keeps loading it at its first OAuth login and pays
 * nothing here (docs/decisions.md). A failure is logged and left to the
 * login, which reports it again. */
static void load_before_jail(const sao_settings_t *s, const sasl_utils_t *utils)
{
	sao_error_t err;

	if (s->n_accounts == 0 || geteuid() != 0)
		return;
	sao_error_clear(&err);
	if (sao_json_load(&err) != SAO_OK)
		utils->log(utils->conn, SASL_LOG_ERR, "sasl-oauth: %s", err.msg);
}

SAO_EXPORT int sasl_client_plug_init(const sasl_utils_t *utils, int max_version, int *out_version,
                                     sasl_client_plug_t **pluglist, int *plugcount);

int sasl_client_plug_init(const sasl_utils_t *utils, int max_version, int *out_version,
                          sasl_client_plug_t **pluglist, int *plugcount)
{
	plugin_state_t *g;
	sao_err_t rc;

	*pluglist = NULL;
	*plugcount = 0;
	if (max_version < SASL_CLIENT_PLUG_VERSION) {
		utils->seterror(utils->conn, 0, "sasl-oauth: libsasl2 plugin API %d is too old (need %d)", max_version,
		                SASL_CLIENT_PLUG_VERSION);
		return SASL_BADVERS;
	}
	*out_version = SASL_CLIENT_PLUG_VERSION;
	/* Secrets (the token, the login message) live in the program's own
	 * allocator too: sasl_set_alloc sees them like every other block. */
	sao_secret_allocator(utils->malloc, utils->free);
	g = utils->malloc(sizeof(*g));
	if (g == NULL)
		return SASL_NOMEM;
	memset(g, 0, sizeof(*g));
	rc = sao_settings_load(&g->settings, &g->load_err);
	if (rc == SAO_ERR_NOTFOUND && g->settings == NULL) {
		/* Installed but not configured: change nothing for anyone. */
		utils->free(g);
		return SASL_OK;
	}
	if (rc != SAO_OK)
		utils->log(utils->conn, SASL_LOG_ERR, "sasl-oauth: %s", g->load_err.msg);
	else
		load_before_jail(g->settings, utils);
	for (size_t i = 0; i < N_MECHS; i++) {
		sasl_client_plug_t *p = &g->plugs[i];

		p->mech_name = mech_defs[i].name;
		p->max_ssf = 0;
		p->security_flags = SASL_SEC_NOANONYMOUS | SASL_SEC_PASS_CREDENTIALS;
		p->features = SASL_FEAT_WANT_CLIENT_FIRST | SASL_FEAT_ALLOWS_PROXY;
		p->required_prompts = required_prompts;
		g->mctx[i].def = &mech_defs[i];
		g->mctx[i].shared = g;
		p->glob_context = &g->mctx[i];
		p->mech_new = mech_new;
		p->mech_step = mech_step;
		p->mech_dispose = mech_dispose;
		p->mech_free = mech_free;
	}
	g->refs = (int)N_MECHS;
	*pluglist = g->plugs;
	*plugcount = (int)N_MECHS;
	return SASL_OK;
}
