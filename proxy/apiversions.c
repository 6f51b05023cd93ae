/*
 * ApiVersions is answered by turnout itself: one client connection may have
 * its requests routed to either cluster, so a version is offered only if
 * both clusters accept it and, for every api turnout decodes, the codec
 * knows it. SASL apis are not offered: turnout authenticates upstream on the
 * application's behalf and the client side is plaintext (or TLS).
 */
#include "proxy/apiversions.h"

#include "wire/api.h"
#include "wire/msg.h"
#include "wire_msgs.h"

#define ERR_UNSUPPORTED_VERSION 35

void apiversions_combine(const apiversions_table clusters[CLUSTER_COUNT], apiversions_table *out)
{
	for (int k = 0; k < APIVERSIONS_KEYS; k++) {
		api_range r = {0, INT16_MAX};
		for (int c = 0; c < CLUSTER_COUNT; c++) {
			if (clusters[c].r[k].min > r.min)
				r.min = clusters[c].r[k].min;
			if (clusters[c].r[k].max < r.max)
				r.max = clusters[c].r[k].max;
		}
		const wire_msg_type *t = wire_msg_find((int16_t)k, WIRE_REQUEST);
		if (t) {
			if (t->min_version > r.min)
				r.min = t->min_version;
			if (t->max_version < r.max)
				r.max = t->max_version;
		}
		if (!wire_api_known((int16_t)k) || k == WIRE_API_SASL_HANDSHAKE ||
		    k == WIRE_API_SASL_AUTHENTICATE)
			r = (api_range){1, 0};
		/* Kafka 4 accepts Produce from v3 but advertises v0, because
		 * librdkafka turns compression off when Produce min > 0. */
		if (k == WIRE_API_PRODUCE && r.min <= r.max && r.min > 0)
			r.min = 0;
		if (k == WIRE_API_API_VERSIONS) {
			const wire_msg_type *av =
			    wire_msg_find(WIRE_API_API_VERSIONS, WIRE_REQUEST);
			r = (api_range){av->min_version, av->max_version};
		}
		out->r[k] = r;
	}
}

int apiversions_answer(const apiversions_table *offer, int16_t req_version, int32_t corr,
                       wire_wr *out)
{
	const wire_msg_type *t = wire_msg_find(WIRE_API_API_VERSIONS, WIRE_RESPONSE);
	wire_api_versions_resp resp;
	wire_api_versions_resp_init(&resp);
	wire_api_versions_resp_api_version keys[APIVERSIONS_KEYS];
	int16_t v = req_version;
	int32_t n = 0;
	if (v < t->min_version || v > t->max_version) {
		resp.error_code = ERR_UNSUPPORTED_VERSION;
		v = 0;
		wire_api_versions_resp_api_version_init(&keys[0]);
		keys[0].api_key = WIRE_API_API_VERSIONS;
		keys[0].min_version = t->min_version;
		keys[0].max_version = t->max_version;
		n = 1;
	} else {
		for (int k = 0; k < APIVERSIONS_KEYS; k++) {
			if (offer->r[k].min > offer->r[k].max)
				continue;
			wire_api_versions_resp_api_version_init(&keys[n]);
			keys[n].api_key = (int16_t)k;
			keys[n].min_version = offer->r[k].min;
			keys[n].max_version = offer->r[k].max;
			n++;
		}
	}
	resp.api_keys.n = n;
	resp.api_keys.v = keys;
	size_t start = out->len;
	if (wire_wr_int32(out, 0) || wire_wr_int32(out, corr) || t->encode(out, v, &resp))
		return -1;
	wire_wr_put_int32_at(out, start, (int32_t)(wire_wr_size(out) - start - 4));
	return 0;
}
