/*
 * Kafka primitive types: a bounds-checked reader over a byte range and a
 * growable writer. Every read can fail; the first failure is remembered with
 * the field path so the caller can log one precise reason.
 */
#ifndef TURNOUT_WIRE_PRIM_H
#define TURNOUT_WIRE_PRIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wire_str {
	const char *p; /* not NUL-terminated; points into the input or an arena */
	int32_t len;   /* -1 means null */
} wire_str;

typedef struct wire_bytes {
	const uint8_t *p; /* points into the input (zero copy) or an arena */
	int32_t len;      /* -1 means null */
} wire_bytes;

typedef struct wire_uuid {
	uint8_t b[16];
} wire_uuid;

/* A tagged field this codec does not know; kept so re-encoding loses nothing. */
typedef struct wire_rawtag {
	uint32_t tag;
	wire_bytes data;
} wire_rawtag;

typedef struct wire_tags {
	uint32_t n;
	wire_rawtag *v; /* ascending tag order, as read */
} wire_tags;

/* Arrays of primitives as the generated messages hold them; n = -1 is null. */
#define WIRE_ARRAY_TYPE(name, type)                                                                \
	typedef struct name {                                                                      \
		int32_t n;                                                                         \
		type *v;                                                                           \
	} name
WIRE_ARRAY_TYPE(wire_bool_array, bool);
WIRE_ARRAY_TYPE(wire_int8_array, int8_t);
WIRE_ARRAY_TYPE(wire_int16_array, int16_t);
WIRE_ARRAY_TYPE(wire_uint16_array, uint16_t);
WIRE_ARRAY_TYPE(wire_int32_array, int32_t);
WIRE_ARRAY_TYPE(wire_uint32_array, uint32_t);
WIRE_ARRAY_TYPE(wire_int64_array, int64_t);
WIRE_ARRAY_TYPE(wire_float64_array, double);
WIRE_ARRAY_TYPE(wire_uuid_array, wire_uuid);
WIRE_ARRAY_TYPE(wire_str_array, wire_str);
WIRE_ARRAY_TYPE(wire_bytes_array, wire_bytes);

typedef struct wire_rd {
	const uint8_t *p;  /* input */
	size_t len;        /* input length */
	size_t pos;        /* next byte to read */
	const char *err;   /* first error (static string), NULL while fine */
	const char *where; /* field path of the first error */
	size_t err_pos;    /* offset where the first error happened */
} wire_rd;

/* A byte range the writer references instead of copying (record batches). */
typedef struct wire_ref {
	size_t at;        /* position in buf where the range logically goes */
	const uint8_t *p; /* referenced bytes, owned by the caller */
	size_t len;
} wire_ref;

typedef struct wire_wr {
	uint8_t *buf;      /* encoded bytes, excluding referenced ranges */
	size_t len;        /* bytes used in buf */
	size_t cap;        /* bytes allocated in buf */
	wire_ref *refs;    /* referenced ranges in order, when zero_copy */
	size_t nrefs;      /* entries used in refs */
	size_t refcap;     /* entries allocated in refs */
	size_t reflen;     /* sum of refs[].len */
	bool zero_copy;    /* records fields become refs instead of copies */
	const char *err;   /* first error (static string) */
	const char *where; /* field path of the first error */
} wire_wr;

static inline wire_str wire_str_null(void)
{
	return (wire_str){NULL, -1};
}
wire_str wire_str_c(const char *s);
bool wire_str_eq(wire_str a, wire_str b);
bool wire_str_eqc(wire_str a, const char *s);
bool wire_bytes_eq(wire_bytes a, wire_bytes b);
bool wire_tags_eq(const wire_tags *a, const wire_tags *b);

void wire_rd_init(wire_rd *r, const void *p, size_t len);
static inline size_t wire_rd_left(const wire_rd *r)
{
	return r->len - r->pos;
}
/* Records err (first one wins) and returns -1. */
int wire_rd_fail(wire_rd *r, const char *err);
/* Records the field path of the first error and returns -1. */
int wire_rd_at(wire_rd *r, const char *where);
/* "truncated input at Topics.Name (offset 17)" */
void wire_rd_describe(const wire_rd *r, char *out, size_t outlen);

int wire_rd_int8(wire_rd *r, int8_t *v);
int wire_rd_bool(wire_rd *r, bool *v);
int wire_rd_int16(wire_rd *r, int16_t *v);
int wire_rd_uint16(wire_rd *r, uint16_t *v);
int wire_rd_int32(wire_rd *r, int32_t *v);
int wire_rd_uint32(wire_rd *r, uint32_t *v);
int wire_rd_int64(wire_rd *r, int64_t *v);
int wire_rd_float64(wire_rd *r, double *v);
int wire_rd_uvarint(wire_rd *r, uint32_t *v);
int wire_rd_uvarlong(wire_rd *r, uint64_t *v);
int wire_rd_varint(wire_rd *r, int32_t *v);
int wire_rd_varlong(wire_rd *r, int64_t *v);
int wire_rd_uuid(wire_rd *r, wire_uuid *v);
/* compact selects the KIP-482 encoding; a null value comes back as len -1. */
int wire_rd_str(wire_rd *r, bool compact, wire_str *v);
int wire_rd_bytes(wire_rd *r, bool compact, wire_bytes *v);
/* Array length; -1 means null. Never more than the bytes left. */
int wire_rd_arrlen(wire_rd *r, bool compact, int32_t *n);
int wire_rd_raw(wire_rd *r, size_t n, const uint8_t **p);
/* Moves the error of a sub-reader over the last `size` bytes of r into r. */
int wire_rd_sub_fail(wire_rd *r, const wire_rd *sub, size_t size, const char *where);

/* Keeps an unknown tagged field; cap is the most the list will ever hold. */
struct wire_arena;
int wire_tags_add(wire_tags *t, struct wire_arena *a, uint32_t cap, uint32_t tag, const uint8_t *p,
                  uint32_t size);

void wire_wr_init(wire_wr *w, bool zero_copy);
void wire_wr_free(wire_wr *w);
/* Total encoded length, referenced ranges included. */
static inline size_t wire_wr_size(const wire_wr *w)
{
	return w->len + w->reflen;
}
int wire_wr_fail(wire_wr *w, const char *err, const char *where);
/* Copies referenced ranges into one contiguous buffer (for tests and small
 * messages); afterwards refs are gone and buf holds everything. */
int wire_wr_flatten(wire_wr *w);

int wire_wr_raw(wire_wr *w, const void *p, size_t n);
int wire_wr_int8(wire_wr *w, int8_t v);
int wire_wr_bool(wire_wr *w, bool v);
int wire_wr_int16(wire_wr *w, int16_t v);
int wire_wr_uint16(wire_wr *w, uint16_t v);
int wire_wr_int32(wire_wr *w, int32_t v);
int wire_wr_uint32(wire_wr *w, uint32_t v);
int wire_wr_int64(wire_wr *w, int64_t v);
int wire_wr_float64(wire_wr *w, double v);
int wire_wr_uvarint(wire_wr *w, uint32_t v);
int wire_wr_uvarlong(wire_wr *w, uint64_t v);
int wire_wr_varint(wire_wr *w, int32_t v);
int wire_wr_varlong(wire_wr *w, int64_t v);
int wire_wr_uuid(wire_wr *w, const wire_uuid *v);
int wire_wr_str(wire_wr *w, bool compact, wire_str v);
int wire_wr_bytes(wire_wr *w, bool compact, wire_bytes v);
/* Like bytes, but referenced rather than copied when zero_copy is set. */
int wire_wr_records(wire_wr *w, bool compact, wire_bytes v);
int wire_wr_arrlen(wire_wr *w, bool compact, int32_t n);
/* Appends a flat writer's bytes as one tagged field (tag, size, data). */
int wire_wr_tagged(wire_wr *w, uint32_t tag, const wire_wr *field);
int wire_wr_rawtag(wire_wr *w, const wire_rawtag *t);
/* Overwrites 4 bytes at off (frame size back-patching). */
void wire_wr_put_int32_at(wire_wr *w, size_t off, int32_t v);

#endif
