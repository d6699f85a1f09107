/* SPDX-License-Identifier: MIT */
/* fuzz-settings: a configuration file (DESIGN.md §4), read by every plugin
 * host and by the CLI. The parser reads files only, so each input is
 * written to one (mode 0600, in a private directory) and loaded; what it
 * holds is then looked up as the plugin would. The file is its owner's own
 * (group- or world-writable ones are refused) and its "FILE:LINE: message"
 * errors quote it as written, a tab too: only memory safety and the
 * lookups are checked here, not the messages. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "sasl-oauth/settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sao_settings_t *s = NULL;
	sao_error_t err;
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/config", fuzz_dir());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		fuzz_fail("open", path);
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		fuzz_fail("write", path);
	close(fd);
	sao_error_clear(&err);
	if (sao_settings_load_file(path, (size > 0 && data[0] == '#'), &s, &err) != SAO_OK) {
		if (s != NULL)
			fuzz_fail("settings", "a failed load left settings behind");
		return 0;
	}
	for (size_t i = 0; i < s->n_accounts; i++) {
		const sao_account_t *a = &s->accounts[i];
		char *cache = NULL;

		if (sao_settings_get(s, a->name) != a)
			fuzz_fail("settings", "an account not found by its name");
		for (size_t u = 0; u < a->n_users; u++)
			(void)sao_settings_find(s, a->users[u], a->n_hosts > 0 ? a->hosts[0] : NULL);
		sao_error_clear(&err);
		if (sao_settings_cache_path(a, &cache, &err) == SAO_OK && cache == NULL)
			fuzz_fail("settings", "no cache path");
		free(cache);
	}
	(void)sao_settings_find(s, "alice@contoso.com", "outlook.office365.com");
	sao_settings_free(&s);
	return 0;
}
