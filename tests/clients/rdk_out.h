/* JSON output for rdk_client: one object per run, on one stdout line. */
#ifndef TESTS_CLIENTS_RDK_OUT_H
#define TESTS_CLIENTS_RDK_OUT_H

#include <stddef.h>
#include <stdint.h>

/* A record as a client saw it. */
typedef struct out_record {
	int32_t partition;
	int64_t offset; /* -1 when the client was not told (acks=0) */
	char *key;      /* NULL for a null key */
	char *value;
} out_record;

typedef struct out_records {
	out_record *v;
	int n, cap;
} out_records;

/* Appends copies of key and value; exits on out of memory. */
void out_records_add(out_records *r, int32_t partition, int64_t offset, const void *key,
                     size_t klen, const void *value, size_t vlen);
void out_records_free(out_records *r);

/* out_open() starts the object with "op" and the librdkafka version,
 * out_close() ends it and the line. Keys are plain identifiers. */
void out_open(const char *op);
void out_int(const char *key, int64_t v);
void out_str(const char *key, const char *s);
/* [[partition, offset, key, value], ...] */
void out_records_print(const char *key, const out_records *r);
/* {"0": 5, "1": -1001}: offsets of partitions 0..n-1 */
void out_offsets(const char *key, const int64_t *offsets, int n);
/* [1, 2, 3] */
void out_ints(const char *key, const int *v, int n);
/* Starts "key": { ... } / "key": [ ... ]; elements are written by the
 * caller with out_elem_*(); out_end() closes the bracket. */
void out_begin(const char *key, char bracket);
void out_end(char bracket);
void out_elem_sep(void);
void out_string(const char *s); /* a bare JSON string, escaped */
void out_close(void);

#endif
