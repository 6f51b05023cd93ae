/*
 * SCRAM against recorded exchanges.
 *
 * SCRAM-SHA-256: the example exchange of RFC 7677 section 3 (user "user",
 * password "pencil", the RFC's fixed nonces, salt and iteration count).
 *
 * SCRAM-SHA-512: no RFC publishes one, so this exchange was computed when
 * the test was written with Python's hashlib/hmac (pbkdf2_hmac("sha512",
 * ...), hmac.new(..., "sha512")), an implementation independent of
 * OpenSSL's and of scram.c: user "alice", password "alice-secret", client
 * nonce "fyko+d2lbbFgONRv9qkxdawL", server nonce suffix
 * "3rfcNHYJY1ZVvWVs7j", salt "turnout-salt-512", 4096 iterations. The same
 * script reproduced the RFC 7677 values above, which checks the script.
 */
#include <stdlib.h>
#include <string.h>

#include "proxy/scram.h"
#include "tests/unit/check.h"

typedef struct exchange {
	int sha512;
	const char *user, *password, *cnonce;
	const char *client_first, *server_first, *client_final, *server_final;
} exchange;

static const exchange rfc7677 = {
    0,
    "user",
    "pencil",
    "rOprNGfwEbeRWgbNEkqO",
    "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+"
    "Ute9ytag9zjfMHgsq"
    "mmiz7AndVQ=",
    "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
};

static const exchange sha512_python = {
    1,
    "alice",
    "alice-secret",
    "fyko+d2lbbFgONRv9qkxdawL",
    "n,,n=alice,r=fyko+d2lbbFgONRv9qkxdawL",
    "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=dHVybm91dC1zYWx0LTUxMg==,i=4096",
    "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p="
    "npk636k7TZNLqFx1NEgj4jyABKaumWZtxOFTVsnGW"
    "qc/nGbTrHmSqDjVPN0w2rKV/tt+fg1Pl9LFZ+pJDjuhcw==",
    "v=JrZeATKQ4zcd44oytPLv8tQ/ENs4UsKkcnvaUDgho7pSQMNn/YRY1hs6HQ8Bz7THXa1LKtPpUxoG78cgs0jZ2Q==",
};

static void run_exchange(const exchange *x)
{
	scram s;
	char err[300] = "", *out = NULL;
	size_t n = 0;
	CHECK(scram_start(&s, x->sha512, x->user, x->password, x->cnonce, &out, &n, err,
	                  sizeof(err)) == 0);
	CHECKF(out && n == strlen(x->client_first) && memcmp(out, x->client_first, n) == 0,
	       "client-first %.*s", (int)n, out ? out : "");
	free(out);
	out = NULL;
	CHECKF(scram_final(&s, x->server_first, strlen(x->server_first), &out, &n, err,
	                   sizeof(err)) == 0,
	       "%s", err);
	CHECKF(out && n == strlen(x->client_final) && memcmp(out, x->client_final, n) == 0,
	       "client-final %.*s", (int)n, out ? out : "");
	free(out);
	CHECKF(scram_verify(&s, x->server_final, strlen(x->server_final), err, sizeof(err)) == 0,
	       "%s", err);
	scram_clear(&s);
}

static void test_rfc7677(void)
{
	run_exchange(&rfc7677);
}

static void test_sha512(void)
{
	run_exchange(&sha512_python);
}

/* The right exchange up to server-final, then a different ending. */
static void ending(const exchange *x, const char *final, const char *want)
{
	scram s;
	char err[300] = "", *out = NULL;
	size_t n;
	scram_start(&s, x->sha512, x->user, x->password, x->cnonce, &out, &n, err, sizeof(err));
	free(out);
	CHECK(scram_final(&s, x->server_first, strlen(x->server_first), &out, &n, err,
	                  sizeof(err)) == 0);
	free(out);
	err[0] = '\0';
	CHECK(scram_verify(&s, final, strlen(final), err, sizeof(err)) == -1);
	CHECKF(strstr(err, want), "got \"%s\", want \"%s\"", err, want);
	scram_clear(&s);
}

static void test_server_final_errors(void)
{
	/* a valid base64 signature that is not the server's */
	ending(&rfc7677, "v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", "does not match");
	/* the SHA-512 signature in a SHA-256 exchange: wrong length */
	ending(&rfc7677, sha512_python.server_final, "does not match");
	ending(&rfc7677, "e=invalid-proof", "server-final reports error: invalid-proof");
	ending(&rfc7677, "v=***", "not valid base64");
	ending(&rfc7677, "x=1", "expected v= or e=");
	ending(&rfc7677, "", "expected v= or e=");
}

static void test_server_first_errors(void)
{
	static const struct {
		const char *msg, *want;
	} cases[] = {
	    {"r=someoneelse123,s=QSXCR+Q6sek8bf92,i=4096", "does not extend the client nonce"},
	    {"r=abc,s=QSXCR+Q6sek8bf92,i=4096", "does not extend the client nonce"},
	    {"r=abcdef,s=QSXCR+Q6sek8bf92,i=4095", "iteration count 4095 outside"},
	    {"r=abcdef,s=QSXCR+Q6sek8bf92,i=16385", "iteration count 16385 outside"},
	    {"r=abcdef,s=QSXCR+Q6sek8bf92,i=99999999999", "bad iteration count"},
	    {"r=abcdef,s=QSXCR+Q6sek8bf92,i=-4096", "bad iteration count"},
	    {"r=abcdef,s=QSXCR+Q6sek8bf92,i=", "bad iteration count"},
	    {"r=abcdef,s=not base64!,i=4096", "salt is not valid base64"},
	    {"r=abcdef,s=,i=4096", "salt is not valid base64"},
	    {"r=abcdef,s=QQ=A,i=4096", "salt is not valid base64"},
	    {"r=abcdef,i=4096,s=QSXCR+Q6sek8bf92", "expected s="},
	    {"m=ext,r=abcdef,s=QSXCR+Q6sek8bf92,i=4096", "mandatory extension"},
	    {"r=abcdef", "truncated"},
	    {"", "expected r="},
	    {"r=abc\x01"
	     "def,s=QSXCR+Q6sek8bf92,i=4096",
	     "non-printable"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		scram_server_first sf;
		char err[200] = "";
		int rc = scram_parse_server_first(cases[i].msg, strlen(cases[i].msg), "abc", 3, &sf,
		                                  err, sizeof(err));
		CHECKF(rc == -1 && strstr(err, cases[i].want), "case %zu: got \"%s\", want \"%s\"",
		       i, err, cases[i].want);
	}
	/* a NUL inside the message is refused, not truncated at */
	scram_server_first sf;
	char err[200] = "";
	static const char nul[] = "r=abcdef,s=QSXCR+Q6sek8bf92,i=4096\0,x=1";
	CHECK(scram_parse_server_first(nul, sizeof(nul) - 1, "abc", 3, &sf, err, sizeof(err)) ==
	      -1);
	/* extensions after i= are allowed; the values come out right */
	static const char ok[] = "r=abcdef,s=QSXCR+Q6sek8bf92,i=8192,x=ext";
	CHECK(scram_parse_server_first(ok, sizeof(ok) - 1, "abc", 3, &sf, err, sizeof(err)) == 0);
	CHECK(sf.iterations == 8192 && sf.nonce_len == 6 && memcmp(sf.nonce, "abcdef", 6) == 0);
	CHECK(sf.salt_len == 12);
}

static void test_out_of_order(void)
{
	scram s;
	char err[200], *out = NULL;
	size_t n;
	scram_start(&s, 0, "u", "p", "abc", &out, &n, err, sizeof(err));
	free(out);
	CHECK(scram_verify(&s, "v=AAAA", 6, err, sizeof(err)) == -1);
	scram_clear(&s);
}

static void test_saslname_and_nonce(void)
{
	char *n = scram_saslname("a,b=c");
	CHECK(n && strcmp(n, "a=2Cb=3Dc") == 0);
	free(n);
	n = scram_saslname("plain");
	CHECK(n && strcmp(n, "plain") == 0);
	free(n);
	/* the escaped name goes into client-first; two random nonces differ */
	scram a, b;
	char err[200], *fa = NULL, *fb = NULL;
	size_t la, lb;
	CHECK(scram_start(&a, 1, "x=y", "p", NULL, &fa, &la, err, sizeof(err)) == 0);
	CHECK(scram_start(&b, 1, "x=y", "p", NULL, &fb, &lb, err, sizeof(err)) == 0);
	CHECK(fa && strncmp(fa, "n,,n=x=3Dy,r=", 13) == 0 && la >= 13 + 24);
	CHECK(fa && fb && strcmp(fa, fb) != 0);
	free(fa);
	free(fb);
	scram_clear(&a);
	scram_clear(&b);
}

TEST_TABLE(scram_tests) = {
    {"scram: RFC 7677 SCRAM-SHA-256 exchange", test_rfc7677},
    {"scram: SCRAM-SHA-512 exchange (computed with Python hashlib)", test_sha512},
    {"scram: server-final mismatch and e= fail", test_server_final_errors},
    {"scram: server-first validation", test_server_first_errors},
    {"scram: steps out of order fail", test_out_of_order},
    {"scram: saslname escaping, random nonces", test_saslname_and_nonce},
    {NULL, NULL},
};
