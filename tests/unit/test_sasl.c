/*
 * The Kafka SASL exchange (sasl.c) against hand-assembled frames: the exact
 * bytes turnout sends (SaslHandshake v1, SaslAuthenticate v0 and v2) and
 * broker answers, successful and failing, as KIP-152 lays them out.
 */
#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/sasl.h"
#include "tests/unit/check.h"

static apiversions_table versions(int16_t auth_max)
{
	apiversions_table v;
	for (int k = 0; k < APIVERSIONS_KEYS; k++)
		v.r[k] = (api_range){1, 0};
	v.r[17] = (api_range){0, 1};
	v.r[36] = (api_range){0, auth_max};
	return v;
}

static config_sasl plain_cfg(void)
{
	static char user[] = "alice", env[] = "TURNOUT_TEST_PASSWORD";
	config_sasl c = {.mechanism = SASL_PLAIN, .username = user, .password_env = env};
	return c;
}

/* The request frame the session writes, as bytes. */
static size_t request(sasl_session *s, int32_t corr, uint8_t *buf, size_t cap)
{
	struct evbuffer *out = evbuffer_new();
	char err[200];
	CHECK(sasl_session_request(s, corr, out, err, sizeof(err)) == 0);
	size_t n = evbuffer_get_length(out);
	CHECK(n <= cap);
	evbuffer_remove(out, buf, n < cap ? n : cap);
	evbuffer_free(out);
	return n;
}

static const uint8_t handshake_req_plain[] = {
    0, 0,  0,   0x18,                          /* size 24 */
    0, 17, 0,   1,    0,   0,   0,   7,        /* SaslHandshake v1, corr 7 */
    0, 7,  't', 'u',  'r', 'n', 'o', 'u', 't', /* client id */
    0, 5,  'P', 'L',  'A', 'I', 'N',           /* mechanism */
};
/* header v0 (corr 7), error 0, mechanisms [PLAIN] */
static const uint8_t handshake_ok[] = {0, 0, 0, 7, 0, 0, 0, 0, 0, 1, 0, 5, 'P', 'L', 'A', 'I', 'N'};

static void test_plain_v2(void)
{
	setenv("TURNOUT_TEST_PASSWORD", "s3cret", 1);
	config_sasl cfg = plain_cfg();
	apiversions_table v = versions(2);
	char err[300] = "";
	sasl_session *s = sasl_session_new(&cfg, "broker", &v, err, sizeof(err));
	CHECKF(s != NULL, "%s", err);
	if (!s)
		return;
	uint8_t buf[128];
	size_t n = request(s, 7, buf, sizeof(buf));
	CHECK(n == sizeof(handshake_req_plain) && memcmp(buf, handshake_req_plain, n) == 0);
	CHECK(sasl_session_response(s, handshake_ok, sizeof(handshake_ok), err, sizeof(err)) ==
	      SASL_AGAIN);
	/* SaslAuthenticate v2: flexible header v2, compact bytes "\0alice\0s3cret" */
	static const uint8_t auth_req[] = {
	    0,   0,   0,   0x21, 0,   36,  0,   2, 0,   0,   0,   8,   0,   7,   't',
	    'u', 'r', 'n', 'o',  'u', 't', 0, /* header tags */
	    14,  0,   'a', 'l',  'i', 'c', 'e', 0, 's', '3', 'c', 'r', 'e', 't', 0, /* body tags */
	};
	n = request(s, 8, buf, sizeof(buf));
	CHECKF(n == sizeof(auth_req) && memcmp(buf, auth_req, n) == 0, "auth request, %zu bytes",
	       n);
	/* header v1 (corr 8, tags), error 0, message null, auth bytes empty,
	 * session lifetime 3000 ms, tags */
	static const uint8_t auth_ok[] = {0, 0, 0, 8, 0, 0, 0,    0,    1,
	                                  0, 0, 0, 0, 0, 0, 0x0b, 0xb8, 0};
	CHECK(sasl_session_response(s, auth_ok, sizeof(auth_ok), err, sizeof(err)) == SASL_DONE);
	CHECK(sasl_session_lifetime_ms(s) == 3000);
	CHECK(strcmp(sasl_session_mechanism(s), "PLAIN") == 0);
	CHECK(strstr(sasl_session_detail(s), "alice") && !strstr(sasl_session_detail(s), "s3cret"));
	/* nothing more to send or take */
	CHECK(sasl_session_response(s, auth_ok, sizeof(auth_ok), err, sizeof(err)) == SASL_FAILED);
	sasl_session_free(s);
}

/* A broker offering SaslAuthenticate v0 only: classic framing, no lifetime. */
static void test_plain_v0_and_failure(void)
{
	setenv("TURNOUT_TEST_PASSWORD", "wrong-pw", 1);
	config_sasl cfg = plain_cfg();
	apiversions_table v = versions(0);
	char err[300] = "";
	sasl_session *s = sasl_session_new(&cfg, "broker", &v, err, sizeof(err));
	if (!s) {
		CHECKF(0, "%s", err);
		return;
	}
	uint8_t buf[128];
	request(s, 7, buf, sizeof(buf));
	CHECK(sasl_session_response(s, handshake_ok, sizeof(handshake_ok), err, sizeof(err)) ==
	      SASL_AGAIN);
	size_t n = request(s, 8, buf, sizeof(buf));
	/* v0 header v1, body int32-length bytes */
	static const uint8_t auth_req_v0[] = {0,   0, 0,   0x24, 0,   36,  0,   0,   0,   0,
	                                      0,   8, 0,   7,    't', 'u', 'r', 'n', 'o', 'u',
	                                      't', 0, 0,   0,    15,  0,   'a', 'l', 'i', 'c',
	                                      'e', 0, 'w', 'r',  'o', 'n', 'g', '-', 'p', 'w'};
	CHECKF(n == sizeof(auth_req_v0) && memcmp(buf, auth_req_v0, n) == 0, "v0 request %zu", n);
	/* error 58 with a message, empty auth bytes */
	static const uint8_t fail[] = {0,   0,   0,   8,   0,   58,  0,   14,  'I',
	                               'n', 'v', 'a', 'l', 'i', 'd', ' ', 'u', 's',
	                               'e', 'r', '"', '!', 0,   0,   0,   0};
	CHECK(sasl_session_response(s, fail, sizeof(fail), err, sizeof(err)) == SASL_FAILED);
	CHECKF(strstr(err, "SaslAuthenticate PLAIN: error 58 (SASL_AUTHENTICATION_FAILED): "
	                   "Invalid user?!"),
	       "%s", err);
	CHECK(!strstr(err, "wrong-pw"));
	sasl_session_free(s);
}

static void test_handshake_refused(void)
{
	setenv("TURNOUT_TEST_PASSWORD", "x", 1);
	config_sasl cfg = plain_cfg();
	apiversions_table v = versions(2);
	char err[300] = "";
	sasl_session *s = sasl_session_new(&cfg, "broker", &v, err, sizeof(err));
	if (!s)
		return;
	uint8_t buf[128];
	request(s, 7, buf, sizeof(buf));
	/* error 33, enabled [SCRAM-SHA-512, AWS_MSK_IAM] */
	static const uint8_t refused[] = {0,   0,   0,   7,   0,   33,  0,   0,   0,   2,
	                                  0,   13,  'S', 'C', 'R', 'A', 'M', '-', 'S', 'H',
	                                  'A', '-', '5', '1', '2', 0,   11,  'A', 'W', 'S',
	                                  '_', 'M', 'S', 'K', '_', 'I', 'A', 'M'};
	CHECK(sasl_session_response(s, refused, sizeof(refused), err, sizeof(err)) == SASL_FAILED);
	CHECKF(strstr(err, "error 33 (UNSUPPORTED_SASL_MECHANISM), broker enables "
	                   "[SCRAM-SHA-512,AWS_MSK_IAM]"),
	       "%s", err);
	sasl_session_free(s);
}

static void test_bad_responses(void)
{
	setenv("TURNOUT_TEST_PASSWORD", "x", 1);
	config_sasl cfg = plain_cfg();
	apiversions_table v = versions(2);
	char err[300] = "";
	/* wrong correlation id */
	sasl_session *s = sasl_session_new(&cfg, "broker", &v, err, sizeof(err));
	uint8_t buf[128];
	request(s, 9, buf, sizeof(buf));
	CHECK(sasl_session_response(s, handshake_ok, sizeof(handshake_ok), err, sizeof(err)) ==
	      SASL_FAILED);
	CHECKF(strstr(err, "correlation id 7, expected 9"), "%s", err);
	sasl_session_free(s);
	/* truncated body */
	s = sasl_session_new(&cfg, "broker", &v, err, sizeof(err));
	request(s, 7, buf, sizeof(buf));
	CHECK(sasl_session_response(s, handshake_ok, 9, err, sizeof(err)) == SASL_FAILED);
	CHECKF(strstr(err, "SaslHandshake response"), "%s", err);
	sasl_session_free(s);
	/* a broker without SaslAuthenticate (a plaintext listener) */
	apiversions_table none = versions(2);
	none.r[36] = (api_range){1, 0};
	CHECK(sasl_session_new(&cfg, "broker", &none, err, sizeof(err)) == NULL);
	CHECKF(strstr(err, "KIP-152"), "%s", err);
	/* an unset password variable */
	unsetenv("TURNOUT_TEST_PASSWORD");
	CHECK(sasl_session_new(&cfg, "broker", &v, err, sizeof(err)) == NULL);
	CHECKF(strstr(err, "TURNOUT_TEST_PASSWORD (password_env) is not set"), "%s", err);
}

TEST_TABLE(sasl_tests) = {
    {"sasl: PLAIN over SaslAuthenticate v2 with a session lifetime", test_plain_v2},
    {"sasl: PLAIN over v0, failure message without the password", test_plain_v0_and_failure},
    {"sasl: UNSUPPORTED_SASL_MECHANISM lists what the broker enables", test_handshake_refused},
    {"sasl: bad correlation id, truncation, no SASL listener, no password", test_bad_responses},
    {NULL, NULL},
};
