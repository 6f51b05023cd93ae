/*
 * Picking up a flip an earlier process of this sidecar left (see
 * flip_resume.h).
 */
#include "proxy/flip_resume.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proxy/log.h"
#include "proxy/proxy.h"
#include "proxy/view.h"

static int64_t clock_ms(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void flip_resume_begin(proxy *px, int64_t hold_ms)
{
	px->resume.started_wall_ms = clock_ms(CLOCK_REALTIME);
	px->resume.hold_until_ms = clock_ms(CLOCK_MONOTONIC) + hold_ms;
	px->resume.holding = 1;
	view_update(px);
}

/* A record the earlier process wrote: this process writes later ones. */
static int earlier(const proxy *px, const coord_record *r)
{
	return r->ts_ms < px->resume.started_wall_ms;
}

static int mid_flip(const coord_record *r)
{
	return r->state == COORD_FREEZING || r->state == COORD_RELEASED || r->state == COORD_SEEDED;
}

static void resume_group(proxy *px, const coord_record *r)
{
	size_t len = strlen(r->group);
	int had = groups_get(px, r->group, len, 0) != NULL;
	group_rt *g = groups_get(px, r->group, len, 1); /* first sight: held, checked */
	if (!g) {
		log_error("event=flip_resume group=%s result=failed reason=\"out of memory\"",
		          r->group);
		return;
	}
	size_t topics = 0;
	for (const char *p = r->topics; *p;) {
		const char *nl = strchr(p, '\n'); /* each topic ends with one */
		if (!nl)
			break;
		groups_learn_topic(g, p, (size_t)(nl - p));
		topics++;
		p = nl + 1;
	}
	g->resumed = 1;
	log_info("event=flip_resume group=%s state=%s flip=%s cluster=%s route=%s members=%d "
	         "topics=%zu seen_before=%d action=\"%s\"",
	         r->group, coord_state_name(r->state), r->flip[0] ? r->flip : "-",
	         config_cluster_names[r->cluster], config_cluster_names[g->cluster], r->members,
	         topics, had,
	         topics ? "its topics' fetches held until the first-sight check ends"
	                : "every fetch held until its members name their topics");
}

void flip_resume_tick(proxy *px, coord *c)
{
	coord_record *own = NULL;
	size_t n = 0;
	char why[400] = "";
	int64_t now = clock_ms(CLOCK_MONOTONIC);
	if (coord_read_own(c, &own, &n, why, sizeof(why))) {
		if (now < px->resume.hold_until_ms)
			return;
		log_warn("event=flip_resume result=unverified reason=\"%s\" action=\"fetches "
		         "released; a flip an earlier process left is found at its group's "
		         "first request\"",
		         why);
	} else {
		size_t found = 0;
		for (size_t i = 0; i < n; i++)
			if (earlier(px, &own[i]) && mid_flip(&own[i])) {
				resume_group(px, &own[i]);
				found++;
			}
		log_info("event=flip_resume result=read records=%zu mid_flip=%zu", n, found);
	}
	free(own);
	px->resume.holding = 0;
	view_update(px);
	px->route_gen++;
}

int flip_resume_left_from(proxy *px, coord *c, const char *group, int to)
{
	coord_record *recs = NULL;
	size_t n = 0;
	char why[400];
	if (!c)
		return -1;
	if (coord_read(c, group, &recs, &n, why, sizeof(why)))
		return -2;
	int from = -1;
	const char *self = coord_instance(c);
	for (size_t i = 0; i < n; i++) {
		const coord_record *r = &recs[i];
		if (strcmp(r->instance, self) || !earlier(px, r) ||
		    (r->state != COORD_FREEZING && r->state != COORD_RELEASED))
			continue;
		char want[COORD_FLIP_MAX];
		int other = to == CLUSTER_LEGACY ? CLUSTER_TARGET : CLUSTER_LEGACY;
		coord_flip_id(other, to, want, sizeof(want));
		if (!strcmp(r->flip, want))
			from = other;
	}
	free(recs);
	return from;
}
