/*
 * The admin server's optional bearer token (admin.token_file): reading the
 * token file and checking a request's Authorization header against it in
 * constant time. Pure functions apart from admin_auth_load's read.
 */
#ifndef TURNOUT_PROXY_ADMIN_AUTH_H
#define TURNOUT_PROXY_ADMIN_AUTH_H

#include <stddef.h>

enum { ADMIN_TOKEN_MAX = 4096 };

/* The token in a token file's bytes: one trailing "\n" or "\r\n" is
 * dropped; it must be 1..ADMIN_TOKEN_MAX printable ASCII characters
 * without spaces. 0 ok (tok NUL-terminated, *len set), -1 with err. */
int admin_auth_parse(const char *buf, size_t n, char *tok, size_t cap, size_t *len, char *err,
                     size_t errlen);
/* Reads and parses path; tok must hold ADMIN_TOKEN_MAX + 1 bytes. */
int admin_auth_load(const char *path, char *tok, size_t *len, char *err, size_t errlen);

/* 1 when header is "Bearer <token>" (scheme case-insensitive) with exactly
 * tok; 0 otherwise, including a NULL header. The comparison takes the same
 * time wherever the first difference is. */
int admin_auth_check(const char *header, const char *tok, size_t toklen);

#endif
