/*
 * AWS credentials from the container credentials endpoint: the ECS task
 * role (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, served at 169.254.170.2)
 * or a full URI (AWS_CONTAINER_CREDENTIALS_FULL_URI, http on loopback or
 * the ECS/EKS link-local addresses, as the AWS SDKs allow), with an
 * optional Authorization token (AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or
 * AWS_CONTAINER_AUTHORIZATION_TOKEN). Fetched in the background on the
 * event loop and cached; aws_creds_load reads the cache, so signing never
 * waits on the network.
 */
#ifndef TURNOUT_PROXY_AWS_ECS_H
#define TURNOUT_PROXY_AWS_ECS_H

#include <event2/dns.h>
#include <event2/event.h>
#include <stddef.h>
#include <time.h>

#include "proxy/aws_creds.h"

/* Is one of the container credential variables set? */
int aws_ecs_configured(void);
/* Starts fetching (now, then before each expiry). -1 with a reason if the
 * variables are unusable (bad URI, a host the SDKs would refuse). */
int aws_ecs_start(struct event_base *base, struct evdns_base *dns, char *err, size_t errlen);
void aws_ecs_stop(void);
/* A copy of the cached credentials; -1 with a reason if there are none yet
 * or they expired. */
int aws_ecs_get(aws_creds *out, char *err, size_t errlen);
/* Parses the endpoint's JSON answer (public for tests and fuzzing). */
int aws_ecs_parse(const char *json, size_t len, aws_creds *out, time_t *expiration, char *err,
                  size_t errlen);

#endif
