/*
 * Upstream connection to one real broker. Kafka brokers answer requests on
 * a connection in the order they were sent, so responses are matched to the
 * head of a FIFO and the correlation id is only checked, never rewritten.
 *
 * Life cycle:
 *
 *   connect -> [TLS handshake] -> [SaslHandshake, SaslAuthenticate...] -> ready
 *                                       ^                                  |
 *                                       +-- KIP-368: at 85-95% of the -----+
 *                                           session lifetime, once the
 *                                           answers in flight are in
 *
 * Without SASL a connection is usable at once (the socket or TLS layer
 * buffers until connected): the plaintext path is the one it always was.
 * With SASL, client requests that arrive before ready, or during a
 * re-authentication, are held in order and sent after. turnout's own SASL
 * requests sit in the same FIFO as the client's (kind WAIT_SASL) with
 * correlation ids unused by anything in flight; their responses are
 * consumed here and never reach the client. A TLS or SASL failure logs one
 * line with the reason and closes the client, as any upstream failure does.
 */
#include "proxy/upstream.h"

#include <event2/dns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "proxy/client.h"
#include "proxy/frameio.h"
#include "proxy/log.h"
#include "proxy/sasl.h"
#include "proxy/tls.h"

enum { CONNECT_TIMEOUT_MS = 10000, REAUTH_MARGIN_MS = 1000 };

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

static void no_reply_add(upstream *u, int32_t corr)
{
	unsigned n = sizeof(u->no_reply) / sizeof(u->no_reply[0]);
	u->no_reply[u->no_reply_next++ % n] = corr;
}

static const char *cluster_name(const upstream *u)
{
	return config_cluster_names[u->vb->cluster];
}

/* A TLS or SASL failure: one warn line with the facts, then the client is
 * closed like on any upstream failure (it reconnects and retries). */
static void auth_failed(upstream *u, const char *stage, const char *mech, const char *why)
{
	log_warn("client=%d event=upstream_%s_failed cluster=%s broker=%d address=%s:%d "
	         "mechanism=%s reason=\"%s\"",
	         u->owner->id, stage, cluster_name(u), u->vb->node_id, u->vb->host, u->vb->port,
	         mech, why);
	char reason[600];
	snprintf(reason, sizeof(reason), "upstream %s broker %d (%s:%d) %s failed: %s",
	         cluster_name(u), u->vb->node_id, u->vb->host, u->vb->port, stage, why);
	client_close(u->owner, reason);
}

/* A correlation id no request in flight on this connection uses, so a
 * response can never be taken for another's (acks=0 replies included). */
static int32_t fresh_corr(upstream *u)
{
	for (;;) {
		int32_t c = ++u->sasl_corr;
		if (c < 0x7ff00000)
			c = u->sasl_corr = 0x7ff00000; /* far from where clients count */
		int used = 0;
		upstream_wait *w;
		TAILQ_FOREACH(w, &u->waits, link)
		used |= w->corr == c;
		for (unsigned i = 0; i < sizeof(u->no_reply) / sizeof(u->no_reply[0]); i++)
			used |= u->no_reply[i] == c;
		if (!used)
			return c;
	}
}

static int send_sasl(upstream *u)
{
	char err[300];
	upstream_wait *w = calloc(1, sizeof(*w));
	if (!w) {
		auth_failed(u, "sasl", sasl_session_mechanism(u->sasl), "out of memory");
		return -1;
	}
	w->kind = WAIT_SASL;
	w->corr = fresh_corr(u);
	if (sasl_session_request(u->sasl, w->corr, bufferevent_get_output(u->bev), err,
	                         sizeof(err))) {
		free(w);
		auth_failed(u, "sasl", sasl_session_mechanism(u->sasl), err);
		return -1;
	}
	int was_idle = TAILQ_EMPTY(&u->waits);
	TAILQ_INSERT_TAIL(&u->waits, w, link);
	if (was_idle)
		arm_timeout(u);
	return 0;
}

/* Held client requests go out, in the order they came, behind nothing. */
static void release_held(upstream *u)
{
	int was_idle = TAILQ_EMPTY(&u->waits);
	upstream_wait *w;
	while ((w = TAILQ_FIRST(&u->held_waits))) {
		TAILQ_REMOVE(&u->held_waits, w, link);
		if (w->kind == WAIT_NO_REPLY) {
			no_reply_add(u, w->corr);
			free(w);
		} else {
			TAILQ_INSERT_TAIL(&u->waits, w, link);
		}
	}
	if (u->held && evbuffer_get_length(u->held))
		evbuffer_add_buffer(bufferevent_get_output(u->bev), u->held);
	if (was_idle && !TAILQ_EMPTY(&u->waits))
		arm_timeout(u);
}

/* KIP-368: a random point between 85% and 95% of the session lifetime,
 * so that many connections do not re-authenticate at once; but at least
 * REAUTH_MARGIN_MS before the end when the lifetime allows, because the
 * answers in flight (a Fetch long poll among them) must arrive before the
 * handshake can go, and a request that reaches the broker after the end
 * closes the connection. */
static void schedule_reauth(upstream *u, int64_t lifetime_ms)
{
	if (lifetime_ms <= 0)
		return;
	unsigned r = 0;
	RAND_bytes((unsigned char *)&r, sizeof(r)); /* jitter only: r = 0 on failure is fine */
	int64_t ms = lifetime_ms * (850 + r % 101) / 1000;
	if (lifetime_ms - ms < REAUTH_MARGIN_MS)
		ms = lifetime_ms - REAUTH_MARGIN_MS > lifetime_ms / 2
		         ? lifetime_ms - REAUTH_MARGIN_MS
		         : lifetime_ms / 2;
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
	event_add(u->timer, &tv);
}

static void start_auth(upstream *u, int reauth)
{
	proxy *px = u->vb->px;
	const config_sasl *cfg = px->cfg->clusters[u->vb->cluster].sasl;
	if (!cfg) { /* a reload removed SASL: nothing to do */
		u->state = UP_READY;
		release_held(u);
		return;
	}
	char err[400];
	sasl_session_free(u->sasl);
	u->sasl = sasl_session_new(cfg, u->vb->host, &px->clusters[u->vb->cluster].versions, err,
	                           sizeof(err));
	if (!u->sasl) {
		auth_failed(u, reauth ? "reauth" : "sasl", sasl_mech_names[cfg->mechanism], err);
		return;
	}
	u->state = reauth ? UP_REAUTH : UP_AUTH;
	send_sasl(u);
}

/* One SASL response at the front of in (size bytes after the length). */
static int on_sasl_response(upstream *u, struct evbuffer *in, int32_t size)
{
	char err[400] = "";
	uint8_t *p = evbuffer_pullup(in, 4 + (ssize_t)size);
	int rc =
	    p ? sasl_session_response(u->sasl, p + 4, (size_t)size, err, sizeof(err)) : SASL_FAILED;
	evbuffer_drain(in, 4 + (size_t)size);
	const char *stage = u->state == UP_REAUTH ? "reauth" : "sasl";
	if (rc == SASL_FAILED) {
		auth_failed(u, stage, sasl_session_mechanism(u->sasl), p ? err : "out of memory");
		return -1;
	}
	if (rc == SASL_AGAIN)
		return send_sasl(u);
	int64_t lifetime = sasl_session_lifetime_ms(u->sasl);
	if (u->state == UP_REAUTH)
		u->reauths++;
	log_info("client=%d event=upstream_%s cluster=%s broker=%d address=%s:%d mechanism=%s "
	         "session_lifetime_ms=%lld reauths=%u %s",
	         u->owner->id, u->state == UP_REAUTH ? "reauthenticated" : "authenticated",
	         cluster_name(u), u->vb->node_id, u->vb->host, u->vb->port,
	         sasl_session_mechanism(u->sasl), (long long)lifetime, u->reauths,
	         sasl_session_detail(u->sasl));
	sasl_session_free(u->sasl);
	u->sasl = NULL;
	u->state = UP_READY;
	release_held(u);
	schedule_reauth(u, lifetime);
	return 0;
}

static void up_read(struct bufferevent *bev, void *arg)
{
	upstream *u = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	client *owner = u->owner;
	if (!tls_is_tls(bev))
		frameio_fill(bev, FRAMEIO_FILL_MAX); /* a plain socket: 64 KiB reads */
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
		if ((!w || w->corr != corr) && answered_unasked(u, corr)) {
			/* Kafka sends nothing for acks=0; librdkafka's mock replies
			 * anyway. Such a reply is dropped, not an error. */
			evbuffer_drain(in, 4 + (size_t)size);
			continue;
		}
		if (!w || w->corr != corr) {
			snprintf(why, sizeof(why), "broker answered correlation id %d, expected %d",
			         corr, w ? w->corr : -1);
			client_close(owner, why);
			return;
		}
		TAILQ_REMOVE(&u->waits, w, link);
		upstream_wait_kind kind = w->kind;
		pending *p = w->req;
		if (kind == WAIT_INTERNAL) {
			const uint8_t *frame = evbuffer_pullup(in, 4 + (ssize_t)size);
			if (frame)
				w->fn(u->vb->px, w->arg, frame, 4 + (size_t)size);
			evbuffer_drain(in, 4 + (size_t)size);
		}
		free(w->arg);
		free(w);
		if (TAILQ_EMPTY(&u->waits))
			arm_timeout(u);
		if (kind == WAIT_INTERNAL)
			continue;
		if (kind == WAIT_SASL) {
			if (on_sasl_response(u, in, size))
				return;
			continue;
		}
		client_deliver(p, u->vb->cluster, in, 4 + (size_t)size);
		if (client_is_closed(owner))
			return; /* closed while handling this response */
		if (u->state == UP_REAUTH_DRAIN && TAILQ_EMPTY(&u->waits)) {
			start_auth(u, 1);
			if (client_is_closed(owner))
				return;
		}
	}
}

static void up_event(struct bufferevent *bev, short what, void *arg)
{
	upstream *u = arg;
	if (what & BEV_EVENT_CONNECTED) {
		u->connected = 1;
		if (u->timer && u->state != UP_READY)
			event_del(u->timer); /* the connect deadline */
		if (tls_is_tls(bev) && log_threshold >= LOG_DEBUG) {
			char s[128];
			tls_describe_session(bev, s, sizeof(s));
			log_debug(
			    "client=%d event=upstream_tls cluster=%s broker=%d session=\"%s\"",
			    u->owner->id, cluster_name(u), u->vb->node_id, s);
		}
		if (u->state == UP_CONNECTING)
			start_auth(u, 0);
		return;
	}
	char detail[300];
	if (!u->connected && tls_is_tls(bev) && !(what & BEV_EVENT_TIMEOUT)) {
		tls_describe_failure(bev, detail, sizeof(detail));
		if (strncmp(detail, "TLS ", 4) == 0) {
			auth_failed(u, "tls", "-", detail);
			return;
		}
	}
	char why[500];
	snprintf(why, sizeof(why), "upstream %s broker %d (%s:%d) %s", cluster_name(u),
	         u->vb->node_id, u->vb->host, u->vb->port,
	         what & BEV_EVENT_EOF       ? "closed the connection"
	         : what & BEV_EVENT_TIMEOUT ? "did not answer within request_timeout_ms"
	         : u->connected             ? "connection failed"
	                                    : "unreachable");
	client_close(u->owner, why);
}

/* Connect deadline (TCP and TLS), or in READY the KIP-368 time. */
static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	upstream *u = arg;
	if (client_is_closed(u->owner))
		return;
	if (u->state == UP_READY) {
		u->state = UP_REAUTH_DRAIN;
		if (TAILQ_EMPTY(&u->waits))
			start_auth(u, 1);
		return;
	}
	if (!u->connected) {
		char why[400];
		snprintf(why, sizeof(why),
		         "upstream %s broker %d (%s:%d) not connected within %d ms%s",
		         cluster_name(u), u->vb->node_id, u->vb->host, u->vb->port,
		         CONNECT_TIMEOUT_MS, tls_is_tls(u->bev) ? " (TCP and TLS handshake)" : "");
		client_close(u->owner, why);
	}
}

upstream *upstream_open(client *owner, vbroker *vb)
{
	proxy *px = vb->px;
	upstream *u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->owner = owner;
	u->vb = vb;
	TAILQ_INIT(&u->waits);
	TAILQ_INIT(&u->held_waits);
	for (unsigned i = 0; i < sizeof(u->no_reply) / sizeof(u->no_reply[0]); i++)
		u->no_reply[i] = INT32_MIN;
	u->state = px->cfg->clusters[vb->cluster].sasl ? UP_CONNECTING : UP_OPEN;
	u->bev = tls_upstream_bev(px, vb->cluster, vb->host);
	if (!u->bev)
		goto fail;
	/* up to FRAMEIO_WRITE_MAX per wakeup, not libevent's 16 KiB */
	bufferevent_set_max_single_write(u->bev, FRAMEIO_WRITE_MAX);
	if (u->state != UP_OPEN || tls_is_tls(u->bev)) {
		struct timeval tv = {CONNECT_TIMEOUT_MS / 1000, 0};
		u->timer = evtimer_new(px->base, on_timer, u);
		if (!u->timer || event_add(u->timer, &tv))
			goto fail;
	}
	bufferevent_setcb(u->bev, up_read, NULL, up_event, u);
	struct timeval connect_tmo = {CONNECT_TIMEOUT_MS / 1000, 0};
	bufferevent_set_timeouts(u->bev, NULL, &connect_tmo);
	bufferevent_enable(u->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect_hostname(u->bev, px->dns, AF_UNSPEC, vb->host, vb->port))
		goto fail;
	return u;
fail:
	if (u->timer)
		event_free(u->timer);
	if (u->bev)
		bufferevent_free(u->bev);
	free(u);
	return NULL;
}

/* Not ready: the frame waits, in order, with its wait entry. */
static int hold(upstream *u, struct evbuffer *src, size_t len, pending *req, int32_t corr)
{
	if (!u->held && !(u->held = evbuffer_new()))
		return -1;
	upstream_wait *w = calloc(1, sizeof(*w));
	if (!w)
		return -1;
	w->req = req;
	w->corr = corr;
	w->kind = req ? WAIT_CLIENT : WAIT_NO_REPLY;
	TAILQ_INSERT_TAIL(&u->held_waits, w, link);
	return evbuffer_remove_buffer(src, u->held, len) == (int)len ? 0 : -1;
}

int upstream_send(upstream *u, struct evbuffer *src, size_t len, pending *req, int32_t corr)
{
	if (u->state != UP_OPEN && u->state != UP_READY)
		return hold(u, src, len, req, corr);
	if (!req) {
		no_reply_add(u, corr);
	} else {
		upstream_wait *w = calloc(1, sizeof(*w));
		if (!w)
			return -1;
		w->req = req;
		w->corr = corr;
		int was_idle = TAILQ_EMPTY(&u->waits);
		TAILQ_INSERT_TAIL(&u->waits, w, link);
		if (was_idle)
			arm_timeout(u);
	}
	return evbuffer_remove_buffer(src, bufferevent_get_output(u->bev), len) == (int)len ? 0
	                                                                                    : -1;
}

static void free_waits(struct upstream_waits *q)
{
	upstream_wait *w;
	while ((w = TAILQ_FIRST(q))) {
		TAILQ_REMOVE(q, w, link);
		free(w->arg);
		free(w);
	}
}

int upstream_send_internal(upstream *u, wire_req_header *h, const void *body, upstream_reply_fn fn,
                           void *arg)
{
	upstream_wait *w = calloc(1, sizeof(*w));
	struct evbuffer *tmp = evbuffer_new();
	wire_wr wr;
	wire_wr_init(&wr, false);
	int rc = -1;
	if (!w || !tmp)
		goto out;
	w->kind = WAIT_INTERNAL;
	w->fn = fn;
	w->arg = arg;
	w->corr = h->correlation_id = fresh_corr(u);
	if (frameio_encode_request(&wr, h, body) || frameio_put(tmp, &wr))
		goto out;
	size_t len = evbuffer_get_length(tmp);
	if (u->state != UP_OPEN && u->state != UP_READY) {
		/* held behind the client's frames, in order, until SASL is done */
		if ((!u->held && !(u->held = evbuffer_new())) ||
		    evbuffer_remove_buffer(tmp, u->held, len) != (int)len)
			goto out;
		TAILQ_INSERT_TAIL(&u->held_waits, w, link);
	} else {
		if (evbuffer_remove_buffer(tmp, bufferevent_get_output(u->bev), len) != (int)len)
			goto out;
		int was_idle = TAILQ_EMPTY(&u->waits);
		TAILQ_INSERT_TAIL(&u->waits, w, link);
		if (was_idle)
			arm_timeout(u);
	}
	w = NULL;
	arg = NULL;
	rc = 0;
out:
	wire_wr_free(&wr);
	if (tmp)
		evbuffer_free(tmp);
	free(w);
	free(arg);
	return rc;
}

void upstream_free(upstream *u)
{
	free_waits(&u->waits);
	free_waits(&u->held_waits);
	if (u->held)
		evbuffer_free(u->held);
	sasl_session_free(u->sasl);
	if (u->timer)
		event_free(u->timer);
	bufferevent_free(u->bev);
	free(u);
}
