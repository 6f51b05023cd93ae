/*
 * `turnout check`'s analysis without clusters: where a group lives and what
 * a flip would do, the topic view's conflicts (two groups apart, producers
 * apart from a group, an override apart from a group), producers moving away
 * from other services' consumers, unmirrored groups, a busy target group,
 * and the translation summary.
 */
#include <stdlib.h>
#include <string.h>

#include "routing/route_check.h"
#include "tests/unit/check.h"

static int parse(const char *json, routes *r)
{
	char err[256];
	cJSON *o = cJSON_Parse(json);
	int rc = o ? routes_parse(o, "svc", CLUSTER_LEGACY, r, err, sizeof(err)) : -1;
	cJSON_Delete(o);
	return rc;
}

/* A group with commits (and members; -1 unknown) on each side. */
static void group(rchk_group *g, const routes *r, const char *name, int in_routes, int cl_commits,
                  int tg_commits, int cl_members, int tg_members, const char *topic)
{
	memset(g, 0, sizeof(*g));
	g->name = strdup(name);
	g->in_routes = in_routes;
	g->route = routes_group(r, name, strlen(name));
	int commits[2] = {cl_commits, tg_commits}, members[2] = {cl_members, tg_members};
	for (int c = 0; c < CLUSTER_COUNT; c++) {
		g->side[c].reachable = 1;
		g->side[c].committed = commits[c];
		g->side[c].members = members[c];
		g->side[c].described = members[c] >= 0;
	}
	if (topic)
		rchk_group_add_topic(g, topic);
	rchk_place(g);
}

static size_t count_kind(const rchk_report *rep, const char *kind, rchk_level level)
{
	size_t n = 0;
	for (size_t i = 0; i < rep->nf; i++)
		n += strcmp(rep->f[i].kind, kind) == 0 && rep->f[i].level == level;
	return n;
}

static const rchk_finding *find_kind(const rchk_report *rep, const char *kind)
{
	for (size_t i = 0; i < rep->nf; i++)
		if (strcmp(rep->f[i].kind, kind) == 0)
			return &rep->f[i];
	return NULL;
}

static void free_groups(rchk_group *g, size_t n)
{
	for (size_t i = 0; i < n; i++)
		rchk_group_free(&g[i]);
}

static void rchk_places_groups(void)
{
	routes r;
	CHECK(parse("{\"groups\": {\"a\": \"target\", \"b\": \"legacy\"}}", &r) == 0);
	rchk_group g;
	group(&g, &r, "a", 1, 3, 0, -1, -1, NULL);
	CHECK(g.lives == CLUSTER_LEGACY && g.lives_by_commits && g.action == RCHK_FLIP);
	rchk_group_free(&g);
	group(&g, &r, "a", 1, 0, 3, -1, -1, NULL);
	CHECK(g.lives == CLUSTER_TARGET && g.action == RCHK_STAYS);
	rchk_group_free(&g);
	group(&g, &r, "a", 1, 0, 0, 0, 0, NULL);
	CHECK(g.lives == RCHK_NOWHERE && g.action == RCHK_NEW);
	rchk_group_free(&g);
	/* members decide over commits */
	group(&g, &r, "a", 1, 3, 3, 0, 2, NULL);
	CHECK(g.lives == CLUSTER_TARGET && !g.lives_by_commits && g.action == RCHK_STAYS);
	rchk_group_free(&g);
	group(&g, &r, "b", 1, 3, 3, 0, 2, NULL);
	CHECK(g.lives == CLUSTER_TARGET && g.action == RCHK_ROLLBACK);
	rchk_group_free(&g);
	group(&g, &r, "b", 1, 3, 3, 1, 2, NULL);
	CHECK(g.lives == RCHK_BOTH && g.action == RCHK_UNCLEAR);
	rchk_group_free(&g);
	/* commits on both, no members: target's are MM2's copies before a flip */
	group(&g, &r, "a", 1, 3, 3, -1, -1, NULL);
	CHECK(g.lives == RCHK_BOTH && g.action == RCHK_FLIP);
	rchk_group_free(&g);
	group(&g, &r, "b", 1, 3, 3, -1, -1, NULL);
	CHECK(g.lives == RCHK_BOTH && g.action == RCHK_STAYS);
	rchk_group_free(&g);
	/* topics stay sorted and unique */
	group(&g, &r, "a", 1, 0, 0, 0, 0, "t2");
	CHECK(rchk_group_add_topic(&g, "t1") == 0 && rchk_group_add_topic(&g, "t2") == 0);
	CHECK(g.ntopics == 2 && strcmp(g.topics[0], "t1") == 0 && strcmp(g.topics[1], "t2") == 0);
	rchk_group_free(&g);
	routes_free(&r);
}

static void rchk_clean_config(void)
{
	routes r;
	CHECK(parse("{\"groups\": {\"a\": \"target\"}}", &r) == 0);
	rchk_group g[1];
	group(&g[0], &r, "a", 1, 2, 0, -1, -1, "orders");
	xlate_partition parts[2] = {
	    {.topic = "orders", .partition = 0, .r = {.method = TRANSLATE_EXACT, .rereads_max = 0}},
	    {.topic = "orders", .partition = 1, .r = {.method = TRANSLATE_EXACT, .rereads_max = 0}},
	};
	xlate_group_result res = {.group = "a", .n = 2, .parts = parts};
	rchk_xlate_summarise(&res, NULL, &g[0].xl);
	CHECK(g[0].xl.ran && g[0].xl.n == 2 && g[0].xl.exact == 2 && g[0].xl.none == 0);
	char *tt[] = {"orders"};
	mirror_config mc;
	mirror_config_defaults(&mc);
	mc.policy = MIRROR_POLICY_IDENTITY;
	rchk_input in = {.r = &r, .mc = &mc, .groups = g, .ngroups = 1};
	in.cluster_topics[CLUSTER_TARGET] = tt;
	in.ncluster_topics[CLUSTER_TARGET] = 1;
	rchk_report rep = {0};
	CHECK(rchk_analyse(&in, &rep) == 0);
	CHECKF(rep.errors == 0 && rep.warnings == 0, "%zu errors %zu warnings: %s", rep.errors,
	       rep.warnings, rep.nf ? rep.f[0].message : "");
	CHECK(rep.ntopics == 1 && rep.topics[0].cluster == CLUSTER_TARGET &&
	      rep.topics[0].why == ROUTE_BY_GROUP && !rep.topics[0].conflict);
	/* the producers' route differs with nothing named: an info note only */
	CHECK(count_kind(&rep, "producers_follow_group", RCHK_INFO) == 1);
	rchk_report_free(&rep);
	/* the same group without mirror data for a partition, and with no mirror */
	parts[1].r.method = TRANSLATE_NONE;
	rchk_xlate_summarise(&res, NULL, &g[0].xl);
	CHECK(g[0].xl.none == 1 && strcmp(g[0].xl.untranslatable, "orders-1") == 0);
	CHECK(rchk_analyse(&in, &rep) == 0);
	CHECK(rep.errors == 1 && count_kind(&rep, "group_not_mirrored", RCHK_ERROR) == 1);
	CHECK(strstr(find_kind(&rep, "group_not_mirrored")->message, "orders-1") != NULL);
	rchk_report_free(&rep);
	in.mc = NULL;
	CHECK(rchk_analyse(&in, &rep) == 0);
	CHECK(rep.errors == 1 && count_kind(&rep, "no_mirror", RCHK_ERROR) == 1);
	rchk_report_free(&rep);
	/* a preview that could not run */
	in.mc = &mc;
	rchk_xlate_summarise(NULL, "not ready: checkpoints", &g[0].xl);
	CHECK(rchk_analyse(&in, &rep) == 0);
	CHECK(count_kind(&rep, "translation_failed", RCHK_ERROR) == 1);
	rchk_report_free(&rep);
	free_groups(g, 1);
	routes_free(&r);
}

static void rchk_topic_conflicts(void)
{
	routes r;
	/* (a) two groups apart; a producer route apart from a group; an
	 * override apart from a group */
	CHECK(parse("{\"groups\": {\"a\": \"target\", \"b\": \"legacy\", \"c\": \"legacy\"},"
	            " \"producers\": {\"topics\": {\"pay\": \"target\"}},"
	            " \"topics\": {\"logs\": \"target\"}}",
	            &r) == 0);
	rchk_group g[3];
	group(&g[0], &r, "a", 1, 0, 1, -1, -1, "shared");
	group(&g[1], &r, "b", 1, 1, 0, -1, -1, "shared");
	group(&g[2], &r, "c", 1, 1, 0, -1, -1, "pay");
	rchk_group_add_topic(&g[2], "logs");
	rchk_input in = {.r = &r, .groups = g, .ngroups = 3};
	rchk_report rep = {0};
	CHECK(rchk_analyse(&in, &rep) == 0);
	CHECKF(count_kind(&rep, "topic_conflict", RCHK_ERROR) == 3, "%zu errors", rep.errors);
	for (size_t i = 0; i < rep.ntopics; i++)
		CHECKF(rep.topics[i].conflict, "%s not a conflict", rep.topics[i].name);
	CHECK(rep.ntopics == 3);
	int saw[3] = {0};
	for (size_t i = 0; i < rep.nf; i++) {
		const char *m = rep.f[i].message;
		saw[0] |= strcmp(rep.f[i].subject, "shared") == 0 && strstr(m, "group a") &&
		          strstr(m, "group b");
		saw[1] |= strcmp(rep.f[i].subject, "pay") == 0 && strstr(m, "group c") &&
		          strstr(m, "produced to legacy");
		saw[2] |= strcmp(rep.f[i].subject, "logs") == 0 && strstr(m, "routes.topics");
	}
	CHECK(saw[0] && saw[1] && saw[2]);
	rchk_report_free(&rep);
	free_groups(g, 3);
	routes_free(&r);
}

static void rchk_producers_ahead(void)
{
	routes r;
	/* (b) producers of pay move to target; another service's group (not in
	 * routes) still consumes it on legacy */
	CHECK(parse("{\"producers\": {\"topics\": {\"pay\": \"target\"}}}", &r) == 0);
	rchk_group g[2];
	group(&g[0], &r, "reporting", 0, 4, 0, -1, -1, "pay");
	group(&g[1], &r, "moved", 0, 0, 4, -1, -1, "pay");
	rchk_input in = {.r = &r, .groups = g, .ngroups = 2};
	rchk_report rep = {0};
	CHECK(rchk_analyse(&in, &rep) == 0);
	CHECKF(rep.errors == 0 && rep.warnings == 1, "%zu/%zu: %s", rep.errors, rep.warnings,
	       rep.nf ? rep.f[rep.nf - 1].message : "");
	const rchk_finding *f = find_kind(&rep, "producers_ahead");
	CHECK(f && f->level == RCHK_WARN && strcmp(f->subject, "pay") == 0 &&
	      strstr(f->message, "group reporting") && strstr(f->message, "on legacy"));
	/* another service's group does not shape this service's view */
	CHECK(rep.ntopics == 1 && rep.topics[0].why == ROUTE_BY_PRODUCERS &&
	      rep.topics[0].cluster == CLUSTER_TARGET);
	rchk_report_free(&rep);
	free_groups(g, 2);
	routes_free(&r);

	/* service-wide producers moved while this service's group reads on
	 * legacy: the view follows the group, so that is a warning */
	CHECK(parse("{\"groups\": {\"a\": \"legacy\"}, \"producers\": {\"cluster\": \"target\"}}",
	            &r) == 0);
	group(&g[0], &r, "a", 1, 1, 0, -1, -1, "pay");
	in = (rchk_input){.r = &r, .groups = g, .ngroups = 1};
	CHECK(rchk_analyse(&in, &rep) == 0);
	CHECK(rep.errors == 0 && count_kind(&rep, "producers_follow_group", RCHK_WARN) == 1);
	rchk_report_free(&rep);
	free_groups(g, 1);
	routes_free(&r);
}

static void rchk_group_problems(void)
{
	routes r;
	CHECK(parse("{\"groups\": {\"a\": \"target\", \"b\": \"legacy\", \"c\": \"target\"}}",
	            &r) == 0);
	rchk_group g[3];
	/* (d) members already on target: the flip would wait */
	group(&g[0], &r, "a", 1, 2, 0, 3, 1, "orders");
	g[0].lives = CLUSTER_LEGACY; /* as if only legacy had members */
	g[0].side[CLUSTER_LEGACY].members = 3;
	g[0].side[CLUSTER_TARGET].members = 1;
	g[0].action = RCHK_FLIP;
	xlate_partition parts[1] = {{.topic = "orders",
	                             .partition = 0,
	                             .r = {.method = TRANSLATE_CONSERVATIVE, .rereads_max = 7}}};
	xlate_group_result res = {.group = "a", .n = 1, .parts = parts};
	rchk_xlate_summarise(&res, NULL, &g[0].xl);
	CHECK(g[0].xl.conservative == 1 && g[0].xl.rereads == 7);
	/* members on both clusters */
	group(&g[1], &r, "b", 1, 2, 2, 2, 2, NULL);
	/* routed to target with a topic missing there (default policy name) */
	group(&g[2], &r, "c", 1, 0, 0, 0, 0, "refunds");
	mirror_config mc;
	mirror_config_defaults(&mc);
	mc.source_alias = "legacy";
	mc.target_alias = "target";
	char *tt[] = {"legacy.orders"};
	rchk_input in = {.r = &r, .mc = &mc, .groups = g, .ngroups = 3};
	in.cluster_topics[CLUSTER_TARGET] = tt;
	in.ncluster_topics[CLUSTER_TARGET] = 1;
	rchk_report rep = {0};
	CHECK(rchk_analyse(&in, &rep) == 0);
	CHECK(count_kind(&rep, "target_group_busy", RCHK_WARN) == 1);
	CHECK(count_kind(&rep, "group_on_both", RCHK_ERROR) == 1);
	const rchk_finding *f = find_kind(&rep, "group_not_mirrored");
	CHECKF(f && strcmp(f->subject, "c") == 0 && strstr(f->message, "legacy.refunds"), "%s",
	       f ? f->message : "none");
	/* group a's orders exists on target as legacy.orders: no finding for it */
	CHECK(count_kind(&rep, "group_not_mirrored", RCHK_ERROR) == 1);
	CHECK(rep.errors == 2 && rep.warnings == 1);
	rchk_report_free(&rep);
	free_groups(g, 3);
	routes_free(&r);
}

static void rchk_untranslatable_list_truncates(void)
{
	xlate_partition parts[200];
	char names[200][20];
	for (int i = 0; i < 200; i++) {
		snprintf(names[i], sizeof(names[i]), "topic-%03d", i);
		parts[i] = (xlate_partition){.topic = names[i],
		                             .partition = i,
		                             .r = {.method = TRANSLATE_NONE, .rereads_max = -1}};
	}
	xlate_group_result res = {.group = "g", .n = 200, .parts = parts};
	rchk_xlate x;
	rchk_xlate_summarise(&res, NULL, &x);
	CHECK(x.none == 200 && x.n == 200 && x.rereads == 0 && !x.rereads_unknown);
	CHECK(strlen(x.untranslatable) < sizeof(x.untranslatable));
	CHECK(strncmp(x.untranslatable, "topic-000-0, topic-001-1", 24) == 0);
	CHECK(strstr(x.untranslatable, "...") != NULL);
}

TEST_TABLE(route_check_tests) = {
    {"rchk_places_groups", rchk_places_groups},
    {"rchk_clean_config", rchk_clean_config},
    {"rchk_topic_conflicts", rchk_topic_conflicts},
    {"rchk_producers_ahead", rchk_producers_ahead},
    {"rchk_group_problems", rchk_group_problems},
    {"rchk_untranslatable_list_truncates", rchk_untranslatable_list_truncates},
    {NULL, NULL},
};
