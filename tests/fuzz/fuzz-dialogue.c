/* SPDX-License-Identifier: MIT */
/* fuzz-dialogue: a mail server's whole side of "sasl-oauth test"'s
 * dialogues after the greeting: the input is what the server sends (its
 * first byte picks SMTP's login and MAIL FROM, or IMAP's login and LIST),
 * the bearer authenticator answers. */
#include "config.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "sasl-oauth/imap.h"
#include "sasl-oauth/smtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char tok[] = "eyJ0.eyJ1.c2ln";
	sao_tls_opts_t o = { .timeout_ms = 200 };
	sao_mech_input_t in = { .user = "alice@example.com", .host = "mail.example.com", .port = "587",
		                .token = (const unsigned char *)tok, .token_len = sizeof(tok) - 1 };
	sao_login_result_t res;
	sao_auth_bearer_t b;
	sao_auth_t auth;
	sao_tls_t *c = NULL;
	sao_error_t err;
	char names[256];
	size_t n;
	int sv[2];

	if (size < 1 || size > 60000 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 0;
	/* Room for the whole script and the client's answers: nothing blocks. */
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &(int){ 262144 }, sizeof(int));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &(int){ 262144 }, sizeof(int));
	if (write(sv[1], data + 1, size - 1) != (ssize_t)(size - 1)) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	shutdown(sv[1], SHUT_WR);
	sao_error_clear(&err);
	if (sao_tls_wrap_fd(sv[0], "mail.example.com", &o, &c, &err) == SAO_OK &&
	    sao_auth_bearer_init(&auth, &b, "XOAUTH2", &in, &err) == SAO_OK) {
		if (data[0] & 1) {
			if (sao_imap_login(c, 0, &auth, &res, &err) == SAO_OK &&
			    sao_imap_list(c, &res, &n, names, sizeof(names), &err) == SAO_OK) {
				if (memchr(names, '\0', sizeof(names)) == NULL)
					fuzz_fail("imap list", "names not terminated");
				fuzz_check_text("imap list", names);
			}
		} else if (sao_smtp_login(c, 0, "fuzz.example", &auth, &res, &err) == SAO_OK) {
			(void)sao_smtp_mail_from(c, "alice@example.com", &res, &err);
		}
		if (memchr(res.server, '\0', sizeof(res.server)) == NULL ||
		    memchr(res.caps, '\0', sizeof(res.caps)) == NULL)
			fuzz_fail("dialogue", "server words not terminated");
		fuzz_check_text("server words", res.server);
		fuzz_check_text("capabilities", res.caps);
	}
	fuzz_check_error(&err);
	sao_tls_free(&c);
	close(sv[1]);
	return 0;
}
