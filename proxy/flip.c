/*
 * The flip driver (see flip.h). Data flow:
 *
 *   reload.c -> flip_begin: cutover_begin (FREEZING), route_gen++ so fetch
 *   sessions are re-checked and fetches of the group's topics get
 *   NOT_LEADER_OR_FOLLOWER (route.c/view.c); commits still pass.
 *   tick (loop, 100 ms): freeze over and engine ready -> cutover_frozen
 *   (RELEASING, fenced) and flip_release_members (LeaveGroup per member).
 *   tick: every member gone -> cutover_released (SNAPSHOT).
 *   tick, SNAPSHOT: the other sidecars' word on the control topic
 *   (flip_coord.c): wait until none of them serves the group on the old
 *   cluster; then GO (this sidecar seeds: xlate_engine_run(work, job)),
 *   DONE (a peer seeded: SERVING(to) at once), or FAIL (a peer rolled back).
 *   worker (work): where the broker describes groups, also wait until the
 *   old group is empty -> translate its final commits -> flip_plan_check ->
 *   xlate_seed_group -> job on the done list (mutex).
 *   tick: pops jobs -> SERVING(to) (g->cluster, settling) or cutover_fail.
 *   Every tick also hands each group's state to the control topic.
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

#include "proxy/flip_coord.h"
#include "proxy/flip_resume.h"
#include "proxy/log.h"
#include "proxy/metrics.h"
#include "proxy/proxy.h"
#include "proxy/view.h"
#include "routing/coord.h"
#include "routing/flip_plan.h"
#include "routing/xlate.h"
#include "wire/api.h"

enum { EMPTY_POLL_MS = 500 };

/* What flip_snapshot shows of a group's last flip. */
typedef struct flip_rec {
	int64_t started_wall, ended_wall;
	char result[8];
	size_t nparts;
	flip_partition_view *parts; /* topic strings owned here */
} flip_rec;

typedef struct flip_job {
	struct flip_job *next;
	flip_ctl *fc;
	char *group;
	char **topics; /* the group's "from"-side topics, NULL-terminated */
	size_t ntopics;
	int from, to;
	int64_t deadline_ms;         /* the flip gives up here (began + freeze_max_ms) */
	int freeze_max_ms;           /* ... read on the loop: a reload may change it */
	int describe[CLUSTER_COUNT]; /* the cluster's brokers answer DescribeGroups */
	/* filled on the worker */
	int reached; /* 0 waiting / reading, 1 translated, 2 seeded */
	int ok;
	char why[1200];
	char empty_how[64]; /* how the old group was found empty */
	flip_summary sum;
	xlate_seed_report seed;
	int64_t empty_ms, translated_ms, seeded_ms;
	size_t nparts;
	flip_partition_view *parts;
} flip_job;

struct flip_ctl {
	proxy *px;
	xlate_engine *engine;
	config *cfg; /* the snapshot the engine reads its settings from */
	struct event *tick;
	coord *coord; /* the control topic the sidecars coordinate flips on */
	pthread_mutex_t mu;
	flip_job *done; /* finished on the worker, not yet applied */
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void parts_free(flip_partition_view *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free((char *)v[i].topic);
	free(v);
}

static void job_free(flip_job *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->ntopics; i++)
		free(j->topics[i]);
	free(j->topics);
	free(j->group);
	parts_free(j->parts, j->nparts);
	free(j);
}

static const char *name(int cluster)
{
	return config_cluster_names[cluster];
}

/* ---- worker thread ---- */

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/*
 * The old group must be empty before its commits are final: every sidecar
 * (this one included) has made its members leave. DescribeGroups answers on
 * real brokers; one that cannot describe groups (librdkafka's mock) leaves
 * only this sidecar's own evidence, which is said in the log.
 */
static int wait_old_group_empty(flip_job *j)
{
	xlate_engine *e = j->fc->engine;
	if (!j->describe[j->from]) {
		snprintf(j->empty_how, sizeof(j->empty_how), "unverified");
		return 0;
	}
	for (;;) {
		mm2_group_state gs;
		char err[600] = "";
		if (xlate_group_state(e, j->from, j->group, &gs, err, sizeof(err)) == 0) {
			if (gs.unsupported) {
				snprintf(j->empty_how, sizeof(j->empty_how), "unverified");
				return 0;
			}
			if (strcmp(gs.state, "Empty") == 0 || strcmp(gs.state, "Dead") == 0) {
				snprintf(j->empty_how, sizeof(j->empty_how), "%s", gs.state);
				return 0;
			}
			snprintf(j->why, sizeof(j->why),
			         "other members still active on %s: group is %s with %d member(s) "
			         "(%s)",
			         name(j->from), gs.state, gs.members, gs.who);
		} else {
			snprintf(j->why, sizeof(j->why), "cannot describe the group on %s: %s",
			         name(j->from), err);
		}
		if (mono_ms() + EMPTY_POLL_MS > j->deadline_ms)
			return -1; /* j->why says what was still in the way */
		sleep_ms(EMPTY_POLL_MS);
	}
}

static void keep_parts(flip_job *j, const xlate_group_result *res)
{
	j->parts = calloc(res->n ? res->n : 1, sizeof(*j->parts));
	if (!j->parts)
		return;
	for (size_t i = 0; i < res->n; i++) {
		const xlate_partition *p = &res->parts[i];
		flip_partition_view *v = &j->parts[j->nparts];
		if (!(v->topic = strdup(p->topic)))
			break;
		v->partition = p->partition;
		v->committed = p->committed;
		v->offset = p->r.method == TRANSLATE_NONE ? -1 : p->r.offset;
		v->method = translate_method_name(p->r.method);
		v->rereads_max = p->r.rereads_max;
		j->nparts++;
	}
}

static void work(void *arg, int stopping)
{
	flip_job *j = arg;
	xlate_group_result *res = NULL;
	if (stopping) {
		snprintf(j->why, sizeof(j->why), "turnout is stopping");
		goto done;
	}
	xlate_thread_deadline(j->deadline_ms); /* the flip rolls back on time */
	if (wait_old_group_empty(j))
		goto done;
	j->empty_ms = mono_ms();
	char err[1000];
	if (xlate_translate_group(j->fc->engine, j->group,
	                          j->from == CLUSTER_LEGACY ? TRANSLATE_FORWARD : TRANSLATE_REVERSE,
	                          (const char *const *)j->topics, &res, err, sizeof(err))) {
		snprintf(j->why, sizeof(j->why), "translation failed: %s", err);
		goto done;
	}
	j->reached = 1;
	j->translated_ms = mono_ms();
	metrics_xlate_observe(j->fc->px->metrics, res); /* locked copy; any thread */
	keep_parts(j, res);
	if (flip_plan_check(res, j->topics, j->ntopics, &j->sum, j->why, sizeof(j->why)))
		goto done;
	j->reached = 2;
	if (xlate_seed_group(j->fc->engine, res, j->describe[j->to], &j->seed, err, sizeof(err)))
		snprintf(j->why, sizeof(j->why), "seeding failed: %s", err);
	else
		j->ok = 1;
	j->seeded_ms = mono_ms();
done:
	xlate_thread_deadline(0);
	if (!j->ok && mono_ms() >= j->deadline_ms && j->why[0]) {
		char why[sizeof(j->why)];
		snprintf(why, sizeof(why), "freeze_max_ms (%d) reached: %.1100s", j->freeze_max_ms,
		         j->why);
		snprintf(j->why, sizeof(j->why), "%s", why);
	}
	xlate_group_result_free(res);
	pthread_mutex_lock(&j->fc->mu);
	j->next = j->fc->done;
	j->fc->done = j;
	pthread_mutex_unlock(&j->fc->mu);
}

/* ---- event loop ---- */

static void routes_changed(proxy *px)
{
	px->route_gen++; /* incremental fetch sessions are looked at again */
	view_update(px);
}

static flip_rec *rec_of(group_rt *g)
{
	if (!g->flip_rec)
		g->flip_rec = calloc(1, sizeof(flip_rec));
	return g->flip_rec;
}

static void rec_end(group_rt *g, const char *result, flip_job *j)
{
	flip_rec *r = rec_of(g);
	if (!r)
		return;
	r->ended_wall = wall_ms();
	snprintf(r->result, sizeof(r->result), "%s", result);
	if (j && j->parts) {
		parts_free(r->parts, r->nparts);
		r->parts = j->parts;
		r->nparts = j->nparts;
		j->parts = NULL;
		j->nparts = 0;
	}
}

static void fail(proxy *px, group_rt *g, const char *why, flip_job *j)
{
	int from = g->flip.cluster, to = g->flip.to;
	const char *state = cutover_state_name(g->flip.state);
	int64_t now = mono_ms(), took = now - g->flip.began_ms;
	int released = g->flip.state != CUTOVER_FREEZING;
	cutover_fail(&g->flip, why, now);
	metrics_flip_observe(px->metrics, g->id, from, to, (double)took / 1000.0, 0);
	/* Members that left the old group rejoin it with new ids and read its
	 * committed offsets. Until they have, fetches stay held (settling): one
	 * fetching at its kept position would consume records its rejoin then
	 * reads again, as its commits under the old id are refused. */
	int left = 0;
	for (size_t i = 0; i < g->nmembers; i++)
		if (g->members[i].leave) {
			g->members[i].cluster = -1; /* marks them for groups_members_to_gone */
			left++;
		}
	if (left) {
		int need = flip_member_connections(px, g, -1);
		groups_members_to_gone(g, -1);
		g->settling = 1;
		g->settle_ms = now;
		g->settle_need = need;
		g->nsettle_seen = 0;
		flip_positions_clear(&g->positions);
	}
	rec_end(g, "failed", j);
	routes_changed(px);
	log_error("event=flip_failed group=%s from=%s to=%s state=%s duration_ms=%lld "
	          "reason=\"%s\" served_on=%s action=\"fence lifted, fetches released%s; "
	          "retried on the next reload\"",
	          g->id, name(from), name(to), state, (long long)took, g->flip.reason,
	          name(g->cluster),
	          released ? ", members rejoin there and read its committed offsets" : "");
}

static size_t serve_new_cluster(proxy *px, group_rt *g, int from, flip_job *j);

static void apply(proxy *px, flip_job *j)
{
	group_rt *g = groups_get(px, j->group, strlen(j->group), 0);
	if (!g || g->flip_io != j)
		return; /* cannot happen: groups live as long as the process */
	g->flip_io = NULL;
	int from = g->flip.cluster;
	if (j->reached >= 1) {
		cutover_snapshot_done(&g->flip, j->empty_ms);
		cutover_translated(&g->flip, j->translated_ms);
		log_info("event=flip group=%s state=seeding from=%s to=%s old_group=%s "
		         "wait_empty_ms=%lld translate_ms=%lld partitions=%zu exact=%zu "
		         "checkpoint=%zu conservative=%zu none=%zu rereads_max=%lld "
		         "rereads_unknown=%d",
		         g->id, name(from), name(j->to), j->empty_how,
		         (long long)(j->empty_ms - g->flip.began_ms),
		         (long long)(j->translated_ms - j->empty_ms), j->sum.parts, j->sum.exact,
		         j->sum.checkpoint, j->sum.conservative, j->sum.none,
		         (long long)j->sum.rereads_max, j->sum.rereads_unknown);
		if (!strcmp(j->empty_how, "unverified"))
			log_warn(
			    "event=flip_warning group=%s cluster=%s reason=\"the cluster cannot "
			    "describe groups: only this sidecar's members are known to have "
			    "left\"",
			    g->id, name(from));
	}
	if (!j->ok) {
		fail(px, g, j->why, j);
		return;
	}
	cutover_seeded(&g->flip, j->seeded_ms);
	size_t released = serve_new_cluster(px, g, from, j);
	log_info("event=flip group=%s state=serving from=%s to=%s pause_ms=%lld seed_ms=%lld "
	         "seeded=%zu kept=%zu skipped=%zu seed_how=%s rereads_max=%lld settling=%zu",
	         g->id, name(from), name(g->cluster), (long long)g->flip.last_pause_ms,
	         (long long)(j->seeded_ms - j->translated_ms), j->seed.committed, j->seed.kept,
	         j->seed.skipped, j->seed.how ? j->seed.how : "none", (long long)j->sum.rereads_max,
	         released);
}

/* A peer seeded the group on the new cluster (coord DONE): this sidecar's
 * members, already out of the old group, go there and read those offsets. */
static void peer_seeded(proxy *px, group_rt *g, int64_t now)
{
	int from = g->flip.cluster;
	cutover_snapshot_done(&g->flip, now);
	cutover_translated(&g->flip, now);
	cutover_seeded(&g->flip, now);
	size_t released = serve_new_cluster(px, g, from, NULL);
	log_info("event=flip group=%s state=serving from=%s to=%s pause_ms=%lld seed_ms=0 "
	         "seeded=0 kept=0 skipped=0 seed_how=peer rereads_max=-1 settling=%zu",
	         g->id, name(from), name(g->cluster), (long long)g->flip.last_pause_ms, released);
}

static size_t serve_new_cluster(proxy *px, group_rt *g, int from, flip_job *j)
{
	metrics_flip_observe(px->metrics, g->id, from, g->flip.cluster,
	                     (double)g->flip.last_pause_ms / 1000.0, 1);
	g->cluster = g->flip.cluster;
	/* The members still hold positions of the old cluster: no fetch there
	 * until each one that left has read the seeded offsets from the new
	 * coordinator (flip_members.c). */
	size_t released = 0;
	for (size_t i = 0; i < g->nmembers; i++)
		released += g->members[i].cluster == from;
	int need = flip_member_connections(px, g, from);
	groups_members_to_gone(g, from);
	g->settling = 1;
	g->settle_ms = mono_ms();
	g->settle_need = need;
	g->nsettle_seen = 0;
	flip_positions_clear(&g->positions);
	rec_end(g, "ok", j);
	routes_changed(px);
	return released;
}

static flip_job *job_new(flip_ctl *fc, group_rt *g)
{
	flip_job *j = calloc(1, sizeof(*j));
	if (!j || !(j->group = strdup(g->id)))
		goto fail;
	j->fc = fc;
	j->from = g->flip.cluster;
	j->to = g->flip.to;
	j->freeze_max_ms = fc->px->cfg->cutover_freeze_max_ms;
	j->deadline_ms = g->flip.began_ms + j->freeze_max_ms;
	for (int k = 0; k < CLUSTER_COUNT; k++) {
		const cluster_state *cs = &fc->px->clusters[k];
		api_range r = cs->versions.r[WIRE_API_DESCRIBE_GROUPS];
		j->describe[k] = cs->have_versions && r.min <= r.max;
	}
	if (!(j->topics = calloc(g->ntopics + 1, sizeof(*j->topics))))
		goto fail;
	for (; j->ntopics < g->ntopics; j->ntopics++)
		if (!(j->topics[j->ntopics] = strdup(g->topics[j->ntopics])))
			goto fail;
	return j;
fail:
	job_free(j);
	return NULL;
}

/* FREEZING is over: fence the group and make this sidecar's members leave. */
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
		fail(px, g, why, NULL);
		return;
	}
	int64_t froze = now - g->flip.state_ms;
	int quiet = now - (g->flip.last_commit_ms > g->flip.state_ms ? g->flip.last_commit_ms
	                                                             : g->flip.state_ms) >=
	            px->cfg->cutover_quiet_ms;
	cutover_frozen(&g->flip, now);
	size_t n = 0;
	for (size_t i = 0; i < g->nmembers; i++)
		n += g->members[i].cluster == g->flip.cluster;
	log_info("event=flip group=%s state=releasing from=%s to=%s freeze_ms=%lld ended_by=%s "
	         "members=%zu",
	         g->id, name(g->flip.cluster), name(g->flip.to), (long long)froze,
	         quiet ? "quiet" : "deadline", n);
	flip_release_members(px, g);
}

/* SNAPSHOT: the other sidecars decide (flip_coord.c); this one seeds, or
 * follows a peer that did, or rolls back with a peer, or gives up at the
 * deadline naming who it waited for. */
static void snapshot(proxy *px, flip_ctl *fc, group_rt *g, int64_t now)
{
	char why[600];
	coord_verdict v = flip_coord_judge(fc->coord, px, g, why, sizeof(why));
	if (v == COORD_DONE) {
		peer_seeded(px, g, now);
		return;
	}
	if (v == COORD_FAIL) {
		fail(px, g, why, NULL);
		return;
	}
	if (v == COORD_WAIT) {
		if (now - g->flip.began_ms < px->cfg->cutover_freeze_max_ms)
			return;
		char msg[800];
		snprintf(msg, sizeof(msg),
		         "freeze_max_ms (%d) passed waiting for the other sidecars: %s",
		         px->cfg->cutover_freeze_max_ms, why);
		fail(px, g, msg, NULL);
		return;
	}
	flip_job *j = job_new(fc, g);
	if (!j || xlate_engine_run(fc->engine, work, j)) {
		job_free(j);
		fail(px, g, "cannot queue the translation (out of memory or stopping)", NULL);
		return;
	}
	g->flip_io = j;
}

/* RELEASING: once every member is out of the old group, the engine takes
 * over (or the flip gives up at the deadline). */
static void releasing(proxy *px, group_rt *g, int64_t now)
{
	size_t left_behind = flip_release_members(px, g);
	if (left_behind) {
		if (now - g->flip.began_ms < px->cfg->cutover_freeze_max_ms)
			return;
		char who[600], why[800];
		flip_members_left_behind(px, g, who, sizeof(who));
		snprintf(why, sizeof(why),
		         "%zu member(s) of this sidecar did not leave %s within freeze_max_ms "
		         "(%d): %s",
		         left_behind, name(g->flip.cluster), px->cfg->cutover_freeze_max_ms, who);
		fail(px, g, why, NULL);
		return;
	}
	int64_t took = now - g->flip.state_ms;
	cutover_released(&g->flip, now);
	log_info("event=flip group=%s state=snapshot from=%s to=%s release_ms=%lld direction=%s",
	         g->id, name(g->flip.cluster), name(g->flip.to), (long long)took,
	         g->flip.cluster == CLUSTER_LEGACY ? "forward" : "reverse");
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
	if (px->resume.holding)
		flip_resume_tick(px, fc->coord);
	int64_t now = mono_ms();
	for (size_t i = 0; i < px->groups.n; i++) {
		group_rt *g = px->groups.v[i];
		flip_recover_tick(px, g);
		if (cutover_freeze_over(&g->flip, now, px->cfg->cutover_quiet_ms,
		                        px->cfg->cutover_freeze_max_ms))
			freeze_done(px, fc, g, now);
		else if (g->flip.state == CUTOVER_RELEASING)
			releasing(px, g, now);
		else if (g->flip.state == CUTOVER_SNAPSHOT && !g->flip_io)
			snapshot(px, fc, g, now);
		flip_coord_publish(fc->coord, px, g);
		if (flip_coord_hold(fc->coord, px, g, now))
			routes_changed(px);
		if (g->settling && g->settle_need == 0) /* nobody to wait for */
			flip_settled(px, g, "no member of this sidecar left the old cluster");
		else if (g->settling && now - g->settle_ms >= px->cfg->cutover_freeze_max_ms)
			flip_settled(px, g,
			             "settle deadline (freeze_max_ms): not every member that "
			             "left came back");
		/* a route changed again while the flip ran: follow it now */
		int want = routes_group(&px->cfg->routes, g->id, strlen(g->id));
		if (!cutover_busy(&g->flip) && !g->settling && !g->recovering &&
		    (!g->flip.reason[0] || g->begin_after_settle) && want != g->cluster)
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
	if (!(fc->coord = coord_start(fc->cfg, err, errlen)))
		return -1;     /* flip_stop cleans up */
	px->coord = fc->coord; /* /status shows the sidecars' records */
	fc->engine = xlate_engine_start(fc->cfg->mirror, &fc->cfg->clusters[CLUSTER_LEGACY],
	                                &fc->cfg->clusters[CLUSTER_TARGET], err, errlen);
	fc->tick = event_new(px->base, -1, EV_PERSIST, on_tick, fc);
	struct timeval every = {0, 100 * 1000};
	if (!fc->engine || !fc->tick || event_add(fc->tick, &every)) {
		if (fc->engine)
			snprintf(err, errlen, "cannot start the flip timer");
		return -1; /* flip_stop cleans up */
	}
	px->xlate = fc->engine; /* /readyz and the MM2 freshness metrics read it */
	/* a flip an earlier process left: found on the control topic, whose
	 * reader should be at its end within a few heartbeats */
	flip_resume_begin(px, 3 * (int64_t)fc->cfg->cutover_heartbeat_ms);
	log_info("event=translation_engine_started checkpoints=%s offset_syncs=%s",
	         xlate_engine_checkpoints_topic(fc->engine),
	         xlate_engine_offset_syncs_topic(fc->engine));
	return 0;
}

void flip_stop(proxy *px)
{
	for (size_t i = 0; i < px->groups.n; i++) {
		flip_rec *r = px->groups.v[i]->flip_rec;
		if (r) {
			parts_free(r->parts, r->nparts);
			free(r);
			px->groups.v[i]->flip_rec = NULL;
		}
	}
	flip_ctl *fc = px->flip;
	if (!fc)
		return;
	if (fc->tick)
		event_free(fc->tick);
	px->xlate = NULL;
	xlate_engine_stop(fc->engine); /* queued jobs come back as failures */
	for (size_t i = 0; i < px->groups.n; i++)
		flip_recover_free(px->groups.v[i]);
	px->coord = NULL;
	coord_stop(fc->coord);
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
	if (g->settling || g->recovering) { /* members coming back, or first sight */
		g->begin_after_settle = 1;  /* the tick begins it once they are */
		return;
	}
	g->begin_after_settle = 0;
	int64_t now = mono_ms();
	if (cutover_begin(&g->flip, want, now))
		return;
	g->coord_said = g->coord_waiting = 0;
	flip_rec *r = rec_of(g);
	if (r) {
		r->started_wall = wall_ms();
		r->ended_wall = 0;
		r->result[0] = '\0';
	}
	routes_changed(px);
	log_info("event=flip group=%s state=freezing from=%s to=%s topics=%zu members=%zu "
	         "quiet_ms=%d freeze_max_ms=%d",
	         g->id, name(g->cluster), name(want), g->ntopics, g->nmembers,
	         px->cfg->cutover_quiet_ms, px->cfg->cutover_freeze_max_ms);
}

int flip_fenced(const group_rt *g)
{
	return cutover_fences(&g->flip);
}

void flip_snapshot(proxy *px, flip_view_fn fn, void *arg)
{
	for (size_t i = 0; i < px->groups.n; i++) {
		const group_rt *g = px->groups.v[i];
		const flip_rec *r = g->flip_rec;
		flip_view v = {
		    .group = g->id,
		    .state = g->recovering  ? "recovering"
		             : g->settling  ? "settling"
		             : g->peer_hold ? "peer_hold"
		                            : cutover_state_name(g->flip.state),
		    .cluster = name(g->cluster),
		    .to = name(g->flip.to),
		    .started_ms = r ? r->started_wall : 0,
		    .ended_ms = r ? r->ended_wall : 0,
		    .last_pause_ms = g->flip.last_pause_ms,
		    .flips = g->flip.flips,
		    .failures = g->flip.failures,
		    .last_result = r ? r->result : "",
		    .reason = g->flip.reason,
		    .members = g->nmembers,
		    .nparts = r ? r->nparts : 0,
		    .parts = r ? r->parts : NULL,
		};
		fn(arg, &v);
	}
}
