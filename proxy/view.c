/*
 * The topic view (see view.h). routes_topic() holds the rules; this file
 * feeds it the groups known to consume a topic, each with the cluster it is
 * served on right now (which lags the config during a flip).
 */
#include "proxy/view.h"

#include <stdlib.h>
#include <string.h>

#include "proxy/groups.h"
#include "proxy/proxy.h"

enum { VIEW_GROUPS_MAX = 64 };

static int hold_all(const proxy *px)
{
	if (px->resume.holding)
		return 1;
	for (size_t i = 0; i < px->groups.n; i++) {
		const group_rt *g = px->groups.v[i];
		if (g->resumed && g->recovering && g->ntopics == 0)
			return 1;
	}
	return 0;
}

int view_hold_all(const proxy *px)
{
	return px->resume.hold_all;
}

int view_topic(proxy *px, const char *topic, size_t len, int *held)
{
	const routes *r = &px->cfg->routes;
	int clusters[VIEW_GROUPS_MAX];
	size_t n = 0;
	*held = view_hold_all(px);
	for (size_t i = 0; i < r->ngroups && n < VIEW_GROUPS_MAX; i++) {
		const route_group *rg = &r->groups[i];
		for (size_t j = 0; j < rg->ntopics; j++)
			if (strlen(rg->topics[j]) == len &&
			    memcmp(rg->topics[j], topic, len) == 0) {
				group_rt *g = groups_get(px, rg->name, strlen(rg->name), 0);
				clusters[n++] = g ? g->cluster : rg->cluster;
				*held |= g && (cutover_holds_fetches(&g->flip) || g->settling ||
				               g->recovering || g->peer_hold);
			}
	}
	for (size_t i = 0; i < px->groups.n && n < VIEW_GROUPS_MAX; i++) {
		group_rt *g = px->groups.v[i];
		if (groups_consumes(g, topic, len)) {
			clusters[n++] = g->cluster;
			*held |= cutover_holds_fetches(&g->flip) || g->settling || g->recovering ||
			         g->peer_hold;
		}
	}
	route_reason why;
	int conflict;
	return routes_topic(r, topic, len, clusters, n, 0, &why, &conflict);
}

static int uniform(proxy *px)
{
	const routes *r = &px->cfg->routes;
	int k = r->default_cluster;
	if (r->producers != k || view_hold_all(px))
		return -1;
	for (size_t i = 0; i < r->ngroups; i++)
		if (r->groups[i].cluster != k)
			return -1;
	for (size_t i = 0; i < r->nproduce; i++)
		if (r->produce_topics[i].cluster != k)
			return -1;
	for (size_t i = 0; i < r->nread; i++)
		if (r->read_topics[i].cluster != k)
			return -1;
	for (size_t i = 0; i < px->groups.n; i++)
		if (px->groups.v[i]->cluster != k || cutover_busy(&px->groups.v[i]->flip) ||
		    px->groups.v[i]->settling || px->groups.v[i]->recovering ||
		    px->groups.v[i]->peer_hold)
			return -1;
	return k;
}

void view_update(proxy *px)
{
	px->resume.hold_all = hold_all(px); /* read per Fetch topic: kept here */
	px->uniform_cluster = uniform(px);
}

static int cmp_id(const void *a, const void *b)
{
	return memcmp(((const topic_id_entry *)a)->id.b, ((const topic_id_entry *)b)->id.b, 16);
}

static topic_id_entry *find_id(topic_ids *t, const wire_uuid *id)
{
	topic_id_entry k = {.id = *id};
	return t->n ? bsearch(&k, t->v, t->n, sizeof(*t->v), cmp_id) : NULL;
}

void view_learn_topic_id(proxy *px, int cluster, const wire_uuid *id, wire_str name)
{
	static const wire_uuid zero;
	if (name.len <= 0 || memcmp(id->b, zero.b, 16) == 0)
		return;
	topic_ids *t = &px->topic_ids[cluster];
	topic_id_entry *e = find_id(t, id);
	if (e && strlen(e->name) == (size_t)name.len && memcmp(e->name, name.p, name.len) == 0)
		return;
	char *copy = strndup(name.p, (size_t)name.len);
	if (!copy)
		return;
	if (e) {
		free(e->name); /* an id names one topic; a rename means a recreate */
		e->name = copy;
		return;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		topic_id_entry *nv = realloc(t->v, cap * sizeof(*nv));
		if (!nv) {
			free(copy);
			return;
		}
		t->v = nv;
		t->cap = cap;
	}
	t->v[t->n++] = (topic_id_entry){*id, copy};
	qsort(t->v, t->n, sizeof(*t->v), cmp_id);
}

wire_str view_topic_name(proxy *px, int cluster, const wire_uuid *id)
{
	topic_id_entry *e = find_id(&px->topic_ids[cluster], id);
	return e ? wire_str_c(e->name) : (wire_str){NULL, -1};
}

void view_free(proxy *px)
{
	for (int c = 0; c < CLUSTER_COUNT; c++) {
		for (size_t i = 0; i < px->topic_ids[c].n; i++)
			free(px->topic_ids[c].v[i].name);
		free(px->topic_ids[c].v);
		memset(&px->topic_ids[c], 0, sizeof(px->topic_ids[c]));
	}
}
