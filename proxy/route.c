/*
 * Request routing (see route.h). Requests that need no decision are moved
 * upstream untouched; the others are decoded from a linearised copy of the
 * frame, decided, then forwarded, split, or answered here.
 */
#include "proxy/route.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "proxy/flip.h"
#include "proxy/frameio.h"
#include "proxy/groups.h"
#include "proxy/local.h"
#include "proxy/log.h"
#include "proxy/producer_flip.h"
#include "proxy/rewrite.h"
#include "proxy/view.h"
#include "wire/api.h"
#include "wire/consumer_protocol.h"
#include "wire/msg.h"
#include "wire_msgs.h"

/* A decoded request; its fields point into the linearised frame. */
typedef struct decoded {
	const uint8_t *frame; /* 4 + size bytes at the front of the input */
	size_t len;
	union {
		wire_metadata_req md;
		wire_find_coordinator_req fc;
		wire_join_group_req jg;
		wire_sync_group_req sg;
		wire_heartbeat_req hb;
		wire_leave_group_req lg;
		wire_offset_commit_req oc;
		wire_offset_fetch_req of;
		wire_describe_groups_req dg;
		wire_txn_offset_commit_req toc;
		wire_produce_req pr;
		wire_fetch_req fe;
		wire_init_producer_id_req ip;
		wire_list_offsets_req lo;
	} m;
} decoded;

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int decode(struct evbuffer *in, int32_t size, const wire_req_header *h, wire_arena *a,
                  decoded *d, char *why, size_t whylen)
{
	d->len = 4 + (size_t)size;
	d->frame = evbuffer_pullup(in, (ssize_t)d->len);
	const wire_msg_type *t = wire_msg_find(h->api_key, WIRE_REQUEST);
	if (!d->frame || !t) {
		snprintf(why, whylen, "cannot read %s request", wire_api_name(h->api_key));
		return -1;
	}
	wire_rd r;
	wire_rd_init(&r, d->frame + 4, (size_t)size);
	wire_req_header again;
	char err[250];
	size_t trailing = 0;
	/* Like a Kafka broker, ignore bytes after a request body: librdkafka
	 * 2.15 sends some Metadata v12 requests with three extra bytes. */
	if (wire_req_header_decode(&r, a, &again) ||
	    wire_msg_decode_lenient(t, h->api_version, d->frame + 4 + r.pos, (size_t)size - r.pos,
	                            a, &d->m, &trailing, err, sizeof(err))) {
		snprintf(why, whylen, "malformed %s v%d request: %s", wire_api_name(h->api_key),
		         h->api_version, err);
		return -1;
	}
	if (trailing)
		log_debug("event=request_trailing_bytes api=%s version=%d bytes=%zu",
		          wire_api_name(h->api_key), h->api_version, trailing);
	return 0;
}

/* Sends a copy of the frame to cluster (the original stays in `in`). */
static int send_copy(client *c, int cluster, const decoded *d, pending *p)
{
	struct evbuffer *tmp = evbuffer_new();
	int rc = -1;
	if (tmp && evbuffer_add(tmp, d->frame, d->len) == 0)
		rc = client_forward(c, cluster, tmp, d->len, p, p->corr);
	if (tmp)
		evbuffer_free(tmp);
	return rc;
}

static int answer_error(client *c, const wire_req_header *h, const decoded *d, pending *p,
                        int16_t error, wire_arena *a)
{
	wire_wr w;
	wire_wr_init(&w, false);
	int rc = local_error(h, &d->m, error, a, &w) || client_answer(p, &w);
	wire_wr_free(&w);
	log_debug("client=%d event=answered_locally api=%s version=%d error=%d", c->id,
	          wire_api_name(h->api_key), h->api_version, error);
	return rc ? -1 : 0;
}

/* Sends sub[k] (a request body for cluster k) to each cluster, encoded at
 * the client's version and correlation id; the answers are merged. */
static int send_split(client *c, const wire_req_header *h, pending *p,
                      const void *const sub[CLUSTER_COUNT])
{
	p->kind = PENDING_MERGE;
	p->nparts = p->parts_due = CLUSTER_COUNT;
	for (int k = 0; k < CLUSTER_COUNT; k++) {
		wire_wr w;
		wire_wr_init(&w, false);
		int rc = frameio_encode_request(&w, h, sub[k]) || client_send_encoded(c, k, &w, p);
		wire_wr_free(&w);
		if (rc)
			return -1;
	}
	return 0;
}

static int metadata(client *c, const wire_req_header *h, pending *p, const decoded *d,
                    wire_arena *a)
{
	proxy *px = c->px;
	const wire_metadata_req *rq = &d->m.md;
	p->kind = PENDING_MERGE;
	p->all_topics = rq->topics.n < 0 || (h->api_version == 0 && rq->topics.n == 0);
	if (p->all_topics) {
		int sent = 0;
		for (int k = 0; k < CLUSTER_COUNT; k++)
			if (vbroker_pick(px, k))
				p->nparts++;
		p->parts_due = p->nparts;
		for (int k = 0; k < CLUSTER_COUNT && p->nparts; k++)
			if (vbroker_pick(px, k) && send_copy(c, k, d, p) == 0)
				sent++;
		return sent == p->nparts && sent > 0 ? 0 : -1;
	}
	/* Which clusters the listed topics come from. */
	int home = client_cluster(c), want[CLUSTER_COUNT] = {0};
	wire_metadata_req_topic *side[CLUSTER_COUNT];
	int32_t nside[CLUSTER_COUNT] = {0};
	for (int k = 0; k < CLUSTER_COUNT; k++) {
		side[k] = wire_arena_alloc(a, sizeof(*side[k]) * (size_t)(rq->topics.n + 1));
		if (!side[k])
			return -1;
	}
	for (int32_t i = 0; i < rq->topics.n; i++) {
		const wire_metadata_req_topic *t = &rq->topics.v[i];
		int held, k = t->name.len > 0
		                  ? view_topic(px, t->name.p, (size_t)t->name.len, &held)
		                  : home; /* by id only: ids are per cluster */
		want[k] = 1;
		side[k][nside[k]++] = *t;
	}
	if (!want[0] || !want[1]) {
		int k = want[0] ? 0 : want[1] ? 1 : home;
		p->nparts = p->parts_due = 1;
		return send_copy(c, k, d, p);
	}
	wire_metadata_req sub[CLUSTER_COUNT];
	for (int k = 0; k < CLUSTER_COUNT; k++) {
		sub[k] = *rq;
		sub[k].topics.n = nside[k];
		sub[k].topics.v = side[k];
	}
	return send_split(c, h, p, (const void *const[]){&sub[0], &sub[1]});
}

static int find_coordinator(client *c, const wire_req_header *h, pending *p, const decoded *d,
                            wire_arena *a)
{
	proxy *px = c->px;
	const wire_find_coordinator_req *rq = &d->m.fc;
	int txn = h->api_version >= 1 && rq->key_type == 1;
	if (h->api_version < 4) {
		int k = txn ? px->cfg->routes.producers
		            : groups_cluster(px, rq->key.p,
		                             (size_t)(rq->key.len > 0 ? rq->key.len : 0));
		return send_copy(c, k, d, p);
	}
	int32_t n = rq->coordinator_keys.n < 0 ? 0 : rq->coordinator_keys.n, nside[2] = {0};
	wire_str *side[CLUSTER_COUNT];
	for (int k = 0; k < CLUSTER_COUNT; k++)
		if (!(side[k] = wire_arena_alloc(a, sizeof(wire_str) * (size_t)(n + 1))))
			return -1;
	for (int32_t i = 0; i < n; i++) {
		wire_str key = rq->coordinator_keys.v[i];
		int k = txn ? px->cfg->routes.producers
		            : groups_cluster(px, key.p, (size_t)(key.len > 0 ? key.len : 0));
		side[k][nside[k]++] = key;
	}
	if (!nside[0] || !nside[1])
		return send_copy(c,
		                 nside[1]   ? 1
		                 : nside[0] ? 0
		                            : px->cfg->routes.default_cluster,
		                 d, p);
	wire_find_coordinator_req sub[CLUSTER_COUNT];
	for (int k = 0; k < CLUSTER_COUNT; k++) {
		sub[k] = *rq;
		sub[k].coordinator_keys.n = nside[k];
		sub[k].coordinator_keys.v = side[k];
	}
	return send_split(c, h, p, (const void *const[]){&sub[0], &sub[1]});
}

/* The group a group-keyed request names (the first, for batched ones). */
static wire_str group_of(const wire_req_header *h, const decoded *d)
{
	static const wire_str none = {"", 0};
	switch (h->api_key) {
	case WIRE_API_JOIN_GROUP:
		return d->m.jg.group_id;
	case WIRE_API_SYNC_GROUP:
		return d->m.sg.group_id;
	case WIRE_API_HEARTBEAT:
		return d->m.hb.group_id;
	case WIRE_API_LEAVE_GROUP:
		return d->m.lg.group_id;
	case WIRE_API_OFFSET_COMMIT:
		return d->m.oc.group_id;
	case WIRE_API_TXN_OFFSET_COMMIT:
		return d->m.toc.group_id;
	case WIRE_API_OFFSET_FETCH:
		if (h->api_version < 8)
			return d->m.of.group_id;
		return d->m.of.groups.n > 0 ? d->m.of.groups.v[0].group_id : none;
	case WIRE_API_DESCRIBE_GROUPS:
		return d->m.dg.groups.n > 0 ? d->m.dg.groups.v[0] : none;
	}
	return none;
}

/* Topics a group consumes, from what its members say and commit. */
static void learn_topics(const client *c, group_rt *g, const wire_req_header *h, const decoded *d,
                         wire_arena *a)
{
	if (h->api_key == WIRE_API_JOIN_GROUP) {
		const wire_join_group_req *rq = &d->m.jg;
		if (rq->protocol_type.len != 8 || memcmp(rq->protocol_type.p, "consumer", 8) != 0 ||
		    rq->protocols.n <= 0)
			return;
		wire_consumer_protocol_subscription s;
		int16_t v;
		char err[200];
		const wire_bytes md = rq->protocols.v[0].metadata;
		if (md.len <= 0 ||
		    wire_subscription_parse(md.p, (size_t)md.len, a, &s, &v, err, sizeof(err))) {
			log_warn("client=%d group=%s event=subscription_unreadable reason=\"%s\"",
			         c->id, g->id, md.len <= 0 ? "empty" : err);
			return;
		}
		for (int32_t i = 0; i < s.topics.n; i++)
			if (s.topics.v[i].len > 0)
				groups_learn_topic(g, s.topics.v[i].p, (size_t)s.topics.v[i].len);
	} else if (h->api_key == WIRE_API_OFFSET_COMMIT) {
		for (int32_t i = 0; i < d->m.oc.topics.n; i++) {
			wire_str t = d->m.oc.topics.v[i].name;
			if (t.len > 0)
				groups_learn_topic(g, t.p, (size_t)t.len);
		}
	} else if (h->api_key == WIRE_API_OFFSET_FETCH && h->api_version < 8) {
		for (int32_t i = 0; i < d->m.of.topics.n; i++) {
			wire_str t = d->m.of.topics.v[i].name;
			if (t.len > 0)
				groups_learn_topic(g, t.p, (size_t)t.len);
		}
	}
}

/*
 * While a flip reads and seeds a group's offsets, the old coordinator must
 * not change them and members must not rejoin there. Its requests are
 * answered with COORDINATOR_LOAD_IN_PROGRESS: every client treats it as
 * "the coordinator is busy, retry after a backoff" and keeps its member id,
 * assignment and fetch positions (librdkafka's err_action RETRY, the Java and
 * kafka-python coordinators retry it on Join, Sync, Heartbeat, OffsetFetch
 * and OffsetCommit; a commit is retried, not failed). NOT_COORDINATOR would
 * also keep positions but sends members to FindCoordinator, which still
 * names the old cluster, in a tight loop; UNKNOWN_MEMBER_ID or
 * ILLEGAL_GENERATION would drop the assignment and, on OffsetCommit, raise
 * CommitFailedException in Java (reference §7).
 */
static int fenced_api(int16_t api)
{
	return api == WIRE_API_JOIN_GROUP || api == WIRE_API_SYNC_GROUP ||
	       api == WIRE_API_HEARTBEAT || api == WIRE_API_OFFSET_FETCH ||
	       api == WIRE_API_OFFSET_COMMIT;
}

/* The member a group request names (and its static instance id). */
static wire_str member_of(const wire_req_header *h, const decoded *d, wire_str *inst)
{
	static const wire_str none = {"", 0};
	*inst = none;
	switch (h->api_key) {
	case WIRE_API_JOIN_GROUP:
		*inst = d->m.jg.group_instance_id;
		return d->m.jg.member_id;
	case WIRE_API_SYNC_GROUP:
		*inst = d->m.sg.group_instance_id;
		return d->m.sg.member_id;
	case WIRE_API_HEARTBEAT:
		*inst = d->m.hb.group_instance_id;
		return d->m.hb.member_id;
	case WIRE_API_OFFSET_COMMIT:
		*inst = d->m.oc.group_instance_id;
		return d->m.oc.member_id;
	}
	return none;
}

/* 1 if the commit moves an offset of the group: only those keep a flip's
 * freeze open (some clients repeat the same commit every interval). */
static int commit_moves_offsets(group_rt *g, const wire_offset_commit_req *oc)
{
	int moved = 0;
	for (int32_t i = 0; i < oc->topics.n; i++) {
		const wire_offset_commit_req_topic *t = &oc->topics.v[i];
		for (int32_t k = 0; t->name.len > 0 && k < t->partitions.n; k++)
			moved |= commit_moves_note(&g->commits, t->name.p, (size_t)t->name.len,
			                           t->partitions.v[k].partition_index,
			                           t->partitions.v[k].committed_offset);
	}
	return moved;
}

/* A member leaving by itself is no longer one to release. */
static void members_leaving(group_rt *g, const wire_req_header *h, const decoded *d)
{
	const wire_leave_group_req *rq = &d->m.lg;
	if (h->api_version < 3) {
		if (rq->member_id.len > 0)
			groups_member_drop(g, rq->member_id.p, (size_t)rq->member_id.len);
		return;
	}
	for (int32_t i = 0; i < rq->members.n; i++)
		if (rq->members.v[i].member_id.len > 0)
			groups_member_drop(g, rq->members.v[i].member_id.p,
			                   (size_t)rq->members.v[i].member_id.len);
}

static int group_request(client *c, const wire_req_header *h, pending *p, struct evbuffer *in,
                         const decoded *d, wire_arena *a)
{
	proxy *px = c->px;
	wire_str id = group_of(h, d);
	group_rt *g = id.len > 0 ? groups_get(px, id.p, (size_t)id.len, 1) : NULL;
	int home = client_cluster(c);
	if (!g) /* no group id (or out of memory): the broker answers as it sees fit */
		return client_forward(c, home, in, d->len, p, h->correlation_id);
	if (h->api_key == WIRE_API_JOIN_GROUP || h->api_key == WIRE_API_SYNC_GROUP ||
	    h->api_key == WIRE_API_HEARTBEAT)
		c->member_of = g; /* a member's connection (counted by /status) */
	else if (h->api_key == WIRE_API_LEAVE_GROUP && c->member_of == g)
		c->member_of = NULL;
	size_t known = g->ntopics;
	learn_topics(c, g, h, d, a);
	if (!known && g->ntopics && g->resumed)
		view_update(px); /* no longer every Fetch held (view_hold_all) */
	wire_str inst, member = member_of(h, d, &inst);
	if (h->api_key == WIRE_API_LEAVE_GROUP)
		members_leaving(g, h, d);
	else if (g->cluster == home || g->recovering)
		flip_member_seen(px, g, c, member, inst);
	if (h->api_key == WIRE_API_TXN_OFFSET_COMMIT ||
	    (h->api_key == WIRE_API_OFFSET_COMMIT && commit_moves_offsets(g, &d->m.oc)))
		cutover_saw_commit(&g->flip, now_ms());
	if (fenced_api(h->api_key) && (g->recovering || (g->cluster == home && flip_fenced(g)))) {
		int rc = answer_error(c, h, d, p, KERR_COORDINATOR_LOAD_IN_PROGRESS, a);
		evbuffer_drain(in, d->len);
		return rc;
	}
	if (p && h->api_key == WIRE_API_JOIN_GROUP && member.len == 0)
		p->fresh_join = 1; /* the coordinator names it: flip_saw_join */
	if (g->cluster == home && flip_member_gone(g, member) &&
	    (h->api_key == WIRE_API_HEARTBEAT || h->api_key == WIRE_API_OFFSET_COMMIT ||
	     h->api_key == WIRE_API_SYNC_GROUP || h->api_key == WIRE_API_JOIN_GROUP)) {
		/* A member of the old cluster's generation (it left that group):
		 * its positions are old cluster offsets. UNKNOWN_MEMBER_ID makes it
		 * drop them, rejoin and read the seeded offsets (reference §7.3),
		 * and keeps its commit from overwriting them; brokers differ in
		 * how they answer it (the mock says GROUP_ID_NOT_FOUND, which only
		 * times out, and takes a JoinGroup naming an id it never gave out
		 * as that member's). A JoinGroup comes from a member that was
		 * rejoining when it left: librdkafka's cooperative-sticky member
		 * takes UNKNOWN_MEMBER_ID there as "rejoin" and keeps the old
		 * cluster's positions of the partitions it owns, but drops its
		 * whole assignment as lost on MEMBER_ID_REQUIRED (v4+, KIP-394;
		 * every client then joins again with the id it is given: none). */
		int16_t err = h->api_key == WIRE_API_JOIN_GROUP && h->api_version >= 4
		                  ? KERR_MEMBER_ID_REQUIRED
		                  : KERR_UNKNOWN_MEMBER_ID;
		int rc = answer_error(c, h, d, p, err, a);
		evbuffer_drain(in, d->len);
		return rc;
	}
	if (g->cluster == home && h->api_key == WIRE_API_OFFSET_FETCH)
		flip_member_offsets(px, g, c->id, h->api_version, &d->m.of);
	if (g->cluster == home && h->api_key == WIRE_API_HEARTBEAT &&
	    flip_member_kept_positions(g, c->id)) {
		int rc = answer_error(c, h, d, p, KERR_UNKNOWN_MEMBER_ID, a);
		evbuffer_drain(in, d->len);
		return rc;
	}
	if (p && g->settling && g->cluster == home && h->api_key == WIRE_API_SYNC_GROUP)
		p->settle_sync = g; /* its answer's assignment: flip_saw_sync */
	if (g->cluster == home || h->api_key == WIRE_API_OFFSET_COMMIT ||
	    h->api_key == WIRE_API_TXN_OFFSET_COMMIT || h->api_key == WIRE_API_LEAVE_GROUP)
		return client_forward(c, home, in, d->len, p, h->correlation_id);
	/* The client talks to the coordinator of the cluster the group left. */
	log_info("client=%d group=%s event=not_coordinator api=%s served_on=%s", c->id, g->id,
	         wire_api_name(h->api_key), config_cluster_names[g->cluster]);
	int rc = answer_error(c, h, d, p, KERR_NOT_COORDINATOR, a);
	evbuffer_drain(in, d->len);
	return rc;
}

/* Produce or Fetch while routes are mixed: every topic must be served by
 * this broker's cluster and not held by a flip. */
static int topics_here(client *c, const wire_req_header *h, const decoded *d, const char **bad)
{
	proxy *px = c->px;
	int home = client_cluster(c), held;
	if (h->api_key == WIRE_API_PRODUCE) {
		for (int32_t i = 0; i < d->m.pr.topic_data.n; i++) {
			wire_str t = d->m.pr.topic_data.v[i].name;
			if (t.len > 0 && view_topic(px, t.p, (size_t)t.len, &held) != home) {
				*bad = "topic is produced to the other cluster";
				return 0;
			}
		}
		return 1;
	}
	if (h->api_key == WIRE_API_LIST_OFFSETS) {
		/* an offset from the other cluster would be a wrong position */
		for (int32_t i = 0; i < d->m.lo.topics.n; i++) {
			wire_str t = d->m.lo.topics.v[i].name;
			if (t.len > 0 &&
			    (view_topic(px, t.p, (size_t)t.len, &held) != home || held)) {
				*bad = "topic is read from the other cluster";
				return 0;
			}
		}
		return 1;
	}
	for (int32_t i = 0; i < d->m.fe.topics.n; i++) {
		const wire_fetch_req_topic *ft = &d->m.fe.topics.v[i];
		wire_str t =
		    h->api_version >= 13 ? view_topic_name(px, home, &ft->topic_id) : ft->topic;
		if (t.len <= 0 && view_hold_all(px)) {
			*bad = "held until a restarted sidecar knows its groups' topics";
			return 0; /* NOT_LEADER: the client asks Metadata, ids are learnt */
		}
		if (t.len <= 0)
			continue; /* an id turnout has not seen: the broker judges it */
		if (view_topic(px, t.p, (size_t)t.len, &held) != home || held) {
			*bad = held ? "topic is held by a group flip"
			            : "topic is read from the other cluster";
			return 0;
		}
	}
	return 1;
}

/* Evidence of where consumers read, for operators and the flip tests: one
 * line each time Fetch requests start going to the other cluster, naming
 * when the last one went to the cluster they left. */
static void fetch_forwarded(proxy *px, int cluster)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (px->fetch_cluster != cluster) {
		int prev = px->fetch_cluster;
		px->fetch_cluster = cluster;
		log_info("event=fetch_cluster cluster=%s previous=%s previous_last_fetch_ms=%lld",
		         config_cluster_names[cluster],
		         prev < 0 ? "none" : config_cluster_names[prev],
		         prev < 0 ? -1LL : (long long)px->fetch_last_ms[prev]);
	}
	px->fetch_last_ms[cluster] = now;
}

static int produce_or_fetch(client *c, const wire_req_header *h, pending *p, struct evbuffer *in,
                            const decoded *d, wire_arena *a)
{
	proxy *px = c->px;
	const char *bad = NULL;
	if (h->api_key == WIRE_API_FETCH && h->api_version >= 7 && d->m.fe.session_epoch > 0 &&
	    c->fetch_gen != px->route_gen) {
		/* An incremental fetch names only changed partitions: make the
		 * client start a new session, whose first fetch names them all. */
		wire_wr w;
		wire_wr_init(&w, false);
		int rc = local_fetch_session_reset(h, &w) || client_answer(p, &w);
		wire_wr_free(&w);
		evbuffer_drain(in, d->len);
		return rc;
	}
	if (h->api_key == WIRE_API_FETCH && h->api_version >= 7 && d->m.fe.session_epoch <= 0)
		c->fetch_gen = px->route_gen;
	if (h->api_key == WIRE_API_FETCH && h->api_version < 7)
		c->fetch_gen = px->route_gen;
	if (topics_here(c, h, d, &bad)) {
		if (h->api_key == WIRE_API_FETCH)
			fetch_forwarded(px, client_cluster(c));
		return client_forward(c, client_cluster(c), in, d->len, p, h->correlation_id);
	}
	log_info("client=%d event=not_leader api=%s reason=\"%s\"", c->id,
	         wire_api_name(h->api_key), bad);
	int rc = 0;
	if (h->api_key == WIRE_API_PRODUCE)
		prodflip_refused(px, &d->m.pr); /* the client sends these batches again */
	if (p)
		rc = answer_error(c, h, d, p, KERR_NOT_LEADER_OR_FOLLOWER, a);
	else
		log_warn("client=%d event=acks0_dropped reason=\"%s\"", c->id, bad);
	evbuffer_drain(in, d->len);
	return rc;
}

int route_request(client *c, const wire_req_header *h, pending *p, struct evbuffer *in,
                  int32_t size, char *why, size_t whylen)
{
	proxy *px = c->px;
	int home = client_cluster(c);
	size_t len = 4 + (size_t)size;
	int16_t api = h->api_key;
	int decide = 0;
	switch (api) {
	case WIRE_API_METADATA:
	case WIRE_API_FIND_COORDINATOR:
	case WIRE_API_JOIN_GROUP:
	case WIRE_API_SYNC_GROUP:
	case WIRE_API_HEARTBEAT:
	case WIRE_API_LEAVE_GROUP:
	case WIRE_API_OFFSET_COMMIT:
	case WIRE_API_OFFSET_FETCH:
	case WIRE_API_DESCRIBE_GROUPS:
	case WIRE_API_TXN_OFFSET_COMMIT:
	case WIRE_API_INIT_PRODUCER_ID:
		decide = 1;
		break;
	case WIRE_API_PRODUCE:
	case WIRE_API_FETCH:
	case WIRE_API_LIST_OFFSETS:
		/* decoding costs a copy of the frame: only while routes are mixed */
		decide = px->uniform_cluster != home;
		break;
	}
	if (api == WIRE_API_FETCH && h->api_version >= 9) {
		uint8_t *f = evbuffer_pullup(in, (ssize_t)len);
		int n = f ? rewrite_fetch_epochs(f + 4, len - 4) : 0;
		if (n > 0)
			log_debug("client=%d event=fetch_epochs_cleared partitions=%d", c->id, n);
	}
	if (!decide) {
		if (api == WIRE_API_FETCH)
			fetch_forwarded(px, home);
		if (client_forward(c, home, in, len, p, h->correlation_id)) {
			snprintf(why, whylen, "could not forward request");
			return -1;
		}
		return 0;
	}
	wire_arena a;
	wire_arena_init(&a, 1 << 20);
	decoded d;
	int rc = decode(in, size, h, &a, &d, why, whylen);
	if (rc)
		goto out;
	switch (api) {
	case WIRE_API_METADATA:
		rc = metadata(c, h, p, &d, &a);
		if (rc == 0)
			evbuffer_drain(in, len);
		break;
	case WIRE_API_FIND_COORDINATOR:
		rc = find_coordinator(c, h, p, &d, &a);
		if (rc == 0)
			evbuffer_drain(in, len);
		break;
	case WIRE_API_PRODUCE:
	case WIRE_API_FETCH:
	case WIRE_API_LIST_OFFSETS:
		rc = produce_or_fetch(c, h, p, in, &d, &a);
		break;
	case WIRE_API_INIT_PRODUCER_ID:
		/* idempotent producers get their id where they produce */
		rc = client_forward(
		    c, d.m.ip.transactional_id.len < 0 ? px->cfg->routes.producers : home, in, len,
		    p, h->correlation_id);
		break;
	default:
		rc = group_request(c, h, p, in, &d, &a);
		break;
	}
	if (rc)
		snprintf(why, whylen, "could not route %s v%d request", wire_api_name(api),
		         h->api_version);
out:
	wire_arena_reset(&a);
	return rc;
}

int route_refuse_produce(client *c, const wire_req_header *h, pending *p, struct evbuffer *in,
                         int32_t size, char *why, size_t whylen)
{
	wire_arena a;
	wire_arena_init(&a, 1 << 20);
	decoded d;
	int rc = decode(in, size, h, &a, &d, why, whylen);
	if (rc == 0) {
		prodflip_refused(c->px, &d.m.pr);
		rc = answer_error(c, h, &d, p, KERR_NOT_LEADER_OR_FOLLOWER, &a);
		evbuffer_drain(in, d.len);
		if (rc)
			snprintf(why, whylen, "could not answer Produce v%d", h->api_version);
	}
	wire_arena_reset(&a);
	return rc;
}
