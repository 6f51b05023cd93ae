/*
 * Lookup over the generated descriptor table, and the one place that checks
 * a body was consumed exactly: trailing bytes inside a frame mean the peer
 * and turnout disagree about the layout, which must never pass silently.
 */
#include "wire/msg.h"

#include <stdio.h>
#include <string.h>

const wire_msg_type *wire_msg_find(int16_t api_key, wire_msg_kind kind)
{
	for (size_t i = 0; i < wire_msg_type_count; i++)
		if (wire_msg_types[i].api_key == api_key && wire_msg_types[i].kind == kind)
			return &wire_msg_types[i];
	return NULL;
}

const wire_msg_type *wire_msg_find_name(const char *name)
{
	for (size_t i = 0; i < wire_msg_type_count; i++)
		if (strcmp(wire_msg_types[i].name, name) == 0)
			return &wire_msg_types[i];
	return NULL;
}

static int decode(const wire_msg_type *t, int16_t v, const uint8_t *p, size_t len, wire_arena *a,
                  void *out, size_t *trailing, char *err, size_t errlen)
{
	wire_rd r;
	wire_rd_init(&r, p, len);
	if (t->decode(&r, v, a, out) == 0 && r.pos != r.len) {
		if (trailing) {
			*trailing = r.len - r.pos;
		} else {
			wire_rd_fail(&r, "trailing bytes after message");
			wire_rd_at(&r, t->name);
		}
	}
	if (!r.err)
		return 0;
	if (err && errlen) {
		char why[256];
		wire_rd_describe(&r, why, sizeof(why));
		snprintf(err, errlen, "%s v%d: %s", t->name, v, why);
	}
	return -1;
}

int wire_msg_decode_body(const wire_msg_type *t, int16_t v, const uint8_t *p, size_t len,
                         wire_arena *a, void *out, char *err, size_t errlen)
{
	return decode(t, v, p, len, a, out, NULL, err, errlen);
}

int wire_msg_decode_lenient(const wire_msg_type *t, int16_t v, const uint8_t *p, size_t len,
                            wire_arena *a, void *out, size_t *trailing, char *err, size_t errlen)
{
	*trailing = 0;
	return decode(t, v, p, len, a, out, trailing, err, errlen);
}
