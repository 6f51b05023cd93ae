/*
 * Broker address rewriting for Metadata, FindCoordinator (single and
 * batched), DescribeCluster, and the KIP-951 leader hints in Produce and
 * Fetch responses (NodeEndpoints and CurrentLeader). Node ids are mapped
 * too (leaders, replicas, ISR, controller): both clusters number brokers
 * from 1, so real ids would collide in a client's view of one cluster.
 *
 * The proxy runs Metadata, Produce and Fetch responses through inplace.c,
 * which changes the same fields without decoding the response; this
 * decode-and-re-encode path serves FindCoordinator and DescribeCluster and
 * is the reference inplace.c is tested against (tests/unit/test_inplace.c,
 * tests/fuzz/fuzz_inplace.c).
 */
#include "proxy/rewrite.h"

#include <stdio.h>
#include <string.h>

#include "wire/api.h"
#include "wire_msgs.h"

bool rewrite_needed(int16_t api, int16_t version)
{
	switch (api) {
	case WIRE_API_METADATA:
	case WIRE_API_FIND_COORDINATOR:
	case WIRE_API_DESCRIBE_CLUSTER:
		return true;
	case WIRE_API_PRODUCE:
		return version >= 10; /* CurrentLeader and NodeEndpoints */
	case WIRE_API_FETCH:
		return version >= 12; /* CurrentLeader from 12, NodeEndpoints from 16 */
	case WIRE_API_OFFSET_FETCH:
		return version >= 5; /* CommittedLeaderEpoch, hidden (see offset_fetch) */
	default:
		return false;
	}
}

static int32_t map_id(const rewrite_map *m, int cluster, int32_t id)
{
	return id < 0 ? id : m->vid(m->ctx, cluster, id);
}

static void map_ids(const rewrite_map *m, int cluster, wire_int32_array *ids)
{
	for (int32_t i = 0; i < ids->n; i++)
		ids->v[i] = map_id(m, cluster, ids->v[i]);
}

/* Replaces (id, host, port) of one endpoint with the virtual broker's. */
static int map_endpoint(const rewrite_map *m, int cluster, int32_t *id, wire_str *host,
                        int32_t *port)
{
	if (*id < 0)
		return 0; /* "no coordinator" answers carry -1 and stay as they are */
	m->learn(m->ctx, cluster, *id, *host, *port);
	*id = m->vid(m->ctx, cluster, *id);
	return m->advertise(m->ctx, *id, host, port);
}

static int metadata(wire_metadata_resp *r, int cluster, const rewrite_map *m)
{
	for (int32_t i = 0; i < r->brokers.n; i++) {
		wire_metadata_resp_broker *b = &r->brokers.v[i];
		if (map_endpoint(m, cluster, &b->node_id, &b->host, &b->port))
			return -1;
	}
	r->controller_id = map_id(m, cluster, r->controller_id);
	for (int32_t t = 0; t < r->topics.n; t++) {
		wire_metadata_resp_topic *topic = &r->topics.v[t];
		for (int32_t p = 0; p < topic->partitions.n; p++) {
			wire_metadata_resp_partition *part = &topic->partitions.v[p];
			part->leader_id = map_id(m, cluster, part->leader_id);
			/* Epochs of two clusters are unrelated; clients drop metadata
			 * whose epoch went down (reference §6.5), so none is shown. */
			part->leader_epoch = -1;
			map_ids(m, cluster, &part->replica_nodes);
			map_ids(m, cluster, &part->isr_nodes);
			map_ids(m, cluster, &part->offline_replicas);
		}
	}
	return 0;
}

static int find_coordinator(wire_find_coordinator_resp *r, int16_t v, int cluster,
                            const rewrite_map *m)
{
	if (v < 4)
		return r->error_code ? 0
		                     : map_endpoint(m, cluster, &r->node_id, &r->host, &r->port);
	for (int32_t i = 0; i < r->coordinators.n; i++) {
		wire_find_coordinator_resp_coordinator *c = &r->coordinators.v[i];
		if (!c->error_code && map_endpoint(m, cluster, &c->node_id, &c->host, &c->port))
			return -1;
	}
	return 0;
}

static int describe_cluster(wire_describe_cluster_resp *r, int cluster, const rewrite_map *m)
{
	for (int32_t i = 0; i < r->brokers.n; i++) {
		wire_describe_cluster_resp_broker *b = &r->brokers.v[i];
		if (map_endpoint(m, cluster, &b->broker_id, &b->host, &b->port))
			return -1;
	}
	r->controller_id = map_id(m, cluster, r->controller_id);
	return 0;
}

static int produce(wire_produce_resp *r, int cluster, const rewrite_map *m)
{
	for (int32_t t = 0; t < r->responses.n; t++)
		for (int32_t p = 0; p < r->responses.v[t].partition_responses.n; p++) {
			wire_produce_resp_partition_produce_response *pr =
			    &r->responses.v[t].partition_responses.v[p];
			if (pr->has_current_leader) {
				pr->current_leader.leader_id =
				    map_id(m, cluster, pr->current_leader.leader_id);
				pr->current_leader.leader_epoch = -1;
			}
		}
	for (int32_t i = 0; i < r->node_endpoints.n; i++) {
		wire_produce_resp_node_endpoint *e = &r->node_endpoints.v[i];
		if (map_endpoint(m, cluster, &e->node_id, &e->host, &e->port))
			return -1;
	}
	return 0;
}

static int fetch(wire_fetch_resp *r, int cluster, const rewrite_map *m)
{
	for (int32_t t = 0; t < r->responses.n; t++)
		for (int32_t p = 0; p < r->responses.v[t].partitions.n; p++) {
			wire_fetch_resp_partition_data *pd = &r->responses.v[t].partitions.v[p];
			if (pd->has_current_leader) {
				pd->current_leader.leader_id =
				    map_id(m, cluster, pd->current_leader.leader_id);
				pd->current_leader.leader_epoch = -1;
			}
		}
	for (int32_t i = 0; i < r->node_endpoints.n; i++) {
		wire_fetch_resp_node_endpoint *e = &r->node_endpoints.v[i];
		if (map_endpoint(m, cluster, &e->node_id, &e->host, &e->port))
			return -1;
	}
	return 0;
}

/* Committed leader epochs are hidden like the metadata's: an epoch from one
 * cluster would make a client validate its position against the other. */
static void offset_fetch(wire_offset_fetch_resp *r)
{
	for (int32_t t = 0; t < r->topics.n; t++)
		for (int32_t p = 0; p < r->topics.v[t].partitions.n; p++)
			r->topics.v[t].partitions.v[p].committed_leader_epoch = -1;
	for (int32_t g = 0; g < r->groups.n; g++)
		for (int32_t t = 0; t < r->groups.v[g].topics.n; t++)
			for (int32_t p = 0; p < r->groups.v[g].topics.v[t].partitions.n; p++)
				r->groups.v[g].topics.v[t].partitions.v[p].committed_leader_epoch =
				    -1;
}

static int skip_tags(wire_rd *r)
{
	uint32_t n, tag, size;
	const uint8_t *p;
	if (wire_rd_uvarint(r, &n))
		return -1;
	for (uint32_t i = 0; i < n; i++)
		if (wire_rd_uvarint(r, &tag) || wire_rd_uvarint(r, &size) ||
		    wire_rd_raw(r, size, &p))
			return -1;
	return 0;
}

int rewrite_fetch_epochs(uint8_t *req, size_t len)
{
	static const uint8_t none[4] = {0xff, 0xff, 0xff, 0xff}; /* -1 */
	wire_rd r;
	wire_rd_init(&r, req, len);
	int16_t api, v;
	int32_t corr, ntopics, nparts, epoch;
	wire_str s;
	const uint8_t *p;
	if (wire_rd_int16(&r, &api) || wire_rd_int16(&r, &v) || wire_rd_int32(&r, &corr) ||
	    wire_rd_str(&r, false, &s))
		return -1;
	if (api != WIRE_API_FETCH || v < 9)
		return 0; /* no CurrentLeaderEpoch before v9 */
	bool flex = v >= 12;
	/* header tags; ReplicaId (to v14), MaxWaitMs, MinBytes, MaxBytes,
	 * IsolationLevel, SessionId, SessionEpoch */
	if ((flex && skip_tags(&r)) || wire_rd_raw(&r, (v < 15 ? 4 : 0) + 21, &p) ||
	    wire_rd_arrlen(&r, flex, &ntopics))
		return -1;
	int n = 0;
	for (int32_t t = 0; t < ntopics; t++) {
		if ((v >= 13 ? wire_rd_raw(&r, 16, &p) : wire_rd_str(&r, flex, &s)) ||
		    wire_rd_arrlen(&r, flex, &nparts))
			return -1;
		for (int32_t i = 0; i < nparts; i++) {
			size_t at = r.pos + 4; /* after Partition */
			/* FetchOffset, LastFetchedEpoch (v12+), LogStartOffset,
			 * PartitionMaxBytes */
			if (wire_rd_raw(&r, 4, &p) || wire_rd_int32(&r, &epoch) ||
			    wire_rd_raw(&r, 8 + (flex ? 4 : 0) + 8 + 4, &p) ||
			    (flex && skip_tags(&r)))
				return -1;
			if (epoch != -1) {
				memcpy(req + at, none, sizeof(none));
				n++;
			}
		}
		if (flex && skip_tags(&r))
			return -1;
	}
	return n;
}

int rewrite_msg(int16_t api, int16_t version, int cluster, void *msg, const rewrite_map *map)
{
	switch (api) {
	case WIRE_API_METADATA:
		return metadata(msg, cluster, map);
	case WIRE_API_FIND_COORDINATOR:
		return find_coordinator(msg, version, cluster, map);
	case WIRE_API_DESCRIBE_CLUSTER:
		return describe_cluster(msg, cluster, map);
	case WIRE_API_PRODUCE:
		return produce(msg, cluster, map);
	case WIRE_API_FETCH:
		return fetch(msg, cluster, map);
	case WIRE_API_OFFSET_FETCH:
		offset_fetch(msg);
		return 0;
	default:
		return -1;
	}
}

int rewrite_response(int16_t api, int16_t version, int cluster, const uint8_t *body, size_t len,
                     const rewrite_map *map, wire_wr *out, char *err, size_t errlen)
{
	const wire_msg_type *t = wire_msg_find(api, WIRE_RESPONSE);
	if (!t || version < t->min_version || version > t->max_version) {
		snprintf(err, errlen, "%s v%d: turnout cannot decode this version",
		         wire_api_name(api), version);
		return -1;
	}
	/* Decoded messages point into body; the arena holds only the tree. */
	wire_arena a;
	wire_arena_init(&a, 0);
	union {
		wire_metadata_resp md;
		wire_find_coordinator_resp fc;
		wire_describe_cluster_resp dc;
		wire_produce_resp pr;
		wire_fetch_resp fe;
		wire_offset_fetch_resp of;
	} m;
	size_t trailing;
	int rc = -1;
	if (wire_msg_decode_lenient(t, version, body, len, &a, &m, &trailing, err, errlen))
		goto out;
	rc = rewrite_msg(api, version, cluster, &m, map);
	if (rc) {
		snprintf(err, errlen, "%s v%d: a broker has no virtual listener",
		         wire_api_name(api), version);
		goto out;
	}
	rc = t->encode(out, version, &m) || wire_wr_raw(out, body + len - trailing, trailing) ? -1
	                                                                                      : 0;
	if (rc)
		snprintf(err, errlen, "%s v%d: re-encoding failed: %s", wire_api_name(api), version,
		         out->err ? out->err : "?");
out:
	wire_arena_reset(&a);
	return rc;
}
