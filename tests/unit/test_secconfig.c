/*
 * Security configuration (tls, sasl, listen_tls), the password sources and
 * the AWS credentials chain: values, defaults and the exact errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxy/aws_creds.h"
#include "proxy/aws_ecs.h"
#include "proxy/config.h"
#include "tests/unit/check.h"

#define LEGACY "\"legacy\": {\"bootstrap\": \"a:1\"}"

static config *parse_target(const char *target_extra, const char *top_extra, char *err,
                            size_t errlen)
{
	char json[2048];
	snprintf(json, sizeof(json),
	         "{%s%s\"clusters\": {" LEGACY ", \"target\": {\"bootstrap\": "
	         "\"b-1.c.x.c2.kafka.us-east-1.amazonaws.com:9098\"%s%s}}}",
	         top_extra, *top_extra ? ", " : "", *target_extra ? ", " : "", target_extra);
	return config_parse(json, err, errlen);
}

static void test_valid(void)
{
	char err[300] = "";
	config *c = parse_target(
	    "\"tls\": {\"ca_file\": \"/ca.pem\", \"cert_file\": \"/c.pem\", \"key_file\": "
	    "\"/k.pem\", \"server_name\": \"msk\", \"verify_hostname\": false}, \"sasl\": "
	    "{\"mechanism\": \"SCRAM-SHA-512\", \"username\": \"alice\", \"password_file\": "
	    "\"/run/secrets/pw\"}",
	    "\"listen_tls\": {\"cert_file\": \"/s.pem\", \"key_file\": \"/s.key\"}", err,
	    sizeof(err));
	CHECKF(c, "%s", err);
	if (!c)
		return;
	const config_tls *t = c->clusters[CLUSTER_TARGET].tls;
	const config_sasl *s = c->clusters[CLUSTER_TARGET].sasl;
	CHECK(!c->clusters[CLUSTER_LEGACY].tls && !c->clusters[CLUSTER_LEGACY].sasl);
	CHECK(t && strcmp(t->ca_file, "/ca.pem") == 0 && strcmp(t->cert_file, "/c.pem") == 0 &&
	      strcmp(t->key_file, "/k.pem") == 0 && strcmp(t->server_name, "msk") == 0 &&
	      !t->verify_hostname);
	CHECK(s && s->mechanism == SASL_SCRAM_SHA_512 && strcmp(s->username, "alice") == 0 &&
	      strcmp(s->password_file, "/run/secrets/pw") == 0 && !s->password_env);
	CHECK(c->listen_tls && strcmp(c->listen_tls->cert_file, "/s.pem") == 0);
	config_free(c);

	/* {} is TLS with the defaults; IAM takes its region from the MSK host */
	c = parse_target("\"tls\": {}, \"sasl\": {\"mechanism\": \"AWS_MSK_IAM\"}", "", err,
	                 sizeof(err));
	CHECKF(c, "%s", err);
	if (!c)
		return;
	t = c->clusters[CLUSTER_TARGET].tls;
	s = c->clusters[CLUSTER_TARGET].sasl;
	CHECK(t && !t->ca_file && !t->cert_file && t->verify_hostname && !t->server_name);
	CHECK(s && s->mechanism == SASL_AWS_MSK_IAM && strcmp(s->region, "us-east-1") == 0 &&
	      !s->profile);
	CHECK(!c->listen_tls);
	config_free(c);

	c = parse_target("\"sasl\": {\"mechanism\": \"AWS_MSK_IAM\", \"region\": \"eu-west-1\", "
	                 "\"profile\": \"msk\"}",
	                 "", err, sizeof(err));
	CHECKF(c && strcmp(c->clusters[1].sasl->region, "eu-west-1") == 0 &&
	           strcmp(c->clusters[1].sasl->profile, "msk") == 0,
	       "%s", err);
	config_free(c);
}

static void test_errors(void)
{
	static const struct {
		const char *target, *top, *want;
	} cases[] = {
	    {"\"tls\": true", "", "clusters.target.tls: must be an object"},
	    {"\"tls\": {\"ca\": \"x\"}", "", "clusters.target.tls.ca: unknown key"},
	    {"\"tls\": {\"ca_file\": \"\"}", "",
	     "clusters.target.tls.ca_file: must be a non-empty"},
	    {"\"tls\": {\"cert_file\": \"c\"}", "", "clusters.target.tls.key_file: required with"},
	    {"\"tls\": {\"key_file\": \"k\"}", "", "clusters.target.tls.cert_file: required with"},
	    {"\"tls\": {\"verify_hostname\": \"no\"}", "",
	     "clusters.target.tls.verify_hostname: must be true or false"},
	    {"\"sasl\": {}", "", "clusters.target.sasl.mechanism: required: PLAIN, SCRAM-SHA-256"},
	    {"\"sasl\": {\"mechanism\": \"GSSAPI\"}", "", "sasl.mechanism: required"},
	    {"\"sasl\": {\"mechanism\": \"PLAIN\", \"username\": \"u\", \"password\": \"p\"}", "",
	     "clusters.target.sasl.password: not allowed in the config file"},
	    {"\"sasl\": {\"mechanism\": \"PLAIN\", \"password_env\": \"P\"}", "",
	     "clusters.target.sasl.username: required for this mechanism"},
	    {"\"sasl\": {\"mechanism\": \"SCRAM-SHA-256\", \"username\": \"u\"}", "",
	     "sasl.password_file: exactly one of password_file and password_env"},
	    {"\"sasl\": {\"mechanism\": \"SCRAM-SHA-256\", \"username\": \"u\", \"password_env\": "
	     "\"P\", \"password_file\": \"f\"}",
	     "", "sasl.password_file: exactly one of"},
	    {"\"sasl\": {\"mechanism\": \"PLAIN\", \"username\": \"u\", \"password_env\": \"1X\"}",
	     "", "sasl.password_env: must be an environment variable name"},
	    {"\"sasl\": {\"mechanism\": \"PLAIN\", \"username\": \"u\", \"password_env\": \"P\", "
	     "\"region\": \"us-east-1\"}",
	     "", "clusters.target.sasl.region: only used by AWS_MSK_IAM"},
	    {"\"sasl\": {\"mechanism\": \"AWS_MSK_IAM\", \"username\": \"u\"}", "",
	     "clusters.target.sasl.username: not used by AWS_MSK_IAM"},
	    {"\"sasl\": {\"mechanism\": \"AWS_MSK_IAM\", \"region\": \"Mars\"}", "",
	     "clusters.target.sasl.region: must be an AWS region id"},
	    {"\"sasl\": {\"mechanism\": \"AWS_MSK_IAM\", \"rgion\": \"x\"}", "",
	     "clusters.target.sasl.rgion: unknown key"},
	    {"\"sasl\": 3", "", "clusters.target.sasl: must be an object"},
	    {"", "\"listen_tls\": {\"cert_file\": \"c\"}", "listen_tls.key_file: required"},
	    {"", "\"listen_tls\": {\"cert_file\": \"c\", \"key_file\": \"k\", \"ca_file\": \"x\"}",
	     "listen_tls.ca_file: unknown key"},
	    {"", "\"listen_tls\": []", "listen_tls: must be an object"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[300] = "";
		config *c = parse_target(cases[i].target, cases[i].top, err, sizeof(err));
		CHECKF(!c && strstr(err, cases[i].want), "case %zu: got \"%s\", want \"%s\"", i,
		       err, cases[i].want);
		config_free(c);
	}
	/* IAM without a region on a host that names none */
	char err[300] = "";
	config *c = config_parse("{\"clusters\": {" LEGACY ", \"target\": {\"bootstrap\": "
	                         "\"kafka-1.internal:9098\", \"sasl\": {\"mechanism\": "
	                         "\"AWS_MSK_IAM\"}}}}",
	                         err, sizeof(err));
	CHECKF(!c && strstr(err, "clusters.target.sasl.region: required: the bootstrap host is "
	                         "not an MSK broker name"),
	       "%s", err);
	config_free(c);
}

static void test_password_sources(void)
{
	char path[] = "/tmp/turnout-pw-XXXXXX", err[300] = "";
	int fd = mkstemp(path);
	CHECK(fd >= 0 && write(fd, "hunter2\n", 8) == 8);
	close(fd);
	config_sasl s = {.mechanism = SASL_PLAIN, .password_file = path};
	char *p = secconfig_password(&s, err, sizeof(err));
	CHECKF(p && strcmp(p, "hunter2") == 0, "%s", err);
	free(p);
	unlink(path);
	p = secconfig_password(&s, err, sizeof(err));
	CHECK(!p && strstr(err, "password_file /tmp/turnout-pw-") && strstr(err, "No such file"));
	strcpy(path, "/tmp/turnout-pw-XXXXXX");
	fd = mkstemp(path);
	CHECK(fd >= 0 && write(fd, "\n", 1) == 1);
	close(fd);
	s.password_file = path;
	p = secconfig_password(&s, err, sizeof(err));
	CHECK(!p && strstr(err, "empty"));
	unlink(path);
	config_sasl e = {.mechanism = SASL_PLAIN, .password_env = "TURNOUT_TEST_PW2"};
	setenv("TURNOUT_TEST_PW2", "from-env", 1);
	p = secconfig_password(&e, err, sizeof(err));
	CHECK(p && strcmp(p, "from-env") == 0);
	free(p);
	unsetenv("TURNOUT_TEST_PW2");
	CHECK(!secconfig_password(&e, err, sizeof(err)) && strstr(err, "is not set"));
}

static void test_tls_same(void)
{
	config_tls a = {.ca_file = "x", .verify_hostname = 1}, b = a;
	CHECK(secconfig_tls_same(&a, &b) && secconfig_tls_same(NULL, NULL));
	b.verify_hostname = 0;
	CHECK(!secconfig_tls_same(&a, &b) && !secconfig_tls_same(&a, NULL));
}

static const char creds_file[] = "# shared credentials\n"
                                 "[default]\n"
                                 "aws_access_key_id = AKIDDEFAULT\n"
                                 "aws_secret_access_key=secretdefault\n"
                                 "\n"
                                 "[ msk ]\r\n"
                                 "; a comment\n"
                                 "AWS_Access_Key_ID   =   AKIDMSK   \r\n"
                                 "aws_secret_access_key = secret/msk+=\n"
                                 "aws_session_token = tok/en==\n"
                                 "region = us-east-1\n"
                                 "[other]\n"
                                 "aws_access_key_id = AKIDOTHER\n";

static void test_creds_parse(void)
{
	aws_creds c;
	char err[200] = "";
	CHECK(aws_creds_parse(creds_file, sizeof(creds_file) - 1, "msk", &c, err, sizeof(err)) ==
	      0);
	CHECK(c.access_key_id && strcmp(c.access_key_id, "AKIDMSK") == 0);
	CHECK(c.secret_access_key && strcmp(c.secret_access_key, "secret/msk+=") == 0);
	CHECK(c.session_token && strcmp(c.session_token, "tok/en==") == 0);
	aws_creds_clear(&c);
	CHECK(aws_creds_parse(creds_file, sizeof(creds_file) - 1, "default", &c, err,
	                      sizeof(err)) == 0);
	CHECK(c.access_key_id && strcmp(c.access_key_id, "AKIDDEFAULT") == 0 && !c.session_token);
	aws_creds_clear(&c);
	CHECK(aws_creds_parse(creds_file, sizeof(creds_file) - 1, "other", &c, err, sizeof(err)) ==
	      -1);
	CHECK(strstr(err, "profile [other] has no aws_secret_access_key"));
	CHECK(aws_creds_parse(creds_file, sizeof(creds_file) - 1, "nope", &c, err, sizeof(err)) ==
	      -1);
	CHECK(strstr(err, "profile [nope] not found"));
	static const char bad[] = "[default]\naws_secret_access_key secretvalue\n";
	CHECK(aws_creds_parse(bad, sizeof(bad) - 1, "default", &c, err, sizeof(err)) == -1);
	CHECK(strstr(err, "line 2: expected key = value") && !strstr(err, "secretvalue"));
}

static void test_creds_chain(void)
{
	const char *saved[] = {"AWS_ACCESS_KEY_ID",
	                       "AWS_SECRET_ACCESS_KEY",
	                       "AWS_SESSION_TOKEN",
	                       "AWS_PROFILE",
	                       "AWS_SHARED_CREDENTIALS_FILE",
	                       "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	                       "AWS_CONTAINER_CREDENTIALS_FULL_URI"};
	enum { NSAVED = sizeof(saved) / sizeof(saved[0]) };
	char *old[NSAVED];
	for (int i = 0; i < NSAVED; i++) {
		old[i] = getenv(saved[i]) ? strdup(getenv(saved[i])) : NULL;
		unsetenv(saved[i]);
	}
	char path[] = "/tmp/turnout-creds-XXXXXX", err[400] = "";
	int fd = mkstemp(path);
	CHECK(fd >= 0 &&
	      write(fd, creds_file, sizeof(creds_file) - 1) == (ssize_t)(sizeof(creds_file) - 1));
	close(fd);
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	aws_creds c;
	/* no variables: the file, profile default */
	CHECK(aws_creds_load(NULL, &c, err, sizeof(err)) == 0 &&
	      strcmp(c.access_key_id, "AKIDDEFAULT") == 0 && strstr(c.source, "profile default"));
	aws_creds_clear(&c);
	setenv("AWS_PROFILE", "msk", 1);
	CHECK(aws_creds_load(NULL, &c, err, sizeof(err)) == 0 &&
	      strcmp(c.access_key_id, "AKIDMSK") == 0);
	aws_creds_clear(&c);
	/* variables win over the file */
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	setenv("AWS_SESSION_TOKEN", "envtoken", 1);
	CHECK(aws_creds_load(NULL, &c, err, sizeof(err)) == 0 &&
	      strcmp(c.access_key_id, "AKIDENV") == 0 && strcmp(c.session_token, "envtoken") == 0 &&
	      strcmp(c.source, "environment") == 0);
	aws_creds_clear(&c);
	/* a profile named in the config reads the file only */
	CHECK(aws_creds_load("default", &c, err, sizeof(err)) == 0 &&
	      strcmp(c.access_key_id, "AKIDDEFAULT") == 0);
	aws_creds_clear(&c);
	unsetenv("AWS_SECRET_ACCESS_KEY");
	CHECK(aws_creds_load(NULL, &c, err, sizeof(err)) == -1 &&
	      strstr(err, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"));
	unsetenv("AWS_ACCESS_KEY_ID");
	unlink(path);
	CHECK(aws_creds_load(NULL, &c, err, sizeof(err)) == -1 && strstr(err, path));
	/* with a container endpoint named, its cache is the source (not started here) */
	setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/x", 1);
	CHECK(aws_creds_from_container(NULL) && !aws_creds_from_container("default"));
	CHECK(aws_creds_load(NULL, &c, err, sizeof(err)) == -1 && strstr(err, "container"));
	for (int i = 0; i < NSAVED; i++) {
		if (old[i])
			setenv(saved[i], old[i], 1);
		else
			unsetenv(saved[i]);
		free(old[i]);
	}
}

static void test_container_answer(void)
{
	static const char ok[] =
	    "{\"Code\":\"Success\",\"AccessKeyId\":\"ASIAEXAMPLE\",\"SecretAccessKey\":"
	    "\"sec/ret+\",\"Token\":\"tok==\",\"Expiration\":\"2030-01-02T03:04:05Z\"}";
	aws_creds c;
	time_t exp = 0;
	char err[200] = "";
	CHECKF(aws_ecs_parse(ok, sizeof(ok) - 1, &c, &exp, err, sizeof(err)) == 0, "%s", err);
	CHECK(c.access_key_id && strcmp(c.access_key_id, "ASIAEXAMPLE") == 0);
	CHECK(c.secret_access_key && strcmp(c.secret_access_key, "sec/ret+") == 0);
	CHECK(c.session_token && strcmp(c.session_token, "tok==") == 0);
	CHECK(exp == 1893553445); /* 2030-01-02T03:04:05Z */
	aws_creds_clear(&c);
	static const struct {
		const char *json, *want;
	} bad[] = {
	    {"[]", "not a JSON object"},
	    {"{\"AccessKeyId\":\"A\",\"Expiration\":\"2030-01-01T00:00:00Z\"}",
	     "SecretAccessKey missing"},
	    {"{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\"}", "Expiration missing"},
	    {"{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\",\"Expiration\":\"tomorrow\"}",
	     "Expiration missing or not"},
	    {"{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\",\"Token\":5,"
	     "\"Expiration\":\"2030-01-01T00:00:00Z\"}",
	     "Token is not a string"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECKF(aws_ecs_parse(bad[i].json, strlen(bad[i].json), &c, &exp, err,
		                     sizeof(err)) == -1 &&
		           strstr(err, bad[i].want),
		       "case %zu: %s", i, err);
	}
	/* not started: no credentials, a reason */
	CHECK(aws_ecs_get(&c, err, sizeof(err)) == -1 && strstr(err, "not started"));
}

TEST_TABLE(secconfig_tests) = {
    {"secconfig: tls, sasl and listen_tls values and defaults", test_valid},
    {"secconfig: errors name the field", test_errors},
    {"secconfig: password from a file or a variable", test_password_sources},
    {"secconfig: tls changes are detected for reload", test_tls_same},
    {"aws_creds: shared credentials file parsing", test_creds_parse},
    {"aws_creds: environment, AWS_PROFILE, explicit profile", test_creds_chain},
    {"aws_ecs: container endpoint answers", test_container_answer},
    {NULL, NULL},
};
