/*
 * Generic view of the generated message codecs: one descriptor per message
 * (request, response or embedded data) so callers that only know an api key
 * and a version can decode, encode and allocate any message.
 */
#ifndef TURNOUT_WIRE_MSG_H
#define TURNOUT_WIRE_MSG_H

#include "wire/arena.h"
#include "wire/prim.h"

typedef enum wire_msg_kind {
	WIRE_REQUEST,
	WIRE_RESPONSE,
	WIRE_DATA, /* versioned payload inside another message (ConsumerProtocol) */
} wire_msg_kind;

typedef struct wire_msg_type {
	const char *name;   /* e.g. "MetadataResponse" */
	const char *schema; /* schema file stem, e.g. "metadata" */
	int16_t api_key;    /* -1 for WIRE_DATA */
	wire_msg_kind kind;
	int16_t min_version;  /* lowest version the codec knows */
	int16_t max_version;  /* highest version the codec knows */
	int16_t flex_version; /* first flexible version, -1 for none */
	size_t size;          /* sizeof the decoded struct */
	void (*init)(void *m);
	int (*decode)(wire_rd *r, int16_t v, wire_arena *a, void *m);
	int (*encode)(wire_wr *w, int16_t v, const void *m);
} wire_msg_type;

extern const wire_msg_type wire_msg_types[];
extern const size_t wire_msg_type_count;

/* The descriptor for an api key's request or response; NULL if not decoded. */
const wire_msg_type *wire_msg_find(int16_t api_key, wire_msg_kind kind);
const wire_msg_type *wire_msg_find_name(const char *name);

/*
 * Decodes a whole message body: the body must end exactly at len. On error
 * returns -1 and writes a one-line reason (message, version, field, offset)
 * into err.
 */
int wire_msg_decode_body(const wire_msg_type *t, int16_t v, const uint8_t *p, size_t len,
                         wire_arena *a, void *out, char *err, size_t errlen);

/*
 * Like wire_msg_decode_body, but bytes after the message are allowed and
 * counted in *trailing (librdkafka's mock appends a second tag buffer to
 * flexible Metadata responses; clients ignore such bytes, so a proxy must
 * too, and must forward them). Use for responses only.
 */
int wire_msg_decode_lenient(const wire_msg_type *t, int16_t v, const uint8_t *p, size_t len,
                            wire_arena *a, void *out, size_t *trailing, char *err, size_t errlen);

#endif
