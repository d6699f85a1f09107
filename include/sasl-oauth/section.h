/* SPDX-License-Identifier: MIT */
/*
 * section: writes a new [account NAME] section into a configuration file,
 * the way "sasl-oauth setup" needs it: rendered from plain values, added
 * to the user's file (or the system file) with the right owner and modes,
 * and never replacing an account that is there unless asked to.
 *
 * Modes: a user file is 0600 in a 0700 directory (missing directories are
 * made 0700); the system file is root's, 0600, or 0640 with group postfix
 * for a Postfix relay (docs/clients/postfix.md: the timer runs as postfix
 * and reads it), in a 0755 directory. An existing file keeps its mode and
 * owner. Writes go to a temporary file in the same directory, fsync,
 * rename, fsync of the directory: a reader sees the old file or the new
 * one, never half of it.
 *
 * Ownership: rendered text is malloc'd and the caller's.
 */
#ifndef SAO_SECTION_H
#define SAO_SECTION_H

#include "sasl-oauth/error.h"

/* The keys of a new account; NULL ones are left out (the defaults apply). */
typedef struct sao_section {
	const char *name;
	const char *comment; /* one comment line under the header, or NULL */
	const char *users;
	const char *provider;
	const char *tenant;
	const char *cloud;
	const char *client_id;
	const char *client_secret_file;
	const char *flow;
	const char *authority;
	const char *token_endpoint;
	const char *device_endpoint;
	const char *authorize_endpoint;
	const char *scope;
} sao_section_t;

typedef enum {
	SAO_SECTION_USER,          /* 0600, directories 0700 */
	SAO_SECTION_SYSTEM,        /* root, 0600; directory 0755 */
	SAO_SECTION_SYSTEM_POSTFIX /* root:postfix 0640 when that group exists, else as SYSTEM */
} sao_section_mode_t;

/* "[account NAME]\nkey = value\n..." in *text_r. SAO_ERR_CONFIG for a name
 * the parser would refuse or a value with a line break or control
 * character. */
sao_err_t sao_section_render(const sao_section_t *sec, char **text_r, sao_error_t *err);

/* Adds text (one rendered section for account name) to the file at path.
 * An account of that name in the file is an error (SAO_ERR_CONFIG, naming
 * FILE:LINE and --force) unless force, which replaces that section and sets
 * *replaced_r (may be NULL). Nothing is written on any failure. */
sao_err_t sao_section_write(const char *path, sao_section_mode_t mode, const char *name, const char *text, int force,
                            int *replaced_r, sao_error_t *err);

#endif
