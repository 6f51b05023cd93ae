/*
 * Bearer token checking for the admin server (see admin_auth.h). Both the
 * expected and the presented token are hashed with SHA-256 (proxy/sha256.c,
 * not OpenSSL, which would load its providers) and the digests
 * compared with CRYPTO_memcmp, so neither the position of the first wrong
 * byte nor the token's length shows in the time taken.
 */
#include "proxy/admin_auth.h"

#include "proxy/sha256.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int admin_auth_parse(const char *buf, size_t n, char *tok, size_t cap, size_t *len, char *err,
                     size_t errlen)
{
	if (n && buf[n - 1] == '\n')
		n--;
	if (n && buf[n - 1] == '\r')
		n--;
	if (n == 0) {
		snprintf(err, errlen, "token file is empty");
		return -1;
	}
	if (n > ADMIN_TOKEN_MAX || n + 1 > cap) {
		snprintf(err, errlen, "token longer than %d bytes", ADMIN_TOKEN_MAX);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)buf[i] <= 0x20 || (unsigned char)buf[i] >= 0x7f) {
			snprintf(err, errlen,
			         "token must be printable ASCII without spaces (byte %zu)", i);
			return -1;
		}
	memcpy(tok, buf, n);
	tok[n] = '\0';
	*len = n;
	return 0;
}

int admin_auth_load(const char *path, char *tok, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "admin.token_file %s: cannot open", path);
		return -1;
	}
	char buf[ADMIN_TOKEN_MAX + 3];
	size_t n = fread(buf, 1, sizeof(buf), f);
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		snprintf(err, errlen, "admin.token_file %s: read error", path);
		return -1;
	}
	char why[160];
	if (admin_auth_parse(buf, n, tok, ADMIN_TOKEN_MAX + 1, len, why, sizeof(why))) {
		snprintf(err, errlen, "admin.token_file %s: %s", path, why);
		return -1;
	}
	return 0;
}

int admin_auth_check(const char *header, const char *tok, size_t toklen)
{
	if (!header || strncasecmp(header, "Bearer ", 7) != 0)
		return 0;
	const char *p = header + 7;
	while (*p == ' ')
		p++;
	size_t n = strlen(p);
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	uint8_t want[SHA256_LEN], got[SHA256_LEN];
	sha256(tok, toklen, want);
	sha256(p, n, got);
	return CRYPTO_memcmp(want, got, sizeof(want)) == 0 && n > 0;
}
