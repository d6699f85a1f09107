/* SPDX-License-Identifier: MIT */
/*
 * section: a new account section, rendered and written (section.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sasl-oauth/fs.h"
#include "sasl-oauth/section.h"

#define CONF_MAX (1024 * 1024) /* as settings.c reads it */
#define NAME_MAX_LEN 64

/* settings.c's rule for names: they become file names and arguments. */
static int valid_name(const char *n)
{
	size_t len = strlen(n);

	if (len == 0 || len > NAME_MAX_LEN)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = n[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '-' && c != '_' && c != '.' && c != '@')))
			return 0;
	}
	return 1;
}

/* A value the parser reads back as it is: one line, no control
 * characters, no comment start after a blank, not quoted. */
static int valid_value(const char *v)
{
	size_t len = strlen(v);

	if (len == 0 || v[0] == '"' || v[0] == ' ' || v[len - 1] == ' ')
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c < 0x20 || c == 0x7f)
			return 0;
		if ((c == '#' || c == ';') && i > 0 && (v[i - 1] == ' ' || v[i - 1] == '\t'))
			return 0;
	}
	return 1;
}

sao_err_t sao_section_render(const sao_section_t *sec, char **text_r, sao_error_t *err)
{
	const struct {
		const char *key, *value;
	} keys[] = {
		{ "users", sec->users },
		{ "provider", sec->provider },
		{ "tenant", sec->tenant },
		{ "cloud", sec->cloud },
		{ "client_id", sec->client_id },
		{ "client_secret_file", sec->client_secret_file },
		{ "flow", sec->flow },
		{ "authority", sec->authority },
		{ "token_endpoint", sec->token_endpoint },
		{ "device_endpoint", sec->device_endpoint },
		{ "authorize_endpoint", sec->authorize_endpoint },
		{ "scope", sec->scope },
	};
	sao_text_t b = { 0 };
	int ok = 1;

	*text_r = NULL;
	if (sec->name == NULL || !valid_name(sec->name))
		return sao_error_set(err, SAO_ERR_CONFIG,
		                     "invalid account name '%s'; use up to %d letters, digits and - _ . @, starting with a "
		                     "letter or digit",
		                     sec->name != NULL ? sec->name : "", NAME_MAX_LEN);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (keys[i].value != NULL && !valid_value(keys[i].value))
			return sao_error_set(err, SAO_ERR_CONFIG,
			                     "the value '%s' for '%s' cannot be written into the configuration (empty, quoted, "
			                     "a line break or a comment in it)",
			                     keys[i].value, keys[i].key);
	}
	if (sec->comment != NULL && strchr(sec->comment, '\n') != NULL)
		return sao_error_set(err, SAO_ERR_INTERNAL, "a section comment has a line break");
	/* The comment goes inside the section, so that --force, which
	 * replaces the section, takes it along. */
	ok = sao_text_puts(&b, "[account ") && sao_text_puts(&b, sec->name) && sao_text_puts(&b, "]\n");
	if (sec->comment != NULL)
		ok = ok && sao_text_puts(&b, "# ") && sao_text_puts(&b, sec->comment) && sao_text_puts(&b, "\n");
	for (size_t i = 0; ok && i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (keys[i].value != NULL)
			ok = sao_text_puts(&b, keys[i].key) && sao_text_puts(&b, " = ") && sao_text_puts(&b, keys[i].value) && sao_text_puts(&b, "\n");
	}
	if (!ok) {
		free(b.p);
		return sao_error_set(err, SAO_ERR_NOMEM, "out of memory");
	}
	*text_r = b.p;
	return SAO_OK;
}

/* ---- writing ------------------------------------------------------------ */

static sao_err_t read_all(const char *path, sao_text_t *b, struct stat *st_r, int *exists_r, sao_error_t *err)
{
	int fd;
	sao_err_t rc = SAO_OK;

	*exists_r = 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return SAO_OK;
	if (fd < 0)
		return sao_error_set(err, SAO_ERR_IO, "cannot open configuration file '%s': %s%s", path, strerror(errno),
		                     errno == ELOOP ? " (a symbolic link is not followed)" : "");
	if (fstat(fd, st_r) != 0 || !S_ISREG(st_r->st_mode)) {
		rc = sao_error_set(err, SAO_ERR_IO, "configuration file '%s' is not a regular file", path);
		goto out;
	}
	if ((st_r->st_uid != geteuid() && st_r->st_uid != 0) || (st_r->st_mode & 022)) {
		rc = sao_error_set(err, SAO_ERR_PERM,
		                   "configuration file '%s' is writable by others or not owned by you or root; nothing was "
		                   "written; fix it first (chmod 600 %s)",
		                   path, path);
		goto out;
	}
	*exists_r = 1;
	rc = sao_fs_read_fd(fd, path, CONF_MAX, b, err);
out:
	close(fd);
	return rc;
}

/* Is the line (n bytes) "[account NAME]" (blanks allowed as the parser
 * allows them, a comment after)? Sets *header_r when it is any section
 * header. */
static int is_account_header(const char *line, size_t n, const char *name, int *header_r)
{
	size_t i = 0, k;

	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	*header_r = i < n && line[i] == '[';
	if (!*header_r)
		return 0;
	for (i++; i < n && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	if (n - i < 7 || memcmp(line + i, "account", 7) != 0)
		return 0;
	for (i += 7; i < n && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	k = strlen(name);
	if (n - i < k || memcmp(line + i, name, k) != 0)
		return 0;
	for (i += k; i < n && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	return i < n && line[i] == ']';
}

/* Copies old into out without the section of account name (its header up
 * to the next section header); *found_line_r: its line number, 0 if none. */
static int without_section(const char *old, size_t len, const char *name, sao_text_t *out, int *found_line_r)
{
	int skipping = 0, line = 0, header;

	*found_line_r = 0;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(old + i, '\n', len - i);
		size_t n = nl != NULL ? (size_t)(nl - (old + i)) : len - i;
		size_t with_nl = n + (nl != NULL);

		line++;
		if (is_account_header(old + i, n, name, &header)) {
			if (*found_line_r == 0)
				*found_line_r = line;
			skipping = 1;
		} else if (header) {
			skipping = 0;
		}
		if (!skipping && !sao_text_put(out, old + i, with_nl))
			return 0;
		i += with_nl;
	}
	return 1;
}

static sao_err_t fsync_dir(const char *dir, sao_error_t *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) != 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return sao_error_set(err, SAO_ERR_IO, "cannot sync directory '%s': %s", dir, strerror(e));
	}
	close(fd);
	return SAO_OK;
}

sao_err_t sao_section_write(const char *path, sao_section_mode_t mode, const char *name, const char *text, int force,
                            int *replaced_r, sao_error_t *err)
{
	char dir[PATH_MAX], tmp[PATH_MAX + 16];
	sao_text_t old = { 0 }, out = { 0 };
	struct stat st;
	struct group *gr;
	int exists = 0, found = 0, fd = -1, n;
	mode_t fmode = 0600;
	gid_t gid = (gid_t)-1;
	uid_t uid = (uid_t)-1;
	sao_err_t rc;

	if (replaced_r != NULL)
		*replaced_r = 0;
	tmp[0] = '\0';
	if (!sao_fs_dirname(path, dir, sizeof(dir)))
		return sao_error_set(err, SAO_ERR_IO, "configuration path '%s' is too long", path);
	rc = sao_fs_mkdirs(dir, mode == SAO_SECTION_USER ? 0700 : 0755, "configuration directory", err);
	if (rc != SAO_OK)
		return rc;
	rc = read_all(path, &old, &st, &exists, err);
	if (rc != SAO_OK)
		goto out;
	if (exists) {
		if (!without_section(old.p, old.len, name, &out, &found)) {
			rc = sao_error_set(err, SAO_ERR_NOMEM, "out of memory");
			goto out;
		}
		if (found != 0 && !force) {
			rc = sao_error_set(err, SAO_ERR_CONFIG,
			                   "account '%s' already exists in %s:%d; nothing was written; use it (sasl-oauth "
			                   "login %s), choose another name with --name, or replace it with --force",
			                   name, path, found, name);
			goto out;
		}
		/* The new section starts after one blank line. */
		if (out.len > 0 && out.p[out.len - 1] != '\n' && !sao_text_put(&out, "\n", 1))
			goto nomem;
		if (out.len > 0 && !(out.len >= 2 && out.p[out.len - 2] == '\n') && !sao_text_put(&out, "\n", 1))
			goto nomem;
		fmode = st.st_mode & 07777;
		uid = st.st_uid;
		gid = st.st_gid;
	} else if (mode != SAO_SECTION_USER) {
		uid = 0;
		gid = 0;
		gr = mode == SAO_SECTION_SYSTEM_POSTFIX ? getgrnam("postfix") : NULL;
		if (gr != NULL) {
			gid = gr->gr_gid;
			fmode = 0640;
		}
	}
	if (!sao_text_puts(&out, text))
		goto nomem;
	n = snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		tmp[0] = '\0';
		rc = sao_error_set(err, SAO_ERR_IO, "configuration path '%s' is too long", path);
		goto out;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = sao_error_set(err, SAO_ERR_IO, "cannot create a file in '%s': %s", dir, strerror(errno));
		tmp[0] = '\0';
		goto out;
	}
	if (fchmod(fd, fmode) != 0 ||
	    ((uid != (uid_t)-1 || gid != (gid_t)-1) && (uid != geteuid() || gid != getegid()) &&
	     fchown(fd, uid, gid) != 0)) {
		rc = sao_error_set(err, SAO_ERR_PERM, "cannot give '%s' the owner and mode of '%s': %s", tmp, path,
		                   strerror(errno));
		goto out;
	}
	rc = sao_fs_write_fd(fd, tmp, out.p, out.len, err);
	if (rc != SAO_OK)
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		rc = sao_error_set(err, SAO_ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		rc = sao_error_set(err, SAO_ERR_IO, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
		goto out;
	}
	tmp[0] = '\0';
	rc = fsync_dir(dir, err);
	if (rc == SAO_OK && replaced_r != NULL)
		*replaced_r = found != 0;
	goto out;
nomem:
	rc = sao_error_set(err, SAO_ERR_NOMEM, "out of memory");
out:
	if (fd >= 0)
		close(fd);
	if (tmp[0] != '\0')
		unlink(tmp);
	free(old.p);
	free(out.p);
	return rc;
}
