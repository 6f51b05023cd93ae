/*
 * The record-by-record comparison behind exact translations.
 *
 *   from: |A0 A1 A2 ... A(n-1) | L0 L1 ... (lookahead, >= g)
 *            \   \   \
 *   to:   |B0 B1 B2 ... ->  scan B1, B2, ... identifying each as a copy
 *
 * A0/B0 is the sync (anchor). Each later B is looked up by fingerprint in an
 * index of the fetched "from" records. The scan stops at the first B that is
 * not the in-order copy of a unique record before g; its offset is the answer.
 * Why this never skips a record the group has not consumed: every B before
 * the stop is, by its unique fingerprint and order, the copy of a record
 * before g. The remaining risk is a run of identical records (same timestamp,
 * key, value and headers) of which the mirror dropped more than
 * VERIFY_LOOKAHEAD in a row, which content-based filters cannot do.
 */
#include "routing/verify.h"

#include <stdlib.h>
#include <string.h>

int verify_rec_same(const verify_rec *a, const verify_rec *b)
{
	return a->ts == b->ts && memcmp(a->digest, b->digest, sizeof(a->digest)) == 0;
}

static int fp_cmp(const verify_rec *a, const verify_rec *b)
{
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	return memcmp(a->digest, b->digest, sizeof(a->digest));
}

/* Index entry: position in from[], flagged when its fingerprint repeats. */
typedef struct vidx {
	const verify_rec *rec;
	size_t pos;
	int dup;
} vidx;

static int vidx_cmp(const void *a, const void *b)
{
	const vidx *x = a, *y = b;
	int c = fp_cmp(x->rec, y->rec);
	if (c)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static const vidx *vidx_find(const vidx *ix, size_t n, const verify_rec *r)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = fp_cmp(ix[mid].rec, r);
		if (c == 0)
			return &ix[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int verify_scan(const verify_input *in, verify_outcome *out)
{
	memset(out, 0, sizeof(*out));
	out->offset = in->anchor_to + 1;
	if (in->nfrom == 0 || in->from[0].offset != in->anchor_from) {
		out->note = "the synced record is gone from the source side (retention or "
		            "compaction)";
		return 0;
	}
	if (in->nto == 0 || in->to[0].offset != in->anchor_to) {
		out->note = "the synced record's copy is gone (retention or compaction)";
		return 0;
	}
	if (!verify_rec_same(&in->from[0], &in->to[0])) {
		out->note = "the synced record and its copy differ (the mirror transforms "
		            "records, or the sync is stale)";
		return 0;
	}
	size_t nbefore = 0; /* from records before g */
	while (nbefore < in->nfrom && in->from[nbefore].offset < in->g)
		nbefore++;

	vidx *ix = malloc(sizeof(*ix) * in->nfrom);
	if (!ix) {
		out->note = "out of memory";
		return -1;
	}
	for (size_t i = 0; i < in->nfrom; i++)
		ix[i] = (vidx){&in->from[i], i, 0};
	qsort(ix, in->nfrom, sizeof(*ix), vidx_cmp);
	for (size_t i = 1; i < in->nfrom; i++)
		if (fp_cmp(ix[i - 1].rec, ix[i].rec) == 0)
			ix[i - 1].dup = ix[i].dup = 1;

	out->ok = 1;
	size_t last = 0; /* from[] position of the newest identified copy */
	int reached = 0, stopped = 0;
	const char *why = NULL;
	size_t j;
	for (j = 1; j < in->nto; j++) {
		const verify_rec *b = &in->to[j];
		if (in->has_next && b->offset >= in->next_to) {
			/* the upper sync: its copy is of a record at or past g */
			reached = 1;
			break;
		}
		const vidx *hit = vidx_find(ix, in->nfrom, b);
		if (!hit || hit->dup) {
			why =
			    hit ? "a record on the target matches more than one source record "
			          "(identical duplicates)"
			        : "a record on the target is not a copy of a source record before "
			          "the group's offset (filtered, transformed or foreign)";
			stopped = 1;
			break;
		}
		/* find() may land on any entry of equal fingerprint; unique here */
		if (hit->pos <= last) {
			why = "copies are out of order on the target (re-mirrored after a "
			      "restart?)";
			stopped = 2;
			break;
		}
		if (in->from[hit->pos].offset >= in->g) {
			reached = 1;
			break;
		}
		last = hit->pos;
		out->compared++;
	}
	free(ix);
	out->offset = j < in->nto ? in->to[j].offset : in->to[in->nto - 1].offset + 1;
	out->pending = nbefore > last + 1 ? (int64_t)(nbefore - last - 1) : 0;
	if (!in->from_complete) {
		out->note = "the source records before the group's offset could not all be read";
		return 0;
	}
	if (reached || (out->pending == 0 && stopped != 2)) {
		out->exact = 1;
		out->pending = 0;
		return 0;
	}
	if (why)
		out->note = why;
	else if (in->to_at_end)
		out->note = "the mirror has not copied every record before the group's offset "
		            "(or filtered them)";
	else
		out->note = "verification budget reached";
	return 0;
}
