/*
 * `turnout check`'s read-only look at one cluster (see check_probe.h).
 *
 *   check_probe_open:   a librdkafka producer handle configured by
 *                       mirror_rk_conf (bootstrap, TLS, SASL, MSK IAM: the
 *                       same mapping the translation engine uses), used for
 *                       metadata and the admin calls; plus the translation
 *                       client (mm2_client) for committed offsets.
 *   check_probe_cluster:     Metadata (all topics), cluster id, controller.
 *   check_probe_list_groups: ListConsumerGroups.
 *   check_probe_groups:      DescribeConsumerGroups for all groups at once,
 *                            then ListConsumerGroupOffsets per group.
 * Admin results arrive on a private queue; each wait is bounded.
 */
#include "routing/check_probe.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "routing/mm2_client.h"
#include "routing/mm2_names.h"
#include "routing/mm2_rdkafka.h"

/* Partitions asked for one by one when "all" gets no answer. */
enum { PROBE_EXPLICIT_MAX = 20000 };

struct check_probe {
	rd_kafka_t *rk;
	rd_kafka_queue_t *q; /* admin results */
	mm2_rk_status status;
	int status_init;
	const config_cluster *cluster;
	mm2_client *offsets; /* created on first use */
	char name[32];
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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
	if (!(p->q = rd_kafka_queue_new(p->rk))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
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
	if (p->q)
		rd_kafka_queue_destroy(p->q);
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

static rd_kafka_AdminOptions_t *opts(check_probe *p, rd_kafka_admin_op_t op, int timeout_ms)
{
	rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(p->rk, op);
	char why[128];
	if (o && rd_kafka_AdminOptions_set_request_timeout(o, timeout_ms, why, sizeof(why))) {
		rd_kafka_AdminOptions_destroy(o);
		return NULL;
	}
	return o;
}

/* The admin result of type want, or NULL with err. */
static rd_kafka_event_t *wait_result(check_probe *p, rd_kafka_event_type_t want, int timeout_ms,
                                     const char *what, char *err, size_t errlen)
{
	int64_t deadline = now_ms() + timeout_ms + 1000;
	for (;;) {
		int64_t left = deadline - now_ms();
		if (left <= 0)
			break;
		rd_kafka_poll(p->rk, 0);
		rd_kafka_event_t *ev = rd_kafka_queue_poll(p->q, (int)(left < 200 ? left : 200));
		if (!ev)
			continue;
		if (rd_kafka_event_type(ev) != want) {
			rd_kafka_event_destroy(ev);
			continue;
		}
		if (rd_kafka_event_error(ev)) {
			snprintf(err, errlen, "%s: %s", what, rd_kafka_event_error_string(ev));
			rd_kafka_event_destroy(ev);
			return NULL;
		}
		return ev;
	}
	snprintf(err, errlen, "%s: no answer within %d ms", what, timeout_ms);
	return NULL;
}

void check_probe_list_groups(check_probe *p, int timeout_ms, check_cluster_info *out)
{
	rd_kafka_AdminOptions_t *o = opts(p, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, timeout_ms);
	if (!o) {
		snprintf(out->list_error, sizeof(out->list_error), "out of memory");
		return;
	}
	rd_kafka_ListConsumerGroups(p->rk, o, p->q);
	rd_kafka_AdminOptions_destroy(o);
	rd_kafka_event_t *ev =
	    wait_result(p, RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT, timeout_ms,
	                "listing consumer groups", out->list_error, sizeof(out->list_error));
	if (!ev)
		return;
	const rd_kafka_ListConsumerGroups_result_t *res =
	    rd_kafka_event_ListConsumerGroups_result(ev);
	size_t nerr = 0, n = 0;
	const rd_kafka_error_t **errs = rd_kafka_ListConsumerGroups_result_errors(res, &nerr);
	const rd_kafka_ConsumerGroupListing_t **v =
	    rd_kafka_ListConsumerGroups_result_valid(res, &n);
	if (nerr && n == 0) {
		/* every broker refused: the cluster cannot list (ListGroups) */
		snprintf(out->list_error, sizeof(out->list_error), "listing consumer groups: %s",
		         rd_kafka_error_string(errs[0]));
		out->unsupported =
		    rd_kafka_error_code(errs[0]) == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE;
		rd_kafka_event_destroy(ev);
		return;
	}
	out->groups = calloc(n + 1, sizeof(*out->groups));
	for (size_t i = 0; out->groups && i < n; i++) {
		char *g = strdup(rd_kafka_ConsumerGroupListing_group_id(v[i]));
		if (!g)
			break;
		out->groups[out->ngroups++] = g;
	}
	if (out->ngroups)
		qsort(out->groups, out->ngroups, sizeof(*out->groups), cmp_str);
	out->listed = out->groups != NULL;
	if (nerr)
		snprintf(out->list_error, sizeof(out->list_error),
		         "some brokers did not list their groups: %s",
		         rd_kafka_error_string(errs[0]));
	rd_kafka_event_destroy(ev);
}

static rchk_group *find_group(rchk_group *groups, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(groups[i].name, name) == 0)
			return &groups[i];
	return NULL;
}

/* A topic named on cluster, added to g under its legacy name. */
static void add_topic(rchk_group *g, const mirror_config *mc, int cluster, const char *topic)
{
	char src[512];
	if (cluster == CLUSTER_TARGET && mc &&
	    mm2_names_source_topic(mc, topic, src, sizeof(src)) == 0)
		topic = src;
	rchk_group_add_topic(g, topic);
}

static void describe(check_probe *p, const mirror_config *mc, int cluster, rchk_group *groups,
                     size_t n, int timeout_ms)
{
	const char **names = calloc(n ? n : 1, sizeof(*names));
	rd_kafka_AdminOptions_t *o = opts(p, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, timeout_ms);
	char err[512] = "out of memory";
	rd_kafka_event_t *ev = NULL;
	if (names && o) {
		for (size_t i = 0; i < n; i++)
			names[i] = groups[i].name;
		rd_kafka_DescribeConsumerGroups(p->rk, names, n, o, p->q);
		ev = wait_result(p, RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT, timeout_ms,
		                 "describing groups", err, sizeof(err));
	}
	free(names);
	if (o)
		rd_kafka_AdminOptions_destroy(o);
	if (!ev) {
		for (size_t i = 0; i < n; i++)
			snprintf(groups[i].side[cluster].err, sizeof(groups[i].side[cluster].err),
			         "%s", err);
		return;
	}
	size_t cnt = 0;
	const rd_kafka_ConsumerGroupDescription_t **d =
	    rd_kafka_DescribeConsumerGroups_result_groups(
	        rd_kafka_event_DescribeConsumerGroups_result(ev), &cnt);
	for (size_t i = 0; i < cnt; i++) {
		rchk_group *g =
		    find_group(groups, n, rd_kafka_ConsumerGroupDescription_group_id(d[i]));
		if (!g)
			continue;
		rchk_side *s = &g->side[cluster];
		const rd_kafka_error_t *ge = rd_kafka_ConsumerGroupDescription_error(d[i]);
		if (ge) {
			snprintf(s->err, sizeof(s->err), "describing the group: %s",
			         rd_kafka_error_string(ge));
			continue;
		}
		s->described = 1;
		snprintf(s->state, sizeof(s->state), "%s",
		         rd_kafka_consumer_group_state_name(
		             rd_kafka_ConsumerGroupDescription_state(d[i])));
		size_t m = rd_kafka_ConsumerGroupDescription_member_count(d[i]);
		s->members = (int)m;
		for (size_t k = 0; k < m; k++) {
			const rd_kafka_MemberDescription_t *md =
			    rd_kafka_ConsumerGroupDescription_member(d[i], k);
			const rd_kafka_MemberAssignment_t *ma =
			    md ? rd_kafka_MemberDescription_assignment(md) : NULL;
			const rd_kafka_topic_partition_list_t *l =
			    ma ? rd_kafka_MemberAssignment_partitions(ma) : NULL;
			for (int j = 0; l && j < l->cnt; j++)
				add_topic(g, mc, cluster, l->elems[j].topic);
		}
	}
	rd_kafka_event_destroy(ev);
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
			add_topic(g, mc, cluster, tp->topic);
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
