/*
 * The translation client: one librdkafka consumer per cluster, with no
 * consumer group, reused for everything a translation needs.
 *
 *   read:      consume_start(topic, partition @ start) -> consume until the
 *              count, the bound or end-of-partition -> consume_stop (the
 *              simple consumer API: no group.id, nothing committed). Each
 *              record becomes (offset, timestamp, SHA-256 of key, value,
 *              headers).
 *   offsets:   query_watermark_offsets, metadata.
 *   groups:    Admin ListConsumerGroupOffsets / AlterConsumerGroupOffsets /
 *              DescribeConsumerGroups, results on a private queue; a
 *              short-lived group member for commits the broker only takes
 *              with a generation (mm2_client_commit_as_member).
 */
#include "routing/mm2_client.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "routing/mm2_rdkafka.h"

struct mm2_client {
	const config_cluster *cluster;
	rd_kafka_t *rk;
	rd_kafka_queue_t *admin_q; /* admin results */
	mm2_rk_status status;
	int status_init;
	char name[32];
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

mm2_client *mm2_client_new(const config_cluster *cluster, const char *name, char *err,
                           size_t errlen)
{
	rd_kafka_conf_t *conf = NULL;
	mm2_client *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->cluster = cluster;
	char id[64];
	snprintf(id, sizeof(id), "turnout-translate-%s", name);
	if (mm2_rk_status_init(&c->status, id)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	c->status_init = 1;
	conf = mirror_rk_conf(cluster, id, &c->status, err, errlen);
	/* auto.offset.reset=error (the default for every topic handle): a range
	 * that retention removed must fail the read, not start elsewhere. */
	if (!conf || mm2_rk_set(conf, "enable.partition.eof", "true", err, errlen) ||
	    mm2_rk_set(conf, "fetch.wait.max.ms", "100", err, errlen) ||
	    mm2_rk_set(conf, "auto.offset.reset", "error", err, errlen))
		goto fail;
	char why[256];
	c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof(why));
	if (!c->rk) {
		snprintf(err, errlen, "cannot create a client for %s: %s", name, why);
		goto fail;
	}
	conf = NULL;
	c->admin_q = rd_kafka_queue_new(c->rk);
	if (!c->admin_q) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	return c;
fail:
	if (conf)
		rd_kafka_conf_destroy(conf);
	mm2_client_free(c);
	return NULL;
}

void mm2_client_free(mm2_client *c)
{
	if (!c)
		return;
	if (c->admin_q)
		rd_kafka_queue_destroy(c->admin_q);
	if (c->rk)
		rd_kafka_destroy(c->rk);
	if (c->status_init)
		mm2_rk_status_destroy(&c->status);
	free(c);
}

void mm2_client_last_error(mm2_client *c, char *buf, size_t len)
{
	mm2_rk_status_get(&c->status, buf, len);
}

/* SHA-256 over a self-delimiting encoding: null and empty differ, and no
 * two different (key, value, headers) give the same byte stream. */
static int rec_digest(const rd_kafka_message_t *m, uint8_t out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	uint8_t len8[8];
#define PUT_LEN(v)                                                                                 \
	do {                                                                                       \
		int64_t l_ = (v);                                                                  \
		for (int i_ = 0; i_ < 8; i_++)                                                     \
			len8[i_] = (uint8_t)((uint64_t)l_ >> (56 - 8 * i_));                       \
		ok = ok && EVP_DigestUpdate(ctx, len8, 8);                                         \
	} while (0)
	PUT_LEN(m->key ? (int64_t)m->key_len : -1);
	if (m->key && m->key_len)
		ok = ok && EVP_DigestUpdate(ctx, m->key, m->key_len);
	PUT_LEN(m->payload ? (int64_t)m->len : -1);
	if (m->payload && m->len)
		ok = ok && EVP_DigestUpdate(ctx, m->payload, m->len);
	rd_kafka_headers_t *hdrs = NULL;
	size_t cnt = 0;
	if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR)
		cnt = rd_kafka_header_cnt(hdrs);
	PUT_LEN((int64_t)cnt);
	for (size_t i = 0; i < cnt && ok; i++) {
		const char *name;
		const void *val;
		size_t size;
		if (rd_kafka_header_get_all(hdrs, i, &name, &val, &size)) {
			ok = 0;
			break;
		}
		PUT_LEN((int64_t)strlen(name));
		ok = ok && EVP_DigestUpdate(ctx, name, strlen(name));
		PUT_LEN(val ? (int64_t)size : -1);
		if (val && size)
			ok = ok && EVP_DigestUpdate(ctx, val, size);
	}
#undef PUT_LEN
	unsigned int outlen = 0;
	ok = ok && EVP_DigestFinal_ex(ctx, out, &outlen) && outlen == 32;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

int mm2_client_read(mm2_client *c, const char *topic, int32_t partition, int64_t start, size_t max,
                    int64_t bound, size_t extra, int timeout_ms, verify_rec **out, size_t *n,
                    int *at_end, char *err, size_t errlen)
{
	*out = NULL;
	*n = 0;
	*at_end = 0;
	size_t cap = max < 1024 ? max + 1 : 1024, cnt = 0, past = 0;
	verify_rec *recs = malloc(cap * sizeof(*recs));
	rd_kafka_topic_t *rkt = NULL;
	int rc = -1, started = 0;
	if (!recs) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rkt = rd_kafka_topic_new(c->rk, topic, NULL);
	if (!rkt) {
		snprintf(err, errlen, "bad topic %s: %s", topic,
		         rd_kafka_err2str(rd_kafka_last_error()));
		goto out;
	}
	if (rd_kafka_consume_start(rkt, partition, start) == -1) {
		snprintf(err, errlen, "cannot read %s-%d: %s", topic, (int)partition,
		         rd_kafka_err2str(rd_kafka_last_error()));
		goto out;
	}
	started = 1;
	int64_t deadline = now_ms() + timeout_ms, next = start;
	while (cnt < max && !(bound >= 0 && past >= extra)) {
		int64_t left = deadline - now_ms();
		if (left <= 0) {
			char last[256];
			mm2_client_last_error(c, last, sizeof(last));
			snprintf(err, errlen, "reading %s-%d from offset %lld on %s timed out%s%s",
			         topic, (int)partition, (long long)next, c->name,
			         last[0] ? ": " : "", last);
			goto out;
		}
		rd_kafka_poll(c->rk, 0); /* serves error_cb */
		rd_kafka_message_t *m =
		    rd_kafka_consume(rkt, partition, (int)(left < 200 ? left : 200));
		if (!m)
			continue;
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			int done = m->offset >= next;
			rd_kafka_message_destroy(m);
			if (done) {
				*at_end = 1;
				break;
			}
			continue;
		}
		if (m->err) {
			snprintf(err, errlen, "reading %s-%d from offset %lld on %s: %s", topic,
			         (int)partition, (long long)next, c->name,
			         rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
			goto out;
		}
		if (m->offset < next) { /* older records of the first batch */
			rd_kafka_message_destroy(m);
			continue;
		}
		if (cnt == cap) {
			size_t ncap = cap * 2;
			verify_rec *nr = realloc(recs, ncap * sizeof(*recs));
			if (!nr) {
				rd_kafka_message_destroy(m);
				snprintf(err, errlen, "out of memory");
				goto out;
			}
			recs = nr;
			cap = ncap;
		}
		verify_rec *r = &recs[cnt];
		r->offset = m->offset;
		r->ts = rd_kafka_message_timestamp(m, NULL);
		int bad = rec_digest(m, r->digest);
		next = m->offset + 1;
		rd_kafka_message_destroy(m);
		if (bad) {
			snprintf(err, errlen, "cannot compute a record digest");
			goto out;
		}
		cnt++;
		if (bound >= 0 && r->offset >= bound)
			past++;
	}
	rc = 0;
out:
	if (started)
		rd_kafka_consume_stop(rkt, partition);
	if (rkt)
		rd_kafka_topic_destroy(rkt);
	if (rc) {
		free(recs);
		return -1;
	}
	*out = recs;
	*n = cnt;
	return 0;
}

int mm2_client_end_offset(mm2_client *c, const char *topic, int32_t partition, int timeout_ms,
                          int64_t *end, char *err, size_t errlen)
{
	int64_t lo = 0, hi = 0;
	rd_kafka_resp_err_t e =
	    rd_kafka_query_watermark_offsets(c->rk, topic, partition, &lo, &hi, timeout_ms);
	if (e) {
		snprintf(err, errlen, "end offset of %s-%d on %s: %s", topic, (int)partition,
		         c->name, rd_kafka_err2str(e));
		return -1;
	}
	*end = hi;
	return 0;
}

int mm2_client_partitions(mm2_client *c, const char *topic, int timeout_ms, int *count, char *err,
                          size_t errlen)
{
	*count = 0;
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(c->rk, topic, NULL);
	if (!rkt) {
		snprintf(err, errlen, "bad topic %s", topic);
		return -1;
	}
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t e = rd_kafka_metadata(c->rk, 0, rkt, &md, timeout_ms);
	rd_kafka_topic_destroy(rkt);
	if (e) {
		snprintf(err, errlen, "metadata of %s on %s: %s", topic, c->name,
		         rd_kafka_err2str(e));
		return -1;
	}
	for (int i = 0; i < md->topic_cnt; i++)
		if (strcmp(md->topics[i].topic, topic) == 0 && !md->topics[i].err)
			*count = md->topics[i].partition_cnt;
	rd_kafka_metadata_destroy(md);
	return 0;
}

/* Waits for the admin result of type want; returns the event or NULL. */
static rd_kafka_event_t *admin_wait(mm2_client *c, rd_kafka_event_type_t want, int timeout_ms,
                                    const char *what, char *err, size_t errlen)
{
	int64_t deadline = now_ms() + timeout_ms + 1000;
	for (;;) {
		int64_t left = deadline - now_ms();
		if (left <= 0)
			break;
		rd_kafka_poll(c->rk, 0); /* serves error_cb */
		rd_kafka_event_t *ev =
		    rd_kafka_queue_poll(c->admin_q, (int)(left < 200 ? left : 200));
		if (!ev)
			continue;
		if (rd_kafka_event_type(ev) != want) {
			rd_kafka_event_destroy(ev);
			continue;
		}
		if (rd_kafka_event_error(ev)) {
			snprintf(err, errlen, "%s on %s: %s", what, c->name,
			         rd_kafka_event_error_string(ev));
			rd_kafka_event_destroy(ev);
			return NULL;
		}
		return ev;
	}
	char last[256];
	mm2_client_last_error(c, last, sizeof(last));
	snprintf(err, errlen, "%s on %s timed out%s%s", what, c->name, last[0] ? ": " : "", last);
	return NULL;
}

static rd_kafka_AdminOptions_t *admin_opts(mm2_client *c, rd_kafka_admin_op_t op, int timeout_ms)
{
	rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(c->rk, op);
	char why[128];
	if (o && rd_kafka_AdminOptions_set_request_timeout(o, timeout_ms, why, sizeof(why))) {
		rd_kafka_AdminOptions_destroy(o);
		return NULL;
	}
	return o;
}

/* The group result of a one-group admin call, or NULL with err. */
static const rd_kafka_group_result_t *one_group(const rd_kafka_group_result_t **gr, size_t cnt,
                                                const char *what, char *err, size_t errlen)
{
	if (cnt != 1) {
		snprintf(err, errlen, "%s: %zu group results, expected 1", what, cnt);
		return NULL;
	}
	const rd_kafka_error_t *ge = rd_kafka_group_result_error(gr[0]);
	if (ge) {
		snprintf(err, errlen, "%s: %s", what, rd_kafka_error_string(ge));
		return NULL;
	}
	return gr[0];
}

int mm2_client_committed(mm2_client *c, const char *group,
                         const rd_kafka_topic_partition_list_t *parts, int timeout_ms,
                         rd_kafka_topic_partition_list_t **out, char *err, size_t errlen)
{
	*out = NULL;
	char what[300];
	snprintf(what, sizeof(what), "committed offsets of group %s", group);
	rd_kafka_ListConsumerGroupOffsets_t *req =
	    rd_kafka_ListConsumerGroupOffsets_new(group, parts);
	rd_kafka_AdminOptions_t *o =
	    admin_opts(c, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, timeout_ms);
	if (!req || !o) {
		if (req)
			rd_kafka_ListConsumerGroupOffsets_destroy(req);
		if (o)
			rd_kafka_AdminOptions_destroy(o);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rd_kafka_ListConsumerGroupOffsets(c->rk, &req, 1, o, c->admin_q);
	rd_kafka_ListConsumerGroupOffsets_destroy(req);
	rd_kafka_AdminOptions_destroy(o);
	rd_kafka_event_t *ev = admin_wait(c, RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT,
	                                  timeout_ms, what, err, errlen);
	if (!ev)
		return -1;
	size_t cnt = 0;
	const rd_kafka_group_result_t **gr = rd_kafka_ListConsumerGroupOffsets_result_groups(
	    rd_kafka_event_ListConsumerGroupOffsets_result(ev), &cnt);
	const rd_kafka_group_result_t *g = one_group(gr, cnt, what, err, errlen);
	if (g) {
		const rd_kafka_topic_partition_list_t *l = rd_kafka_group_result_partitions(g);
		*out = l ? rd_kafka_topic_partition_list_copy(l)
		         : rd_kafka_topic_partition_list_new(0);
	}
	rd_kafka_event_destroy(ev);
	return *out ? 0 : -1;
}

int mm2_client_commit(mm2_client *c, const char *group,
                      const rd_kafka_topic_partition_list_t *offsets, int timeout_ms, char *err,
                      size_t errlen)
{
	char what[300];
	snprintf(what, sizeof(what), "committing offsets of group %s", group);
	rd_kafka_AlterConsumerGroupOffsets_t *req =
	    rd_kafka_AlterConsumerGroupOffsets_new(group, offsets);
	rd_kafka_AdminOptions_t *o =
	    admin_opts(c, RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS, timeout_ms);
	if (!req || !o) {
		if (req)
			rd_kafka_AlterConsumerGroupOffsets_destroy(req);
		if (o)
			rd_kafka_AdminOptions_destroy(o);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rd_kafka_AlterConsumerGroupOffsets(c->rk, &req, 1, o, c->admin_q);
	rd_kafka_AlterConsumerGroupOffsets_destroy(req);
	rd_kafka_AdminOptions_destroy(o);
	rd_kafka_event_t *ev = admin_wait(c, RD_KAFKA_EVENT_ALTERCONSUMERGROUPOFFSETS_RESULT,
	                                  timeout_ms, what, err, errlen);
	if (!ev)
		return -1;
	size_t cnt = 0;
	const rd_kafka_group_result_t **gr = rd_kafka_AlterConsumerGroupOffsets_result_groups(
	    rd_kafka_event_AlterConsumerGroupOffsets_result(ev), &cnt);
	const rd_kafka_group_result_t *g = one_group(gr, cnt, what, err, errlen);
	int rc = g ? 0 : -1;
	if (g) {
		const rd_kafka_topic_partition_list_t *l = rd_kafka_group_result_partitions(g);
		for (int i = 0; l && i < l->cnt; i++)
			if (l->elems[i].err) {
				snprintf(err, errlen, "%s: %s-%d: %s", what, l->elems[i].topic,
				         (int)l->elems[i].partition,
				         rd_kafka_err2str(l->elems[i].err));
				rc = -1;
				break;
			}
	}
	rd_kafka_event_destroy(ev);
	return rc;
}

int mm2_client_group_state(mm2_client *c, const char *group, int timeout_ms, mm2_group_state *out,
                           char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	char what[300];
	snprintf(what, sizeof(what), "describing group %s", group);
	rd_kafka_AdminOptions_t *o =
	    admin_opts(c, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, timeout_ms);
	if (!o) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	const char *groups[1] = {group};
	rd_kafka_DescribeConsumerGroups(c->rk, groups, 1, o, c->admin_q);
	rd_kafka_AdminOptions_destroy(o);
	rd_kafka_event_t *ev = admin_wait(c, RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT,
	                                  timeout_ms, what, err, errlen);
	if (!ev) {
		if (strstr(err, "not supported") || strstr(err, "Unsupported") ||
		    strstr(err, "UNSUPPORTED")) {
			out->unsupported = 1;
			return 0;
		}
		return -1;
	}
	size_t cnt = 0;
	const rd_kafka_ConsumerGroupDescription_t **gd =
	    rd_kafka_DescribeConsumerGroups_result_groups(
	        rd_kafka_event_DescribeConsumerGroups_result(ev), &cnt);
	int rc = -1;
	if (cnt != 1) {
		snprintf(err, errlen, "%s: %zu results, expected 1", what, cnt);
		goto out;
	}
	const rd_kafka_error_t *ge = rd_kafka_ConsumerGroupDescription_error(gd[0]);
	if (ge) {
		rd_kafka_resp_err_t code = rd_kafka_error_code(ge);
		if (code == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE ||
		    code == RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION) {
			out->unsupported = 1;
			rc = 0;
		} else {
			snprintf(err, errlen, "%s: %s", what, rd_kafka_error_string(ge));
		}
		goto out;
	}
	snprintf(
	    out->state, sizeof(out->state), "%s",
	    rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(gd[0])));
	size_t n = rd_kafka_ConsumerGroupDescription_member_count(gd[0]);
	out->members = (int)n;
	size_t of = 0;
	for (size_t i = 0; i < n && of < sizeof(out->who) - 1; i++) {
		const rd_kafka_MemberDescription_t *m =
		    rd_kafka_ConsumerGroupDescription_member(gd[0], i);
		int w = snprintf(out->who + of, sizeof(out->who) - of, "%s%s@%s", i ? "," : "",
		                 rd_kafka_MemberDescription_client_id(m),
		                 rd_kafka_MemberDescription_host(m));
		if (w < 0)
			break;
		of += (size_t)w;
	}
	rc = 0;
out:
	rd_kafka_event_destroy(ev);
	return rc;
}

int mm2_client_commit_as_member(mm2_client *c, const char *group,
                                const rd_kafka_topic_partition_list_t *offsets, int timeout_ms,
                                char *err, size_t errlen)
{
	mm2_rk_status st;
	char id[64];
	snprintf(id, sizeof(id), "turnout-seed-%s", c->name);
	if (mm2_rk_status_init(&st, id)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rd_kafka_t *rk = NULL;
	rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(offsets->cnt);
	rd_kafka_conf_t *conf = mirror_rk_conf(c->cluster, id, &st, err, errlen);
	int rc = -1;
	if (!conf || !topics || mm2_rk_set(conf, "group.id", group, err, errlen) ||
	    mm2_rk_set(conf, "enable.auto.commit", "false", err, errlen) ||
	    mm2_rk_set(conf, "enable.auto.offset.store", "false", err, errlen) ||
	    /* the smallest a broker accepts (group.min.session.timeout.ms):
	     * librdkafka's mock keeps a group in rebalance for about this long
	     * after the seeding member leaves */
	    mm2_rk_set(conf, "session.timeout.ms", "6000", err, errlen))
		goto out;
	char why[256];
	if (!(rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof(why)))) {
		snprintf(err, errlen, "cannot create a seeding member for %s: %s", c->name, why);
		goto out;
	}
	conf = NULL;
	rd_kafka_poll_set_consumer(rk);
	for (int i = 0; i < offsets->cnt; i++)
		if (!rd_kafka_topic_partition_list_find(topics, offsets->elems[i].topic,
		                                        RD_KAFKA_PARTITION_UA))
			rd_kafka_topic_partition_list_add(topics, offsets->elems[i].topic,
			                                  RD_KAFKA_PARTITION_UA);
	rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, topics);
	if (e) {
		snprintf(err, errlen, "seeding member of %s on %s: subscribe: %s", group, c->name,
		         rd_kafka_err2str(e));
		goto out;
	}
	int64_t deadline = now_ms() + timeout_ms;
	for (;;) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
		if (m)
			rd_kafka_message_destroy(m); /* records are not ours to read */
		rd_kafka_topic_partition_list_t *as = NULL;
		int have = rd_kafka_assignment(rk, &as) == 0 && as && as->cnt > 0;
		if (as)
			rd_kafka_topic_partition_list_destroy(as);
		if (have)
			break;
		if (now_ms() > deadline) {
			char last[256];
			mm2_rk_status_get(&st, last, sizeof(last));
			snprintf(err, errlen,
			         "seeding member of %s on %s: no assignment in %d ms%s%s", group,
			         c->name, timeout_ms, last[0] ? ": " : "", last);
			goto out;
		}
	}
	e = rd_kafka_commit(rk, offsets, 0);
	if (!e) {
		for (int i = 0; i < offsets->cnt; i++)
			if (offsets->elems[i].err) {
				e = offsets->elems[i].err;
				break;
			}
	}
	if (e) {
		snprintf(err, errlen, "seeding member of %s on %s: commit: %s", group, c->name,
		         rd_kafka_err2str(e));
		goto out;
	}
	rc = 0;
out:
	if (rk) {
		rd_kafka_consumer_close(rk); /* LeaveGroup: the group is empty again */
		rd_kafka_destroy(rk);
	}
	if (conf)
		rd_kafka_conf_destroy(conf);
	if (topics)
		rd_kafka_topic_partition_list_destroy(topics);
	mm2_rk_status_destroy(&st);
	return rc;
}
