/*
 * Per-partition sequence rule for translated idempotent producers (see
 * prodseq.h). Sequences are compared the way Kafka's wrap: by the sign of
 * their 32-bit difference.
 */
#include "proxy/prodseq.h"

#include <string.h>

/* a - b in sequence space: > 0 when a comes after b. */
static int32_t diff(int32_t a, int32_t b)
{
	return (int32_t)((uint32_t)a - (uint32_t)b);
}

prodseq_verdict prodseq_check(prodseq *q, int k, int32_t seq, int64_t now_ms, int64_t wait_ms,
                              int32_t *expected)
{
	int gap, hole = 0;
	*expected = -1;
	if (q->has_base[k]) {
		*expected = q->next[k];
		gap = diff(seq, q->next[k]) > 0;
	} else if (q->has_hole) {
		*expected = q->hole;
		gap = diff(seq, q->hole) > 0;
		hole = 1;
	} else {
		gap = 0;
	}
	if (!gap)
		return PRODSEQ_SEND;
	if (!q->gapping) {
		q->gapping = 1;
		q->gap_ms = now_ms;
	}
	int64_t since = hole ? q->hole_ms : q->gap_ms;
	return now_ms - since >= wait_ms ? PRODSEQ_GAVE_UP : PRODSEQ_GAP;
}

int32_t prodseq_sent(prodseq *q, int k, int32_t seq, int32_t count)
{
	int32_t end = (int32_t)((uint32_t)seq + (uint32_t)(count > 0 ? count : 0));
	if (!q->has_base[k]) {
		q->has_base[k] = 1;
		q->base[k] = seq;
		q->next[k] = end;
	} else if (diff(end, q->next[k]) > 0) {
		q->next[k] = end;
	}
	/* the hole is filled by this batch, or skipped over (a gap given up) */
	if (q->has_hole && diff(end, q->hole) > 0)
		q->has_hole = 0;
	q->gapping = 0;
	return diff(seq, q->base[k]);
}

void prodseq_refused(prodseq *q, int32_t seq, int64_t now_ms)
{
	if (!q->has_hole || diff(seq, q->hole) < 0) {
		q->has_hole = 1;
		q->hole = seq;
	}
	if (diff(seq, q->hole) <= 0)
		q->hole_ms = now_ms; /* the client still sends it */
}

void prodseq_forget(prodseq *q, int k)
{
	q->has_base[k] = 0;
	q->base[k] = q->next[k] = 0;
}
