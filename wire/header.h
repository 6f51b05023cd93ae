/* Kafka request and response headers (v0-v2 and v0-v1, KIP-482). */
#ifndef TURNOUT_WIRE_HEADER_H
#define TURNOUT_WIRE_HEADER_H

#include "wire/arena.h"
#include "wire/prim.h"

typedef struct wire_req_header {
	int16_t api_key;
	int16_t api_version;
	int32_t correlation_id;
	wire_str client_id; /* v1+; always an int16-length string, even in v2 */
	wire_tags tags;     /* v2 tagged fields, kept as bytes */
	int8_t version;     /* header version the fields came from or go to */
} wire_req_header;

typedef struct wire_resp_header {
	int32_t correlation_id;
	wire_tags tags; /* v1 tagged fields, kept as bytes */
	int8_t version; /* 0 or 1 */
} wire_resp_header;

/* Decodes api key, version and correlation id, picks the header version
 * from the api table and reads the rest. Unknown api keys are read as v1
 * (the client id layout every non-flexible request shares). */
int wire_req_header_decode(wire_rd *r, wire_arena *a, wire_req_header *h);
/* Encodes with h->version. */
int wire_req_header_encode(wire_wr *w, const wire_req_header *h);
int wire_resp_header_decode(wire_rd *r, int version, wire_arena *a, wire_resp_header *h);
int wire_resp_header_encode(wire_wr *w, const wire_resp_header *h);

#endif
