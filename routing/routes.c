/*
 * Routes (see routes.h): parsed once per configuration snapshot into sorted
 * arrays, looked up with bsearch on the request path. Nothing here is
 * mutable after routes_parse(): a reload builds a new snapshot.
 */
#include "routing/routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int routes_valid_topic(const char *s, size_t len)
{
	if (len == 0 || len > 249 || (len == 1 && s[0] == '.') ||
	    (len == 2 && s[0] == '.' && s[1] == '.'))
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* Key compare for bsearch over a (ptr,len) key and NUL-terminated names. */
typedef struct {
	const char *p;
	size_t len;
} key;

static int cmp_key(const char *name, key k)
{
	size_t n = strlen(name);
	int c = memcmp(k.p, name, k.len < n ? k.len : n);
	if (c)
		return c;
	return k.len < n ? -1 : k.len > n;
}

static int cmp_route_name(const void *a, const void *b)
{
	return strcmp(((const route_name *)a)->name, ((const route_name *)b)->name);
}

static int cmp_route_group(const void *a, const void *b)
{
	return strcmp(((const route_group *)a)->name, ((const route_group *)b)->name);
}

static int find_name_key(const void *k, const void *e)
{
	return cmp_key(((const route_name *)e)->name, *(const key *)k);
}

static int find_group_key(const void *k, const void *e)
{
	return cmp_key(((const route_group *)e)->name, *(const key *)k);
}

/* {"topic": "cluster", ...} into a sorted array. */
static int parse_topic_map(const cJSON *obj, const char *where, route_name **out, size_t *n,
                           char *err, size_t errlen)
{
	if (!obj)
		return 0;
	if (!cJSON_IsObject(obj))
		return cfg_fail(err, errlen, where, "must be an object of topic: cluster");
	size_t cnt = (size_t)cJSON_GetArraySize(obj);
	if (cnt == 0)
		return 0;
	*out = calloc(cnt, sizeof(**out));
	if (!*out)
		return cfg_fail(err, errlen, where, "out of memory");
	const cJSON *it;
	cJSON_ArrayForEach(it, obj)
	{
		char field[600];
		snprintf(field, sizeof(field), "%.300s.%.250s", where, it->string);
		if (!routes_valid_topic(it->string, strlen(it->string)))
			return cfg_fail(err, errlen, field, "not a valid Kafka topic name");
		route_name *e = &(*out)[*n];
		if (cfg_cluster_value(it, field, &e->cluster, err, errlen))
			return -1;
		e->name = strdup(it->string);
		if (!e->name)
			return cfg_fail(err, errlen, field, "out of memory");
		(*n)++;
	}
	qsort(*out, *n, sizeof(**out), cmp_route_name);
	for (size_t i = 1; i < *n; i++)
		if (strcmp((*out)[i - 1].name, (*out)[i].name) == 0)
			return cfg_fail(err, errlen, where, "a topic is listed twice");
	return 0;
}

static int parse_group(const cJSON *it, const char *field, route_group *g, char *err, size_t errlen)
{
	g->name = strdup(it->string);
	if (!g->name)
		return cfg_fail(err, errlen, field, "out of memory");
	if (cJSON_IsString(it))
		return cfg_cluster_value(it, field, &g->cluster, err, errlen);
	if (!cJSON_IsObject(it))
		return cfg_fail(err, errlen, field,
		                "must be \"legacy\", \"target\" or {\"cluster\", \"topics\"}");
	static const char *const keys[] = {"cluster", "topics", NULL};
	if (cfg_only_keys(it, keys, field, err, errlen))
		return -1;
	char sub[700];
	snprintf(sub, sizeof(sub), "%s.cluster", field);
	if (cfg_cluster_value(cJSON_GetObjectItemCaseSensitive(it, "cluster"), sub, &g->cluster,
	                      err, errlen))
		return -1;
	const cJSON *topics = cJSON_GetObjectItemCaseSensitive(it, "topics");
	if (!topics)
		return 0;
	snprintf(sub, sizeof(sub), "%s.topics", field);
	if (!cJSON_IsArray(topics))
		return cfg_fail(err, errlen, sub, "must be an array of topic names");
	size_t cnt = (size_t)cJSON_GetArraySize(topics);
	g->topics = calloc(cnt ? cnt : 1, sizeof(char *));
	if (!g->topics)
		return cfg_fail(err, errlen, sub, "out of memory");
	const cJSON *t;
	cJSON_ArrayForEach(t, topics)
	{
		if (!cJSON_IsString(t) ||
		    !routes_valid_topic(t->valuestring, strlen(t->valuestring)))
			return cfg_fail(err, errlen, sub, "every entry must be a valid topic name");
		g->topics[g->ntopics] = strdup(t->valuestring);
		if (!g->topics[g->ntopics])
			return cfg_fail(err, errlen, sub, "out of memory");
		g->ntopics++;
	}
	return 0;
}

static int parse_groups(const cJSON *obj, routes *r, char *err, size_t errlen)
{
	if (!obj)
		return 0;
	if (!cJSON_IsObject(obj))
		return cfg_fail(err, errlen, "routes.groups", "must be an object of group: route");
	size_t cnt = (size_t)cJSON_GetArraySize(obj);
	if (cnt == 0)
		return 0;
	r->groups = calloc(cnt, sizeof(*r->groups));
	if (!r->groups)
		return cfg_fail(err, errlen, "routes.groups", "out of memory");
	const cJSON *it;
	cJSON_ArrayForEach(it, obj)
	{
		char field[600];
		snprintf(field, sizeof(field), "routes.groups.%.500s", it->string);
		if (!it->string[0])
			return cfg_fail(err, errlen, "routes.groups", "a group id is empty");
		route_group *g = &r->groups[r->ngroups++];
		if (parse_group(it, field, g, err, errlen))
			return -1;
	}
	qsort(r->groups, r->ngroups, sizeof(*r->groups), cmp_route_group);
	for (size_t i = 1; i < r->ngroups; i++)
		if (strcmp(r->groups[i - 1].name, r->groups[i].name) == 0)
			return cfg_fail(err, errlen, "routes.groups", "a group is listed twice");
	return 0;
}

/* {"cluster", "topics"} for producers, at where; cluster stays if absent. */
static int parse_producer_block(const cJSON *obj, const char *where, int allow_services, routes *r,
                                char *err, size_t errlen)
{
	if (!cJSON_IsObject(obj))
		return cfg_fail(err, errlen, where, "must be an object");
	static const char *const keys[] = {"cluster", "topics", "services", NULL};
	static const char *const svc_keys[] = {"cluster", "topics", NULL};
	if (cfg_only_keys(obj, allow_services ? keys : svc_keys, where, err, errlen))
		return -1;
	char field[600];
	const cJSON *cl = cJSON_GetObjectItemCaseSensitive(obj, "cluster");
	snprintf(field, sizeof(field), "%.500s.cluster", where);
	if (cl && cfg_cluster_value(cl, field, &r->producers, err, errlen))
		return -1;
	const cJSON *topics = cJSON_GetObjectItemCaseSensitive(obj, "topics");
	if (topics) {
		/* a service's own topic routes replace the shared ones */
		for (size_t i = 0; i < r->nproduce; i++)
			free(r->produce_topics[i].name);
		free(r->produce_topics);
		r->produce_topics = NULL;
		r->nproduce = 0;
		snprintf(field, sizeof(field), "%.500s.topics", where);
		if (parse_topic_map(topics, field, &r->produce_topics, &r->nproduce, err, errlen))
			return -1;
	}
	return 0;
}

static int parse_producers(const cJSON *obj, const char *service, routes *r, char *err,
                           size_t errlen)
{
	if (!obj)
		return 0;
	if (parse_producer_block(obj, "routes.producers", 1, r, err, errlen))
		return -1;
	const cJSON *svcs = cJSON_GetObjectItemCaseSensitive(obj, "services");
	if (!svcs)
		return 0;
	if (!cJSON_IsObject(svcs))
		return cfg_fail(err, errlen, "routes.producers.services",
		                "must be an object of service: {cluster, topics}");
	if (cfg_no_repeats(svcs, "routes.producers.services", err, errlen))
		return -1;
	const cJSON *it;
	const cJSON *mine = NULL;
	cJSON_ArrayForEach(it, svcs)
	{
		/* validate every service's block, apply only ours */
		char field[600];
		snprintf(field, sizeof(field), "routes.producers.services.%.400s", it->string);
		routes scratch = {.producers = r->producers};
		int bad = parse_producer_block(it, field, 0, &scratch, err, errlen);
		routes_free(&scratch);
		if (bad)
			return -1;
		if (service && strcmp(service, it->string) == 0)
			mine = it;
	}
	if (mine) {
		char field[600];
		snprintf(field, sizeof(field), "routes.producers.services.%.400s", mine->string);
		return parse_producer_block(mine, field, 0, r, err, errlen);
	}
	return 0;
}

int routes_parse(const cJSON *obj, const char *service, int default_cluster, routes *out, char *err,
                 size_t errlen)
{
	memset(out, 0, sizeof(*out));
	out->default_cluster = default_cluster;
	out->producers = default_cluster;
	if (!obj)
		return 0;
	if (!cJSON_IsObject(obj))
		return cfg_fail(err, errlen, "routes", "must be an object");
	static const char *const keys[] = {"groups", "producers", "topics", NULL};
	if (cfg_only_keys(obj, keys, "routes", err, errlen) ||
	    parse_groups(cJSON_GetObjectItemCaseSensitive(obj, "groups"), out, err, errlen) ||
	    parse_producers(cJSON_GetObjectItemCaseSensitive(obj, "producers"), service, out, err,
	                    errlen) ||
	    parse_topic_map(cJSON_GetObjectItemCaseSensitive(obj, "topics"), "routes.topics",
	                    &out->read_topics, &out->nread, err, errlen)) {
		routes_free(out);
		return -1;
	}
	return 0;
}

void routes_free(routes *r)
{
	for (size_t i = 0; i < r->ngroups; i++) {
		free(r->groups[i].name);
		for (size_t j = 0; j < r->groups[i].ntopics; j++)
			free(r->groups[i].topics[j]);
		free(r->groups[i].topics);
	}
	free(r->groups);
	for (size_t i = 0; i < r->nproduce; i++)
		free(r->produce_topics[i].name);
	free(r->produce_topics);
	for (size_t i = 0; i < r->nread; i++)
		free(r->read_topics[i].name);
	free(r->read_topics);
	memset(r, 0, sizeof(*r));
}

const route_group *routes_find_group(const routes *r, const char *name, size_t len)
{
	key k = {name, len};
	return r->ngroups ? bsearch(&k, r->groups, r->ngroups, sizeof(*r->groups), find_group_key)
	                  : NULL;
}

int routes_group(const routes *r, const char *name, size_t len)
{
	const route_group *g = routes_find_group(r, name, len);
	return g ? g->cluster : r->default_cluster;
}

static const route_name *find_topic(const route_name *a, size_t n, const char *t, size_t len)
{
	key k = {t, len};
	return n ? bsearch(&k, a, n, sizeof(*a), find_name_key) : NULL;
}

int routes_producer(const routes *r, const char *topic, size_t len)
{
	const route_name *e = find_topic(r->produce_topics, r->nproduce, topic, len);
	return e ? e->cluster : r->producers;
}

int routes_topic(const routes *r, const char *topic, size_t len, const int *group_clusters,
                 size_t ngroups, int produced, route_reason *why, int *conflict)
{
	*conflict = 0;
	int by_group = -1;
	for (size_t i = 0; i < ngroups; i++) {
		int c = group_clusters[i];
		if (by_group >= 0 && c != by_group)
			*conflict = 1;
		if (by_group < 0)
			by_group = c;
	}
	const route_name *pt = find_topic(r->produce_topics, r->nproduce, topic, len);
	int by_producer = pt ? pt->cluster : r->producers;
	/* producers that route anywhere but the default make the topic theirs */
	int producer_set = pt || r->producers != r->default_cluster;
	if (by_group >= 0 && (pt || produced) && by_producer != by_group)
		*conflict = 1;
	const route_name *ov = find_topic(r->read_topics, r->nread, topic, len);
	if (ov) {
		*why = ROUTE_BY_OVERRIDE;
		return ov->cluster;
	}
	if (by_group >= 0) {
		*why = ROUTE_BY_GROUP;
		return by_group;
	}
	if (producer_set) {
		*why = ROUTE_BY_PRODUCERS;
		return by_producer;
	}
	*why = ROUTE_BY_DEFAULT;
	return r->default_cluster;
}
