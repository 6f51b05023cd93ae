/*
 * TLS contexts and TLS bufferevents (see tls.h).
 *
 * Upstream: TLS 1.2 or later, the peer's chain verified against ca_file or
 * the system store, and (verify_hostname, the default) its name checked
 * against the broker host turnout connects to, or server_name if given; an
 * IP literal is checked as an IP SAN and not sent as SNI. An optional client
 * certificate is presented. Client-facing: the listen_tls certificate, no
 * client certificate requested.
 */
#include "proxy/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/bufferevent_ssl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "proxy/log.h"

static int ssl_fail(char *err, size_t errlen, const char *field, const char *what)
{
	char ossl[200] = "no detail";
	unsigned long e = ERR_peek_last_error();
	if (e)
		ERR_error_string_n(e, ossl, sizeof(ossl));
	ERR_clear_error();
	snprintf(err, errlen, "%s: %s (%s)", field, what, ossl);
	return -1;
}

/* A file OpenSSL is about to read, checked first for a plain reason. */
static int readable(const char *path, const char *field, char *err, size_t errlen)
{
	if (access(path, R_OK) == 0)
		return 0;
	snprintf(err, errlen, "%s: %s: %s", field, path, strerror(errno));
	return -1;
}

int tls_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* Loads cert_file (a chain) and key_file into ctx; errors name
 * <where>.cert_file / <where>.key_file. */
static int load_cert_key(SSL_CTX *ctx, const char *where, const char *cert, const char *key,
                         char *err, size_t errlen)
{
	char f[160];
	snprintf(f, sizeof(f), "%.100s.cert_file", where);
	if (readable(cert, f, err, errlen))
		return -1;
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		return ssl_fail(err, errlen, f, "cannot load the certificate");
	snprintf(f, sizeof(f), "%.100s.key_file", where);
	if (readable(key, f, err, errlen))
		return -1;
	SSL_CTX_set_default_passwd_cb(ctx, tls_no_passphrase);
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		return ssl_fail(err, errlen, f,
		                "cannot load the key (encrypted keys are not supported) or it "
		                "does not match cert_file");
	return 0;
}

static SSL_CTX *client_ctx(const config_tls *t, const char *field, char *err, size_t errlen)
{
	char f[160];
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		ssl_fail(err, errlen, field, "cannot create a TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (t->ca_file) {
		snprintf(f, sizeof(f), "%s.ca_file", field);
		if (readable(t->ca_file, f, err, errlen))
			goto fail;
		if (SSL_CTX_load_verify_locations(ctx, t->ca_file, NULL) != 1) {
			ssl_fail(err, errlen, f, "cannot load CA certificates");
			goto fail;
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		ssl_fail(err, errlen, field, "cannot load the system trust store");
		goto fail;
	}
	if (t->cert_file && load_cert_key(ctx, field, t->cert_file, t->key_file, err, errlen))
		goto fail;
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

static SSL_CTX *server_ctx(const config_listen_tls *l, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		ssl_fail(err, errlen, "listen_tls", "cannot create a TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (load_cert_key(ctx, "listen_tls", l->cert_file, l->key_file, err, errlen))
		goto fail;
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

int tls_init(proxy *px, char *err, size_t errlen)
{
	for (int c = 0; c < CLUSTER_COUNT; c++) {
		const config_tls *t = px->cfg->clusters[c].tls;
		if (!t)
			continue;
		char field[64];
		snprintf(field, sizeof(field), "clusters.%s.tls", config_cluster_names[c]);
		if (!(px->tls_cluster[c] = client_ctx(t, field, err, errlen)))
			return -1;
	}
	if (px->cfg->listen_tls && !(px->tls_listen = server_ctx(px->cfg->listen_tls, err, errlen)))
		return -1;
	return 0;
}

void tls_free(proxy *px)
{
	for (int c = 0; c < CLUSTER_COUNT; c++) {
		SSL_CTX_free(px->tls_cluster[c]);
		px->tls_cluster[c] = NULL;
	}
	SSL_CTX_free(px->tls_listen);
	px->tls_listen = NULL;
}

static int is_ip(const char *s)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

struct bufferevent *tls_upstream_bev(proxy *px, int cluster, const char *host)
{
	SSL_CTX *ctx = px->tls_cluster[cluster];
	if (!ctx)
		return bufferevent_socket_new(px->base, -1, BEV_OPT_CLOSE_ON_FREE);
	const config_tls *t = px->cfg->clusters[cluster].tls;
	const char *name = t && t->server_name ? t->server_name : host;
	SSL *ssl = SSL_new(ctx);
	if (!ssl)
		return NULL;
	int ok = 1;
	if (!is_ip(name))
		ok &= SSL_set_tlsext_host_name(ssl, name) == 1;
	if (!t || t->verify_hostname) {
		if (is_ip(name))
			ok &= X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name) == 1;
		else
			ok &= SSL_set1_host(ssl, name) == 1;
	}
	if (!ok) {
		SSL_free(ssl);
		ERR_clear_error();
		return NULL;
	}
	struct bufferevent *bev = bufferevent_openssl_socket_new(
	    px->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (!bev) {
		SSL_free(ssl);
		return NULL;
	}
	/* a broker that closes without close_notify has still closed */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

struct bufferevent *tls_client_bev(proxy *px, evutil_socket_t fd)
{
	if (!px->tls_listen)
		return bufferevent_socket_new(px->base, fd, BEV_OPT_CLOSE_ON_FREE);
	SSL *ssl = SSL_new(px->tls_listen);
	if (!ssl)
		return NULL;
	struct bufferevent *bev = bufferevent_openssl_socket_new(
	    px->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (!bev) {
		SSL_free(ssl);
		return NULL;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

int tls_is_tls(struct bufferevent *bev)
{
	return bufferevent_openssl_get_ssl(bev) != NULL;
}

void tls_close_notify(struct bufferevent *bev)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	/* A socket BIO: the alert goes straight to the socket. A failure only
	 * means the peer sees a dirty shutdown, which brokers accept. */
	if (ssl && SSL_shutdown(ssl) < 0)
		ERR_clear_error();
}

void tls_describe_failure(struct bufferevent *bev, char *out, size_t outlen)
{
	int sockerr = EVUTIL_SOCKET_ERROR();
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	if (ssl) {
		long vr = SSL_get_verify_result(ssl);
		/* libevent keeps SSL_get_error()'s code, then the OpenSSL queue,
		 * and hands them back last first: the earliest queued error (the
		 * cause) comes out last among those with a library set. */
		unsigned long e, cause = 0, code = 0;
		while ((e = bufferevent_get_openssl_error(bev))) {
			if (ERR_GET_LIB(e))
				cause = e;
			else
				code = e;
		}
		if (vr != X509_V_OK) {
			snprintf(out, outlen, "TLS certificate verification failed: %s",
			         X509_verify_cert_error_string(vr));
			return;
		}
		if (cause) {
			char buf[200];
			ERR_error_string_n(cause, buf, sizeof(buf));
			snprintf(out, outlen, "TLS handshake failed: %s", buf);
			return;
		}
		if (code == SSL_ERROR_SSL ||
		    (code == SSL_ERROR_SYSCALL && !SSL_is_init_finished(ssl))) {
			snprintf(out, outlen, "TLS handshake failed: %s (state: %s)",
			         code == SSL_ERROR_SSL ? "protocol error"
			                               : "peer closed or I/O error",
			         SSL_state_string_long(ssl));
			return;
		}
	}
	snprintf(out, outlen, "%s", sockerr ? evutil_socket_error_to_string(sockerr) : "no detail");
}

void tls_describe_session(struct bufferevent *bev, char *out, size_t outlen)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	if (!ssl) {
		snprintf(out, outlen, "plaintext");
		return;
	}
	snprintf(out, outlen, "%s %s", SSL_get_version(ssl), SSL_get_cipher_name(ssl));
}
