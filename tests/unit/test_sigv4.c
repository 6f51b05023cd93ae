/*
 * SigV4 and the AWS_MSK_IAM payload against the test vector in
 * shared/reference/mm2-msk-kafka-protocol.md section 5.3 (checked there
 * against botocore's SigV4QueryAuth with a fixed clock): the canonical
 * request, the string to sign and both signatures must match exactly.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "proxy/msk_iam.h"
#include "proxy/secconfig.h"
#include "proxy/sigv4.h"
#include "tests/unit/check.h"

#define AKID   "AKIAIOSFODNN7EXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define HOST   "b-1.mycluster.abc123.c2.kafka.us-east-1.amazonaws.com"
#define TOKEN  "FQoGZXIvYXdzEXAMPLETOKEN/+="

static const char want_canonical[] =
    "GET\n"
    "/\n"
    "Action=kafka-cluster%3AConnect&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
    "AKIAIOSFODNN7EXAMPLE%2F20240101%2Fus-east-1%2Fkafka-cluster%2Faws4_request&X-Amz-Date="
    "20240101T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host\n"
    "host:b-1.mycluster.abc123.c2.kafka.us-east-1.amazonaws.com\n"
    "\n"
    "host\n"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

static const char want_sts[] = "AWS4-HMAC-SHA256\n"
                               "20240101T000000Z\n"
                               "20240101/us-east-1/kafka-cluster/aws4_request\n"
                               "af301708f92a288bbea96dcc7acfea015ca8c44c18ad15d0e3889b5d7e58e1dd";

#define SIG_PLAIN "e0dd97c5e2d1e9bd306fb6345c321729c2dbba2511e8e322049dff1b26c3626f"
#define SIG_TOKEN "c0cf3b0d0241aa7494c2e42190f420d2528cde18e501ea6ddcb9f1c731644e6c"

static sigv4_request vector(const char *token)
{
	sigv4_request r = {
	    .access_key_id = AKID,
	    .secret_access_key = SECRET,
	    .session_token = token,
	    .region = "us-east-1",
	    .service = "kafka-cluster",
	    .host = HOST,
	    .action = "kafka-cluster:Connect",
	    .amz_date = "20240101T000000Z",
	    .expires = 900,
	};
	return r;
}

static void test_vector(void)
{
	sigv4_request r = vector(NULL);
	sigv4_result out;
	CHECK(sigv4_presign(&r, &out) == 0);
	CHECKF(out.canonical_request && strcmp(out.canonical_request, want_canonical) == 0,
	       "canonical request:\n%s", out.canonical_request);
	CHECKF(out.string_to_sign && strcmp(out.string_to_sign, want_sts) == 0,
	       "string to sign:\n%s", out.string_to_sign);
	CHECKF(strcmp(out.signature, SIG_PLAIN) == 0, "signature %s", out.signature);
	CHECK(strcmp(out.credential,
	             "AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/kafka-cluster/aws4_request") == 0);
	sigv4_result_free(&out);
}

static void test_vector_with_token(void)
{
	sigv4_request r = vector(TOKEN);
	sigv4_result out;
	CHECK(sigv4_presign(&r, &out) == 0);
	/* the token is signed, encoded, between Expires and SignedHeaders */
	CHECK(out.canonical_request &&
	      strstr(out.canonical_request,
	             "&X-Amz-Expires=900&X-Amz-Security-Token=FQoGZXIvYXdzEXAMPLETOKEN%2F%2B%3D"
	             "&X-Amz-SignedHeaders=host\n"));
	CHECKF(strcmp(out.signature, SIG_TOKEN) == 0, "signature %s", out.signature);
	sigv4_result_free(&out);
}

static void test_uri_encode(void)
{
	char *e = sigv4_uri_encode("a b/c~d-e.f_g:h+i=\xc3\xa9");
	CHECK(e && strcmp(e, "a%20b%2Fc~d-e.f_g%3Ah%2Bi%3D%C3%A9") == 0);
	free(e);
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : "";
}

/* The payload signed at the vector's time carries the vector's signature. */
static void payload(const char *token, int want_keys, const char *want_sig)
{
	aws_creds c = {
	    .access_key_id = AKID, .secret_access_key = SECRET, .session_token = (char *)token};
	char *json = NULL, err[200] = "";
	size_t len = 0;
	CHECKF(msk_iam_payload(&c, "us-east-1", HOST, 1704067200 /* 2024-01-01T00:00:00Z */,
	                       "turnout/test", &json, &len, err, sizeof(err)) == 0,
	       "%s", err);
	cJSON *o = json ? cJSON_Parse(json) : NULL;
	CHECK(o && len == strlen(json));
	CHECK(cJSON_GetArraySize(o) == want_keys);
	CHECK(strcmp(str(o, "version"), "2020_10_22") == 0);
	CHECK(strcmp(str(o, "host"), HOST) == 0);
	CHECK(strcmp(str(o, "user-agent"), "turnout/test") == 0);
	CHECK(strcmp(str(o, "action"), "kafka-cluster:Connect") == 0);
	CHECK(strcmp(str(o, "x-amz-algorithm"), "AWS4-HMAC-SHA256") == 0);
	CHECK(strcmp(str(o, "x-amz-credential"),
	             AKID "/20240101/us-east-1/kafka-cluster/aws4_request") == 0);
	CHECK(strcmp(str(o, "x-amz-date"), "20240101T000000Z") == 0);
	CHECK(strcmp(str(o, "x-amz-signedheaders"), "host") == 0);
	CHECK(strcmp(str(o, "x-amz-expires"), "900") == 0);
	CHECKF(strcmp(str(o, "x-amz-signature"), want_sig) == 0, "%s", str(o, "x-amz-signature"));
	CHECK(strcmp(str(o, "x-amz-security-token"), token ? token : "") == 0);
	CHECK(!strstr(json, SECRET)); /* the secret key never leaves */
	cJSON_Delete(o);
	free(json);
}

/* The OAUTHBEARER token of reference §5.4: regional host, the reference's
 * signature, User-Agent after the signature, base64url without padding. */
static void test_oauth_token(void)
{
	aws_creds c = {.access_key_id = AKID, .secret_access_key = SECRET};
	char *token = NULL, err[200] = "";
	CHECKF(msk_iam_oauth_token(&c, "us-east-1", 1704067200,
	                           "aws-msk-iam-sasl-signer-go/1.0.0/go1.22", &token, err,
	                           sizeof(err)) == 0,
	       "%s", err);
	if (!token)
		return;
	CHECKF(strncmp(token, "aHR0cHM6Ly9rYWZrYS51cy1lYXN0LTEuYW1hem9uYXdzLmNvbS8_QWN0aW9u", 60) ==
	           0,
	       "%s", token);
	CHECK(!strchr(token, '=') && !strchr(token, '+') && !strchr(token, '/'));
	/* decode (base64url -> base64) and look at the URL itself */
	size_t n = strlen(token);
	char *b64 = malloc(n + 4), *url = malloc(n + 4);
	CHECK(b64 && url);
	if (b64 && url) {
		for (size_t i = 0; i < n; i++)
			b64[i] = token[i] == '-' ? '+' : token[i] == '_' ? '/' : token[i];
		while (n % 4)
			b64[n++] = '=';
		b64[n] = '\0';
		int len = EVP_DecodeBlock((unsigned char *)url, (unsigned char *)b64, (int)n);
		CHECK(len > 0);
		if (len > 0) {
			url[len] = '\0';
			CHECKF(
			    strncmp(
			        url,
			        "https://kafka.us-east-1.amazonaws.com/"
			        "?Action=kafka-cluster%3AConnect&"
			        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" AKID
			        "%2F20240101%2Fus-east-1%2Fkafka-cluster%2Faws4_request&"
			        "X-Amz-Date=20240101T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders="
			        "host&"
			        "X-Amz-Signature="
			        "083ac0649124b99c022ac874d20b71235d5d4d10f2f88f8cca1373d38d7a14d2&"
			        "User-Agent=aws-msk-iam-sasl-signer-go%2F1.0.0%2Fgo1.22",
			        (size_t)len) == 0,
			    "%s", url);
		}
	}
	free(b64);
	free(url);
	free(token);
}

static void test_payload(void)
{
	payload(NULL, 10, SIG_PLAIN);
	payload(TOKEN, 11, SIG_TOKEN);
}

static void test_reply(void)
{
	char rid[64], err[200];
	static const char ok[] = "{\"version\":\"2020_10_22\",\"request-id\":\"ab-12\\\"x\"}";
	CHECK(msk_iam_check_reply((const uint8_t *)ok, sizeof(ok) - 1, rid, sizeof(rid), err,
	                          sizeof(err)) == 0);
	CHECK(strcmp(rid, "ab-12x") == 0);
	static const char old[] = "{\"version\":\"2019_01_01\",\"request-id\":\"x\"}";
	CHECK(msk_iam_check_reply((const uint8_t *)old, sizeof(old) - 1, rid, sizeof(rid), err,
	                          sizeof(err)) == -1);
	CHECK(msk_iam_check_reply((const uint8_t *)"[1]", 3, rid, sizeof(rid), err, sizeof(err)) ==
	      -1);
	CHECK(msk_iam_check_reply((const uint8_t *)"", 0, rid, sizeof(rid), err, sizeof(err)) ==
	      -1);
	CHECK(strstr(err, "empty"));
}

static void test_region_from_host(void)
{
	static const struct {
		const char *host, *want;
	} cases[] = {
	    {HOST, "us-east-1"},
	    {"B-2.MyCluster.x.C3.Kafka.EU-West-2.amazonaws.com", "eu-west-2"},
	    {"boot-abc.c1.kafka-serverless.ap-southeast-2.amazonaws.com", "ap-southeast-2"},
	    {"b-1.x.kafka.cn-north-1.amazonaws.com.cn", "cn-north-1"},
	    {"kafka-1.internal", NULL},
	    {"localhost", NULL},
	    {"b-1.kafka.us-east-1.example.com", NULL},
	    {"b-1.kafka..amazonaws.com", NULL},
	    {"kafka.", NULL},
	    {"", NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[64] = "";
		int rc = secconfig_region_from_host(cases[i].host, strlen(cases[i].host), out,
		                                    sizeof(out));
		if (cases[i].want)
			CHECKF(rc == 0 && strcmp(out, cases[i].want) == 0, "case %zu: %d %s", i, rc,
			       out);
		else
			CHECKF(rc == -1, "case %zu: got %s", i, out);
	}
}

TEST_TABLE(sigv4_tests) = {
    {"sigv4: reference vector (canonical request, string to sign, signature)", test_vector},
    {"sigv4: reference vector with a session token", test_vector_with_token},
    {"sigv4: UriEncode", test_uri_encode},
    {"msk_iam: payload keys and values at the vector's time", test_payload},
    {"msk_iam: OAUTHBEARER token against the reference token", test_oauth_token},
    {"msk_iam: server reply", test_reply},
    {"msk_iam: region from MSK broker names", test_region_from_host},
    {NULL, NULL},
};
