/*
 * SigV4 presigning (see sigv4.h). The steps, as AWS documents them:
 *
 *   CanonicalRequest = "GET\n/\n" + CanonicalQuery + "\nhost:" + host + "\n\nhost\n"
 *                      + hex(SHA256(""))
 *   CanonicalQuery   = UriEncode(name)=UriEncode(value) pairs sorted by name, "&"-joined
 *   StringToSign     = "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n"
 *                      + hex(SHA256(CanonicalRequest))
 *   kSigning         = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service),
 *                      "aws4_request")
 *   Signature        = hex(HMAC(kSigning, StringToSign))
 *
 * The secret only ever sits in a stack buffer that is wiped before return.
 */
#include "proxy/sigv4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

static const char EMPTY_SHA256[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

char *sigv4_uri_encode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *out = malloc(3 * n + 1), *o = out;
	if (!out)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned char c = *p;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			*o++ = (char)c;
		} else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	*o = '\0';
	return out;
}

static void to_hex(const unsigned char *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hmac256(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
	unsigned int n = 0;
	return HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out,
	            &n) &&
	               n == 32
	           ? 0
	           : -1;
}

typedef struct qparam {
	char *name, *value; /* both UriEncoded, malloc'd */
} qparam;

static int by_name(const void *a, const void *b)
{
	return strcmp(((const qparam *)a)->name, ((const qparam *)b)->name);
}

int sigv4_presign(const sigv4_request *r, sigv4_result *out)
{
	memset(out, 0, sizeof(*out));
	char date[9];
	if (strlen(r->amz_date) != 16 || r->amz_date[8] != 'T')
		return -1;
	memcpy(date, r->amz_date, 8);
	date[8] = '\0';
	int n = snprintf(out->credential, sizeof(out->credential), "%s/%s/%s/%s/aws4_request",
	                 r->access_key_id, date, r->region, r->service);
	if (n < 0 || (size_t)n >= sizeof(out->credential))
		return -1;
	char expires[16];
	snprintf(expires, sizeof(expires), "%d", r->expires);
	const char *raw[7][2] = {
	    {"Action", r->action},
	    {"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
	    {"X-Amz-Credential", out->credential},
	    {"X-Amz-Date", r->amz_date},
	    {"X-Amz-Expires", expires},
	    {"X-Amz-SignedHeaders", "host"},
	    {"X-Amz-Security-Token", r->session_token}, /* last: optional */
	};
	size_t np = r->session_token ? 7 : 6;
	qparam q[7] = {{0}};
	int rc = -1;
	char *query = NULL;
	unsigned char k1[32], k2[32], hash[32];
	char hexhash[65];
	char key[256];
	size_t qlen = 0;
	for (size_t i = 0; i < np; i++) {
		q[i].name = sigv4_uri_encode(raw[i][0]);
		q[i].value = sigv4_uri_encode(raw[i][1]);
		if (!q[i].name || !q[i].value)
			goto out;
		qlen += strlen(q[i].name) + strlen(q[i].value) + 2;
	}
	qsort(q, np, sizeof(q[0]), by_name);
	query = malloc(qlen + 1);
	if (!query)
		goto out;
	query[0] = '\0';
	for (size_t i = 0, at = 0; i < np; i++)
		at += (size_t)sprintf(query + at, "%s%s=%s", i ? "&" : "", q[i].name, q[i].value);
	size_t crlen = strlen(query) + strlen(r->host) + 100;
	out->canonical_request = malloc(crlen);
	if (!out->canonical_request)
		goto out;
	snprintf(out->canonical_request, crlen, "GET\n/\n%s\nhost:%s\n\nhost\n%s", query, r->host,
	         EMPTY_SHA256);
	SHA256((const unsigned char *)out->canonical_request, strlen(out->canonical_request), hash);
	to_hex(hash, 32, hexhash);
	size_t slen =
	    strlen(r->amz_date) + strlen(date) + strlen(r->region) + strlen(r->service) + 64 + 60;
	out->string_to_sign = malloc(slen);
	if (!out->string_to_sign)
		goto out;
	snprintf(out->string_to_sign, slen, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s",
	         r->amz_date, date, r->region, r->service, hexhash);
	n = snprintf(key, sizeof(key), "AWS4%s", r->secret_access_key);
	if (n < 0 || (size_t)n >= sizeof(key))
		goto out;
	if (hmac256(key, (size_t)n, date, k1) || hmac256(k1, 32, r->region, k2) ||
	    hmac256(k2, 32, r->service, k1) || hmac256(k1, 32, "aws4_request", k2) ||
	    hmac256(k2, 32, out->string_to_sign, hash))
		goto out;
	to_hex(hash, 32, out->signature);
	rc = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(k1, sizeof(k1));
	OPENSSL_cleanse(k2, sizeof(k2));
	for (size_t i = 0; i < np; i++) {
		free(q[i].name);
		free(q[i].value);
	}
	free(query);
	if (rc)
		sigv4_result_free(out);
	return rc;
}

void sigv4_result_free(sigv4_result *out)
{
	free(out->canonical_request);
	free(out->string_to_sign);
	out->canonical_request = out->string_to_sign = NULL;
}
