/*
 * The cluster's `tls` and `sasl` settings for turnout's own librdkafka
 * clients (MM2 readers, translation client), so the engine reaches the same
 * brokers the proxy does with the same credentials.
 *
 * AWS_MSK_IAM has no librdkafka mechanism: MSK accepts the same signed
 * request as an OAUTHBEARER token on its IAM listener (reference §5.4), so
 * the readers use OAUTHBEARER with a refresh callback that signs a fresh
 * token from the same credential chain the proxy uses.
 */
#include "routing/mm2_security.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "proxy/aws_creds.h"
#include "proxy/msk_iam.h"
#include "proxy/secconfig.h"

#define TOKEN_USER_AGENT "turnout-mm2-reader/1"

/* librdkafka calls this (from the client's poll) before the token runs out. */
static void oauth_refresh(rd_kafka_t *rk, const char *config, void *opaque)
{
	(void)config;
	mm2_rk_status *st = opaque;
	const config_sasl *s = st->sasl;
	aws_creds c;
	char err[256], why[512];
	char *token = NULL;
	time_t now = time(NULL);
	if (aws_creds_load(s->profile, &c, err, sizeof(err))) {
		snprintf(why, sizeof(why), "AWS credentials: %s", err);
		rd_kafka_oauthbearer_set_token_failure(rk, why);
		return;
	}
	int rc =
	    msk_iam_oauth_token(&c, s->region, now, TOKEN_USER_AGENT, &token, err, sizeof(err));
	aws_creds_clear(&c);
	if (rc) {
		rd_kafka_oauthbearer_set_token_failure(rk, err);
		return;
	}
	if (rd_kafka_oauthbearer_set_token(rk, token, ((int64_t)now + MSK_IAM_EXPIRES) * 1000,
	                                   "kafka-cluster", NULL, 0, why,
	                                   sizeof(why)) != RD_KAFKA_RESP_ERR_NO_ERROR)
		rd_kafka_oauthbearer_set_token_failure(rk, why);
	OPENSSL_cleanse(token, strlen(token));
	free(token);
}

static int set_tls(rd_kafka_conf_t *conf, const config_tls *t, char *err, size_t errlen)
{
	if (t->server_name) {
		/* librdkafka verifies against the broker's advertised name and
		 * has no override: refuse rather than verify less. */
		snprintf(err, errlen,
		         "tls.server_name is not supported for the MM2 readers (librdkafka "
		         "verifies the broker's own host name)");
		return -1;
	}
	return (t->ca_file && mm2_rk_set(conf, "ssl.ca.location", t->ca_file, err, errlen)) ||
	               (t->cert_file &&
	                mm2_rk_set(conf, "ssl.certificate.location", t->cert_file, err, errlen)) ||
	               (t->key_file &&
	                mm2_rk_set(conf, "ssl.key.location", t->key_file, err, errlen)) ||
	               mm2_rk_set(conf, "ssl.endpoint.identification.algorithm",
	                          t->verify_hostname ? "https" : "none", err, errlen)
	           ? -1
	           : 0;
}

static int set_sasl(rd_kafka_conf_t *conf, const config_sasl *s, mm2_rk_status *st, char *err,
                    size_t errlen)
{
	if (s->mechanism == SASL_AWS_MSK_IAM) {
		if (!s->region) {
			snprintf(err, errlen, "sasl: AWS_MSK_IAM needs a region");
			return -1;
		}
		st->sasl = s;
		rd_kafka_conf_set_oauthbearer_token_refresh_cb(conf, oauth_refresh);
		return mm2_rk_set(conf, "sasl.mechanisms", "OAUTHBEARER", err, errlen);
	}
	char perr[256];
	char *password = secconfig_password(s, perr, sizeof(perr));
	if (!password) {
		snprintf(err, errlen, "sasl password: %s", perr);
		return -1;
	}
	int rc = mm2_rk_set(conf, "sasl.mechanisms", sasl_mech_names[s->mechanism], err, errlen) ||
	                 mm2_rk_set(conf, "sasl.username", s->username, err, errlen) ||
	                 mm2_rk_set(conf, "sasl.password", password, err, errlen)
	             ? -1
	             : 0;
	OPENSSL_cleanse(password, strlen(password));
	free(password);
	return rc;
}

int mm2_rk_security(rd_kafka_conf_t *conf, const config_cluster *cl, mm2_rk_status *st, char *err,
                    size_t errlen)
{
	const char *proto =
	    cl->tls ? (cl->sasl ? "SASL_SSL" : "SSL") : (cl->sasl ? "SASL_PLAINTEXT" : "PLAINTEXT");
	if (mm2_rk_set(conf, "security.protocol", proto, err, errlen))
		return -1;
	if (cl->tls && set_tls(conf, cl->tls, err, errlen))
		return -1;
	if (cl->sasl && set_sasl(conf, cl->sasl, st, err, errlen))
		return -1;
	return 0;
}
