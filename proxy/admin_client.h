/*
 * A one-shot HTTP client for turnout's admin server, used by `turnout
 * status` and `turnout reload`: libevent's evhttp on a private event base,
 * so the response is parsed by the same library that serves it.
 */
#ifndef TURNOUT_PROXY_ADMIN_CLIENT_H
#define TURNOUT_PROXY_ADMIN_CLIENT_H

#include <stddef.h>

#define ADMIN_DEFAULT_ADDR "127.0.0.1:9644"

/*
 * Sends method ("GET"/"POST") path to addr ("host:port", optionally with
 * "http://" in front). token_file, if not NULL, supplies a bearer token.
 * On success returns 0 with *status and *body (malloc'd, NUL-terminated);
 * on failure -1 with err.
 */
int admin_client_request(const char *addr, const char *method, const char *path,
                         const char *token_file, int timeout_s, int *status, char **body, char *err,
                         size_t errlen);

#endif
