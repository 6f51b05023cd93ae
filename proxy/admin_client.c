/*
 * One admin request (see admin_client.h): connect, send, wait for the
 * whole answer on a private event base, copy the body out. Bodies above
 * 64 MiB are refused; a /status that large would be a bug.
 */
#include "proxy/admin_client.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/admin_auth.h"

enum { BODY_MAX = 64 << 20 };

typedef struct call {
	struct event_base *base;
	int status; /* 0 until answered */
	char *body;
	int failed;
	enum evhttp_request_error error;
} call;

static void on_done(struct evhttp_request *req, void *arg)
{
	call *c = arg;
	if (!req || !evhttp_request_get_response_code(req)) {
		c->failed = 1;
		goto out;
	}
	c->status = evhttp_request_get_response_code(req);
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t n = evbuffer_get_length(in);
	if (n > BODY_MAX || !(c->body = malloc(n + 1))) {
		c->failed = 1;
		goto out;
	}
	evbuffer_remove(in, c->body, n);
	c->body[n] = '\0';
out:
	event_base_loopexit(c->base, NULL);
}

static void on_error(enum evhttp_request_error e, void *arg)
{
	call *c = arg;
	c->failed = 1;
	c->error = e;
}

static const char *error_text(enum evhttp_request_error e)
{
	switch (e) {
	case EVREQ_HTTP_TIMEOUT:
		return "timed out";
	case EVREQ_HTTP_EOF:
		return "connection closed before an answer";
	case EVREQ_HTTP_INVALID_HEADER:
		return "invalid answer";
	case EVREQ_HTTP_BUFFER_ERROR:
		return "connection refused or failed";
	case EVREQ_HTTP_DATA_TOO_LONG:
		return "answer too long";
	default:
		return "request failed";
	}
}

int admin_client_request(const char *addr, const char *method, const char *path,
                         const char *token_file, int timeout_s, int *status, char **body, char *err,
                         size_t errlen)
{
	if (strncmp(addr, "http://", 7) == 0)
		addr += 7;
	char host[256];
	const char *colon = strrchr(addr, ':');
	char *end = NULL;
	long port = colon ? strtol(colon + 1, &end, 10) : 0;
	size_t hl = colon ? (size_t)(colon - addr) : 0;
	if (!colon || hl == 0 || hl >= sizeof(host) || !end || (*end && strcmp(end, "/") != 0) ||
	    port < 1 || port > 65535) {
		snprintf(err, errlen, "admin address must be host:port, got %s", addr);
		return -1;
	}
	memcpy(host, addr, hl);
	host[hl] = '\0';
	char tok[ADMIN_TOKEN_MAX + 1];
	size_t toklen = 0;
	if (token_file && admin_auth_load(token_file, tok, &toklen, err, errlen))
		return -1;
	call c = {0};
	struct evhttp_connection *conn = NULL;
	int rc = -1;
	c.base = event_base_new();
	if (c.base)
		conn = evhttp_connection_base_new(c.base, NULL, host, (ev_uint16_t)port);
	struct evhttp_request *req = conn ? evhttp_request_new(on_done, &c) : NULL;
	if (!req) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	evhttp_connection_set_timeout(conn, timeout_s);
	evhttp_request_set_error_cb(req, on_error);
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Host", host);
	evhttp_add_header(h, "Connection", "close");
	if (token_file) {
		char auth[ADMIN_TOKEN_MAX + 16];
		snprintf(auth, sizeof(auth), "Bearer %s", tok);
		evhttp_add_header(h, "Authorization", auth);
		memset(auth, 0, sizeof(auth));
	}
	enum evhttp_cmd_type cmd = strcmp(method, "POST") == 0 ? EVHTTP_REQ_POST : EVHTTP_REQ_GET;
	if (evhttp_make_request(conn, req, cmd, path)) { /* frees req on failure */
		snprintf(err, errlen, "cannot send the request to %s:%ld", host, port);
		goto done;
	}
	event_base_dispatch(c.base);
	if (c.failed || !c.status) {
		snprintf(err, errlen, "%s:%ld%s: %s", host, port, path, error_text(c.error));
		goto done;
	}
	*status = c.status;
	*body = c.body;
	c.body = NULL;
	rc = 0;
done:
	memset(tok, 0, sizeof(tok));
	free(c.body);
	if (conn)
		evhttp_connection_free(conn);
	if (c.base)
		event_base_free(c.base);
	return rc;
}
