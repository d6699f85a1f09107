/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#ifdef HAVE_GETAUXVAL
#include <sys/auxv.h>
#endif

#include "sasl-oauth/settings.h"

#ifndef SAO_SYSCONFDIR
#define SAO_SYSCONFDIR "/etc/sasl-oauth"
#endif
#ifndef SAO_STATEDIR
#define SAO_STATEDIR "/var/lib/sasl-oauth"
#endif

#ifndef SAO_CLI_PATH
#define SAO_CLI_PATH "/usr/bin/sasl-oauth"
#endif

#define SYSTEM_CONF SAO_SYSCONFDIR "/sasl-oauth.conf"
#define CONF_MAX (1024 * 1024) /* a configuration file is small */
#define ACCOUNT_NAME_MAX 64
#define UNSET LONG_MIN         /* an integer key not given in the file */

/*
 * The file, as parsed here (DESIGN.md §4):
 *
 *   file    = [ BOM ] *( line EOL ) [ line ]
 *   line    = *WSP [ section / setting ] *WSP [ comment ]
 *   section = "[" *WSP "account" 1*WSP name *WSP "]" / "[" *WSP "defaults" *WSP "]"
 *   name    = ( ALPHA / DIGIT ) *63( ALPHA / DIGIT / "-" / "_" / "." / "@" )
 *   setting = key *WSP "=" *WSP value
 *   comment = ( "#" / ";" ) *CHAR
 *   EOL     = [ CR ] LF
 *
 * A comment starts at a '#' or ';' at the start of a line or after
 * whitespace, and not inside '...' or "..." in a value: "a#b" and
 * `printf 'a ;b'` keep their '#' and ';'. A value that is exactly one
 * "..." (no other double quote inside) loses its quotes; anything else is
 * kept verbatim, so token_command = "/opt/my tool" --flag "x" stays as it is.
 * NUL bytes and other control characters (but tab) are errors.
 *
 * Names start with a letter or digit: they become file names (NAME.json)
 * and arguments of "sasl-oauth token NAME", where a leading '-' or '.'
 * would be trouble.
 */

typedef enum {
	KW_STRING,   /* any text */
	KW_CHOICE,   /* one of states: its enum value */
	KW_LIST,     /* comma/whitespace list, stored lower case */
	KW_TENANT,   /* a tenant name or id: goes into a URL path */
	KW_PATH,     /* absolute path */
	KW_SECRET,   /* absolute path of a file that must not be readable by others */
	KW_SECONDS,  /* whole number of seconds in [min, max] */
	KW_URL       /* an http:// or https:// URL */
} kw_kind_t;

typedef enum {
	KEY_USERS,
	KEY_HOSTS,
	KEY_PROVIDER,
	KEY_TENANT,
	KEY_CLOUD,
	KEY_CLIENT_ID,
	KEY_FLOW,
	KEY_CLIENT_SECRET_FILE,
	KEY_CERTIFICATE,
	KEY_PRIVATE_KEY,
	KEY_SCOPE,
	KEY_TOKEN_COMMAND,
	KEY_CACHE,
	KEY_CHROOT,
	KEY_REFRESH_MARGIN,
	KEY_COMMAND_TIMEOUT,
	KEY_SERVICES,
	KEY_AUTHORITY,
	KEY_TOKEN_ENDPOINT,
	KEY_DEVICE_ENDPOINT,
	KEY_AUTHORIZE_ENDPOINT,
	KEY_REVOKE_ENDPOINT,
	KEY_CLIENT_SECRET_CREDENTIAL,
	KEY_PKCS12,
	KEY_PKCS12_PASSWORD_FILE,
	KEY_ASSERTION_ALG,
	KEY_THUMBPRINT,
	KEY_PROXY,
	KEY_CA_FILE,
	KEY_CA_PATH,
	KEY_HTTP_TIMEOUT,
	KEY_NOTIFY_COMMAND,
	N_KEYS
} key_id_t;

/* A word of a choice key and the enum value it stands for. */
typedef struct state {
	const char *name;
	int value;
} state_t;

_Static_assert(N_KEYS <= SAO_SETTINGS_KEYS_MAX, "sao_account_t.key_line is too small");

typedef struct keyword {
	const char *name;
	kw_kind_t kind;
	size_t off;                  /* the field in sao_account_t */
	size_t count_off;            /* KW_LIST: its size_t count */
	const char *const *choices;  /* KW_LIST: allowed items, NULL-terminated */
	const state_t *states;       /* KW_CHOICE: NULL-name-terminated; the first is the default */
	long min, max;               /* KW_SECONDS */
	const char *def;             /* default of a string, NULL for none */
	long ldef;                   /* default of a number */
	const char *what;            /* KW_SECRET: for the message */
} keyword_t;

static const state_t providers[] = { { "microsoft", SAO_PROVIDER_MICROSOFT },
	                             { "google", SAO_PROVIDER_GOOGLE },
	                             { "generic", SAO_PROVIDER_GENERIC },
	                             { NULL, 0 } };
static const state_t clouds[] = { { "global", SAO_CLOUD_GLOBAL },
	                          { "usgov", SAO_CLOUD_USGOV },
	                          { "usgov-dod", SAO_CLOUD_USGOV_DOD },
	                          { "china", SAO_CLOUD_CHINA },
	                          { NULL, 0 } };
static const state_t flows[] = { { "device", SAO_FLOW_DEVICE },
	                         { "authcode", SAO_FLOW_AUTHCODE },
	                         { "client_credentials", SAO_FLOW_CLIENT_CREDENTIALS },
	                         { NULL, 0 } };
static const state_t algs[] = { { "RS256", SAO_ALG_RS256 }, { "PS256", SAO_ALG_PS256 }, { NULL, 0 } };
static const state_t thumbprints[] = { { "sha256", SAO_THUMBPRINT_SHA256 },
	                               { "sha1", SAO_THUMBPRINT_SHA1 },
	                               { NULL, 0 } };

/* Enum fields are written through an int. */
_Static_assert(sizeof(sao_account_provider_t) == sizeof(int) && sizeof(sao_account_cloud_t) == sizeof(int) &&
                   sizeof(sao_account_flow_t) == sizeof(int) && sizeof(sao_account_alg_t) == sizeof(int) &&
                   sizeof(sao_account_thumbprint_t) == sizeof(int),
               "choice enums are int-sized");
static const char *const services[] = { "imap", "pop", "smtp", NULL };

#define FIELD(f) offsetof(sao_account_t, f)

static const keyword_t keywords[N_KEYS] = {
	[KEY_USERS] = { .name = "users", .kind = KW_LIST, .off = FIELD(users), .count_off = FIELD(n_users) },
	[KEY_HOSTS] = { .name = "hosts", .kind = KW_LIST, .off = FIELD(hosts), .count_off = FIELD(n_hosts) },
	[KEY_PROVIDER] = { .name = "provider", .kind = KW_CHOICE, .off = FIELD(provider), .states = providers },
	[KEY_TENANT] = { .name = "tenant", .kind = KW_TENANT, .off = FIELD(tenant), .def = "organizations" },
	[KEY_CLOUD] = { .name = "cloud", .kind = KW_CHOICE, .off = FIELD(cloud), .states = clouds },
	[KEY_CLIENT_ID] = { .name = "client_id", .kind = KW_STRING, .off = FIELD(client_id) },
	[KEY_FLOW] = { .name = "flow", .kind = KW_CHOICE, .off = FIELD(flow), .states = flows },
	[KEY_CLIENT_SECRET_FILE] = { .name = "client_secret_file", .kind = KW_SECRET, .off = FIELD(client_secret_file),
	                             .what = "client secret file" },
	[KEY_CERTIFICATE] = { .name = "certificate", .kind = KW_PATH, .off = FIELD(certificate) },
	[KEY_PRIVATE_KEY] = { .name = "private_key", .kind = KW_SECRET, .off = FIELD(private_key),
	                      .what = "private key file" },
	[KEY_SCOPE] = { .name = "scope", .kind = KW_STRING, .off = FIELD(scope) },
	[KEY_TOKEN_COMMAND] = { .name = "token_command", .kind = KW_STRING, .off = FIELD(token_command) },
	[KEY_CACHE] = { .name = "cache", .kind = KW_PATH, .off = FIELD(cache) },
	[KEY_CHROOT] = { .name = "chroot", .kind = KW_PATH, .off = FIELD(chroot) },
	[KEY_REFRESH_MARGIN] = { .name = "refresh_margin", .kind = KW_SECONDS, .off = FIELD(refresh_margin), .min = 0,
	                         .max = 86400, .ldef = SAO_REFRESH_MARGIN_DEFAULT },
	[KEY_COMMAND_TIMEOUT] = { .name = "command_timeout", .kind = KW_SECONDS, .off = FIELD(command_timeout),
	                          .min = 1, .max = 600, .ldef = SAO_COMMAND_TIMEOUT_DEFAULT },
	[KEY_SERVICES] = { .name = "services", .kind = KW_LIST, .off = FIELD(services), .count_off = FIELD(n_services),
	                   .choices = services, .what = "imap, pop, smtp" },
	[KEY_AUTHORITY] = { .name = "authority", .kind = KW_URL, .off = FIELD(authority) },
	[KEY_TOKEN_ENDPOINT] = { .name = "token_endpoint", .kind = KW_URL, .off = FIELD(token_endpoint) },
	[KEY_DEVICE_ENDPOINT] = { .name = "device_endpoint", .kind = KW_URL, .off = FIELD(device_endpoint) },
	[KEY_AUTHORIZE_ENDPOINT] = { .name = "authorize_endpoint", .kind = KW_URL, .off = FIELD(authorize_endpoint) },
	[KEY_REVOKE_ENDPOINT] = { .name = "revoke_endpoint", .kind = KW_URL, .off = FIELD(revoke_endpoint) },
	[KEY_CLIENT_SECRET_CREDENTIAL] = { .name = "client_secret_credential", .kind = KW_STRING,
	                                   .off = FIELD(client_secret_credential) },
	[KEY_PKCS12] = { .name = "pkcs12", .kind = KW_SECRET, .off = FIELD(pkcs12), .what = "PKCS#12 file" },
	[KEY_PKCS12_PASSWORD_FILE] = { .name = "pkcs12_password_file", .kind = KW_SECRET,
	                               .off = FIELD(pkcs12_password_file), .what = "PKCS#12 password file" },
	[KEY_ASSERTION_ALG] = { .name = "assertion_alg", .kind = KW_CHOICE, .off = FIELD(assertion_alg),
	                        .states = algs },
	[KEY_THUMBPRINT] = { .name = "thumbprint", .kind = KW_CHOICE, .off = FIELD(thumbprint), .states = thumbprints },
	[KEY_PROXY] = { .name = "proxy", .kind = KW_STRING, .off = FIELD(proxy) },
	[KEY_CA_FILE] = { .name = "ca_file", .kind = KW_PATH, .off = FIELD(ca_file) },
	[KEY_CA_PATH] = { .name = "ca_path", .kind = KW_PATH, .off = FIELD(ca_path) },
	[KEY_HTTP_TIMEOUT] = { .name = "http_timeout", .kind = KW_SECONDS, .off = FIELD(http_timeout), .min = 1,
	                       .max = 300, .ldef = SAO_HTTP_TIMEOUT_SECONDS_DEFAULT },
	[KEY_NOTIFY_COMMAND] = { .name = "notify_command", .kind = KW_STRING, .off = FIELD(notify_command) },
};

/* One file being parsed. */
typedef struct parser {
	const char *path;
	int system;
	sao_settings_t *s;
	sao_account_t *cur;    /* the open section, or NULL */
	int in_defaults;       /* in [defaults] */
	int defaults_line;     /* where [defaults] was opened, 0 = not yet */
	int client_id_line;    /* where [defaults] set client_id */
	int key_line[N_KEYS];  /* where each key of cur was set, 0 = not set */
	int line;
} parser_t;

/* Plain bytes: no locale may change what a letter or a space is. */
static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static char to_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int equal_nocase(const char *a, const char *b)
{
	while (*a != '\0' && to_lower(*a) == to_lower(*b)) {
		a++;
		b++;
	}
	return to_lower(*a) == to_lower(*b);
}

static void trim(const char **p, size_t *n)
{
	while (*n > 0 && is_blank(**p)) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && is_blank((*p)[*n - 1]))
		(*n)--;
}

static char *dup_span(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		return NULL;
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* Concatenates a NULL-terminated list of strings into a new string. */
static char *join(const char *first, ...)
{
	va_list ap;
	size_t len = 0;
	const char *part;
	char *s, *o;

	va_start(ap, first);
	for (part = first; part != NULL; part = va_arg(ap, const char *)) {
		size_t n = strlen(part);

		if (n > SIZE_MAX - 1 - len) {
			va_end(ap);
			return NULL;
		}
		len += n;
	}
	va_end(ap);
	s = malloc(len + 1);
	if (s == NULL)
		return NULL;
	o = s;
	va_start(ap, first);
	for (part = first; part != NULL; part = va_arg(ap, const char *)) {
		size_t n = strlen(part);

		memcpy(o, part, n);
		o += n;
	}
	va_end(ap);
	*o = '\0';
	return s;
}

/* A set-id program, or one started with file capabilities (a program
 * given cap_net_bind_service, say), runs with rights its caller lacks: the
 * kernel says so with AT_SECURE, which is also what makes the loader ignore
 * LD_PRELOAD. Then the caller's environment chooses no files and no
 * commands (issue 13, defect 7: comparing user ids alone misses file
 * capabilities). */
int sao_settings_secure(void)
{
#ifdef HAVE_GETAUXVAL
	if (getauxval(AT_SECURE) != 0)
		return 1;
#endif
	return getuid() != geteuid() || getgid() != getegid();
}

static const char *env(const char *name)
{
	const char *v;

	if (sao_settings_secure())
		return NULL;
#ifdef HAVE_SECURE_GETENV
	v = secure_getenv(name);
#else
	v = getenv(name);
#endif
	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* The caller's home: $HOME if absolute, else the password database. NULL
 * (and no message) when neither knows; NULL with SAO_ERR_NOMEM otherwise. */
static sao_err_t home_dir(char **home_r, sao_error_t *err)
{
	const char *h = env("HOME");
	struct passwd pw, *res = NULL;
	long size = sysconf(_SC_GETPW_R_SIZE_MAX);
	char *buf = NULL;
	sao_err_t rc = SAO_ERR_NOTFOUND;

	*home_r = NULL;
	if (h != NULL && h[0] == '/') {
		*home_r = strdup(h);
		rc = *home_r != NULL ? SAO_OK : sao_error_set(err, SAO_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (size < 1024 || size > 1024 * 1024)
		size = 16384;
	buf = malloc((size_t)size);
	if (buf == NULL) {
		rc = sao_error_set(err, SAO_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (getpwuid_r(geteuid(), &pw, buf, (size_t)size, &res) != 0 || res == NULL || pw.pw_dir == NULL ||
	    pw.pw_dir[0] != '/')
		goto out;
	*home_r = strdup(pw.pw_dir);
	rc = *home_r != NULL ? SAO_OK : sao_error_set(err, SAO_ERR_NOMEM, "out of memory");
out:
	free(buf);
	return rc;
}

/* $var if it is an absolute path (the XDG rule: relative ones are ignored),
 * else ~/fallback; SAO_ERR_NOTFOUND (no message) without a home. */
static sao_err_t xdg_dir(const char *var, const char *fallback, char **dir_r, sao_error_t *err)
{
	const char *v = env(var);
	char *home = NULL;
	sao_err_t rc;

	*dir_r = NULL;
	if (v != NULL && v[0] == '/') {
		*dir_r = strdup(v);
		return *dir_r != NULL ? SAO_OK : sao_error_set(err, SAO_ERR_NOMEM, "out of memory");
	}
	rc = home_dir(&home, err);
	if (rc != SAO_OK)
		return rc;
	*dir_r = join(home, "/", fallback, (const char *)NULL);
	free(home);
	return *dir_r != NULL ? SAO_OK : sao_error_set(err, SAO_ERR_NOMEM, "out of memory");
}

static void free_list(char **list, size_t n)
{
	for (size_t i = 0; list != NULL && i < n; i++)
		free(list[i]);
	free(list);
}

static void account_clear(sao_account_t *a)
{
	free(a->name);
	free_list(a->users, a->n_users);
	free_list(a->hosts, a->n_hosts);
	free(a->tenant);
	free(a->client_id);
	free(a->client_secret_file);
	free(a->certificate);
	free(a->private_key);
	free(a->scope);
	free(a->token_command);
	free(a->cache);
	free(a->chroot);
	free_list(a->services, a->n_services);
	free(a->authority);
	free(a->token_endpoint);
	free(a->device_endpoint);
	free(a->authorize_endpoint);
	free(a->revoke_endpoint);
	free(a->client_secret_credential);
	free(a->pkcs12);
	free(a->pkcs12_password_file);
	free(a->proxy);
	free(a->ca_file);
	free(a->ca_path);
	free(a->notify_command);
	free(a->file);
	memset(a, 0, sizeof(*a));
}

void sao_settings_free(sao_settings_t **s)
{
	if (s == NULL || *s == NULL)
		return;
	for (size_t i = 0; i < (*s)->n_accounts; i++)
		account_clear(&(*s)->accounts[i]);
	free((*s)->accounts);
	free((*s)->default_client_id);
	free(*s);
	*s = NULL;
}

/* Reads a whole configuration file after checking who may have written it.
 * SAO_ERR_NOTFOUND, with no message, when it does not exist. */
static sao_err_t read_file(const char *path, char **buf_r, size_t *len_r, sao_error_t *err)
{
	char ebuf[128];
	struct stat st;
	char *buf = NULL;
	size_t len = 0, cap;
	int fd;
	sao_err_t rc = SAO_ERR_IO;

	*buf_r = NULL;
	*len_r = 0;
	/* O_NONBLOCK: a FIFO planted in place of the file must not hang us. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return SAO_ERR_NOTFOUND;
		if (errno == EACCES)
			return sao_error_set(err, SAO_ERR_PERM,
			                     "cannot open configuration file '%s': %s; it must be readable by every user "
			                     "that logs in with it, and may be group-readable (it is no secret): for "
			                     "Postfix run: chgrp postfix %s && chmod 640 %s",
			                     path, sao_errno_text(errno, ebuf, sizeof(ebuf)), path, path);
		return sao_error_set(err, SAO_ERR_IO, "cannot open configuration file '%s': %s", path,
		                     sao_errno_text(errno, ebuf, sizeof(ebuf)));
	}
	if (fstat(fd, &st) < 0) {
		rc = sao_error_set(err, SAO_ERR_IO, "cannot read configuration file '%s': %s", path,
		                   sao_errno_text(errno, ebuf, sizeof(ebuf)));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = sao_error_set(err, SAO_ERR_CONFIG, "configuration file '%s' is not a regular file", path);
		goto out;
	}
	/* It can name a command to run: only its owner may change it. */
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		rc = sao_error_set(err, SAO_ERR_PERM,
		                   "configuration file '%s' belongs to another user (uid %lu); it must belong to you "
		                   "or to root",
		                   path, (unsigned long)st.st_uid);
		goto out;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		rc = sao_error_set(err, SAO_ERR_PERM,
		                   "configuration file '%s' is writable by group or others (mode %04o); run: chmod go-w %s",
		                   path, (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	if (st.st_size > CONF_MAX) {
		rc = sao_error_set(err, SAO_ERR_TOOBIG, "configuration file '%s' is larger than %d bytes", path,
		                   CONF_MAX);
		goto out;
	}
	/* By length, and the size may change under us: read to end of file. */
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (buf == NULL) {
		rc = sao_error_set(err, SAO_ERR_NOMEM, "out of memory reading '%s'", path);
		goto out;
	}
	for (;;) {
		ssize_t r;

		if (len == cap) {
			char *nb;

			if (cap > CONF_MAX) {
				rc = sao_error_set(err, SAO_ERR_TOOBIG, "configuration file '%s' is larger than %d bytes",
				                   path, CONF_MAX);
				goto out;
			}
			nb = realloc(buf, cap * 2);
			if (nb == NULL) {
				rc = sao_error_set(err, SAO_ERR_NOMEM, "out of memory reading '%s'", path);
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = sao_error_set(err, SAO_ERR_IO, "cannot read configuration file '%s': %s", path,
			                   sao_errno_text(errno, ebuf, sizeof(ebuf)));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > CONF_MAX) {
		rc = sao_error_set(err, SAO_ERR_TOOBIG, "configuration file '%s' is larger than %d bytes", path,
		                   CONF_MAX);
		goto out;
	}
	*buf_r = buf;
	*len_r = len;
	buf = NULL;
	rc = SAO_OK;
out:
	free(buf);
	close(fd);
	return rc;
}

static sao_err_t nomem(parser_t *p, sao_error_t *err)
{
	return sao_error_set(err, SAO_ERR_NOMEM, "%s:%d: out of memory", p->path, p->line);
}

static int is_choice(const char *const *choices, const char *v)
{
	for (size_t i = 0; choices[i] != NULL; i++) {
		if (strcmp(choices[i], v) == 0)
			return 1;
	}
	return 0;
}

/* Splits a users/hosts/services value at commas and blanks, lower-cased. */
static sao_err_t set_list(parser_t *p, const keyword_t *k, const char *v, sao_error_t *err)
{
	char ***list = (char ***)((char *)p->cur + k->off);
	size_t *count = (size_t *)((char *)p->cur + k->count_off);
	size_t n = 0, max = strlen(v) / 2 + 1;

	*list = calloc(max, sizeof(char *));
	if (*list == NULL)
		return nomem(p, err);
	while (*v != '\0') {
		size_t len = 0;
		char *item;

		while (*v == ',' || is_blank(*v))
			v++;
		while (v[len] != '\0' && v[len] != ',' && !is_blank(v[len]))
			len++;
		if (len == 0)
			break;
		item = dup_span(v, len);
		if (item == NULL)
			return nomem(p, err);
		for (size_t i = 0; i < len; i++)
			item[i] = to_lower(item[i]);
		if (k->choices != NULL && !is_choice(k->choices, item)) {
			sao_error_set(err, SAO_ERR_CONFIG, "%s:%d: invalid %s '%s'; expected: %s", p->path, p->line,
			              k->name, item, k->what);
			free(item);
			return SAO_ERR_CONFIG;
		}
		for (size_t i = 0; i < n; i++) {
			if (strcmp((*list)[i], item) == 0) {
				sao_error_set(err, SAO_ERR_CONFIG, "%s:%d: '%s' is listed twice in '%s'", p->path, p->line,
				              item, k->name);
				free(item);
				return SAO_ERR_CONFIG;
			}
		}
		(*list)[n++] = item;
		*count = n;
		v += len;
	}
	if (n == 0)
		return sao_error_set(err, SAO_ERR_CONFIG, "%s:%d: '%s' lists no names", p->path, p->line, k->name);
	return SAO_OK;
}

static sao_err_t set_seconds(parser_t *p, const keyword_t *k, const char *v, sao_error_t *err)
{
	long *field = (long *)((char *)p->cur + k->off);
	char *end;
	long n = 0;

	int ok = v[0] >= '0' && v[0] <= '9';

	/* Digits only: no sign, no blanks, no "0x", no "30s". */
	if (ok) {
		errno = 0;
		n = strtol(v, &end, 10);
		ok = errno == 0 && *end == '\0' && n >= k->min && n <= k->max;
	}
	if (!ok)
		return sao_error_set(err, SAO_ERR_CONFIG,
		                     "%s:%d: '%s' must be a whole number of seconds from %ld to %ld, not '%s'", p->path,
		                     p->line, k->name, k->min, k->max, v);
	*field = n;
	return SAO_OK;
}

static sao_err_t set_choice(parser_t *p, const keyword_t *k, const char *v, sao_error_t *err)
{
	int *field = (int *)((char *)p->cur + k->off);
	char expected[128] = "";

	for (size_t i = 0; k->states[i].name != NULL; i++) {
		if (equal_nocase(v, k->states[i].name)) {
			*field = k->states[i].value;
			return SAO_OK;
		}
	}
	for (size_t i = 0; k->states[i].name != NULL; i++) {
		size_t o = strlen(expected);

		snprintf(expected + o, sizeof(expected) - o, "%s%s", i > 0 ? ", " : "", k->states[i].name);
	}
	return sao_error_set(err, SAO_ERR_CONFIG, "%s:%d: invalid %s '%s'; expected one of: %s", p->path, p->line,
	                     k->name, v, expected);
}

/* The word for value in states ("?" for none: a bug). */
static const char *state_name(const state_t *states, int value)
{
	for (size_t i = 0; states[i].name != NULL; i++) {
		if (states[i].value == value)
			return states[i].name;
	}
	return "?";
}

const char *sao_settings_provider_name(sao_account_provider_t provider)
{
	return state_name(providers, (int)provider);
}

const char *sao_settings_cloud_name(sao_account_cloud_t cloud)
{
	return state_name(clouds, (int)cloud);
}

const char *sao_settings_flow_name(sao_account_flow_t flow)
{
	return state_name(flows, (int)flow);
}

int sao_settings_serves(const sao_account_t *a, const char *service)
{
	if (a == NULL || a->n_services == 0)
		return 1;
	for (size_t i = 0; i < a->n_services; i++) {
		if (strcmp(a->services[i], service) == 0)
			return 1;
	}
	return 0;
}

/* A client secret or private key readable by others is refused now, while
 * the line that names it is known. A file that does not exist (yet) or
 * cannot be looked at is left for the code that opens it to report. */
static sao_err_t check_secret_file(parser_t *p, const keyword_t *k, const char *path, sao_error_t *err)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return SAO_OK;
	if ((st.st_mode & (S_IRGRP | S_IROTH)) != 0)
		return sao_error_set(err, SAO_ERR_PERM,
		                     "%s:%d: %s '%s' is readable by group or others (mode %04o); run: chmod 600 %s",
		                     p->path, p->line, k->what, path, (unsigned)(st.st_mode & 07777), path);
	return SAO_OK;
}

static sao_err_t set_value(parser_t *p, key_id_t key, const char *v, sao_error_t *err)
{
	const keyword_t *k = &keywords[key];
	char **field = (char **)((char *)p->cur + k->off);
	sao_err_t rc;

	switch (k->kind) {
	case KW_LIST:
		return set_list(p, k, v, err);
	case KW_SECONDS:
		return set_seconds(p, k, v, err);
	case KW_CHOICE:
		return set_choice(p, k, v, err);
	case KW_TENANT:
		for (const char *c = v; *c != '\0'; c++) {
			if (!is_alnum(*c) && *c != '.' && *c != '-')
				return sao_error_set(err, SAO_ERR_CONFIG,
				                     "%s:%d: invalid tenant '%s'; expected a domain name or a tenant id",
				                     p->path, p->line, v);
		}
		break;
	case KW_PATH:
	case KW_SECRET:
		/* Relative to what? The working directory of a mail program is
		 * nobody's choice. */
		if (v[0] != '/')
			return sao_error_set(err, SAO_ERR_CONFIG, "%s:%d: '%s' must be an absolute path, not '%s'", p->path,
			                     p->line, k->name, v);
		if (k->kind == KW_SECRET) {
			rc = check_secret_file(p, k, v, err);
			if (rc != SAO_OK)
				return rc;
		}
		break;
	case KW_URL:
		if (strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0)
			return sao_error_set(err, SAO_ERR_CONFIG, "%s:%d: '%s' must be an https:// URL, not '%s'", p->path,
			                     p->line, k->name, v);
		break;
	case KW_STRING:
		break;
	}
	*field = strdup(v);
	return *field != NULL ? SAO_OK : nomem(p, err);
}

/* "chroot = DIR": kept without trailing slashes, and DIR's identity noted
 * now, because the plugin reads the settings before its host enters the
 * jail and must later tell whether it runs inside (sao_settings_in_chroot).
 * Only numbers are kept: a descriptor held across chroot() would be a way
 * out of the jail. A DIR that does not exist yet is simply never "inside". */
static sao_err_t finish_chroot(parser_t *p, sao_account_t *a, sao_error_t *err)
{
	struct stat st;
	size_t n;

	if (a->chroot == NULL)
		return SAO_OK;
	n = strlen(a->chroot);
	while (n > 1 && a->chroot[n - 1] == '/')
		a->chroot[--n] = '\0';
	if (strcmp(a->chroot, "/") == 0)
		return sao_error_set(err, SAO_ERR_CONFIG,
		                     "%s:%d: 'chroot = /' is no jail; give the directory the program chroots into "
		                     "(Postfix: its queue_directory, /var/spool/postfix), or remove the line",
		                     p->path, p->key_line[KEY_CHROOT]);
	if (stat(a->chroot, &st) == 0 && S_ISDIR(st.st_mode)) {
		a->chroot_dev = st.st_dev;
		a->chroot_ino = st.st_ino;
	}
	return SAO_OK;
}

/* Defaults for what the section left unset, then the rules that involve
 * more than one key. */
static sao_err_t finish_account(parser_t *p, sao_error_t *err)
{
	sao_account_t *a = p->cur;

	if (a == NULL)
		return SAO_OK;
	p->cur = NULL;
	/* Where each value came from, for "sasl-oauth config". */
	memcpy(a->key_line, p->key_line, sizeof(p->key_line));
	for (int i = 0; i < N_KEYS; i++) {
		const keyword_t *k = &keywords[i];

		if (k->kind == KW_SECONDS) {
			long *field = (long *)((char *)a + k->off);

			if (*field == UNSET)
				*field = k->ldef;
		} else if (k->kind == KW_CHOICE) {
			if (p->key_line[i] == 0)
				*(int *)((char *)a + k->off) = k->states[0].value;
		} else if (k->def != NULL) {
			char **field = (char **)((char *)a + k->off);

			if (*field == NULL) {
				*field = strdup(k->def);
				if (*field == NULL)
					return sao_error_set(err, SAO_ERR_NOMEM, "out of memory");
			}
		}
	}
	if (a->n_users == 0)
		return sao_error_set(err, SAO_ERR_CONFIG,
		                     "%s:%d: account '%s' has no 'users' key; list the SASL user names it serves", p->path,
		                     a->line, a->name);
	if (p->key_line[KEY_CLOUD] != 0 && a->provider != SAO_PROVIDER_MICROSOFT)
		return sao_error_set(err, SAO_ERR_CONFIG, "%s:%d: 'cloud' applies only to provider microsoft, not '%s'",
		                     p->path, p->key_line[KEY_CLOUD], sao_settings_provider_name(a->provider));
	if ((a->certificate == NULL) != (a->private_key == NULL)) {
		int line = a->certificate != NULL ? p->key_line[KEY_CERTIFICATE] : p->key_line[KEY_PRIVATE_KEY];

		return sao_error_set(err, SAO_ERR_CONFIG, "%s:%d: account '%s' sets '%s' without '%s'; give both", p->path,
		                     line, a->name, a->certificate != NULL ? "certificate" : "private_key",
		                     a->certificate != NULL ? "private_key" : "certificate");
	}
	if (a->flow == SAO_FLOW_CLIENT_CREDENTIALS && a->client_secret_file == NULL &&
	    a->client_secret_credential == NULL && a->certificate == NULL && a->pkcs12 == NULL)
		return sao_error_set(err, SAO_ERR_CONFIG,
		                     "%s:%d: account '%s' uses flow client_credentials but sets none of "
		                     "client_secret_file, client_secret_credential, certificate and private_key, pkcs12",
		                     p->path, p->key_line[KEY_FLOW], a->name);
	if (a->pkcs12 != NULL && a->certificate != NULL)
		return sao_error_set(err, SAO_ERR_CONFIG, "%s:%d: account '%s' sets both 'pkcs12' and 'certificate'; keep one",
		                     p->path, p->key_line[KEY_PKCS12], a->name);
	if (a->pkcs12_password_file != NULL && a->pkcs12 == NULL)
		return sao_error_set(err, SAO_ERR_CONFIG, "%s:%d: account '%s' sets 'pkcs12_password_file' without 'pkcs12'",
		                     p->path, p->key_line[KEY_PKCS12_PASSWORD_FILE], a->name);
	if (a->provider == SAO_PROVIDER_GENERIC && a->token_command == NULL && a->token_endpoint == NULL)
		return sao_error_set(err, SAO_ERR_CONFIG,
		                     "%s:%d: account '%s' uses provider generic but sets no 'token_endpoint'; give the "
		                     "provider's token endpoint URL",
		                     p->path, a->line, a->name);
	if (a->authority != NULL && a->provider != SAO_PROVIDER_MICROSOFT)
		return sao_error_set(err, SAO_ERR_CONFIG,
		                     "%s:%d: 'authority' applies only to provider microsoft; give the endpoint URLs instead",
		                     p->path, p->key_line[KEY_AUTHORITY]);
	return finish_chroot(p, a, err);
}

static int valid_name(const char *n, size_t len)
{
	if (len == 0 || len > ACCOUNT_NAME_MAX || !is_alnum(n[0]))
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (!is_alnum(n[i]) && n[i] != '-' && n[i] != '_' && n[i] != '.' && n[i] != '@')
			return 0;
	}
	return 1;
}

/* "[account NAME]", t/n already trimmed and starting with '['. */
static sao_err_t open_section(parser_t *p, const char *t, size_t n, sao_error_t *err)
{
	const char *close = memchr(t, ']', n);
	const char *in, *rest, *name;
	size_t in_len, rest_len, kind_len = 0, name_len;
	sao_settings_t *s = p->s;
	sao_account_t *grown, *a;
	sao_err_t rc;

	if (close == NULL)
		return sao_error_set(err, SAO_ERR_CONFIG, "%s:%d: unterminated section header; expected [account NAME]",
		                     p->path, p->line);
	rest = close + 1;
	rest_len = n - (size_t)(rest - t);
	trim(&rest, &rest_len);
	if (rest_len > 0 && rest[0] != '#' && rest[0] != ';')
		return sao_error_set(err, SAO_ERR_CONFIG, "%s:%d: unexpected text after the section header", p->path,
		                     p->line);
	in = t + 1;
	in_len = (size_t)(close - in);
	trim(&in, &in_len);
	while (kind_len < in_len && !is_blank(in[kind_len]))
		kind_len++;
	name = in + kind_len;
	name_len = in_len - kind_len;
	trim(&name, &name_len);
	if (kind_len == 8 && memcmp(in, "defaults", 8) == 0 && name_len == 0) {
		/* What "sasl-oauth setup" puts into new accounts (decisions.md). */
		if (p->defaults_line != 0)
			return sao_error_set(err, SAO_ERR_CONFIG, "%s:%d: a second [defaults] section (the first is at line %d)",
			                     p->path, p->line, p->defaults_line);
		rc = finish_account(p, err);
		if (rc != SAO_OK)
			return rc;
		p->cur = NULL;
		p->in_defaults = 1;
		p->defaults_line = p->line;
		return SAO_OK;
	}
	if (kind_len != 7 || memcmp(in, "account", 7) != 0)
		return sao_error_set(err, SAO_ERR_CONFIG, "%s:%d: unknown section '[%.*s]'; expected [account NAME] or [defaults]",
		                     p->path, p->line, (int)in_len, in);
	if (name_len == 0)
		return sao_error_set(err, SAO_ERR_CONFIG, "%s:%d: section [account] has no name; expected [account NAME]",
		                     p->path, p->line);
	if (!valid_name(name, name_len))
		return sao_error_set(err, SAO_ERR_CONFIG,
		                     "%s:%d: invalid account name '%.*s'; use up to %d letters, digits and - _ . @, "
		                     "starting with a letter or digit",
		                     p->path, p->line, (int)name_len, name, ACCOUNT_NAME_MAX);
	rc = finish_account(p, err);
	if (rc != SAO_OK)
		return rc;
	for (size_t i = 0; i < s->n_accounts; i++) {
		if (strlen(s->accounts[i].name) == name_len && memcmp(s->accounts[i].name, name, name_len) == 0)
			return sao_error_set(err, SAO_ERR_CONFIG, "%s:%d: account '%.*s' is already defined at line %d",
			                     p->path, p->line, (int)name_len, name, s->accounts[i].line);
	}
	if (s->n_accounts >= SIZE_MAX / sizeof(*s->accounts) - 1)
		return nomem(p, err);
	grown = realloc(s->accounts, (s->n_accounts + 1) * sizeof(*s->accounts));
	if (grown == NULL)
		return nomem(p, err);
	s->accounts = grown;
	a = &s->accounts[s->n_accounts++];
	memset(a, 0, sizeof(*a));
	a->refresh_margin = UNSET;
	a->command_timeout = UNSET;
	a->http_timeout = UNSET;
	a->system = p->system;
	a->line = p->line;
	a->name = dup_span(name, name_len);
	a->file = strdup(p->path);
	if (a->name == NULL || a->file == NULL)
		return nomem(p, err);
	p->cur = a;
	p->in_defaults = 0;
	memset(p->key_line, 0, sizeof(p->key_line));
	return SAO_OK;
}

/* Where the value ends: at a comment outside quotes, or the end.
 * after_blank: the value was preceded by whitespace. */
static size_t value_length(const char *v, size_t n, int after_blank)
{
	char quote = 0;

	for (size_t i = 0; i < n; i++) {
		char c = v[i];

		if (quote != 0) {
			if (c == quote)
				quote = 0;
		} else if (c == '\'' || c == '"') {
			quote = c;
		} else if ((c == '#' || c == ';') && after_blank) {
			return i;
		}
		after_blank = is_blank(c);
	}
	return n;
}

/* A key of [defaults]: client_id, the application "sasl-oauth setup"
 * writes into new Microsoft accounts when none is given. */
static sao_err_t set_default(parser_t *p, const char *key, size_t key_len, const char *v, size_t v_len,
                             sao_error_t *err)
{
	if (key_len != 9 || memcmp(key, "client_id", 9) != 0)
		return sao_error_set(err, SAO_ERR_CONFIG, "%s:%d: unknown key '%.*s' in [defaults]; it takes client_id",
		                     p->path, p->line, (int)key_len, key);
	if (p->client_id_line != 0)
		return sao_error_set(err, SAO_ERR_CONFIG,
		                     "%s:%d: duplicate key 'client_id' in [defaults] (first set at line %d)", p->path,
		                     p->line, p->client_id_line);
	if (v_len == 0)
		return sao_error_set(err, SAO_ERR_CONFIG, "%s:%d: key 'client_id' has an empty value", p->path, p->line);
	p->client_id_line = p->line;
	p->s->default_client_id = dup_span(v, v_len);
	return p->s->default_client_id != NULL ? SAO_OK : nomem(p, err);
}

/* "key = value", t/n already trimmed. */
static sao_err_t set_key(parser_t *p, const char *t, size_t n, sao_error_t *err)
{
	const char *eq = memchr(t, '=', n);
	const char *key, *v;
	size_t key_len, v_len;
	char *value = NULL;
	int found = -1, after_blank;
	sao_err_t rc;

	if (eq == NULL)
		return sao_error_set(err, SAO_ERR_CONFIG,
		                     "%s:%d: expected 'key = value', '[account NAME]' or a comment", p->path, p->line);
	key = t;
	key_len = (size_t)(eq - t);
	trim(&key, &key_len);
	v = eq + 1;
	v_len = n - (size_t)(v - t);
	after_blank = v_len > 0 && is_blank(v[0]);
	trim(&v, &v_len);
	v_len = value_length(v, v_len, after_blank);
	trim(&v, &v_len);
	if (v_len >= 2 && v[0] == '"' && v[v_len - 1] == '"' && memchr(v + 1, '"', v_len - 2) == NULL) {
		v++;
		v_len -= 2;
	}
	if (p->in_defaults)
		return set_default(p, key, key_len, v, v_len, err);
	if (p->cur == NULL)
		return sao_error_set(err, SAO_ERR_CONFIG, "%s:%d: key '%.*s' is outside any [account NAME] section",
		                     p->path, p->line, (int)key_len, key);
	for (int i = 0; i < N_KEYS; i++) {
		if (strlen(keywords[i].name) == key_len && memcmp(keywords[i].name, key, key_len) == 0)
			found = i;
	}
	if (found < 0)
		return sao_error_set(err, SAO_ERR_CONFIG, "%s:%d: unknown key '%.*s' in [account %s]", p->path, p->line,
		                     (int)key_len, key, p->cur->name);
	if (p->key_line[found] != 0)
		return sao_error_set(err, SAO_ERR_CONFIG,
		                     "%s:%d: duplicate key '%s' in [account %s] (first set at line %d)", p->path, p->line,
		                     keywords[found].name, p->cur->name, p->key_line[found]);
	if (v_len == 0)
		return sao_error_set(err, SAO_ERR_CONFIG, "%s:%d: key '%s' has an empty value", p->path, p->line,
		                     keywords[found].name);
	p->key_line[found] = p->line;
	value = dup_span(v, v_len);
	if (value == NULL)
		return nomem(p, err);
	rc = set_value(p, (key_id_t)found, value, err);
	free(value);
	return rc;
}

static sao_err_t parse_line(parser_t *p, const char *t, size_t n, sao_error_t *err)
{
	if (n > 0 && t[n - 1] == '\r')
		n--;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];

		if (c == '\0')
			return sao_error_set(err, SAO_ERR_CONFIG, "%s:%d: the line contains a NUL byte", p->path, p->line);
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return sao_error_set(err, SAO_ERR_CONFIG, "%s:%d: the line contains a control character (0x%02x)",
			                     p->path, p->line, c);
	}
	trim(&t, &n);
	if (n == 0 || t[0] == '#' || t[0] == ';')
		return SAO_OK;
	if (t[0] == '[')
		return open_section(p, t, n, err);
	return set_key(p, t, n, err);
}

static int hosts_overlap(const sao_account_t *a, const sao_account_t *b)
{
	if (a->n_hosts == 0 || b->n_hosts == 0)
		return 1;
	for (size_t i = 0; i < a->n_hosts; i++) {
		for (size_t j = 0; j < b->n_hosts; j++) {
			if (strcmp(a->hosts[i], b->hosts[j]) == 0)
				return 1;
		}
	}
	return 0;
}

/* One login must lead to one account: a user name may appear in two
 * accounts only when their hosts keep them apart. */
static sao_err_t check_users(const sao_settings_t *s, sao_error_t *err)
{
	for (size_t j = 1; j < s->n_accounts; j++) {
		const sao_account_t *b = &s->accounts[j];

		for (size_t i = 0; i < j; i++) {
			const sao_account_t *a = &s->accounts[i];

			if (!hosts_overlap(a, b))
				continue;
			for (size_t u = 0; u < b->n_users; u++) {
				for (size_t v = 0; v < a->n_users; v++) {
					if (strcmp(b->users[u], a->users[v]) != 0)
						continue;
					return sao_error_set(err, SAO_ERR_CONFIG,
					                     "%s:%d: user '%s' of account '%s' is also served by account '%s' "
					                     "(%s:%d); list each user in one account, or give the accounts "
					                     "different hosts",
					                     b->file, b->line, b->users[u], b->name, a->name, a->file, a->line);
				}
			}
		}
	}
	return SAO_OK;
}

static sao_err_t parse(parser_t *p, const char *buf, size_t len, sao_error_t *err)
{
	const char *end = buf + len;
	sao_err_t rc;

	/* A byte order mark, as some Windows editors write. */
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		buf += 3;
	while (buf < end) {
		const char *nl = memchr(buf, '\n', (size_t)(end - buf));
		const char *le = nl != NULL ? nl : end;

		p->line++;
		rc = parse_line(p, buf, (size_t)(le - buf), err);
		if (rc != SAO_OK)
			return rc;
		buf = nl != NULL ? nl + 1 : end;
	}
	rc = finish_account(p, err);
	if (rc != SAO_OK)
		return rc;
	return check_users(p->s, err);
}

/* sao_settings_load_file() without a message for a missing file. */
static sao_err_t load_one(const char *path, int system, sao_settings_t **s_r, sao_error_t *err)
{
	parser_t p;
	char *buf = NULL;
	size_t len = 0;
	sao_err_t rc;

	*s_r = NULL;
	memset(&p, 0, sizeof(p));
	p.path = path;
	p.system = system;
	rc = read_file(path, &buf, &len, err);
	if (rc != SAO_OK)
		goto out;
	p.s = calloc(1, sizeof(*p.s));
	if (p.s == NULL) {
		rc = sao_error_set(err, SAO_ERR_NOMEM, "out of memory reading '%s'", path);
		goto out;
	}
	p.s->n_files = 1;
	rc = parse(&p, buf, len, err);
	if (rc != SAO_OK)
		goto out;
	*s_r = p.s;
	p.s = NULL;
out:
	sao_settings_free(&p.s);
	free(buf);
	return rc;
}

sao_err_t sao_settings_load_file(const char *path, int system, sao_settings_t **s_r, sao_error_t *err)
{
	sao_err_t rc = load_one(path, system, s_r, err);

	if (rc == SAO_ERR_NOTFOUND)
		sao_error_set(err, rc, "configuration file '%s' does not exist", path);
	return rc;
}

/* The user's accounts replace system accounts of the same name; the
 * accounts move into *merged_r and both inputs are freed. */
static sao_err_t merge(sao_settings_t **sys, sao_settings_t **usr, sao_settings_t **merged_r, sao_error_t *err)
{
	sao_settings_t *m = NULL;
	size_t total = (*sys)->n_accounts + (*usr)->n_accounts;
	sao_err_t rc = SAO_ERR_NOMEM;

	*merged_r = NULL;
	m = calloc(1, sizeof(*m));
	if (m != NULL && total > 0)
		m->accounts = calloc(total, sizeof(*m->accounts));
	if (m == NULL || (total > 0 && m->accounts == NULL)) {
		sao_error_set(err, rc, "out of memory merging configuration files");
		goto out;
	}
	m->n_files = (*sys)->n_files + (*usr)->n_files;
	/* The user's [defaults] win over the system's. */
	if ((*usr)->default_client_id != NULL) {
		m->default_client_id = (*usr)->default_client_id;
		(*usr)->default_client_id = NULL;
	} else {
		m->default_client_id = (*sys)->default_client_id;
		(*sys)->default_client_id = NULL;
	}
	for (size_t i = 0; i < (*sys)->n_accounts; i++) {
		sao_account_t *a = &(*sys)->accounts[i];

		if (sao_settings_get(*usr, a->name) != NULL)
			continue;
		m->accounts[m->n_accounts++] = *a;
		memset(a, 0, sizeof(*a));
	}
	for (size_t i = 0; i < (*usr)->n_accounts; i++) {
		m->accounts[m->n_accounts++] = (*usr)->accounts[i];
		memset(&(*usr)->accounts[i], 0, sizeof((*usr)->accounts[i]));
	}
	rc = check_users(m, err);
	if (rc != SAO_OK)
		goto out;
	*merged_r = m;
	m = NULL;
out:
	sao_settings_free(&m);
	sao_settings_free(sys);
	sao_settings_free(usr);
	return rc;
}

sao_err_t sao_settings_load(sao_settings_t **s_r, sao_error_t *err)
{
	const char *conf = env("SASL_OAUTH_CONF");
	sao_settings_t *sys = NULL, *usr = NULL;
	char *dir = NULL, *user_path = NULL;
	sao_err_t rc;

	*s_r = NULL;
	if (conf != NULL) {
		rc = load_one(conf, 0, s_r, err);
		if (rc == SAO_ERR_NOTFOUND)
			rc = sao_error_set(err, SAO_ERR_CONFIG,
			                   "configuration file '%s' named by SASL_OAUTH_CONF does not exist", conf);
		goto out;
	}
	rc = load_one(SYSTEM_CONF, 1, &sys, err);
	if (rc != SAO_OK && rc != SAO_ERR_NOTFOUND)
		goto out;
	/* In a set-id program, and without any home directory, only the
	 * system file counts. */
	rc = sao_settings_secure() ? SAO_ERR_NOTFOUND : xdg_dir("XDG_CONFIG_HOME", ".config", &dir, err);
	if (rc == SAO_OK) {
		user_path = join(dir, "/sasl-oauth/config", (const char *)NULL);
		if (user_path == NULL) {
			rc = sao_error_set(err, SAO_ERR_NOMEM, "out of memory");
			goto out;
		}
		rc = load_one(user_path, 0, &usr, err);
	}
	if (rc != SAO_OK && rc != SAO_ERR_NOTFOUND)
		goto out;
	if (sys == NULL && usr == NULL) {
		rc = sao_error_set(err, SAO_ERR_NOTFOUND, "no configuration file found (looked for '%s'%s%s%s)",
		                   SYSTEM_CONF, user_path != NULL ? " and '" : "", user_path != NULL ? user_path : "",
		                   user_path != NULL ? "'" : "");
		goto out;
	}
	if (sys == NULL || usr == NULL) {
		*s_r = sys != NULL ? sys : usr;
		sys = usr = NULL;
		rc = SAO_OK;
		goto out;
	}
	rc = merge(&sys, &usr, s_r, err);
out:
	sao_settings_free(&sys);
	sao_settings_free(&usr);
	free(dir);
	free(user_path);
	if (rc != SAO_OK)
		sao_settings_free(s_r);
	return rc;
}

static int host_matches(const sao_account_t *a, const char *host)
{
	if (a->n_hosts == 0)
		return 1;
	if (host == NULL)
		return 0;
	for (size_t i = 0; i < a->n_hosts; i++) {
		if (equal_nocase(a->hosts[i], host))
			return 1;
	}
	return 0;
}

const sao_account_t *sao_settings_find(const sao_settings_t *s, const char *user, const char *host)
{
	if (s == NULL || user == NULL)
		return NULL;
	for (size_t i = 0; i < s->n_accounts; i++) {
		const sao_account_t *a = &s->accounts[i];

		if (!host_matches(a, host))
			continue;
		for (size_t u = 0; u < a->n_users; u++) {
			if (equal_nocase(a->users[u], user))
				return a;
		}
	}
	return NULL;
}

const sao_account_t *sao_settings_get(const sao_settings_t *s, const char *name)
{
	if (s == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < s->n_accounts; i++) {
		if (strcmp(s->accounts[i].name, name) == 0)
			return &s->accounts[i];
	}
	return NULL;
}

int sao_settings_in_chroot(const sao_account_t *a)
{
	struct stat root;

	if (a->chroot == NULL || (a->chroot_dev == 0 && a->chroot_ino == 0) || stat("/", &root) != 0)
		return 0;
	return root.st_dev == a->chroot_dev && root.st_ino == a->chroot_ino;
}

/* The path inside the account's jail as seen from here. */
static sao_err_t outside_jail(const sao_account_t *a, char **path_r, sao_error_t *err)
{
	char *full;

	if (a->chroot == NULL || *path_r == NULL || sao_settings_in_chroot(a))
		return SAO_OK;
	full = join(a->chroot, *path_r, (const char *)NULL);
	free(*path_r);
	*path_r = full;
	return full != NULL ? SAO_OK : sao_error_set(err, SAO_ERR_NOMEM, "out of memory");
}

sao_err_t sao_settings_cache_path(const sao_account_t *a, char **path_r, sao_error_t *err)
{
	char *dir = NULL;
	sao_err_t rc;

	*path_r = NULL;
	if (a->cache != NULL) {
		*path_r = strdup(a->cache);
		rc = SAO_OK;
	} else if (a->system) {
		*path_r = join(SAO_STATEDIR, "/", a->name, ".json", (const char *)NULL);
		rc = SAO_OK;
	} else {
		rc = xdg_dir("XDG_STATE_HOME", ".local/state", &dir, err);
		if (rc == SAO_ERR_NOTFOUND) {
			rc = sao_error_set(err, SAO_ERR_CONFIG,
			                   "cannot place the token cache of account '%s': no home directory is known; "
			                   "set HOME or give the account a 'cache =' path",
			                   a->name);
			goto out;
		}
		if (rc != SAO_OK)
			goto out;
		*path_r = join(dir, "/sasl-oauth/", a->name, ".json", (const char *)NULL);
	}
	if (*path_r == NULL)
		rc = sao_error_set(err, SAO_ERR_NOMEM, "out of memory");
	else if (rc == SAO_OK)
		rc = outside_jail(a, path_r, err);
out:
	free(dir);
	return rc;
}

const char *sao_settings_system_path(void)
{
	return SYSTEM_CONF;
}

sao_err_t sao_settings_user_path(char **path_r, sao_error_t *err)
{
	const char *conf = env("SASL_OAUTH_CONF");
	char *dir = NULL;
	sao_err_t rc;

	*path_r = NULL;
	if (conf != NULL) {
		*path_r = strdup(conf);
		return *path_r != NULL ? SAO_OK : sao_error_set(err, SAO_ERR_NOMEM, "out of memory");
	}
	rc = xdg_dir("XDG_CONFIG_HOME", ".config", &dir, err);
	if (rc == SAO_ERR_NOTFOUND)
		return sao_error_set(err, rc, "no home directory is known; set HOME or SASL_OAUTH_CONF");
	if (rc != SAO_OK)
		return rc;
	*path_r = join(dir, "/sasl-oauth/config", (const char *)NULL);
	free(dir);
	return *path_r != NULL ? SAO_OK : sao_error_set(err, SAO_ERR_NOMEM, "out of memory");
}

const char *sao_settings_cli_path(void)
{
	const char *v = env("SASL_OAUTH_CLI");

	return v != NULL ? v : SAO_CLI_PATH;
}

size_t sao_settings_n_keys(void)
{
	return N_KEYS;
}

/* A URL's user:password@ part replaced by "***@" (a proxy's, an endpoint's). */
static void mask_userinfo(char *v)
{
	char *scheme = strstr(v, "://"), *at, *end;

	if (scheme == NULL)
		return;
	scheme += 3;
	end = scheme + strcspn(scheme, "/?#");
	at = memchr(scheme, '@', (size_t)(end - scheme));
	if (at == NULL)
		return;
	memmove(scheme + 3, at, strlen(at) + 1);
	memcpy(scheme, "***", 3);
}

const char *sao_settings_describe(const sao_account_t *a, size_t i, char *buf, size_t size, int *line_r)
{
	const keyword_t *k;
	size_t used = 0;

	*line_r = 0;
	if (i >= N_KEYS || size == 0)
		return NULL;
	k = &keywords[i];
	buf[0] = '\0';
	*line_r = a->key_line[i];
	if (k->kind == KW_SECONDS) {
		snprintf(buf, size, "%ld", *(const long *)((const char *)a + k->off));
	} else if (k->kind == KW_CHOICE) {
		snprintf(buf, size, "%s", state_name(k->states, *(const int *)((const char *)a + k->off)));
	} else if (k->kind == KW_LIST) {
		char *const *list = *(char *const *const *)((const char *)a + k->off);
		size_t n = *(const size_t *)((const char *)a + k->count_off);

		if (n == 0)
			return k->name;
		for (size_t j = 0; j < n; j++) {
			int w = snprintf(buf + used, size - used, "%s%s", j > 0 ? ", " : "", list[j]);

			if (w < 0 || (size_t)w >= size - used)
				break;
			used += (size_t)w;
		}
	} else {
		const char *v = *(char *const *)((const char *)a + k->off);

		if (v == NULL)
			return k->name;
		snprintf(buf, size, "%s", v);
		mask_userinfo(buf);
	}
	return k->name;
}
