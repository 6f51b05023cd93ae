/*
 * `turnout check`'s read-only look at one cluster (see check_probe.h).
 *
 *   check_probe_open:   a librdkafka producer handle configured by
 *                       mirror_rk_conf (bootstrap, TLS, SASL, MSK IAM: the
 *                       same mapping the translation engine uses), used for
 *                       metadata and the admin calls; plus the translation
 *                       client (mm2_client) for committed offsets.
 *   check_probe_cluster:     Metadata (all topics), cluster id, controller.
 *   check_probe_list_groups: ListGroups + DescribeGroups of each group
 *                            (rd_kafka_list_groups), kept for the next step.
 *   check_probe_groups:      state, members and the members' topics
 *                            (ConsumerProtocol subscription and assignment,
 *                            wire/consumer_protocol.c) of each group, then
 *                            its committed offsets (ListConsumerGroupOffsets).
 * Each call is bounded by its timeout.
 */
#include "routing/check_probe.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "routing/mm2_client.h"
#include "routing/mm2_names.h"
#include "routing/mm2_rdkafka.h"
#include "wire/arena.h"
#include "wire/consumer_protocol.h"

/* Partitions asked for one by one when "all" gets no answer. */
enum { PROBE_EXPLICIT_MAX = 20000 };

struct check_probe {
	rd_kafka_t *rk;
	mm2_rk_status status;
	int status_init;
	const config_cluster *cluster;
	mm2_client *offsets;                   /* created on first use */
	const struct rd_kafka_group_list *all; /* every group, described; NULL if not listed */
	char name[32];
};

check_probe *check_probe_open(const config_cluster *cluster, const char *name, char *err,
                              size_t errlen)
{
	rd_kafka_conf_t *conf = NULL;
	check_probe *p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->cluster = cluster;
	snprintf(p->name, sizeof(p->name), "%s", name);
	char id[64];
	snprintf(id, sizeof(id), "turnout-check-%s", name);
	if (mm2_rk_status_init(&p->status, id)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	p->status_init = 1;
	conf = mirror_rk_conf(cluster, id, &p->status, err, errlen);
	if (!conf)
		goto fail;
	char why[256];
	p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why));
	if (!p->rk) {
		snprintf(err, errlen, "cannot create a client for %s: %s", name, why);
		goto fail;
	}
	conf = NULL;
	return p;
fail:
	if (conf)
		rd_kafka_conf_destroy(conf);
	check_probe_close(p);
	return NULL;
}

void check_probe_close(check_probe *p)
{
	if (!p)
		return;
	mm2_client_free(p->offsets);
	if (p->all)
		rd_kafka_group_list_destroy(p->all);
	if (p->rk)
		rd_kafka_destroy(p->rk);
	if (p->status_init)
		mm2_rk_status_destroy(&p->status);
	free(p);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void check_probe_cluster(check_probe *p, int timeout_ms, check_cluster_info *out)
{
	memset(out, 0, sizeof(*out));
	out->controller = -1;
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t e = rd_kafka_metadata(p->rk, 1, NULL, &md, timeout_ms);
	if (e) {
		char last[256];
		rd_kafka_poll(p->rk, 0); /* serves the error callback */
		mm2_rk_status_get(&p->status, last, sizeof(last));
		snprintf(out->error, sizeof(out->error), "no metadata from %s within %d ms: %s%s%s",
		         p->cluster->bootstrap, timeout_ms, rd_kafka_err2str(e),
		         last[0] ? "; " : "", last);
		return;
	}
	out->reachable = 1;
	out->nbrokers = md->broker_cnt;
	size_t used = 0;
	for (int i = 0; i < md->broker_cnt && used < sizeof(out->brokers); i++) {
		int len = snprintf(out->brokers + used, sizeof(out->brokers) - used, "%s%d=%s:%d",
		                   i ? " " : "", (int)md->brokers[i].id, md->brokers[i].host,
		                   md->brokers[i].port);
		if (len < 0)
			break;
		used += (size_t)len;
	}
	out->topics = calloc((size_t)md->topic_cnt + 1, sizeof(*out->topics));
	out->partitions = calloc((size_t)md->topic_cnt + 1, sizeof(*out->partitions));
	for (int i = 0; out->topics && out->partitions && i < md->topic_cnt; i++) {
		if (md->topics[i].err)
			continue;
		char *t = strdup(md->topics[i].topic);
		if (!t)
			break;
		out->topics[out->ntopics++] = t;
	}
	if (out->ntopics) /* sort names, then look the counts up again */
		qsort(out->topics, out->ntopics, sizeof(*out->topics), cmp_str);
	for (size_t k = 0; k < out->ntopics; k++)
		for (int i = 0; i < md->topic_cnt; i++)
			if (strcmp(md->topics[i].topic, out->topics[k]) == 0)
				out->partitions[k] = md->topics[i].partition_cnt;
	rd_kafka_metadata_destroy(md);
	out->controller = rd_kafka_controllerid(p->rk, 1000);
	out->cluster_id = rd_kafka_clusterid(p->rk, 1000); /* librdkafka's malloc */
	if (out->cluster_id) {
		char *copy = strdup(out->cluster_id);
		rd_kafka_mem_free(p->rk, out->cluster_id);
		out->cluster_id = copy;
	}
}

void check_cluster_info_free(check_cluster_info *ci)
{
	for (size_t i = 0; i < ci->ntopics; i++)
		free(ci->topics[i]);
	free(ci->topics);
	free(ci->partitions);
	for (size_t i = 0; i < ci->ngroups; i++)
		free(ci->groups[i]);
	free(ci->groups);
	free(ci->cluster_id);
	memset(ci, 0, sizeof(*ci));
}

void check_probe_list_groups(check_probe *p, int timeout_ms, check_cluster_info *out)
{
	/* ListGroups, then DescribeGroups of every group found, on every
	 * broker (librdkafka's rd_kafka_list_groups); kept for describe().
	 * (librdkafka 2.0.2's ListConsumerGroups leaks when a broker refuses.) */
	const struct rd_kafka_group_list *gl = NULL;
	rd_kafka_resp_err_t e = rd_kafka_list_groups(p->rk, NULL, &gl, timeout_ms);
	if (e) {
		snprintf(out->list_error, sizeof(out->list_error), "listing consumer groups: %s",
		         rd_kafka_err2str(e));
		out->unsupported = e == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE;
		return;
	}
	p->all = gl;
	out->groups = calloc((size_t)gl->group_cnt + 1, sizeof(*out->groups));
	for (int i = 0; out->groups && i < gl->group_cnt; i++) {
		const struct rd_kafka_group_info *g = &gl->groups[i];
		/* consumer groups and commit-only ones; not Connect's workers */
		if (g->err || (g->protocol_type && g->protocol_type[0] &&
		               strcmp(g->protocol_type, "consumer") != 0))
			continue;
		char *name = strdup(g->group);
		if (!name)
			break;
		out->groups[out->ngroups++] = name;
	}
	if (out->ngroups)
		qsort(out->groups, out->ngroups, sizeof(*out->groups), cmp_str);
	out->listed = out->groups != NULL;
}

/* A topic named on cluster, added to g under its legacy name. */
static void add_topic(rchk_group *g, const mirror_config *mc, int cluster, const char *topic,
                      size_t len)
{
	char name[512], src[512];
	snprintf(name, sizeof(name), "%.*s", (int)(len < 500 ? len : 500), topic);
	if (cluster == CLUSTER_TARGET && mc &&
	    mm2_names_source_topic(mc, name, src, sizeof(src)) == 0)
		rchk_group_add_topic(g, src);
	else
		rchk_group_add_topic(g, name);
}

/* The topics a member subscribes to and is assigned (ConsumerProtocol
 * bytes; anything unreadable is skipped: the commits still count). */
static void member_topics(const struct rd_kafka_group_member_info *m, const mirror_config *mc,
                          int cluster, rchk_group *g)
{
	wire_arena a;
	wire_arena_init(&a, 1 << 20);
	char err[128];
	int16_t v;
	wire_consumer_protocol_subscription sub;
	if (m->member_metadata && m->member_metadata_size > 0 &&
	    wire_subscription_parse(m->member_metadata, (size_t)m->member_metadata_size, &a, &sub,
	                            &v, err, sizeof(err)) == 0)
		for (int32_t i = 0; i < sub.topics.n; i++)
			if (sub.topics.v[i].len > 0)
				add_topic(g, mc, cluster, sub.topics.v[i].p,
				          (size_t)sub.topics.v[i].len);
	wire_consumer_protocol_assignment as;
	if (m->member_assignment && m->member_assignment_size > 0 &&
	    wire_assignment_parse(m->member_assignment, (size_t)m->member_assignment_size, &a, &as,
	                          &v, err, sizeof(err)) == 0)
		for (int32_t i = 0; i < as.assigned_partitions.n; i++) {
			wire_str t = as.assigned_partitions.v[i].topic;
			if (t.len > 0)
				add_topic(g, mc, cluster, t.p, (size_t)t.len);
		}
	wire_arena_reset(&a);
}

static void describe_one(const struct rd_kafka_group_info *gi, const mirror_config *mc, int cluster,
                         rchk_group *g)
{
	rchk_side *s = &g->side[cluster];
	if (gi->err) {
		snprintf(s->err, sizeof(s->err), "describing the group: %s",
		         rd_kafka_err2str(gi->err));
		return;
	}
	s->described = 1;
	snprintf(s->state, sizeof(s->state), "%s", gi->state ? gi->state : "?");
	s->members = gi->member_cnt;
	if (!gi->protocol_type || strcmp(gi->protocol_type, "consumer") == 0)
		for (int k = 0; k < gi->member_cnt; k++)
			member_topics(&gi->members[k], mc, cluster, g);
}

static void describe(check_probe *p, const mirror_config *mc, int cluster, rchk_group *groups,
                     size_t n, int timeout_ms)
{
	for (size_t i = 0; i < n; i++) {
		rchk_group *g = &groups[i];
		const struct rd_kafka_group_info *gi = NULL;
		for (int k = 0; p->all && k < p->all->group_cnt && !gi; k++)
			if (strcmp(p->all->groups[k].group, g->name) == 0)
				gi = &p->all->groups[k];
		if (gi) {
			describe_one(gi, mc, cluster, g);
			continue;
		}
		const struct rd_kafka_group_list *one = NULL;
		rd_kafka_resp_err_t e = rd_kafka_list_groups(p->rk, g->name, &one, timeout_ms);
		if (e) {
			snprintf(g->side[cluster].err, sizeof(g->side[cluster].err),
			         "describing the group: %s", rd_kafka_err2str(e));
			continue;
		}
		for (int k = 0; k < one->group_cnt; k++)
			if (strcmp(one->groups[k].group, g->name) == 0)
				describe_one(&one->groups[k], mc, cluster, g);
		rd_kafka_group_list_destroy(one);
	}
}

/* Every partition of every topic of ci (but Kafka's own), for brokers that
 * do not answer a request for "all of the group's partitions". */
static rd_kafka_topic_partition_list_t *all_partitions(const check_cluster_info *ci)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(64);
	int total = 0;
	for (size_t i = 0; l && i < ci->ntopics && total < PROBE_EXPLICIT_MAX; i++) {
		if (strncmp(ci->topics[i], "__", 2) == 0)
			continue;
		for (int k = 0; k < ci->partitions[i] && total < PROBE_EXPLICIT_MAX; k++, total++)
			rd_kafka_topic_partition_list_add(l, ci->topics[i], k);
	}
	return l;
}

static void committed(check_probe *p, const check_cluster_info *ci, const mirror_config *mc,
                      int cluster, rchk_group *g, int timeout_ms)
{
	rchk_side *s = &g->side[cluster];
	char err[sizeof(s->err)];
	if (!p->offsets && !(p->offsets = mm2_client_new(p->cluster, p->name, err, sizeof(err)))) {
		snprintf(s->err, sizeof(s->err), "%s", err);
		return;
	}
	rd_kafka_topic_partition_list_t *got = NULL, *ask = NULL;
	int rc =
	    mm2_client_committed(p->offsets, g->name, NULL, timeout_ms, &got, err, sizeof(err));
	if (rc || !got || got->cnt == 0) {
		/* librdkafka's mock answers "all" with nothing: name them */
		if (got)
			rd_kafka_topic_partition_list_destroy(got);
		got = NULL;
		ask = all_partitions(ci);
		rc = !ask            ? -1
		     : ask->cnt == 0 ? 0
		                     : mm2_client_committed(p->offsets, g->name, ask, timeout_ms,
		                                            &got, err, sizeof(err));
	}
	if (rc) {
		snprintf(s->err, sizeof(s->err), "%s", ask ? err : "out of memory");
		s->committed = -1;
	} else {
		s->committed = 0;
		for (int i = 0; got && i < got->cnt; i++) {
			const rd_kafka_topic_partition_t *tp = &got->elems[i];
			if (tp->err || tp->offset < 0)
				continue;
			s->committed++;
			add_topic(g, mc, cluster, tp->topic, strlen(tp->topic));
		}
	}
	if (ask)
		rd_kafka_topic_partition_list_destroy(ask);
	if (got)
		rd_kafka_topic_partition_list_destroy(got);
}

void check_probe_groups(check_probe *p, const check_cluster_info *ci, const mirror_config *mc,
                        int cluster, rchk_group *groups, size_t n, int timeout_ms)
{
	for (size_t i = 0; i < n; i++) {
		rchk_side *s = &groups[i].side[cluster];
		memset(s, 0, sizeof(*s));
		s->members = -1;
		s->committed = -1;
		s->reachable = ci->reachable;
		if (!ci->reachable)
			snprintf(s->err, sizeof(s->err), "cluster not reachable");
	}
	if (!ci->reachable || n == 0)
		return;
	if (ci->unsupported)
		/* asking anyway would only wait for the timeout: librdkafka keeps
		 * the request until then */
		for (size_t i = 0; i < n; i++)
			snprintf(groups[i].side[cluster].err, sizeof(groups[i].side[cluster].err),
			         "the cluster does not support DescribeGroups: state and members "
			         "unknown");
	else
		describe(p, mc, cluster, groups, n, timeout_ms);
	for (size_t i = 0; i < n; i++)
		committed(p, ci, mc, cluster, &groups[i], timeout_ms);
}
