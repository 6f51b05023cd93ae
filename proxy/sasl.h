/*
 * The Kafka SASL exchange (KIP-152) on one upstream connection, as a state
 * machine without I/O: the caller sends the frames it produces and feeds
 * back the response frames, in order. The same session object serves a
 * first authentication and a KIP-368 re-authentication.
 */
#ifndef TURNOUT_PROXY_SASL_H
#define TURNOUT_PROXY_SASL_H

#include <event2/buffer.h>
#include <stddef.h>
#include <stdint.h>

#include "proxy/apiversions.h"
#include "proxy/secconfig.h"

typedef struct sasl_session sasl_session;

enum {
	SASL_AGAIN = 1,  /* sasl_session_response: send the next request */
	SASL_DONE = 0,   /* authenticated */
	SASL_FAILED = -1 /* err says why */
};

/* A session for cfg against a broker named host whose ApiVersions ranges
 * are v. Reads the password or the AWS credentials now (so rotation takes
 * effect at the next authentication). NULL with a reason in err. */
sasl_session *sasl_session_new(const config_sasl *cfg, const char *host, const apiversions_table *v,
                               char *err, size_t errlen);
/* Appends the next request frame (size prefix included), correlation id
 * corr, to out. */
int sasl_session_request(sasl_session *s, int32_t corr, struct evbuffer *out, char *err,
                         size_t errlen);
/* Takes one whole response frame without its size prefix; SASL_AGAIN,
 * SASL_DONE or SASL_FAILED. */
int sasl_session_response(sasl_session *s, const uint8_t *p, size_t len, char *err, size_t errlen);
/* KIP-368 session lifetime from the last SaslAuthenticate (0 = none). */
int64_t sasl_session_lifetime_ms(const sasl_session *s);
const char *sasl_session_mechanism(const sasl_session *s);
/* Non-secret facts for the success log line ("credentials=environment"). */
const char *sasl_session_detail(const sasl_session *s);
void sasl_session_free(sasl_session *s);

/* Start-up check that the secret cfg names can be read (the password file
 * or variable, or AWS credentials); 0 or -1 with a reason in err. */
int sasl_check_credentials(const config_sasl *cfg, char *err, size_t errlen);

#endif
