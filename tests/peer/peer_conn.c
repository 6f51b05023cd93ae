/*
 * The codec's encoder builds every request and its decoder reads every
 * response here, against a real broker implementation (librdkafka's mock
 * cluster), so a layout mistake shows up as a broker error, a closed socket
 * or a response that does not parse exactly.
 */
#include "tests/peer/peer_conn.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "wire/api.h"
#include "wire/frame.h"
#include "wire/header.h"

int peer_connect(peer_conn *c, const char *hostport)
{
	c->fd = -1;
	c->next_corr = 1;
	c->err[0] = '\0';
	char host[256];
	const char *colon = strrchr(hostport, ':');
	if (!colon || (size_t)(colon - hostport) >= sizeof(host)) {
		snprintf(c->err, sizeof(c->err), "bad address %s", hostport);
		return -1;
	}
	memcpy(host, hostport, (size_t)(colon - hostport));
	host[colon - hostport] = '\0';
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res;
	int rc = getaddrinfo(host, colon + 1, &hints, &res);
	if (rc) {
		snprintf(c->err, sizeof(c->err), "%s: %s", hostport, gai_strerror(rc));
		return -1;
	}
	int fd = socket(res->ai_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
		snprintf(c->err, sizeof(c->err), "connect %s: %s", hostport, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	struct timeval tv = {.tv_sec = 10};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	c->fd = fd;
	return 0;
}

void peer_close(peer_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static int send_all(peer_conn *c, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(c->err, sizeof(c->err), "send: %s", strerror(errno));
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int recv_all(peer_conn *c, uint8_t *p, size_t n)
{
	while (n) {
		ssize_t r = recv(c->fd, p, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(c->err, sizeof(c->err), "recv: %s",
			         r == 0 ? "connection closed by broker" : strerror(errno));
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int peer_call(peer_conn *c, int16_t api, int16_t v, const void *req, void *resp, wire_arena *a)
{
	const wire_msg_type *rq = wire_msg_find(api, WIRE_REQUEST);
	const wire_msg_type *rs = wire_msg_find(api, WIRE_RESPONSE);
	uint8_t *body = NULL;
	int rc = -1;
	wire_wr w;
	wire_wr_init(&w, false);
	c->trailing = 0;
	c->got_response = 0;
	if (!rq || !rs) {
		snprintf(c->err, sizeof(c->err), "api %d not in the codec", api);
		goto out;
	}
	int32_t corr = c->next_corr++;
	wire_req_header h = {.api_key = api,
	                     .api_version = v,
	                     .correlation_id = corr,
	                     .client_id = wire_str_c("turnout-peer-test"),
	                     .version = (int8_t)wire_req_header_version(api, v)};
	if (wire_wr_int32(&w, 0) || wire_req_header_encode(&w, &h) || rq->encode(&w, v, req)) {
		snprintf(c->err, sizeof(c->err), "encode %s v%d: %s at %s", rq->name, v, w.err,
		         w.where ? w.where : "?");
		goto out;
	}
	wire_wr_put_int32_at(&w, 0, (int32_t)(w.len - 4));
	if (send_all(c, w.buf, w.len))
		goto out;

	uint8_t szb[4];
	if (recv_all(c, szb, 4))
		goto out;
	int32_t size;
	const char *ferr;
	if (wire_frame_check(szb, 4, WIRE_MIN_RESPONSE_FRAME, 64 << 20, &size, &ferr) ==
	    WIRE_FRAME_ERROR) {
		snprintf(c->err, sizeof(c->err), "response frame: %s (%d)", ferr, size);
		goto out;
	}
	body = wire_arena_alloc(a, (size_t)size);
	if (!body || recv_all(c, body, (size_t)size))
		goto out;
	c->got_response = 1;
	wire_rd r;
	wire_rd_init(&r, body, (size_t)size);
	wire_resp_header rh;
	if (wire_resp_header_decode(&r, wire_resp_header_version(api, v), a, &rh)) {
		snprintf(c->err, sizeof(c->err), "response header: %s", r.err);
		goto out;
	}
	if (rh.correlation_id != corr) {
		snprintf(c->err, sizeof(c->err), "correlation id %d, expected %d",
		         rh.correlation_id, corr);
		goto out;
	}
	if (c->lenient ? wire_msg_decode_lenient(rs, v, body + r.pos, (size_t)size - r.pos, a, resp,
	                                         &c->trailing, c->err, sizeof(c->err))
	               : wire_msg_decode_body(rs, v, body + r.pos, (size_t)size - r.pos, a, resp,
	                                      c->err, sizeof(c->err)))
		goto out;
	rc = 0;
out:
	wire_wr_free(&w);
	if (rc)
		peer_close(c);
	return rc;
}
