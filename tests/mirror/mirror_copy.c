/*
 * The MirrorSourceConnector half of mm2mirror.
 *
 *   legacy partitions --(simple consumer, one queue)--> filter (SMT-like)
 *     --> target producer (same partition, key, value, headers, timestamp;
 *         max.in.flight 1, so per-partition order holds)
 *     --> delivery report = MM2's commitRecord(): PartitionState.update()
 *         decides "sync now" or "delay until the next commit", exactly as
 *         OffsetSyncWriter does
 *     --> offset-sync records on the internal producer of the cluster that
 *         holds the offset-syncs topic; once acknowledged, the sync joins the
 *         per-partition history the checkpoint half translates with.
 *
 * A filtered record gets no commitRecord (MM2 sees null metadata), so the
 * next mirrored record of the partition triggers a sync ("skipped upstream").
 * Every action is appended to the map file (ground truth for the tests):
 *   M topic partition src tgt | D topic partition src | S topic partition up down
 */
#include <stdlib.h>
#include <string.h>

#include "tests/mirror/mirror.h"

/* Per-message opaque of a mirrored record: topic, partition index, offset + 1
 * (never NULL, which marks the pre-existing filler records). */
#define OP_MAKE(ti, pi, off)                                                                       \
	((void *)(uintptr_t)(((uint64_t)(ti) << 56) | ((uint64_t)(pi) << 48) |                     \
	                     (uint64_t)((off) + 1)))
#define OP_TI(op)  ((int)(((uintptr_t)(op) >> 56) & 0xff))
#define OP_PI(op)  ((int)(((uintptr_t)(op) >> 48) & 0xff))
#define OP_OFF(op) ((int64_t)((uintptr_t)(op)&0xffffffffffffULL) - 1)

typedef struct sync_msg {
	int ti, pi;
	int64_t up, down;
} sync_msg;

static void map_line(mirror *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#include <stdarg.h>
static void map_line(mirror *m, const char *fmt, ...)
{
	if (!m->map)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(m->map, fmt, ap);
	va_end(ap);
}

static void send_sync(mirror *m, int ti, int pi, int64_t up, int64_t down)
{
	mirror_topic *t = &m->topics[ti];
	uint8_t key[300], val[16];
	size_t kl = mirror_enc_sync_key(key, sizeof(key), t->name, t->parts[pi].partition);
	size_t vl = mirror_enc_sync_value(val, sizeof(val), up, down);
	sync_msg *s = malloc(sizeof(*s));
	if (!s || !kl || !vl) {
		free(s);
		m->internal_errors++;
		return;
	}
	*s = (sync_msg){ti, pi, up, down};
	rd_kafka_t *rk = m->internal[m->o.syncs_on_target ? 1 : 0];
	rd_kafka_resp_err_t e;
	while ((e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(m->syncs_topic), RD_KAFKA_V_PARTITION(0),
	                              RD_KAFKA_V_KEY(key, kl), RD_KAFKA_V_VALUE(val, vl),
	                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
	                              RD_KAFKA_V_OPAQUE(s), RD_KAFKA_V_END)) ==
	       RD_KAFKA_RESP_ERR__QUEUE_FULL)
		rd_kafka_poll(rk, 10);
	if (e) {
		fprintf(stderr, "mm2mirror: offset-sync produce: %s\n", rd_kafka_err2str(e));
		free(s);
		m->internal_errors++;
		return;
	}
	m->syncs_sent++;
}

/* OffsetSyncWriter.maybeQueueOffsetSyncs for one acknowledged record. */
static void commit_record(mirror *m, int ti, int pi, int64_t up, int64_t down)
{
	mirror_part *p = &m->topics[ti].parts[pi];
	int no_previous = p->last_sync_down == -1;
	/* the +1: translation lands one past the sync (KAFKA-14797) */
	int too_stale = down - (p->last_sync_down + 1) >= m->o.offset_lag_max;
	int skipped = up - p->prev_up != 1;
	int truncated = down < p->prev_down;
	int now = no_previous || too_stale || skipped || truncated;
	if (now)
		p->last_sync_down = down;
	p->prev_up = up;
	p->prev_down = down;
	if (now) {
		p->has_delayed = 0;
		send_sync(m, ti, pi, up, down);
	} else {
		p->has_delayed = 1;
		p->delayed_up = up;
		p->delayed_down = down;
	}
}

static void data_dr(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
	(void)rk;
	mirror *m = opaque;
	if (!msg->_private) { /* a pre-existing filler record */
		if (msg->err)
			m->data_errors++;
		return;
	}
	int ti = OP_TI(msg->_private), pi = OP_PI(msg->_private);
	int64_t src = OP_OFF(msg->_private);
	mirror_topic *t = &m->topics[ti];
	mirror_part *p = &t->parts[pi];
	p->inflight--;
	if (msg->err) {
		fprintf(stderr, "mm2mirror: delivery of %s-%d@%lld failed: %s\n", t->name,
		        (int)p->partition, (long long)src, rd_kafka_err2str(msg->err));
		m->data_errors++;
		return;
	}
	p->mirrored++;
	map_line(m, "M %s %d %lld %lld\n", t->name, (int)p->partition, (long long)src,
	         (long long)msg->offset);
	commit_record(m, ti, pi, src, msg->offset);
}

static void internal_dr(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
	(void)rk;
	mirror *m = opaque;
	sync_msg *s = msg->_private;
	if (msg->err) {
		fprintf(stderr, "mm2mirror: internal record to %s failed: %s\n",
		        rd_kafka_topic_name(msg->rkt), rd_kafka_err2str(msg->err));
		m->internal_errors++;
	} else if (s) {
		mirror_part *p = &m->topics[s->ti].parts[s->pi];
		m->syncs_acked++;
		translate_history_apply(&p->syncs, s->up, s->down, ++p->sync_ids);
		map_line(m, "S %s %d %lld %lld\n", m->topics[s->ti].name, (int)p->partition,
		         (long long)s->up, (long long)s->down);
	}
	free(s);
}

static rd_kafka_t *make_client(mirror *m, rd_kafka_type_t type, const char *bootstrap,
                               const char *id,
                               void (*dr)(rd_kafka_t *, const rd_kafka_message_t *, void *),
                               char *err, size_t errlen)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	struct {
		const char *k, *v;
	} kv[] = {
	    {"bootstrap.servers", bootstrap},
	    {"client.id", id},
	    {"enable.partition.eof", "false"},
	    {"acks", "all"},
	    {"max.in.flight.requests.per.connection", "1"},
	    {"linger.ms", "2"},
	    {"allow.auto.create.topics", "false"},
	    {"log_level", "4"},
	};
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++) {
		int producer_only = !strcmp(kv[i].k, "acks") || !strncmp(kv[i].k, "max.in", 6) ||
		                    !strcmp(kv[i].k, "linger.ms");
		int consumer_only = !strcmp(kv[i].k, "enable.partition.eof");
		if (type == RD_KAFKA_CONSUMER ? producer_only : consumer_only)
			continue;
		if (rd_kafka_conf_set(conf, kv[i].k, kv[i].v, err, errlen) != RD_KAFKA_CONF_OK) {
			rd_kafka_conf_destroy(conf);
			return NULL;
		}
	}
	if (dr)
		rd_kafka_conf_set_dr_msg_cb(conf, dr);
	rd_kafka_conf_set_opaque(conf, m);
	rd_kafka_t *rk = rd_kafka_new(type, conf, err, errlen);
	if (!rk)
		rd_kafka_conf_destroy(conf);
	return rk;
}

int mirror_copy_start(mirror *m, char *err, size_t errlen)
{
	const char *is = m->o.separator; /* internal separator (KIP-949 default: on) */
	snprintf(m->checkpoints_topic, sizeof(m->checkpoints_topic), "%s%scheckpoints%sinternal",
	         m->o.source_alias, is, is);
	snprintf(m->syncs_topic, sizeof(m->syncs_topic), "mm2-offset-syncs%s%s%sinternal", is,
	         m->o.syncs_on_target ? m->o.source_alias : m->o.target_alias, is);
	if (!(m->consumer = make_client(m, RD_KAFKA_CONSUMER, m->o.legacy, "mm2mirror-source", NULL,
	                                err, errlen)) ||
	    !(m->data = make_client(m, RD_KAFKA_PRODUCER, m->o.target, "mm2mirror-data", data_dr,
	                            err, errlen)) ||
	    !(m->internal[0] =
	          make_client(m, RD_KAFKA_PRODUCER, m->o.legacy, "mm2mirror-internal-legacy",
	                      internal_dr, err, errlen)) ||
	    !(m->internal[1] = make_client(m, RD_KAFKA_PRODUCER, m->o.target,
	                                   "mm2mirror-internal-target", internal_dr, err, errlen)))
		return -1;
	m->cq = rd_kafka_queue_new(m->consumer);
	m->admin_q = rd_kafka_queue_new(m->consumer);
	return m->cq && m->admin_q ? 0 : -1;
}

static int partition_count(mirror *m, const char *topic, char *err, size_t errlen)
{
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(m->consumer, topic, NULL);
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t e = rd_kafka_metadata(m->consumer, 0, rkt, &md, 10000);
	rd_kafka_topic_destroy(rkt);
	if (e) {
		snprintf(err, errlen, "metadata %s: %s", topic, rd_kafka_err2str(e));
		return -1;
	}
	int n = -1;
	for (int i = 0; i < md->topic_cnt; i++)
		if (!strcmp(md->topics[i].topic, topic) && !md->topics[i].err)
			n = md->topics[i].partition_cnt;
	rd_kafka_metadata_destroy(md);
	if (n < 1)
		snprintf(err, errlen, "topic %s not found on legacy", topic);
	return n;
}

int mirror_add_topic(mirror *m, const char *name, char *err, size_t errlen)
{
	if (m->ntopics == MIRROR_MAX_TOPICS) {
		snprintf(err, errlen, "too many topics");
		return -1;
	}
	int n = partition_count(m, name, err, errlen);
	if (n < 0)
		return -1;
	if (n > MIRROR_MAX_PARTS) {
		snprintf(err, errlen, "more than %d partitions", MIRROR_MAX_PARTS);
		return -1;
	}
	int ti = m->ntopics;
	mirror_topic *t = &m->topics[ti];
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	if (m->o.default_policy)
		snprintf(t->remote, sizeof(t->remote), "%s%s%s", m->o.source_alias, m->o.separator,
		         name);
	else
		snprintf(t->remote, sizeof(t->remote), "%s", name);
	t->nparts = n;
	/* records the target held before mirroring began: offsets now differ */
	for (int p = 0; p < n && m->o.pre_existing > 0; p++)
		for (long i = 0; i < m->o.pre_existing; i++) {
			char v[64];
			int vl = snprintf(v, sizeof(v), "pre-existing %d %ld", p, i);
			if (rd_kafka_producev(m->data, RD_KAFKA_V_TOPIC(t->remote),
			                      RD_KAFKA_V_PARTITION(p),
			                      RD_KAFKA_V_VALUE(v, (size_t)vl),
			                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
			                      RD_KAFKA_V_OPAQUE(NULL), RD_KAFKA_V_END)) {
				snprintf(err, errlen, "pre-existing record produce failed");
				return -1;
			}
		}
	if (m->o.pre_existing > 0 && rd_kafka_flush(m->data, 10000)) {
		snprintf(err, errlen, "pre-existing records not acknowledged");
		return -1;
	}
	t->rkt = rd_kafka_topic_new(m->consumer, name, NULL);
	if (!t->rkt) {
		snprintf(err, errlen, "topic handle for %s", name);
		return -1;
	}
	for (int p = 0; p < n; p++) {
		mirror_part *mp = &t->parts[p];
		mp->partition = p;
		mp->prev_up = mp->prev_down = mp->last_sync_down = -1;
		translate_history_init(&mp->syncs);
		if (rd_kafka_consume_start_queue(t->rkt, p, RD_KAFKA_OFFSET_BEGINNING, m->cq) ==
		    -1) {
			snprintf(err, errlen, "consume_start %s-%d: %s", name, p,
			         rd_kafka_err2str(rd_kafka_last_error()));
			return -1;
		}
	}
	m->ntopics++;
	return 0;
}

static int find_topic(mirror *m, const char *name)
{
	for (int i = 0; i < m->ntopics; i++)
		if (!strcmp(m->topics[i].name, name))
			return i;
	return -1;
}

static void copy_one(mirror *m, rd_kafka_message_t *msg)
{
	if (msg->err) {
		if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
			fprintf(stderr, "mm2mirror: consume: %s\n", rd_kafka_message_errstr(msg));
		return;
	}
	int ti = find_topic(m, rd_kafka_topic_name(msg->rkt));
	if (ti < 0 || msg->partition < 0 || msg->partition >= m->topics[ti].nparts)
		return;
	mirror_topic *t = &m->topics[ti];
	mirror_part *p = &t->parts[msg->partition];
	if (msg->offset < p->next)
		return;
	p->next = msg->offset + 1;
	int drop = (m->o.drop_every > 0 && (msg->offset + 1) % m->o.drop_every == 0) ||
	           (m->o.filter_key && msg->key && msg->key_len == strlen(m->o.filter_key) &&
	            memcmp(msg->key, m->o.filter_key, msg->key_len) == 0);
	if (drop) {
		p->dropped++;
		map_line(m, "D %s %d %lld\n", t->name, (int)msg->partition, (long long)msg->offset);
		return;
	}
	rd_kafka_timestamp_type_t tstype;
	int64_t ts = rd_kafka_message_timestamp(msg, &tstype);
	rd_kafka_headers_t *hdrs = NULL, *copy = NULL;
	if (rd_kafka_message_headers(msg, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR)
		copy = rd_kafka_headers_copy(hdrs);
	rd_kafka_resp_err_t e;
	while (
	    (e = rd_kafka_producev(
	         m->data, RD_KAFKA_V_TOPIC(t->remote), RD_KAFKA_V_PARTITION(msg->partition),
	         RD_KAFKA_V_KEY(msg->key, msg->key_len), RD_KAFKA_V_VALUE(msg->payload, msg->len),
	         RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_TIMESTAMP(ts > 0 ? ts : 0),
	         RD_KAFKA_V_HEADERS(copy),
	         RD_KAFKA_V_OPAQUE(OP_MAKE(ti, msg->partition, msg->offset)), RD_KAFKA_V_END)) ==
	    RD_KAFKA_RESP_ERR__QUEUE_FULL)
		rd_kafka_poll(m->data, 10);
	if (e) {
		if (copy)
			rd_kafka_headers_destroy(copy);
		fprintf(stderr, "mm2mirror: produce: %s\n", rd_kafka_err2str(e));
		m->data_errors++;
		return;
	}
	p->inflight++;
}

int mirror_copy_step(mirror *m, int timeout_ms)
{
	if (m->paused || m->ntopics == 0)
		return 0;
	rd_kafka_message_t *batch[256];
	ssize_t n = rd_kafka_consume_batch_queue(m->cq, timeout_ms, batch, 256);
	for (ssize_t i = 0; i < n; i++) {
		copy_one(m, batch[i]);
		rd_kafka_message_destroy(batch[i]);
	}
	return n > 0 ? (int)n : 0;
}

void mirror_flush_syncs(mirror *m)
{
	for (int ti = 0; ti < m->ntopics; ti++)
		for (int pi = 0; pi < m->topics[ti].nparts; pi++) {
			mirror_part *p = &m->topics[ti].parts[pi];
			if (p->has_delayed) {
				p->has_delayed = 0;
				send_sync(m, ti, pi, p->delayed_up, p->delayed_down);
			}
		}
}

void mirror_serve(mirror *m, int timeout_ms)
{
	int got = mirror_copy_step(m, timeout_ms);
	rd_kafka_poll(m->data, got ? 0 : 1);
	rd_kafka_poll(m->internal[0], 0);
	rd_kafka_poll(m->internal[1], 0);
	rd_kafka_poll(m->consumer, 0);
}

int mirror_caught_up(mirror *m, const int64_t *ends)
{
	int k = 0;
	for (int ti = 0; ti < m->ntopics; ti++)
		for (int pi = 0; pi < m->topics[ti].nparts; pi++, k++) {
			mirror_part *p = &m->topics[ti].parts[pi];
			if (p->next < ends[k] || p->inflight)
				return 0;
		}
	return rd_kafka_outq_len(m->data) == 0 && rd_kafka_outq_len(m->internal[0]) == 0 &&
	       rd_kafka_outq_len(m->internal[1]) == 0;
}
