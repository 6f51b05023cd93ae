/*
 * Request and response headers. Requests say which api and version follow,
 * so the header version comes from the api table; responses do not, so the
 * caller passes the version it remembered for the correlation id.
 */
#include "wire/header.h"

#include "wire/api.h"

static int rd_tags(wire_rd *r, wire_arena *a, wire_tags *t, const char *where)
{
	uint32_t n, last = 0;
	if (wire_rd_uvarint(r, &n))
		return wire_rd_at(r, where);
	if (n > wire_rd_left(r) / 2) {
		wire_rd_fail(r, "tagged field count exceeds input");
		return wire_rd_at(r, where);
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t tag, size;
		const uint8_t *p;
		if (wire_rd_uvarint(r, &tag) || wire_rd_uvarint(r, &size) ||
		    (i > 0 && tag <= last && wire_rd_fail(r, "tagged fields out of order")) ||
		    wire_rd_raw(r, size, &p))
			return wire_rd_at(r, where);
		last = tag;
		if (wire_tags_add(t, a, n, tag, p, size)) {
			wire_rd_fail(r, "decoded message exceeds memory limit");
			return wire_rd_at(r, where);
		}
	}
	return 0;
}

static int wr_tags(wire_wr *w, const wire_tags *t)
{
	if (wire_wr_uvarint(w, t->n))
		return -1;
	for (uint32_t i = 0; i < t->n; i++)
		if (wire_wr_rawtag(w, &t->v[i]))
			return -1;
	return 0;
}

int wire_req_header_decode(wire_rd *r, wire_arena *a, wire_req_header *h)
{
	*h = (wire_req_header){0};
	h->client_id = wire_str_null();
	if (wire_rd_int16(r, &h->api_key) || wire_rd_int16(r, &h->api_version) ||
	    wire_rd_int32(r, &h->correlation_id))
		return wire_rd_at(r, "RequestHeader");
	if (h->api_version < 0) {
		wire_rd_fail(r, "negative api version");
		return wire_rd_at(r, "RequestHeader.ApiVersion");
	}
	h->version = (int8_t)wire_req_header_version(h->api_key, h->api_version);
	/* KIP-511: an ApiVersions request of a version the receiver does not know
	 * is read with header v1 (the tag buffer, if any, stays in the body), so
	 * the receiver can still answer with the versions it supports. */
	if (h->api_key == WIRE_API_API_VERSIONS && h->api_version > WIRE_API_VERSIONS_MAX_KNOWN)
		h->version = 1;
	if (h->version >= 1 && wire_rd_str(r, false, &h->client_id))
		return wire_rd_at(r, "RequestHeader.ClientId");
	if (h->version >= 2)
		return rd_tags(r, a, &h->tags, "RequestHeader.<tags>");
	return 0;
}

int wire_req_header_encode(wire_wr *w, const wire_req_header *h)
{
	if (wire_wr_int16(w, h->api_key) || wire_wr_int16(w, h->api_version) ||
	    wire_wr_int32(w, h->correlation_id))
		return -1;
	if (h->version >= 1 && wire_wr_str(w, false, h->client_id))
		return -1;
	if (h->version >= 2)
		return wr_tags(w, &h->tags);
	return 0;
}

int wire_resp_header_decode(wire_rd *r, int version, wire_arena *a, wire_resp_header *h)
{
	*h = (wire_resp_header){0};
	h->version = (int8_t)version;
	if (wire_rd_int32(r, &h->correlation_id))
		return wire_rd_at(r, "ResponseHeader");
	if (version >= 1)
		return rd_tags(r, a, &h->tags, "ResponseHeader.<tags>");
	return 0;
}

int wire_resp_header_encode(wire_wr *w, const wire_resp_header *h)
{
	if (wire_wr_int32(w, h->correlation_id))
		return -1;
	if (h->version >= 1)
		return wr_tags(w, &h->tags);
	return 0;
}
