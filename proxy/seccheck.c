/*
 * Secret checks for `turnout run --check` (see seccheck.h).
 *
 *   config -> each cluster's tls   -> ca_file / cert_file / key_file: open,
 *                                     regular file, PEM parse, key matches
 *          -> each cluster's sasl  -> sasl_check_credentials (the start-up
 *                                     check the proxy itself runs)
 *          -> listen_tls           -> cert_file / key_file as above
 *          -> problems, one line each, into the caller's buffer
 *
 * Everything is read with OpenSSL's PEM readers into objects that are freed
 * at once; nothing read is ever copied into a message. An encrypted key is
 * reported rather than prompted for (the passphrase callback refuses).
 */
#include "proxy/seccheck.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "proxy/sasl.h"
#include "routing/cfgjson.h"

typedef struct report {
	char *out;
	size_t outlen, used;
	int problems;
	int checked;
} report;

static void problem(report *r, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void problem(report *r, const char *field, const char *fmt, ...)
{
	r->problems++;
	if (r->used + 1 >= r->outlen)
		return;
	int n = snprintf(r->out + r->used, r->outlen - r->used, "%s: ", field);
	if (n > 0)
		r->used += (size_t)n < r->outlen - r->used ? (size_t)n : r->outlen - r->used - 1;
	va_list ap;
	va_start(ap, fmt);
	n = vsnprintf(r->out + r->used, r->outlen - r->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		r->used += (size_t)n < r->outlen - r->used ? (size_t)n : r->outlen - r->used - 1;
	if (r->used + 1 < r->outlen) {
		r->out[r->used++] = '\n';
		r->out[r->used] = '\0';
	}
}

/* Opens path for a PEM reader; NULL after reporting why. */
static BIO *open_pem(report *r, const char *field, const char *path)
{
	r->checked++;
	FILE *f = fopen(path, "rb");
	if (!f) {
		problem(r, field, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
		problem(r, field, "%s: not a regular file", path);
		fclose(f);
		return NULL;
	}
	BIO *b = BIO_new_fp(f, BIO_CLOSE);
	if (!b) {
		problem(r, field, "%s: out of memory", path);
		fclose(f);
	}
	return b;
}

/* Refuses to decrypt: turnout has no way to ask for a passphrase. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

/* The number of certificates in a CA bundle; reports an empty or broken one. */
static void check_ca(report *r, const char *field, const char *path)
{
	BIO *b = open_pem(r, field, path);
	if (!b)
		return;
	STACK_OF(X509_INFO) *infos = PEM_X509_INFO_read_bio(b, NULL, no_passphrase, NULL);
	int certs = 0;
	for (int i = 0; infos && i < sk_X509_INFO_num(infos); i++)
		if (sk_X509_INFO_value(infos, i)->x509)
			certs++;
	if (!infos)
		problem(r, field, "%s: not a PEM file of CA certificates", path);
	else if (!certs)
		problem(r, field, "%s: no PEM certificate in the file", path);
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	BIO_free(b);
	ERR_clear_error();
}

/* The first certificate of a chain file (the leaf), or NULL after a report. */
static X509 *check_cert(report *r, const char *field, const char *path)
{
	BIO *b = open_pem(r, field, path);
	if (!b)
		return NULL;
	X509 *x = PEM_read_bio_X509(b, NULL, no_passphrase, NULL);
	BIO_free(b);
	ERR_clear_error();
	if (!x) {
		problem(r, field, "%s: no PEM certificate in the file", path);
		return NULL;
	}
	if (X509_cmp_current_time(X509_get0_notAfter(x)) < 0)
		problem(r, field, "%s: the certificate has expired", path);
	else if (X509_cmp_current_time(X509_get0_notBefore(x)) > 0)
		problem(r, field, "%s: the certificate is not valid yet", path);
	return x;
}

/* The private key; checked against cert when that loaded. */
static void check_key(report *r, const char *field, const char *path, X509 *cert,
                      const char *cert_field)
{
	BIO *b = open_pem(r, field, path);
	if (!b)
		return;
	EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL);
	BIO_free(b);
	ERR_clear_error();
	if (!k) {
		problem(r, field,
		        "%s: no unencrypted PEM private key in the file (encrypted keys are not "
		        "supported)",
		        path);
		return;
	}
	if (cert && X509_check_private_key(cert, k) != 1)
		problem(r, field, "%s: the key does not belong to the certificate in %s", path,
		        cert_field);
	ERR_clear_error();
	EVP_PKEY_free(k);
}

static void check_pair(report *r, const char *where, const char *cert_file, const char *key_file)
{
	char fc[160], fk[160];
	snprintf(fc, sizeof(fc), "%s.cert_file", where);
	snprintf(fk, sizeof(fk), "%s.key_file", where);
	X509 *x = check_cert(r, fc, cert_file);
	check_key(r, fk, key_file, x, fc);
	X509_free(x);
}

static void check_sasl(report *r, const char *where, const config_sasl *s)
{
	char err[600];
	r->checked++;
	if (s->password_file) {
		struct stat st;
		if (stat(s->password_file, &st) == 0 && !S_ISREG(st.st_mode)) {
			problem(r, where, "password_file %s: not a regular file", s->password_file);
			return;
		}
	}
	/* the proxy's own start-up check, so --check and start agree */
	if (sasl_check_credentials(s, err, sizeof(err)))
		problem(r, where, "%s", err);
}

int seccheck_config(const config *cfg, char *out, size_t outlen, int *checked)
{
	report r = {.out = out, .outlen = outlen};
	if (outlen)
		out[0] = '\0';
	for (int c = 0; c < CLUSTER_COUNT; c++) {
		const config_cluster *cl = &cfg->clusters[c];
		char where[96], f[128];
		if (cl->tls) {
			snprintf(where, sizeof(where), "clusters.%s.tls", config_cluster_names[c]);
			if (cl->tls->ca_file) {
				snprintf(f, sizeof(f), "%s.ca_file", where);
				check_ca(&r, f, cl->tls->ca_file);
			}
			if (cl->tls->cert_file && cl->tls->key_file)
				check_pair(&r, where, cl->tls->cert_file, cl->tls->key_file);
		}
		if (cl->sasl) {
			snprintf(where, sizeof(where), "clusters.%s.sasl", config_cluster_names[c]);
			check_sasl(&r, where, cl->sasl);
		}
	}
	if (cfg->listen_tls)
		check_pair(&r, "listen_tls", cfg->listen_tls->cert_file, cfg->listen_tls->key_file);
	if (checked)
		*checked = r.checked;
	return r.problems;
}
