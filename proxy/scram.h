/*
 * SCRAM-SHA-256 / SCRAM-SHA-512 client (RFC 5802, RFC 7677) as Kafka speaks
 * it: gs2 header "n,,", no channel binding, no SASLprep (Kafka's
 * ScramFormatter uses the password's UTF-8 bytes as they are).
 */
#ifndef TURNOUT_PROXY_SCRAM_H
#define TURNOUT_PROXY_SCRAM_H

#include <stddef.h>

#include <openssl/evp.h>

enum {
	SCRAM_MIN_ITERATIONS = 4096,  /* RFC 7677 and Kafka's minimum */
	SCRAM_MAX_ITERATIONS = 16384, /* Kafka's maximum; bounds the work a server can ask for */
	SCRAM_NONCE_MAX = 256,
	SCRAM_SALT_MAX = 256,
};

typedef struct scram {
	const EVP_MD *md;
	size_t hlen;                                     /* digest size */
	char *password;                                  /* wiped on scram_clear */
	char *client_first_bare;                         /* "n=<saslname>,r=<cnonce>" */
	size_t cnonce_len;                               /* its nonce is the tail of that string */
	char *auth_message;                              /* for the server signature */
	unsigned char server_signature[EVP_MAX_MD_SIZE]; /* what server-final must carry */
	int step; /* 0 nothing sent, 1 client-first sent, 2 client-final sent, 3 verified */
} scram;

/* A parsed server-first-message; pointers into the message. */
typedef struct scram_server_first {
	const char *nonce; /* combined nonce (ours + the server's) */
	size_t nonce_len;
	unsigned char salt[SCRAM_SALT_MAX];
	size_t salt_len;
	int iterations;
} scram_server_first;

/* Starts an exchange and writes the client-first-message ("n,,n=...,r=...")
 * into a malloc'd *out. nonce NULL = random (RAND_bytes); tests pass one. */
int scram_start(scram *s, int sha512, const char *user, const char *password, const char *nonce,
                char **out, size_t *outlen, char *err, size_t errlen);
/* Takes the server-first-message, writes the client-final-message. */
int scram_final(scram *s, const char *msg, size_t len, char **out, size_t *outlen, char *err,
                size_t errlen);
/* Checks the server-final-message's signature; fails on e=... or mismatch. */
int scram_verify(scram *s, const char *msg, size_t len, char *err, size_t errlen);
void scram_clear(scram *s);

/* The parsers, public for tests and fuzzing. cnonce: our nonce, which the
 * combined nonce must extend. */
int scram_parse_server_first(const char *msg, size_t len, const char *cnonce, size_t cnonce_len,
                             scram_server_first *out, char *err, size_t errlen);
/* Writes the decoded v= signature into sig (at most EVP_MAX_MD_SIZE bytes). */
int scram_parse_server_final(const char *msg, size_t len, unsigned char *sig, size_t *siglen,
                             char *err, size_t errlen);
/* RFC 5802 saslname: ',' -> "=2C", '=' -> "=3D". Returns malloc'd text. */
char *scram_saslname(const char *user);

#endif
