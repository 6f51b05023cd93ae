/*
 * Metric storage and the hooks that move it (see metrics.h). The event loop
 * owns every counter; request-path updates are array increments indexed by
 * api key and cluster. Translation results arrive from the engine's worker
 * thread and are copied in under xlate_mu, the only lock here; the admin
 * server reads them under the same lock.
 */
#include "proxy/metrics.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "routing/xlate.h"

const char *const metrics_answerer_names[METRICS_ANSWERERS] = {"legacy", "target", "both",
                                                               "turnout"};

/* Seconds. From a local ApiVersions answer to a long-polling Fetch. */
const double metrics_latency_bounds[METRICS_LATENCY_BUCKETS] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

/* Seconds. A flip waits for a quiet period (5 s by default) and then
 * translates and seeds: seconds to a couple of minutes. */
const double metrics_flip_bounds[METRICS_FLIP_BUCKETS] = {0.5, 1,  2,  5,  10,  15,
                                                          20,  30, 45, 60, 120, 300};

const char *const metrics_disconnect_names[METRICS_DISC_COUNT] = {"closed", "failed", "unreachable",
                                                                  "timeout", "protocol"};

const char *const metrics_trigger_names[METRICS_TRIGGER_COUNT] = {"sighup", "file_changed", "admin",
                                                                  "other"};

double metrics_now(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int64_t metrics_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

metrics *metrics_new(void)
{
	metrics *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	if (pthread_mutex_init(&m->xlate_mu, NULL)) {
		free(m);
		return NULL;
	}
	m->start_time = metrics_now();
	return m;
}

void metrics_xlate_group_free(metrics_xlate_group *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->nparts; i++)
		free(g->parts[i].topic);
	free(g->parts);
	free(g->group);
	free(g);
}

static void xlate_group_clear(metrics_xlate_group *g)
{
	for (size_t i = 0; i < g->nparts; i++)
		free(g->parts[i].topic);
	free(g->parts);
	free(g->group);
	memset(g, 0, sizeof(*g));
}

void metrics_free(metrics *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nxlate; i++)
		xlate_group_clear(&m->xlate[i]);
	free(m->xlate);
	pthread_mutex_destroy(&m->xlate_mu);
	free(m);
}

void metrics_hist_observe(metrics_hist *h, const double *bounds, int nbounds, double v)
{
	int i = 0;
	while (i < nbounds && v > bounds[i])
		i++;
	if (i < nbounds)
		h->bucket[i]++;
	h->count++; /* observations above the last bound are only in +Inf */
	h->sum += v;
}

void metrics_request_done(metrics *m, int api, int answerer, int64_t started_ns)
{
	if (api < 0 || api >= APIVERSIONS_KEYS || started_ns <= 0)
		return;
	double s = (double)(metrics_mono_ns() - started_ns) / 1e9;
	metrics_hist_observe(&m->latency[api][answerer], metrics_latency_bounds,
	                     METRICS_LATENCY_BUCKETS, s < 0 ? 0 : s);
}

metrics_trigger metrics_trigger_of(const char *trigger)
{
	for (int i = 0; i < METRICS_TRIGGER_OTHER; i++)
		if (strcmp(trigger, metrics_trigger_names[i]) == 0)
			return (metrics_trigger)i;
	return METRICS_TRIGGER_OTHER;
}

void metrics_reload(metrics *m, const char *trigger, int ok)
{
	m->last_reload_trigger = metrics_trigger_of(trigger);
	m->reloads[m->last_reload_trigger][ok ? 1 : 0]++;
	m->last_reload = metrics_now();
	m->last_reload_ok = ok;
}

void metrics_flip_observe(metrics *m, const char *group, int from, int to, double seconds, int ok)
{
	(void)group; /* per-group history is in /status; a label would grow without bound */
	if (!m || from < 0 || from >= CLUSTER_COUNT || to < 0 || to >= CLUSTER_COUNT)
		return;
	ok = ok ? 1 : 0;
	metrics_flip_series *s = NULL;
	for (int i = 0; i < m->nflips; i++)
		if (m->flips[i].from == from && m->flips[i].to == to && m->flips[i].ok == ok)
			s = &m->flips[i];
	if (!s) {
		s = &m->flips[m->nflips++]; /* at most CLUSTER_COUNT^2 * 2 series exist */
		s->from = from;
		s->to = to;
		s->ok = ok;
	}
	metrics_hist_observe(&s->h, metrics_flip_bounds, METRICS_FLIP_BUCKETS,
	                     seconds < 0 ? 0 : seconds);
}

/* Builds the kept copy of res outside the lock; NULL when out of memory. */
static int xlate_copy(const xlate_group_result *res, metrics_xlate_group *g)
{
	memset(g, 0, sizeof(*g));
	g->group = strdup(res->group ? res->group : "");
	g->parts = res->n ? calloc(res->n, sizeof(*g->parts)) : NULL;
	if (!g->group || (res->n && !g->parts))
		goto fail;
	g->reverse = res->dir == TRANSLATE_REVERSE;
	g->at = metrics_now();
	for (size_t i = 0; i < res->n; i++) {
		const xlate_partition *p = &res->parts[i];
		metrics_xlate_part *q = &g->parts[i];
		if (!(q->topic = strdup(p->topic ? p->topic : "")))
			goto fail;
		g->nparts = i + 1;
		q->partition = p->partition;
		q->committed = p->committed;
		q->offset = p->r.method == TRANSLATE_NONE ? -1 : p->r.offset;
		q->method = (int)p->r.method;
		q->rereads_max = p->r.rereads_max;
		if ((unsigned)p->r.method < 4)
			g->methods[p->r.method]++;
		if (p->r.method == TRANSLATE_NONE)
			continue;
		if (p->r.rereads_max >= 0)
			g->rereads_max += p->r.rereads_max;
		else
			g->rereads_unknown++;
	}
	return 0;
fail:
	xlate_group_clear(g);
	return -1;
}

void metrics_xlate_observe(metrics *m, const xlate_group_result *res)
{
	if (!m || !res)
		return;
	metrics_xlate_group g;
	if (xlate_copy(res, &g))
		return; /* out of memory: the previous translation stays */
	pthread_mutex_lock(&m->xlate_mu);
	size_t i = 0;
	while (i < m->nxlate && strcmp(m->xlate[i].group, g.group) != 0)
		i++;
	if (i == m->nxlate) {
		if (m->nxlate == m->xlate_cap) {
			size_t cap = m->xlate_cap ? m->xlate_cap * 2 : 8;
			metrics_xlate_group *nv = realloc(m->xlate, cap * sizeof(*nv));
			if (!nv) {
				pthread_mutex_unlock(&m->xlate_mu);
				xlate_group_clear(&g);
				return;
			}
			m->xlate = nv;
			m->xlate_cap = cap;
		}
		m->nxlate++;
	} else {
		xlate_group_clear(&m->xlate[i]);
	}
	m->xlate[i] = g;
	pthread_mutex_unlock(&m->xlate_mu);
}

metrics_xlate_group *metrics_xlate_get(metrics *m, const char *group)
{
	metrics_xlate_group *out = NULL;
	pthread_mutex_lock(&m->xlate_mu);
	for (size_t i = 0; i < m->nxlate && !out; i++) {
		const metrics_xlate_group *g = &m->xlate[i];
		if (strcmp(g->group, group) != 0)
			continue;
		out = calloc(1, sizeof(*out));
		if (!out)
			break;
		*out = *g;
		out->nparts = 0;
		out->group = strdup(g->group);
		out->parts = g->nparts ? calloc(g->nparts, sizeof(*out->parts)) : NULL;
		if (!out->group || (g->nparts && !out->parts)) {
			metrics_xlate_group_free(out);
			out = NULL;
			break;
		}
		for (size_t j = 0; j < g->nparts; j++) {
			out->parts[j] = g->parts[j];
			if (!(out->parts[j].topic = strdup(g->parts[j].topic))) {
				metrics_xlate_group_free(out);
				out = NULL;
				break;
			}
			out->nparts = j + 1;
		}
	}
	pthread_mutex_unlock(&m->xlate_mu);
	return out;
}
