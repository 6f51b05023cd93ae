/*
 * MM2 topic reader thread.
 *
 *   librdkafka fetcher -> rd_kafka_consume (this thread) -> decode
 *     -> mm2_store_add_* (under the store's mutex)
 *
 * It uses librdkafka's simple (partition) consumer API, which needs no
 * group.id: nothing is committed, no group coordinator is involved, and the
 * log is read from the beginning on every start, as MM2's KafkaBasedLog does.
 *
 * Readiness: librdkafka reports end-of-partition (enable.partition.eof) each
 * time the fetcher catches up with the high watermark; the first one means
 * everything MM2 had written when we started has been applied, which is
 * when MM2's own OffsetSyncStore starts translating. Later records keep
 * arriving and are applied as they come.
 *
 * A record that does not decode is counted, logged with its offset and the
 * reason (the first 20, then every 1000th, so a flood cannot fill the log),
 * and skipped: it never reaches the store.
 */
#include "routing/mm2_reader.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "proxy/log.h"
#include "routing/mm2_rdkafka.h"
#include "routing/mm2_records.h"

struct mm2_reader {
	mm2_reader_kind kind;
	char topic[256];
	char cluster[32];
	mm2_store *store;
	rd_kafka_t *rk;
	rd_kafka_topic_t *rkt;
	int consuming; /* consume_start succeeded */
	mm2_rk_status status;
	int status_init;
	pthread_t thread;
	int thread_started;
	atomic_int stop;
	atomic_int ready;
	atomic_llong applied;      /* records applied by this reader */
	atomic_llong bad;          /* records skipped */
	atomic_llong position;     /* next offset to read */
	atomic_llong newest_ms;    /* newest record timestamp seen; -1 none */
	atomic_llong caught_up_ms; /* wall clock of the last end-of-partition; -1 never */
};

static const char *kind_name(mm2_reader_kind k)
{
	return k == MM2_READER_CHECKPOINTS ? "checkpoints" : "offset_syncs";
}

static void reader_record(mm2_reader *r, const rd_kafka_message_t *m)
{
	const char *why = NULL;
	int rc;
	if (r->kind == MM2_READER_CHECKPOINTS) {
		mm2_checkpoint cp;
		rc = mm2_checkpoint_decode(m->key, m->key_len, m->payload, m->len, &cp, &why);
		if (rc == 0 && mm2_store_add_checkpoint(r->store, &cp))
			why = "out of memory";
	} else {
		mm2_offset_sync os;
		rc = mm2_offset_sync_decode(m->key, m->key_len, m->payload, m->len, &os, &why);
		if (rc == 0 && mm2_store_add_sync(r->store, &os))
			why = "out of memory";
	}
	if (!why) {
		atomic_fetch_add(&r->applied, 1);
		return;
	}
	long long n = atomic_fetch_add(&r->bad, 1) + 1;
	mm2_store_count_bad(r->store, r->kind == MM2_READER_CHECKPOINTS);
	if (n <= 20 || n % 1000 == 0)
		log_warn("event=mm2_record_skipped kind=%s topic=%s partition=%d offset=%lld "
		         "reason=\"%s\" skipped_total=%lld",
		         kind_name(r->kind), r->topic, (int)m->partition, (long long)m->offset, why,
		         n);
}

static void *reader_main(void *arg)
{
	mm2_reader *r = arg;
	while (!atomic_load(&r->stop)) {
		rd_kafka_poll(r->rk, 0); /* serves error_cb (brokers down, auth) */
		rd_kafka_message_t *m = rd_kafka_consume(r->rkt, 0, 200);
		if (!m)
			continue;
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			atomic_store(&r->position, m->offset);
			struct timeval tv;
			gettimeofday(&tv, NULL);
			atomic_store(&r->caught_up_ms,
			             (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000);
			if (!atomic_exchange(&r->ready, 1))
				log_info("event=mm2_reader_ready kind=%s cluster=%s topic=%s "
				         "records=%lld skipped=%lld",
				         kind_name(r->kind), r->cluster, r->topic,
				         (long long)atomic_load(&r->applied),
				         (long long)atomic_load(&r->bad));
			mm2_rk_status_set(&r->status, "%s", "");
		} else if (m->err) {
			mm2_rk_status_set(&r->status, "%s %s on %s: %s", kind_name(r->kind),
			                  r->topic, r->cluster, rd_kafka_message_errstr(m));
		} else {
			atomic_store(&r->position, m->offset + 1);
			long long ts = rd_kafka_message_timestamp(m, NULL);
			if (ts > atomic_load(&r->newest_ms))
				atomic_store(&r->newest_ms, ts);
			reader_record(r, m);
		}
		rd_kafka_message_destroy(m);
	}
	return NULL;
}

mm2_reader *mm2_reader_start(mm2_reader_kind kind, const char *topic, const config_cluster *cluster,
                             const char *cluster_name, mm2_store *store, char *err, size_t errlen)
{
	rd_kafka_conf_t *conf = NULL;
	mm2_reader *r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->kind = kind;
	r->store = store;
	atomic_init(&r->newest_ms, -1);
	atomic_init(&r->caught_up_ms, -1);
	snprintf(r->topic, sizeof(r->topic), "%s", topic);
	snprintf(r->cluster, sizeof(r->cluster), "%s", cluster_name);
	char name[64];
	snprintf(name, sizeof(name), "turnout-mm2-%s-%s", kind_name(kind), cluster_name);
	if (mm2_rk_status_init(&r->status, name)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	r->status_init = 1;
	conf = mirror_rk_conf(cluster, name, &r->status, err, errlen);
	/* auto.offset.reset=earliest: if retention removed the first offsets,
	 * start at whatever is left. */
	if (!conf || mm2_rk_set(conf, "enable.partition.eof", "true", err, errlen) ||
	    mm2_rk_set(conf, "fetch.wait.max.ms", "200", err, errlen) ||
	    mm2_rk_set(conf, "auto.offset.reset", "earliest", err, errlen))
		goto fail;
	char why[256];
	r->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof(why));
	if (!r->rk) {
		snprintf(err, errlen, "cannot create the %s reader: %s", kind_name(kind), why);
		goto fail;
	}
	conf = NULL; /* owned by rk now */
	r->rkt = rd_kafka_topic_new(r->rk, topic, NULL);
	if (!r->rkt) {
		snprintf(err, errlen, "cannot read topic %s: %s", topic,
		         rd_kafka_err2str(rd_kafka_last_error()));
		goto fail;
	}
	if (rd_kafka_consume_start(r->rkt, 0, RD_KAFKA_OFFSET_BEGINNING) == -1) {
		snprintf(err, errlen, "cannot start reading %s-0: %s", topic,
		         rd_kafka_err2str(rd_kafka_last_error()));
		goto fail;
	}
	r->consuming = 1;
	if (pthread_create(&r->thread, NULL, reader_main, r)) {
		snprintf(err, errlen, "cannot start the %s reader thread", kind_name(kind));
		goto fail;
	}
	r->thread_started = 1;
	log_info("event=mm2_reader_started kind=%s cluster=%s topic=%s", kind_name(kind),
	         cluster_name, topic);
	return r;
fail:
	if (conf)
		rd_kafka_conf_destroy(conf);
	mm2_reader_stop(r);
	return NULL;
}

int mm2_reader_ready(mm2_reader *r)
{
	return atomic_load(&r->ready);
}

void mm2_reader_progress_get(mm2_reader *r, mm2_reader_progress *out)
{
	out->kind = kind_name(r->kind);
	snprintf(out->topic, sizeof(out->topic), "%s", r->topic);
	snprintf(out->cluster, sizeof(out->cluster), "%s", r->cluster);
	out->ready = atomic_load(&r->ready);
	out->applied = atomic_load(&r->applied);
	out->bad = atomic_load(&r->bad);
	out->position = atomic_load(&r->position);
	out->newest_ms = atomic_load(&r->newest_ms);
	out->caught_up_ms = atomic_load(&r->caught_up_ms);
}

void mm2_reader_describe(mm2_reader *r, char *buf, size_t len)
{
	char last[256];
	mm2_rk_status_get(&r->status, last, sizeof(last));
	snprintf(buf, len,
	         "%s topic %s on %s: %s, at offset %lld, %lld records applied, %lld skipped%s%s",
	         kind_name(r->kind), r->topic, r->cluster,
	         atomic_load(&r->ready) ? "read to end" : "not read to end yet",
	         (long long)atomic_load(&r->position), (long long)atomic_load(&r->applied),
	         (long long)atomic_load(&r->bad), last[0] ? ", last error: " : "", last);
}

void mm2_reader_stop(mm2_reader *r)
{
	if (!r)
		return;
	atomic_store(&r->stop, 1);
	if (r->thread_started)
		pthread_join(r->thread, NULL);
	if (r->consuming)
		rd_kafka_consume_stop(r->rkt, 0);
	if (r->rkt)
		rd_kafka_topic_destroy(r->rkt);
	if (r->rk)
		rd_kafka_destroy(r->rk);
	if (r->status_init)
		mm2_rk_status_destroy(&r->status);
	free(r);
}
