/*
 * `turnout check`'s analysis (see route_check.h).
 *
 *   groups (sides, topics) --rchk_place--> lives, action
 *   routes + this service's groups --routes_topic--> topic view rows
 *   rows, groups, cluster topic lists, previews --rchk_analyse--> findings
 *
 * The topic view uses routes_topic(), the function the proxy's metadata
 * view (proxy/view.c) calls, fed the way the proxy feeds it: the clusters of
 * this service's groups (routes.groups) known to consume the topic. What a
 * single view cannot serve is reported as an error naming the groups and
 * the cluster each needs. Groups not named in routes (found on a cluster
 * or given with --group) are treated as other services' consumers: they do
 * not shape this view, but producers moving away from them is a warning.
 */
#include "routing/route_check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "routing/mm2_names.h"

static const char *cl_name(int c)
{
	return c >= 0 && c < CLUSTER_COUNT ? config_cluster_names[c] : "?";
}

const char *rchk_level_name(rchk_level l)
{
	return l == RCHK_ERROR ? "error" : l == RCHK_WARN ? "warning" : "info";
}

const char *rchk_action_name(rchk_action a)
{
	switch (a) {
	case RCHK_STAYS:
		return "stays";
	case RCHK_NEW:
		return "new";
	case RCHK_FLIP:
		return "flip";
	case RCHK_ROLLBACK:
		return "rollback";
	case RCHK_UNCLEAR:
		return "unclear";
	case RCHK_OTHER:
		return "other";
	}
	return "?";
}

const char *rchk_reason_name(route_reason why)
{
	switch (why) {
	case ROUTE_BY_OVERRIDE:
		return "read override";
	case ROUTE_BY_GROUP:
		return "consuming group";
	case ROUTE_BY_PRODUCERS:
		return "producer route";
	case ROUTE_BY_DEFAULT:
		return "default";
	}
	return "?";
}

const char *rchk_where_name(int lives)
{
	if (lives == RCHK_NOWHERE)
		return "-";
	if (lives == RCHK_BOTH)
		return "both";
	return cl_name(lives);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_name(char *const *v, size_t n, const char *name)
{
	return n && bsearch(&name, v, n, sizeof(*v), cmp_str) != NULL;
}

int rchk_group_add_topic(rchk_group *g, const char *topic)
{
	if (has_name(g->topics, g->ntopics, topic))
		return 0;
	char **nv = realloc(g->topics, (g->ntopics + 1) * sizeof(*nv));
	if (!nv)
		return -1;
	g->topics = nv;
	if (!(g->topics[g->ntopics] = strdup(topic)))
		return -1;
	g->ntopics++;
	qsort(g->topics, g->ntopics, sizeof(*g->topics), cmp_str);
	return 0;
}

static int consumes(const rchk_group *g, const char *topic)
{
	return has_name(g->topics, g->ntopics, topic);
}

void rchk_place(rchk_group *g)
{
	int ml = g->side[CLUSTER_LEGACY].members, mt = g->side[CLUSTER_TARGET].members;
	g->lives_by_commits = 0;
	if (ml > 0 && mt > 0) {
		g->lives = RCHK_BOTH;
		g->action = RCHK_UNCLEAR;
		return;
	}
	if (ml > 0 || mt > 0) {
		g->lives = ml > 0 ? CLUSTER_LEGACY : CLUSTER_TARGET;
	} else {
		int cl = g->side[CLUSTER_LEGACY].committed > 0;
		int ct = g->side[CLUSTER_TARGET].committed > 0;
		g->lives_by_commits = 1;
		g->lives = cl && ct ? RCHK_BOTH
		           : cl     ? CLUSTER_LEGACY
		           : ct     ? CLUSTER_TARGET
		                    : RCHK_NOWHERE;
	}
	if (!g->in_routes)
		g->action = RCHK_OTHER;
	else if (g->lives == RCHK_NOWHERE)
		g->action = RCHK_NEW;
	else if (g->lives == g->route)
		g->action = RCHK_STAYS;
	else if (g->lives == RCHK_BOTH)
		/* commits on both and no member seen: MM2 copies groups' offsets
		 * legacy -> target (sync.group.offsets), so target commits are
		 * expected before a flip; legacy ones after a flip are leftovers */
		g->action = g->route == CLUSTER_TARGET ? RCHK_FLIP : RCHK_STAYS;
	else
		g->action = g->route == CLUSTER_TARGET ? RCHK_FLIP : RCHK_ROLLBACK;
}

void rchk_group_free(rchk_group *g)
{
	for (size_t i = 0; i < g->ntopics; i++)
		free(g->topics[i]);
	free(g->topics);
	free(g->name);
	memset(g, 0, sizeof(*g));
}

void rchk_xlate_summarise(const xlate_group_result *r, const char *err, rchk_xlate *out)
{
	memset(out, 0, sizeof(*out));
	if (!r) {
		snprintf(out->err, sizeof(out->err), "%s", err && err[0] ? err : "no preview");
		return;
	}
	out->ran = 1;
	out->dir = r->dir;
	size_t used = 0;
	for (size_t i = 0; i < r->n; i++) {
		const translate_result *t = &r->parts[i].r;
		out->n++;
		switch (t->method) {
		case TRANSLATE_EXACT:
			out->exact++;
			break;
		case TRANSLATE_CHECKPOINT:
			out->checkpoint++;
			break;
		case TRANSLATE_CONSERVATIVE:
			out->conservative++;
			break;
		case TRANSLATE_NONE:
			out->none++;
			break;
		}
		if (t->method == TRANSLATE_NONE) {
			char one[300];
			int len = snprintf(one, sizeof(one), "%s%s-%d", used ? ", " : "",
			                   r->parts[i].topic, (int)r->parts[i].partition);
			size_t room = sizeof(out->untranslatable) - used;
			if (len > 0 && (size_t)len + 4 < room) {
				memcpy(out->untranslatable + used, one, (size_t)len + 1);
				used += (size_t)len;
			} else if (room >= 4 && !strstr(out->untranslatable, "...")) {
				memcpy(out->untranslatable + used, "...", 4);
				used += 3;
			}
		} else if (t->rereads_max >= 0) {
			out->rereads += t->rereads_max;
		} else {
			out->rereads_unknown = 1;
		}
	}
}

int rchk_add(rchk_report *rep, rchk_level level, const char *kind, const char *subject,
             const char *fmt, ...)
{
	if (rep->nf == rep->cap) {
		size_t cap = rep->cap ? rep->cap * 2 : 16;
		rchk_finding *nv = realloc(rep->f, cap * sizeof(*nv));
		if (!nv)
			return -1;
		rep->f = nv;
		rep->cap = cap;
	}
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rchk_finding *f = &rep->f[rep->nf];
	f->level = level;
	f->kind = kind;
	f->subject = strdup(subject ? subject : "");
	f->message = strdup(msg);
	if (!f->subject || !f->message) {
		free(f->subject);
		free(f->message);
		return -1;
	}
	rep->nf++;
	rep->errors += level == RCHK_ERROR;
	rep->warnings += level == RCHK_WARN;
	return 0;
}

void rchk_report_free(rchk_report *rep)
{
	for (size_t i = 0; i < rep->ntopics; i++)
		free(rep->topics[i].name);
	free(rep->topics);
	for (size_t i = 0; i < rep->nf; i++) {
		free(rep->f[i].subject);
		free(rep->f[i].message);
	}
	free(rep->f);
	memset(rep, 0, sizeof(*rep));
}

/* Every topic this service's view must place: its groups' topics and the
 * topics its producer routes and read overrides name; sorted, unique. */
static int view_topics(const rchk_input *in, char ***out, size_t *n)
{
	rchk_group all = {0}; /* only its topic list is used */
	const routes *r = in->r;
	int rc = 0;
	for (size_t i = 0; i < in->ngroups && !rc; i++)
		for (size_t j = 0; in->groups[i].in_routes && j < in->groups[i].ntopics && !rc; j++)
			rc = rchk_group_add_topic(&all, in->groups[i].topics[j]);
	for (size_t i = 0; i < r->nproduce && !rc; i++)
		rc = rchk_group_add_topic(&all, r->produce_topics[i].name);
	for (size_t i = 0; i < r->nread && !rc; i++)
		rc = rchk_group_add_topic(&all, r->read_topics[i].name);
	*out = all.topics;
	*n = all.ntopics;
	if (rc) {
		rchk_group_free(&all);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

static const route_name *find_route_name(const route_name *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

/* The row of topic t and the findings about how this service's view serves it. */
static int analyse_topic(const rchk_input *in, const char *t, rchk_topic *row, rchk_report *rep)
{
	const routes *r = in->r;
	int clusters[256];
	const rchk_group *by[256];
	size_t n = 0;
	for (size_t i = 0; i < in->ngroups && n < 256; i++) {
		const rchk_group *g = &in->groups[i];
		if (g->in_routes && consumes(g, t)) {
			by[n] = g;
			clusters[n++] = g->route;
		}
	}
	route_reason why;
	int conflict;
	row->cluster = routes_topic(r, t, strlen(t), clusters, n, 0, &why, &conflict);
	row->why = why;
	row->producer = routes_producer(r, t, strlen(t));
	row->producer_set = find_route_name(r->produce_topics, r->nproduce, t) != NULL;
	const route_name *ov = find_route_name(r->read_topics, r->nread, t);
	row->conflict = conflict;
	/* two of this service's groups on different clusters */
	for (size_t i = 1; i < n; i++)
		if (clusters[i] != clusters[0]) {
			if (rchk_add(
			        rep, RCHK_ERROR, "topic_conflict", t,
			        "topic %s: group %s consumes it on %s and group %s on %s; this "
			        "service's single metadata view serves %s from %s only, so %s "
			        "would read the other cluster's records and commit those "
			        "positions to its own coordinator. Route both groups to one "
			        "cluster (flip them together).",
			        t, by[0]->name, cl_name(clusters[0]), by[i]->name,
			        cl_name(clusters[i]), t, cl_name(row->cluster),
			        clusters[i] == row->cluster ? by[0]->name : by[i]->name))
				return -1;
			break;
		}
	/* a per-topic producer route apart from a consuming group */
	for (size_t i = 0; row->producer_set && i < n; i++)
		if (clusters[i] != row->producer) {
			if (rchk_add(
			        rep, RCHK_ERROR, "topic_conflict", t,
			        "topic %s: routes.producers sends it to %s but group %s consumes "
			        "it on %s; this service's metadata serves %s from %s, so its "
			        "records would still be produced to %s. Move the producer route "
			        "and the group together, or the group first and the producers "
			        "after it.",
			        t, cl_name(row->producer), by[i]->name, cl_name(clusters[i]), t,
			        cl_name(row->cluster), cl_name(row->cluster)))
				return -1;
			break;
		}
	/* a read override apart from a consuming group's coordinator */
	for (size_t i = 0; ov && i < n; i++)
		if (clusters[i] != ov->cluster) {
			row->conflict = 1;
			if (rchk_add(
			        rep, RCHK_ERROR, "topic_conflict", t,
			        "topic %s: routes.topics serves it from %s but group %s commits "
			        "on %s; the group would commit %s positions to its %s "
			        "coordinator.",
			        t, cl_name(ov->cluster), by[i]->name, cl_name(clusters[i]),
			        cl_name(ov->cluster), cl_name(clusters[i])))
				return -1;
			break;
		}
	/* service-wide producers: the view (and so Produce) follows the group */
	if (!row->producer_set && !ov && n > 0 && row->producer != row->cluster && !row->conflict) {
		int moved = r->producers != r->default_cluster;
		if (rchk_add(rep, moved ? RCHK_WARN : RCHK_INFO, "producers_follow_group", t,
		             "topic %s: group %s consumes it on %s, so this service's metadata "
		             "serves %s from %s; if this service also produces %s, those records "
		             "go to %s, not to its producer route (%s). Name the topic in "
		             "routes.producers.topics to make that explicit.",
		             t, by[0]->name, cl_name(row->cluster), t, cl_name(row->cluster), t,
		             cl_name(row->cluster), cl_name(row->producer)))
			return -1;
	}
	/* producers moving away from other services' consumers */
	for (size_t i = 0; row->producer_set && i < in->ngroups; i++) {
		const rchk_group *g = &in->groups[i];
		if (g->in_routes || !consumes(g, t))
			continue;
		int on = g->lives == RCHK_BOTH ? !row->producer : g->lives;
		if (on < 0 || on == row->producer)
			continue;
		if (rchk_add(rep, RCHK_WARN, "producers_ahead", t,
		             "topic %s: producers move to %s while group %s still consumes it on "
		             "%s; the group will not see records produced after the move until it "
		             "moves too (MM2 copies legacy -> target only).",
		             t, cl_name(row->producer), g->name, cl_name(on)))
			return -1;
	}
	return 0;
}

/* The name topic t (a legacy name) has on cluster c. */
static void name_on(const rchk_input *in, const char *t, int c, char *buf, size_t len)
{
	if (c == CLUSTER_TARGET && in->mc && mm2_names_remote_topic(in->mc, t, buf, len) == 0)
		return;
	snprintf(buf, len, "%s", t);
}

static int analyse_group(const rchk_input *in, const rchk_group *g, rchk_report *rep)
{
	const rchk_side *ls = &g->side[CLUSTER_LEGACY], *ts = &g->side[CLUSTER_TARGET];
	if (g->action == RCHK_UNCLEAR)
		return rchk_add(
		    rep, RCHK_ERROR, "group_on_both", g->name,
		    "group %s has members on legacy (%d) and on target (%d): it is "
		    "consuming on both clusters at once; stop one side before any flip.",
		    g->name, ls->members, ts->members);
	if (g->action == RCHK_OTHER)
		return 0;
	int to = g->route, from = !to, unmirrored = 0;
	if (g->action == RCHK_FLIP || g->action == RCHK_ROLLBACK) {
		const char *dir = g->action == RCHK_FLIP ? "legacy -> target" : "target -> legacy";
		if (!in->mc) {
			if (rchk_add(rep, RCHK_ERROR, "no_mirror", g->name,
			             "group %s would move %s but the config has no \"mirror\": its "
			             "committed offsets cannot be translated.",
			             g->name, dir))
				return -1;
		} else if (!g->xl.ran) {
			if (rchk_add(
			        rep, RCHK_ERROR, "translation_failed", g->name,
			        "group %s would move %s but its offsets could not be previewed: "
			        "%s",
			        g->name, dir, g->xl.err[0] ? g->xl.err : "not run"))
				return -1;
		} else if (g->xl.none > 0) {
			unmirrored = 1;
			if (rchk_add(rep, RCHK_ERROR, "group_not_mirrored", g->name,
			             "group %s would move %s but %zu of its %zu partitions have no "
			             "MM2 data to translate from (%s); they would start at the "
			             "consumer's auto.offset.reset position on %s.",
			             g->name, dir, g->xl.none, g->xl.n, g->xl.untranslatable,
			             cl_name(to)))
				return -1;
		}
		if (g->side[to].members > 0 &&
		    rchk_add(rep, RCHK_WARN, "target_group_busy", g->name,
		             "group %s already has %d member(s) on %s: the flip would wait, since "
		             "offsets are seeded only while the group is empty there.",
		             g->name, g->side[to].members, cl_name(to)))
			return -1;
		if (g->lives == RCHK_BOTH &&
		    rchk_add(rep, RCHK_INFO, "commits_on_both", g->name,
		             "group %s has commits on both clusters and no members were seen on "
		             "either; a flip seeds %s from %s's commits, never moving an "
		             "offset on %s backwards.",
		             g->name, cl_name(to), cl_name(from), cl_name(to)))
			return -1;
	}
	/* its topics must exist where it is routed */
	if (!in->cluster_topics[to] || unmirrored)
		return 0;
	for (size_t i = 0; i < g->ntopics; i++) {
		char name[512];
		name_on(in, g->topics[i], to, name, sizeof(name));
		if (has_name(in->cluster_topics[to], in->ncluster_topics[to], name))
			continue;
		int rc =
		    to == CLUSTER_TARGET
		        ? rchk_add(rep, RCHK_ERROR, "group_not_mirrored", g->name,
		                   "group %s is routed to target but consumes %s, which "
		                   "does not exist on target%s%s: it is not mirrored.",
		                   g->name, g->topics[i], strcmp(name, g->topics[i]) ? " as " : "",
		                   strcmp(name, g->topics[i]) ? name : "")
		        : rchk_add(rep, RCHK_ERROR, "topic_missing", g->name,
		                   "group %s is routed to legacy but consumes %s, which does "
		                   "not exist on legacy.",
		                   g->name, g->topics[i]);
		if (rc)
			return -1;
	}
	return 0;
}

int rchk_analyse(const rchk_input *in, rchk_report *rep)
{
	char **names = NULL;
	size_t n = 0;
	int rc = -1;
	if (view_topics(in, &names, &n))
		return -1;
	rep->topics = calloc(n ? n : 1, sizeof(*rep->topics));
	if (!rep->topics)
		goto out;
	for (size_t i = 0; i < n; i++) {
		rchk_topic *row = &rep->topics[rep->ntopics];
		row->name = names[i];
		names[i] = NULL;
		rep->ntopics++;
		if (analyse_topic(in, row->name, row, rep))
			goto out;
	}
	for (size_t i = 0; i < in->ngroups; i++)
		if (analyse_group(in, &in->groups[i], rep))
			goto out;
	rc = 0;
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}
