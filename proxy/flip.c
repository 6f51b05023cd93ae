/*
 * The flip driver (see flip.h). Data flow:
 *
 *   reload.c -> flip_begin: cutover_begin (FREEZING), route_gen++ so fetch
 *   sessions are re-checked and fetches of the group's topics get
 *   NOT_LEADER_OR_FOLLOWER (route.c/view.c); commits still pass.
 *   tick (loop, 100 ms): freeze over and engine ready -> cutover_frozen
 *   (fenced) and xlate_engine_submit(job).
 *   worker: on_translated -> flip_plan_check -> xlate_seed_group -> job on
 *   the done list (mutex).
 *   tick: pops jobs -> SERVING(to) (g->cluster, settling) or cutover_fail.
 *
 * A job is owned by flip_ctl from submit until the tick frees it; the group
 * table outlives the engine (flip_stop runs before groups_free).
 */
#include "proxy/flip.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proxy/log.h"
#include "proxy/proxy.h"
#include "proxy/view.h"
#include "routing/flip_plan.h"
#include "routing/xlate.h"

typedef struct flip_job {
	struct flip_job *next;
	flip_ctl *fc;
	char *group;
	char **topics; /* the group's "from"-side topics when submitted */
	size_t ntopics;
	int to;
	/* filled on the worker */
	int reached; /* 0 reading/translating, 1 translated, 2 seeded */
	int ok;
	char why[1200];
	flip_summary sum;
	xlate_seed_report seed;
	int64_t translated_ms, seeded_ms;
} flip_job;

struct flip_ctl {
	proxy *px;
	xlate_engine *engine;
	config *cfg; /* the snapshot the engine reads its settings from */
	struct event *tick;
	pthread_mutex_t mu;
	flip_job *done; /* finished on the worker, not yet applied */
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void job_free(flip_job *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->ntopics; i++)
		free(j->topics[i]);
	free(j->topics);
	free(j->group);
	free(j);
}

/* ---- worker thread ---- */

static void on_translated(void *arg, xlate_group_result *res, const char *err)
{
	flip_job *j = arg;
	if (!res) {
		snprintf(j->why, sizeof(j->why), "translation failed: %s", err ? err : "?");
	} else {
		j->reached = 1;
		j->translated_ms = mono_ms();
		if (flip_plan_check(res, j->topics, j->ntopics, &j->sum, j->why, sizeof(j->why)) ==
		    0) {
			j->reached = 2;
			char serr[1000];
			if (xlate_seed_group(j->fc->engine, res, &j->seed, serr, sizeof(serr)))
				snprintf(j->why, sizeof(j->why), "seeding failed: %s", serr);
			else
				j->ok = 1;
			j->seeded_ms = mono_ms();
		}
	}
	xlate_group_result_free(res);
	pthread_mutex_lock(&j->fc->mu);
	j->next = j->fc->done;
	j->fc->done = j;
	pthread_mutex_unlock(&j->fc->mu);
}

/* ---- event loop ---- */

static const char *name(int cluster)
{
	return config_cluster_names[cluster];
}

static void routes_changed(proxy *px)
{
	px->route_gen++; /* incremental fetch sessions are looked at again */
	view_update(px);
}

static void fail(proxy *px, group_rt *g, const char *why, int64_t now)
{
	int from = g->flip.cluster, to = g->flip.to;
	cutover_fail(&g->flip, why, now);
	routes_changed(px);
	log_error("event=flip_failed group=%s from=%s to=%s reason=\"%s\" served_on=%s "
	          "action=\"fence lifted, fetches released; retried on the next reload\"",
	          g->id, name(from), name(to), g->flip.reason, name(g->cluster));
}

static void apply(proxy *px, flip_job *j)
{
	group_rt *g = groups_get(px, j->group, strlen(j->group), 0);
	if (!g || g->flip_io != j)
		return; /* cannot happen: groups live as long as the process */
	g->flip_io = NULL;
	int64_t now = mono_ms();
	int from = g->flip.cluster;
	if (j->reached >= 1) {
		cutover_snapshot_done(&g->flip, j->translated_ms);
		cutover_translated(&g->flip, j->translated_ms);
		log_info("event=flip group=%s state=seeding from=%s to=%s translate_ms=%lld "
		         "partitions=%zu exact=%zu checkpoint=%zu conservative=%zu none=%zu "
		         "rereads_max=%lld rereads_unknown=%d",
		         g->id, name(from), name(j->to),
		         (long long)(j->translated_ms - g->flip.began_ms), j->sum.parts,
		         j->sum.exact, j->sum.checkpoint, j->sum.conservative, j->sum.none,
		         (long long)j->sum.rereads_max, j->sum.rereads_unknown);
	}
	if (!j->ok) {
		fail(px, g, j->why, now);
		return;
	}
	cutover_seeded(&g->flip, j->seeded_ms);
	g->cluster = g->flip.cluster;
	/* members still hold positions of the old cluster: no fetch there
	 * until one has read the seeded offsets from the new coordinator */
	g->settling = 1;
	routes_changed(px);
	log_info("event=flip group=%s state=serving from=%s to=%s pause_ms=%lld seed_ms=%lld "
	         "seeded=%zu kept=%zu skipped=%zu rereads_max=%lld",
	         g->id, name(from), name(g->cluster), (long long)g->flip.last_pause_ms,
	         (long long)(j->seeded_ms - j->translated_ms), j->seed.committed, j->seed.kept,
	         j->seed.skipped, (long long)j->sum.rereads_max);
}

static flip_job *job_new(flip_ctl *fc, group_rt *g)
{
	flip_job *j = calloc(1, sizeof(*j));
	if (!j || !(j->group = strdup(g->id)))
		goto fail;
	j->fc = fc;
	j->to = g->flip.to;
	if (g->ntopics && !(j->topics = calloc(g->ntopics, sizeof(*j->topics))))
		goto fail;
	for (; j->ntopics < g->ntopics; j->ntopics++)
		if (!(j->topics[j->ntopics] = strdup(g->topics[j->ntopics])))
			goto fail;
	return j;
fail:
	job_free(j);
	return NULL;
}

/* FREEZING is over: fence the group and hand it to the engine. */
static void freeze_done(proxy *px, flip_ctl *fc, group_rt *g, int64_t now)
{
	int ready_ms = fc->cfg->mirror->ready_timeout_ms;
	if (!xlate_engine_ready(fc->engine)) {
		if (now - g->flip.state_ms < ready_ms)
			return; /* fetches stay held while the readers catch up */
		char desc[1000], why[1100];
		xlate_engine_describe(fc->engine, desc, sizeof(desc));
		snprintf(why, sizeof(why), "translation engine not ready after %d ms: %s", ready_ms,
		         desc);
		fail(px, g, why, now);
		return;
	}
	int64_t froze = now - g->flip.state_ms;
	int quiet = now - (g->flip.last_commit_ms > g->flip.state_ms ? g->flip.last_commit_ms
	                                                             : g->flip.state_ms) >=
	            px->cfg->cutover_quiet_ms;
	cutover_frozen(&g->flip, now);
	flip_job *j = job_new(fc, g);
	translate_dir dir =
	    g->flip.cluster == CLUSTER_LEGACY ? TRANSLATE_FORWARD : TRANSLATE_REVERSE;
	if (!j || xlate_engine_submit(fc->engine, g->id, dir, on_translated, j)) {
		job_free(j);
		fail(px, g, "cannot queue the translation (out of memory or stopping)", now);
		return;
	}
	g->flip_io = j;
	log_info("event=flip group=%s state=snapshot from=%s to=%s freeze_ms=%lld ended_by=%s "
	         "direction=%s",
	         g->id, name(g->flip.cluster), name(g->flip.to), (long long)froze,
	         quiet ? "quiet" : "deadline", dir == TRANSLATE_FORWARD ? "forward" : "reverse");
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	flip_ctl *fc = arg;
	proxy *px = fc->px;
	pthread_mutex_lock(&fc->mu);
	flip_job *done = fc->done;
	fc->done = NULL;
	pthread_mutex_unlock(&fc->mu);
	while (done) {
		flip_job *next = done->next;
		apply(px, done);
		job_free(done);
		done = next;
	}
	int64_t now = mono_ms();
	for (size_t i = 0; i < px->groups.n; i++) {
		group_rt *g = px->groups.v[i];
		if (cutover_freeze_over(&g->flip, now, px->cfg->cutover_quiet_ms,
		                        px->cfg->cutover_freeze_max_ms))
			freeze_done(px, fc, g, now);
		/* a route changed again while the flip ran: follow it now */
		int want = routes_group(&px->cfg->routes, g->id, strlen(g->id));
		if (!cutover_busy(&g->flip) && !g->flip.reason[0] && want != g->cluster)
			flip_begin(px, g, want);
	}
}

int flip_start(proxy *px, char *err, size_t errlen)
{
	px->flip = NULL;
	if (!px->cfg->mirror)
		return 0;
	flip_ctl *fc = calloc(1, sizeof(*fc));
	if (!fc) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	fc->px = px;
	fc->cfg = px->cfg;
	pthread_mutex_init(&fc->mu, NULL);
	px->flip = fc;
	fc->engine = xlate_engine_start(fc->cfg->mirror, &fc->cfg->clusters[CLUSTER_LEGACY],
	                                &fc->cfg->clusters[CLUSTER_TARGET], err, errlen);
	fc->tick = event_new(px->base, -1, EV_PERSIST, on_tick, fc);
	struct timeval every = {0, 100 * 1000};
	if (!fc->engine || !fc->tick || event_add(fc->tick, &every)) {
		if (fc->engine)
			snprintf(err, errlen, "cannot start the flip timer");
		return -1; /* flip_stop cleans up */
	}
	log_info("event=translation_engine_started checkpoints=%s offset_syncs=%s",
	         xlate_engine_checkpoints_topic(fc->engine),
	         xlate_engine_offset_syncs_topic(fc->engine));
	return 0;
}

void flip_stop(proxy *px)
{
	flip_ctl *fc = px->flip;
	if (!fc)
		return;
	if (fc->tick)
		event_free(fc->tick);
	xlate_engine_stop(fc->engine); /* queued jobs come back as failures */
	for (flip_job *j = fc->done; j;) {
		flip_job *next = j->next;
		job_free(j);
		j = next;
	}
	pthread_mutex_destroy(&fc->mu);
	if (fc->cfg != px->cfg)
		config_free(fc->cfg);
	free(fc);
	px->flip = NULL;
}

int flip_keeps_config(const proxy *px, const config *cfg)
{
	return px->flip && px->flip->cfg == cfg;
}

const char *flip_unavailable(const proxy *px)
{
	if (!px->flip)
		return "the configuration turnout started with has no \"mirror\": offsets "
		       "cannot be translated (add it and restart turnout)";
	return NULL;
}

void flip_begin(proxy *px, group_rt *g, int want)
{
	if (!px->flip || cutover_busy(&g->flip) || want == g->cluster)
		return;
	int64_t now = mono_ms();
	if (cutover_begin(&g->flip, want, now))
		return;
	routes_changed(px);
	log_info("event=flip group=%s state=freezing from=%s to=%s topics=%zu quiet_ms=%d "
	         "freeze_max_ms=%d",
	         g->id, name(g->cluster), name(want), g->ntopics, px->cfg->cutover_quiet_ms,
	         px->cfg->cutover_freeze_max_ms);
}

int flip_fenced(const group_rt *g)
{
	return cutover_fences(&g->flip);
}

void flip_member_resumed(proxy *px, group_rt *g)
{
	if (!g->settling)
		return;
	g->settling = 0;
	view_update(px);
	log_info("event=flip group=%s state=resumed cluster=%s "
	         "reason=\"a member read its offsets at the new coordinator\"",
	         g->id, name(g->cluster));
}
