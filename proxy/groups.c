/*
 * The run-time group table (see groups.h). Entries are made the first time a
 * client names a group and live for the process: a sidecar serves a handful
 * of groups, so a sorted-by-arrival array with linear search is enough.
 */
#include "proxy/groups.h"

#include <stdlib.h>
#include <string.h>

#include "proxy/flip.h"
#include "proxy/log.h"
#include "proxy/proxy.h"
#include "proxy/view.h"

static int same(const char *s, const char *p, size_t len)
{
	return strlen(s) == len && memcmp(s, p, len) == 0;
}

group_rt *groups_get(proxy *px, const char *id, size_t len, int create)
{
	groups *gs = &px->groups;
	for (size_t i = 0; i < gs->n; i++)
		if (same(gs->v[i]->id, id, len))
			return gs->v[i];
	if (!create)
		return NULL;
	if (gs->n == gs->cap) {
		size_t cap = gs->cap ? gs->cap * 2 : 8;
		group_rt **nv = realloc(gs->v, cap * sizeof(*nv));
		if (!nv)
			return NULL;
		gs->v = nv;
		gs->cap = cap;
	}
	group_rt *g = calloc(1, sizeof(*g));
	if (!g || !(g->id = strndup(id, len))) {
		free(g);
		return NULL;
	}
	cutover_init(&g->flip, routes_group(&px->cfg->routes, id, len));
	g->cluster = g->flip.cluster;
	gs->v[gs->n++] = g;
	view_update(px);
	log_info("group=%s event=group_seen cluster=%s", g->id, config_cluster_names[g->cluster]);
	flip_recover_seen(px, g); /* a flip a killed process left unfinished */
	return g;
}

int groups_consumes(const group_rt *g, const char *topic, size_t len)
{
	for (size_t i = 0; i < g->ntopics; i++)
		if (same(g->topics[i], topic, len))
			return 1;
	return 0;
}

int groups_learn_topic(group_rt *g, const char *topic, size_t len)
{
	if (groups_consumes(g, topic, len))
		return 0;
	if (g->ntopics == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 4;
		char **nv = realloc(g->topics, cap * sizeof(*nv));
		if (!nv)
			return 0;
		g->topics = nv;
		g->cap = cap;
	}
	char *t = strndup(topic, len);
	if (!t)
		return 0;
	g->topics[g->ntopics++] = t;
	log_info("group=%s event=group_topic topic=%s", g->id, t);
	return 1;
}

int groups_cluster(proxy *px, const char *id, size_t len)
{
	group_rt *g = groups_get(px, id, len, 0);
	return g ? g->cluster : routes_group(&px->cfg->routes, id, len);
}

static void member_free(groups_member *m)
{
	free(m->id);
	free(m->instance_id);
}

groups_member *groups_member_find(group_rt *g, const char *id, size_t len)
{
	for (size_t i = 0; i < g->nmembers; i++)
		if (same(g->members[i].id, id, len))
			return &g->members[i];
	return NULL;
}

groups_member *groups_member_seen(group_rt *g, const char *id, size_t len, const char *inst,
                                  size_t instlen, int client, int cluster)
{
	if (len == 0)
		return NULL; /* not a member yet (first JoinGroup) */
	groups_member *m = groups_member_find(g, id, len);
	if (m) {
		m->client = client;
		return m;
	}
	if (g->nmembers == g->capmembers) {
		size_t cap = g->capmembers ? g->capmembers * 2 : 4;
		groups_member *nv = realloc(g->members, cap * sizeof(*nv));
		if (!nv)
			return NULL;
		g->members = nv;
		g->capmembers = cap;
	}
	m = &g->members[g->nmembers];
	memset(m, 0, sizeof(*m));
	if (!(m->id = strndup(id, len)) ||
	    (instlen && !(m->instance_id = strndup(inst, instlen)))) {
		member_free(m);
		return NULL;
	}
	m->client = client;
	m->cluster = cluster;
	g->nmembers++;
	log_info("group=%s event=member_seen member=%s cluster=%s client=%d", g->id, m->id,
	         config_cluster_names[cluster], client);
	return m;
}

void groups_member_drop(group_rt *g, const char *id, size_t len)
{
	for (size_t i = 0; i < g->nmembers; i++)
		if (same(g->members[i].id, id, len)) {
			member_free(&g->members[i]);
			g->members[i] = g->members[--g->nmembers];
			return;
		}
}

void groups_gone_clear(group_rt *g)
{
	for (size_t i = 0; i < g->ngone; i++)
		free(g->gone[i]);
	free(g->gone);
	g->gone = NULL;
	g->ngone = 0;
}

void groups_members_to_gone(group_rt *g, int cluster)
{
	groups_gone_clear(g);
	g->gone = calloc(g->nmembers ? g->nmembers : 1, sizeof(*g->gone));
	for (size_t i = 0; i < g->nmembers;) {
		groups_member *m = &g->members[i];
		if (m->cluster != cluster) {
			i++;
			continue;
		}
		if (g->gone) {
			g->gone[g->ngone++] = m->id; /* ownership moves */
			m->id = NULL;
		}
		member_free(m);
		g->members[i] = g->members[--g->nmembers];
	}
}

int groups_is_gone(const group_rt *g, const char *id, size_t len)
{
	for (size_t i = 0; i < g->ngone; i++)
		if (same(g->gone[i], id, len))
			return 1;
	return 0;
}

int groups_gone_forget(group_rt *g, const char *id, size_t len)
{
	for (size_t i = 0; i < g->ngone; i++)
		if (same(g->gone[i], id, len)) {
			free(g->gone[i]);
			g->gone[i] = g->gone[--g->ngone];
			return 1;
		}
	return 0;
}

void groups_free(groups *gs)
{
	for (size_t i = 0; i < gs->n; i++) {
		for (size_t j = 0; j < gs->v[i]->nmembers; j++)
			member_free(&gs->v[i]->members[j]);
		free(gs->v[i]->members);
		groups_gone_clear(gs->v[i]);
		flip_positions_clear(&gs->v[i]->positions);
		commit_moves_free(&gs->v[i]->commits);
		for (size_t j = 0; j < gs->v[i]->ntopics; j++)
			free(gs->v[i]->topics[j]);
		free(gs->v[i]->topics);
		free(gs->v[i]->id);
		free(gs->v[i]);
	}
	free(gs->v);
	gs->v = NULL;
	gs->n = gs->cap = 0;
}

int groups_member_clients(const group_rt *g, int cluster, int (*live)(void *ctx, int client),
                          void *ctx)
{
	int n = 0;
	for (size_t i = 0; i < g->nmembers; i++) {
		if (g->members[i].cluster != cluster || (live && !live(ctx, g->members[i].client)))
			continue;
		size_t k = 0;
		while (k < i && (g->members[k].cluster != cluster ||
		                 g->members[k].client != g->members[i].client))
			k++;
		n += k == i;
	}
	return n;
}
