/*
 * A flip's dealings with the group's members (see flip.h).
 *
 *   seen:      every Heartbeat / SyncGroup / JoinGroup / OffsetCommit that
 *              names a member at the group's coordinator records it and the
 *              client connection it came on (groups.c's member table).
 *   release:   RELEASING sends, for each member, LeaveGroup(member) on that
 *              member's own coordinator connection (its upstream to the old
 *              coordinator), behind whatever the member has in flight; the
 *              answer is taken here and never reaches the client. The
 *              member itself is fenced meanwhile (route.c answers its group
 *              requests COORDINATOR_LOAD_IN_PROGRESS, "retry later"), so it
 *              keeps its assignment and does not rejoin the old group. A
 *              member whose connection is gone is asked again when it comes
 *              back (its next request names it).
 *   settle:    at the new coordinator, requests naming a member id that
 *              left the old cluster are answered UNKNOWN_MEMBER_ID by
 *              route.c: the member drops its old positions and rejoins.
 *              Fetches of the group's topics stay held until as many
 *              connections as members left have read their offsets there.
 *
 * Why turnout sends the LeaveGroup itself: a member only leaves when it
 * closes; otherwise the old coordinator keeps it until session.timeout.ms,
 * and a later rebalance there (a flip back, another sidecar's members)
 * waits for it that long. And the group must be empty before its last
 * commits are final (flip.c waits for that).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proxy/client.h"
#include "proxy/flip.h"
#include "proxy/flip_coord.h"
#include "proxy/frameio.h"
#include "proxy/log.h"
#include "proxy/proxy.h"
#include "proxy/view.h"
#include "wire/api.h"
#include "wire/arena.h"
#include "wire/consumer_protocol.h"
#include "wire/header.h"
#include "wire_msgs.h"

enum { KERR_UNKNOWN_MEMBER = 25 };

/* What a LeaveGroup answer must find again: names, never pointers (the
 * member table may change before it arrives). */
typedef struct leave_ctx {
	char group[256];
	char member[256];
	int cluster;
	int16_t version;
} leave_ctx;

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static client *client_by_id(proxy *px, int id)
{
	client *c;
	TAILQ_FOREACH(c, &px->clients, link)
	if (c->id == id && !c->closed)
		return c;
	return NULL;
}

static void on_left(proxy *px, void *arg, const uint8_t *frame, size_t len)
{
	leave_ctx *lc = arg;
	group_rt *g = groups_get(px, lc->group, strlen(lc->group), 0);
	groups_member *m = g ? groups_member_find(g, lc->member, strlen(lc->member)) : NULL;
	if (!m)
		return; /* dropped meanwhile (the flip ended) */
	wire_arena a;
	wire_arena_init(&a, 0);
	wire_leave_group_resp rs;
	int16_t err = -1;
	if (frameio_decode_response(WIRE_API_LEAVE_GROUP, lc->version, frame, len, &a, &rs) == 0) {
		err = rs.error_code;
		if (!err && rs.members.n > 0)
			err = rs.members.v[0].error_code;
	}
	wire_arena_reset(&a);
	/* UNKNOWN_MEMBER_ID: the coordinator had already let it go */
	if (err == 0 || err == KERR_UNKNOWN_MEMBER) {
		m->leave = 2;
		log_info("event=flip_member_left group=%s member=%s cluster=%s error=%d", g->id,
		         m->id, config_cluster_names[lc->cluster], err);
	} else {
		m->leave = 0; /* asked again on the next tick */
		log_warn("event=flip_member_leave_failed group=%s member=%s cluster=%s error=%d "
		         "action=\"retried\"",
		         g->id, m->id, config_cluster_names[lc->cluster], err);
	}
}

/* LeaveGroup for m on its coordinator connection; 0 when sent. */
static int send_leave(proxy *px, group_rt *g, groups_member *m)
{
	client *c = client_by_id(px, m->client);
	if (!c || !c->up || c->up->vb->cluster != m->cluster)
		return -1;
	const cluster_state *cs = &px->clusters[m->cluster];
	api_range r = cs->have_versions ? cs->versions.r[WIRE_API_LEAVE_GROUP] : (api_range){0, 1};
	if (r.min > r.max || r.min > 3)
		return -1;
	/* v0-2 name one member; v3 a list (with the static instance id); v4+
	 * only adds flexible encoding and reasons */
	int16_t v = r.max < 3 ? r.max : 3;
	leave_ctx *lc = calloc(1, sizeof(*lc));
	if (!lc)
		return -1;
	snprintf(lc->group, sizeof(lc->group), "%s", g->id);
	snprintf(lc->member, sizeof(lc->member), "%s", m->id);
	lc->cluster = m->cluster;
	lc->version = v;
	wire_leave_group_req rq;
	wire_leave_group_req_init(&rq);
	wire_leave_group_req_member_identity who;
	wire_leave_group_req_member_identity_init(&who);
	rq.group_id = (wire_str){g->id, (int32_t)strlen(g->id)};
	if (v < 3) {
		rq.member_id = (wire_str){m->id, (int32_t)strlen(m->id)};
	} else {
		who.member_id = (wire_str){m->id, (int32_t)strlen(m->id)};
		who.group_instance_id =
		    m->instance_id ? (wire_str){m->instance_id, (int32_t)strlen(m->instance_id)}
		                   : (wire_str){NULL, -1};
		rq.members.n = 1;
		rq.members.v = &who;
	}
	wire_req_header h = {
	    .api_key = WIRE_API_LEAVE_GROUP,
	    .api_version = v,
	    .client_id = {"turnout", 7},
	    .version = (int8_t)wire_req_header_version(WIRE_API_LEAVE_GROUP, v),
	};
	if (upstream_send_internal(c->up, &h, &rq, on_left, lc))
		return -1;
	m->leave = 1;
	log_info("event=flip_member_leave group=%s member=%s cluster=%s client=%d version=%d",
	         g->id, m->id, config_cluster_names[m->cluster], c->id, (int)v);
	return 0;
}

size_t flip_release_members(proxy *px, group_rt *g)
{
	size_t behind = 0;
	for (size_t i = 0; i < g->nmembers; i++) {
		groups_member *m = &g->members[i];
		if (m->cluster != g->flip.cluster || m->leave == 2)
			continue;
		/* a member whose connection is gone is asked when its next request
		 * (on a new connection) names it; until then nothing of it can
		 * commit, so it holds nothing back */
		if (m->leave == 0 && !client_by_id(px, m->client))
			continue;
		if (m->leave == 0)
			send_leave(px, g, m);
		behind++;
	}
	return behind;
}

static int open_client(void *ctx, int client)
{
	return client_by_id(ctx, client) != NULL;
}

int flip_member_connections(proxy *px, const group_rt *g, int cluster)
{
	return groups_member_clients(g, cluster, open_client, px);
}

void flip_members_left_behind(proxy *px, const group_rt *g, char *buf, size_t len)
{
	size_t of = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < g->nmembers && of + 1 < len; i++) {
		const groups_member *m = &g->members[i];
		if (m->cluster != g->flip.cluster || m->leave == 2)
			continue;
		int w = snprintf(buf + of, len - of, "%s%s (%s)", of ? ", " : "", m->id,
		                 m->leave                      ? "LeaveGroup unanswered"
		                 : client_by_id(px, m->client) ? "cannot send"
		                                               : "connection closed");
		if (w < 0)
			break;
		of += (size_t)w;
	}
}

void flip_member_seen(proxy *px, group_rt *g, client *c, wire_str member, wire_str instance)
{
	if (member.len <= 0 || flip_member_gone(g, member))
		return;
	int home = client_cluster(c);
	groups_member *m =
	    groups_member_seen(g, member.p, (size_t)member.len, instance.p,
	                       instance.len > 0 ? (size_t)instance.len : 0, c->id, home);
	if (m && m->cluster != home) {
		m->cluster = home; /* the same id at the other cluster: what it says now */
		m->leave = 0;
	}
	if (m && g->flip.state == CUTOVER_RELEASING && home == g->flip.cluster && m->leave == 0)
		send_leave(px, g, m);
}

int flip_member_gone(const group_rt *g, wire_str member)
{
	return g->settling && member.len > 0 && groups_is_gone(g, member.p, (size_t)member.len);
}

void flip_saw_join(proxy *px, int cluster, int16_t version, const uint8_t *frame, size_t len)
{
	int any = 0;
	for (size_t i = 0; i < px->groups.n && !any; i++)
		any = px->groups.v[i]->settling && px->groups.v[i]->ngone > 0;
	if (!any)
		return; /* nothing to tell apart: no decoding on the common path */
	wire_arena a;
	wire_arena_init(&a, 0);
	wire_join_group_resp m;
	if (!frameio_decode_response(WIRE_API_JOIN_GROUP, version, frame, len, &a, &m) &&
	    m.error_code == 0 && m.member_id.len > 0)
		for (size_t i = 0; i < px->groups.n; i++) {
			group_rt *g = px->groups.v[i];
			if (g->settling && g->cluster == cluster &&
			    groups_gone_forget(g, m.member_id.p, (size_t)m.member_id.len))
				log_info(
				    "event=flip_member_id_reused group=%s member=%.*s cluster=%s "
				    "reason=\"the coordinator handed out an id a member had at the "
				    "old cluster: a new member\"",
				    g->id, (int)m.member_id.len, m.member_id.p,
				    config_cluster_names[cluster]);
		}
	wire_arena_reset(&a);
}

/* A Heartbeat this long after the SyncGroup answer, with offsets still
 * unread, comes from a member that kept positions: every client reads its
 * offsets at once after SyncGroup, Java's first Heartbeat comes a heartbeat
 * interval (3 s by default) later. */
enum { KEPT_POSITIONS_GRACE_MS = 1000 };

void flip_saw_sync(group_rt *g, int client_id, int cluster, int16_t version, const uint8_t *frame,
                   size_t len)
{
	if (!g->settling || g->cluster != cluster)
		return;
	wire_arena a;
	wire_arena_init(&a, 0);
	wire_sync_group_resp m;
	wire_consumer_protocol_assignment as;
	int16_t av;
	char err[200];
	if (!frameio_decode_response(WIRE_API_SYNC_GROUP, version, frame, len, &a, &m) &&
	    m.error_code == 0 && m.assignment.len > 0 &&
	    !wire_assignment_parse(m.assignment.p, (size_t)m.assignment.len, &a, &as, &av, err,
	                           sizeof(err)) &&
	    flip_positions_assigned(&g->positions, client_id, &as, mono_ms()))
		log_warn("event=flip_warning group=%s reason=\"out of memory keeping client %d's "
		         "assignment: its positions are not checked\"",
		         g->id, client_id);
	wire_arena_reset(&a);
}

void flip_member_offsets(proxy *px, group_rt *g, int client_id, int16_t version,
                         const struct wire_offset_fetch_req *rq)
{
	if (!g->settling)
		return;
	const wire_offset_fetch_req_topic_array *old = &rq->topics;
	if (version < 8) {
		if (old->n < 0)
			flip_positions_fetched(&g->positions, client_id, NULL, 0, -1);
		for (int32_t i = 0; i < old->n; i++)
			for (int32_t j = 0; j < old->v[i].partition_indexes.n; j++)
				flip_positions_fetched(&g->positions, client_id, old->v[i].name.p,
				                       (size_t)old->v[i].name.len,
				                       old->v[i].partition_indexes.v[j]);
	}
	for (int32_t k = 0; version >= 8 && k < rq->groups.n; k++) {
		const wire_offset_fetch_req_group *gr = &rq->groups.v[k];
		if (gr->group_id.len != (int32_t)strlen(g->id) ||
		    memcmp(gr->group_id.p, g->id, strlen(g->id)))
			continue;
		if (gr->topics.n < 0)
			flip_positions_fetched(&g->positions, client_id, NULL, 0, -1);
		for (int32_t i = 0; i < gr->topics.n; i++)
			for (int32_t j = 0; j < gr->topics.v[i].partition_indexes.n; j++)
				flip_positions_fetched(&g->positions, client_id,
				                       gr->topics.v[i].name.p,
				                       (size_t)gr->topics.v[i].name.len,
				                       gr->topics.v[i].partition_indexes.v[j]);
	}
	if (!flip_positions_missing(&g->positions, client_id))
		flip_member_resumed(px, g, client_id);
}

int flip_member_kept_positions(group_rt *g, int client_id)
{
	if (!g->settling)
		return 0;
	size_t missing = flip_positions_missing(&g->positions, client_id);
	if (!flip_positions_refuse(&g->positions, client_id, mono_ms(), KEPT_POSITIONS_GRACE_MS))
		return 0;
	log_warn("event=flip_kept_positions group=%s client=%d cluster=%s partitions=%zu "
	         "reason=\"a member heartbeats at the new coordinator without having read the "
	         "offsets of %zu partition(s) it was assigned there: it kept positions from "
	         "before the flip\" action=\"told UNKNOWN_MEMBER_ID: it drops them as lost, "
	         "rejoins and reads its offsets\"",
	         g->id, client_id, config_cluster_names[g->cluster], missing, missing);
	return 1;
}

void flip_settled(proxy *px, group_rt *g, const char *why)
{
	if (!g->settling)
		return;
	g->settling = 0;
	flip_positions_clear(&g->positions);
	int64_t now = mono_ms();
	g->flip.last_pause_ms = now - g->flip.began_ms; /* fetches were held this long */
	groups_gone_clear(g);
	if (px->coord) /* peers still settling: no fetch here either */
		flip_coord_hold(px->coord, px, g, now);
	px->route_gen++;
	view_update(px);
	log_info("event=flip group=%s state=resumed cluster=%s pause_ms=%lld settle_ms=%lld "
	         "members_back=%d of=%d reason=\"%s\"",
	         g->id, config_cluster_names[g->cluster], (long long)g->flip.last_pause_ms,
	         (long long)(now - g->settle_ms), g->nsettle_seen, g->settle_need, why);
}

void flip_member_resumed(proxy *px, group_rt *g, int client_id)
{
	if (!g->settling)
		return;
	for (int i = 0; i < g->nsettle_seen; i++)
		if (g->settle_seen[i] == client_id)
			return;
	if (g->nsettle_seen < GROUP_SETTLE_MAX)
		g->settle_seen[g->nsettle_seen++] = client_id;
	if (g->nsettle_seen >= g->settle_need)
		flip_settled(px, g,
		             "every member that left read its offsets at the new coordinator");
}
