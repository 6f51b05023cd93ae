/*
 * Verify-by-records: given a sync (a record on the "from" cluster and its
 * copy on the "to" cluster) and a group offset g past it, walk the records
 * after the copy and decide how far the group can safely start on the "to"
 * cluster. Pure: the caller fetches the records and passes fingerprints.
 */
#ifndef TURNOUT_ROUTING_VERIFY_H
#define TURNOUT_ROUTING_VERIFY_H

#include <stddef.h>
#include <stdint.h>

/* Records after g fetched from the "from" side so copies of them can be
 * recognised on the "to" side (and the scan can stop there, exactly). */
#define VERIFY_LOOKAHEAD 32

/* One record, as compared: position, timestamp and a digest of key, value
 * and headers (SHA-256 in mm2_fetch.c). */
typedef struct verify_rec {
	int64_t offset;
	int64_t ts;
	uint8_t digest[32];
} verify_rec;

typedef struct verify_input {
	int64_t anchor_from;    /* the sync: record anchor_from on "from" ...   */
	int64_t anchor_to;      /* ... was copied to anchor_to on "to" */
	int64_t g;              /* the group's offset on "from" (> anchor_from) */
	int has_next;           /* a later sync whose from-offset is >= g: */
	int64_t next_to;        /* its to-offset (the copy of a record >= g) */
	const verify_rec *from; /* "from" records in offset order, from anchor_from */
	size_t nfrom;
	int from_complete;    /* from[] holds every record in [anchor_from, g) */
	const verify_rec *to; /* "to" records in offset order, from anchor_to */
	size_t nto;
	int to_at_end; /* to[] ends at the partition's end */
} verify_input;

typedef struct verify_outcome {
	int ok;           /* anchors present and equal; offset is valid */
	int exact;        /* offset proven: nothing skipped, nothing re-read */
	int64_t offset;   /* safe start on "to"; always >= anchor_to + 1 */
	int64_t pending;  /* "from" records before g not seen copied before offset:
	                     an upper bound on re-reads when !exact */
	int64_t compared; /* "to" records identified */
	const char *note; /* static reason when !ok or !exact */
} verify_outcome;

/*
 * Returns 0 and fills out, or -1 if out of memory (out->note says so).
 *
 * Rule: records are identified by (timestamp, digest). A "to" record is
 * accepted as the copy of a "from" record before g only if that fingerprint
 * occurs exactly once among the fetched "from" records and the copies come in
 * order. The answer is the first "to" record that is not such a copy (a copy
 * of a record >= g, a foreign or transformed record, an ambiguous duplicate,
 * an out-of-order copy) or the end of what was fetched: everything before it
 * is a copy of something the group already consumed, so nothing is skipped.
 * It is exact when that record is known to be a copy of a record >= g, or when
 * every record before g was accounted for.
 */
int verify_scan(const verify_input *in, verify_outcome *out);

/* 1 if two records have the same timestamp and digest. */
int verify_rec_same(const verify_rec *a, const verify_rec *b);

#endif
