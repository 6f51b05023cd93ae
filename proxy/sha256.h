/*
 * SHA-256 (FIPS 180-4), self-contained. turnout hashes its configuration
 * text at every load and the admin bearer token at every request; doing
 * that through OpenSSL's EVP layer loads openssl.cnf and the default
 * provider and leaves about 2 MiB of libcrypto resident in a sidecar that
 * may never speak TLS. TLS, SCRAM and SigV4 keep using OpenSSL.
 */
#ifndef TURNOUT_PROXY_SHA256_H
#define TURNOUT_PROXY_SHA256_H

#include <stddef.h>
#include <stdint.h>

enum { SHA256_LEN = 32 };

/* out = SHA-256 of the n bytes at data (data may be NULL when n is 0). */
void sha256(const void *data, size_t n, uint8_t out[SHA256_LEN]);

#endif
