/*
 * Merged responses (see merge.h). Each part is decoded from its own frame,
 * rewritten to virtual brokers for the cluster that sent it, and the
 * pieces are joined into one message encoded at the client's version.
 */
#include "proxy/merge.h"

#include <stdio.h>
#include <string.h>

#include "proxy/frameio.h"
#include "proxy/view.h"
#include "wire/api.h"
#include "wire/msg.h"
#include "wire_msgs.h"

typedef union part_msg {
	wire_metadata_resp md;
	wire_find_coordinator_resp fc;
} part_msg;

/* Decodes part i of p into m (fields point into the part's frame). */
static int decode_part(pending *p, int i, wire_arena *a, part_msg *m, wire_resp_header *h,
                       char *err, size_t errlen)
{
	size_t len = evbuffer_get_length(p->part[i]);
	const uint8_t *f = evbuffer_pullup(p->part[i], (ssize_t)len);
	const wire_msg_type *t = wire_msg_find(p->api, WIRE_RESPONSE);
	if (!f || !t || len < 4) {
		snprintf(err, errlen, "cannot read an answer");
		return -1;
	}
	wire_rd r;
	wire_rd_init(&r, f + 4, len - 4);
	size_t trailing;
	if (wire_resp_header_decode(&r, wire_resp_header_version(p->api, p->version), a, h)) {
		snprintf(err, errlen, "bad response header");
		return -1;
	}
	return wire_msg_decode_lenient(t, p->version, f + 4 + r.pos, len - 4 - r.pos, a, m,
	                               &trailing, err, errlen);
}

/* For Metadata of every topic, each cluster's answer keeps only the topics
 * that cluster serves; listed topics were sent to their cluster already. */
static int not_served_here(proxy *px, const pending *p, int k, const wire_metadata_resp_topic *t)
{
	int held;
	return p->all_topics && t->name.len > 0 &&
	       view_topic(px, t->name.p, (size_t)t->name.len, &held) != k;
}

/* Adds the virtual brokers of cluster k that no part listed. */
static int add_known_brokers(proxy *px, int k, wire_metadata_resp_broker *out, int32_t *n)
{
	for (int32_t i = 0; i < px->nvbrokers; i++) {
		vbroker *vb = px->vbrokers[i];
		if (vb->cluster != k || !vb->lst)
			continue;
		wire_metadata_resp_broker *b = &out[(*n)++];
		wire_metadata_resp_broker_init(b);
		b->node_id = vb->vid;
		b->host = wire_str_c(px->cfg->advertised_host);
		b->port = vb->listen_port;
		b->rack = wire_str_null();
	}
	return 0;
}

static int merge_metadata(proxy *px, pending *p, part_msg *parts, wire_arena *a,
                          wire_metadata_resp *out)
{
	int32_t nb = px->nvbrokers, nt = 0;
	int have[CLUSTER_COUNT] = {0};
	for (int i = 0; i < p->nparts; i++) {
		nb += parts[i].md.brokers.n > 0 ? parts[i].md.brokers.n : 0;
		nt += parts[i].md.topics.n > 0 ? parts[i].md.topics.n : 0;
		have[p->part_cluster[i]] = 1;
	}
	*out = parts[0].md;
	out->brokers.v = wire_arena_alloc(a, sizeof(*out->brokers.v) * (size_t)(nb + 1));
	out->topics.v = wire_arena_alloc(a, sizeof(*out->topics.v) * (size_t)(nt + 1));
	if (!out->brokers.v || !out->topics.v)
		return -1;
	out->brokers.n = out->topics.n = 0;
	for (int i = 0; i < p->nparts; i++) {
		const wire_metadata_resp *m = &parts[i].md;
		int k = p->part_cluster[i];
		for (int32_t b = 0; b < m->brokers.n; b++)
			out->brokers.v[out->brokers.n++] = m->brokers.v[b];
		if (k == CLUSTER_LEGACY || !have[CLUSTER_LEGACY])
			out->controller_id = m->controller_id;
		for (int32_t t = 0; t < m->topics.n; t++) {
			const wire_metadata_resp_topic *topic = &m->topics.v[t];
			if (not_served_here(px, p, k, topic))
				continue;
			if (p->version >= 10)
				view_learn_topic_id(px, k, &topic->topic_id, topic->name);
			out->topics.v[out->topics.n++] = *topic;
		}
	}
	for (int k = 0; k < CLUSTER_COUNT; k++)
		if (!have[k])
			add_known_brokers(px, k, out->brokers.v, &out->brokers.n);
	/* One cluster id for the life of the process, whichever cluster
	 * serves the topics: clients treat a changed id as a different cluster. */
	if (!px->presented_cluster_id && p->version >= 2) {
		for (int i = 0; i < p->nparts; i++) {
			const wire_str id = parts[i].md.cluster_id;
			if (id.len > 0 &&
			    (p->part_cluster[i] == CLUSTER_LEGACY || i == p->nparts - 1) &&
			    !px->presented_cluster_id)
				px->presented_cluster_id = strndup(id.p, (size_t)id.len);
		}
	}
	if (px->presented_cluster_id && p->version >= 2)
		out->cluster_id = wire_str_c(px->presented_cluster_id);
	return 0;
}

static int merge_find_coordinator(pending *p, part_msg *parts, wire_arena *a,
                                  wire_find_coordinator_resp *out)
{
	int32_t n = 0;
	for (int i = 0; i < p->nparts; i++)
		n += parts[i].fc.coordinators.n > 0 ? parts[i].fc.coordinators.n : 0;
	*out = parts[0].fc;
	out->coordinators.v = wire_arena_alloc(a, sizeof(*out->coordinators.v) * (size_t)(n + 1));
	if (!out->coordinators.v)
		return -1;
	out->coordinators.n = 0;
	for (int i = 0; i < p->nparts; i++)
		for (int32_t c = 0; c < parts[i].fc.coordinators.n; c++)
			out->coordinators.v[out->coordinators.n++] = parts[i].fc.coordinators.v[c];
	return 0;
}

int merge_finish(proxy *px, pending *p, char *err, size_t errlen)
{
	wire_arena a;
	wire_arena_init(&a, 0);
	part_msg parts[PENDING_PARTS_MAX], out;
	wire_resp_header h;
	rewrite_map map;
	client_rewrite_map(px, &map);
	wire_wr w;
	wire_wr_init(&w, true);
	int rc = -1;
	for (int i = 0; i < p->nparts; i++) {
		if (decode_part(p, i, &a, &parts[i], &h, err, errlen))
			goto out;
		if (rewrite_msg(p->api, p->version, p->part_cluster[i], &parts[i], &map)) {
			snprintf(err, errlen, "a broker has no virtual listener");
			goto out;
		}
	}
	if (p->api == WIRE_API_METADATA)
		rc = merge_metadata(px, p, parts, &a, &out.md);
	else if (p->api == WIRE_API_FIND_COORDINATOR)
		rc = merge_find_coordinator(p, parts, &a, &out.fc);
	if (rc) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	h.correlation_id = p->corr;
	const wire_msg_type *t = wire_msg_find(p->api, WIRE_RESPONSE);
	rc = -1;
	if (wire_wr_int32(&w, 0) || wire_resp_header_encode(&w, &h) ||
	    t->encode(&w, p->version, &out)) {
		snprintf(err, errlen, "re-encoding failed: %s", w.err ? w.err : "?");
		goto out;
	}
	wire_wr_put_int32_at(&w, 0, (int32_t)(wire_wr_size(&w) - 4));
	rc = frameio_put(p->resp, &w); /* copies: the parts are freed with p */
out:
	wire_wr_free(&w);
	wire_arena_reset(&a);
	return rc;
}
