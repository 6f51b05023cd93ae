/*
 * Recovery by flipping on first sight (see flip.h).
 *
 * A flip's state lives in the process that ran it. If that process dies
 * mid-flip (SIGKILL, OOM, a node lost) and comes back with the new config,
 * the group's route already names the new cluster X while X may hold no
 * committed offsets for it yet (the seed had not happened): served as is,
 * its members would start from auto.offset.reset, i.e. lose records
 * ("latest") or read everything again ("earliest").
 *
 * So the first time this process sees a group (its first group request)
 * while translation is configured, the group is held, as a fenced group is:
 * group requests get COORDINATOR_LOAD_IN_PROGRESS (retry, positions kept)
 * and fetches of its topics are held. The engine's worker counts the
 * group's commits on X and on the other cluster Y:
 *
 *   Y none            -> serve X (a group that never moved: nothing to do)
 *   X some, Y some    -> serve X; the members seen meanwhile are told
 *                        UNKNOWN_MEMBER_ID and fetches stay held until they
 *                        re-read X's offsets (their positions may be Y's)
 *   X none, Y some    -> the flip from Y is run here: translate Y's commits,
 *                        seed X, then as above ("recovered")
 *   X some, Y some,   -> this sidecar's earlier process was flipping the
 *   a flip Y->X left     group from Y to X (its record on the control topic,
 *                        flip_resume.h): X's commits may be older than Y's
 *                        (the flip back: X's are from before the flip to Y),
 *                        so X is first seeded forward from Y's, translated,
 *                        never moving an offset back ("rejoin")
 *   cannot translate  -> served on Y where the commits are, the reason
 *                        logged; the next reload flips it the usual way
 *   X or Y unreadable -> held, asked again (serving X then could lose)
 *
 * Seeding X, from nothing or forward, waits for the other sidecars: while
 * held, this sidecar says on the control topic that it is released from Y
 * toward X (flip_coord.c), and seeds only when the judge lets it
 * (flip_coord_recover_peers: no live peer serves the group on Y with
 * members, no peer seeds first).
 *
 * With the engine not ready within mirror.ready_timeout_ms the group is
 * served on X with a warning: no translation, so no flip could have been
 * under way through this engine either.
 *
 * A job is owned by its group (g->recover_io) from submit until the loop
 * applies it; the worker only fills it and sets `done` last.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proxy/flip.h"
#include "proxy/flip_coord.h"
#include "proxy/flip_resume.h"
#include "proxy/log.h"
#include "proxy/proxy.h"
#include "proxy/view.h"
#include "routing/flip_plan.h"
#include "routing/xlate.h"
#include "wire/api.h"

enum { RETRY_PAUSE_MS = 500, WAIT_LOG_MS = 10000 };

typedef enum {
	RECOVER_SERVE,    /* Y has no commits: serve X as is */
	RECOVER_REJOIN,   /* both have commits: serve X, members re-read */
	RECOVER_SEEDED,   /* X had none: translated from Y and seeded */
	RECOVER_ROLLBACK, /* X had none and Y's cannot be translated: serve Y */
	RECOVER_NOTREADY, /* engine not ready: serve X, warned */
	RECOVER_RETRY,    /* a cluster could not be read: ask again */
} recover_outcome;

typedef struct recover_job {
	atomic_int done; /* set last by the worker */
	xlate_engine *engine;
	char *group;
	int here, other; /* X (the route) and Y */
	int ready_ms, describe_here;
	int peers; /* flip_coord_recover_peers: 0 seed, 2 a peer did, 1 wait, -1 unknown */
	char peers_why[400];
	int left_from; /* flip_resume_left_from: Y, -1 no flip left, -2 not known yet */
	int may_wait;  /* held for less than freeze_max_ms */
	/* filled on the worker */
	recover_outcome outcome;
	size_t n_here, n_other;
	char why[1200];
	flip_summary sum;
	xlate_seed_report seed;
} recover_job;

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *name(int cluster)
{
	return config_cluster_names[cluster];
}

static void job_free(recover_job *j)
{
	if (j) {
		free(j->group);
		free(j);
	}
}

/* ---- worker thread ---- */

/* X has commits, and a flip from Y toward X was left unfinished: X's may be
 * older than Y's. Seeds X forward from Y's (xlate_seed_group never moves an
 * offset back); a failure is asked again until freeze_max_ms. */
static void seed_forward(recover_job *j)
{
	char err[1000] = "";
	xlate_group_result *res = NULL;
	translate_dir dir = j->other == CLUSTER_LEGACY ? TRANSLATE_FORWARD : TRANSLATE_REVERSE;
	int rc = xlate_translate_group(j->engine, j->group, dir, NULL, &res, err, sizeof(err));
	if (!rc) {
		flip_plan_check(res, NULL, 0, &j->sum, j->why, sizeof(j->why));
		rc = xlate_seed_group(j->engine, res, j->describe_here, &j->seed, err, sizeof(err));
	}
	xlate_group_result_free(res);
	if (rc && j->may_wait) {
		j->outcome = RECOVER_RETRY;
		snprintf(j->why, sizeof(j->why),
		         "seeding %s forward from %s's commits (a flip left unfinished): %s",
		         name(j->here), name(j->other), err);
		return;
	}
	j->outcome = RECOVER_REJOIN;
	if (rc)
		snprintf(j->why, sizeof(j->why),
		         "%s has the group's commits; seeding them forward from %s's (a flip left "
		         "unfinished) failed until freeze_max_ms: %s; %s's served as they are "
		         "(records may be read again, none lost)",
		         name(j->here), name(j->other), err, name(j->here));
	else
		snprintf(j->why, sizeof(j->why),
		         "%s has the group's commits, seeded forward from %s's (a flip left "
		         "unfinished): %zu moved, %zu already as far",
		         name(j->here), name(j->other), j->seed.committed, j->seed.kept);
}

static void decide(recover_job *j)
{
	char err[1000] = "";
	if (j->left_from == -2) {
		j->outcome = RECOVER_RETRY;
		snprintf(j->why, sizeof(j->why),
		         "start-up: the control topic is not read yet (a flip an earlier process "
		         "left would be told there)");
		return;
	}
	if (xlate_engine_wait_ready(j->engine, j->ready_ms, err, sizeof(err))) {
		j->outcome = RECOVER_NOTREADY;
		snprintf(j->why, sizeof(j->why), "%s", err);
		return;
	}
	char err_here[600] = "", err_other[600] = "";
	long here = -1, other = -1;
	if (xlate_group_commits(j->engine, j->here, j->group, NULL, &j->n_here, err_here,
	                        sizeof(err_here)) == 0)
		here = (long)j->n_here;
	if (xlate_group_commits(j->engine, j->other, j->group, NULL, &j->n_other, err_other,
	                        sizeof(err_other)) == 0)
		other = (long)j->n_other;
	switch (flip_recover_decide(here, other)) {
	case FLIP_RECOVER_RETRY:
		j->outcome = RECOVER_RETRY;
		snprintf(j->why, sizeof(j->why), "cannot read the group's commits on %s: %s",
		         name(here < 0 ? j->here : j->other), here < 0 ? err_here : err_other);
		return;
	case FLIP_RECOVER_SERVE:
		j->outcome = RECOVER_SERVE;
		snprintf(j->why, sizeof(j->why), "no commits on %s", name(j->other));
		return;
	case FLIP_RECOVER_REJOIN: /* X's offsets are there: serve them, members re-read */
		if (other > 0 && j->left_from == j->other) {
			if (j->peers == 1 || j->peers == -1) {
				j->outcome = RECOVER_RETRY;
				snprintf(j->why, sizeof(j->why),
				         "a flip from %s left unfinished: not seeding %s forward "
				         "yet: %s",
				         name(j->other), name(j->here), j->peers_why);
				return;
			}
			if (j->peers == 0) {
				seed_forward(j);
				return;
			}
		}
		j->outcome = RECOVER_REJOIN;
		if (other < 0)
			snprintf(j->why, sizeof(j->why), "%s not readable (%s)", name(j->other),
			         err_other);
		else
			snprintf(j->why, sizeof(j->why), "%s has the group's commits",
			         name(j->here));
		return;
	case FLIP_RECOVER_FLIP:
		break;
	}
	if (j->peers == 1 || j->peers == -1) {
		/* Y's commits are final only once no sidecar may still commit
		 * there: the flip this process left is still running on its peers */
		j->outcome = RECOVER_RETRY;
		snprintf(j->why, sizeof(j->why), "not seeding %s from %s's commits yet: %s",
		         name(j->here), name(j->other), j->peers_why);
		return;
	}
	/* the flip from Y had not seeded X: run it here (no member is in X's
	 * group: its requests were held since this process started) */
	xlate_group_result *res = NULL;
	translate_dir dir = j->other == CLUSTER_LEGACY ? TRANSLATE_FORWARD : TRANSLATE_REVERSE;
	if (xlate_translate_group(j->engine, j->group, dir, NULL, &res, err, sizeof(err))) {
		j->outcome = RECOVER_RETRY;
		snprintf(j->why, sizeof(j->why), "translation failed: %s", err);
		return;
	}
	j->outcome = RECOVER_ROLLBACK;
	flip_plan_check(res, NULL, 0, &j->sum, j->why, sizeof(j->why));
	for (size_t i = 0; i < res->n; i++) {
		const xlate_partition *p = &res->parts[i];
		if (p->r.method == TRANSLATE_NONE && p->committed >= 0) {
			snprintf(j->why, sizeof(j->why),
			         "no translation for %s-%d (committed %lld on %s): seeding would "
			         "leave it to auto.offset.reset",
			         p->topic, (int)p->partition, (long long)p->committed,
			         name(j->other));
			goto out;
		}
	}
	if (xlate_seed_group(j->engine, res, j->describe_here, &j->seed, err, sizeof(err))) {
		snprintf(j->why, sizeof(j->why), "seeding failed: %s", err);
		goto out;
	}
	j->outcome = RECOVER_SEEDED;
	snprintf(j->why, sizeof(j->why), "no commits on %s, %zu on %s: translated and seeded",
	         name(j->here), j->n_other, name(j->other));
out:
	xlate_group_result_free(res);
}

static void work(void *arg, int stopping)
{
	recover_job *j = arg;
	if (stopping) {
		j->outcome = RECOVER_RETRY;
		snprintf(j->why, sizeof(j->why), "turnout is stopping");
	} else {
		decide(j);
		if (j->outcome == RECOVER_RETRY)
			nanosleep(&(struct timespec){0, RETRY_PAUSE_MS * 1000000L}, NULL);
	}
	atomic_store(&j->done, 1);
}

/* ---- event loop ---- */

static int submit(proxy *px, group_rt *g)
{
	recover_job *j = calloc(1, sizeof(*j));
	if (!j || !(j->group = strdup(g->id))) {
		job_free(j);
		return -1;
	}
	atomic_init(&j->done, 0);
	j->engine = px->xlate;
	j->here = g->cluster;
	j->other = g->cluster == CLUSTER_LEGACY ? CLUSTER_TARGET : CLUSTER_LEGACY;
	j->ready_ms = px->cfg->mirror ? px->cfg->mirror->ready_timeout_ms : 0;
	const cluster_state *cs = &px->clusters[j->here];
	api_range r = cs->versions.r[WIRE_API_DESCRIBE_GROUPS];
	j->describe_here = cs->have_versions && r.min <= r.max;
	/* read on the loop (the control topic's table), judged on the worker
	 * only if X must be seeded from Y's commits */
	j->peers = px->coord ? flip_coord_recover_peers(px->coord, px, g, j->peers_why,
	                                                sizeof(j->peers_why))
	                     : 0;
	j->left_from = px->coord ? flip_resume_left_from(px, px->coord, g->id, j->here) : -1;
	if (j->left_from == -2 && !px->resume.holding)
		j->left_from = -1; /* not readable since start-up: judged without */
	j->may_wait = mono_ms() - g->flip.began_ms < px->cfg->cutover_freeze_max_ms;
	if (xlate_engine_run(px->xlate, work, j)) {
		job_free(j);
		return -1;
	}
	g->recover_io = j;
	return 0;
}

static void routes_changed(proxy *px)
{
	px->route_gen++;
	view_update(px);
}

void flip_recover_seen(proxy *px, group_rt *g)
{
	if (!px->flip || !px->xlate)
		return;
	g->recovering = 1;
	g->flip.began_ms = mono_ms(); /* the hold counts as the pause */
	if (submit(px, g)) {
		g->recovering = 0;
		log_error("event=flip_recover group=%s cluster=%s result=unverified "
		          "reason=\"cannot queue the check (out of memory or stopping)\"",
		          g->id, name(g->cluster));
		return;
	}
	routes_changed(px);
	log_info("event=flip_recover group=%s cluster=%s state=checking", g->id, name(g->cluster));
}

/* The members seen while held may hold the other cluster's positions: they
 * are told UNKNOWN_MEMBER_ID and fetches stay held until they re-read
 * offsets here (flip_members.c's settling). */
static void settle_members(proxy *px, group_rt *g, int64_t now)
{
	for (size_t i = 0; i < g->nmembers; i++)
		g->members[i].cluster = g->cluster;
	int need = flip_member_connections(px, g, g->cluster);
	groups_members_to_gone(g, g->cluster);
	g->settling = 1;
	g->settle_ms = now;
	g->settle_need = need;
	g->nsettle_seen = 0;
	flip_positions_clear(&g->positions);
}

void flip_recover_tick(proxy *px, group_rt *g)
{
	recover_job *j = g->recover_io;
	if (!j || !atomic_load(&j->done))
		return;
	g->recover_io = NULL;
	int64_t now = mono_ms(), held = now - g->flip.began_ms;
	if (j->outcome == RECOVER_RETRY) {
		/* asked again every ~0.5 s, possibly for minutes (a peer that has
		 * not followed yet): a new reason at once, the same every 10 s */
		unsigned h = 5381;
		for (const char *p = j->why; *p; p++)
			h = h * 33 + (unsigned char)*p;
		if (h != g->recover_why_hash || now - g->recover_logged_ms >= WAIT_LOG_MS) {
			g->recover_why_hash = h;
			g->recover_logged_ms = now;
			log_warn("event=flip_recover group=%s cluster=%s state=waiting "
			         "held_ms=%lld reason=\"%s\"",
			         g->id, name(g->cluster), (long long)held, j->why);
		}
		job_free(j);
		if (submit(px, g)) {
			g->recovering = 0; /* stopping: nothing is served any more */
			routes_changed(px);
		}
		return;
	}
	g->recovering = 0;
	static const char *const result[] = {"served", "rejoin", "recovered", "rolled_back",
	                                     "unverified"};
	if (j->outcome == RECOVER_ROLLBACK) {
		int here = g->cluster;
		while (g->nmembers)
			groups_member_drop(g, g->members[0].id, strlen(g->members[0].id));
		g->cluster = j->other;
		cutover_init(&g->flip, j->other);
		snprintf(g->flip.reason, sizeof(g->flip.reason), "%.200s", j->why);
		g->flip.failures = 1;
		log_error("event=flip_recover group=%s cluster=%s result=%s served_on=%s "
		          "held_ms=%lld commits_here=%zu commits_other=%zu reason=\"%s\" "
		          "action=\"served where its commits are; retried on the next reload\"",
		          g->id, name(here), result[j->outcome], name(j->other), (long long)held,
		          j->n_here, j->n_other, j->why);
	} else {
		if (j->outcome == RECOVER_REJOIN || j->outcome == RECOVER_SEEDED)
			settle_members(px, g, now);
		if (j->outcome == RECOVER_SEEDED)
			g->flip.flips++;
		log_line(j->outcome == RECOVER_NOTREADY ? LOG_WARN : LOG_INFO,
		         "event=flip_recover group=%s cluster=%s result=%s held_ms=%lld "
		         "commits_here=%zu "
		         "commits_other=%zu from=%s partitions=%zu exact=%zu checkpoint=%zu "
		         "conservative=%zu none=%zu rereads_max=%lld seeded=%zu seed_how=%s "
		         "settling=%d reason=\"%s\"",
		         g->id, name(g->cluster), result[j->outcome], (long long)held, j->n_here,
		         j->n_other, name(j->other), j->sum.parts, j->sum.exact, j->sum.checkpoint,
		         j->sum.conservative, j->sum.none, (long long)j->sum.rereads_max,
		         j->seed.committed, j->seed.how ? j->seed.how : "none",
		         g->settling ? g->settle_need : 0, j->why);
	}
	job_free(j);
	routes_changed(px);
}

void flip_recover_free(group_rt *g)
{
	job_free(g->recover_io);
	g->recover_io = NULL;
	g->recovering = 0;
}
