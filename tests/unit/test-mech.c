/* SPDX-License-Identifier: MIT */
/* Byte-exact vectors for the two encoders (no SASL involved). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "sasl-oauth/mech.h"

/* RFC 4648 base64, only to compare with published examples. */
static size_t b64(const unsigned char *in, size_t n, char *out)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
		out[o++] = tbl[v >> 18 & 63];
		out[o++] = tbl[v >> 12 & 63];
		out[o++] = i + 1 < n ? tbl[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? tbl[v & 63] : '=';
	}
	out[o] = '\0';
	return o;
}

struct vector {
	const char *name;
	sao_mech_encode_fn encode;
	const char *user, *host, *port, *token;
	sao_err_t want_rc;
	const char *want; /* exact bytes, NULL when failing */
	size_t want_len;
};

#define V(s) s, sizeof(s) - 1

static const struct vector vectors[] = {
	/* Google's and Microsoft's published XOAUTH2 example. */
	{ "xoauth2 published", sao_mech_xoauth2_encode, "someuser@example.com", "imap.gmail.com", "993",
	  "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg", SAO_OK,
	  V("user=someuser@example.com\x01" "auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01") },
	/* XOAUTH2 carries no host or port. */
	{ "xoauth2 shared mailbox", sao_mech_xoauth2_encode, "shared-desk@contoso.com", NULL, NULL, "eyJ0.eyJ1.sig_-~+/==",
	  SAO_OK, V("user=shared-desk@contoso.com\x01" "auth=Bearer eyJ0.eyJ1.sig_-~+/==\x01\x01") },
	/* RFC 7628 §4.1 example. */
	{ "oauthbearer rfc7628", sao_mech_oauthbearer_encode, "user@example.com", "server.example.com", "143",
	  "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==", SAO_OK,
	  V("n,a=user@example.com,\x01host=server.example.com\x01port=143\x01"
	    "auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01") },
	{ "oauthbearer no port", sao_mech_oauthbearer_encode, "user@example.com", "localhost", NULL, "abc", SAO_OK,
	  V("n,a=user@example.com,\x01host=localhost\x01" "auth=Bearer abc\x01\x01") },
	{ "oauthbearer no host", sao_mech_oauthbearer_encode, "u", NULL, NULL, "abc", SAO_OK,
	  V("n,a=u,\x01" "auth=Bearer abc\x01\x01") },
	/* RFC 5801 saslname escaping of ',' and '='. */
	{ "oauthbearer saslname", sao_mech_oauthbearer_encode, "a,b=c", "h", "25", "t", SAO_OK,
	  V("n,a=a=2Cb=3Dc,\x01host=h\x01port=25\x01" "auth=Bearer t\x01\x01") },
	{ "empty token", sao_mech_xoauth2_encode, "u", NULL, NULL, "", SAO_ERR_PROTO, NULL, 0 },
	{ "token with space", sao_mech_xoauth2_encode, "u", NULL, NULL, "ab cd", SAO_ERR_PROTO, NULL, 0 },
	{ "token with ^A", sao_mech_oauthbearer_encode, "u", NULL, NULL, "ab\x01", SAO_ERR_PROTO, NULL, 0 },
	{ "token only padding", sao_mech_xoauth2_encode, "u", NULL, NULL, "==", SAO_ERR_PROTO, NULL, 0 },
	{ "padding inside token", sao_mech_xoauth2_encode, "u", NULL, NULL, "ab=cd", SAO_ERR_PROTO, NULL, 0 },
	{ "user with ^A", sao_mech_xoauth2_encode, "u\x01x", NULL, NULL, "t", SAO_ERR_PROTO, NULL, 0 },
	{ "host with ^A", sao_mech_oauthbearer_encode, "u", "h\x01", NULL, "t", SAO_ERR_PROTO, NULL, 0 },
	{ "port not decimal", sao_mech_oauthbearer_encode, "u", "h", "14x", "t", SAO_ERR_PROTO, NULL, 0 },
	{ "no user", sao_mech_xoauth2_encode, "", NULL, NULL, "t", SAO_ERR_NOCRED, NULL, 0 },
	{ "null user", sao_mech_oauthbearer_encode, NULL, NULL, NULL, "t", SAO_ERR_NOCRED, NULL, 0 },
};

static void test_vectors(void)
{
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vector *v = &vectors[i];
		sao_mech_input_t in = { .user = v->user, .host = v->host, .port = v->port,
			                .token = (const unsigned char *)v->token, .token_len = strlen(v->token) };
		sao_secret_t out;
		sao_error_t err;
		sao_err_t rc;

		sao_error_clear(&err);
		sao_secret_init(&out, 100000);
		rc = v->encode(&in, &out, &err);
		CHECK_MSG(rc == v->want_rc, "%s: rc %d, want %d (%s)", v->name, rc, v->want_rc, err.msg);
		if (v->want != NULL)
			CHECK_BYTES(out.data, out.len, v->want, v->want_len);
		else
			CHECK_MSG(out.len == 0 && err.msg[0] != '\0', "%s: failure leaves no output and says why", v->name);
		sao_secret_clear(&out);
	}
}

static void test_published_base64(void)
{
	const char *tok = "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg";
	sao_mech_input_t in = { .user = "someuser@example.com", .token = (const unsigned char *)tok,
		                .token_len = strlen(tok) };
	sao_secret_t out;
	char enc[512];

	sao_secret_init(&out, 1000);
	CHECK(sao_mech_xoauth2_encode(&in, &out, NULL) == SAO_OK);
	b64(out.data, out.len, enc);
	CHECK(strcmp(enc, "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1s"
	                  "emRHRXVZMjl0Q2cBAQ==") == 0);
	sao_secret_clear(&out);
}

/* Microsoft tokens exceed 4 KB; 40 KB must pass through untouched. */
static void test_large_token(void)
{
	size_t n = 40000;
	unsigned char *tok = malloc(n);
	sao_mech_input_t in = { .user = "alice@contoso.com", .host = "outlook.office365.com", .port = "993" };
	sao_secret_t out;
	const char *prefix = "n,a=alice@contoso.com,\x01host=outlook.office365.com\x01port=993\x01" "auth=Bearer ";

	for (size_t i = 0; i < n; i++)
		tok[i] = (unsigned char)"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._"[i % 65];
	in.token = tok;
	in.token_len = n;
	sao_secret_init(&out, SAO_TOKEN_MAX + 4096);
	CHECK(sao_mech_oauthbearer_encode(&in, &out, NULL) == SAO_OK);
	CHECK(out.len == strlen(prefix) + n + 2);
	CHECK(memcmp(out.data, prefix, strlen(prefix)) == 0);
	CHECK(memcmp(out.data + strlen(prefix), tok, n) == 0);
	CHECK(memcmp(out.data + out.len - 2, "\x01\x01", 2) == 0);
	sao_secret_clear(&out);

	/* A ceiling below the message fails cleanly. */
	sao_secret_init(&out, 1000);
	CHECK(sao_mech_xoauth2_encode(&in, &out, NULL) == SAO_ERR_TOOBIG);
	CHECK(out.len == 0 && out.data == NULL);
	free(tok);
}

int main(void)
{
	test_vectors();
	test_published_base64();
	test_large_token();
	return check_done("test-mech");
}
