/*
 * The one table of turnout's Prometheus metrics: every metric's name, type,
 * help text and label names are written once, in metrics_table.c, next to
 * the function that reads its values. /metrics renders the table in order
 * (text exposition format 0.0.4); README's metric list and the Grafana
 * dashboard are checked against what it renders.
 */
#ifndef TURNOUT_PROXY_METRICS_TABLE_H
#define TURNOUT_PROXY_METRICS_TABLE_H

#include <event2/buffer.h>

#include "proxy/metrics.h"

typedef struct proxy proxy;
typedef struct metrics_out metrics_out;

enum { METRICS_LABELS_MAX = 4 };

typedef struct metrics_def {
	const char *name;
	const char *type; /* "counter", "gauge" or "histogram" */
	const char *help;
	const char *labels[METRICS_LABELS_MAX + 1]; /* NULL-terminated */
	void (*collect)(metrics_out *o, proxy *px);
} metrics_def;

extern const metrics_def metrics_table[]; /* ends with a NULL name */

/* Renders every metric of the table for px into buf. 0, or -1 when out of
 * memory (buf then holds part of the text). */
int metrics_render(proxy *px, struct evbuffer *buf);

/* Used by the collectors: one sample of the metric being rendered, with
 * its label values in the table's order (escaped here). */
void metrics_put(metrics_out *o, const char *const *values, double v);
/* A histogram's _bucket (cumulative, with +Inf), _sum and _count lines. */
void metrics_put_hist(metrics_out *o, const char *const *values, const metrics_hist *h,
                      const double *bounds, int nbounds);

/* Appends s as a label value: \ " and newline escaped. */
int metrics_escape_label(struct evbuffer *buf, const char *s);

#endif
