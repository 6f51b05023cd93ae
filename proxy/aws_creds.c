/*
 * AWS credentials (see aws_creds.h). The shared credentials file is INI:
 * "[profile-name]" sections with "key = value" lines; '#' and ';' start
 * comments; keys are case-insensitive. Errors name the file, the profile
 * and the line number, never a line's content (it may hold a secret).
 */
#include "proxy/aws_creds.h"

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "proxy/aws_ecs.h"

enum { CREDS_FILE_MAX = 1 << 20 };

static void wipe_free(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

void aws_creds_clear(aws_creds *c)
{
	free(c->access_key_id);
	wipe_free(c->secret_access_key);
	wipe_free(c->session_token);
	memset(c, 0, sizeof(*c));
}

static void trim(const char **p, const char **e)
{
	while (*p < *e && isspace((unsigned char)**p))
		(*p)++;
	while (*e > *p && isspace((unsigned char)(*e)[-1]))
		(*e)--;
}

static int set(char **dst, const char *p, const char *e)
{
	char *v = strndup(p, (size_t)(e - p));
	if (!v)
		return -1;
	wipe_free(*dst);
	*dst = v;
	return 0;
}

int aws_creds_parse(const char *text, size_t len, const char *profile, aws_creds *out, char *err,
                    size_t errlen)
{
	memset(out, 0, sizeof(*out));
	const char *p = text, *end = text + len;
	int in_profile = 0, seen_profile = 0, line = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *ls = p;
		p = nl ? nl + 1 : end;
		line++;
		if (memchr(ls, '\0', (size_t)(le - ls))) {
			snprintf(err, errlen, "line %d: NUL byte", line);
			goto fail;
		}
		int continuation = ls < le && (*ls == ' ' || *ls == '\t');
		trim(&ls, &le);
		if (ls == le || *ls == '#' || *ls == ';')
			continue;
		if (*ls == '[') {
			if (le[-1] != ']' || le - ls < 3) {
				snprintf(err, errlen, "line %d: malformed section header", line);
				goto fail;
			}
			const char *ns = ls + 1, *ne = le - 1;
			trim(&ns, &ne);
			in_profile = (size_t)(ne - ns) == strlen(profile) &&
			             memcmp(ns, profile, (size_t)(ne - ns)) == 0;
			seen_profile |= in_profile;
			continue;
		}
		if (continuation)
			continue; /* a nested value (config-file style); credentials never use it */
		const char *eq = memchr(ls, '=', (size_t)(le - ls));
		if (!eq) {
			snprintf(err, errlen, "line %d: expected key = value", line);
			goto fail;
		}
		if (!in_profile)
			continue;
		const char *ks = ls, *ke = eq, *vs = eq + 1, *ve = le;
		trim(&ks, &ke);
		trim(&vs, &ve);
		char key[32];
		size_t kn = (size_t)(ke - ks);
		if (kn == 0 || kn >= sizeof(key))
			continue;
		for (size_t i = 0; i < kn; i++)
			key[i] = (char)tolower((unsigned char)ks[i]);
		key[kn] = '\0';
		char **dst = strcmp(key, "aws_access_key_id") == 0       ? &out->access_key_id
		             : strcmp(key, "aws_secret_access_key") == 0 ? &out->secret_access_key
		             : strcmp(key, "aws_session_token") == 0 ||
		                     strcmp(key, "aws_security_token") == 0
		                 ? &out->session_token
		                 : NULL;
		if (dst && vs < ve && set(dst, vs, ve)) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
	if (!seen_profile) {
		snprintf(err, errlen, "profile [%.64s] not found", profile);
		goto fail;
	}
	if (!out->access_key_id || !out->secret_access_key) {
		snprintf(err, errlen, "profile [%.64s] has no %s", profile,
		         out->access_key_id ? "aws_secret_access_key" : "aws_access_key_id");
		goto fail;
	}
	return 0;
fail:
	aws_creds_clear(out);
	return -1;
}

static int load_file(const char *profile, aws_creds *out, char *err, size_t errlen)
{
	char path[1024];
	const char *f = getenv("AWS_SHARED_CREDENTIALS_FILE");
	if (f && *f) {
		snprintf(path, sizeof(path), "%s", f);
	} else {
		const char *home = getenv("HOME");
		struct passwd *pw = (!home || !*home) ? getpwuid(getuid()) : NULL;
		if (pw)
			home = pw->pw_dir;
		if (!home || !*home) {
			snprintf(err, errlen,
			         "no AWS credentials: environment variables unset and "
			         "no home directory for ~/.aws/credentials");
			return -1;
		}
		snprintf(path, sizeof(path), "%s/.aws/credentials", home);
	}
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		snprintf(err, errlen, "environment variables unset and %s: %s", path,
		         strerror(errno));
		return -1;
	}
	char *buf = malloc(CREDS_FILE_MAX + 1);
	size_t n = buf ? fread(buf, 1, CREDS_FILE_MAX + 1, fp) : 0;
	int bad = !buf || ferror(fp) || n > CREDS_FILE_MAX;
	fclose(fp);
	int rc = -1;
	if (bad) {
		snprintf(err, errlen, "%s: %s", path,
		         !buf                 ? "out of memory"
		         : n > CREDS_FILE_MAX ? "larger than 1 MiB"
		                              : "read error");
	} else {
		char why[200];
		rc = aws_creds_parse(buf, n, profile, out, why, sizeof(why));
		if (rc)
			snprintf(err, errlen, "%s: %s", path, why);
		else
			snprintf(out->source, sizeof(out->source), "file %.200s profile %.64s",
			         path, profile);
	}
	if (buf) {
		OPENSSL_cleanse(buf, n);
		free(buf);
	}
	return rc;
}

int aws_creds_from_container(const char *profile)
{
	const char *id = getenv("AWS_ACCESS_KEY_ID"), *secret = getenv("AWS_SECRET_ACCESS_KEY");
	return !profile && !(id && *id) && !(secret && *secret) && aws_ecs_configured();
}

int aws_creds_load(const char *profile, aws_creds *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (profile)
		return load_file(profile, out, err, errlen);
	const char *id = getenv("AWS_ACCESS_KEY_ID"), *secret = getenv("AWS_SECRET_ACCESS_KEY");
	if ((id && *id) || (secret && *secret)) {
		if (!id || !*id || !secret || !*secret) {
			snprintf(err, errlen, "%s is set but %s is not",
			         id && *id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
			         id && *id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
			return -1;
		}
		const char *token = getenv("AWS_SESSION_TOKEN");
		out->access_key_id = strdup(id);
		out->secret_access_key = strdup(secret);
		out->session_token = token && *token ? strdup(token) : NULL;
		if (!out->access_key_id || !out->secret_access_key ||
		    (token && *token && !out->session_token)) {
			aws_creds_clear(out);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		snprintf(out->source, sizeof(out->source), "environment");
		return 0;
	}
	if (aws_ecs_configured())
		return aws_ecs_get(out, err, errlen);
	const char *env_profile = getenv("AWS_PROFILE");
	return load_file(env_profile && *env_profile ? env_profile : "default", out, err, errlen);
}
