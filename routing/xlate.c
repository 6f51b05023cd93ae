/*
 * The translation engine.
 *
 *   start:  mm2_names -> two mm2_readers (threads) -> mm2_store
 *   translate_group (a worker thread):
 *     committed offsets of the group on "from"        (mm2_client, admin API)
 *     per partition: history + checkpoint from the store (copied out)
 *       -> translate_plan_make
 *       -> if it asks: read "from" records [anchor, g) + lookahead and "to"
 *          records from the anchor's copy (mm2_client), verify_scan
 *       -> translate_finish
 *     end offsets for the mirror lag
 *   submit: a job queue served by one worker thread owned by the engine.
 *
 * Only this file and mm2_client.c do network I/O on behalf of a translation,
 * and only on the thread that called xlate_translate_group / the worker.
 */
#include "routing/xlate.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proxy/log.h"
#include "routing/mm2_client.h"
#include "routing/mm2_names.h"
#include "routing/mm2_reader.h"
#include "routing/verify.h"

typedef struct xlate_job {
	struct xlate_job *next;
	void (*run)(void *arg, int stopping); /* xlate_engine_run; else a translation */
	char *group;
	translate_dir dir;
	xlate_done_fn done;
	void *arg;
} xlate_job;

struct xlate_engine {
	const mirror_config *mc;
	const config_cluster *cluster[2]; /* [MM2_SIDE_SOURCE] legacy, [MM2_SIDE_TARGET] target */
	char checkpoints_topic[MM2_TOPIC_MAX + 1];
	char syncs_topic[MM2_TOPIC_MAX + 1];
	mm2_store *store;
	mm2_reader *checkpoints;
	mm2_reader *syncs;

	pthread_mutex_t work_mu; /* serialises blocking calls (clients are single-threaded) */
	mm2_client *client[2];   /* created on first use, by whoever holds work_mu */

	pthread_mutex_t q_mu;
	pthread_cond_t q_cond;
	xlate_job *q_head, *q_tail;
	int q_stop;
	pthread_t worker;
	int worker_started;
};

static const char *const side_name[2] = {"legacy", "target"};

static void *worker_main(void *arg);

xlate_engine *xlate_engine_start(const mirror_config *mc, const config_cluster *legacy,
                                 const config_cluster *target, char *err, size_t errlen)
{
	xlate_engine *e = calloc(1, sizeof(*e));
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->mc = mc;
	e->cluster[MM2_SIDE_SOURCE] = legacy;
	e->cluster[MM2_SIDE_TARGET] = target;
	pthread_mutex_init(&e->work_mu, NULL);
	pthread_mutex_init(&e->q_mu, NULL);
	pthread_cond_init(&e->q_cond, NULL);
	if (mm2_names_checkpoints_topic(mc, e->checkpoints_topic, sizeof(e->checkpoints_topic)) ||
	    mm2_names_offset_syncs_topic(mc, e->syncs_topic, sizeof(e->syncs_topic))) {
		snprintf(err, errlen, "mirror: MM2 topic names too long");
		goto fail;
	}
	if (!(e->store = mm2_store_new())) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	mm2_side ss = mm2_names_offset_syncs_side(mc);
	e->syncs = mm2_reader_start(MM2_READER_OFFSET_SYNCS, e->syncs_topic, e->cluster[ss],
	                            side_name[ss], e->store, err, errlen);
	if (!e->syncs)
		goto fail;
	e->checkpoints = mm2_reader_start(MM2_READER_CHECKPOINTS, e->checkpoints_topic, target,
	                                  side_name[MM2_SIDE_TARGET], e->store, err, errlen);
	if (!e->checkpoints)
		goto fail;
	if (pthread_create(&e->worker, NULL, worker_main, e)) {
		snprintf(err, errlen, "cannot start the translation worker thread");
		goto fail;
	}
	e->worker_started = 1;
	return e;
fail:
	xlate_engine_stop(e);
	return NULL;
}

void xlate_engine_stop(xlate_engine *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&e->q_mu);
	e->q_stop = 1;
	pthread_cond_broadcast(&e->q_cond);
	pthread_mutex_unlock(&e->q_mu);
	if (e->worker_started)
		pthread_join(e->worker, NULL);
	/* jobs the worker did not reach */
	for (xlate_job *j = e->q_head, *next; j; j = next) {
		next = j->next;
		if (j->run)
			j->run(j->arg, 1);
		else
			j->done(j->arg, NULL, "engine stopped");
		free(j->group);
		free(j);
	}
	mm2_reader_stop(e->syncs);
	mm2_reader_stop(e->checkpoints);
	for (int i = 0; i < 2; i++)
		mm2_client_free(e->client[i]);
	mm2_store_free(e->store);
	pthread_cond_destroy(&e->q_cond);
	pthread_mutex_destroy(&e->q_mu);
	pthread_mutex_destroy(&e->work_mu);
	free(e);
}

int xlate_engine_ready(xlate_engine *e)
{
	return mm2_reader_ready(e->syncs) && mm2_reader_ready(e->checkpoints);
}

void xlate_engine_counts(xlate_engine *e, mm2_store_counts *out)
{
	mm2_store_counts_get(e->store, out);
}

void xlate_engine_progress(xlate_engine *e, mm2_reader_progress out[2])
{
	mm2_reader_progress_get(e->syncs, &out[0]);
	mm2_reader_progress_get(e->checkpoints, &out[1]);
}

void xlate_engine_describe(xlate_engine *e, char *buf, size_t len)
{
	char a[512], b[512];
	mm2_reader_describe(e->syncs, a, sizeof(a));
	mm2_reader_describe(e->checkpoints, b, sizeof(b));
	snprintf(buf, len, "%s; %s", a, b);
}

const char *xlate_engine_checkpoints_topic(xlate_engine *e)
{
	return e->checkpoints_topic;
}

const char *xlate_engine_offset_syncs_topic(xlate_engine *e)
{
	return e->syncs_topic;
}

/* The deadline the calling thread's blocking calls end by (see
 * xlate_thread_deadline); 0: each waits mirror.fetch_timeout_ms. */
static _Thread_local int64_t call_deadline_ms;

void xlate_thread_deadline(int64_t deadline_ms)
{
	call_deadline_ms = deadline_ms;
}

/* times fetch_timeout_ms, cut to what is left before the thread's deadline
 * (at least 1 ms: the call then fails as timed out) */
static int call_timeout(const xlate_engine *e, int times)
{
	int64_t t = (int64_t)e->mc->fetch_timeout_ms * times;
	if (call_deadline_ms) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		int64_t left =
		    call_deadline_ms - ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
		if (left < t)
			t = left < 1 ? 1 : left;
	}
	return (int)t;
}

int xlate_engine_wait_ready(xlate_engine *e, int timeout_ms, char *err, size_t errlen)
{
	struct timespec step = {0, 50 * 1000000L};
	for (int waited = 0; !xlate_engine_ready(e); waited += 50) {
		if (waited >= timeout_ms) {
			char what[1100];
			xlate_engine_describe(e, what, sizeof(what));
			snprintf(err, errlen, "MM2 topics not read to their end within %d ms: %s",
			         timeout_ms, what);
			return -1;
		}
		nanosleep(&step, NULL);
	}
	return 0;
}

/* ---- one group ---- */

static mm2_client *client_for(xlate_engine *e, mm2_side side, char *err, size_t errlen)
{
	if (!e->client[side])
		e->client[side] = mm2_client_new(e->cluster[side], side_name[side], err, errlen);
	return e->client[side];
}

/*
 * After a failed group request the side's client is replaced (caller holds
 * work_mu): librdkafka 2.0.2 can abort in a later coordinator admin request
 * on a handle whose coordinator went away (rd_kafka_enq_once_del_source_return
 * "eonce->refcnt > 0", librdkafka issue #4605); a fresh handle finds the
 * coordinator again.
 */
static void client_reset(xlate_engine *e, mm2_side side)
{
	if (!e->client[side])
		return;
	log_warn("event=translate_client_reset cluster=%s reason=\"a group request failed\"",
	         side_name[side]);
	mm2_client_free(e->client[side]);
	e->client[side] = NULL;
}

void xlate_group_result_free(xlate_group_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->parts[i].topic);
		free(r->parts[i].to_topic);
		free(r->parts[i].metadata);
		free(r->parts[i].error);
	}
	free(r->parts);
	free(r->group);
	free(r);
}

static int part_cmp(const void *a, const void *b)
{
	const xlate_partition *x = a, *y = b;
	int c = strcmp(x->topic, y->topic);
	return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

/* Adds every partition of topic (a "from"-side name) to l, once. */
static void add_topic_partitions(xlate_engine *e, mm2_client *from,
                                 rd_kafka_topic_partition_list_t *l, const char *topic)
{
	if (rd_kafka_topic_partition_list_find(l, topic, 0))
		return;
	int cnt = 0;
	char why[512];
	if (mm2_client_partitions(from, topic, call_timeout(e, 1), &cnt, why, sizeof(why))) {
		log_warn("event=translate_metadata_failed topic=%s error=\"%s\"", topic, why);
		return;
	}
	for (int p = 0; p < cnt; p++)
		rd_kafka_topic_partition_list_add(l, topic, p);
}

/*
 * The partitions to ask the group's offsets for, under their "from"-side
 * names: those of the topics with offset-syncs, those the group has
 * checkpoints for, and the extra topics given.
 */
static rd_kafka_topic_partition_list_t *group_partitions(xlate_engine *e, mm2_client *from,
                                                         const char *group, translate_dir dir,
                                                         const char *const *extra, char *err,
                                                         size_t errlen)
{
	char **synced = NULL, **checked = NULL;
	size_t ns = 0, nc = 0;
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(16);
	if (!l || mm2_store_sync_topics(e->store, &synced, &ns) ||
	    mm2_store_checkpoint_topics(e->store, group, &checked, &nc)) {
		snprintf(err, errlen, "out of memory");
		if (l)
			rd_kafka_topic_partition_list_destroy(l);
		l = NULL;
		goto out;
	}
	char name[MM2_TOPIC_MAX + 1];
	for (size_t i = 0; i < ns; i++) /* source names */
		if (dir == TRANSLATE_FORWARD)
			add_topic_partitions(e, from, l, synced[i]);
		else if (mm2_names_remote_topic(e->mc, synced[i], name, sizeof(name)) == 0)
			add_topic_partitions(e, from, l, name);
	for (size_t i = 0; i < nc; i++) /* target names */
		if (dir == TRANSLATE_REVERSE)
			add_topic_partitions(e, from, l, checked[i]);
		else if (mm2_names_source_topic(e->mc, checked[i], name, sizeof(name)) == 0)
			add_topic_partitions(e, from, l, name);
	for (size_t i = 0; extra && extra[i]; i++)
		add_topic_partitions(e, from, l, extra[i]);
out:
	mm2_store_free_names(synced, ns);
	mm2_store_free_names(checked, nc);
	return l;
}

/* Compares records to improve on the plan; fills r (and part->error). */
static void translate_one(xlate_engine *e, translate_dir dir, const translate_plan *plan,
                          const char *from_topic, const char *to_topic, int32_t partition,
                          xlate_partition *part)
{
	mm2_side fs = dir == TRANSLATE_FORWARD ? MM2_SIDE_SOURCE : MM2_SIDE_TARGET;
	char why[600] = "";
	verify_rec *from = NULL, *to = NULL;
	size_t nfrom = 0, nto = 0;
	int from_end = 0, to_end = 0; /* reads reached the partition's end */
	verify_outcome vo;
	int have = 0;
	mm2_client *fc = client_for(e, fs, why, sizeof(why));
	mm2_client *tc = fc ? client_for(e, (mm2_side)!fs, why, sizeof(why)) : NULL;
	int64_t g = plan->offset;
	if (!tc)
		goto done;
	if (mm2_client_read(fc, from_topic, partition, plan->from_start,
	                    (size_t)plan->from_max + VERIFY_LOOKAHEAD, g, VERIFY_LOOKAHEAD,
	                    call_timeout(e, 1), &from, &nfrom, &from_end, why, sizeof(why)))
		goto done;
	size_t before = 0;
	while (before < nfrom && from[before].offset < g)
		before++;
	if (mm2_client_read(tc, to_topic, partition, plan->to_start, before + VERIFY_LOOKAHEAD + 1,
	                    -1, 0, call_timeout(e, 1), &to, &nto, &to_end, why, sizeof(why)))
		goto done;
	verify_input in = {
	    .anchor_from = plan->from_start,
	    .anchor_to = plan->to_start,
	    .g = g,
	    .has_next = plan->has_next,
	    .next_to = dir == TRANSLATE_FORWARD ? plan->next.down : plan->next.up,
	    .from = from,
	    .nfrom = nfrom,
	    /* the read stops only at the end, after VERIFY_LOOKAHEAD records past
	     * g, or after more records than [anchor, g) can hold: all cover g */
	    .from_complete = 1,
	    .to = to,
	    .nto = nto,
	    .to_at_end = to_end,
	};
	if (verify_scan(&in, &vo) == 0)
		have = 1;
	else
		snprintf(why, sizeof(why), "%s", vo.note);
done:
	translate_finish(plan, have ? &vo : NULL, why[0] ? why : "records could not be read",
	                 &part->r);
	if (!have && why[0]) {
		part->error = strdup(why);
		log_warn("event=translate_verify_failed topic=%s partition=%d error=\"%s\"",
		         from_topic, (int)partition, why);
	}
	free(from);
	free(to);
}

static int translate_locked(xlate_engine *e, const char *group, translate_dir dir,
                            const char *const *topics, xlate_group_result **out, char *err,
                            size_t errlen)
{
	*out = NULL;
	if (!xlate_engine_ready(e)) {
		char what[1100];
		xlate_engine_describe(e, what, sizeof(what));
		snprintf(err, errlen, "not ready: %s", what);
		return -1;
	}
	mm2_side fs = dir == TRANSLATE_FORWARD ? MM2_SIDE_SOURCE : MM2_SIDE_TARGET;
	mm2_client *from = client_for(e, fs, err, errlen);
	if (!from)
		return -1;
	rd_kafka_topic_partition_list_t *want =
	    group_partitions(e, from, group, dir, topics, err, errlen);
	rd_kafka_topic_partition_list_t *got = NULL, *all = NULL;
	xlate_group_result *res = NULL;
	int rc = -1;
	if (!want)
		goto out;
	if (want->cnt > 0 &&
	    mm2_client_committed(from, group, want, call_timeout(e, 1), &got, err, errlen))
		goto out;
	/* every partition the broker knows for the group (real Kafka answers;
	 * librdkafka's mock does not, which the explicit list covers) */
	char why[512];
	if (mm2_client_committed(from, group, NULL, call_timeout(e, 1), &all, why, sizeof(why))) {
		if (want->cnt == 0) {
			snprintf(err, errlen, "%s", why);
			goto out;
		}
		log_debug("event=translate_list_all_failed group=%s error=\"%s\"", group, why);
	}
	res = calloc(1, sizeof(*res));
	size_t cap = (size_t)(got ? got->cnt : 0) + (size_t)(all ? all->cnt : 0);
	if (!res || !(res->group = strdup(group)) ||
	    !(res->parts = calloc(cap ? cap : 1, sizeof(*res->parts)))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	res->dir = dir;
	const rd_kafka_topic_partition_list_t *lists[2] = {got, all};
	for (int li = 0; li < 2; li++) {
		for (int i = 0; lists[li] && i < lists[li]->cnt; i++) {
			const rd_kafka_topic_partition_t *tp = &lists[li]->elems[i];
			if (tp->err || tp->offset < 0)
				continue; /* no commit for this partition */
			int dup = 0;
			for (size_t k = 0; k < res->n && !dup; k++)
				dup = res->parts[k].partition == tp->partition &&
				      strcmp(res->parts[k].topic, tp->topic) == 0;
			if (dup)
				continue;
			xlate_partition *p = &res->parts[res->n];
			p->partition = tp->partition;
			p->committed = tp->offset;
			p->from_end = -1;
			p->mirror_lag = -1;
			p->topic = strdup(tp->topic);
			p->metadata = tp->metadata && tp->metadata_size
			                  ? strndup((const char *)tp->metadata, tp->metadata_size)
			                  : strdup("");
			res->n++;
			if (!p->topic || !p->metadata) {
				snprintf(err, errlen, "out of memory");
				goto out;
			}
		}
	}
	qsort(res->parts, res->n, sizeof(*res->parts), part_cmp);

	for (size_t i = 0; i < res->n; i++) {
		xlate_partition *p = &res->parts[i];
		char src[MM2_TOPIC_MAX + 1], to[MM2_TOPIC_MAX + 1];
		int named;
		if (dir == TRANSLATE_FORWARD) {
			snprintf(src, sizeof(src), "%s", p->topic);
			named = mm2_names_remote_topic(e->mc, p->topic, to, sizeof(to)) == 0;
		} else {
			named = mm2_names_source_topic(e->mc, p->topic, src, sizeof(src)) == 0;
			snprintf(to, sizeof(to), "%s", named ? src : "");
		}
		if (!(p->to_topic = strdup(to))) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		translate_history h;
		int have_h = named && mm2_store_history(e->store, src, p->partition, &h);
		translate_checkpoint cp;
		int have_cp = named && dir == TRANSLATE_FORWARD && e->mc->use_checkpoints &&
		              mm2_store_checkpoint(e->store, group, to, p->partition, &cp, NULL, 0);
		translate_plan plan;
		translate_plan_make(&plan, dir, have_h ? &h : NULL, have_cp ? &cp : NULL,
		                    p->committed, e->mc->verify_record_budget);
		if (plan.fetch)
			translate_one(e, dir, &plan, p->topic, to, p->partition, p);
		else
			p->r = plan.result;
		if (!named)
			p->r.note =
			    "not the name of a mirrored topic under this replication policy";
		int64_t end;
		if (mm2_client_end_offset(from, p->topic, p->partition, call_timeout(e, 1), &end,
		                          why, sizeof(why)) == 0) {
			p->from_end = end;
			if (have_h) {
				int64_t newest =
				    dir == TRANSLATE_FORWARD ? h.slot[0].up : h.slot[0].down;
				p->mirror_lag = end > newest + 1 ? end - newest - 1 : 0;
			}
		}
		log_info("event=translated group=%s topic=%s partition=%d committed=%lld "
		         "offset=%lld method=%s path=%s rereads_max=%lld",
		         group, p->topic, (int)p->partition, (long long)p->committed,
		         (long long)p->r.offset, translate_method_name(p->r.method),
		         translate_path_name(p->r.path), (long long)p->r.rereads_max);
	}
	mm2_store_counts_get(e->store, &res->counts);
	*out = res;
	res = NULL;
	rc = 0;
out:
	if (want)
		rd_kafka_topic_partition_list_destroy(want);
	if (got)
		rd_kafka_topic_partition_list_destroy(got);
	if (all)
		rd_kafka_topic_partition_list_destroy(all);
	xlate_group_result_free(res);
	return rc;
}

int xlate_translate_group(xlate_engine *e, const char *group, translate_dir dir,
                          const char *const *topics, xlate_group_result **out, char *err,
                          size_t errlen)
{
	pthread_mutex_lock(&e->work_mu);
	int rc = translate_locked(e, group, dir, topics, out, err, errlen);
	pthread_mutex_unlock(&e->work_mu);
	return rc;
}

int xlate_seed_group(xlate_engine *e, const xlate_group_result *res, int describe,
                     xlate_seed_report *rep, char *err, size_t errlen)
{
	memset(rep, 0, sizeof(*rep));
	rep->how = "none";
	mm2_side ts = res->dir == TRANSLATE_FORWARD ? MM2_SIDE_TARGET : MM2_SIDE_SOURCE;
	int rc = -1;
	rd_kafka_topic_partition_list_t *ask = rd_kafka_topic_partition_list_new((int)res->n + 1);
	rd_kafka_topic_partition_list_t *cur = NULL, *put = NULL;
	pthread_mutex_lock(&e->work_mu);
	mm2_client *to = client_for(e, ts, err, errlen);
	if (!ask || !to)
		goto out;
	for (size_t i = 0; i < res->n; i++)
		if (res->parts[i].r.method != TRANSLATE_NONE)
			rd_kafka_topic_partition_list_add(ask, res->parts[i].to_topic,
			                                  res->parts[i].partition);
	if (ask->cnt &&
	    mm2_client_committed(to, res->group, ask, call_timeout(e, 1), &cur, err, errlen))
		goto out;
	put = rd_kafka_topic_partition_list_new((int)res->n + 1);
	if (!put) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < res->n; i++) {
		const xlate_partition *p = &res->parts[i];
		if (p->r.method == TRANSLATE_NONE) {
			rep->skipped++;
			continue;
		}
		const rd_kafka_topic_partition_t *c =
		    cur ? rd_kafka_topic_partition_list_find(cur, p->to_topic, p->partition) : NULL;
		if (c && !c->err && c->offset >= p->r.offset) {
			rep->kept++; /* like MM2: never move a group backwards */
			continue;
		}
		rd_kafka_topic_partition_t *tp =
		    rd_kafka_topic_partition_list_add(put, p->to_topic, p->partition);
		tp->offset = p->r.offset;
		if (p->metadata && p->metadata[0]) {
			tp->metadata = strdup(p->metadata);
			tp->metadata_size = tp->metadata ? strlen(p->metadata) : 0;
		}
		rep->committed++;
	}
	rep->how = "none";
	if (put->cnt) {
		mm2_group_state gs = {.unsupported = describe == 0};
		char serr[600] = "";
		if (describe != 1)
			; /* nothing to ask */
		else if (mm2_client_group_state(to, res->group, call_timeout(e, 1), &gs, serr,
		                                sizeof(serr)))
			log_warn("event=group_describe_failed group=%s cluster=%s error=\"%s\"",
			         res->group, side_name[ts], serr);
		else if (!gs.unsupported && strcmp(gs.state, "Empty") != 0 &&
		         strcmp(gs.state, "Dead") != 0) {
			snprintf(err, errlen,
			         "group %s on %s is %s with %d member(s) (%s): offsets are only "
			         "written into an empty group",
			         res->group, side_name[ts], gs.state, gs.members, gs.who);
			rep->committed = 0;
			goto out;
		}
		rep->how = "commit";
		if (mm2_client_commit(to, res->group, put, call_timeout(e, 1), err, errlen)) {
			int refused = strstr(err, "nknown member") ||
			              strstr(err, "UNKNOWN_MEMBER") || strstr(err, "generation") ||
			              strstr(err, "GENERATION");
			if (describe != 0 || !refused) {
				rep->committed = 0;
				goto out;
			}
			log_info(
			    "event=seed_as_member group=%s cluster=%s reason=\"%s; the cluster "
			    "cannot describe groups\"",
			    res->group, side_name[ts], err);
			rep->how = "member";
			if (mm2_client_commit_as_member(to, res->group, put, call_timeout(e, 2),
			                                err, errlen)) {
				rep->committed = 0;
				goto out;
			}
		}
	}
	log_info("event=group_seeded group=%s cluster=%s committed=%zu kept=%zu skipped=%zu how=%s",
	         res->group, side_name[ts], rep->committed, rep->kept, rep->skipped, rep->how);
	rc = 0;
out:
	if (rc)
		client_reset(e, ts);
	pthread_mutex_unlock(&e->work_mu);
	if (ask)
		rd_kafka_topic_partition_list_destroy(ask);
	if (cur)
		rd_kafka_topic_partition_list_destroy(cur);
	if (put)
		rd_kafka_topic_partition_list_destroy(put);
	return rc;
}

/* ---- the worker ---- */

int xlate_engine_submit(xlate_engine *e, const char *group, translate_dir dir, xlate_done_fn done,
                        void *arg)
{
	xlate_job *j = calloc(1, sizeof(*j));
	if (!j || !(j->group = strdup(group))) {
		free(j);
		return -1;
	}
	j->dir = dir;
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&e->q_mu);
	if (e->q_stop) {
		pthread_mutex_unlock(&e->q_mu);
		free(j->group);
		free(j);
		return -1;
	}
	if (e->q_tail)
		e->q_tail->next = j;
	else
		e->q_head = j;
	e->q_tail = j;
	pthread_cond_signal(&e->q_cond);
	pthread_mutex_unlock(&e->q_mu);
	return 0;
}

int xlate_engine_run(xlate_engine *e, void (*fn)(void *arg, int stopping), void *arg)
{
	xlate_job *j = calloc(1, sizeof(*j));
	if (!j)
		return -1;
	j->run = fn;
	j->arg = arg;
	pthread_mutex_lock(&e->q_mu);
	if (e->q_stop) {
		pthread_mutex_unlock(&e->q_mu);
		free(j);
		return -1;
	}
	if (e->q_tail)
		e->q_tail->next = j;
	else
		e->q_head = j;
	e->q_tail = j;
	pthread_cond_signal(&e->q_cond);
	pthread_mutex_unlock(&e->q_mu);
	return 0;
}

static size_t count_commits(const rd_kafka_topic_partition_list_t *l)
{
	size_t n = 0;
	for (int i = 0; l && i < l->cnt; i++)
		n += !l->elems[i].err && l->elems[i].offset >= 0;
	return n;
}

int xlate_group_commits(xlate_engine *e, int cluster, const char *group, const char *const *topics,
                        size_t *n, char *err, size_t errlen)
{
	*n = 0;
	if (!xlate_engine_ready(e)) {
		snprintf(err, errlen, "the translation engine is not ready");
		return -1;
	}
	translate_dir dir = cluster == CLUSTER_LEGACY ? TRANSLATE_FORWARD : TRANSLATE_REVERSE;
	mm2_side side = cluster == CLUSTER_LEGACY ? MM2_SIDE_SOURCE : MM2_SIDE_TARGET;
	int rc = -1;
	rd_kafka_topic_partition_list_t *want = NULL, *got = NULL, *all = NULL;
	pthread_mutex_lock(&e->work_mu);
	mm2_client *c = client_for(e, side, err, errlen);
	if (!c || !(want = group_partitions(e, c, group, dir, topics, err, errlen)))
		goto out;
	if (want->cnt > 0 &&
	    mm2_client_committed(c, group, want, call_timeout(e, 1), &got, err, errlen))
		goto out;
	/* real Kafka lists every partition of the group; the mock cannot */
	char why[512];
	if (mm2_client_committed(c, group, NULL, call_timeout(e, 1), &all, why, sizeof(why)) &&
	    want->cnt == 0) {
		snprintf(err, errlen, "%s", why);
		goto out;
	}
	size_t a = count_commits(got), b = count_commits(all);
	*n = a > b ? a : b;
	rc = 0;
out:
	if (rc)
		client_reset(e, side);
	pthread_mutex_unlock(&e->work_mu);
	if (want)
		rd_kafka_topic_partition_list_destroy(want);
	if (got)
		rd_kafka_topic_partition_list_destroy(got);
	if (all)
		rd_kafka_topic_partition_list_destroy(all);
	return rc;
}

int xlate_group_state(xlate_engine *e, int cluster, const char *group, mm2_group_state *out,
                      char *err, size_t errlen)
{
	mm2_side side = cluster == CLUSTER_LEGACY ? MM2_SIDE_SOURCE : MM2_SIDE_TARGET;
	pthread_mutex_lock(&e->work_mu);
	mm2_client *c = client_for(e, side, err, errlen);
	int rc = c ? mm2_client_group_state(c, group, call_timeout(e, 1), out, err, errlen) : -1;
	pthread_mutex_unlock(&e->work_mu);
	return rc;
}

static void *worker_main(void *arg)
{
	xlate_engine *e = arg;
	for (;;) {
		pthread_mutex_lock(&e->q_mu);
		while (!e->q_head && !e->q_stop)
			pthread_cond_wait(&e->q_cond, &e->q_mu);
		if (e->q_stop) {
			pthread_mutex_unlock(&e->q_mu);
			return NULL;
		}
		xlate_job *j = e->q_head;
		e->q_head = j->next;
		if (!e->q_head)
			e->q_tail = NULL;
		pthread_mutex_unlock(&e->q_mu);

		if (j->run) {
			j->run(j->arg, 0);
			free(j);
			continue;
		}
		char err[1200] = "";
		xlate_group_result *res = NULL;
		if (xlate_translate_group(e, j->group, j->dir, NULL, &res, err, sizeof(err)))
			j->done(j->arg, NULL, err);
		else
			j->done(j->arg, res, NULL);
		free(j->group);
		free(j);
	}
}
