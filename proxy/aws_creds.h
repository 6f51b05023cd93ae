/*
 * AWS credentials from the standard places, re-read on every call so that
 * rotated session credentials are used at the next (re)authentication:
 *
 *   profile given in the config -> the shared credentials file, that profile
 *   else AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN)
 *   else the container endpoint's cached credentials (aws_ecs.c), when
 *        AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI is set
 *   else the shared credentials file, profile AWS_PROFILE or "default"
 *
 * The file is AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials. Web
 * identity (EKS IRSA), EC2 instance metadata and credential_process are not
 * read.
 */
#ifndef TURNOUT_PROXY_AWS_CREDS_H
#define TURNOUT_PROXY_AWS_CREDS_H

#include <stddef.h>

typedef struct aws_creds {
	char *access_key_id;
	char *secret_access_key; /* wiped by aws_creds_clear */
	char *session_token;     /* NULL without temporary credentials; wiped too */
	char source[300];        /* where they came from, for logs (never a secret) */
} aws_creds;

int aws_creds_load(const char *profile, aws_creds *out, char *err, size_t errlen);
/* Parses shared-credentials-file text (INI) for one profile. */
int aws_creds_parse(const char *text, size_t len, const char *profile, aws_creds *out, char *err,
                    size_t errlen);
void aws_creds_clear(aws_creds *c);
/* Would aws_creds_load(profile) use the container endpoint (whose
 * credentials arrive later, on the event loop)? */
int aws_creds_from_container(const char *profile);

#endif
