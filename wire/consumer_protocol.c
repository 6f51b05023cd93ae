/*
 * The consumer's subscription and assignment are versioned structs inside
 * bytes fields, prefixed by their own int16 version. Clients read newer
 * versions than they know by parsing the fields they know and ignoring the
 * rest; turnout does the same so a newer client does not break group routing.
 */
#include "wire/consumer_protocol.h"

#include <stdio.h>

static int parse(const wire_msg_type *t, const uint8_t *p, size_t len, wire_arena *a, void *out,
                 int16_t *version, char *err, size_t errlen)
{
	wire_rd r;
	wire_rd_init(&r, p, len);
	int16_t v;
	if (wire_rd_int16(&r, &v) || (v < 0 && wire_rd_fail(&r, "negative version"))) {
		wire_rd_at(&r, t->name);
		goto fail;
	}
	*version = v;
	int16_t use = v > t->max_version ? t->max_version : v;
	if (t->decode(&r, use, a, out))
		goto fail;
	if (use == v && r.pos != r.len) {
		wire_rd_fail(&r, "trailing bytes after message");
		wire_rd_at(&r, t->name);
		goto fail;
	}
	return 0;
fail:
	if (err && errlen) {
		char why[256];
		wire_rd_describe(&r, why, sizeof(why));
		snprintf(err, errlen, "%s: %s", t->name, why);
	}
	return -1;
}

int wire_subscription_parse(const uint8_t *p, size_t len, wire_arena *a,
                            wire_consumer_protocol_subscription *out, int16_t *version, char *err,
                            size_t errlen)
{
	return parse(wire_msg_find_name("ConsumerProtocolSubscription"), p, len, a, out, version,
	             err, errlen);
}

int wire_assignment_parse(const uint8_t *p, size_t len, wire_arena *a,
                          wire_consumer_protocol_assignment *out, int16_t *version, char *err,
                          size_t errlen)
{
	return parse(wire_msg_find_name("ConsumerProtocolAssignment"), p, len, a, out, version, err,
	             errlen);
}

int wire_subscription_write(wire_wr *w, int16_t version,
                            const wire_consumer_protocol_subscription *s)
{
	if (wire_wr_int16(w, version))
		return -1;
	return wire_consumer_protocol_subscription_encode(w, version, s);
}

int wire_assignment_write(wire_wr *w, int16_t version, const wire_consumer_protocol_assignment *s)
{
	if (wire_wr_int16(w, version))
		return -1;
	return wire_consumer_protocol_assignment_encode(w, version, s);
}
