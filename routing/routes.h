/*
 * Routes: which cluster each consumer group, the producers and each topic
 * use, from the `routes` object of the configuration. Pure data and
 * lookups; the proxy adds what it learns at run time (which groups consume
 * which topics) when it asks routes_topic().
 *
 *   "default_cluster": "legacy",            (top level: everything else)
 *   "service": "orders",                    (picks routes.producers.services.orders)
 *   "routes": {
 *     "groups":    {"billing": "target",
 *                   "audit":   {"cluster": "target", "topics": ["payments"]}},
 *     "producers": {"cluster": "legacy", "topics": {"payments": "target"},
 *                   "services": {"orders": {"cluster": "target"}}},
 *     "topics":    {"audit-log": "target"}  (read overrides)
 *   }
 */
#ifndef TURNOUT_ROUTING_ROUTES_H
#define TURNOUT_ROUTING_ROUTES_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "routing/cfgjson.h"

typedef struct route_name {
	char *name;
	int cluster;
} route_name;

typedef struct route_group {
	char *name;
	int cluster;
	char **topics; /* topics the config says the group consumes */
	size_t ntopics;
} route_group;

typedef struct routes {
	int default_cluster;
	route_group *groups; /* sorted by name */
	size_t ngroups;
	int producers;              /* cluster the producers use */
	route_name *produce_topics; /* per-topic producer routes, sorted */
	size_t nproduce;
	route_name *read_topics; /* per-topic read overrides, sorted */
	size_t nread;
} routes;

/* obj is the `routes` object or NULL; service may be NULL. 0 on success;
 * on error out is freed and err says which field is wrong. */
int routes_parse(const cJSON *obj, const char *service, int default_cluster, routes *out, char *err,
                 size_t errlen);
void routes_free(routes *r);

/* A Kafka topic name (1-249 of [a-zA-Z0-9._-], not "." or ".."). */
int routes_valid_topic(const char *s, size_t len);

/* The group's entry, or NULL when the group follows the default. */
const route_group *routes_find_group(const routes *r, const char *name, size_t len);
int routes_group(const routes *r, const char *name, size_t len);
/* Cluster producers use for topic. */
int routes_producer(const routes *r, const char *topic, size_t len);

/* Why a topic is served from the cluster routes_topic() chose. */
typedef enum {
	ROUTE_BY_OVERRIDE,  /* routes.topics */
	ROUTE_BY_GROUP,     /* a group that consumes it */
	ROUTE_BY_PRODUCERS, /* routes.producers */
	ROUTE_BY_DEFAULT,
} route_reason;

/*
 * The one cluster a topic is served from in this service's metadata view.
 * group_clusters holds where each group known to consume the topic
 * (config and run time) is served; produced says the service is known to produce to it. Priority:
 * read override, consuming groups, producer route, default. *conflict is
 * set when the inputs disagree (two consuming groups on different clusters,
 * or consumers and the topic's producers apart): a
 * single metadata view cannot serve that, `turnout check` reports it.
 */
int routes_topic(const routes *r, const char *topic, size_t len, const int *group_clusters,
                 size_t ngroups, int produced, route_reason *why, int *conflict);

#endif
