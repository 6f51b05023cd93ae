/*
 * Latency samples: every sample is kept (a run holds at most a few hundred
 * thousand), sorted once at the end, and percentiles are read by nearest
 * rank, so p99.9 of 5,000 samples is the fifth largest, not an estimate.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench/loadgen.h"

int lg_samples_add(lg_samples *s, int64_t ns)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		int64_t *v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = ns;
	return 0;
}

static int cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Nearest rank: the smallest sample with at least q of all samples <= it. */
static double rank_us(const lg_samples *s, double q)
{
	if (!s->n)
		return -1;
	size_t k = (size_t)(q * (double)s->n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > s->n)
		k = s->n;
	return (double)s->v[k - 1] / 1000.0;
}

void lg_samples_print(lg_samples *s, const char *name)
{
	qsort(s->v, s->n, sizeof(*s->v), cmp);
	printf(" %s_n=%zu %s_p50_us=%.1f %s_p99_us=%.1f %s_p999_us=%.1f %s_max_us=%.1f", name, s->n,
	       name, rank_us(s, 0.50), name, rank_us(s, 0.99), name, rank_us(s, 0.999), name,
	       rank_us(s, 1.0));
}

void lg_samples_free(lg_samples *s)
{
	free(s->v);
	*s = (lg_samples){0};
}
