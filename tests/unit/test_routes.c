/* Routes: parsing, strictness, and the topic-view rules of routes_topic(). */
#include <stdlib.h>
#include <string.h>

#include "routing/routes.h"
#include "tests/unit/check.h"

static int parse(const char *json, const char *service, int def, routes *r, char *err,
                 size_t errlen)
{
	cJSON *o = cJSON_Parse(json);
	if (!o) {
		snprintf(err, errlen, "bad test json");
		return -1;
	}
	int rc = routes_parse(o, service, def, r, err, errlen);
	cJSON_Delete(o);
	return rc;
}

static const char *full =
    "{\"groups\": {\"billing\": \"target\", \"audit\": {\"cluster\": \"target\", "
    "\"topics\": [\"payments\", \"refunds\"]}, \"reports\": \"legacy\"},"
    " \"producers\": {\"cluster\": \"legacy\", \"topics\": {\"payments\": \"target\"},"
    "   \"services\": {\"orders\": {\"cluster\": \"target\"}, \"shipping\": "
    "     {\"topics\": {\"parcels\": \"target\"}}}},"
    " \"topics\": {\"audit-log\": \"target\"}}";

static void routes_lookups(void)
{
	routes r;
	char err[256] = "";
	CHECKF(parse(full, NULL, CLUSTER_LEGACY, &r, err, sizeof(err)) == 0, "%s", err);
	CHECK(routes_group(&r, "billing", 7) == CLUSTER_TARGET);
	CHECK(routes_group(&r, "reports", 7) == CLUSTER_LEGACY);
	CHECK(routes_group(&r, "unknown", 7) == CLUSTER_LEGACY);
	CHECK(routes_group(&r, "bill", 4) == CLUSTER_LEGACY); /* prefixes do not match */
	const route_group *g = routes_find_group(&r, "audit", 5);
	CHECK(g && g->ntopics == 2 && strcmp(g->topics[1], "refunds") == 0);
	CHECK(routes_producer(&r, "payments", 8) == CLUSTER_TARGET);
	CHECK(routes_producer(&r, "parcels", 7) == CLUSTER_LEGACY); /* not our service */
	routes_free(&r);
}

static void routes_service_overrides(void)
{
	routes r;
	char err[256] = "";
	CHECKF(parse(full, "orders", CLUSTER_LEGACY, &r, err, sizeof(err)) == 0, "%s", err);
	CHECK(r.producers == CLUSTER_TARGET);
	CHECK(routes_producer(&r, "anything", 8) == CLUSTER_TARGET);
	CHECK(routes_producer(&r, "payments", 8) == CLUSTER_TARGET);
	routes_free(&r);
	CHECKF(parse(full, "shipping", CLUSTER_LEGACY, &r, err, sizeof(err)) == 0, "%s", err);
	CHECK(routes_producer(&r, "parcels", 7) == CLUSTER_TARGET);
	/* a service's topic map replaces the shared one */
	CHECK(routes_producer(&r, "payments", 8) == CLUSTER_LEGACY);
	routes_free(&r);
}

static void routes_topic_view(void)
{
	routes r;
	char err[256] = "";
	route_reason why;
	int conflict;
	CHECKF(parse(full, NULL, CLUSTER_LEGACY, &r, err, sizeof(err)) == 0, "%s", err);
	/* read override wins over everything */
	const int g_reports[] = {CLUSTER_LEGACY};
	CHECK(routes_topic(&r, "audit-log", 9, g_reports, 1, 0, &why, &conflict) == CLUSTER_TARGET);
	CHECK(why == ROUTE_BY_OVERRIDE);
	/* a consuming group decides */
	const int g_billing[] = {CLUSTER_TARGET};
	CHECK(routes_topic(&r, "invoices", 8, g_billing, 1, 0, &why, &conflict) == CLUSTER_TARGET);
	CHECK(why == ROUTE_BY_GROUP && !conflict);
	/* two consuming groups on different clusters: conflict */
	const int g_both[] = {CLUSTER_TARGET, CLUSTER_LEGACY};
	routes_topic(&r, "invoices", 8, g_both, 2, 0, &why, &conflict);
	CHECK(conflict);
	/* a topic produced to legacy and consumed on target: conflict */
	routes_topic(&r, "invoices", 8, g_billing, 1, 1, &why, &conflict);
	CHECK(conflict);
	/* explicit producer route that agrees with the group: fine */
	routes_topic(&r, "payments", 8, g_billing, 1, 1, &why, &conflict);
	CHECK(!conflict);
	/* producer route alone */
	CHECK(routes_topic(&r, "payments", 8, NULL, 0, 0, &why, &conflict) == CLUSTER_TARGET);
	CHECK(why == ROUTE_BY_PRODUCERS);
	CHECK(routes_topic(&r, "other", 5, NULL, 0, 0, &why, &conflict) == CLUSTER_LEGACY);
	CHECK(why == ROUTE_BY_DEFAULT);
	routes_free(&r);
}

static void routes_rejects(void)
{
	static const struct {
		const char *json, *field;
	} bad[] = {
	    {"[]", "routes: must be an object"},
	    {"{\"group\": {}}", "routes.group: unknown key"},
	    {"{\"groups\": {\"g\": \"targte\"}}", "routes.groups.g: must be"},
	    {"{\"groups\": {\"g\": 3}}", "routes.groups.g: must be"},
	    {"{\"groups\": {\"g\": {\"cluster\": \"target\", \"topic\": []}}}",
	     "routes.groups.g.topic: unknown key"},
	    {"{\"groups\": {\"g\": {\"topics\": [\"a\"]}}}", "routes.groups.g.cluster: must be"},
	    {"{\"groups\": {\"g\": {\"cluster\": \"target\", \"topics\": [\"a b\"]}}}",
	     "routes.groups.g.topics: every entry"},
	    {"{\"groups\": {\"\": \"target\"}}", "routes.groups: a group id is empty"},
	    {"{\"groups\": {\"g\": \"target\", \"g\": \"legacy\"}}", "listed twice"},
	    {"{\"topics\": {\"a/b\": \"target\"}}", "routes.topics.a/b: not a valid"},
	    {"{\"topics\": []}", "routes.topics: must be an object"},
	    {"{\"producers\": \"target\"}", "routes.producers: must be an object"},
	    {"{\"producers\": {\"clster\": \"target\"}}", "routes.producers.clster: unknown key"},
	    {"{\"producers\": {\"services\": {\"s\": {\"services\": {}}}}}",
	     "routes.producers.services.s.services: unknown key"},
	    {"{\"producers\": {\"services\": {\"s\": {\"cluster\": \"nowhere\"}}}}",
	     "routes.producers.services.s.cluster: must be"},
	    {"{\"producers\": {\"services\": {\"s\": {}, \"s\": {}}}}",
	     "routes.producers.services.s: repeated key"},
	    {"{\"producers\": {\"cluster\": \"target\", \"cluster\": \"legacy\"}}",
	     "routes.producers.cluster: repeated key"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		routes r;
		char err[256] = "";
		int rc = parse(bad[i].json, "s", CLUSTER_LEGACY, &r, err, sizeof(err));
		CHECKF(rc == -1 && strstr(err, bad[i].field), "case %zu: rc %d err '%s'", i, rc,
		       err);
	}
}

static void routes_topic_names(void)
{
	CHECK(routes_valid_topic("a.b_c-D9", 8));
	CHECK(!routes_valid_topic(".", 1));
	CHECK(!routes_valid_topic("..", 2));
	CHECK(!routes_valid_topic("", 0));
	char longname[251];
	memset(longname, 'x', sizeof(longname));
	CHECK(routes_valid_topic(longname, 249));
	CHECK(!routes_valid_topic(longname, 250));
}

TEST_TABLE(routes_tests) = {
    {"routes_lookups", routes_lookups},
    {"routes_service_overrides", routes_service_overrides},
    {"routes_topic_view", routes_topic_view},
    {"routes_rejects", routes_rejects},
    {"routes_topic_names", routes_topic_names},
    {NULL, NULL},
};
