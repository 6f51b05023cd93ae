/*
 * AWS Signature Version 4, query-string (presigned) form, for a GET of "/"
 * with only the host header signed: what the AWS_MSK_IAM SASL payload and
 * the MSK IAM OAUTHBEARER token carry. HMAC-SHA256 and SHA-256 by OpenSSL.
 */
#ifndef TURNOUT_PROXY_SIGV4_H
#define TURNOUT_PROXY_SIGV4_H

#include <stddef.h>

typedef struct sigv4_request {
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token; /* NULL without temporary credentials */
	const char *region;
	const char *service;  /* "kafka-cluster" */
	const char *host;     /* the broker's host name */
	const char *action;   /* the Action query parameter, "kafka-cluster:Connect" */
	const char *amz_date; /* "yyyyMMddTHHmmssZ" */
	int expires;          /* X-Amz-Expires, seconds */
} sigv4_request;

typedef struct sigv4_result {
	char *canonical_request; /* malloc'd; kept for tests and debugging */
	char *string_to_sign;    /* malloc'd */
	char credential[256];    /* "<akid>/<date>/<region>/<service>/aws4_request" */
	char signature[65];      /* lowercase hex */
} sigv4_result;

/* 0 on success; -1 (out of memory or a field too long) otherwise. */
int sigv4_presign(const sigv4_request *r, sigv4_result *out);
void sigv4_result_free(sigv4_result *out);

/* SigV4 UriEncode: keeps A-Z a-z 0-9 - . _ ~, everything else %XX (upper
 * hex), '/' included. Returns a malloc'd string. */
char *sigv4_uri_encode(const char *s);

#endif
