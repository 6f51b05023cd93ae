/*
 * KIP-951 leader hints without touching record batches.
 *
 * Produce v10+ and Fetch v12+ responses carry broker ids in two places:
 * CurrentLeader (a tagged field of a partition: LeaderId, LeaderEpoch) and
 * NodeEndpoints (a tagged field of the whole response, at its very end).
 * Decoding the response and encoding it again, as rewrite.c does for
 * Metadata, would linearise and copy every record batch of a Fetch. Here
 * the frame is walked where it lies in the upstream's input buffer:
 *
 *   header, topics, partitions   read field by field (a few dozen bytes)
 *   Records                      skipped by its length, never read
 *   CurrentLeader.LeaderId       mapped to the virtual id, written in place
 *                                (same size)
 *   top-level tags               found at offset T; only if NodeEndpoints is
 *                                among them is [T, end) copied out, the
 *                                endpoints re-encoded, and the frame sent as
 *                                new size + bytes [4, T) as chains + new tail
 *
 * Brokers send either hint only after a leader moved, so almost every
 * response moves to the client as libevent chains, unchanged.
 * The walk checks lengths against the frame as strictly as the codec does
 * (tests/unit and tests/fuzz/fuzz_hints.c hold it to rewrite.c's output).
 */
#include "proxy/hints.h"

#include <stdio.h>
#include <stdlib.h>

#include "proxy/frameio.h"
#include "wire/api.h"
#include "wire/header.h"

typedef struct walk {
	frameio_rd r;
	int cluster;
	const rewrite_map *map;
	const char *where; /* field being read */
	const char *bad;   /* a failure that is not a short read */
} walk;

bool hints_handles(int16_t api, int16_t version)
{
	return (api == WIRE_API_PRODUCE && version >= 10 && version <= 11) ||
	       (api == WIRE_API_FETCH && version >= 12 && version <= 17);
}

static int fail(walk *w, const char *why)
{
	if (!w->bad && !w->r.err)
		w->bad = why;
	return -1;
}

static int skip(walk *w, size_t n, const char *where)
{
	w->where = where;
	return frameio_rd_skip(&w->r, n);
}

/* A compact array length (KIP-482: n + 1, 0 for null, which holds nothing). */
static int arrlen(walk *w, uint32_t *n, const char *where)
{
	uint32_t u;
	w->where = where;
	if (frameio_rd_uvarint(&w->r, &u))
		return -1;
	*n = u ? u - 1 : 0;
	return *n > frameio_rd_left(&w->r) ? fail(w, "array length exceeds input") : 0;
}

/* A compact (nullable) string or bytes field, skipped unread. */
static int skip_compact(walk *w, const char *where)
{
	uint32_t u;
	w->where = where;
	if (frameio_rd_uvarint(&w->r, &u))
		return -1;
	return u ? frameio_rd_skip(&w->r, u - 1) : 0;
}

static int tags(walk *w, int leader_tag, bool *seen0, const char *where);

/* LeaderIdAndEpoch, exactly size bytes: the id is mapped in place. */
static int leader(walk *w, uint32_t size, const char *where)
{
	if (size > frameio_rd_left(&w->r))
		return skip(w, size, where);
	size_t end = w->r.pos + size;
	frameio_mark at = frameio_rd_tell(&w->r);
	int32_t id;
	w->where = where;
	if (frameio_rd_int32(&w->r, &id) || frameio_rd_skip(&w->r, 4) || tags(w, -1, NULL, where))
		return -1;
	if (w->r.pos != end)
		return fail(w, "tagged field longer than its value");
	if (id < 0)
		return 0; /* "no leader known" stays as it is */
	uint32_t vid = (uint32_t)w->map->vid(w->map->ctx, w->cluster, id);
	uint8_t b[4] = {(uint8_t)(vid >> 24), (uint8_t)(vid >> 16), (uint8_t)(vid >> 8),
	                (uint8_t)vid};
	return frameio_rd_put_at(&w->r, at, b, 4);
}

/* A tagged-field section. leader_tag's value is a LeaderIdAndEpoch (-1:
 * none here); *seen0 reports a tag 0 when asked. */
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

static int fetch(walk *w, int16_t v)
{
	uint32_t ntopics, nparts, naborted;
	if (skip(w, 4 + 2 + 4, "ThrottleTimeMs") || arrlen(w, &ntopics, "Responses"))
		return -1;
	for (uint32_t t = 0; t < ntopics; t++) {
		if ((v <= 12 ? skip_compact(w, "Responses.Topic")
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
			    skip_compact(w, "Responses.Partitions.Records") ||
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
		if (skip_compact(w, "Responses.Name") ||
		    arrlen(w, &nparts, "Responses.PartitionResponses"))
			return -1;
		for (uint32_t p = 0; p < nparts; p++) {
			/* Index .. LogStartOffset */
			if (skip(w, 4 + 2 + 8 + 8 + 8, "Responses.PartitionResponses") ||
			    arrlen(w, &nerrors, "Responses.PartitionResponses.RecordErrors"))
				return -1;
			for (uint32_t e = 0; e < nerrors; e++)
				if (skip(w, 4, "Responses.PartitionResponses.RecordErrors") ||
				    skip_compact(w, "Responses.PartitionResponses.RecordErrors") ||
				    tags(w, -1, NULL, "Responses.PartitionResponses.RecordErrors"))
					return -1;
			if (skip_compact(w, "Responses.PartitionResponses.ErrorMessage") ||
			    tags(w, 0, NULL, "Responses.PartitionResponses.CurrentLeader"))
				return -1;
		}
		if (tags(w, -1, NULL, "Responses.<tags>"))
			return -1;
	}
	return skip(w, 4, "ThrottleTimeMs");
}

/* NodeEndpoints (NodeId, Host, Port, Rack, tags), re-encoded into out. */
static int endpoints(walk *w, const uint8_t *p, uint32_t size, wire_wr *out)
{
	wire_rd r;
	int32_t n;
	wire_rd_init(&r, p, size);
	if (wire_rd_arrlen(&r, true, &n) || wire_wr_arrlen(out, true, n))
		return fail(w, "malformed NodeEndpoints");
	for (int32_t i = 0; i < n; i++) {
		int32_t id, port;
		wire_str host, rack;
		uint32_t ntags, tag, tsize;
		const uint8_t *raw;
		if (wire_rd_int32(&r, &id) || wire_rd_str(&r, true, &host) ||
		    wire_rd_int32(&r, &port) || wire_rd_str(&r, true, &rack))
			return fail(w, "malformed NodeEndpoints");
		size_t tags_from = r.pos;
		if (wire_rd_uvarint(&r, &ntags))
			return fail(w, "malformed NodeEndpoints");
		for (uint32_t t = 0, last = 0; t < ntags; t++, last = tag)
			if (wire_rd_uvarint(&r, &tag) || wire_rd_uvarint(&r, &tsize) ||
			    (t > 0 && tag <= last) || wire_rd_raw(&r, tsize, &raw))
				return fail(w, "malformed NodeEndpoints");
		if (id >= 0) {
			w->map->learn(w->map->ctx, w->cluster, id, host, port);
			id = w->map->vid(w->map->ctx, w->cluster, id);
			if (w->map->advertise(w->map->ctx, id, &host, &port))
				return fail(w, "a broker has no virtual listener");
		}
		if (wire_wr_int32(out, id) || wire_wr_str(out, true, host) ||
		    wire_wr_int32(out, port) || wire_wr_str(out, true, rack) ||
		    wire_wr_raw(out, p + tags_from, r.pos - tags_from))
			return fail(w, "out of memory");
	}
	return r.pos == size ? 0 : fail(w, "tagged field longer than its value");
}

/* The top-level tags and whatever follows them, with NodeEndpoints (tag 0)
 * re-encoded; other tags and trailing bytes are kept as they came. */
static int tail(walk *w, const uint8_t *p, size_t len, wire_wr *out)
{
	wire_rd r;
	uint32_t n, tag, size;
	const uint8_t *data;
	wire_rd_init(&r, p, len);
	if (wire_rd_uvarint(&r, &n) || wire_wr_uvarint(out, n))
		return fail(w, "malformed tags");
	for (uint32_t i = 0; i < n; i++) {
		if (wire_rd_uvarint(&r, &tag) || wire_rd_uvarint(&r, &size) ||
		    wire_rd_raw(&r, size, &data))
			return fail(w, "malformed tags");
		if (tag != 0) {
			if (wire_wr_uvarint(out, tag) || wire_wr_uvarint(out, size) ||
			    wire_wr_raw(out, data, size))
				return fail(w, "out of memory");
			continue;
		}
		wire_wr e;
		wire_wr_init(&e, false);
		int rc = endpoints(w, data, size, &e) || wire_wr_uvarint(out, 0) ||
		         wire_wr_uvarint(out, (uint32_t)e.len) || wire_wr_raw(out, e.buf, e.len);
		wire_wr_free(&e);
		if (rc)
			return fail(w, "out of memory");
	}
	return wire_wr_raw(out, p + r.pos, len - r.pos) ? fail(w, "out of memory") : 0;
}

/* Sends new size + [4, at) as chains + the re-encoded tail. */
static int move_with_tail(walk *w, struct evbuffer *src, size_t len, size_t at,
                          struct evbuffer *dst)
{
	size_t n = len - at;
	uint8_t *old = malloc(n ? n : 1);
	wire_wr out;
	wire_wr_init(&out, false);
	struct evbuffer_ptr ptr;
	int rc = -1;
	if (!old) {
		fail(w, "out of memory");
		goto out;
	}
	if (evbuffer_ptr_set(src, &ptr, at, EVBUFFER_PTR_SET) ||
	    evbuffer_copyout_from(src, &ptr, old, n) != (ev_ssize_t)n) {
		fail(w, "truncated response");
		goto out;
	}
	if (tail(w, old, n, &out))
		goto out;
	size_t size = at - 4 + out.len;
	if (size > INT32_MAX) {
		fail(w, "response too large");
		goto out;
	}
	uint8_t b[4] = {(uint8_t)(size >> 24), (uint8_t)(size >> 16), (uint8_t)(size >> 8),
	                (uint8_t)size};
	if (evbuffer_add(dst, b, 4) || evbuffer_drain(src, 4) ||
	    evbuffer_remove_buffer(src, dst, at - 4) != (int)(at - 4) ||
	    evbuffer_add(dst, out.buf, out.len) || evbuffer_drain(src, n)) {
		fail(w, "out of memory");
		goto out;
	}
	rc = 0;
out:
	wire_wr_free(&out);
	free(old);
	return rc;
}

int hints_move(int16_t api, int16_t version, int cluster, struct evbuffer *src, size_t len,
               const rewrite_map *map, struct evbuffer *dst, char *err, size_t errlen)
{
	walk w = {.cluster = cluster, .map = map, .where = "header"};
	const char *name = api == WIRE_API_PRODUCE ? "ProduceResponse" : "FetchResponse";
	bool endpoints_seen = false;
	int rc = -1;
	if (!hints_handles(api, version) || len < 8 || evbuffer_get_length(src) < len) {
		snprintf(err, errlen, "%s v%d: not a response turnout walks", name, version);
		return -1;
	}
	if (frameio_rd_init(&w.r, src, len)) {
		snprintf(err, errlen, "%s v%d: out of memory", name, version);
		return -1;
	}
	if (skip(&w, 8, "header") || /* size, CorrelationId */
	    (wire_resp_header_version(api, version) >= 1 && tags(&w, -1, NULL, "header")) ||
	    (api == WIRE_API_PRODUCE ? produce(&w) : fetch(&w, version)))
		goto out;
	size_t at = w.r.pos;
	/* NodeEndpoints is tag 0 from Fetch v16 (Produce v10); before that a
	 * tag 0 is unknown to turnout and goes through untouched. */
	bool has_endpoints = api == WIRE_API_PRODUCE || version >= 16;
	if (tags(&w, -1, has_endpoints ? &endpoints_seen : NULL, "<tags>"))
		goto out;
	if (!endpoints_seen)
		rc = evbuffer_remove_buffer(src, dst, len) == (int)len ? 0
		                                                       : fail(&w, "out of memory");
	else
		rc = move_with_tail(&w, src, len, at, dst);
out:
	if (rc)
		snprintf(err, errlen, "%s v%d: %s at %s (offset %zu)", name, version,
		         w.bad     ? w.bad
		         : w.r.err ? w.r.err
		                   : "malformed response",
		         w.where, w.r.pos);
	frameio_rd_free(&w.r);
	return rc;
}
