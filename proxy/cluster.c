/*
 * Cluster discovery: turnout's own connection to each cluster asks
 * ApiVersions (what the brokers accept) and Metadata without topics (which
 * brokers exist and where), then closes and repeats on a timer. Clients are
 * served only once both clusters have answered once, because turnout's
 * ApiVersions answer depends on both. A cluster with `tls` is reached over
 * TLS (tls.c); one with `sasl` authenticates between ApiVersions and
 * Metadata (sasl.c), exactly as client connections do.
 * Each answered refresh tells vbroker.c which brokers the cluster lists, so
 * brokers that left are retired.
 */
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/frameio.h"
#include "proxy/log.h"
#include "proxy/metrics.h"
#include "proxy/proxy.h"
#include "proxy/sasl.h"
#include "proxy/tls.h"
#include "wire/api.h"
#include "wire/header.h"
#include "wire_msgs.h"

enum { STEP_IDLE, STEP_VERSIONS, STEP_METADATA, STEP_SASL };

static void schedule(cluster_state *cs, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	event_add(cs->refresh, &tv);
}

static void admin_close(cluster_state *cs)
{
	if (cs->admin)
		bufferevent_free(cs->admin);
	cs->admin = NULL;
	cs->admin_step = STEP_IDLE;
	sasl_session_free(cs->sasl);
	cs->sasl = NULL;
}

static void admin_fail(cluster_state *cs, const char *why)
{
	log_warn("event=discovery_failed cluster=%s reason=\"%s\" retry_ms=1000", cs->name, why);
	snprintf(cs->last_error, sizeof(cs->last_error), "%s", why);
	cs->px->metrics->discovery_failures[cs->index]++;
	admin_close(cs);
	cs->bootstrap_next++;
	schedule(cs, 1000);
}

/* A TLS or SASL failure: the reason names the broker address. */
static void admin_fail_at(cluster_state *cs, const char *why)
{
	char r[700];
	snprintf(r, sizeof(r), "%.255s: %.399s", cs->admin_host, why);
	admin_fail(cs, r);
}

static int send_request(cluster_state *cs, int16_t api, int16_t v, const void *body)
{
	wire_wr w;
	wire_wr_init(&w, false);
	wire_req_header h = {.api_key = api,
	                     .api_version = v,
	                     .correlation_id = cs->admin_step,
	                     .client_id = wire_str_c("turnout"),
	                     .version = (int8_t)wire_req_header_version(api, v)};
	int rc = frameio_encode_request(&w, &h, body);
	if (!rc)
		rc = bufferevent_write(cs->admin, w.buf, w.len);
	wire_wr_free(&w);
	return rc ? -1 : 0;
}

static int send_metadata(cluster_state *cs)
{
	const wire_msg_type *t = wire_msg_find(WIRE_API_METADATA, WIRE_REQUEST);
	api_range r = cs->versions.r[WIRE_API_METADATA];
	int16_t v = r.max < t->max_version ? r.max : t->max_version;
	if (v < 1 || v < r.min)
		return -1; /* v0 cannot ask for "no topics" */
	wire_metadata_req req;
	wire_metadata_req_init(&req);
	req.allow_auto_topic_creation = false;
	req.topics.n = 0; /* brokers only */
	cs->metadata_version = v;
	cs->admin_step = STEP_METADATA;
	return send_request(cs, WIRE_API_METADATA, v, &req);
}

static int on_versions(cluster_state *cs, const uint8_t *body, size_t len, char *err, size_t el)
{
	wire_arena a;
	wire_arena_init(&a, 0);
	wire_api_versions_resp resp;
	int rc = wire_msg_decode_lenient(wire_msg_find(WIRE_API_API_VERSIONS, WIRE_RESPONSE), 0,
	                                 body, len, &a, &resp, &(size_t){0}, err, el);
	if (!rc && resp.error_code) {
		snprintf(err, el, "ApiVersions error %d", resp.error_code);
		rc = -1;
	}
	if (!rc) {
		for (int k = 0; k < APIVERSIONS_KEYS; k++)
			cs->versions.r[k] = (api_range){1, 0};
		for (int32_t i = 0; i < resp.api_keys.n; i++) {
			const wire_api_versions_resp_api_version *k = &resp.api_keys.v[i];
			if (k->api_key >= 0 && k->api_key < APIVERSIONS_KEYS)
				cs->versions.r[k->api_key] =
				    (api_range){k->min_version, k->max_version};
		}
		cs->have_versions = 1;
	}
	wire_arena_reset(&a);
	return rc;
}

static int on_metadata(cluster_state *cs, const uint8_t *body, size_t len, char *err, size_t el)
{
	wire_arena a;
	wire_arena_init(&a, 0);
	wire_metadata_resp resp;
	int rc = wire_msg_decode_lenient(wire_msg_find(WIRE_API_METADATA, WIRE_RESPONSE),
	                                 cs->metadata_version, body, len, &a, &resp, &(size_t){0},
	                                 err, el);
	if (!rc && resp.brokers.n <= 0) {
		snprintf(err, el, "Metadata lists no brokers");
		rc = -1;
	}
	int32_t ids[CLUSTER_BROKERS_MAX];
	int nids = 0;
	for (int32_t i = 0; !rc && i < resp.brokers.n; i++) {
		const wire_metadata_resp_broker *b = &resp.brokers.v[i];
		vbroker_learn(cs->px, cs->index, b->node_id, b->host.p, b->host.len, b->port);
		if (nids < CLUSTER_BROKERS_MAX)
			ids[nids++] = b->node_id;
	}
	/* A cluster this large is outside what turnout tracks; retiring
	 * brokers from a truncated list would be wrong, so none are. */
	if (!rc && resp.brokers.n <= CLUSTER_BROKERS_MAX)
		vbroker_refreshed(cs->px, cs->index, ids, nids);
	if (!rc && !cs->have_metadata)
		log_info("event=cluster_discovered cluster=%s brokers=%d metadata_version=%d",
		         cs->name, resp.brokers.n, cs->metadata_version);
	if (!rc) {
		cs->have_metadata = 1;
		cs->last_error[0] = '\0';
	}
	wire_arena_reset(&a);
	return rc;
}

/* SASL on the discovery connection, after ApiVersions (which needs none). */
static void admin_sasl_send(cluster_state *cs)
{
	char err[400];
	if (sasl_session_request(cs->sasl, STEP_SASL, bufferevent_get_output(cs->admin), err,
	                         sizeof(err)))
		admin_fail_at(cs, err);
}

static void admin_sasl_start(cluster_state *cs)
{
	char err[400];
	cs->sasl = sasl_session_new(cs->px->cfg->clusters[cs->index].sasl, cs->admin_host,
	                            &cs->versions, err, sizeof(err));
	if (!cs->sasl)
		return admin_fail_at(cs, err);
	cs->admin_step = STEP_SASL;
	admin_sasl_send(cs);
}

static void admin_sasl_response(cluster_state *cs, struct evbuffer *in, int32_t size)
{
	char err[400] = "";
	uint8_t *p = evbuffer_pullup(in, 4 + (ssize_t)size);
	int rc = sasl_session_response(cs->sasl, p + 4, (size_t)size, err, sizeof(err));
	evbuffer_drain(in, 4 + (size_t)size);
	if (rc == SASL_AGAIN)
		return admin_sasl_send(cs);
	if (rc == SASL_FAILED)
		return admin_fail_at(cs, err);
	log_debug("event=discovery_authenticated cluster=%s host=%s mechanism=%s", cs->name,
	          cs->admin_host, sasl_session_mechanism(cs->sasl));
	sasl_session_free(cs->sasl);
	cs->sasl = NULL;
	if (send_metadata(cs))
		admin_fail(cs, "cluster does not offer Metadata v1 or later");
}

static void admin_read(struct bufferevent *bev, void *arg)
{
	cluster_state *cs = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	int32_t size;
	const char *ferr;
	wire_frame_status st =
	    frameio_peek(in, WIRE_MIN_RESPONSE_FRAME, cs->px->cfg->max_frame_bytes, &size, &ferr);
	if (st == WIRE_FRAME_ERROR)
		return admin_fail(cs, ferr);
	if (st == WIRE_FRAME_NEED)
		return;
	uint8_t *p = evbuffer_pullup(in, 4 + size);
	char err[256] = "";
	int32_t corr =
	    (int32_t)((uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7]);
	if (corr != cs->admin_step)
		return admin_fail(cs, "unexpected correlation id");
	if (cs->admin_step == STEP_SASL)
		return admin_sasl_response(cs, in, size);
	/* ApiVersions v0 and non-flexible Metadata: response header v0 */
	int hv = cs->admin_step == STEP_METADATA
	             ? wire_resp_header_version(WIRE_API_METADATA, cs->metadata_version)
	             : 0;
	size_t hlen = 4 + (hv ? 1 : 0);
	if (hv && (size < 5 || p[8] != 0))
		return admin_fail(cs, "tagged fields in a response header");
	const uint8_t *body = p + 4 + hlen;
	size_t blen = (size_t)size - hlen;
	int step = cs->admin_step;
	int rc = step == STEP_VERSIONS ? on_versions(cs, body, blen, err, sizeof(err))
	                               : on_metadata(cs, body, blen, err, sizeof(err));
	evbuffer_drain(in, 4 + (size_t)size);
	if (rc)
		return admin_fail(cs, err);
	if (step == STEP_VERSIONS && cs->px->cfg->clusters[cs->index].sasl) {
		admin_sasl_start(cs);
		return;
	}
	if (step == STEP_VERSIONS) {
		if (send_metadata(cs))
			admin_fail(cs, "cluster does not offer Metadata v1 or later");
		return;
	}
	admin_close(cs);
	schedule(cs, cs->px->cfg->metadata_refresh_ms);
	if (!cs->px->ready && cs->px->clusters[0].have_metadata &&
	    cs->px->clusters[1].have_metadata)
		proxy_clusters_ready(cs->px);
}

static void admin_event(struct bufferevent *bev, short what, void *arg)
{
	cluster_state *cs = arg;
	if (what & BEV_EVENT_CONNECTED) {
		wire_api_versions_req req;
		wire_api_versions_req_init(&req);
		cs->admin_step = STEP_VERSIONS;
		if (send_request(cs, WIRE_API_API_VERSIONS, 0, &req))
			admin_fail(cs, "could not send ApiVersions");
		return;
	}
	char why[400] = "";
	if (cs->admin_step == STEP_IDLE && tls_is_tls(bev) && !(what & BEV_EVENT_TIMEOUT))
		tls_describe_failure(bev, why, sizeof(why)); /* the TLS handshake failed */
	if (strncmp(why, "TLS ", 4) == 0)
		return admin_fail_at(cs, why);
	admin_fail(cs, why[0]                     ? why
	               : what & BEV_EVENT_TIMEOUT ? "timed out"
	               : what & BEV_EVENT_EOF     ? "connection closed"
	                                          : "connection failed");
}

/* Connects to the next address: a known broker first, else a bootstrap entry. */
static void discover(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	cluster_state *cs = arg;
	proxy *px = cs->px;
	if (cs->admin)
		return;
	char host[256] = "";
	int port = 0;
	vbroker *vb = cs->have_metadata ? vbroker_pick(px, cs->index) : NULL;
	if (vb) {
		snprintf(host, sizeof(host), "%s", vb->host);
		port = vb->port;
	} else {
		/* entry bootstrap_next of the comma-separated list; empty entries
		 * ("a:1,,b:2,") are skipped, as config.c and Kafka clients do */
		const char *list = px->cfg->clusters[cs->index].bootstrap;
		int n = 0;
		for (const char *s = list; *s; s++)
			n += *s != ',' && (s == list || s[-1] == ',');
		int want = cs->bootstrap_next % (n ? n : 1);
		const char *s = list;
		for (int i = 0; *s; s++) {
			int start = *s != ',' && (s == list || s[-1] == ',');
			if (start && i++ == want)
				break;
		}
		const char *end = strchr(s, ',');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		const char *colon = NULL;
		for (size_t i = 0; i < len; i++)
			if (s[i] == ':')
				colon = s + i;
		if (!colon || (size_t)(colon - s) >= sizeof(host))
			return admin_fail(cs, "bad bootstrap entry");
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
		port = atoi(colon + 1);
	}
	snprintf(cs->admin_host, sizeof(cs->admin_host), "%s", host);
	cs->admin = tls_upstream_bev(px, cs->index, host);
	if (!cs->admin)
		return admin_fail(cs, "out of memory");
	bufferevent_setcb(cs->admin, admin_read, NULL, admin_event, cs);
	struct timeval tmo = {10, 0};
	bufferevent_set_timeouts(cs->admin, &tmo, &tmo);
	bufferevent_enable(cs->admin, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect_hostname(cs->admin, px->dns, AF_UNSPEC, host, port))
		admin_fail(cs, "connect failed");
}

void cluster_start(proxy *px, int cluster)
{
	cluster_state *cs = &px->clusters[cluster];
	cs->index = cluster;
	cs->name = config_cluster_names[cluster];
	cs->px = px;
	for (int k = 0; k < APIVERSIONS_KEYS; k++)
		cs->versions.r[k] = (api_range){1, 0};
	cs->refresh = evtimer_new(px->base, discover, cs);
	if (!cs->refresh) {
		log_error("event=out_of_memory where=cluster_start");
		return;
	}
	schedule(cs, 0);
}
