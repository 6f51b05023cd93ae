/* libFuzzer target: broker answers to turnout's SASL exchange. The first
 * byte picks the mechanism and whether the handshake already succeeded; the
 * rest is a response frame (without its size) fed to sasl_session_response,
 * which decodes SaslHandshake/SaslAuthenticate responses with the wire codec
 * and hands the server's token to the mechanism (the AWS_MSK_IAM JSON reply,
 * SCRAM's server-first). It must fail with a reason or succeed, never crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/sasl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A valid SaslHandshake v1 answer to correlation id 1. */
static const uint8_t handshake_ok[] = {0, 0, 0, 1, 0, 0, 0, 0, 0, 0};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	setenv("TURNOUT_FUZZ_PASSWORD", "pw", 0);
	setenv("AWS_ACCESS_KEY_ID", "AKIDFUZZ", 0);
	setenv("AWS_SECRET_ACCESS_KEY", "secretfuzz", 0);
	static char user[] = "u", env[] = "TURNOUT_FUZZ_PASSWORD", region[] = "us-east-1";
	config_sasl cfg = {.mechanism = (sasl_mech)(data[0] % 4)};
	if (cfg.mechanism == SASL_AWS_MSK_IAM) {
		cfg.region = region;
	} else {
		cfg.username = user;
		cfg.password_env = env;
	}
	apiversions_table v;
	for (int k = 0; k < APIVERSIONS_KEYS; k++)
		v.r[k] = (api_range){1, 0};
	v.r[17] = (api_range){0, 1};
	v.r[36] = (api_range){0, (int16_t)((data[0] >> 3) % 3)};
	char err[400] = "";
	sasl_session *s =
	    sasl_session_new(&cfg, "b-1.x.kafka.us-east-1.amazonaws.com", &v, err, sizeof(err));
	if (!s)
		abort(); /* the inputs above are all valid */
	struct evbuffer *out = evbuffer_new();
	if (sasl_session_request(s, 1, out, err, sizeof(err)))
		abort();
	int rc = SASL_AGAIN;
	if (data[0] & 4) { /* past the handshake: fuzz SaslAuthenticate answers */
		rc = sasl_session_response(s, handshake_ok, sizeof(handshake_ok), err, sizeof(err));
		if (rc != SASL_AGAIN || sasl_session_request(s, 1, out, err, sizeof(err)))
			abort();
	}
	err[0] = '\0';
	rc = sasl_session_response(s, data + 1, size - 1, err, sizeof(err));
	if (rc == SASL_FAILED && !err[0])
		abort(); /* a failure must say why */
	if (rc == SASL_AGAIN && sasl_session_request(s, 1, out, err, sizeof(err)) && !err[0])
		abort();
	evbuffer_free(out);
	sasl_session_free(s);
	return 0;
}
