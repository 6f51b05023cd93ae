/*
 * `turnout inject-webhook`: the HTTPS mutating admission webhook.
 *
 *   accept -> bufferevent_openssl (TLS handshake) -> evhttp parses the request
 *     POST /mutate  -> inject_review() -> 200 AdmissionReview JSON
 *     GET /healthz, /readyz -> 200 "ok" (the webhook Deployment's probes)
 *
 * evhttp reads whole bodies, bounded at twice --max-body-bytes; between the
 * two limits inject_review answers "allowed" without parsing, above it
 * evhttp itself answers 413 and closes. Either way the API server admits
 * the Pod unchanged (failurePolicy Ignore). The TLS certificate and key are
 * re-read when their files change (cert-manager or the chart rotates the
 * Secret behind a mounted volume); connections in progress keep the context
 * they started with, which OpenSSL reference-counts. SIGTERM keeps serving
 * for --drain-ms so the API server stops calling this replica first.
 */
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "proxy/commands.h"
#include "proxy/inject.h"
#include "proxy/inject_review.h"
#include "proxy/log.h"
#include "proxy/tls.h"

typedef struct file_sig {
	long long mtime_ns, size, ino; /* what changes when a mounted Secret is updated */
} file_sig;

typedef struct webhook {
	struct event_base *base;
	struct evhttp *http;
	SSL_CTX *ssl;          /* context for new connections; swapped on reload */
	const char *cert_path; /* PEM chain */
	const char *key_path;  /* PEM key */
	file_sig cert_sig, key_sig;
	struct event *reload_timer;
	struct event *sigterm, *sigint;
	int drain_ms;    /* keep serving this long after SIGTERM */
	int reload_ms;   /* how often the certificate files are checked */
	int stopping;    /* SIGTERM seen */
	size_t max_body; /* larger bodies are answered without being parsed */
	inject_opts opts;
} webhook;

static void usage(FILE *f)
{
	fprintf(
	    f, "usage: turnout inject-webhook --tls-cert FILE --tls-key FILE --image IMAGE "
	       "[options]\n\n"
	       "Serves the sidecar-injecting mutating admission webhook over HTTPS.\n\n"
	       "  --listen HOST:PORT       address to serve on (default 0.0.0.0:8443)\n"
	       "  --tls-cert FILE          certificate chain (PEM), re-read when it changes\n"
	       "  --tls-key FILE           private key (PEM)\n"
	       "  --namespace NS           the webhook's own namespace (never injected)\n"
	       "  --max-body-bytes N       larger requests are allowed unpatched (default "
	       "8388608)\n"
	       "  --drain-ms N             keep serving after SIGTERM (default 5000)\n"
	       "  --log-level LEVEL        error, warn, info (default), debug\n" INJECT_OPTS_USAGE);
}

static void log_tls_error(const char *what)
{
	char buf[256];
	unsigned long e = ERR_get_error();
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	log_error("event=tls_error what=\"%s\" reason=\"%s\"", what, e ? buf : "unknown");
}

static SSL_CTX *tls_load(const char *cert, const char *key)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		log_tls_error("SSL_CTX_new");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		log_tls_error("load certificate");
		goto fail;
	}
	SSL_CTX_set_default_passwd_cb(ctx, tls_no_passphrase);
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		log_tls_error("load private key (encrypted keys are not supported)");
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		log_tls_error("key does not match certificate");
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

static file_sig sig_of(const char *path)
{
	struct stat st;
	file_sig s = {0, -1, 0};
	if (stat(path, &st) == 0) {
		s.mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
		s.size = (long long)st.st_size;
		s.ino = (long long)st.st_ino;
	}
	return s;
}

static int sig_eq(file_sig a, file_sig b)
{
	return a.mtime_ns == b.mtime_ns && a.size == b.size && a.ino == b.ino;
}

/* Timer: reload the certificate when either file changed. A bad new pair
 * keeps the old context (and is reported once per change). */
static void on_reload_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	webhook *w = arg;
	file_sig c = sig_of(w->cert_path), k = sig_of(w->key_path);
	if (sig_eq(c, w->cert_sig) && sig_eq(k, w->key_sig))
		return;
	w->cert_sig = c;
	w->key_sig = k;
	SSL_CTX *ctx = tls_load(w->cert_path, w->key_path);
	if (!ctx) {
		log_warn("event=tls_reload_failed reason=\"keeping the previous certificate\"");
		return;
	}
	SSL_CTX_free(w->ssl); /* live SSL objects hold their own reference */
	w->ssl = ctx;
	log_info("event=tls_reloaded cert=%s", w->cert_path);
}

/* evhttp asks for each accepted connection's bufferevent. On NULL it would
 * fall back to plain TCP; that can only happen when out of memory, and a
 * TLS client then gets an HTTP 400 for its ClientHello, nothing more. */
static struct bufferevent *on_connection(struct event_base *base, void *arg)
{
	webhook *w = arg;
	SSL *ssl = SSL_new(w->ssl);
	if (!ssl) {
		log_tls_error("SSL_new");
		return NULL;
	}
	struct bufferevent *bev = bufferevent_openssl_socket_new(
	    base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (!bev) {
		SSL_free(ssl);
		log_error("event=accept_failed reason=\"no bufferevent\"");
		return NULL;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

static void free_body(const void *data, size_t len, void *arg)
{
	(void)len;
	(void)arg;
	free((void *)data);
}

static void send_text(struct evhttp_request *req, int code, const char *reason, const char *text)
{
	struct evbuffer *b = evbuffer_new();
	if (!b) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain");
	evbuffer_add(b, text, strlen(text));
	evhttp_send_reply(req, code, reason, b);
	evbuffer_free(b);
}

static void on_mutate(struct evhttp_request *req, void *arg)
{
	webhook *w = arg;
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		send_text(req, 405, "Method Not Allowed", "POST an AdmissionReview\n");
		return;
	}
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	/* a body over the limit is answered without being made contiguous */
	const char *body = "";
	if (len && len <= w->max_body)
		body = (const char *)evbuffer_pullup(in, -1);
	if (!body) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	char logbuf[1024];
	inject_outcome outcome;
	char *out =
	    inject_review(body, len, w->max_body, &w->opts, &outcome, logbuf, sizeof(logbuf));
	struct evbuffer *b = out ? evbuffer_new() : NULL;
	if (!b || evbuffer_add_reference(b, out, strlen(out), free_body, NULL)) {
		log_error("event=admission result=failed reason=\"out of memory\"");
		free(out);
		if (b)
			evbuffer_free(b);
		evhttp_send_error(req, 500, NULL);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	                  "application/json");
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
	/* Pods that never asked are the common case in an opted-in namespace. */
	if (outcome == INJECT_OUT_SKIPPED)
		log_debug("event=admission bytes=%zu %s", len, logbuf);
	else if (outcome == INJECT_OUT_PATCHED)
		log_info("event=admission bytes=%zu %s", len, logbuf);
	else
		log_warn("event=admission bytes=%zu %s", len, logbuf);
}

static void on_health(struct evhttp_request *req, void *arg)
{
	webhook *w = arg;
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		send_text(req, 405, "Method Not Allowed", "GET only\n");
		return;
	}
	/* readiness drops while draining so the Service stops routing here */
	if (w->stopping && strcmp(evhttp_request_get_uri(req), "/readyz") == 0)
		send_text(req, 503, "Service Unavailable", "stopping\n");
	else
		send_text(req, 200, "OK", "ok\n");
}

static void on_other(struct evhttp_request *req, void *arg)
{
	(void)arg;
	send_text(req, 404, "Not Found", "not found\n");
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	webhook *w = arg;
	if (w->stopping) /* a second signal: stop now */
		event_base_loopbreak(w->base);
	w->stopping = 1;
	log_info("event=stopping signal=%d drain_ms=%d", (int)sig, w->drain_ms);
	struct timeval tv = {w->drain_ms / 1000, (w->drain_ms % 1000) * 1000};
	event_base_loopexit(w->base, &tv);
}

static int parse_size(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* Parses argv into w and the listen address; 0 ok, 2 usage error. */
static int parse_args(webhook *w, int argc, char **argv, char **host, int *port)
{
	const char *listen = "0.0.0.0:8443";
	long max_body = 8L << 20, drain = 5000, reload = 10000;
	for (int i = 1; i < argc; i++) {
		char err[160];
		int r = inject_opts_flag(&w->opts, argc, argv, &i, err, sizeof(err));
		if (r < 0) {
			fprintf(stderr, "turnout inject-webhook: %s\n", err);
			return 2;
		}
		if (r > 0)
			continue;
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			exit(0);
		}
		if (!v) {
			fprintf(stderr,
			        "turnout inject-webhook: unknown argument or missing value: %s\n",
			        a);
			return 2;
		}
		i++;
		if (strcmp(a, "--listen") == 0) {
			listen = v;
		} else if (strcmp(a, "--tls-cert") == 0) {
			w->cert_path = v;
		} else if (strcmp(a, "--tls-key") == 0) {
			w->key_path = v;
		} else if (strcmp(a, "--namespace") == 0) {
			w->opts.self_namespace = v;
		} else if (strcmp(a, "--max-body-bytes") == 0) {
			if (parse_size(v, 4096, 256L << 20, &max_body)) {
				fprintf(stderr,
				        "turnout inject-webhook: --max-body-bytes: 4096..256Mi\n");
				return 2;
			}
		} else if (strcmp(a, "--drain-ms") == 0) {
			if (parse_size(v, 0, 600000, &drain)) {
				fprintf(stderr, "turnout inject-webhook: --drain-ms: 0..600000\n");
				return 2;
			}
		} else if (strcmp(a, "--tls-reload-ms") == 0) {
			if (parse_size(v, 100, 3600000, &reload)) {
				fprintf(stderr,
				        "turnout inject-webhook: --tls-reload-ms: 100..3600000\n");
				return 2;
			}
		} else if (strcmp(a, "--log-level") == 0) {
			if (log_parse_level(v, &log_threshold)) {
				fprintf(stderr, "turnout inject-webhook: bad --log-level %s\n", v);
				return 2;
			}
		} else {
			fprintf(stderr, "turnout inject-webhook: unknown argument %s\n", a);
			return 2;
		}
	}
	if (!w->cert_path || !w->key_path || !w->opts.image || !*w->opts.image) {
		usage(stderr);
		return 2;
	}
	w->max_body = (size_t)max_body;
	w->drain_ms = (int)drain;
	w->reload_ms = (int)reload;
	const char *colon = strrchr(listen, ':');
	long p;
	if (!colon || colon == listen || parse_size(colon + 1, 0, 65535, &p)) {
		fprintf(stderr, "turnout inject-webhook: --listen wants HOST:PORT\n");
		return 2;
	}
	*host = strndup(listen, (size_t)(colon - listen));
	*port = (int)p;
	return *host ? 0 : 1;
}

static void log_bound(struct evhttp_bound_socket *bound, const char *host)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int port = 0;
	if (getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET)
			port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else if (ss.ss_family == AF_INET6)
			port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	log_info("event=listening addr=%s:%d", host, port);
}

int cmd_inject_webhook(int argc, char **argv)
{
	webhook w;
	memset(&w, 0, sizeof(w));
	inject_opts_init(&w.opts, NULL);
	char *host = NULL;
	int port = 0, rc = parse_args(&w, argc, argv, &host, &port);
	if (rc)
		return rc;
	rc = 1;
	signal(SIGPIPE, SIG_IGN);
	w.cert_sig = sig_of(w.cert_path);
	w.key_sig = sig_of(w.key_path);
	w.ssl = tls_load(w.cert_path, w.key_path);
	if (!w.ssl)
		goto done;
	w.base = event_base_new();
	w.http = w.base ? evhttp_new(w.base) : NULL;
	if (!w.http) {
		log_error("event=init_failed reason=\"no event base\"");
		goto done;
	}
	evhttp_set_bevcb(w.http, on_connection, &w);
	evhttp_set_timeout(w.http, 10);
	evhttp_set_max_headers_size(w.http, 16384);
	/* bodies up to 2x are read so they get an AdmissionReview answer */
	evhttp_set_max_body_size(w.http, (ev_ssize_t)(2 * w.max_body));
	evhttp_set_flags(w.http, EVHTTP_SERVER_LINGERING_CLOSE);
	evhttp_set_allowed_methods(w.http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_cb(w.http, "/mutate", on_mutate, &w);
	evhttp_set_cb(w.http, "/healthz", on_health, &w);
	evhttp_set_cb(w.http, "/readyz", on_health, &w);
	evhttp_set_gencb(w.http, on_other, &w);
	struct evhttp_bound_socket *bound = evhttp_bind_socket_with_handle(w.http, host, port);
	if (!bound) {
		log_error("event=listen_failed addr=%s:%d", host, port);
		goto done;
	}
	struct timeval every = {w.reload_ms / 1000, (w.reload_ms % 1000) * 1000};
	w.reload_timer = event_new(w.base, -1, EV_PERSIST, on_reload_timer, &w);
	w.sigterm = evsignal_new(w.base, SIGTERM, on_signal, &w);
	w.sigint = evsignal_new(w.base, SIGINT, on_signal, &w);
	if (!w.reload_timer || !w.sigterm || !w.sigint || event_add(w.reload_timer, &every) ||
	    event_add(w.sigterm, NULL) || event_add(w.sigint, NULL)) {
		log_error("event=init_failed reason=\"events\"");
		goto done;
	}
	log_bound(bound, host);
	log_info("event=starting version=%s image=%s mode=%s namespace=%s max_body=%zu",
	         TURNOUT_VERSION, w.opts.image,
	         w.opts.mode == INJECT_MODE_NATIVE ? "native" : "container",
	         w.opts.self_namespace ? w.opts.self_namespace : "-", w.max_body);
	event_base_dispatch(w.base);
	rc = 0;
	log_info("event=stopped");
done:
	if (w.reload_timer)
		event_free(w.reload_timer);
	if (w.sigterm)
		event_free(w.sigterm);
	if (w.sigint)
		event_free(w.sigint);
	if (w.http)
		evhttp_free(w.http);
	if (w.base)
		event_base_free(w.base);
	SSL_CTX_free(w.ssl);
	free(host);
	return rc;
}
