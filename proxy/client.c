/*
 * One client connection. Request path:
 *
 *   read -> frame check -> header -> [ApiVersions: answered here]
 *        -> pending entry on outq -> upstream (bytes moved, not copied)
 *   upstream response -> [Metadata, Produce, Fetch from one cluster: broker
 *                         ids and addresses rewritten where they lie
 *                         (inplace.c); FindCoordinator, DescribeCluster,
 *                         OffsetFetch: decoded and rewritten (rewrite.c);
 *                         answers of both clusters: merged (merge.c)]
 *        -> pending.resp -> flush outq head-first, so responses leave in
 *           request order
 *
 * A malformed frame, an unknown api or a broken upstream closes this client
 * only, with one log line saying why. Closed clients go to justfree and are
 * freed by the janitor after the current callback chain (pgbouncer's rule).
 */
#include "proxy/client.h"

#include <arpa/inet.h>
#include <event2/bufferevent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy/flip.h"
#include "proxy/frameio.h"
#include "proxy/inplace.h"
#include "proxy/log.h"
#include "proxy/merge.h"
#include "proxy/metrics.h"
#include "proxy/producer_flip.h"
#include "proxy/rewrite.h"
#include "proxy/route.h"
#include "proxy/tls.h"
#include "wire/api.h"
#include "wire/header.h"

enum {
	MAX_PENDING = 1000,      /* stop reading a client with this many in flight */
	OUTPUT_HIGH = 16 << 20,  /* stop reading upstream while the client lags this much */
	UPSTREAM_HIGH = 4 << 20, /* stop reading the client while a broker lags this much */
	HEADER_PEEK = 512,       /* bytes copied to parse a request header */
	LINGER_SECONDS = 2,      /* wait for a broker to close after the client did */
};

static void pending_free(pending *p)
{
	if (p->prod_barrier)
		prodflip_barrier_done(p->c->px);
	if (p->resp)
		evbuffer_free(p->resp);
	for (int i = 0; i < PENDING_PARTS_MAX; i++)
		if (p->part[i])
			evbuffer_free(p->part[i]);
	free(p);
}

static void set_upstream_reading(client *c, int on)
{
	for (int i = 0; i < c->nups; i++)
		if (on)
			bufferevent_enable(c->ups[i]->bev, EV_READ);
		else
			bufferevent_disable(c->ups[i]->bev, EV_READ);
}

/* Whether every upstream holds at most limit bytes of requests not yet
 * sent (its output, and frames held until SASL is done). */
static int upstreams_below(const client *c, size_t limit)
{
	for (int i = 0; i < c->nups; i++) {
		const upstream *u = c->ups[i];
		size_t n = evbuffer_get_length(bufferevent_get_output(u->bev));
		if (u->held)
			n += evbuffer_get_length(u->held);
		if (n > limit)
			return 0;
	}
	return 1;
}

static pending *pending_new(client *c, const wire_req_header *h)
{
	pending *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->resp = evbuffer_new();
	if (!p->resp) {
		free(p);
		return NULL;
	}
	p->corr = h->correlation_id;
	p->answerer = -1;
	p->started_ns = metrics_mono_ns();
	p->api = h->api_key;
	p->version = h->api_version;
	p->c = c;
	TAILQ_INSERT_TAIL(&c->outq, p, link);
	c->npending++;
	return p;
}

/* p's answer is ready for the client: counted, its latency observed. */
static void pending_finished(pending *p, int answerer)
{
	metrics *m = p->c->px->metrics;
	p->done = 1;
	p->answerer = answerer;
	metrics_request(m, p->api, answerer);
	metrics_request_done(m, p->api, answerer, p->started_ns);
}

static int may_read(const client *c)
{
	return !c->closed && !c->hungup && c->npending < MAX_PENDING && !c->up_full &&
	       !c->prod_hold;
}

/* Reading from the client stops while too many of its requests are in
 * flight or one of its brokers does not keep up, so turnout never holds
 * more than about UPSTREAM_HIGH of a client's requests per upstream. On
 * resuming, requests already buffered are handled from the event loop: the
 * socket may have nothing new to wake the read callback. */
static void update_reading(client *c)
{
	int want = may_read(c);
	if (want == c->reading || c->closed)
		return;
	c->reading = want;
	if (!want) {
		bufferevent_disable(c->bev, EV_READ);
		return;
	}
	bufferevent_enable(c->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_input(c->bev)))
		bufferevent_trigger(c->bev, EV_READ, BEV_TRIG_DEFER_CALLBACKS);
}

/* Called as an upstream's output buffer changes: up_full clears once every
 * upstream is below half of UPSTREAM_HIGH. */
static void upstream_output_changed(struct evbuffer *buf, const struct evbuffer_cb_info *info,
                                    void *arg)
{
	client *c = arg;
	if (c->up_full && info->n_deleted && evbuffer_get_length(buf) <= UPSTREAM_HIGH / 2 &&
	    upstreams_below(c, UPSTREAM_HIGH / 2)) {
		c->up_full = 0;
		update_reading(c);
	}
}

/* Reading from the upstreams stops while this client lags OUTPUT_HIGH and
 * resumes below half of it. */
static void update_upstream_reading(client *c)
{
	size_t out = evbuffer_get_length(bufferevent_get_output(c->bev));
	if (c->closed || c->hungup)
		return; /* hung up: the home upstream lingers, reading */
	if (!c->up_paused && out > OUTPUT_HIGH) {
		c->up_paused = 1;
		set_upstream_reading(c, 0);
	} else if (c->up_paused && out < OUTPUT_HIGH / 2) {
		c->up_paused = 0;
		set_upstream_reading(c, 1);
	}
}

/* Responses to a plain socket are written at once (frameio_write);
 * libevent's write event is enabled only while the socket cannot take
 * everything. That spares two epoll_ctl calls and a loop turn per response.
 * A TLS client keeps EV_WRITE enabled and libevent writes for it. */
static void write_out(client *c)
{
	if (c->closed || c->hungup || c->writing || !c->plain)
		return;
	int rc = frameio_write(c->bev, FRAMEIO_WRITE_MAX);
	if (rc < 0) {
		client_close(c, "client socket error");
		return;
	}
	if (rc > 0) {
		c->writing = 1;
		bufferevent_enable(c->bev, EV_WRITE);
	}
}

static void flush(client *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	pending *p;
	while ((p = TAILQ_FIRST(&c->outq)) && p->done) {
		c->px->metrics->client_bytes_out += evbuffer_get_length(p->resp);
		evbuffer_add_buffer(out, p->resp);
		TAILQ_REMOVE(&c->outq, p, link);
		c->npending--;
		pending_free(p);
	}
	write_out(c);
	update_upstream_reading(c);
	update_reading(c);
}

/* rewrite_map over the proxy's virtual brokers (client_rewrite_map) */
static int32_t map_vid(void *ctx, int cluster, int32_t node_id)
{
	return vbroker_vid(ctx, cluster, node_id);
}

static void map_learn(void *ctx, int cluster, int32_t node_id, wire_str host, int32_t port)
{
	vbroker_learn(ctx, cluster, node_id, host.p, host.len, port);
}

static int map_advertise(void *ctx, int32_t vid, wire_str *host, int32_t *port)
{
	proxy *px = ctx;
	vbroker *vb = vbroker_get(px, vid);
	if (!vb || !vb->lst)
		return -1;
	*host = wire_str_c(px->cfg->advertised_host);
	*port = vb->listen_port;
	return 0;
}

void client_rewrite_map(proxy *px, rewrite_map *m)
{
	*m = (rewrite_map){px, map_vid, map_learn, map_advertise};
}

/* Closes the client whose response could not be rewritten. */
static void deliver_failed(pending *p, const char *err)
{
	char why[400];
	snprintf(why, sizeof(why), "cannot rewrite %s v%d response: %s", wire_api_name(p->api),
	         p->version, err);
	client_close(p->c, why);
}

void client_deliver(pending *p, int cluster, struct evbuffer *src, size_t len)
{
	client *c = p->c;
	if (p->kind == PENDING_OWN) {
		const uint8_t *f = evbuffer_pullup(src, (ssize_t)len);
		TAILQ_REMOVE(&c->ownq, p, link);
		p->own(p->own_arg, cluster, f, f ? len : 0);
		evbuffer_drain(src, len);
		pending_free(p);
		return;
	}
	if (p->kind == PENDING_MERGE) {
		int i = p->nparts - p->parts_due;
		if (p->parts_due <= 0 || !(p->part[i] = evbuffer_new()) ||
		    evbuffer_remove_buffer(src, p->part[i], len) != (int)len) {
			evbuffer_drain(src, len);
			client_close(c, "cannot keep a partial response");
			return;
		}
		p->part_cluster[i] = cluster;
		if (--p->parts_due > 0)
			return;
		char err[300] = "";
		if (merge_finish(c->px, p, err, sizeof(err))) {
			char why[400];
			snprintf(why, sizeof(why), "cannot merge %s v%d answers: %s",
			         wire_api_name(p->api), p->version, err);
			client_close(c, why);
			return;
		}
		pending_finished(p, METRICS_BOTH);
		flush(c);
		return;
	}
	/* PENDING_PLAIN: one answer from one upstream */
	if (p->api == WIRE_API_INIT_PRODUCER_ID)
		prodflip_saw_init(c->px, cluster, p->version, evbuffer_pullup(src, (ssize_t)len),
		                  len);
	else if (p->api == WIRE_API_JOIN_GROUP && p->fresh_join)
		flip_saw_join(c->px, cluster, p->version, evbuffer_pullup(src, (ssize_t)len), len);
	else if (p->api == WIRE_API_SYNC_GROUP && p->settle_sync)
		flip_saw_sync(p->settle_sync, c->id, cluster, p->version,
		              evbuffer_pullup(src, (ssize_t)len), len);
	if (!rewrite_needed(p->api, p->version)) {
		evbuffer_remove_buffer(src, p->resp, len); /* chain move, no copy */
		pending_finished(p, cluster);
		flush(c);
		return;
	}
	char err[300] = "";
	rewrite_map map;
	client_rewrite_map(c->px, &map);
	if (inplace_handles(p->api, p->version)) {
		/* walked where it lies: records and partition lists are not copied */
		if (inplace_move(p->api, p->version, cluster, src, len, &map, p->resp, err,
		                 sizeof(err))) {
			evbuffer_drain(src, len);
			deliver_failed(p, err);
			return;
		}
		pending_finished(p, cluster);
		flush(c);
		return;
	}
	uint8_t *f = evbuffer_pullup(src, (ssize_t)len);
	int hv = wire_resp_header_version(p->api, p->version);
	wire_arena a;
	wire_arena_init(&a, 0);
	wire_rd r;
	wire_rd_init(&r, f + 4, len - 4);
	wire_resp_header h;
	wire_wr w;
	wire_wr_init(&w, true);
	int rc = -1;
	if (!f || wire_resp_header_decode(&r, hv, &a, &h)) {
		snprintf(err, sizeof(err), "bad response header");
		goto out;
	}
	if (wire_wr_int32(&w, 0) || wire_resp_header_encode(&w, &h) ||
	    rewrite_response(p->api, p->version, cluster, f + 4 + r.pos, len - 4 - r.pos, &map, &w,
	                     err, sizeof(err)))
		goto out;
	wire_wr_put_int32_at(&w, 0, (int32_t)(wire_wr_size(&w) - 4));
	rc = frameio_put(p->resp, &w); /* copies: refs point into src */
out:
	wire_wr_free(&w);
	wire_arena_reset(&a);
	evbuffer_drain(src, len);
	if (rc) {
		deliver_failed(p, err);
		return;
	}
	pending_finished(p, cluster);
	flush(c);
}

/* acks of a Produce request, read from the copied prefix; -2 when unknown. */
static int16_t produce_acks(wire_rd *r, int16_t v)
{
	wire_str txn;
	int16_t acks;
	if (v >= 3 && wire_rd_str(r, v >= 9, &txn))
		return -2;
	return wire_rd_int16(r, &acks) ? -2 : acks;
}

static int handle_request(client *c, struct evbuffer *in, int32_t size)
{
	proxy *px = c->px;
	uint8_t small[HEADER_PEEK], *buf = small;
	size_t n = (size_t)size < sizeof(small) ? (size_t)size : sizeof(small);
	wire_arena a;
	wire_arena_init(&a, 1 << 20);
	wire_req_header h;
	wire_rd r;
	int rc = -1;
	char why[300];
	struct evbuffer_ptr pos;
	px->metrics->client_bytes_in += 4 + (size_t)size;
	evbuffer_ptr_set(in, &pos, 4, EVBUFFER_PTR_SET);
	for (;;) {
		if (evbuffer_copyout_from(in, &pos, buf, n) != (ssize_t)n) {
			snprintf(why, sizeof(why), "could not read request");
			goto out;
		}
		wire_rd_init(&r, buf, n);
		if (wire_req_header_decode(&r, &a, &h) == 0)
			break;
		if (n == (size_t)size || buf != small) {
			char d[200];
			wire_rd_describe(&r, d, sizeof(d));
			snprintf(why, sizeof(why), "malformed request header: %s", d);
			goto out;
		}
		n = (size_t)size; /* a long client id: read the whole frame once */
		buf = malloc(n);
		if (!buf) {
			snprintf(why, sizeof(why), "out of memory");
			goto out;
		}
	}
	if (!wire_api_known(h.api_key) || h.api_key >= APIVERSIONS_KEYS) {
		snprintf(why, sizeof(why), "unknown api key %d", h.api_key);
		goto out;
	}
	if (h.api_key == WIRE_API_SASL_HANDSHAKE || h.api_key == WIRE_API_SASL_AUTHENTICATE) {
		snprintf(why, sizeof(why),
		         "client-side SASL is not offered (turnout authenticates upstream)");
		goto out;
	}
	log_debug("client=%d event=request api=%s version=%d corr=%d size=%d", c->id,
	          wire_api_name(h.api_key), h.api_version, h.correlation_id, size);
	if (h.api_key == WIRE_API_API_VERSIONS) {
		pending *p = pending_new(c, &h);
		wire_wr w;
		wire_wr_init(&w, false);
		int bad = !p ||
		          apiversions_answer(&px->offer, h.api_version, h.correlation_id, &w) ||
		          evbuffer_add(p->resp, w.buf, w.len);
		wire_wr_free(&w);
		evbuffer_drain(in, 4 + (size_t)size);
		if (bad) {
			snprintf(why, sizeof(why), "could not answer ApiVersions");
			goto out;
		}
		pending_finished(p, METRICS_TURNOUT);
		rc = 0;
		goto out;
	}
	api_range offered = px->offer.r[h.api_key];
	if (h.api_version < offered.min || h.api_version > offered.max) {
		snprintf(why, sizeof(why), "%s v%d was not offered (offered %d-%d)",
		         wire_api_name(h.api_key), h.api_version, offered.min, offered.max);
		metrics_request(px->metrics, h.api_key, METRICS_TURNOUT);
		metrics_request_error(px->metrics, h.api_key, METRICS_TURNOUT);
		goto out;
	}
	int refuse = 0;
	if (h.api_key == WIRE_API_PRODUCE) {
		int held = prodflip_produce(c, &h, in, size, why, sizeof(why));
		if (held < 0)
			goto out;
		if (held == 1) {
			rc = 0; /* the frame stays in `in` until the hold ends */
			goto out;
		}
		refuse = held == 2;
	}
	pending *p = NULL;
	if (!(h.api_key == WIRE_API_PRODUCE && produce_acks(&r, h.api_version) == 0)) {
		p = pending_new(c, &h); /* acks=0 Produce has no response to wait for */
		if (!p) {
			snprintf(why, sizeof(why), "out of memory");
			goto out;
		}
	}
	if (refuse) {
		if (!p) {
			snprintf(why, sizeof(why), "idempotent Produce with acks=0");
			goto out;
		}
		if (route_refuse_produce(c, &h, p, in, size, why, sizeof(why)))
			goto out;
		rc = 0;
		goto out;
	}
	if (h.api_key == WIRE_API_INIT_PRODUCER_ID)
		prodflip_init_request(c, &h, in, size);
	int txn = prodflip_txn(c, &h, p, in, size, why, sizeof(why));
	if (txn < 0 || (!txn && route_request(c, &h, p, in, size, why, sizeof(why))))
		goto out;
	rc = 0;
out:
	if (buf != small)
		free(buf);
	wire_arena_reset(&a);
	if (rc)
		client_close(c, why);
	return rc;
}

static void client_read(struct bufferevent *bev, void *arg)
{
	client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	if (c->plain && may_read(c))
		frameio_fill(bev, FRAMEIO_FILL_MAX);
	while (may_read(c)) {
		int32_t size;
		const char *err;
		wire_frame_status st = frameio_peek(in, WIRE_MIN_REQUEST_FRAME,
		                                    c->px->cfg->max_frame_bytes, &size, &err);
		if (st == WIRE_FRAME_NEED)
			break;
		if (st == WIRE_FRAME_ERROR) {
			char why[160];
			snprintf(why, sizeof(why), "%s (size %d)", err, size);
			client_close(c, why);
			return;
		}
		if (handle_request(c, in, size))
			return;
		if (!upstreams_below(c, UPSTREAM_HIGH))
			c->up_full = 1; /* cleared by upstream_output_changed */
	}
	if (!c->closed)
		flush(c); /* answers given here (ApiVersions, local); updates reading */
}

/* libevent wrote the rest of the output: a plain socket goes back to
 * writing at once. */
static void client_write(struct bufferevent *bev, void *arg)
{
	client *c = arg;
	if (c->plain) {
		c->writing = 0;
		bufferevent_disable(bev, EV_WRITE);
	}
	update_upstream_reading(c);
}

/*
 * After the client hung up, requests already read (acks=0 Produce among
 * them) still go out; then turnout half-closes the upstream and reads (and
 * drops) what the broker still sends until the broker closes too. Closing
 * with unread data would make the kernel answer with a reset, and a broker
 * that gets a reset drops the requests it has not read yet.
 */
static void upstream_linger_read(struct bufferevent *bev, void *arg)
{
	(void)arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	evbuffer_drain(in, evbuffer_get_length(in));
}

static void upstream_linger_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	client_close(arg, what & BEV_EVENT_EOF ? "client closed the connection"
	                  : what & BEV_EVENT_TIMEOUT
	                      ? "client closed the connection; the broker did not close its side"
	                      : "client closed the connection; upstream failed while closing");
}

static void upstream_drained(struct bufferevent *bev, void *arg)
{
	struct timeval linger = {LINGER_SECONDS, 0};
	upstream_linger_read(bev, arg);
	bufferevent_disable(bev, EV_WRITE);
	tls_close_notify(bev);
	if (shutdown(bufferevent_getfd(bev), SHUT_WR)) {
		client_close(arg, "client closed the connection");
		return;
	}
	bufferevent_setcb(bev, upstream_linger_read, NULL, upstream_linger_event, arg);
	bufferevent_set_timeouts(bev, &linger, NULL);
	bufferevent_enable(bev, EV_READ);
}

static void upstream_drain_failed(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (!(what & BEV_EVENT_CONNECTED))
		client_close(arg, "client closed the connection; upstream failed while flushing");
}

static void client_event(struct bufferevent *bev, short what, void *arg)
{
	client *c = arg;
	if (what & BEV_EVENT_CONNECTED)
		return; /* TLS listener: handshake done */
	if ((what & BEV_EVENT_EOF) && c->up) {
		size_t unsent = evbuffer_get_length(bufferevent_get_output(c->up->bev));
		if (unsent || c->up->connected) {
			c->hungup = 1; /* neither read nor written from now on */
			bufferevent_disable(c->bev, EV_READ | EV_WRITE);
			bufferevent_setcb(c->up->bev, NULL, upstream_drained, upstream_drain_failed,
			                  c);
			if (!unsent)
				upstream_drained(c->up->bev, c);
			return;
		}
	}
	char why[300] = "client socket error";
	if (!(what & BEV_EVENT_EOF) && tls_is_tls(bev))
		tls_describe_failure(bev, why, sizeof(why));
	client_close(c, what & BEV_EVENT_EOF ? "client closed the connection" : why);
}

/* Takes u as one of c's upstreams: its output is watched for backpressure
 * and it reads only while the client keeps up. */
static int adopt_upstream(client *c, upstream *u)
{
	if (!evbuffer_add_cb(bufferevent_get_output(u->bev), upstream_output_changed, c))
		return -1;
	c->ups[c->nups++] = u;
	if (c->up_paused)
		bufferevent_disable(u->bev, EV_READ);
	return 0;
}

void client_accept(proxy *px, vbroker *vb, evutil_socket_t fd, const struct sockaddr *addr)
{
	frameio_malloc_policy(); /* before any client buffer exists */
	client *c = calloc(1, sizeof(*c));
	if (!c) {
		evutil_closesocket(fd);
		log_error("event=out_of_memory where=client_accept");
		return;
	}
	c->px = px;
	c->id = ++px->next_client_id;
	px->metrics->client_connections_total++;
	c->vb = vb;
	TAILQ_INIT(&c->outq);
	TAILQ_INIT(&c->ownq);
	if (addr->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;
		char ip[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
		snprintf(c->peer, sizeof(c->peer), "%s:%d", ip, ntohs(sin->sin_port));
	}
	TAILQ_INSERT_TAIL(&px->clients, c, link);
	c->bev = tls_client_bev(px, fd);
	if (!c->bev) {
		evutil_closesocket(fd);
		client_close(c, "out of memory");
		return;
	}
	bufferevent_setcb(c->bev, client_read, client_write, client_event, c);
	c->plain = !tls_is_tls(c->bev);
	/* up to FRAMEIO_WRITE_MAX per wakeup, not libevent's 16 KiB */
	bufferevent_set_max_single_write(c->bev, FRAMEIO_WRITE_MAX);
	vbroker *target = vb ? vb : vbroker_pick(px, px->cfg->default_cluster);
	if (!target || !target->host[0]) {
		client_close(c, "no known address for the broker behind this listener");
		return;
	}
	c->up = upstream_open(c, target);
	if (!c->up) {
		client_close(c, "cannot open upstream connection");
		return;
	}
	if (adopt_upstream(c, c->up)) {
		upstream_free(c->up);
		c->up = NULL;
		client_close(c, "out of memory");
		return;
	}
	c->reading = 1;
	/* plain: EV_WRITE only while the socket lags (write_out) */
	bufferevent_enable(c->bev, c->plain ? EV_READ : EV_READ | EV_WRITE);
	log_info("client=%d event=connected peer=%s listener=%s%d cluster=%s broker=%d", c->id,
	         c->peer, vb ? "vbroker-" : "bootstrap", vb ? vb->vid : 0,
	         config_cluster_names[target->cluster], target->node_id);
}

/* Requests that will never be answered now. When the client itself left
 * (or turnout stops) that is not an error; otherwise each one is. */
static void count_unanswered(client *c, const char *reason)
{
	int client_side =
	    c->hungup || strncmp(reason, "client ", 7) == 0 || strcmp(reason, "shutting down") == 0;
	pending *p;
	TAILQ_FOREACH(p, &c->outq, link)
	{
		if (p->done)
			continue;
		int who = p->answerer < 0 ? METRICS_TURNOUT : p->answerer;
		metrics_request(c->px->metrics, p->api, who);
		if (!client_side)
			metrics_request_error(c->px->metrics, p->api, who);
	}
}

void client_close(client *c, const char *reason)
{
	if (c->closed)
		return;
	c->closed = 1;
	if (c->member_of) /* a group member's connection: say which group */
		log_info("client=%d group=%s event=closed peer=%s reason=\"%s\" pending=%d", c->id,
		         c->member_of->id, c->peer, reason, c->npending);
	else
		log_info("client=%d event=closed peer=%s reason=\"%s\" pending=%d", c->id, c->peer,
		         reason, c->npending);
	count_unanswered(c, reason);
	if (c->bev) {
		bufferevent_disable(c->bev, EV_READ | EV_WRITE);
		bufferevent_setcb(c->bev, NULL, NULL, NULL, NULL);
	}
	for (int i = 0; i < c->nups; i++) {
		bufferevent_disable(c->ups[i]->bev, EV_READ | EV_WRITE);
		bufferevent_setcb(c->ups[i]->bev, NULL, NULL, NULL, NULL);
		evbuffer_remove_cb(bufferevent_get_output(c->ups[i]->bev), upstream_output_changed,
		                   c);
	}
	TAILQ_REMOVE(&c->px->clients, c, link);
	TAILQ_INSERT_TAIL(&c->px->justfree, c, link);
	event_active(c->px->janitor, EV_TIMEOUT, 0);
}

void client_close_broker(proxy *px, const vbroker *vb, const char *reason)
{
	client *c = TAILQ_FIRST(&px->clients), *next;
	for (; c; c = next) {
		next = TAILQ_NEXT(c, link); /* client_close moves c to justfree */
		if (c->vb == vb || (c->up && c->up->vb == vb))
			client_close(c, reason);
	}
}

int client_is_closed(const client *c)
{
	return c->closed;
}

int client_cluster(const client *c)
{
	return c->up->vb->cluster;
}

/* An upstream of cluster for c: home if it fits, else one already open to
 * that cluster, else a new one to a broker picked round robin. */
static upstream *upstream_for(client *c, int cluster)
{
	for (int i = 0; i < c->nups; i++)
		if (c->ups[i]->vb->cluster == cluster)
			return c->ups[i];
	if (c->nups == CLIENT_UPSTREAMS_MAX)
		return NULL;
	vbroker *vb = vbroker_pick(c->px, cluster);
	upstream *u = vb ? upstream_open(c, vb) : NULL;
	if (!u)
		return NULL;
	if (adopt_upstream(c, u)) {
		upstream_free(u);
		return NULL;
	}
	log_debug("client=%d event=upstream_opened cluster=%s broker=%d", c->id,
	          config_cluster_names[cluster], vb->node_id);
	return u;
}

int client_forward(client *c, int cluster, struct evbuffer *in, size_t len, pending *p,
                   int32_t corr)
{
	upstream *u = c->up->vb->cluster == cluster ? c->up : upstream_for(c, cluster);
	if (!u)
		return -1;
	if (p)
		p->answerer = p->answerer < 0 || p->answerer == cluster ? cluster : METRICS_BOTH;
	else /* acks=0 Produce: nothing will answer; counted as sent */
		metrics_request(c->px->metrics, WIRE_API_PRODUCE, cluster);
	return upstream_send(u, in, len, p, corr);
}

int client_send_encoded(client *c, int cluster, const wire_wr *w, pending *p)
{
	struct evbuffer *tmp = evbuffer_new();
	int rc = -1;
	if (tmp && frameio_put(tmp, w) == 0)
		rc = client_forward(c, cluster, tmp, evbuffer_get_length(tmp), p, p->corr);
	if (tmp)
		evbuffer_free(tmp);
	return rc;
}

int client_answer(pending *p, const wire_wr *w)
{
	if (frameio_put(p->resp, w))
		return -1;
	pending_finished(p, METRICS_TURNOUT); /* flushed by the read loop once taken in */
	return 0;
}

int32_t client_own_corr(client *c)
{
	return upstream_fresh_corr(c->up);
}

int client_send_own(client *c, const wire_wr *w, int32_t corr, pending_own_fn fn, void *arg)
{
	pending *p = calloc(1, sizeof(*p));
	struct evbuffer *tmp = evbuffer_new();
	int rc = -1;
	if (!p || !tmp || frameio_put(tmp, w))
		goto out;
	p->kind = PENDING_OWN;
	p->corr = corr;
	p->c = c;
	p->own = fn;
	p->own_arg = arg;
	rc = upstream_send(c->up, tmp, evbuffer_get_length(tmp), p, corr);
	if (rc == 0) {
		TAILQ_INSERT_TAIL(&c->ownq, p, link);
		p = NULL;
	}
out:
	if (tmp)
		evbuffer_free(tmp);
	free(p);
	return rc;
}

void client_hold(client *c, int on)
{
	c->prod_hold = on;
	if (!on)
		update_reading(c);
}

static void client_free(client *c)
{
	pending *p;
	while ((p = TAILQ_FIRST(&c->outq))) {
		TAILQ_REMOVE(&c->outq, p, link);
		pending_free(p);
	}
	while ((p = TAILQ_FIRST(&c->ownq))) {
		TAILQ_REMOVE(&c->ownq, p, link);
		p->own(p->own_arg, -1, NULL, 0);
		pending_free(p);
	}
	for (int i = 0; i < c->nups; i++)
		upstream_free(c->ups[i]);
	if (c->bev)
		bufferevent_free(c->bev);
	free(c);
}

/* The janitor: frees closed clients once no callback can still touch them. */
void client_free_closed(proxy *px)
{
	client *c;
	while ((c = TAILQ_FIRST(&px->justfree))) {
		TAILQ_REMOVE(&px->justfree, c, link);
		client_free(c);
	}
}

void client_free_all(proxy *px)
{
	client *c;
	while ((c = TAILQ_FIRST(&px->clients)))
		client_close(c, "shutting down");
	client_free_closed(px);
}
