/*
 * Kafka SASL (see sasl.h). On the wire:
 *
 *   SaslHandshake v1 {mechanism}        -> {error, enabled mechanisms}
 *   SaslAuthenticate vN {token}         -> {error, message, server token,
 *     ... as many rounds as the              session_lifetime_ms (v1+)}
 *     mechanism needs
 *
 * Rounds: PLAIN one ("\0user\0password"); SCRAM two (client-first, then
 * client-final, whose answer carries the server signature we verify);
 * AWS_MSK_IAM one (signed JSON, answered by a JSON version stamp).
 * Requests and responses go through the wire/ codec. Secrets (password,
 * tokens, AWS keys) live only in this object and in the frame buffer the
 * caller sends, and are wiped when no longer needed.
 */
#include "proxy/sasl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "proxy/aws_creds.h"
#include "proxy/commands.h"
#include "proxy/frameio.h"
#include "proxy/msk_iam.h"
#include "proxy/scram.h"
#include "wire/api.h"
#include "wire/header.h"
#include "wire/msg.h"
#include "wire_msgs.h"

enum { ST_HANDSHAKE, ST_AUTH, ST_DONE, ST_FAILED };

struct sasl_session {
	sasl_mech mech;
	int state;
	int16_t auth_version; /* SaslAuthenticate version used */
	int32_t corr;         /* correlation id of the request in flight */
	int round;            /* SaslAuthenticate rounds answered */
	uint8_t *token;       /* next SaslAuthenticate payload; wiped */
	size_t token_len;
	scram scram;
	int64_t lifetime_ms;
	char detail[400];
};

static int failf(char *err, size_t errlen, const char *fmt, const char *a)
{
	snprintf(err, errlen, fmt, a);
	return SASL_FAILED;
}

static void drop_token(sasl_session *s)
{
	if (s->token) {
		OPENSSL_cleanse(s->token, s->token_len);
		free(s->token);
	}
	s->token = NULL;
	s->token_len = 0;
}

/* The PLAIN message: authzid (empty), NUL, user, NUL, password. */
static int plain_token(sasl_session *s, const char *user, const char *password)
{
	size_t u = strlen(user), p = strlen(password);
	s->token = malloc(u + p + 2);
	if (!s->token)
		return -1;
	s->token[0] = 0;
	memcpy(s->token + 1, user, u);
	s->token[1 + u] = 0;
	memcpy(s->token + 2 + u, password, p);
	s->token_len = u + p + 2;
	return 0;
}

static int iam_token(sasl_session *s, const config_sasl *cfg, const char *host, char *err,
                     size_t errlen)
{
	aws_creds c;
	char why[400];
	if (aws_creds_load(cfg->profile, &c, why, sizeof(why)))
		return failf(err, errlen, "AWS credentials: %s", why);
	char *json = NULL;
	size_t len = 0;
	int rc = msk_iam_payload(&c, cfg->region, host, time(NULL), "turnout/" TURNOUT_VERSION,
	                         &json, &len, why, sizeof(why));
	if (!rc) {
		s->token = (uint8_t *)json;
		s->token_len = len;
		snprintf(s->detail, sizeof(s->detail), "credentials=\"%s\" temporary=%s region=%s",
		         c.source, c.session_token ? "yes" : "no", cfg->region);
	}
	aws_creds_clear(&c);
	return rc ? failf(err, errlen, "AWS_MSK_IAM: %s", why) : 0;
}

sasl_session *sasl_session_new(const config_sasl *cfg, const char *host, const apiversions_table *v,
                               char *err, size_t errlen)
{
	api_range hs = v->r[WIRE_API_SASL_HANDSHAKE], au = v->r[WIRE_API_SASL_AUTHENTICATE];
	if (hs.min > 1 || hs.max < 1 || au.min > au.max || au.min > 2) {
		failf(err, errlen, "%s",
		      "the broker does not offer SaslHandshake v1 and SaslAuthenticate v0-2 "
		      "(KIP-152); is this a SASL listener?");
		return NULL;
	}
	sasl_session *s = calloc(1, sizeof(*s));
	if (!s) {
		failf(err, errlen, "%s", "out of memory");
		return NULL;
	}
	s->mech = cfg->mechanism;
	s->auth_version = au.max < 2 ? au.max : 2;
	char *password = NULL;
	int rc = 0;
	if (s->mech != SASL_AWS_MSK_IAM) {
		char why[300];
		password = secconfig_password(cfg, why, sizeof(why));
		if (!password) {
			failf(err, errlen, "%s", why);
			goto fail;
		}
		snprintf(s->detail, sizeof(s->detail), "username=\"%.100s\"", cfg->username);
	}
	switch (s->mech) {
	case SASL_PLAIN:
		rc = plain_token(s, cfg->username, password);
		if (rc)
			failf(err, errlen, "%s", "out of memory");
		break;
	case SASL_SCRAM_SHA_256:
	case SASL_SCRAM_SHA_512: {
		char *first = NULL;
		rc = scram_start(&s->scram, s->mech == SASL_SCRAM_SHA_512, cfg->username, password,
		                 NULL, &first, &s->token_len, err, errlen);
		s->token = (uint8_t *)first;
		break;
	}
	case SASL_AWS_MSK_IAM:
		rc = iam_token(s, cfg, host, err, errlen);
		break;
	}
	if (password) {
		OPENSSL_cleanse(password, strlen(password));
		free(password);
	}
	if (rc)
		goto fail;
	return s;
fail:
	sasl_session_free(s);
	return NULL;
}

static int encode_frame(struct evbuffer *out, int16_t api, int16_t v, int32_t corr,
                        const void *body)
{
	wire_wr w;
	wire_wr_init(&w, false);
	wire_req_header h = {.api_key = api,
	                     .api_version = v,
	                     .correlation_id = corr,
	                     .client_id = wire_str_c("turnout"),
	                     .version = (int8_t)wire_req_header_version(api, v)};
	int rc = frameio_encode_request(&w, &h, body);
	if (!rc)
		rc = frameio_put(out, &w);
	OPENSSL_cleanse(w.buf, w.len); /* the frame may carry a password or a proof */
	wire_wr_free(&w);
	return rc ? -1 : 0;
}

int sasl_session_request(sasl_session *s, int32_t corr, struct evbuffer *out, char *err,
                         size_t errlen)
{
	s->corr = corr;
	if (s->state == ST_HANDSHAKE) {
		wire_sasl_handshake_req req;
		wire_sasl_handshake_req_init(&req);
		req.mechanism = wire_str_c(sasl_mech_names[s->mech]);
		if (encode_frame(out, WIRE_API_SASL_HANDSHAKE, 1, corr, &req))
			return failf(err, errlen, "%s", "cannot encode SaslHandshake");
		return 0;
	}
	if (s->state != ST_AUTH || !s->token)
		return failf(err, errlen, "%s", "SASL exchange out of order");
	wire_sasl_authenticate_req req;
	wire_sasl_authenticate_req_init(&req);
	req.auth_bytes = (wire_bytes){s->token, (int32_t)s->token_len};
	int rc = encode_frame(out, WIRE_API_SASL_AUTHENTICATE, s->auth_version, corr, &req);
	drop_token(s);
	if (rc)
		return failf(err, errlen, "%s", "cannot encode SaslAuthenticate");
	return 0;
}

/* A broker's message, made safe for a quoted logfmt value. */
static void clean(const wire_str *m, char *out, size_t outlen)
{
	size_t k = 0;
	for (int32_t i = 0; m->p && i < m->len && k + 1 < outlen; i++) {
		char c = m->p[i];
		out[k++] = (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? c : '?';
	}
	out[k] = '\0';
}

static const char *error_name(int16_t e)
{
	switch (e) {
	case 33:
		return "UNSUPPORTED_SASL_MECHANISM";
	case 34:
		return "ILLEGAL_SASL_STATE";
	case 35:
		return "UNSUPPORTED_VERSION";
	case 58:
		return "SASL_AUTHENTICATION_FAILED";
	default:
		return "error";
	}
}

static int on_handshake(sasl_session *s, const wire_sasl_handshake_resp *r, char *err,
                        size_t errlen)
{
	if (r->error_code == 0) {
		s->state = ST_AUTH;
		return SASL_AGAIN;
	}
	char enabled[200] = "";
	size_t k = 0;
	for (int32_t i = 0; i < r->mechanisms.n && k + 2 < sizeof(enabled); i++) {
		char one[64];
		clean(&r->mechanisms.v[i], one, sizeof(one));
		k += (size_t)snprintf(enabled + k, sizeof(enabled) - k, "%s%s", i ? "," : "", one);
	}
	snprintf(err, errlen, "SaslHandshake %s: error %d (%s), broker enables [%s]",
	         sasl_mech_names[s->mech], r->error_code, error_name(r->error_code), enabled);
	return SASL_FAILED;
}

static int on_authenticate(sasl_session *s, const wire_sasl_authenticate_resp *r, char *err,
                           size_t errlen)
{
	if (r->error_code) {
		char msg[200];
		clean(&r->error_message, msg, sizeof(msg));
		snprintf(err, errlen, "SaslAuthenticate %s: error %d (%s): %s",
		         sasl_mech_names[s->mech], r->error_code, error_name(r->error_code), msg);
		return SASL_FAILED;
	}
	s->round++;
	s->lifetime_ms = s->auth_version >= 1 ? r->session_lifetime_ms : 0;
	/* a null token (length -1) reads as empty */
	const char *in = r->auth_bytes.len > 0 ? (const char *)r->auth_bytes.p : "";
	size_t inlen = r->auth_bytes.len > 0 ? (size_t)r->auth_bytes.len : 0;
	char why[300];
	switch (s->mech) {
	case SASL_PLAIN:
		return SASL_DONE;
	case SASL_AWS_MSK_IAM: {
		char rid[80];
		if (msk_iam_check_reply((const uint8_t *)in, inlen, rid, sizeof(rid), why,
		                        sizeof(why)))
			return failf(err, errlen, "%s", why);
		size_t k = strlen(s->detail);
		snprintf(s->detail + k, sizeof(s->detail) - k, " request_id=%s", rid);
		return SASL_DONE;
	}
	case SASL_SCRAM_SHA_256:
	case SASL_SCRAM_SHA_512:
		if (s->round == 1) {
			char *final = NULL;
			if (scram_final(&s->scram, in, inlen, &final, &s->token_len, why,
			                sizeof(why))) {
				snprintf(err, errlen, "%s: %s", sasl_mech_names[s->mech], why);
				return SASL_FAILED;
			}
			s->token = (uint8_t *) final;
			return SASL_AGAIN;
		}
		if (scram_verify(&s->scram, in, inlen, why, sizeof(why))) {
			snprintf(err, errlen, "%s: %s", sasl_mech_names[s->mech], why);
			return SASL_FAILED;
		}
		return SASL_DONE;
	}
	return failf(err, errlen, "%s", "unknown mechanism");
}

int sasl_session_response(sasl_session *s, const uint8_t *p, size_t len, char *err, size_t errlen)
{
	if (s->state != ST_HANDSHAKE && s->state != ST_AUTH)
		return failf(err, errlen, "%s", "SASL exchange out of order");
	int16_t api =
	    s->state == ST_HANDSHAKE ? WIRE_API_SASL_HANDSHAKE : WIRE_API_SASL_AUTHENTICATE;
	int16_t v = s->state == ST_HANDSHAKE ? 1 : s->auth_version;
	wire_arena a;
	wire_arena_init(&a, 1 << 20);
	wire_rd r;
	wire_rd_init(&r, p, len);
	wire_resp_header h;
	int rc = SASL_FAILED;
	char why[300] = "";
	union {
		wire_sasl_handshake_resp hs;
		wire_sasl_authenticate_resp au;
	} m;
	if (wire_resp_header_decode(&r, wire_resp_header_version(api, v), &a, &h)) {
		snprintf(err, errlen, "%s response: malformed header", wire_api_name(api));
	} else if (h.correlation_id != s->corr) {
		snprintf(err, errlen, "%s response: correlation id %d, expected %d",
		         wire_api_name(api), h.correlation_id, s->corr);
	} else if (wire_msg_decode_lenient(wire_msg_find(api, WIRE_RESPONSE), v, p + r.pos,
	                                   len - r.pos, &a, &m, &(size_t){0}, why, sizeof(why))) {
		snprintf(err, errlen, "%s response: %s", wire_api_name(api), why);
	} else {
		rc = api == WIRE_API_SASL_HANDSHAKE ? on_handshake(s, &m.hs, err, errlen)
		                                    : on_authenticate(s, &m.au, err, errlen);
	}
	wire_arena_reset(&a);
	s->state = rc == SASL_DONE ? ST_DONE : rc == SASL_FAILED ? ST_FAILED : s->state;
	if (rc != SASL_AGAIN) {
		drop_token(s);
		scram_clear(&s->scram);
	}
	return rc;
}

int64_t sasl_session_lifetime_ms(const sasl_session *s)
{
	return s->lifetime_ms;
}

const char *sasl_session_mechanism(const sasl_session *s)
{
	return sasl_mech_names[s->mech];
}

const char *sasl_session_detail(const sasl_session *s)
{
	return s->detail;
}

int sasl_check_credentials(const config_sasl *cfg, char *err, size_t errlen)
{
	if (cfg->mechanism == SASL_AWS_MSK_IAM) {
		if (aws_creds_from_container(cfg->profile))
			return 0; /* fetched on the event loop; failures are logged there */
		aws_creds c;
		char why[400];
		if (aws_creds_load(cfg->profile, &c, why, sizeof(why)))
			return failf(err, errlen, "AWS credentials: %s", why);
		aws_creds_clear(&c);
		return 0;
	}
	char *p = secconfig_password(cfg, err, errlen);
	if (!p)
		return -1;
	OPENSSL_cleanse(p, strlen(p));
	free(p);
	return 0;
}

void sasl_session_free(sasl_session *s)
{
	if (!s)
		return;
	drop_token(s);
	if (s->mech == SASL_SCRAM_SHA_256 || s->mech == SASL_SCRAM_SHA_512)
		scram_clear(&s->scram);
	free(s);
}
