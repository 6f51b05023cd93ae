/*
 * The AWS_MSK_IAM SASL mechanism (aws-msk-iam-auth): one client message, a
 * JSON object carrying a SigV4 presigned "kafka-cluster:Connect" request for
 * the broker's host name, and one server reply naming the protocol version.
 */
#ifndef TURNOUT_PROXY_MSK_IAM_H
#define TURNOUT_PROXY_MSK_IAM_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "proxy/aws_creds.h"

#define MSK_IAM_VERSION "2020_10_22"
enum { MSK_IAM_EXPIRES = 900 }; /* seconds; the library's 15 minutes */

/* The client message for host, signed at time now. *json is malloc'd (it
 * holds a session token: the caller wipes it). */
int msk_iam_payload(const aws_creds *c, const char *region, const char *host, time_t now,
                    const char *user_agent, char **json, size_t *len, char *err, size_t errlen);
/* The OAUTHBEARER token MSK accepts on its IAM listener: base64url (no
 * padding) of a presigned kafka-cluster:Connect URL for the regional host
 * kafka.<region>.amazonaws.com, with User-Agent appended after signing.
 * It is valid MSK_IAM_EXPIRES seconds from now. *token is malloc'd (wipe it). */
int msk_iam_oauth_token(const aws_creds *c, const char *region, time_t now, const char *user_agent,
                        char **token, char *err, size_t errlen);
/* Checks the server's reply; copies its request-id (for logs) into rid. */
int msk_iam_check_reply(const uint8_t *p, size_t len, char *rid, size_t ridlen, char *err,
                        size_t errlen);

#endif
