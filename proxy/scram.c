/*
 * SCRAM client (see scram.h). The exchange, as the SASL layer drives it:
 *
 *   scram_start  -> client-first  "n,,n=<user>,r=<cnonce>"
 *   scram_final  <- server-first  "r=<cnonce+snonce>,s=<salt>,i=<n>"
 *                -> client-final  "c=biws,r=<nonce>,p=<ClientProof>"
 *   scram_verify <- server-final  "v=<ServerSignature>" (or "e=<error>")
 *
 * SaltedPassword = PBKDF2(password, salt, i); ClientKey = HMAC(SP, "Client
 * Key"); StoredKey = H(ClientKey); AuthMessage = client-first-bare + "," +
 * server-first + "," + client-final-without-proof; ClientProof = ClientKey
 * XOR HMAC(StoredKey, AuthMessage); ServerSignature = HMAC(HMAC(SP, "Server
 * Key"), AuthMessage). Key material lives on the stack and is wiped.
 */
#include "proxy/scram.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

static int fail(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s", what);
	return -1;
}

/* Standard base64 with padding; out must hold 4*ceil(n/3)+1. */
static size_t b64_encode(const unsigned char *in, size_t n, char *out)
{
	return (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

/* Strict decode: length a multiple of 4, padding only at the end. */
static int b64_decode(const char *in, size_t n, unsigned char *out, size_t outmax, size_t *outlen)
{
	if (n == 0 || n % 4 || n / 4 * 3 > outmax + 2)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = in[i];
		int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		         (c >= '0' && c <= '9') || c == '+' || c == '/' || (c == '=' && i >= n - 2);
		if (!ok || (i == n - 2 && c == '=' && in[n - 1] != '='))
			return -1;
	}
	unsigned char tmp[SCRAM_SALT_MAX + 4];
	if (n / 4 * 3 > sizeof(tmp))
		return -1;
	int got = EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)n);
	if (got < 0)
		return -1;
	size_t len = (size_t)got - (in[n - 1] == '=') - (in[n - 2] == '=');
	if (len > outmax)
		return -1;
	memcpy(out, tmp, len);
	*outlen = len;
	return 0;
}

char *scram_saslname(const char *user)
{
	size_t n = 0;
	for (const char *p = user; *p; p++)
		n += (*p == ',' || *p == '=') ? 3 : 1;
	char *out = malloc(n + 1), *o = out;
	if (!out)
		return NULL;
	for (const char *p = user; *p; p++) {
		if (*p == ',' || *p == '=') {
			memcpy(o, *p == ',' ? "=2C" : "=3D", 3);
			o += 3;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}

int scram_start(scram *s, int sha512, const char *user, const char *password, const char *nonce,
                char **out, size_t *outlen, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->md = sha512 ? EVP_sha512() : EVP_sha256();
	s->hlen = (size_t)EVP_MD_get_size(s->md);
	char rnd_text[33];
	if (!nonce) {
		unsigned char rnd[24];
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			return fail(err, errlen, "no random bytes for the SCRAM nonce");
		b64_encode(rnd, sizeof(rnd), rnd_text);
		nonce = rnd_text;
	}
	char *name = scram_saslname(user);
	s->password = strdup(password);
	size_t n = name ? strlen(name) + strlen(nonce) + 6 : 0;
	s->client_first_bare = name ? malloc(n + 1) : NULL;
	*out = malloc(n + 4);
	if (!name || !s->password || !s->client_first_bare || !*out) {
		free(name);
		free(*out);
		*out = NULL;
		scram_clear(s);
		return fail(err, errlen, "out of memory");
	}
	snprintf(s->client_first_bare, n + 1, "n=%s,r=%s", name, nonce);
	s->cnonce_len = strlen(nonce);
	*outlen = (size_t)snprintf(*out, n + 4, "n,,%s", s->client_first_bare);
	free(name);
	s->step = 1;
	return 0;
}

int scram_parse_server_first(const char *msg, size_t len, const char *cnonce, size_t cnonce_len,
                             scram_server_first *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (len && memchr(msg, '\0', len))
		return fail(err, errlen, "server-first contains a NUL byte");
	if (len >= 2 && msg[0] == 'm' && msg[1] == '=')
		return fail(err, errlen, "server-first asks for a mandatory extension (m=)");
	/* attributes in the order RFC 5802 fixes: r, s, i, then extensions */
	const char *p = msg, *end = msg + len;
	const char *val[3];
	size_t vlen[3];
	static const char names[3] = {'r', 's', 'i'};
	for (int k = 0; k < 3; k++) {
		if (end - p < 2 || p[0] != names[k] || p[1] != '=') {
			snprintf(err, errlen, "server-first: expected %c= at offset %zu", names[k],
			         (size_t)(p - msg));
			return -1;
		}
		p += 2;
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *e = comma ? comma : end;
		val[k] = p;
		vlen[k] = (size_t)(e - p);
		p = comma ? comma + 1 : end;
		if (!comma && k < 2)
			return fail(err, errlen, "server-first: truncated");
	}
	for (size_t i = 0; i < vlen[0]; i++)
		if (val[0][i] < 0x21 || val[0][i] > 0x7e)
			return fail(err, errlen, "server-first: nonce has a non-printable byte");
	if (vlen[0] <= cnonce_len || vlen[0] > SCRAM_NONCE_MAX ||
	    memcmp(val[0], cnonce, cnonce_len) != 0)
		return fail(err, errlen, "server-first: nonce does not extend the client nonce");
	if (b64_decode(val[1], vlen[1], out->salt, sizeof(out->salt), &out->salt_len) ||
	    out->salt_len == 0)
		return fail(err, errlen, "server-first: salt is not valid base64");
	long it = 0;
	if (vlen[2] == 0 || vlen[2] > 9)
		return fail(err, errlen, "server-first: bad iteration count");
	for (size_t i = 0; i < vlen[2]; i++) {
		if (val[2][i] < '0' || val[2][i] > '9')
			return fail(err, errlen, "server-first: bad iteration count");
		it = it * 10 + (val[2][i] - '0');
	}
	if (it < SCRAM_MIN_ITERATIONS || it > SCRAM_MAX_ITERATIONS) {
		snprintf(err, errlen, "server-first: iteration count %ld outside %d..%d", it,
		         SCRAM_MIN_ITERATIONS, SCRAM_MAX_ITERATIONS);
		return -1;
	}
	out->nonce = val[0];
	out->nonce_len = vlen[0];
	out->iterations = (int)it;
	return 0;
}

int scram_parse_server_final(const char *msg, size_t len, unsigned char *sig, size_t *siglen,
                             char *err, size_t errlen)
{
	if (len >= 2 && msg[0] == 'e' && msg[1] == '=') {
		size_t n = len - 2;
		const char *comma = memchr(msg + 2, ',', n);
		if (comma)
			n = (size_t)(comma - msg - 2);
		char safe[80];
		size_t k = 0;
		for (size_t i = 0; i < n && k + 1 < sizeof(safe); i++)
			safe[k++] = (msg[2 + i] >= 0x20 && msg[2 + i] < 0x7f && msg[2 + i] != '"')
			                ? msg[2 + i]
			                : '?';
		safe[k] = '\0';
		snprintf(err, errlen, "server-final reports error: %s", safe);
		return -1;
	}
	if (len < 2 || msg[0] != 'v' || msg[1] != '=')
		return fail(err, errlen, "server-final: expected v= or e=");
	const char *comma = memchr(msg + 2, ',', len - 2);
	size_t n = comma ? (size_t)(comma - msg - 2) : len - 2;
	if (b64_decode(msg + 2, n, sig, EVP_MAX_MD_SIZE, siglen))
		return fail(err, errlen, "server-final: signature is not valid base64");
	return 0;
}

static int hmac(const EVP_MD *md, const void *key, size_t klen, const void *msg, size_t mlen,
                unsigned char *out)
{
	unsigned int n = 0;
	return HMAC(md, key, (int)klen, msg, mlen, out, &n) ? 0 : -1;
}

int scram_final(scram *s, const char *msg, size_t len, char **out, size_t *outlen, char *err,
                size_t errlen)
{
	*out = NULL;
	if (s->step != 1)
		return fail(err, errlen, "SCRAM exchange out of order");
	scram_server_first sf;
	const char *cnonce = s->client_first_bare + strlen(s->client_first_bare) - s->cnonce_len;
	if (scram_parse_server_first(msg, len, cnonce, s->cnonce_len, &sf, err, errlen))
		return -1;
	unsigned char salted[EVP_MAX_MD_SIZE], ckey[EVP_MAX_MD_SIZE], stored[EVP_MAX_MD_SIZE],
	    csig[EVP_MAX_MD_SIZE], skey[EVP_MAX_MD_SIZE];
	int rc = -1;
	/* client-final-without-proof, then ",p=" and the proof appended */
	size_t wlen = 9 + sf.nonce_len;
	size_t cap = wlen + 3 + 4 * ((s->hlen + 2) / 3) + 1;
	char *final = malloc(cap);
	size_t amlen = strlen(s->client_first_bare) + 1 + len + 1 + wlen;
	s->auth_message = malloc(amlen + 1);
	if (!final || !s->auth_message) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	snprintf(final, cap, "c=biws,r=%.*s", (int)sf.nonce_len, sf.nonce);
	snprintf(s->auth_message, amlen + 1, "%s,%.*s,%s", s->client_first_bare, (int)len, msg,
	         final);
	if (PKCS5_PBKDF2_HMAC(s->password, (int)strlen(s->password), sf.salt, (int)sf.salt_len,
	                      sf.iterations, s->md, (int)s->hlen, salted) != 1 ||
	    hmac(s->md, salted, s->hlen, "Client Key", 10, ckey) ||
	    EVP_Digest(ckey, s->hlen, stored, NULL, s->md, NULL) != 1 ||
	    hmac(s->md, stored, s->hlen, s->auth_message, amlen, csig) ||
	    hmac(s->md, salted, s->hlen, "Server Key", 10, skey) ||
	    hmac(s->md, skey, s->hlen, s->auth_message, amlen, s->server_signature)) {
		fail(err, errlen, "SCRAM key derivation failed");
		goto out;
	}
	for (size_t i = 0; i < s->hlen; i++)
		ckey[i] ^= csig[i]; /* ckey now holds the ClientProof */
	memcpy(final + wlen, ",p=", 3);
	size_t plen = b64_encode(ckey, s->hlen, final + wlen + 3);
	*outlen = wlen + 3 + plen;
	*out = final;
	final = NULL;
	s->step = 2;
	rc = 0;
out:
	OPENSSL_cleanse(salted, sizeof(salted));
	OPENSSL_cleanse(ckey, sizeof(ckey));
	OPENSSL_cleanse(stored, sizeof(stored));
	OPENSSL_cleanse(csig, sizeof(csig));
	OPENSSL_cleanse(skey, sizeof(skey));
	free(final);
	return rc;
}

int scram_verify(scram *s, const char *msg, size_t len, char *err, size_t errlen)
{
	if (s->step != 2)
		return fail(err, errlen, "SCRAM exchange out of order");
	unsigned char sig[EVP_MAX_MD_SIZE];
	size_t n = 0;
	if (scram_parse_server_final(msg, len, sig, &n, err, errlen))
		return -1;
	if (n != s->hlen || CRYPTO_memcmp(sig, s->server_signature, n) != 0)
		return fail(err, errlen,
		            "server signature does not match: the broker does not know the "
		            "password (or is not the broker)");
	s->step = 3;
	return 0;
}

void scram_clear(scram *s)
{
	if (s->password) {
		OPENSSL_cleanse(s->password, strlen(s->password));
		free(s->password);
	}
	free(s->client_first_bare);
	free(s->auth_message);
	OPENSSL_cleanse(s, sizeof(*s));
}
