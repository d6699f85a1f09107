/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sasl-oauth/authcode.h"

/* Which browsers a login tries (issue 12): --browser as one command line,
 * else $BROWSER as a ':'-separated list, else xdg-open with a display. */
struct row {
	const char *name;
	const char *option;  /* --browser; NULL: not given */
	const char *env;     /* $BROWSER; NULL: unset */
	int display;         /* DISPLAY or WAYLAND_DISPLAY set */
	const char *want[4]; /* NULL-ended */
};

static const struct row rows[] = {
	{ "option wins", "firefox --new-window", "lynx:w3m", 1, { "firefox --new-window", NULL } },
	{ "option is not a list", "/opt/b:in/x %s", NULL, 0, { "/opt/b:in/x %s", NULL } },
	{ "empty option: none", "", "lynx", 1, { NULL } },
	{ "BROWSER list", NULL, "no-such --x:firefox %s:xdg-open", 0, { "no-such --x", "firefox %s", "xdg-open", NULL } },
	{ "BROWSER empty entries skipped", NULL, ":: \t:lynx:", 1, { "lynx", NULL } },
	{ "BROWSER one command line", NULL, "firefox --new-window", 0, { "firefox --new-window", NULL } },
	{ "BROWSER set wins over a display", NULL, "lynx", 1, { "lynx", NULL } },
	{ "no BROWSER, a display: xdg-open", NULL, NULL, 1, { "xdg-open", NULL } },
	{ "empty BROWSER, a display: xdg-open", NULL, "", 1, { "xdg-open", NULL } },
	{ "no BROWSER, no display: none", NULL, NULL, 0, { NULL } },
	{ "only blanks in BROWSER, no display: none", NULL, " : ", 0, { NULL } },
};

int main(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		char **list = NULL;
		sao_error_t err;
		size_t n = 0;

		sao_error_clear(&err);
		CHECK_MSG(sao_authcode_browsers(r->option, r->env, r->display, &list, &err) == SAO_OK, "%s: %s", r->name,
		          err.msg);
		if (list == NULL)
			continue;
		for (; list[n] != NULL && r->want[n] != NULL; n++)
			CHECK_MSG(strcmp(list[n], r->want[n]) == 0, "%s: [%zu] '%s', want '%s'", r->name, n, list[n],
			          r->want[n]);
		CHECK_MSG(list[n] == NULL && r->want[n] == NULL, "%s: %zu entries match, then a difference", r->name, n);
		free(list);
	}
	return check_done("test-authcode");
}
