/* SPDX-License-Identifier: MIT */
/*
 * settings: the configuration files (DESIGN.md §4).
 *
 * Which files: $SASL_OAUTH_CONF alone when set; otherwise the system file
 * (SAO_SYSCONFDIR "/sasl-oauth.conf") and then the user file
 * ($XDG_CONFIG_HOME/sasl-oauth/config, default ~/.config/sasl-oauth/config),
 * each if it exists. An account defined in the user file replaces a system
 * account of the same name.
 *
 * Syntax: INI. '#' or ';' start a comment (at line start, or after
 * whitespace); "[account NAME]" opens a section; "key = value" inside it.
 * One "[defaults]" section per file holds what "sasl-oauth setup" puts
 * into new accounts: client_id.
 * Unknown keys, keys outside a section, duplicate keys, bad values and
 * duplicate account names are errors reported as "FILE:LINE: message".
 * A config file writable by group/others, or owned by someone other than
 * root or the caller, is refused (it can name a command to run); reading is
 * for anyone who logs in with it, so a group-readable file is fine: the
 * system file of a Postfix relay is root:postfix 0640 (secrets live in the
 * files it names, not in it). Files named
 * by client_secret_file / private_key that are group/other-readable are
 * refused with the chmod that fixes them.
 *
 * Ownership: sao_settings_t owns every account and string; accounts point
 * into it and live until sao_settings_free().
 */
#ifndef SAO_SETTINGS_H
#define SAO_SETTINGS_H

#include <stddef.h>
#include <sys/types.h>

#include "sasl-oauth/error.h"

#define SAO_REFRESH_MARGIN_DEFAULT 600
#define SAO_COMMAND_TIMEOUT_DEFAULT 30
#define SAO_HTTP_TIMEOUT_SECONDS_DEFAULT 30
#define SAO_SETTINGS_KEYS_MAX 48 /* keys an account can have */

/* The choice keys, parsed once into enums (OpenSSH readconf.c's multistate
 * tables); nothing compares their words at the point of use. The first
 * value of each is the default, so a zeroed account holds the defaults. */
typedef enum { SAO_PROVIDER_MICROSOFT, SAO_PROVIDER_GOOGLE, SAO_PROVIDER_GENERIC } sao_account_provider_t;
typedef enum { SAO_CLOUD_GLOBAL, SAO_CLOUD_USGOV, SAO_CLOUD_USGOV_DOD, SAO_CLOUD_CHINA } sao_account_cloud_t;
typedef enum { SAO_FLOW_DEVICE, SAO_FLOW_AUTHCODE, SAO_FLOW_CLIENT_CREDENTIALS } sao_account_flow_t;
typedef enum { SAO_ALG_RS256, SAO_ALG_PS256 } sao_account_alg_t;
typedef enum { SAO_THUMBPRINT_SHA256, SAO_THUMBPRINT_SHA1 } sao_account_thumbprint_t;

typedef struct sao_account {
	char *name;
	char **users;       /* lower-cased SASL user names served */
	size_t n_users;
	char **hosts;       /* lower-cased server names; none = any host */
	size_t n_hosts;
	sao_account_provider_t provider; /* microsoft | google | generic */
	char *tenant;
	sao_account_cloud_t cloud;       /* global | usgov | usgov-dod | china */
	char *client_id;
	sao_account_flow_t flow;      /* device | authcode | client_credentials */
	char *client_secret_file;
	char *certificate;
	char *private_key;
	char *scope;
	char *token_command;
	char *cache;        /* explicit cache path, or NULL for the default */
	char *chroot;       /* the jail a program reads the cache in (Postfix: its queue_directory) */
	dev_t chroot_dev;   /* chroot's identity when the settings were read, to tell */
	ino_t chroot_ino;   /* whether a later caller runs inside it; 0/0 = unknown */
	char **services;    /* imap, pop, smtp: what the token is for (scopes) */
	size_t n_services;
	char *authority;    /* replaces the provider's login host (https://host[:port]) */
	char *token_endpoint;     /* explicit endpoint URLs (required for generic) */
	char *device_endpoint;
	char *authorize_endpoint;
	char *revoke_endpoint;
	char *client_secret_credential; /* name in $CREDENTIALS_DIRECTORY (systemd) */
	char *pkcs12;             /* certificate and key in one PKCS#12 file */
	char *pkcs12_password_file;
	sao_account_alg_t assertion_alg;        /* RS256 | PS256 */
	sao_account_thumbprint_t thumbprint;    /* sha256 (x5t#S256) | sha1 (x5t) */
	char *proxy;              /* "none" disables libcurl's environment proxy */
	char *ca_file;
	char *ca_path;
	char *notify_command;     /* run once when a refresh needs a person (SASL_OAUTH_ACCOUNT,
	                             SASL_OAUTH_REASON in its environment) */
	long refresh_margin;   /* seconds */
	long command_timeout;  /* seconds, for token_command */
	long http_timeout;     /* seconds, per identity provider request */
	int system;         /* defined in the system file */
	char *file;         /* where it was defined, for messages */
	int line;
	int key_line[SAO_SETTINGS_KEYS_MAX]; /* line in file of each key (sao_settings_describe's
	                                        order); 0: the default, or unset */
} sao_account_t;

typedef struct sao_settings {
	sao_account_t *accounts;
	size_t n_accounts;
	size_t n_files;     /* configuration files read */
	char *default_client_id; /* [defaults] client_id, or NULL (the user file's wins) */
} sao_settings_t;

/* Reads the configuration files per the rules above. Sets *s_r to NULL and
 * returns SAO_ERR_NOTFOUND when no file exists (the plugin then registers no
 * mechanism). Any other error leaves *s_r NULL with the FILE:LINE message. */
sao_err_t sao_settings_load(sao_settings_t **s_r, sao_error_t *err);

/* Reads exactly one file (system marks its accounts as system ones). */
sao_err_t sao_settings_load_file(const char *path, int system, sao_settings_t **s_r,
                                 sao_error_t *err);

/* The account serving SASL user name `user` (case-insensitive) on server
 * `host` (may be NULL), or NULL. */
const sao_account_t *sao_settings_find(const sao_settings_t *s, const char *user, const char *host);

/* The account called name, or NULL. */
const sao_account_t *sao_settings_get(const sao_settings_t *s, const char *name);

/* Allocates the cache file path of an account: `cache =` if set, else
 * /var/lib/sasl-oauth/NAME.json for system accounts, else
 * $XDG_STATE_HOME/sasl-oauth/NAME.json (default ~/.local/state/...).
 * With `chroot = DIR` that path is the one seen inside DIR: a process
 * running inside the jail gets it as it is, any other one gets DIR + path
 * (docs/decisions.md, "The chroot"). */
sao_err_t sao_settings_cache_path(const sao_account_t *a, char **path_r, sao_error_t *err);

/* 1 when the account has `chroot =` and this process runs inside that
 * jail: its root directory is the directory the settings found there. */
int sao_settings_in_chroot(const sao_account_t *a);

/* The system file's path (SAO_SYSCONFDIR "/sasl-oauth.conf"). */
const char *sao_settings_system_path(void);

/* Allocates the user file's path: $SASL_OAUTH_CONF when set, else
 * $XDG_CONFIG_HOME/sasl-oauth/config (default ~/.config/...).
 * SAO_ERR_NOTFOUND without a home directory. */
sao_err_t sao_settings_user_path(char **path_r, sao_error_t *err);

/* The sasl-oauth command the plugin runs to refresh a stale token:
 * $SASL_OAUTH_CLI when set (never in set-id programs), else the installed
 * one (SAO_CLI_PATH, from configure). */
const char *sao_settings_cli_path(void);

/* 1 when this process must not trust its caller's environment: set-id,
 * or started with file capabilities (the kernel's AT_SECURE). Then no
 * variable chooses a file or a command, and child processes get none of
 * the caller's variables. */
int sao_settings_secure(void);

/* The configuration's word for a provider, for messages. */
const char *sao_settings_provider_name(sao_account_provider_t provider);

/* The configuration's word for a national cloud. */
const char *sao_settings_cloud_name(sao_account_cloud_t cloud);

/* The configuration's word for a flow, for messages. */
const char *sao_settings_flow_name(sao_account_flow_t flow);

/* 1 when a's tokens are for service ("imap", "pop", "smtp"): its
 * services, or all three when it names none (or a is NULL). */
int sao_settings_serves(const sao_account_t *a, const char *service);

/* How many keys an account has (the index range of sao_settings_describe). */
size_t sao_settings_n_keys(void);

/* Key i of account a: returns its name, writes its effective value as
 * text in buf ("" when unset; lists joined by ", "; a URL's user:password
 * masked as "***"), and in *line_r the line of a->file that set it, 0 for
 * a default or an unset key. NULL past the last key. */
const char *sao_settings_describe(const sao_account_t *a, size_t i, char *buf, size_t size, int *line_r);

void sao_settings_free(sao_settings_t **s);

#endif
