/*
 * The counters behind /metrics (admin.c), and the hooks other modules call
 * to move them. What each metric means, its type and labels are defined
 * once, in proxy/metrics_table.c; this file only holds the numbers.
 *
 * Threads: everything here is owned by the event loop and updated with
 * plain integer increments (no locks, no allocation on the request path),
 * except the translation snapshots, which the engine's worker thread writes
 * through metrics_xlate_observe under xlate_mu.
 */
#ifndef TURNOUT_PROXY_METRICS_H
#define TURNOUT_PROXY_METRICS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "proxy/apiversions.h"
#include "routing/routes.h"

struct xlate_group_result;

/* Who answered a request: a cluster, both (merged), or turnout itself. */
enum {
	METRICS_BOTH = CLUSTER_COUNT,
	METRICS_TURNOUT,
	METRICS_ANSWERERS,
};
extern const char *const metrics_answerer_names[METRICS_ANSWERERS];

enum {
	METRICS_LATENCY_BUCKETS = 15, /* finite bounds; +Inf is the count */
	METRICS_FLIP_BUCKETS = 12,
};
extern const double metrics_latency_bounds[METRICS_LATENCY_BUCKETS];
extern const double metrics_flip_bounds[METRICS_FLIP_BUCKETS];

/* A histogram with fixed bounds: bucket[i] counts observations in
 * (bounds[i-1], bounds[i]] (not cumulative; the renderer sums). */
typedef struct metrics_hist {
	uint64_t bucket[METRICS_LATENCY_BUCKETS > METRICS_FLIP_BUCKETS ? METRICS_LATENCY_BUCKETS
	                                                               : METRICS_FLIP_BUCKETS];
	uint64_t count;
	double sum;
} metrics_hist;

void metrics_hist_observe(metrics_hist *h, const double *bounds, int nbounds, double v);

/* Why a broker connection ended (turnout_upstream_disconnects_total). */
typedef enum metrics_disconnect {
	METRICS_DISC_CLOSED,      /* the broker closed it */
	METRICS_DISC_FAILED,      /* a socket error after it was up */
	METRICS_DISC_UNREACHABLE, /* never came up */
	METRICS_DISC_TIMEOUT,     /* connect deadline or request_timeout_ms */
	METRICS_DISC_PROTOCOL,    /* a bad frame or correlation id from the broker */
	METRICS_DISC_COUNT,
} metrics_disconnect;
extern const char *const metrics_disconnect_names[METRICS_DISC_COUNT];

/* What started a reload (reload_now's trigger). */
typedef enum metrics_trigger {
	METRICS_TRIGGER_SIGHUP,
	METRICS_TRIGGER_FILE,
	METRICS_TRIGGER_ADMIN,
	METRICS_TRIGGER_OTHER,
	METRICS_TRIGGER_COUNT,
} metrics_trigger;
extern const char *const metrics_trigger_names[METRICS_TRIGGER_COUNT];

/* The latest translation of one group (from metrics_xlate_observe). */
typedef struct metrics_xlate_part {
	char *topic;
	int32_t partition;
	int64_t committed;   /* the group's offset on "from" */
	int64_t offset;      /* the answer on "to"; -1 none */
	int method;          /* translate_method */
	int64_t rereads_max; /* -1 unknown */
} metrics_xlate_part;

typedef struct metrics_xlate_group {
	char *group;
	int reverse;              /* translated target -> legacy */
	double at;                /* wall clock, seconds */
	uint64_t methods[4];      /* partitions per translate_method */
	int64_t rereads_max;      /* sum of the known bounds */
	uint64_t rereads_unknown; /* partitions whose bound is unknown */
	size_t nparts;
	metrics_xlate_part *parts;
} metrics_xlate_group;

/* A finished flip (metrics_flip_observe). */
typedef struct metrics_flip_series {
	int from, to, ok;
	metrics_hist h;
} metrics_flip_series;

typedef struct metrics {
	double start_time; /* wall clock, seconds */
	/* requests, indexed [api key][answerer] */
	uint64_t requests[APIVERSIONS_KEYS][METRICS_ANSWERERS];
	uint64_t request_errors[APIVERSIONS_KEYS][METRICS_ANSWERERS];
	metrics_hist latency[APIVERSIONS_KEYS][METRICS_ANSWERERS];
	/* bytes */
	uint64_t client_bytes_in, client_bytes_out;
	uint64_t upstream_bytes_out[CLUSTER_COUNT], upstream_bytes_in[CLUSTER_COUNT];
	/* connections (the gauges are read from the lists at scrape time) */
	uint64_t client_connections_total;
	uint64_t upstream_connections_total[CLUSTER_COUNT];
	uint64_t upstream_disconnects[CLUSTER_COUNT][METRICS_DISC_COUNT];
	uint64_t upstream_auth_failures[CLUSTER_COUNT][2]; /* [tls, sasl] */
	uint64_t discovery_failures[CLUSTER_COUNT];
	/* reloads */
	uint64_t reloads[METRICS_TRIGGER_COUNT][2]; /* [trigger][ok] */
	double last_reload;                         /* wall clock; 0 = none yet */
	int last_reload_ok;
	metrics_trigger last_reload_trigger;
	/* flips (metrics_flip_observe), one series per (from, to, ok) */
	metrics_flip_series flips[CLUSTER_COUNT * CLUSTER_COUNT * 2];
	int nflips;
	/* translations: written by the engine's worker, read by the loop */
	pthread_mutex_t xlate_mu;
	metrics_xlate_group *xlate;
	size_t nxlate, xlate_cap;
} metrics;

metrics *metrics_new(void);
void metrics_free(metrics *m);

double metrics_now(void);      /* wall clock, seconds */
int64_t metrics_mono_ns(void); /* monotonic, nanoseconds (request latency) */

/* Hot path helpers (event loop). */
static inline void metrics_request(metrics *m, int api, int answerer)
{
	if (api >= 0 && api < APIVERSIONS_KEYS)
		m->requests[api][answerer]++;
}
static inline void metrics_request_error(metrics *m, int api, int answerer)
{
	if (api >= 0 && api < APIVERSIONS_KEYS)
		m->request_errors[api][answerer]++;
}
void metrics_request_done(metrics *m, int api, int answerer, int64_t started_ns);

/* A reload finished (reload.c). */
void metrics_reload(metrics *m, const char *trigger, int ok);
metrics_trigger metrics_trigger_of(const char *trigger);

/*
 * Hook for the flip driver: a flip of group from -> to ended after seconds
 * (began to SERVING(to), or to the rollback when !ok). Event loop only.
 * Feeds turnout_flip_duration_seconds{from,to,result}.
 */
void metrics_flip_observe(metrics *m, const char *group, int from, int to, double seconds, int ok);

/*
 * Hook for whoever runs translations (the flip driver's worker, in the
 * engine's callback): keeps res as group's latest translation for /metrics
 * (method counts, re-read bounds) and /status (per-partition offsets).
 * Any thread; copies what it keeps, res stays the caller's.
 */
void metrics_xlate_observe(metrics *m, const struct xlate_group_result *res);

/* Copies group's latest translation out (NULL: none). Free with
 * metrics_xlate_group_free. Any thread. */
metrics_xlate_group *metrics_xlate_get(metrics *m, const char *group);
void metrics_xlate_group_free(metrics_xlate_group *g);

#endif
