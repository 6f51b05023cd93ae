/*
 * turnout's metrics, one row each (see metrics_table.h). A row names the
 * metric and points at the collector that reads its values: counters from
 * px->metrics (incremented on the request path), gauges straight from the
 * proxy's lists and state at scrape time (pgbouncer's rule: the list is the
 * count, so a gauge cannot drift), translation results from the snapshots
 * metrics_xlate_observe keeps, reader progress from the engine.
 *
 * Rendering happens on the event loop, in one pass into an evbuffer; only
 * series with something to say are written (a request counter that never
 * moved is left out), but every metric's HELP and TYPE lines always are.
 */
#include "proxy/metrics_table.h"

#include <stdio.h>
#include <string.h>

#include "proxy/admin_status.h"
#include "proxy/client.h"
#include "proxy/commands.h"
#include "proxy/proxy.h"
#include "routing/xlate.h"
#include "wire/api.h"

struct metrics_out {
	struct evbuffer *buf;
	const metrics_def *def;
	int failed; /* an evbuffer_add failed */
};

static const char *const cluster_names[CLUSTER_COUNT] = {"legacy", "target"};

/* ---- the text format ---- */

int metrics_escape_label(struct evbuffer *buf, const char *s)
{
	const char *run = s;
	int rc = 0;
	for (; *s; s++) {
		const char *esc = *s == '\\'   ? "\\\\"
		                  : *s == '"'  ? "\\\""
		                  : *s == '\n' ? "\\n"
		                               : NULL;
		if (!esc)
			continue;
		rc |= evbuffer_add(buf, run, (size_t)(s - run));
		rc |= evbuffer_add(buf, esc, 2);
		run = s + 1;
	}
	rc |= evbuffer_add(buf, run, (size_t)(s - run));
	return rc ? -1 : 0;
}

/* HELP text: backslash and newline escaped. */
static int escape_help(struct evbuffer *buf, const char *s)
{
	int rc = 0;
	for (; *s; s++)
		rc |= *s == '\\'   ? evbuffer_add(buf, "\\\\", 2)
		      : *s == '\n' ? evbuffer_add(buf, "\\n", 2)
		                   : evbuffer_add(buf, s, 1);
	return rc ? -1 : 0;
}

static void put_value(metrics_out *o, double v)
{
	char num[40];
	if (v == (double)(long long)v && v < 9e15 && v > -9e15)
		snprintf(num, sizeof(num), " %lld\n", (long long)v);
	else
		snprintf(num, sizeof(num), " %.17g\n", v);
	o->failed |= evbuffer_add(o->buf, num, strlen(num));
}

/* name{labels[,le="x"]} without the value. */
static void put_series(metrics_out *o, const char *suffix, const char *const *values,
                       const char *le)
{
	struct evbuffer *b = o->buf;
	int rc = evbuffer_add_printf(b, "%s%s", o->def->name, suffix) < 0;
	int n = 0;
	for (const char *const *l = o->def->labels; *l; l++, n++) {
		rc |= evbuffer_add_printf(b, "%s%s=\"", n ? "," : "{", *l) < 0;
		rc |= metrics_escape_label(b, values[n] ? values[n] : "");
		rc |= evbuffer_add(b, "\"", 1);
	}
	if (le)
		rc |= evbuffer_add_printf(b, "%sle=\"%s\"", n ? "," : "{", le) < 0;
	if (n || le)
		rc |= evbuffer_add(b, "}", 1);
	o->failed |= rc;
}

void metrics_put(metrics_out *o, const char *const *values, double v)
{
	put_series(o, "", values, NULL);
	put_value(o, v);
}

void metrics_put_hist(metrics_out *o, const char *const *values, const metrics_hist *h,
                      const double *bounds, int nbounds)
{
	uint64_t cum = 0;
	for (int i = 0; i < nbounds; i++) {
		char le[32];
		snprintf(le, sizeof(le), "%g", bounds[i]);
		cum += h->bucket[i];
		put_series(o, "_bucket", values, le);
		put_value(o, (double)cum);
	}
	put_series(o, "_bucket", values, "+Inf");
	put_value(o, (double)h->count);
	put_series(o, "_sum", values, NULL);
	put_value(o, h->sum);
	put_series(o, "_count", values, NULL);
	put_value(o, (double)h->count);
}

/* ---- collectors ---- */

static void c_build_info(metrics_out *o, proxy *px)
{
	(void)px;
	metrics_put(o, (const char *[]){TURNOUT_VERSION}, 1);
}

static void c_start_time(metrics_out *o, proxy *px)
{
	metrics_put(o, NULL, px->metrics->start_time);
}

static void c_ready(metrics_out *o, proxy *px)
{
	metrics_put(o, NULL, admin_ready(px, NULL));
}

static void per_api(metrics_out *o, uint64_t (*v)[METRICS_ANSWERERS])
{
	for (int api = 0; api < APIVERSIONS_KEYS; api++)
		for (int a = 0; a < METRICS_ANSWERERS; a++)
			if (v[api][a])
				metrics_put(o,
				            (const char *[]){wire_api_name((int16_t)api),
				                             metrics_answerer_names[a]},
				            (double)v[api][a]);
}

static void c_requests(metrics_out *o, proxy *px)
{
	per_api(o, px->metrics->requests);
}

static void c_request_errors(metrics_out *o, proxy *px)
{
	per_api(o, px->metrics->request_errors);
}

static void c_latency(metrics_out *o, proxy *px)
{
	for (int api = 0; api < APIVERSIONS_KEYS; api++)
		for (int a = 0; a < METRICS_ANSWERERS; a++)
			if (px->metrics->latency[api][a].count)
				metrics_put_hist(o,
				                 (const char *[]){wire_api_name((int16_t)api),
				                                  metrics_answerer_names[a]},
				                 &px->metrics->latency[api][a],
				                 metrics_latency_bounds, METRICS_LATENCY_BUCKETS);
}

static void c_client_bytes_in(metrics_out *o, proxy *px)
{
	metrics_put(o, NULL, (double)px->metrics->client_bytes_in);
}

static void c_client_bytes_out(metrics_out *o, proxy *px)
{
	metrics_put(o, NULL, (double)px->metrics->client_bytes_out);
}

static void per_cluster(metrics_out *o, const uint64_t *v)
{
	for (int c = 0; c < CLUSTER_COUNT; c++)
		metrics_put(o, (const char *[]){cluster_names[c]}, (double)v[c]);
}

static void c_upstream_bytes_out(metrics_out *o, proxy *px)
{
	per_cluster(o, px->metrics->upstream_bytes_out);
}

static void c_upstream_bytes_in(metrics_out *o, proxy *px)
{
	per_cluster(o, px->metrics->upstream_bytes_in);
}

static void c_clients(metrics_out *o, proxy *px)
{
	size_t n = 0;
	client *c;
	TAILQ_FOREACH(c, &px->clients, link)
	n++;
	metrics_put(o, NULL, (double)n);
}

static void c_clients_total(metrics_out *o, proxy *px)
{
	metrics_put(o, NULL, (double)px->metrics->client_connections_total);
}

static void c_upstreams(metrics_out *o, proxy *px)
{
	uint64_t n[CLUSTER_COUNT] = {0};
	client *c;
	TAILQ_FOREACH(c, &px->clients, link)
	{
		for (int i = 0; i < c->nups; i++)
			n[c->ups[i]->vb->cluster]++;
	}
	per_cluster(o, n);
}

static void c_upstreams_total(metrics_out *o, proxy *px)
{
	per_cluster(o, px->metrics->upstream_connections_total);
}

static void c_disconnects(metrics_out *o, proxy *px)
{
	for (int c = 0; c < CLUSTER_COUNT; c++)
		for (int r = 0; r < METRICS_DISC_COUNT; r++)
			metrics_put(o,
			            (const char *[]){cluster_names[c], metrics_disconnect_names[r]},
			            (double)px->metrics->upstream_disconnects[c][r]);
}

static void c_auth_failures(metrics_out *o, proxy *px)
{
	static const char *const stage[2] = {"tls", "sasl"};
	for (int c = 0; c < CLUSTER_COUNT; c++)
		for (int s = 0; s < 2; s++)
			metrics_put(o, (const char *[]){cluster_names[c], stage[s]},
			            (double)px->metrics->upstream_auth_failures[c][s]);
}

static void c_discovery_failures(metrics_out *o, proxy *px)
{
	per_cluster(o, px->metrics->discovery_failures);
}

static void c_cluster_up(metrics_out *o, proxy *px)
{
	for (int c = 0; c < CLUSTER_COUNT; c++)
		metrics_put(o, (const char *[]){cluster_names[c]},
		            px->clusters[c].have_metadata && !px->clusters[c].last_error[0]);
}

static void c_vbrokers(metrics_out *o, proxy *px)
{
	static const char *const state[4] = {"up", "missing", "retired", "unknown"};
	double n[CLUSTER_COUNT][4] = {{0}};
	for (int32_t i = 0; i < px->nvbrokers; i++) {
		const vbroker *vb = px->vbrokers[i];
		n[vb->cluster][vb->retired ? 2 : vb->missing ? 1 : !vb->host[0] ? 3 : 0]++;
	}
	for (int c = 0; c < CLUSTER_COUNT; c++)
		for (int s = 0; s < 4; s++)
			metrics_put(o, (const char *[]){cluster_names[c], state[s]}, n[c][s]);
}

static void c_group_route(metrics_out *o, proxy *px)
{
	for (size_t i = 0; i < px->groups.n; i++)
		for (int c = 0; c < CLUSTER_COUNT; c++)
			metrics_put(o, (const char *[]){px->groups.v[i]->id, cluster_names[c]},
			            px->groups.v[i]->cluster == c);
}

static void c_group_state(metrics_out *o, proxy *px)
{
	for (size_t i = 0; i < px->groups.n; i++)
		for (int s = CUTOVER_SERVING; s <= CUTOVER_SEEDING; s++)
			metrics_put(o,
			            (const char *[]){px->groups.v[i]->id,
			                             cutover_state_name((cutover_state)s)},
			            px->groups.v[i]->flip.state == (cutover_state)s);
}

static void c_group_state_code(metrics_out *o, proxy *px)
{
	for (size_t i = 0; i < px->groups.n; i++)
		metrics_put(o, (const char *[]){px->groups.v[i]->id}, px->groups.v[i]->flip.state);
}

static void c_group_flips(metrics_out *o, proxy *px)
{
	for (size_t i = 0; i < px->groups.n; i++)
		metrics_put(o, (const char *[]){px->groups.v[i]->id}, px->groups.v[i]->flip.flips);
}

static void c_group_flip_failures(metrics_out *o, proxy *px)
{
	for (size_t i = 0; i < px->groups.n; i++)
		metrics_put(o, (const char *[]){px->groups.v[i]->id},
		            px->groups.v[i]->flip.failures);
}

static void c_flip_duration(metrics_out *o, proxy *px)
{
	const metrics *m = px->metrics;
	for (int i = 0; i < m->nflips; i++) {
		const metrics_flip_series *s = &m->flips[i];
		metrics_put_hist(o,
		                 (const char *[]){cluster_names[s->from], cluster_names[s->to],
		                                  s->ok ? "ok" : "failed"},
		                 &s->h, metrics_flip_bounds, METRICS_FLIP_BUCKETS);
	}
}

/* The translation snapshots are written by the engine's worker thread. */
static void each_xlate(metrics_out *o, proxy *px,
                       void (*fn)(metrics_out *o, const metrics_xlate_group *g))
{
	metrics *m = px->metrics;
	pthread_mutex_lock(&m->xlate_mu);
	for (size_t i = 0; i < m->nxlate; i++)
		fn(o, &m->xlate[i]);
	pthread_mutex_unlock(&m->xlate_mu);
}

static void x_methods(metrics_out *o, const metrics_xlate_group *g)
{
	static const char *const method[4] = {"none", "exact", "checkpoint", "conservative"};
	for (int k = 0; k < 4; k++)
		metrics_put(
		    o, (const char *[]){g->group, g->reverse ? "reverse" : "forward", method[k]},
		    (double)g->methods[k]);
}

static void x_rereads(metrics_out *o, const metrics_xlate_group *g)
{
	metrics_put(o, (const char *[]){g->group}, (double)g->rereads_max);
}

static void x_rereads_unknown(metrics_out *o, const metrics_xlate_group *g)
{
	metrics_put(o, (const char *[]){g->group}, (double)g->rereads_unknown);
}

static void x_time(metrics_out *o, const metrics_xlate_group *g)
{
	metrics_put(o, (const char *[]){g->group}, g->at);
}

static void c_xlate_methods(metrics_out *o, proxy *px)
{
	each_xlate(o, px, x_methods);
}

static void c_xlate_rereads(metrics_out *o, proxy *px)
{
	each_xlate(o, px, x_rereads);
}

static void c_xlate_rereads_unknown(metrics_out *o, proxy *px)
{
	each_xlate(o, px, x_rereads_unknown);
}

static void c_xlate_time(metrics_out *o, proxy *px)
{
	each_xlate(o, px, x_time);
}

/* The engine's two MM2 readers, when an engine runs. */
static void each_reader(metrics_out *o, proxy *px,
                        void (*fn)(metrics_out *o, const mm2_reader_progress *p))
{
	if (!px->xlate)
		return;
	mm2_reader_progress p[2];
	xlate_engine_progress(px->xlate, p);
	for (int i = 0; i < 2; i++)
		fn(o, &p[i]);
}

#define READER_LABELS(p) ((const char *[]){(p)->kind, (p)->cluster, (p)->topic})

static void r_ready(metrics_out *o, const mm2_reader_progress *p)
{
	metrics_put(o, READER_LABELS(p), p->ready);
}

static void r_records(metrics_out *o, const mm2_reader_progress *p)
{
	metrics_put(o, READER_LABELS(p), (double)p->applied);
}

static void r_skipped(metrics_out *o, const mm2_reader_progress *p)
{
	metrics_put(o, READER_LABELS(p), (double)p->bad);
}

static void r_age(metrics_out *o, const mm2_reader_progress *p)
{
	if (p->newest_ms < 0)
		return; /* nothing read yet: no age to tell */
	double age = metrics_now() - (double)p->newest_ms / 1000.0;
	metrics_put(o, READER_LABELS(p), age < 0 ? 0 : age);
}

static void c_mm2_ready(metrics_out *o, proxy *px)
{
	each_reader(o, px, r_ready);
}

static void c_mm2_records(metrics_out *o, proxy *px)
{
	each_reader(o, px, r_records);
}

static void c_mm2_skipped(metrics_out *o, proxy *px)
{
	each_reader(o, px, r_skipped);
}

static void c_mm2_age(metrics_out *o, proxy *px)
{
	each_reader(o, px, r_age);
}

static void c_reloads(metrics_out *o, proxy *px)
{
	for (int t = 0; t < METRICS_TRIGGER_COUNT; t++)
		for (int ok = 1; ok >= 0; ok--)
			metrics_put(
			    o, (const char *[]){metrics_trigger_names[t], ok ? "ok" : "failed"},
			    (double)px->metrics->reloads[t][ok]);
}

static void c_last_reload(metrics_out *o, proxy *px)
{
	if (px->metrics->last_reload > 0)
		metrics_put(o, NULL, px->metrics->last_reload);
}

static void c_last_reload_ok(metrics_out *o, proxy *px)
{
	if (px->metrics->last_reload > 0)
		metrics_put(o, NULL, px->metrics->last_reload_ok);
}

/* ---- the table ---- */

#define L(...)                                                                                     \
	{                                                                                          \
		__VA_ARGS__, NULL                                                                  \
	}
#define NOLABELS                                                                                   \
	{                                                                                          \
		NULL                                                                               \
	}

const metrics_def metrics_table[] = {
    {"turnout_build_info", "gauge", "Always 1; the version label says which turnout runs.",
     L("version"), c_build_info},
    {"turnout_start_time_seconds", "gauge", "When this process started (Unix time).", NOLABELS,
     c_start_time},
    {"turnout_ready", "gauge",
     "1 when /readyz answers 200: every cluster answered metadata and, with mirror, MM2's "
     "topics were read to their end.",
     NOLABELS, c_ready},
    {"turnout_requests_total", "counter",
     "Client requests by Kafka api and who answered: legacy, target, both (merged) or turnout "
     "(answered locally).",
     L("api", "cluster"), c_requests},
    {"turnout_request_errors_total", "counter",
     "Client requests that got no answer from a broker: the connection failed or timed out "
     "with them in flight, the answer could not be rewritten, or turnout refused them.",
     L("api", "cluster"), c_request_errors},
    {"turnout_request_duration_seconds", "histogram",
     "Time from a request's arrival at turnout to its answer being ready for the client "
     "(Fetch includes the broker's long poll).",
     L("api", "cluster"), c_latency},
    {"turnout_client_received_bytes_total", "counter", "Bytes of request frames read from clients.",
     NOLABELS, c_client_bytes_in},
    {"turnout_client_sent_bytes_total", "counter", "Bytes of response frames sent to clients.",
     NOLABELS, c_client_bytes_out},
    {"turnout_upstream_sent_bytes_total", "counter",
     "Bytes of request frames sent to the brokers of a cluster.", L("cluster"),
     c_upstream_bytes_out},
    {"turnout_upstream_received_bytes_total", "counter",
     "Bytes of response frames read from the brokers of a cluster.", L("cluster"),
     c_upstream_bytes_in},
    {"turnout_client_connections", "gauge", "Client connections open now.", NOLABELS, c_clients},
    {"turnout_client_connections_total", "counter", "Client connections accepted.", NOLABELS,
     c_clients_total},
    {"turnout_upstream_connections", "gauge",
     "Connections to brokers open now on behalf of clients.", L("cluster"), c_upstreams},
    {"turnout_upstream_connections_total", "counter",
     "Connections to brokers opened on behalf of clients.", L("cluster"), c_upstreams_total},
    {"turnout_upstream_disconnects_total", "counter",
     "Broker connections lost (each closes its client, which reconnects): closed by the "
     "broker, failed, unreachable, timeout, or protocol (a bad frame).",
     L("cluster", "reason"), c_disconnects},
    {"turnout_upstream_auth_failures_total", "counter",
     "TLS handshakes and SASL authentications to a cluster's brokers that failed.",
     L("cluster", "stage"), c_auth_failures},
    {"turnout_discovery_failures_total", "counter",
     "Failed rounds of turnout's own metadata discovery of a cluster (retried every second).",
     L("cluster"), c_discovery_failures},
    {"turnout_cluster_up", "gauge",
     "1 when the cluster answered metadata and its last discovery round succeeded.", L("cluster"),
     c_cluster_up},
    {"turnout_virtual_brokers", "gauge",
     "Virtual brokers by cluster and state: up (in the latest metadata), missing (absent "
     "from recent refreshes), retired, unknown (an id seen in an answer, address not yet "
     "known).",
     L("cluster", "state"), c_vbrokers},
    {"turnout_group_route", "gauge",
     "1 for the cluster a consumer group seen by this sidecar is served on now, 0 for the "
     "other.",
     L("group", "cluster"), c_group_route},
    {"turnout_group_cutover_state", "gauge",
     "1 for a group's current cutover state (serving, freezing, snapshot, translating, "
     "seeding), 0 for the others.",
     L("group", "state"), c_group_state},
    {"turnout_group_cutover_state_code", "gauge",
     "A group's cutover state as a number: 0 serving, 1 freezing, 2 snapshot, 3 translating, "
     "4 seeding.",
     L("group"), c_group_state_code},
    {"turnout_group_flips_total", "counter", "Flips of a group that finished.", L("group"),
     c_group_flips},
    {"turnout_group_flip_failures_total", "counter",
     "Flips of a group that failed and went back to the old cluster.", L("group"),
     c_group_flip_failures},
    {"turnout_flip_duration_seconds", "histogram",
     "How long flips took, from the start of the freeze to serving on the new cluster (ok) or "
     "back on the old one (failed).",
     L("from", "to", "result"), c_flip_duration},
    {"turnout_translation_partitions", "gauge",
     "Partitions of a group's latest offset translation by method (exact, checkpoint, "
     "conservative, none).",
     L("group", "direction", "method"), c_xlate_methods},
    {"turnout_translation_rereads_max", "gauge",
     "At most this many records are delivered again after a group's latest translation "
     "(sum of the known per-partition bounds).",
     L("group"), c_xlate_rereads},
    {"turnout_translation_rereads_unknown_partitions", "gauge",
     "Partitions of a group's latest translation whose re-read bound is unknown.", L("group"),
     c_xlate_rereads_unknown},
    {"turnout_translation_timestamp_seconds", "gauge",
     "When a group's latest translation finished (Unix time).", L("group"), c_xlate_time},
    {"turnout_mm2_reader_ready", "gauge",
     "1 once the MM2 topic (checkpoints or offset_syncs) was read to its end.",
     L("kind", "cluster", "topic"), c_mm2_ready},
    {"turnout_mm2_records_total", "counter", "MM2 records read and applied.",
     L("kind", "cluster", "topic"), c_mm2_records},
    {"turnout_mm2_records_skipped_total", "counter", "MM2 records skipped as malformed.",
     L("kind", "cluster", "topic"), c_mm2_skipped},
    {"turnout_mm2_newest_record_age_seconds", "gauge",
     "Age of the newest MM2 record read (now minus its timestamp): how fresh the translation "
     "data is.",
     L("kind", "cluster", "topic"), c_mm2_age},
    {"turnout_config_reloads_total", "counter",
     "Configuration reloads by trigger (sighup, file_changed, admin) and result (ok, failed).",
     L("trigger", "result"), c_reloads},
    {"turnout_config_last_reload_timestamp_seconds", "gauge",
     "When the last reload ran (Unix time); absent before the first.", NOLABELS, c_last_reload},
    {"turnout_config_last_reload_success", "gauge",
     "1 if the last reload was applied, 0 if it was rejected; absent before the first.", NOLABELS,
     c_last_reload_ok},
    {NULL, NULL, NULL, NOLABELS, NULL},
};

int metrics_render(proxy *px, struct evbuffer *buf)
{
	metrics_out o = {buf, NULL, 0};
	for (const metrics_def *d = metrics_table; d->name; d++) {
		o.def = d;
		o.failed |= evbuffer_add_printf(buf, "# HELP %s ", d->name) < 0;
		o.failed |= escape_help(buf, d->help);
		o.failed |= evbuffer_add_printf(buf, "\n# TYPE %s %s\n", d->name, d->type) < 0;
		d->collect(&o, px);
	}
	return o.failed ? -1 : 0;
}
