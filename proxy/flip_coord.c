/*
 * flip.c's link to the other sidecars (see flip_coord.h). Each tick, every
 * group this sidecar knows is described to the control topic:
 *
 *   FREEZING, RELEASING          -> freezing  (its members may still commit)
 *   SNAPSHOT .. SEEDING          -> released  (its members left the old group)
 *   settling after a flip        -> seeded    (the new cluster has the offsets)
 *   rolled back, route unchanged -> failed    (until the next reload retries)
 *   otherwise                    -> serving on the group's cluster
 *
 * with the number of the group's members it carries there. In SNAPSHOT the
 * judge reads every sidecar's latest record of the group and says whether
 * this one seeds (GO), a peer did (DONE), a peer rolled back (FAIL), or it
 * must wait.
 */
#include "proxy/flip_coord.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proxy/log.h"
#include "proxy/proxy.h"

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int other(int cluster)
{
	return cluster == CLUSTER_LEGACY ? CLUSTER_TARGET : CLUSTER_LEGACY;
}

/* The group's topics through this sidecar: those its members named and
 * those its route lists (none when they do not fit: coord_topics_add). */
static void describe_topics(proxy *px, const group_rt *g, coord_record *r)
{
	int ok = 0;
	for (size_t i = 0; i < g->ntopics && !ok; i++)
		ok = coord_topics_add(r, g->topics[i]);
	const routes *rt = &px->cfg->routes;
	for (size_t i = 0; i < rt->ngroups && !ok; i++)
		if (!strcmp(rt->groups[i].name, g->id))
			for (size_t j = 0; j < rt->groups[i].ntopics && !ok; j++)
				if (!groups_consumes(g, rt->groups[i].topics[j],
				                     strlen(rt->groups[i].topics[j])))
					ok = coord_topics_add(r, rt->groups[i].topics[j]);
}

static void describe(proxy *px, const group_rt *g, coord_record *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->group, sizeof(r->group), "%s", g->id);
	describe_topics(px, g, r);
	int want = routes_group(&px->cfg->routes, g->id, strlen(g->id));
	r->cluster = g->cluster;
	if (g->recovering) {
		/* held at first sight (flip_recover.c): served nowhere yet, so
		 * said as released from the other cluster toward the route. Peers
		 * serving there hold their fetches (this sidecar's members left
		 * that group, a rebalance follows), peers in that flip count it
		 * (coord_judge), and none takes it for a finished flip, as
		 * "serving" on the route would be. */
		r->state = COORD_RELEASED;
		r->cluster = other(g->cluster);
		coord_flip_id(r->cluster, g->cluster, r->flip, sizeof(r->flip));
		return;
	}
	switch (g->flip.state) {
	case CUTOVER_FREEZING:
	case CUTOVER_RELEASING:
		r->state = COORD_FREEZING;
		coord_flip_id(g->flip.cluster, g->flip.to, r->flip, sizeof(r->flip));
		break;
	case CUTOVER_SNAPSHOT:
	case CUTOVER_TRANSLATING:
	case CUTOVER_SEEDING:
		r->state = COORD_RELEASED;
		coord_flip_id(g->flip.cluster, g->flip.to, r->flip, sizeof(r->flip));
		break;
	case CUTOVER_SERVING:
		/* a rollback settles too (its members rejoin the old group): the
		 * failure is what peers in the same flip must hear, not a seed */
		if (g->flip.reason[0] && want != g->cluster) {
			r->state = COORD_FAILED;
			coord_flip_id(g->cluster, want, r->flip, sizeof(r->flip));
		} else if (g->settling) {
			r->state = COORD_SEEDED;
			coord_flip_id(other(g->cluster), g->cluster, r->flip, sizeof(r->flip));
		} else {
			r->state = COORD_SERVING;
			if (g->flip.flips)
				coord_flip_id(other(g->cluster), g->cluster, r->flip,
				              sizeof(r->flip));
		}
		break;
	}
	for (size_t i = 0; i < g->nmembers; i++)
		r->members += g->members[i].cluster == g->cluster;
}

void flip_coord_publish(coord *c, proxy *px, group_rt *g)
{
	coord_record r;
	describe(px, g, &r);
	coord_set(c, &r);
}

/* The judge on g as this sidecar describes it now (self) and every peer's
 * latest record; -1 (why says so) while the control topic is not read. */
static int judge_now(coord *c, proxy *px, group_rt *g, coord_record *self, coord_judgement *j,
                     char *why, size_t whylen)
{
	coord_record *peers = NULL;
	size_t n = 0;
	why[0] = '\0';
	describe(px, g, self);
	snprintf(self->instance, sizeof(self->instance), "%s", coord_instance(c));
	if (coord_read(c, g->id, &peers, &n, why, whylen))
		return -1;
	coord_judge(peers, n, self, mono_ms(), g->flip.began_ms, coord_heartbeat_ms(c), j);
	free(peers);
	return 0;
}

coord_verdict flip_coord_judge(coord *c, proxy *px, group_rt *g, char *why, size_t whylen)
{
	coord_record self;
	coord_judgement j;
	if (judge_now(c, px, g, &self, &j, why, whylen))
		return COORD_WAIT; /* peers unknown yet: the deadline decides */
	if (j.verdict == COORD_WAIT && j.waiting)
		snprintf(why, whylen,
		         "%d other sidecar(s) still serve the group on %s with members (%s first)",
		         j.waiting, config_cluster_names[g->flip.cluster], j.peer);
	else if (j.verdict == COORD_WAIT)
		snprintf(why, whylen, "sidecar %s seeds the group and has not yet", j.peer);
	else if (j.verdict == COORD_FAIL)
		snprintf(why, whylen, "sidecar %s rolled back the same flip", j.peer);
	if (g->coord_said != (int)j.verdict + 1 || g->coord_waiting != j.waiting) {
		g->coord_said = (int)j.verdict + 1;
		g->coord_waiting = j.waiting;
		log_info("event=flip group=%s state=snapshot from=%s to=%s coord=%s instance=%s "
		         "waiting_for=%d released=%d stale=%d peer=%s",
		         g->id, config_cluster_names[g->flip.cluster],
		         config_cluster_names[g->flip.to], coord_verdict_name(j.verdict),
		         coord_instance(c), j.waiting, j.released, j.stale,
		         j.peer[0] ? j.peer : "-");
	}
	return j.verdict;
}

int flip_coord_recover_peers(coord *c, proxy *px, group_rt *g, char *why, size_t whylen)
{
	coord_record self; /* g is recovering: released toward its route */
	coord_judgement j;
	if (judge_now(c, px, g, &self, &j, why, whylen))
		return -1;
	const char *from = config_cluster_names[self.cluster];
	if (j.waiting) {
		snprintf(why, whylen,
		         "%d other sidecar(s) still serve the group on %s with members (%s first)",
		         j.waiting, from, j.peer);
		return 1;
	}
	switch (j.verdict) {
	case COORD_GO:
		return 0;
	case COORD_DONE:
		snprintf(why, whylen, "sidecar %s seeded the group or serves it on the route",
		         j.peer);
		return 2;
	case COORD_WAIT:
		snprintf(why, whylen, "sidecar %s seeds the group and has not yet", j.peer);
		return 1;
	case COORD_FAIL:
		snprintf(why, whylen,
		         "sidecar %s rolled the same flip back and serves the group on %s: "
		         "waiting for it to flip again",
		         j.peer, from);
		return 1;
	}
	return 1;
}

int flip_coord_peers_flipping(coord *c, const char *group, int cluster, char *why, size_t whylen)
{
	coord_record *peers = NULL;
	size_t n = 0;
	why[0] = '\0';
	if (coord_read(c, group, &peers, &n, why, whylen))
		return -1;
	char first[COORD_INSTANCE_MAX];
	int k = coord_peers_flipping(peers, n, coord_instance(c), cluster, mono_ms(),
	                             coord_heartbeat_ms(c), first, sizeof(first));
	free(peers);
	if (k > 0)
		snprintf(
		    why, whylen,
		    "%d other sidecar(s) flip the group away from %s or settle there (%s first)", k,
		    config_cluster_names[cluster], first);
	return k;
}

int flip_coord_hold(coord *c, proxy *px, group_rt *g, int64_t now_ms)
{
	char why[300] = "";
	int k = 0, was = g->peer_hold;
	int own = cutover_busy(&g->flip) || g->settling || g->recovering;
	if (!own)
		k = flip_coord_peers_flipping(c, g->id, g->cluster, why, sizeof(why));
	if (k <= 0) {
		g->peer_hold = g->peer_hold_spent = 0;
		if (was)
			log_info("event=flip group=%s state=peer_hold_over cluster=%s held_ms=%lld "
			         "ended_by=%s",
			         g->id, config_cluster_names[g->cluster],
			         (long long)(now_ms - g->peer_hold_ms),
			         own ? "own_flip" : "peers_flip_over");
		return was;
	}
	if (g->peer_hold_spent)
		return 0;
	if (!was) {
		g->peer_hold = 1;
		g->peer_hold_ms = now_ms;
		log_info("event=flip group=%s state=peer_hold cluster=%s reason=\"%s\" "
		         "action=\"fetches held, commits pass, until that flip ends or this "
		         "sidecar's own begins\"",
		         g->id, config_cluster_names[g->cluster], why);
		return 1;
	}
	int64_t max = (int64_t)px->cfg->cutover_freeze_max_ms + 3 * (int64_t)coord_heartbeat_ms(c);
	if (now_ms - g->peer_hold_ms < max)
		return 0;
	g->peer_hold = 0;
	g->peer_hold_spent = 1;
	log_warn("event=flip_warning group=%s cluster=%s reason=\"held %lld ms for a peer's flip, "
	         "longer than freeze_max_ms plus three heartbeats: %s\" action=\"fetches "
	         "released; the group consumes here again\"",
	         g->id, config_cluster_names[g->cluster], (long long)(now_ms - g->peer_hold_ms),
	         why);
	return 1;
}
