/* SPDX-License-Identifier: MIT */
/*
 * load: the work every libsasl2 client program pays before it logs in —
 * sasl_client_init (loads every plugin on SASL_PATH), sasl_client_new and
 * sasl_listmech. The benchmark runs it with and without the plugin on the
 * path and compares instruction counts and wall time per process start.
 *
 *   load [-v]     -v prints the mechanism list (to check what loaded)
 *
 * Exit 0 on success, 1 when a SASL call fails.
 */
#include <stdio.h>
#include <string.h>

#include <sasl/sasl.h>

int main(int argc, char **argv)
{
	sasl_conn_t *conn = NULL;
	const char *list = NULL;
	unsigned len = 0;
	int count = 0;

	if (sasl_client_init(NULL) != SASL_OK)
		return 1;
	if (sasl_client_new("imap", "localhost", NULL, NULL, NULL, 0, &conn) != SASL_OK)
		return 1;
	if (sasl_listmech(conn, NULL, "", " ", "", &list, &len, &count) != SASL_OK)
		return 1;
	if (argc > 1 && strcmp(argv[1], "-v") == 0)
		printf("%s\n", list);
	sasl_dispose(&conn);
	sasl_done();
	return 0;
}
