/*
 * AWS_MSK_IAM (see msk_iam.h). The payload's keys are lowercase and its
 * values are not URI-encoded; the signature covers the same parameters in
 * the canonical query string (sigv4.c):
 *
 *   {"version":"2020_10_22","host":<broker>,"user-agent":...,
 *    "action":"kafka-cluster:Connect","x-amz-algorithm":"AWS4-HMAC-SHA256",
 *    "x-amz-credential":<akid>/<date>/<region>/kafka-cluster/aws4_request,
 *    "x-amz-date":<yyyyMMddTHHmmssZ>,["x-amz-security-token":<token>,]
 *    "x-amz-signedheaders":"host","x-amz-expires":"900","x-amz-signature":<hex>}
 */
#include "proxy/msk_iam.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "proxy/sigv4.h"

/* Presigns kafka-cluster:Connect for host at time now; amz_date (20
 * bytes) receives the X-Amz-Date used. Both mechanisms sign this way. */
static int sign_connect(const aws_creds *c, const char *region, const char *host, time_t now,
                        char *amz_date, sigv4_result *sig, char *err, size_t errlen)
{
	struct tm tm;
	if (!gmtime_r(&now, &tm) || strftime(amz_date, 20, "%Y%m%dT%H%M%SZ", &tm) != 16) {
		snprintf(err, errlen, "cannot format the signing time");
		return -1;
	}
	sigv4_request r = {
	    .access_key_id = c->access_key_id,
	    .secret_access_key = c->secret_access_key,
	    .session_token = c->session_token,
	    .region = region,
	    .service = "kafka-cluster",
	    .host = host,
	    .action = "kafka-cluster:Connect",
	    .amz_date = amz_date,
	    .expires = MSK_IAM_EXPIRES,
	};
	if (sigv4_presign(&r, sig)) {
		snprintf(err, errlen,
		         "cannot sign (credentials, region or host too long, or out of "
		         "memory)");
		return -1;
	}
	return 0;
}

int msk_iam_payload(const aws_creds *c, const char *region, const char *host, time_t now,
                    const char *user_agent, char **json, size_t *len, char *err, size_t errlen)
{
	*json = NULL;
	char amz_date[20], expires[8];
	sigv4_result sig;
	if (sign_connect(c, region, host, now, amz_date, &sig, err, errlen))
		return -1;
	snprintf(expires, sizeof(expires), "%d", MSK_IAM_EXPIRES);
	cJSON *o = cJSON_CreateObject();
	int bad = !o || !cJSON_AddStringToObject(o, "version", MSK_IAM_VERSION) ||
	          !cJSON_AddStringToObject(o, "host", host) ||
	          !cJSON_AddStringToObject(o, "user-agent", user_agent) ||
	          !cJSON_AddStringToObject(o, "action", "kafka-cluster:Connect") ||
	          !cJSON_AddStringToObject(o, "x-amz-algorithm", "AWS4-HMAC-SHA256") ||
	          !cJSON_AddStringToObject(o, "x-amz-credential", sig.credential) ||
	          !cJSON_AddStringToObject(o, "x-amz-date", amz_date) ||
	          (c->session_token &&
	           !cJSON_AddStringToObject(o, "x-amz-security-token", c->session_token)) ||
	          !cJSON_AddStringToObject(o, "x-amz-signedheaders", "host") ||
	          !cJSON_AddStringToObject(o, "x-amz-expires", expires) ||
	          !cJSON_AddStringToObject(o, "x-amz-signature", sig.signature);
	sigv4_result_free(&sig);
	if (!bad)
		*json = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!*json) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	*len = strlen(*json);
	return 0;
}

int msk_iam_check_reply(const uint8_t *p, size_t len, char *rid, size_t ridlen, char *err,
                        size_t errlen)
{
	rid[0] = '\0';
	if (len == 0) {
		snprintf(err, errlen, "AWS_MSK_IAM: empty server reply");
		return -1;
	}
	cJSON *o = cJSON_ParseWithLength((const char *)p, len);
	const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, "version") : NULL;
	const cJSON *id = o ? cJSON_GetObjectItemCaseSensitive(o, "request-id") : NULL;
	int rc = -1;
	if (!cJSON_IsObject(o))
		snprintf(err, errlen, "AWS_MSK_IAM: server reply is not a JSON object");
	else if (!cJSON_IsString(v) || strcmp(v->valuestring, MSK_IAM_VERSION) != 0)
		snprintf(err, errlen, "AWS_MSK_IAM: server reply has version other than %s",
		         MSK_IAM_VERSION);
	else
		rc = 0;
	if (!rc && cJSON_IsString(id)) {
		size_t k = 0;
		for (const char *s = id->valuestring; *s && k + 1 < ridlen; s++)
			if ((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
			    (*s >= 'A' && *s <= 'Z') || *s == '-')
				rid[k++] = *s; /* safe for a log line */
		rid[k] = '\0';
	}
	cJSON_Delete(o);
	return rc;
}

/* base64url without padding (RFC 4648 §5), as every MSK signer encodes the
 * OAUTHBEARER token. */
static char *base64url(const char *s, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);
	if (!out)
		return NULL;
	int len = EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
	while (len > 0 && out[len - 1] == '=')
		len--;
	out[len] = '\0';
	for (char *p = out; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	return out;
}

int msk_iam_oauth_token(const aws_creds *c, const char *region, time_t now, const char *user_agent,
                        char **token, char *err, size_t errlen)
{
	*token = NULL;
	char amz_date[20], host[128];
	int hn = snprintf(host, sizeof(host), "kafka.%s.amazonaws.com", region);
	if (hn < 0 || (size_t)hn >= sizeof(host)) {
		snprintf(err, errlen, "region name too long");
		return -1;
	}
	sigv4_result sig;
	if (sign_connect(c, region, host, now, amz_date, &sig, err, errlen))
		return -1;
	/* The canonical request's third line is the signed query string; the
	 * URL carries it, then the signature, then the unsigned User-Agent. */
	const char *q = sig.canonical_request + strlen("GET\n/\n");
	size_t qlen = strcspn(q, "\n");
	char *ua = sigv4_uri_encode(user_agent);
	size_t urlcap = strlen(host) + qlen + (ua ? strlen(ua) : 0) + 128;
	char *url = ua ? malloc(urlcap) : NULL;
	int n = url ? snprintf(url, urlcap, "https://%s/?%.*s&X-Amz-Signature=%s&User-Agent=%s",
	                       host, (int)qlen, q, sig.signature, ua)
	            : -1;
	if (n > 0 && (size_t)n < urlcap)
		*token = base64url(url, (size_t)n);
	if (url) {
		OPENSSL_cleanse(url, urlcap); /* carries the session token */
		free(url);
	}
	free(ua);
	sigv4_result_free(&sig);
	if (!*token) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}
