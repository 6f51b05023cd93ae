/*
 * A sidecar restarted in the middle of a flip (SIGKILL, OOM, a container
 * restart) picks up where its earlier process left, from that process's
 * own records on the control topic (routing/coord.h: the key is group and
 * instance id, and the instance id survives a restart: config.c).
 *
 * Its members reconnect at once and fetch at the positions they had, which
 * may belong to the cluster the group was leaving; their first group
 * request, which starts the first-sight check (flip_recover.c), can come a
 * heartbeat later. So, from start-up until the control topic has been read
 * once (at most three heartbeats), every Fetch is held; then each group the
 * earlier process was flipping or settling is seen at once, its topics
 * taken from that record, and held by the check like any group at first
 * sight. A group whose record named no topics holds every Fetch until its
 * members name them.
 *
 * The same records tell the check (flip_recover.c) that a flip toward the
 * route was under way, so it may seed the route's cluster forward from the
 * other cluster's newer commits (the flip back case).
 *
 * Loop thread only.
 */
#ifndef TURNOUT_PROXY_FLIP_RESUME_H
#define TURNOUT_PROXY_FLIP_RESUME_H

#include <stdint.h>

#include "proxy/groups.h"
#include "routing/coord.h"

/* At flip_start: fetches held until flip_resume_tick has read the topic. */
void flip_resume_begin(proxy *px, int64_t hold_ms);
/* Each tick while px->resume.holding. */
void flip_resume_tick(proxy *px, coord *c);
/*
 * The cluster an earlier process of this sidecar was flipping `group` away
 * from, toward `to` (its record is freezing or released with that flip and
 * older than this process), or -1: none, or -2 while the control topic has
 * not been read yet.
 */
int flip_resume_left_from(proxy *px, coord *c, const char *group, int to);

#endif
