/*
 * Upstream connection to one real broker. Kafka brokers answer requests on
 * a connection in the order they were sent, so responses are matched to the
 * head of a FIFO and the correlation id is only checked, never rewritten.
 * turnout sends nothing of its own on these connections.
 */
#include "proxy/upstream.h"

#include <event2/dns.h>
#include <stdio.h>
#include <stdlib.h>

#include "proxy/client.h"
#include "proxy/frameio.h"
#include "proxy/log.h"

/* The read timeout runs only while responses are due: an idle connection
 * may stay quiet forever, a broker that owes an answer may not. */
static void arm_timeout(upstream *u)
{
	int ms = u->vb->px->cfg->request_timeout_ms;
	struct timeval rt = {ms / 1000, (ms % 1000) * 1000}, wt = {10, 0};
	bufferevent_set_timeouts(u->bev, TAILQ_EMPTY(&u->waits) ? NULL : &rt, &wt);
}

static int answered_unasked(upstream *u, int32_t corr)
{
	for (unsigned i = 0; i < sizeof(u->no_reply) / sizeof(u->no_reply[0]); i++)
		if (u->no_reply[i] == corr) {
			u->no_reply[i] = INT32_MIN;
			return 1;
		}
	return 0;
}

static void up_read(struct bufferevent *bev, void *arg)
{
	upstream *u = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	client *owner = u->owner;
	for (;;) {
		int32_t size;
		const char *err;
		wire_frame_status st =
		    frameio_peek(in, WIRE_MIN_RESPONSE_FRAME,
		                 owner ? u->vb->px->cfg->max_frame_bytes : 0, &size, &err);
		if (st == WIRE_FRAME_NEED)
			return;
		char why[200];
		if (st == WIRE_FRAME_ERROR) {
			snprintf(why, sizeof(why), "broker sent a bad frame: %s (size %d)", err,
			         size);
			client_close(owner, why);
			return;
		}
		upstream_wait *w = TAILQ_FIRST(&u->waits);
		uint8_t cb[4];
		struct evbuffer_ptr pos;
		evbuffer_ptr_set(in, &pos, 4, EVBUFFER_PTR_SET);
		evbuffer_copyout_from(in, &pos, cb, 4);
		int32_t corr = (int32_t)((uint32_t)cb[0] << 24 | (uint32_t)cb[1] << 16 |
		                         (uint32_t)cb[2] << 8 | cb[3]);
		if ((!w || w->req->corr != corr) && answered_unasked(u, corr)) {
			/* Kafka sends nothing for acks=0; librdkafka's mock replies
			 * anyway. Such a reply is dropped, not an error. */
			evbuffer_drain(in, 4 + (size_t)size);
			continue;
		}
		if (!w || w->req->corr != corr) {
			snprintf(why, sizeof(why), "broker answered correlation id %d, expected %d",
			         corr, w ? w->req->corr : -1);
			client_close(owner, why);
			return;
		}
		TAILQ_REMOVE(&u->waits, w, link);
		pending *p = w->req;
		free(w);
		if (TAILQ_EMPTY(&u->waits))
			arm_timeout(u);
		client_deliver(p, u->vb->cluster, in, 4 + (size_t)size);
		if (client_is_closed(owner))
			return; /* closed while handling this response */
	}
}

static void up_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	upstream *u = arg;
	if (what & BEV_EVENT_CONNECTED) {
		u->connected = 1;
		return;
	}
	char why[400];
	snprintf(why, sizeof(why), "upstream %s broker %d (%s:%d) %s",
	         config_cluster_names[u->vb->cluster], u->vb->node_id, u->vb->host, u->vb->port,
	         what & BEV_EVENT_EOF       ? "closed the connection"
	         : what & BEV_EVENT_TIMEOUT ? "did not answer within request_timeout_ms"
	         : u->connected             ? "connection failed"
	                                    : "unreachable");
	client_close(u->owner, why);
}

upstream *upstream_open(client *owner, vbroker *vb)
{
	upstream *u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->owner = owner;
	u->vb = vb;
	TAILQ_INIT(&u->waits);
	for (unsigned i = 0; i < sizeof(u->no_reply) / sizeof(u->no_reply[0]); i++)
		u->no_reply[i] = INT32_MIN;
	u->bev = bufferevent_socket_new(vb->px->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!u->bev) {
		free(u);
		return NULL;
	}
	bufferevent_setcb(u->bev, up_read, NULL, up_event, u);
	struct timeval connect_tmo = {10, 0};
	bufferevent_set_timeouts(u->bev, NULL, &connect_tmo);
	bufferevent_enable(u->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect_hostname(u->bev, vb->px->dns, AF_UNSPEC, vb->host,
	                                        vb->port)) {
		bufferevent_free(u->bev);
		free(u);
		return NULL;
	}
	return u;
}

int upstream_send(upstream *u, struct evbuffer *src, size_t len, pending *req, int32_t corr)
{
	if (!req) {
		unsigned n = sizeof(u->no_reply) / sizeof(u->no_reply[0]);
		u->no_reply[u->no_reply_next++ % n] = corr;
	} else {
		upstream_wait *w = calloc(1, sizeof(*w));
		if (!w)
			return -1;
		w->req = req;
		int was_idle = TAILQ_EMPTY(&u->waits);
		TAILQ_INSERT_TAIL(&u->waits, w, link);
		if (was_idle)
			arm_timeout(u);
	}
	return evbuffer_remove_buffer(src, bufferevent_get_output(u->bev), len) == (int)len ? 0
	                                                                                    : -1;
}

void upstream_free(upstream *u)
{
	upstream_wait *w;
	while ((w = TAILQ_FIRST(&u->waits))) {
		TAILQ_REMOVE(&u->waits, w, link);
		free(w);
	}
	bufferevent_free(u->bev);
	free(u);
}
