/*
 * The admin HTTP server (see admin.h). One generic callback takes every
 * request and walks a table of endpoints:
 *
 *   evhttp (parses, limits header/body size, 405 for other methods)
 *     -> on_request: path -> endpoint row -> method check
 *        -> [not a probe] loopback or admin.allow_remote, then the token
 *        -> the row's handler builds the answer on the event loop
 *
 * Handlers run on the proxy's loop like every other callback, so they read
 * proxy state directly; nothing they build outlives the request. A reload
 * from POST /reload frees the old configuration, so a handler never keeps
 * a pointer into px->cfg across reload_now.
 */
#include "proxy/admin.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy/admin_auth.h"
#include "proxy/admin_status.h"
#include "proxy/log.h"
#include "proxy/metrics.h"
#include "proxy/metrics_table.h"
#include "proxy/proxy.h"
#include "proxy/reload.h"

enum {
	ADMIN_MAX_HEADERS = 8192, /* bytes of request line + headers */
	ADMIN_MAX_BODY = 4096,    /* no endpoint reads a body */
	ADMIN_TIMEOUT_S = 10,
};

typedef struct admin_server {
	proxy *px;
	struct evhttp *http;
	int port;
} admin_server;

typedef struct endpoint {
	const char *path;
	enum evhttp_cmd_type method;
	int probe; /* open to every peer, no token */
	void (*handle)(proxy *px, struct evhttp_request *req);
} endpoint;

/* ---- answers ---- */

static void reply(struct evhttp_request *req, int code, const char *reason, const char *type,
                  struct evbuffer *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_send_reply(req, code, reason, body);
}

static void reply_json(struct evhttp_request *req, int code, const char *reason, cJSON *doc)
{
	struct evbuffer *b = evbuffer_new();
	char *text = doc ? cJSON_PrintUnformatted(doc) : NULL;
	if (!b || !text || evbuffer_add_printf(b, "%s\n", text) < 0) {
		evhttp_send_error(req, 500, "out of memory");
	} else {
		reply(req, code, reason, "application/json", b);
	}
	free(text);
	if (b)
		evbuffer_free(b);
	cJSON_Delete(doc);
}

static void reply_error(struct evhttp_request *req, int code, const char *reason, const char *why)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "error", why);
	reply_json(req, code, reason, o);
}

/* ---- endpoints ---- */

static void h_healthz(proxy *px, struct evhttp_request *req)
{
	(void)px;
	struct evbuffer *b = evbuffer_new();
	if (!b || evbuffer_add(b, "ok\n", 3)) {
		evhttp_send_error(req, 500, "out of memory");
	} else {
		reply(req, 200, "OK", "text/plain; charset=utf-8", b);
	}
	if (b)
		evbuffer_free(b);
}

static void h_readyz(proxy *px, struct evhttp_request *req)
{
	cJSON *o = cJSON_CreateObject(), *missing = cJSON_CreateArray();
	int ok = admin_ready(px, missing);
	cJSON_AddBoolToObject(o, "ready", ok);
	cJSON_AddItemToObject(o, "missing", missing);
	reply_json(req, ok ? 200 : 503, ok ? "OK" : "Service Unavailable", o);
}

static void h_metrics(proxy *px, struct evhttp_request *req)
{
	struct evbuffer *b = evbuffer_new();
	if (!b || metrics_render(px, b)) {
		evhttp_send_error(req, 500, "out of memory");
	} else {
		reply(req, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", b);
	}
	if (b)
		evbuffer_free(b);
}

static void h_status(proxy *px, struct evhttp_request *req)
{
	cJSON *o = admin_status_json(px);
	if (!o) {
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	reply_json(req, 200, "OK", o);
}

static void h_reload(proxy *px, struct evhttp_request *req)
{
	int rc = reload_now(px, "admin"); /* px->cfg may be a new snapshot after this */
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "result", rc == 0 ? "applied" : "rejected");
	if (rc == 0)
		cJSON_AddNullToObject(o, "error");
	else
		cJSON_AddStringToObject(o, "error", px->reload_error);
	cJSON_AddStringToObject(o, "config", px->config_path ? px->config_path : "");
	char hex[65];
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", px->cfg->digest[i]);
	cJSON_AddStringToObject(o, "sha256", hex);
	reply_json(req, rc == 0 ? 200 : 422, rc == 0 ? "OK" : "Unprocessable Entity", o);
}

static const endpoint endpoints[] = {
    {"/healthz", EVHTTP_REQ_GET, 1, h_healthz}, {"/readyz", EVHTTP_REQ_GET, 1, h_readyz},
    {"/metrics", EVHTTP_REQ_GET, 0, h_metrics}, {"/status", EVHTTP_REQ_GET, 0, h_status},
    {"/reload", EVHTTP_REQ_POST, 0, h_reload},
};

/* ---- access ---- */

static int is_loopback(const struct sockaddr *sa)
{
	if (!sa)
		return 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)sa;
		return (ntohl(s->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_LOOPBACK(&s->sin6_addr))
			return 1;
		return IN6_IS_ADDR_V4MAPPED(&s->sin6_addr) && s->sin6_addr.s6_addr[12] == 127;
	}
	return 0;
}

static void peer_name(const struct sockaddr *sa, char *out, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	int port = 0;
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		port = ntohs(s->sin_port);
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		port = ntohs(s->sin6_port);
	}
	snprintf(out, len, "%s:%d", ip, port);
}

/* 0 when the peer may use ep; otherwise the request was answered. */
static int check_access(proxy *px, struct evhttp_request *req, const endpoint *ep, const char *peer)
{
	if (ep->probe)
		return 0;
	const config_admin *a = &px->cfg->admin;
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	if (!a->allow_remote && !is_loopback(conn ? evhttp_connection_get_addr(conn) : NULL)) {
		log_warn("event=admin_refused peer=%s path=%s reason=\"not loopback; set "
		         "admin.allow_remote to serve other peers\"",
		         peer, ep->path);
		reply_error(req, 403, "Forbidden",
		            "only /healthz and /readyz answer peers outside loopback "
		            "(admin.allow_remote)");
		return -1;
	}
	if (!a->token_file)
		return 0;
	char tok[ADMIN_TOKEN_MAX + 1], err[600];
	size_t len;
	if (admin_auth_load(a->token_file, tok, &len, err, sizeof(err))) {
		log_error("event=admin_refused peer=%s path=%s reason=\"%s\"", peer, ep->path, err);
		reply_error(req, 500, "Internal Server Error",
		            "the admin token file cannot be read");
		return -1;
	}
	const char *got =
	    evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
	int ok = admin_auth_check(got, tok, len);
	memset(tok, 0, sizeof(tok));
	if (!ok) {
		log_warn("event=admin_refused peer=%s path=%s reason=\"%s\"", peer, ep->path,
		         got ? "wrong bearer token" : "no bearer token");
		evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
		                  "Bearer realm=\"turnout\"");
		reply_error(req, 401, "Unauthorized", "a valid bearer token is required");
		return -1;
	}
	return 0;
}

static void on_request(struct evhttp_request *req, void *arg)
{
	admin_server *as = arg;
	proxy *px = as->px;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	char peer[80];
	peer_name(conn ? evhttp_connection_get_addr(conn) : NULL, peer, sizeof(peer));
	if (!path || !*path) {
		reply_error(req, 400, "Bad Request", "no path");
		return;
	}
	const endpoint *ep = NULL;
	for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++)
		if (strcmp(path, endpoints[i].path) == 0)
			ep = &endpoints[i];
	if (!ep) {
		reply_error(req, 404, "Not Found",
		            "unknown path; try /healthz, /readyz, /metrics, /status, POST /reload");
		return;
	}
	if (cmd != ep->method) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
		                  ep->method == EVHTTP_REQ_POST ? "POST" : "GET");
		reply_error(req, 405, "Method Not Allowed",
		            ep->method == EVHTTP_REQ_POST ? "use POST" : "use GET");
		return;
	}
	if (check_access(px, req, ep, peer))
		return;
	if (!ep->probe)
		log_debug("event=admin_request peer=%s path=%s", peer, ep->path);
	ep->handle(px, req);
}

int admin_start(proxy *px, char *err, size_t errlen)
{
	const config_admin *a = &px->cfg->admin;
	if (!a->enabled)
		return 0;
	if (a->token_file) {
		char tok[ADMIN_TOKEN_MAX + 1];
		size_t len;
		int rc = admin_auth_load(a->token_file, tok, &len, err, errlen);
		memset(tok, 0, sizeof(tok));
		if (rc)
			return -1;
	}
	admin_server *as = calloc(1, sizeof(*as));
	if (!as) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	as->px = px;
	as->http = evhttp_new(px->base);
	if (!as->http) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	evhttp_set_timeout(as->http, ADMIN_TIMEOUT_S);
	evhttp_set_max_headers_size(as->http, ADMIN_MAX_HEADERS);
	evhttp_set_max_body_size(as->http, ADMIN_MAX_BODY);
	/* every method libevent knows reaches on_request, which answers 405 */
	evhttp_set_allowed_methods(as->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
	                                         EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	                                         EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
	                                         EVHTTP_REQ_PATCH);
	evhttp_set_gencb(as->http, on_request, as);
	struct evhttp_bound_socket *bound =
	    evhttp_bind_socket_with_handle(as->http, a->host, (ev_uint16_t)a->port);
	if (!bound) {
		snprintf(err, errlen, "admin.listen %s:%d: cannot listen (address in use?)",
		         a->host, a->port);
		goto fail;
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&ss, &sl) == 0)
		as->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
		                                          : ((struct sockaddr_in *)&ss)->sin_port);
	px->admin = as;
	log_info("event=admin_listening listen=%s:%d allow_remote=%s token=%s", a->host, as->port,
	         a->allow_remote ? "true" : "false", a->token_file ? "required" : "none");
	return 0;
fail:
	if (as->http)
		evhttp_free(as->http);
	free(as);
	return -1;
}

void admin_stop(proxy *px)
{
	if (!px->admin)
		return;
	evhttp_free(px->admin->http);
	free(px->admin);
	px->admin = NULL;
}

int admin_port(const proxy *px)
{
	return px->admin ? px->admin->port : 0;
}
