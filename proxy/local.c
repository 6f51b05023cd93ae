/*
 * Locally made error responses (see local.h). Each builder mirrors the
 * request's topics/partitions or groups so the client can match every part
 * of its request to an answer, as a broker would.
 */
#include "proxy/local.h"

#include <string.h>

#include "wire/api.h"
#include "wire/msg.h"
#include "wire_msgs.h"

#define ALLOC(a, type, n)                                                                          \
	((type *)wire_arena_alloc((a), sizeof(type) * (size_t)((n) > 0 ? (n) : 1)))

static int offset_fetch(int16_t v, const wire_offset_fetch_req *rq, int16_t e, wire_arena *a,
                        wire_offset_fetch_resp *rs)
{
	if (v >= 8) {
		rs->groups.n = rq->groups.n < 0 ? 0 : rq->groups.n;
		rs->groups.v = ALLOC(a, wire_offset_fetch_resp_group, rs->groups.n);
		if (!rs->groups.v)
			return -1;
		for (int32_t i = 0; i < rs->groups.n; i++) {
			wire_offset_fetch_resp_group_init(&rs->groups.v[i]);
			rs->groups.v[i].group_id = rq->groups.v[i].group_id;
			rs->groups.v[i].error_code = e;
		}
		return 0;
	}
	rs->error_code = e;
	if (v >= 2 || rq->topics.n <= 0)
		return 0; /* the top-level error speaks for the whole group */
	/* v0-1 have no top-level error: answer every partition */
	rs->topics.n = rq->topics.n;
	rs->topics.v = ALLOC(a, wire_offset_fetch_resp_topic, rq->topics.n);
	if (!rs->topics.v)
		return -1;
	for (int32_t t = 0; t < rq->topics.n; t++) {
		const wire_offset_fetch_req_topic *qt = &rq->topics.v[t];
		wire_offset_fetch_resp_topic *st = &rs->topics.v[t];
		wire_offset_fetch_resp_topic_init(st);
		st->name = qt->name;
		st->partitions.n = qt->partition_indexes.n < 0 ? 0 : qt->partition_indexes.n;
		st->partitions.v = ALLOC(a, wire_offset_fetch_resp_partition, st->partitions.n);
		if (!st->partitions.v)
			return -1;
		for (int32_t p = 0; p < st->partitions.n; p++) {
			wire_offset_fetch_resp_partition_init(&st->partitions.v[p]);
			st->partitions.v[p].partition_index = qt->partition_indexes.v[p];
			st->partitions.v[p].committed_offset = -1;
			st->partitions.v[p].error_code = e;
		}
	}
	return 0;
}

static int describe_groups(const wire_describe_groups_req *rq, int16_t e, wire_arena *a,
                           wire_describe_groups_resp *rs)
{
	rs->groups.n = rq->groups.n < 0 ? 0 : rq->groups.n;
	rs->groups.v = ALLOC(a, wire_describe_groups_resp_described_group, rs->groups.n);
	if (!rs->groups.v)
		return -1;
	for (int32_t i = 0; i < rs->groups.n; i++) {
		wire_describe_groups_resp_described_group_init(&rs->groups.v[i]);
		rs->groups.v[i].group_id = rq->groups.v[i];
		rs->groups.v[i].error_code = e;
	}
	return 0;
}

static int produce(const wire_produce_req *rq, int16_t e, wire_arena *a, wire_produce_resp *rs)
{
	int32_t nt = rq->topic_data.n < 0 ? 0 : rq->topic_data.n;
	rs->responses.n = nt;
	rs->responses.v = ALLOC(a, wire_produce_resp_topic_produce_response, nt);
	if (!rs->responses.v)
		return -1;
	for (int32_t t = 0; t < nt; t++) {
		const wire_produce_req_topic_produce_data *qt = &rq->topic_data.v[t];
		wire_produce_resp_topic_produce_response *st = &rs->responses.v[t];
		wire_produce_resp_topic_produce_response_init(st);
		st->name = qt->name;
		int32_t np = qt->partition_data.n < 0 ? 0 : qt->partition_data.n;
		st->partition_responses.n = np;
		st->partition_responses.v =
		    ALLOC(a, wire_produce_resp_partition_produce_response, np);
		if (!st->partition_responses.v)
			return -1;
		for (int32_t p = 0; p < np; p++) {
			wire_produce_resp_partition_produce_response *pr =
			    &st->partition_responses.v[p];
			wire_produce_resp_partition_produce_response_init(pr);
			pr->index = qt->partition_data.v[p].index;
			pr->error_code = e;
			pr->base_offset = -1;
			pr->log_append_time_ms = -1;
			pr->log_start_offset = -1;
		}
	}
	return 0;
}

static int fetch(const wire_fetch_req *rq, int16_t e, wire_arena *a, wire_fetch_resp *rs)
{
	int32_t nt = rq->topics.n < 0 ? 0 : rq->topics.n;
	rs->session_id = 0; /* no session: the client starts a new one, with full fetches */
	rs->responses.n = nt;
	rs->responses.v = ALLOC(a, wire_fetch_resp_fetchable_topic_response, nt);
	if (!rs->responses.v)
		return -1;
	for (int32_t t = 0; t < nt; t++) {
		const wire_fetch_req_topic *qt = &rq->topics.v[t];
		wire_fetch_resp_fetchable_topic_response *st = &rs->responses.v[t];
		wire_fetch_resp_fetchable_topic_response_init(st);
		st->topic = qt->topic;
		st->topic_id = qt->topic_id;
		int32_t np = qt->partitions.n < 0 ? 0 : qt->partitions.n;
		st->partitions.n = np;
		st->partitions.v = ALLOC(a, wire_fetch_resp_partition_data, np);
		if (!st->partitions.v)
			return -1;
		for (int32_t p = 0; p < np; p++) {
			wire_fetch_resp_partition_data *pd = &st->partitions.v[p];
			wire_fetch_resp_partition_data_init(pd);
			pd->partition_index = qt->partitions.v[p].partition;
			pd->error_code = e;
			pd->high_watermark = -1;
			pd->last_stable_offset = -1;
			pd->log_start_offset = -1;
			pd->preferred_read_replica = -1;
			pd->records = (wire_bytes){(const uint8_t *)"", 0};
		}
	}
	return 0;
}

static int offset_commit(const wire_offset_commit_req *rq, int16_t e, wire_arena *a,
                         wire_offset_commit_resp *rs)
{
	int32_t nt = rq->topics.n < 0 ? 0 : rq->topics.n;
	rs->topics.n = nt;
	rs->topics.v = ALLOC(a, wire_offset_commit_resp_topic, nt);
	if (!rs->topics.v)
		return -1;
	for (int32_t t = 0; t < nt; t++) {
		const wire_offset_commit_req_topic *qt = &rq->topics.v[t];
		wire_offset_commit_resp_topic *st = &rs->topics.v[t];
		wire_offset_commit_resp_topic_init(st);
		st->name = qt->name;
		int32_t np = qt->partitions.n < 0 ? 0 : qt->partitions.n;
		st->partitions.n = np;
		st->partitions.v = ALLOC(a, wire_offset_commit_resp_partition, np);
		if (!st->partitions.v)
			return -1;
		for (int32_t p = 0; p < np; p++) {
			wire_offset_commit_resp_partition_init(&st->partitions.v[p]);
			st->partitions.v[p].partition_index = qt->partitions.v[p].partition_index;
			st->partitions.v[p].error_code = e;
		}
	}
	return 0;
}

static int list_offsets(const wire_list_offsets_req *rq, int16_t e, wire_arena *a,
                        wire_list_offsets_resp *rs)
{
	int32_t nt = rq->topics.n < 0 ? 0 : rq->topics.n;
	rs->topics.n = nt;
	rs->topics.v = ALLOC(a, wire_list_offsets_resp_topic_response, nt);
	if (!rs->topics.v)
		return -1;
	for (int32_t t = 0; t < nt; t++) {
		const wire_list_offsets_req_topic *qt = &rq->topics.v[t];
		wire_list_offsets_resp_topic_response *st = &rs->topics.v[t];
		wire_list_offsets_resp_topic_response_init(st);
		st->name = qt->name;
		int32_t np = qt->partitions.n < 0 ? 0 : qt->partitions.n;
		st->partitions.n = np;
		st->partitions.v = ALLOC(a, wire_list_offsets_resp_partition_response, np);
		if (!st->partitions.v)
			return -1;
		for (int32_t p = 0; p < np; p++) {
			wire_list_offsets_resp_partition_response *pr = &st->partitions.v[p];
			wire_list_offsets_resp_partition_response_init(pr);
			pr->partition_index = qt->partitions.v[p].partition_index;
			pr->error_code = e;
			pr->timestamp = -1;
			pr->offset = -1;
			pr->leader_epoch = -1;
		}
	}
	return 0;
}

int local_error(const wire_req_header *h, const void *req, int16_t error, wire_arena *a, wire_wr *w)
{
	const wire_msg_type *t = wire_msg_find(h->api_key, WIRE_RESPONSE);
	if (!t)
		return -1;
	union {
		wire_join_group_resp jg;
		wire_sync_group_resp sg;
		wire_heartbeat_resp hb;
		wire_leave_group_resp lg;
		wire_offset_fetch_resp of;
		wire_describe_groups_resp dg;
		wire_produce_resp pr;
		wire_fetch_resp fe;
		wire_list_offsets_resp lo;
		wire_offset_commit_resp oc;
	} m;
	t->init(&m);
	int16_t v = h->api_version;
	int rc = 0;
	switch (h->api_key) {
	case WIRE_API_JOIN_GROUP:
		m.jg.error_code = error;
		/* MEMBER_ID_REQUIRED hands the id to join with: none, so the
		 * coordinator names the member afresh */
		m.jg.member_id = error == KERR_MEMBER_ID_REQUIRED
		                     ? (wire_str){"", 0}
		                     : ((const wire_join_group_req *)req)->member_id;
		if (v >= 7)
			m.jg.protocol_name = wire_str_null();
		break;
	case WIRE_API_SYNC_GROUP:
		m.sg.error_code = error;
		break;
	case WIRE_API_HEARTBEAT:
		m.hb.error_code = error;
		break;
	case WIRE_API_LEAVE_GROUP:
		m.lg.error_code = error;
		break;
	case WIRE_API_OFFSET_FETCH:
		rc = offset_fetch(v, req, error, a, &m.of);
		break;
	case WIRE_API_DESCRIBE_GROUPS:
		rc = describe_groups(req, error, a, &m.dg);
		break;
	case WIRE_API_PRODUCE:
		rc = produce(req, error, a, &m.pr);
		break;
	case WIRE_API_FETCH:
		rc = fetch(req, error, a, &m.fe);
		break;
	case WIRE_API_LIST_OFFSETS:
		rc = list_offsets(req, error, a, &m.lo);
		break;
	case WIRE_API_OFFSET_COMMIT:
		rc = offset_commit(req, error, a, &m.oc);
		break;
	default:
		return -1;
	}
	wire_resp_header rh = {.correlation_id = h->correlation_id,
	                       .version = (int8_t)wire_resp_header_version(h->api_key, v)};
	if (rc || wire_wr_int32(w, 0) || wire_resp_header_encode(w, &rh) || t->encode(w, v, &m))
		return -1;
	wire_wr_put_int32_at(w, 0, (int32_t)(wire_wr_size(w) - 4));
	return 0;
}

int local_fetch_session_reset(const wire_req_header *h, wire_wr *w)
{
	wire_fetch_resp m;
	wire_fetch_resp_init(&m);
	m.error_code = KERR_FETCH_SESSION_ID_NOT_FOUND;
	m.session_id = 0;
	m.responses.n = 0;
	wire_resp_header rh = {.correlation_id = h->correlation_id,
	                       .version =
	                           (int8_t)wire_resp_header_version(h->api_key, h->api_version)};
	if (wire_wr_int32(w, 0) || wire_resp_header_encode(w, &rh) ||
	    wire_fetch_resp_encode(w, h->api_version, &m))
		return -1;
	wire_wr_put_int32_at(w, 0, (int32_t)(wire_wr_size(w) - 4));
	return 0;
}
