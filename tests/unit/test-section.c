/* SPDX-License-Identifier: MIT */
/* section: rendered sections (table-driven), what the parser reads back,
 * the modes of what is written, refusal to replace an account, --force. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"
#include "sasl-oauth/section.h"
#include "sasl-oauth/settings.h"

static const struct {
	sao_section_t sec;
	sao_err_t rc;
	const char *want;
} rows[] = {
	{ { .name = "contoso", .comment = "written by: sasl-oauth setup alice@contoso.com", .users = "alice@contoso.com",
	    .provider = "microsoft", .tenant = "9188040d-6c67-4c5b-b112-36a304b66dad", .cloud = "global",
	    .client_id = "3f1c2a7e-5b6d-4e8f-9a0b-1c2d3e4f5a6b", .flow = "device" },
	  SAO_OK,
	  "[account contoso]\n# written by: sasl-oauth setup alice@contoso.com\nusers = alice@contoso.com\n"
	  "provider = microsoft\ntenant = 9188040d-6c67-4c5b-b112-36a304b66dad\ncloud = global\n"
	  "client_id = 3f1c2a7e-5b6d-4e8f-9a0b-1c2d3e4f5a6b\nflow = device\n" },
	{ { .name = "gen", .users = "bob@example.org", .provider = "generic", .client_id = "abc", .flow = "device",
	    .token_endpoint = "https://idp.example.org/token", .device_endpoint = "https://idp.example.org/device",
	    .scope = "mail offline" },
	  SAO_OK,
	  "[account gen]\nusers = bob@example.org\nprovider = generic\nclient_id = abc\nflow = device\n"
	  "token_endpoint = https://idp.example.org/token\ndevice_endpoint = https://idp.example.org/device\n"
	  "scope = mail offline\n" },
	{ { .name = "-x", .users = "a@b.c" }, SAO_ERR_CONFIG, NULL },
	{ { .name = "x", .users = "a@b.c\nflow = authcode" }, SAO_ERR_CONFIG, NULL },
	{ { .name = "x", .users = "a@b.c #x" }, SAO_ERR_CONFIG, NULL },
	{ { .name = "x", .users = "\"a@b.c\"" }, SAO_ERR_CONFIG, NULL },
	{ { .name = "x", .users = "" }, SAO_ERR_CONFIG, NULL },
};

static void test_render(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		sao_error_t err;
		char *text = NULL;

		sao_error_clear(&err);
		CHECK_MSG(sao_section_render(&rows[i].sec, &text, &err) == rows[i].rc, "row %zu: %s", i, err.msg);
		if (rows[i].want != NULL && text != NULL)
			CHECK_BYTES(text, strlen(text), rows[i].want, strlen(rows[i].want));
		if (rows[i].want == NULL)
			CHECK(text == NULL);
		free(text);
	}
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

static void test_write(void)
{
	char top[] = "/tmp/test-section-XXXXXX", dir[200], path[300], cmd[400], *text = NULL;
	const char *got;
	sao_section_t sec = { .name = "work", .users = "alice@contoso.com", .tenant = "contoso.onmicrosoft.com",
		              .client_id = "id-1" };
	sao_settings_t *s = NULL;
	sao_error_t err;
	int replaced = -1;

	if (mkdtemp(top) == NULL) {
		CHECK(!"mkdtemp");
		return;
	}
	/* ~/.config does not exist yet: both directories come 0700, the file 0600. */
	snprintf(dir, sizeof(dir), "%s/home/.config/sasl-oauth", top);
	snprintf(path, sizeof(path), "%s/config", dir);
	sao_error_clear(&err);
	umask(022);
	CHECK(sao_section_render(&sec, &text, &err) == SAO_OK);
	CHECK_MSG(sao_section_write(path, SAO_SECTION_USER, "work", text, 0, &replaced, &err) == SAO_OK, "%s", err.msg);
	CHECK(replaced == 0);
	CHECK(mode_of(path) == 0600);
	CHECK(mode_of(dir) == 0700);
	snprintf(cmd, sizeof(cmd), "%s/home/.config", top);
	CHECK(mode_of(cmd) == 0700);
	got = test_read_text(path);
	CHECK(got != NULL && strcmp(got, text) == 0);

	/* The parser reads it back as written. */
	CHECK(sao_settings_load_file(path, 0, &s, &err) == SAO_OK);
	if (s != NULL) {
		const sao_account_t *a = sao_settings_get(s, "work");

		CHECK(a != NULL && a->n_users == 1 && strcmp(a->users[0], "alice@contoso.com") == 0 &&
		      strcmp(a->tenant, "contoso.onmicrosoft.com") == 0 && strcmp(a->client_id, "id-1") == 0 &&
		      a->flow == SAO_FLOW_DEVICE);
	}
	sao_settings_free(&s);

	/* The same account again: refused, the file as it was. */
	sao_error_clear(&err);
	CHECK(sao_section_write(path, SAO_SECTION_USER, "work", text, 0, NULL, &err) == SAO_ERR_CONFIG);
	CHECK(strstr(err.msg, "account 'work' already exists in") != NULL && strstr(err.msg, ":1;") != NULL &&
	      strstr(err.msg, "--force") != NULL);
	got = test_read_text(path);
	CHECK(got != NULL && strcmp(got, text) == 0);
	free(text);
	text = NULL;

	/* Another account next to it, after one blank line; a mode the user
	 * chose (0640 is the user's call) is kept. */
	chmod(path, 0640);
	sec.name = "home";
	sec.users = "bob@example.org";
	CHECK(sao_section_render(&sec, &text, &err) == SAO_OK);
	CHECK(sao_section_write(path, SAO_SECTION_USER, "home", text, 0, NULL, &err) == SAO_OK);
	got = test_read_text(path);
	CHECK(got != NULL && strstr(got, "client_id = id-1\n\n[account home]\n") != NULL);
	CHECK(mode_of(path) == 0640);
	free(text);
	text = NULL;

	/* --force replaces exactly that section; the other stays. */
	sec.name = "work";
	sec.users = "alice@contoso.com";
	sec.client_id = "id-2";
	CHECK(sao_section_render(&sec, &text, &err) == SAO_OK);
	CHECK(sao_section_write(path, SAO_SECTION_USER, "work", text, 1, &replaced, &err) == SAO_OK);
	CHECK(replaced == 1);
	CHECK(sao_settings_load_file(path, 0, &s, &err) == SAO_OK);
	if (s != NULL) {
		const sao_account_t *a = sao_settings_get(s, "work");

		CHECK(s->n_accounts == 2 && sao_settings_get(s, "home") != NULL && a != NULL &&
		      strcmp(a->client_id, "id-2") == 0);
	}
	sao_settings_free(&s);
	free(text);

	/* A file others may write is not touched. */
	chmod(path, 0666);
	sao_error_clear(&err);
	CHECK(sao_section_write(path, SAO_SECTION_USER, "x", "[account x]\nusers = x@y.z\n", 0, NULL, &err) ==
	      SAO_ERR_PERM);

	/* A system file (as root only: it is chowned to root). */
	if (geteuid() == 0) {
		snprintf(path, sizeof(path), "%s/etc/sasl-oauth/sasl-oauth.conf", top);
		CHECK(sao_section_write(path, SAO_SECTION_SYSTEM, "relay", "[account relay]\nusers = r@c.com\n", 0, NULL,
		                        &err) == SAO_OK);
		CHECK(mode_of(path) == 0600);
		snprintf(dir, sizeof(dir), "%s/etc/sasl-oauth", top);
		CHECK(mode_of(dir) == 0755);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	CHECK(system(cmd) == 0);
}

static void test_defaults(void)
{
	char path[] = "/tmp/test-section-defaults-XXXXXX";
	int fd = mkstemp(path);
	sao_settings_t *s = NULL;
	sao_error_t err;
	static const char text[] = "[defaults]\nclient_id = 11111111-2222-3333-4444-555555555555\n\n"
	                           "[account a]\nusers = a@b.c\n";
	static const char bad[] = "[defaults]\ntenant = x\n";

	if (fd < 0) {
		CHECK(!"mkstemp");
		return;
	}
	CHECK(write(fd, text, sizeof(text) - 1) == (ssize_t)(sizeof(text) - 1));
	close(fd);
	sao_error_clear(&err);
	CHECK(sao_settings_load_file(path, 0, &s, &err) == SAO_OK);
	CHECK(s != NULL && s->default_client_id != NULL &&
	      strcmp(s->default_client_id, "11111111-2222-3333-4444-555555555555") == 0 && s->n_accounts == 1);
	sao_settings_free(&s);
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK(fd >= 0 && write(fd, bad, sizeof(bad) - 1) == (ssize_t)(sizeof(bad) - 1));
	close(fd);
	sao_error_clear(&err);
	CHECK(sao_settings_load_file(path, 0, &s, &err) == SAO_ERR_CONFIG);
	CHECK(strstr(err.msg, ":2: unknown key 'tenant' in [defaults]") != NULL);
	unlink(path);
}

int main(void)
{
	test_render();
	test_write();
	test_defaults();
	return check_done("test-section");
}
