/*
 * The /status document and the readiness verdict (see admin_status.h).
 * Everything is read from the proxy on the event loop, so no state can
 * change while the document is built; the translation snapshots, written
 * by the engine's worker, are copied out under their lock
 * (metrics_xlate_get). A field turnout does not know is null, never made up.
 */
#include "proxy/admin_status.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

#include "proxy/client.h"
#include "proxy/commands.h"
#include "proxy/metrics.h"
#include "proxy/proxy.h"
#include "routing/coord.h"
#include "routing/mirror_config.h"
#include "routing/translate.h"
#include "routing/xlate.h"

static const char *cluster_name(int c)
{
	return c >= 0 && c < CLUSTER_COUNT ? config_cluster_names[c] : "?";
}

int admin_ready(proxy *px, cJSON *missing)
{
	int ok = 1;
	char why[600];
	for (int c = 0; c < CLUSTER_COUNT; c++) {
		const cluster_state *cs = &px->clusters[c];
		if (cs->have_metadata)
			continue;
		ok = 0;
		snprintf(why, sizeof(why), "cluster %s has not answered metadata%s%s", cs->name,
		         cs->last_error[0] ? ": " : "", cs->last_error);
		if (missing)
			cJSON_AddItemToArray(missing, cJSON_CreateString(why));
	}
	if (ok && !px->ready) {
		ok = 0;
		if (missing)
			cJSON_AddItemToArray(
			    missing, cJSON_CreateString("the bootstrap listener is not open"));
	}
	if (px->cfg->mirror) {
		if (!px->xlate) {
			ok = 0;
			if (missing)
				cJSON_AddItemToArray(
				    missing,
				    cJSON_CreateString("mirror is configured but the "
				                       "translation engine is not running"));
		} else if (!xlate_engine_ready(px->xlate)) {
			ok = 0;
			mm2_reader_progress p[2];
			xlate_engine_progress(px->xlate, p);
			for (int i = 0; i < 2 && missing; i++) {
				if (p[i].ready)
					continue;
				snprintf(why, sizeof(why),
				         "MM2 %s topic %s on %s not read to its end yet", p[i].kind,
				         p[i].topic, p[i].cluster);
				cJSON_AddItemToArray(missing, cJSON_CreateString(why));
			}
		}
	}
	return ok;
}

static void add_hex(cJSON *o, const char *key, const unsigned char *b, size_t n)
{
	char hex[65];
	for (size_t i = 0; i < n && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", b[i]);
	hex[2 * (n < 32 ? n : 32)] = '\0';
	cJSON_AddStringToObject(o, key, hex);
}

static const char *vbroker_state(const vbroker *vb)
{
	return vb->retired ? "retired" : vb->missing ? "missing" : vb->host[0] ? "up" : "unknown";
}

static cJSON *config_json(proxy *px)
{
	const metrics *m = px->metrics;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "source", px->config_path ? px->config_path : "");
	add_hex(o, "sha256", px->cfg->digest, sizeof(px->cfg->digest));
	cJSON_AddNumberToObject(o, "reloads_ok", px->reloads_ok);
	cJSON_AddNumberToObject(o, "reloads_failed", px->reloads_failed);
	if (m->last_reload > 0) {
		cJSON *r = cJSON_AddObjectToObject(o, "last_reload");
		cJSON_AddNumberToObject(r, "time", m->last_reload);
		cJSON_AddStringToObject(r, "trigger",
		                        metrics_trigger_names[m->last_reload_trigger]);
		cJSON_AddBoolToObject(r, "ok", m->last_reload_ok);
		if (m->last_reload_ok)
			cJSON_AddNullToObject(r, "error");
		else
			cJSON_AddStringToObject(r, "error", px->reload_error);
	} else {
		cJSON_AddNullToObject(o, "last_reload");
	}
	return o;
}

static cJSON *clusters_json(proxy *px)
{
	cJSON *o = cJSON_CreateObject();
	for (int c = 0; c < CLUSTER_COUNT; c++) {
		const cluster_state *cs = &px->clusters[c];
		cJSON *k = cJSON_AddObjectToObject(o, config_cluster_names[c]);
		cJSON_AddStringToObject(k, "bootstrap", px->cfg->clusters[c].bootstrap);
		cJSON_AddBoolToObject(k, "metadata", cs->have_metadata);
		cJSON_AddBoolToObject(k, "up", cs->have_metadata && !cs->last_error[0]);
		if (cs->last_error[0])
			cJSON_AddStringToObject(k, "error", cs->last_error);
		else
			cJSON_AddNullToObject(k, "error");
		cJSON_AddBoolToObject(k, "tls", px->cfg->clusters[c].tls != NULL);
		cJSON *b = cJSON_AddArrayToObject(k, "brokers");
		for (int32_t i = 0; i < px->nvbrokers; i++) {
			const vbroker *vb = px->vbrokers[i];
			if (vb->cluster != c)
				continue;
			cJSON *e = cJSON_CreateObject();
			cJSON_AddNumberToObject(e, "id", vb->node_id);
			if (vb->host[0]) {
				cJSON_AddStringToObject(e, "host", vb->host);
				cJSON_AddNumberToObject(e, "port", vb->port);
			} else { /* an id seen in an answer, address not learned yet */
				cJSON_AddNullToObject(e, "host");
				cJSON_AddNullToObject(e, "port");
			}
			cJSON_AddBoolToObject(e, "up", !vb->retired && !vb->missing && vb->host[0]);
			cJSON_AddNumberToObject(e, "vid", vb->vid);
			cJSON_AddItemToArray(b, e);
		}
	}
	return o;
}

static cJSON *vbrokers_json(proxy *px)
{
	cJSON *a = cJSON_CreateArray();
	for (int32_t i = 0; i < px->nvbrokers; i++) {
		const vbroker *vb = px->vbrokers[i];
		cJSON *e = cJSON_CreateObject();
		cJSON_AddNumberToObject(e, "vid", vb->vid);
		cJSON_AddStringToObject(e, "cluster", cluster_name(vb->cluster));
		cJSON_AddNumberToObject(e, "broker", vb->node_id);
		char addr[300];
		snprintf(addr, sizeof(addr), "%s:%d", vb->host, vb->port);
		if (vb->host[0])
			cJSON_AddStringToObject(e, "address", addr);
		else
			cJSON_AddNullToObject(e, "address");
		if (vb->listen_port)
			cJSON_AddNumberToObject(e, "listen_port", vb->listen_port);
		else
			cJSON_AddNullToObject(e, "listen_port");
		cJSON_AddStringToObject(e, "state", vbroker_state(vb));
		cJSON_AddItemToArray(a, e);
	}
	return a;
}

static cJSON *route_names(const route_name *v, size_t n)
{
	cJSON *o = cJSON_CreateObject();
	for (size_t i = 0; i < n; i++)
		cJSON_AddStringToObject(o, v[i].name, cluster_name(v[i].cluster));
	return o;
}

static cJSON *routes_json(proxy *px)
{
	const routes *r = &px->cfg->routes;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "default_cluster", cluster_name(r->default_cluster));
	if (px->cfg->service)
		cJSON_AddStringToObject(o, "service", px->cfg->service);
	else
		cJSON_AddNullToObject(o, "service");
	cJSON *p = cJSON_AddObjectToObject(o, "producers");
	cJSON_AddStringToObject(p, "cluster", cluster_name(r->producers));
	cJSON_AddItemToObject(p, "topics", route_names(r->produce_topics, r->nproduce));
	cJSON *g = cJSON_AddObjectToObject(o, "groups");
	for (size_t i = 0; i < r->ngroups; i++) {
		cJSON *e = cJSON_AddObjectToObject(g, r->groups[i].name);
		cJSON_AddStringToObject(e, "cluster", cluster_name(r->groups[i].cluster));
		cJSON *t = cJSON_AddArrayToObject(e, "topics");
		for (size_t j = 0; j < r->groups[i].ntopics; j++)
			cJSON_AddItemToArray(t, cJSON_CreateString(r->groups[i].topics[j]));
	}
	cJSON_AddItemToObject(o, "topics", route_names(r->read_topics, r->nread));
	return o;
}

static cJSON *translation_json(proxy *px, const char *group)
{
	metrics_xlate_group *x = metrics_xlate_get(px->metrics, group);
	if (!x)
		return cJSON_CreateNull();
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "time", x->at);
	cJSON_AddStringToObject(o, "direction", x->reverse ? "reverse" : "forward");
	cJSON_AddNumberToObject(o, "rereads_max", (double)x->rereads_max);
	cJSON_AddNumberToObject(o, "rereads_unknown", (double)x->rereads_unknown);
	cJSON *a = cJSON_AddArrayToObject(o, "partitions");
	for (size_t i = 0; i < x->nparts; i++) {
		const metrics_xlate_part *p = &x->parts[i];
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "topic", p->topic);
		cJSON_AddNumberToObject(e, "partition", p->partition);
		cJSON_AddNumberToObject(e, "committed", (double)p->committed);
		if (p->offset >= 0)
			cJSON_AddNumberToObject(e, "offset", (double)p->offset);
		else
			cJSON_AddNullToObject(e, "offset");
		cJSON_AddStringToObject(e, "method",
		                        translate_method_name((translate_method)p->method));
		if (p->rereads_max >= 0)
			cJSON_AddNumberToObject(e, "rereads_max", (double)p->rereads_max);
		else
			cJSON_AddNullToObject(e, "rereads_max");
		cJSON_AddItemToArray(a, e);
	}
	metrics_xlate_group_free(x);
	return o;
}

/* Every sidecar's latest record about a group on the control topic: who
 * a flip waits for. */
static cJSON *sidecars_json(proxy *px, const char *group)
{
	coord_record *r = NULL;
	size_t n = 0;
	char why[300];
	if (!px->coord || coord_read(px->coord, group, &r, &n, why, sizeof(why)))
		return cJSON_CreateNull();
	struct timespec ts; /* the reader's clock: coord_record's seen_ms */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	int64_t mono = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; a && i < n; i++) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "instance", r[i].instance);
		cJSON_AddStringToObject(e, "state", coord_state_name(r[i].state));
		cJSON_AddStringToObject(e, "flip", r[i].flip);
		cJSON_AddStringToObject(e, "cluster", cluster_name(r[i].cluster));
		cJSON_AddNumberToObject(e, "members", r[i].members);
		cJSON_AddNumberToObject(e, "heartbeat_age_ms", (double)(mono - r[i].seen_ms));
		cJSON_AddItemToArray(a, e);
	}
	free(r);
	return a;
}

static cJSON *control_json(proxy *px)
{
	if (!px->coord)
		return cJSON_CreateNull();
	coord_progress p;
	coord_progress_get(px->coord, &p);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "topic", p.topic);
	cJSON_AddStringToObject(o, "cluster", p.cluster);
	cJSON_AddStringToObject(o, "instance", p.instance);
	cJSON_AddNumberToObject(o, "heartbeat_ms", p.heartbeat_ms);
	cJSON_AddBoolToObject(o, "ready", p.ready);
	cJSON_AddNumberToObject(o, "records", (double)p.records);
	cJSON_AddNumberToObject(o, "skipped", (double)p.skipped);
	cJSON_AddStringToObject(o, "last_error", p.last_error);
	return o;
}

static cJSON *groups_json(proxy *px)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < px->groups.n; i++) {
		const group_rt *g = px->groups.v[i];
		const cutover *f = &g->flip;
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "group", g->id);
		cJSON_AddStringToObject(e, "cluster", cluster_name(g->cluster));
		cJSON_AddStringToObject(
		    e, "route", cluster_name(routes_group(&px->cfg->routes, g->id, strlen(g->id))));
		cJSON_AddStringToObject(e, "state", cutover_state_name(f->state));
		/* flipped, fetches held until the members read the seeded offsets */
		cJSON_AddBoolToObject(e, "settling", g->settling);
		/* first sight: held until its commits are checked (flip_recover.c) */
		cJSON_AddBoolToObject(e, "recovering", g->recovering);
		/* a peer flips the group away from here: fetches held (flip_coord.c) */
		cJSON_AddBoolToObject(e, "peer_hold", g->peer_hold);
		if (cutover_busy(f)) {
			cJSON *fl = cJSON_AddObjectToObject(e, "flip");
			cJSON_AddStringToObject(fl, "from", cluster_name(f->cluster));
			cJSON_AddStringToObject(fl, "to", cluster_name(f->to));
			/* the cutover clock is CLOCK_MONOTONIC milliseconds */
			int64_t now = metrics_mono_ns() / 1000000;
			cJSON_AddNumberToObject(fl, "elapsed_ms", (double)(now - f->began_ms));
			cJSON_AddNumberToObject(fl, "state_elapsed_ms",
			                        (double)(now - f->state_ms));
		} else {
			cJSON_AddNullToObject(e, "flip");
		}
		cJSON_AddNumberToObject(e, "flips", f->flips);
		cJSON_AddNumberToObject(e, "flip_failures", f->failures);
		if (f->flips)
			cJSON_AddNumberToObject(e, "last_pause_ms", (double)f->last_pause_ms);
		else
			cJSON_AddNullToObject(e, "last_pause_ms");
		if (f->reason[0])
			cJSON_AddStringToObject(e, "last_failure", f->reason);
		else
			cJSON_AddNullToObject(e, "last_failure");
		int members = 0;
		client *c;
		TAILQ_FOREACH(c, &px->clients, link)
		members += c->member_of == g;
		cJSON_AddNumberToObject(e, "member_connections", members);
		cJSON_AddNumberToObject(e, "members",
		                        (double)g->nmembers); /* known to this sidecar */
		cJSON *t = cJSON_AddArrayToObject(e, "topics");
		for (size_t j = 0; j < g->ntopics; j++)
			cJSON_AddItemToArray(t, cJSON_CreateString(g->topics[j]));
		cJSON_AddItemToObject(e, "translation", translation_json(px, g->id));
		cJSON_AddItemToObject(e, "sidecars", sidecars_json(px, g->id));
		cJSON_AddItemToArray(a, e);
	}
	return a;
}

static cJSON *mirror_json(proxy *px)
{
	if (!px->cfg->mirror)
		return cJSON_CreateNull();
	cJSON *o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "engine_running", px->xlate != NULL);
	if (!px->xlate)
		return o;
	cJSON_AddBoolToObject(o, "ready", xlate_engine_ready(px->xlate));
	mm2_reader_progress p[2];
	xlate_engine_progress(px->xlate, p);
	cJSON *a = cJSON_AddArrayToObject(o, "readers");
	double now = metrics_now();
	for (int i = 0; i < 2; i++) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "kind", p[i].kind);
		cJSON_AddStringToObject(e, "topic", p[i].topic);
		cJSON_AddStringToObject(e, "cluster", p[i].cluster);
		cJSON_AddBoolToObject(e, "ready", p[i].ready);
		cJSON_AddNumberToObject(e, "records", (double)p[i].applied);
		cJSON_AddNumberToObject(e, "skipped", (double)p[i].bad);
		cJSON_AddNumberToObject(e, "position", (double)p[i].position);
		if (p[i].newest_ms >= 0)
			cJSON_AddNumberToObject(e, "newest_record_age_seconds",
			                        now - (double)p[i].newest_ms / 1000.0);
		else
			cJSON_AddNullToObject(e, "newest_record_age_seconds");
		cJSON_AddItemToArray(a, e);
	}
	return o;
}

cJSON *admin_status_json(proxy *px)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	double now = metrics_now();
	cJSON_AddStringToObject(o, "version", TURNOUT_VERSION);
	cJSON_AddNumberToObject(o, "pid", (double)getpid());
	cJSON_AddNumberToObject(o, "started", px->metrics->start_time);
	cJSON_AddNumberToObject(o, "uptime_seconds", now - px->metrics->start_time);
	cJSON *missing = cJSON_CreateArray();
	cJSON_AddBoolToObject(o, "ready", admin_ready(px, missing));
	cJSON_AddItemToObject(o, "not_ready", missing);
	cJSON *l = cJSON_AddObjectToObject(o, "listen");
	char addr[300];
	snprintf(addr, sizeof(addr), "%s:%d", px->cfg->listen_host, px->bootstrap_port);
	cJSON_AddStringToObject(l, "bootstrap", addr);
	cJSON_AddStringToObject(l, "advertised_host", px->cfg->advertised_host);
	cJSON_AddItemToObject(o, "config", config_json(px));
	cJSON_AddItemToObject(o, "clusters", clusters_json(px));
	cJSON_AddItemToObject(o, "vbrokers", vbrokers_json(px));
	cJSON_AddItemToObject(o, "routes", routes_json(px));
	cJSON_AddItemToObject(o, "groups", groups_json(px));
	cJSON_AddItemToObject(o, "mirror", mirror_json(px));
	cJSON_AddItemToObject(o, "cutover_control", control_json(px));
	return o;
}
