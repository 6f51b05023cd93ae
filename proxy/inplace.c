/*
 * Rewriting broker ids and addresses without decoding the response.
 *
 * Metadata, Produce v10+ and Fetch v12+ responses carry broker ids in
 * fixed-size int32 fields (leaders, replicas, ISR, controller, KIP-951
 * CurrentLeader) and broker addresses in one list (Metadata's Brokers, at
 * the front; the NodeEndpoints tagged field, at the very end). Decoding the
 * whole response and encoding it again, as rewrite.c does, linearises and
 * copies every record batch of a Fetch and costs ~15 ms for the Metadata of
 * a 10,000-partition topic, all of it on the event loop. Here the frame is
 * walked where it lies in the upstream's input buffer (frameio_rd):
 *
 *   header, topics, partitions   read field by field
 *   Records, names, everything   skipped by length, never read
 *   that carries no broker
 *   node ids                     mapped to virtual ids, written in place
 *   leader epochs                set to -1 in place
 *   Brokers / NodeEndpoints      copied out (a few hundred bytes), re-encoded
 *                                with turnout's addresses; the frame leaves
 *                                as new size + bytes before + new list +
 *                                bytes after, the latter as libevent chains
 *
 * The walk checks lengths as strictly as the codec does and calls the
 * broker map in the order rewrite.c does, so for a well-formed response the
 * bytes are the same as rewrite.c's (tests/unit/test_inplace.c and
 * tests/fuzz/fuzz_inplace.c hold it to that).
 */
#include "proxy/inplace.h"

#include <stdio.h>
#include <stdlib.h>

#include "proxy/frameio.h"
#include "wire/api.h"
#include "wire/header.h"

enum { MEMO = 16 }; /* distinct node ids remembered per response */

typedef struct walk {
	frameio_rd r;
	struct evbuffer *src;
	int16_t v;
	bool flex; /* KIP-482 compact lengths and tagged fields */
	int cluster;
	const rewrite_map *map;
	const char *where; /* field being read */
	const char *bad;   /* a failure that is not a short read */
	int32_t memo_id[MEMO], memo_vid[MEMO];
	int nmemo;
	bool cut; /* [cut_from, cut_to) is replaced by repl */
	size_t cut_from, cut_to;
	wire_wr repl;
} walk;

bool inplace_handles(int16_t api, int16_t version)
{
	return (api == WIRE_API_METADATA && version >= 0 && version <= 12) ||
	       (api == WIRE_API_PRODUCE && version >= 10 && version <= 11) ||
	       (api == WIRE_API_FETCH && version >= 12 && version <= 17);
}

static int fail(walk *w, const char *why)
{
	if (!w->bad && !w->r.err)
		w->bad = why;
	return -1;
}

/* Virtual id of a real node id; negative ids ("none") stay as they are. */
static int32_t vid(walk *w, int32_t id)
{
	if (id < 0)
		return id;
	for (int i = 0; i < w->nmemo; i++)
		if (w->memo_id[i] == id)
			return w->memo_vid[i];
	int32_t v = w->map->vid(w->map->ctx, w->cluster, id);
	if (w->nmemo < MEMO) {
		w->memo_id[w->nmemo] = id;
		w->memo_vid[w->nmemo++] = v;
	}
	return v;
}

static int32_t vid_cb(void *ctx, int32_t id)
{
	return vid(ctx, id);
}

static int skip(walk *w, size_t n, const char *where)
{
	w->where = where;
	return frameio_rd_skip(&w->r, n);
}

static int map32(walk *w, const char *where)
{
	w->where = where;
	return frameio_rd_map32(&w->r, vid_cb, w);
}

/* An array length: compact (n + 1, 0 for null) or int32 (-1 for null);
 * null holds nothing. */
static int arrlen(walk *w, uint32_t *n, const char *where)
{
	w->where = where;
	if (w->flex) {
		uint32_t u;
		if (frameio_rd_uvarint(&w->r, &u))
			return -1;
		*n = u ? u - 1 : 0;
	} else {
		int32_t s;
		if (frameio_rd_int32(&w->r, &s))
			return -1;
		if (s < -1)
			return fail(w, "negative array length");
		*n = s < 0 ? 0 : (uint32_t)s;
	}
	return *n > frameio_rd_left(&w->r) ? fail(w, "array length exceeds input") : 0;
}

/* A (nullable) string, skipped unread. */
static int skip_str(walk *w, const char *where)
{
	w->where = where;
	if (w->flex) {
		uint32_t u;
		if (frameio_rd_uvarint(&w->r, &u))
			return -1;
		return u ? frameio_rd_skip(&w->r, u - 1) : 0;
	}
	int16_t n;
	if (frameio_rd_int16(&w->r, &n))
		return -1;
	if (n < -1)
		return fail(w, "negative string length");
	return n > 0 ? frameio_rd_skip(&w->r, (size_t)n) : 0;
}

/* An array of node ids, each mapped in place. */
static int ids(walk *w, const char *where)
{
	uint32_t n;
	if (arrlen(w, &n, where))
		return -1;
	for (uint32_t i = 0; i < n; i++)
		if (map32(w, where))
			return -1;
	return 0;
}

/* A leader epoch, overwritten with -1: epochs of two clusters are unrelated
 * and clients drop metadata whose epoch went down (rewrite.c does the same). */
static int no_epoch(walk *w, const char *where)
{
	static const uint8_t none[4] = {0xff, 0xff, 0xff, 0xff};
	w->where = where;
	return frameio_rd_put(&w->r, none, 4);
}

static int tags(walk *w, int leader_tag, bool *seen0, const char *where);

/* LeaderIdAndEpoch, exactly size bytes: the id is mapped in place. */
static int leader(walk *w, uint32_t size, const char *where)
{
	if (size > frameio_rd_left(&w->r))
		return skip(w, size, where);
	size_t end = w->r.pos + size;
	if (map32(w, where) || no_epoch(w, where) || tags(w, -1, NULL, where))
		return -1;
	return w->r.pos == end ? 0 : fail(w, "tagged field longer than its value");
}

/* A tagged-field section (flexible versions only). leader_tag's value is
 * a LeaderIdAndEpoch (-1: none here); *seen0 reports a tag 0 when asked. */
static int tags(walk *w, int leader_tag, bool *seen0, const char *where)
{
	uint32_t n, last = 0;
	w->where = where;
	if (frameio_rd_uvarint(&w->r, &n))
		return -1;
	if (n > frameio_rd_left(&w->r) / 2)
		return fail(w, "tagged field count exceeds input");
	for (uint32_t i = 0; i < n; i++) {
		uint32_t tag, size;
		w->where = where;
		if (frameio_rd_uvarint(&w->r, &tag) || frameio_rd_uvarint(&w->r, &size))
			return -1;
		if (i > 0 && tag <= last)
			return fail(w, "tagged fields out of order");
		last = tag;
		if (seen0 && tag == 0)
			*seen0 = true;
		if ((int64_t)tag == leader_tag ? leader(w, size, where)
		                               : frameio_rd_skip(&w->r, size))
			return -1;
	}
	return 0;
}

static int flex_tags(walk *w, const char *where)
{
	return w->flex ? tags(w, -1, NULL, where) : 0;
}

/* One broker address (NodeId, Host, Port[, Rack][, tags]) from r, mapped
 * as rewrite.c's map_endpoint does, into w->repl. */
static int endpoint(walk *w, wire_rd *r, bool rack)
{
	int32_t id, port;
	wire_str host, rk = wire_str_null();
	if (wire_rd_int32(r, &id) || wire_rd_str(r, w->flex, &host) || wire_rd_int32(r, &port) ||
	    (rack && wire_rd_str(r, w->flex, &rk)))
		return fail(w, "malformed broker address");
	size_t tags_from = r->pos;
	if (w->flex) {
		uint32_t n, tag, size, last = 0;
		const uint8_t *raw;
		if (wire_rd_uvarint(r, &n))
			return fail(w, "malformed broker address");
		for (uint32_t t = 0; t < n; t++, last = tag)
			if (wire_rd_uvarint(r, &tag) || wire_rd_uvarint(r, &size) ||
			    (t > 0 && tag <= last) || wire_rd_raw(r, size, &raw))
				return fail(w, "malformed broker address");
	}
	if (id >= 0) {
		w->map->learn(w->map->ctx, w->cluster, id, host, port);
		id = vid(w, id);
		if (w->map->advertise(w->map->ctx, id, &host, &port))
			return fail(w, "a broker has no virtual listener");
	}
	wire_wr *o = &w->repl;
	if (wire_wr_int32(o, id) || wire_wr_str(o, w->flex, host) || wire_wr_int32(o, port) ||
	    (rack && wire_wr_str(o, w->flex, rk)) ||
	    wire_wr_raw(o, r->p + tags_from, r->pos - tags_from))
		return fail(w, "out of memory");
	return 0;
}

/* A list of broker addresses, bytes [from, from + len) of the frame (copied
 * out: a few hundred bytes), re-encoded into w->repl. */
static int endpoints(walk *w, const uint8_t *p, size_t len, bool rack)
{
	wire_rd r;
	int32_t n;
	wire_rd_init(&r, p, len);
	if (wire_rd_arrlen(&r, w->flex, &n) || wire_wr_arrlen(&w->repl, w->flex, n))
		return fail(w, "malformed broker list");
	for (int32_t i = 0; i < n; i++)
		if (endpoint(w, &r, rack))
			return -1;
	return r.pos == len ? 0 : fail(w, "tagged field longer than its value");
}

/* Copies bytes [from, to) of the frame out of the source buffer. */
static uint8_t *copy_out(walk *w, size_t from, size_t to)
{
	struct evbuffer_ptr ptr;
	uint8_t *p = malloc(to > from ? to - from : 1);
	if (!p) {
		fail(w, "out of memory");
		return NULL;
	}
	if (evbuffer_ptr_set(w->src, &ptr, from, EVBUFFER_PTR_SET) ||
	    evbuffer_copyout_from(w->src, &ptr, p, to - from) != (ev_ssize_t)(to - from)) {
		free(p);
		fail(w, "truncated response");
		return NULL;
	}
	return p;
}

/* Metadata's Brokers: walked to find its end, then replaced. */
static int brokers(walk *w)
{
	uint32_t n;
	size_t from = w->r.pos;
	if (arrlen(w, &n, "Brokers"))
		return -1;
	for (uint32_t i = 0; i < n; i++)
		if (skip(w, 4, "Brokers.NodeId") || skip_str(w, "Brokers.Host") ||
		    skip(w, 4, "Brokers.Port") || (w->v >= 1 && skip_str(w, "Brokers.Rack")) ||
		    flex_tags(w, "Brokers.<tags>"))
			return -1;
	w->where = "Brokers";
	uint8_t *p = copy_out(w, from, w->r.pos);
	int rc = !p || endpoints(w, p, w->r.pos - from, w->v >= 1);
	free(p);
	w->cut = true;
	w->cut_from = from;
	w->cut_to = w->r.pos;
	return rc ? -1 : 0;
}

static int metadata(walk *w)
{
	int16_t v = w->v;
	uint32_t ntopics, nparts;
	if ((v >= 3 && skip(w, 4, "ThrottleTimeMs")) || brokers(w) ||
	    (v >= 2 && skip_str(w, "ClusterId")) || (v >= 1 && map32(w, "ControllerId")) ||
	    arrlen(w, &ntopics, "Topics"))
		return -1;
	for (uint32_t t = 0; t < ntopics; t++) {
		if (skip(w, 2, "Topics.ErrorCode") || skip_str(w, "Topics.Name") ||
		    (v >= 10 && skip(w, 16, "Topics.TopicId")) ||
		    (v >= 1 && skip(w, 1, "Topics.IsInternal")) ||
		    arrlen(w, &nparts, "Topics.Partitions"))
			return -1;
		for (uint32_t p = 0; p < nparts; p++)
			if (skip(w, 2 + 4, "Topics.Partitions.PartitionIndex") ||
			    map32(w, "Topics.Partitions.LeaderId") ||
			    (v >= 7 && no_epoch(w, "Topics.Partitions.LeaderEpoch")) ||
			    ids(w, "Topics.Partitions.ReplicaNodes") ||
			    ids(w, "Topics.Partitions.IsrNodes") ||
			    (v >= 5 && ids(w, "Topics.Partitions.OfflineReplicas")) ||
			    flex_tags(w, "Topics.Partitions.<tags>"))
				return -1;
		if ((v >= 8 && skip(w, 4, "Topics.TopicAuthorizedOperations")) ||
		    flex_tags(w, "Topics.<tags>"))
			return -1;
	}
	return v >= 8 && v <= 10 ? skip(w, 4, "ClusterAuthorizedOperations") : 0;
}

static int fetch(walk *w)
{
	uint32_t ntopics, nparts, naborted;
	if (skip(w, 4 + 2 + 4, "ThrottleTimeMs") || arrlen(w, &ntopics, "Responses"))
		return -1;
	for (uint32_t t = 0; t < ntopics; t++) {
		if ((w->v <= 12 ? skip_str(w, "Responses.Topic")
		                : skip(w, 16, "Responses.TopicId")) ||
		    arrlen(w, &nparts, "Responses.Partitions"))
			return -1;
		for (uint32_t p = 0; p < nparts; p++) {
			/* PartitionIndex .. LogStartOffset */
			if (skip(w, 4 + 2 + 8 + 8 + 8, "Responses.Partitions") ||
			    arrlen(w, &naborted, "Responses.Partitions.AbortedTransactions"))
				return -1;
			for (uint32_t a = 0; a < naborted; a++)
				if (skip(w, 16, "Responses.Partitions.AbortedTransactions") ||
				    tags(w, -1, NULL, "Responses.Partitions.AbortedTransactions"))
					return -1;
			if (skip(w, 4, "Responses.Partitions.PreferredReadReplica") ||
			    skip_str(w, "Responses.Partitions.Records") || /* compact bytes */
			    tags(w, 1, NULL, "Responses.Partitions.CurrentLeader"))
				return -1;
		}
		if (tags(w, -1, NULL, "Responses.<tags>"))
			return -1;
	}
	return 0;
}

static int produce(walk *w)
{
	uint32_t ntopics, nparts, nerrors;
	if (arrlen(w, &ntopics, "Responses"))
		return -1;
	for (uint32_t t = 0; t < ntopics; t++) {
		if (skip_str(w, "Responses.Name") ||
		    arrlen(w, &nparts, "Responses.PartitionResponses"))
			return -1;
		for (uint32_t p = 0; p < nparts; p++) {
			/* Index .. LogStartOffset */
			if (skip(w, 4 + 2 + 8 + 8 + 8, "Responses.PartitionResponses") ||
			    arrlen(w, &nerrors, "Responses.PartitionResponses.RecordErrors"))
				return -1;
			for (uint32_t e = 0; e < nerrors; e++)
				if (skip(w, 4, "Responses.PartitionResponses.RecordErrors") ||
				    skip_str(w, "Responses.PartitionResponses.RecordErrors") ||
				    tags(w, -1, NULL, "Responses.PartitionResponses.RecordErrors"))
					return -1;
			if (skip_str(w, "Responses.PartitionResponses.ErrorMessage") ||
			    tags(w, 0, NULL, "Responses.PartitionResponses.CurrentLeader"))
				return -1;
		}
		if (tags(w, -1, NULL, "Responses.<tags>"))
			return -1;
	}
	return skip(w, 4, "ThrottleTimeMs");
}

/* The top-level tags from `at` to the end of the frame, with NodeEndpoints
 * (tag 0) re-encoded; other tags and trailing bytes stay as they came. */
static int node_endpoints(walk *w, size_t at)
{
	size_t len = w->r.len;
	uint8_t *p = copy_out(w, at, len);
	wire_rd r;
	uint32_t n, tag, size;
	const uint8_t *data;
	int rc = -1;
	if (!p)
		return -1;
	wire_rd_init(&r, p, len - at);
	w->where = "NodeEndpoints";
	if (wire_rd_uvarint(&r, &n) || wire_wr_uvarint(&w->repl, n)) {
		fail(w, "malformed tags");
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (wire_rd_uvarint(&r, &tag) || wire_rd_uvarint(&r, &size) ||
		    wire_rd_raw(&r, size, &data)) {
			fail(w, "malformed tags");
			goto out;
		}
		if (tag != 0) {
			if (wire_wr_uvarint(&w->repl, tag) || wire_wr_uvarint(&w->repl, size) ||
			    wire_wr_raw(&w->repl, data, size)) {
				fail(w, "out of memory");
				goto out;
			}
			continue;
		}
		/* the list is encoded apart first: its size goes before it */
		wire_wr outer = w->repl;
		wire_wr_init(&w->repl, false);
		int bad = endpoints(w, data, size, true);
		wire_wr list = w->repl;
		w->repl = outer;
		bad = bad || wire_wr_uvarint(&w->repl, 0) ||
		      wire_wr_uvarint(&w->repl, (uint32_t)list.len) ||
		      wire_wr_raw(&w->repl, list.buf, list.len);
		wire_wr_free(&list);
		if (bad) {
			fail(w, "out of memory");
			goto out;
		}
	}
	if (wire_wr_raw(&w->repl, p + r.pos, len - at - r.pos)) {
		fail(w, "out of memory");
		goto out;
	}
	w->cut = true;
	w->cut_from = at;
	w->cut_to = len;
	rc = 0;
out:
	free(p);
	return rc;
}

/* Sends the frame: as it is, or as new size + [4, from) + repl + [to, len). */
static int emit(walk *w, size_t len, struct evbuffer *dst)
{
	struct evbuffer *src = w->src;
	if (!w->cut)
		return evbuffer_remove_buffer(src, dst, len) == (int)len ? 0
		                                                         : fail(w, "out of memory");
	size_t size = len - 4 - (w->cut_to - w->cut_from) + w->repl.len;
	if (size > INT32_MAX)
		return fail(w, "response too large");
	uint8_t b[4] = {(uint8_t)(size >> 24), (uint8_t)(size >> 16), (uint8_t)(size >> 8),
	                (uint8_t)size};
	size_t before = w->cut_from - 4, after = len - w->cut_to;
	if (evbuffer_add(dst, b, 4) || evbuffer_drain(src, 4) ||
	    evbuffer_remove_buffer(src, dst, before) != (int)before ||
	    evbuffer_add(dst, w->repl.buf, w->repl.len) ||
	    evbuffer_drain(src, w->cut_to - w->cut_from) ||
	    evbuffer_remove_buffer(src, dst, after) != (int)after)
		return fail(w, "out of memory");
	return 0;
}

static const char *api_name(int16_t api)
{
	return api == WIRE_API_METADATA  ? "MetadataResponse"
	       : api == WIRE_API_PRODUCE ? "ProduceResponse"
	                                 : "FetchResponse";
}

int inplace_move(int16_t api, int16_t version, int cluster, struct evbuffer *src, size_t len,
                 const rewrite_map *map, struct evbuffer *dst, char *err, size_t errlen)
{
	walk w = {.src = src,
	          .v = version,
	          .flex = wire_resp_header_version(api, version) >= 1,
	          .cluster = cluster,
	          .map = map,
	          .where = "header"};
	bool seen0 = false;
	int rc = -1;
	if (!inplace_handles(api, version) || len < 8 || evbuffer_get_length(src) < len) {
		snprintf(err, errlen, "%s v%d: not a response turnout walks", api_name(api),
		         version);
		return -1;
	}
	wire_wr_init(&w.repl, false);
	if (frameio_rd_init(&w.r, src, len)) {
		snprintf(err, errlen, "%s v%d: out of memory", api_name(api), version);
		wire_wr_free(&w.repl);
		return -1;
	}
	if (skip(&w, 8, "header") || /* size, CorrelationId */
	    flex_tags(&w, "header") ||
	    (api == WIRE_API_METADATA  ? metadata(&w)
	     : api == WIRE_API_PRODUCE ? produce(&w)
	                               : fetch(&w)))
		goto out;
	size_t at = w.r.pos;
	/* NodeEndpoints is tag 0 from Fetch v16 (Produce v10); before that a
	 * tag 0 is unknown to turnout and goes through untouched. */
	bool endpoints_here = api == WIRE_API_PRODUCE || (api == WIRE_API_FETCH && version >= 16);
	if (w.flex && tags(&w, -1, endpoints_here ? &seen0 : NULL, "<tags>"))
		goto out;
	/* bytes after the message (the 2.15.1 mock adds some) stay as they are */
	if (seen0 && node_endpoints(&w, at))
		goto out;
	rc = emit(&w, len, dst);
out:
	if (rc)
		snprintf(err, errlen, "%s v%d: %s at %s (offset %zu)", api_name(api), version,
		         w.bad     ? w.bad
		         : w.r.err ? w.r.err
		                   : "malformed response",
		         w.where, w.r.pos);
	frameio_rd_free(&w.r);
	wire_wr_free(&w.repl);
	return rc;
}
