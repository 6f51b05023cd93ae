/*
 * The control topic's reader and writer (see coord.h). One thread owns a
 * simple consumer (no group: the whole topic is read from the beginning on
 * every start, partition 0 only) and a producer. A record that does not
 * decode is logged (the first 20) and skipped. The table keeps the latest
 * record per (group, instance), as compaction does on the broker.
 */
#include "routing/coord.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proxy/log.h"
#include "routing/mm2_rdkafka.h"

enum { TABLE_MAX = 20000 };

typedef struct own_rec {
	coord_record r;
	int dirty;       /* changed since last written */
	int64_t sent_ms; /* wall clock of the last write */
} own_rec;

struct coord {
	char topic[256];
	char cluster[16];
	char instance[COORD_INSTANCE_MAX];
	int heartbeat_ms;
	mm2_rk_status status;
	int status_init;
	rd_kafka_t *consumer, *producer;
	rd_kafka_topic_t *ctopic, *ptopic;
	int consuming;
	pthread_t thread;
	int thread_started;
	atomic_int stop;
	pthread_mutex_t mu; /* guards everything below */
	int caught_up;      /* read to the end once */
	long long bad;      /* records skipped */
	coord_record *table;
	size_t ntable, captable;
	own_rec *own;
	size_t nown, capown;
};

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Under mu. When this host got r and since when it says what it says, on
 * this host's monotonic clock (coord_record.h): a record that arrives once
 * the topic has been read to its end was just written (at once on a
 * change, then every heartbeat), so the peers' clocks do not matter. Only
 * the history read at start-up is aged by its writer's clock, the one age
 * it has; a live peer's next heartbeat replaces that guess. */
static void stamp(const coord *c, coord_record *r, const coord_record *prev)
{
	int64_t now = mono_ms();
	if (!c->caught_up) {
		int64_t wall = wall_ms();
		r->seen_ms = now - (wall > r->ts_ms ? wall - r->ts_ms : 0);
		r->changed_ms = now - (wall > r->since_ms ? wall - r->since_ms : 0);
		return;
	}
	r->seen_ms = now;
	r->changed_ms = prev && prev->state == r->state && prev->cluster == r->cluster &&
	                        !strcmp(prev->flip, r->flip)
	                    ? prev->changed_ms
	                    : now;
}

static int same_key(const coord_record *a, const coord_record *b)
{
	return !strcmp(a->group, b->group) && !strcmp(a->instance, b->instance);
}

/* Under mu. */
static void table_apply(coord *c, coord_record *r, int tombstone)
{
	for (size_t i = 0; i < c->ntable; i++) {
		if (!same_key(&c->table[i], r))
			continue;
		if (tombstone) {
			c->table[i] = c->table[--c->ntable];
		} else {
			stamp(c, r, &c->table[i]);
			c->table[i] = *r;
		}
		return;
	}
	if (tombstone)
		return;
	stamp(c, r, NULL);
	if (c->ntable == c->captable) {
		size_t cap = c->captable ? c->captable * 2 : 16;
		coord_record *t = cap <= TABLE_MAX ? realloc(c->table, cap * sizeof(*t)) : NULL;
		if (!t) {
			log_warn("event=coord_table_full topic=%s records=%zu", c->topic,
			         c->ntable);
			return;
		}
		c->table = t;
		c->captable = cap;
	}
	c->table[c->ntable++] = *r;
}

static void on_message(coord *c, const rd_kafka_message_t *m)
{
	coord_record r;
	const char *why = NULL;
	int rc = coord_record_decode(m->key, m->key_len, m->payload, m->len, &r, &why);
	pthread_mutex_lock(&c->mu);
	if (rc >= 0)
		table_apply(c, &r, rc == 1);
	long long bad = rc < 0 ? ++c->bad : 0;
	pthread_mutex_unlock(&c->mu);
	if (rc < 0 && bad <= 20)
		log_warn("event=coord_record_skipped topic=%s offset=%lld reason=\"%s\"", c->topic,
		         (long long)m->offset, why);
}

/* A record that could not be queued: not heartbeat-only records (serving,
 * no members) would otherwise never be written. */
static void mark_dirty(coord *c, const coord_record *r)
{
	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < c->nown; i++)
		if (!strcmp(c->own[i].r.group, r->group))
			c->own[i].dirty = 1;
	pthread_mutex_unlock(&c->mu);
}

/* Writes own records that changed, or whose heartbeat is due. */
static void publish(coord *c)
{
	int64_t now = wall_ms();
	size_t n = 0;
	own_rec *send = NULL;
	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < c->nown; i++) {
		own_rec *o = &c->own[i];
		int beat = o->r.members > 0 || o->r.state != COORD_SERVING;
		if (o->dirty || (beat && now - o->sent_ms >= c->heartbeat_ms)) {
			if (!send && !(send = calloc(c->nown, sizeof(*send))))
				break;
			o->r.ts_ms = now;
			o->sent_ms = now;
			o->dirty = 0;
			send[n++] = *o;
		}
	}
	pthread_mutex_unlock(&c->mu);
	for (size_t i = 0; i < n; i++) {
		char key[COORD_GROUP_MAX + COORD_INSTANCE_MAX + 2];
		char *val = coord_record_value(&send[i].r);
		int klen = coord_record_key(&send[i].r, key, sizeof(key));
		if (!val || klen < 0 ||
		    rd_kafka_produce(c->ptopic, 0, RD_KAFKA_MSG_F_COPY, val, strlen(val), key,
		                     (size_t)klen, NULL) == -1) {
			mm2_rk_status_set(&c->status, "cannot write to %s: %s", c->topic,
			                  val ? rd_kafka_err2str(rd_kafka_last_error())
			                      : "out of memory");
			mark_dirty(c, &send[i].r); /* written again on the next pass */
		}
		free(val);
	}
	free(send);
	rd_kafka_poll(c->producer, 0);
}

static void *coord_main(void *arg)
{
	coord *c = arg;
	while (!atomic_load(&c->stop)) {
		rd_kafka_message_t *m = rd_kafka_consume(c->ctopic, 0, 50);
		if (m) {
			if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
				pthread_mutex_lock(&c->mu);
				int first = !c->caught_up;
				c->caught_up = 1;
				size_t n = c->ntable;
				pthread_mutex_unlock(&c->mu);
				if (first)
					log_info(
					    "event=coord_ready topic=%s cluster=%s instance=%s "
					    "records=%zu",
					    c->topic, c->cluster, c->instance, n);
				mm2_rk_status_set(&c->status, "%s", "");
			} else if (m->err) {
				mm2_rk_status_set(&c->status, "reading %s on %s: %s", c->topic,
				                  c->cluster, rd_kafka_message_errstr(m));
			} else {
				on_message(c, m);
			}
			rd_kafka_message_destroy(m);
		}
		publish(c);
	}
	return NULL;
}

coord *coord_start(const config *cfg, char *err, size_t errlen)
{
	rd_kafka_conf_t *conf = NULL;
	coord *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(c->topic, sizeof(c->topic), "%s", cfg->cutover_control_topic);
	snprintf(c->cluster, sizeof(c->cluster), "%s",
	         config_cluster_names[cfg->cutover_control_cluster]);
	snprintf(c->instance, sizeof(c->instance), "%s", cfg->cutover_instance_id);
	c->heartbeat_ms = cfg->cutover_heartbeat_ms;
	pthread_mutex_init(&c->mu, NULL);
	if (mm2_rk_status_init(&c->status, "turnout-cutover-control")) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	c->status_init = 1;
	const config_cluster *cl = &cfg->clusters[cfg->cutover_control_cluster];
	char why[256];
	/* the reader: from the beginning, told when it reaches the end */
	conf = mirror_rk_conf(cl, "turnout-cutover-reader", &c->status, err, errlen);
	if (!conf || mm2_rk_set(conf, "enable.partition.eof", "true", err, errlen) ||
	    mm2_rk_set(conf, "fetch.wait.max.ms", "100", err, errlen) ||
	    mm2_rk_set(conf, "topic.metadata.refresh.interval.ms", "1000", err, errlen) ||
	    mm2_rk_set(conf, "auto.offset.reset", "earliest", err, errlen))
		goto fail;
	if (!(c->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof(why)))) {
		snprintf(err, errlen, "cannot create the control topic reader: %s", why);
		goto fail;
	}
	/* the writer: a brokers that creates topics on demand makes it here */
	conf = mirror_rk_conf(cl, "turnout-cutover-writer", &c->status, err, errlen);
	if (!conf || mm2_rk_set(conf, "allow.auto.create.topics", "true", err, errlen) ||
	    mm2_rk_set(conf, "linger.ms", "0", err, errlen) ||
	    mm2_rk_set(conf, "acks", "all", err, errlen))
		goto fail;
	if (!(c->producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why)))) {
		snprintf(err, errlen, "cannot create the control topic writer: %s", why);
		goto fail;
	}
	conf = NULL;
	if (!(c->ctopic = rd_kafka_topic_new(c->consumer, c->topic, NULL)) ||
	    !(c->ptopic = rd_kafka_topic_new(c->producer, c->topic, NULL))) {
		snprintf(err, errlen, "cannot use topic %s: %s", c->topic,
		         rd_kafka_err2str(rd_kafka_last_error()));
		goto fail;
	}
	if (rd_kafka_consume_start(c->ctopic, 0, RD_KAFKA_OFFSET_BEGINNING) == -1) {
		snprintf(err, errlen, "cannot start reading %s-0: %s", c->topic,
		         rd_kafka_err2str(rd_kafka_last_error()));
		goto fail;
	}
	c->consuming = 1;
	if (pthread_create(&c->thread, NULL, coord_main, c)) {
		snprintf(err, errlen, "cannot start the control topic thread");
		goto fail;
	}
	c->thread_started = 1;
	log_info("event=coord_started topic=%s cluster=%s instance=%s heartbeat_ms=%d", c->topic,
	         c->cluster, c->instance, c->heartbeat_ms);
	return c;
fail:
	if (conf)
		rd_kafka_conf_destroy(conf);
	coord_stop(c);
	return NULL;
}

void coord_stop(coord *c)
{
	if (!c)
		return;
	atomic_store(&c->stop, 1);
	if (c->thread_started)
		pthread_join(c->thread, NULL);
	if (c->consuming)
		rd_kafka_consume_stop(c->ctopic, 0);
	if (c->ctopic)
		rd_kafka_topic_destroy(c->ctopic);
	if (c->ptopic)
		rd_kafka_topic_destroy(c->ptopic);
	if (c->producer) {
		rd_kafka_flush(c->producer, 2000); /* the last word reaches the peers */
		rd_kafka_destroy(c->producer);
	}
	if (c->consumer)
		rd_kafka_destroy(c->consumer);
	if (c->status_init)
		mm2_rk_status_destroy(&c->status);
	pthread_mutex_destroy(&c->mu);
	free(c->table);
	free(c->own);
	free(c);
}

void coord_set(coord *c, const coord_record *r)
{
	pthread_mutex_lock(&c->mu);
	own_rec *o = NULL;
	for (size_t i = 0; i < c->nown && !o; i++)
		if (!strcmp(c->own[i].r.group, r->group))
			o = &c->own[i];
	if (!o) {
		if (c->nown == c->capown) {
			size_t cap = c->capown ? c->capown * 2 : 8;
			own_rec *t = realloc(c->own, cap * sizeof(*t));
			if (!t) {
				pthread_mutex_unlock(&c->mu);
				return; /* the next call tries again */
			}
			c->own = t;
			c->capown = cap;
		}
		o = &c->own[c->nown++];
		memset(o, 0, sizeof(*o));
		o->dirty = 1;
		o->r.since_ms = wall_ms();
	}
	if (o->r.state != r->state || o->r.cluster != r->cluster || strcmp(o->r.flip, r->flip)) {
		o->dirty = 1;
		o->r.since_ms = wall_ms();
	}
	o->dirty |= o->r.members != r->members || strcmp(o->r.topics, r->topics) != 0;
	int64_t since = o->r.since_ms, ts = o->r.ts_ms;
	o->r = *r;
	o->r.since_ms = since;
	o->r.ts_ms = ts;
	snprintf(o->r.instance, sizeof(o->r.instance), "%s", c->instance);
	pthread_mutex_unlock(&c->mu);
}

/* Copies the records of group (NULL: any) by instance (NULL: any). */
static int read_matching(coord *c, const char *group, const char *instance, coord_record **out,
                         size_t *n, char *why, size_t whylen)
{
	*out = NULL;
	*n = 0;
	pthread_mutex_lock(&c->mu);
	if (!c->caught_up) {
		pthread_mutex_unlock(&c->mu);
		char last[256];
		mm2_rk_status_get(&c->status, last, sizeof(last));
		snprintf(why, whylen, "control topic %s on %s not read to its end yet%s%s",
		         c->topic, c->cluster, last[0] ? ": " : "", last);
		return -1;
	}
	size_t k = 0;
	for (size_t i = 0; i < c->ntable; i++)
		k += (!group || !strcmp(c->table[i].group, group)) &&
		     (!instance || !strcmp(c->table[i].instance, instance));
	if (k && (*out = malloc(k * sizeof(**out))))
		for (size_t i = 0; i < c->ntable; i++)
			if ((!group || !strcmp(c->table[i].group, group)) &&
			    (!instance || !strcmp(c->table[i].instance, instance)))
				(*out)[(*n)++] = c->table[i];
	pthread_mutex_unlock(&c->mu);
	if (k && !*out) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	return 0;
}

int coord_read(coord *c, const char *group, coord_record **out, size_t *n, char *why, size_t whylen)
{
	return read_matching(c, group, NULL, out, n, why, whylen);
}

int coord_read_own(coord *c, coord_record **out, size_t *n, char *why, size_t whylen)
{
	return read_matching(c, NULL, c->instance, out, n, why, whylen);
}

void coord_progress_get(coord *c, coord_progress *out)
{
	out->topic = c->topic;
	out->cluster = c->cluster;
	out->instance = c->instance;
	out->heartbeat_ms = c->heartbeat_ms;
	pthread_mutex_lock(&c->mu);
	out->ready = c->caught_up;
	out->records = c->ntable;
	out->skipped = c->bad;
	pthread_mutex_unlock(&c->mu);
	mm2_rk_status_get(&c->status, out->last_error, sizeof(out->last_error));
}

const char *coord_instance(const coord *c)
{
	return c->instance;
}

int coord_heartbeat_ms(const coord *c)
{
	return c->heartbeat_ms;
}
