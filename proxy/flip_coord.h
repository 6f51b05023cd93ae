/*
 * A flip's dealings with the other sidecars of the service, through the
 * control topic (routing/coord.h): what this sidecar says about each group,
 * and, in SNAPSHOT, what the judge (routing/coord_record.h) allows. Loop
 * thread only.
 */
#ifndef TURNOUT_PROXY_FLIP_COORD_H
#define TURNOUT_PROXY_FLIP_COORD_H

#include <stddef.h>
#include <stdint.h>

#include "proxy/groups.h"
#include "routing/coord.h"
#include "routing/coord_record.h"

/* Hands g's current state on this sidecar to the control topic writer. */
void flip_coord_publish(coord *c, proxy *px, group_rt *g);
/* SNAPSHOT: the judge's verdict for g's flip (began: g->flip.began_ms). Logs `event=flip ...
 * coord=wait|go|done` when the verdict or the number of sidecars waited for changes; why says who
 * holds the flip back (WAIT) or who failed (FAIL). */
coord_verdict flip_coord_judge(coord *c, proxy *px, group_rt *g, char *why, size_t whylen);

/*
 * First sight of a group (flip_recover.c, g->recovering): may this sidecar
 * serve g on its route, seeding it there from the other cluster's commits
 * if need be? The judge (coord_judge) sees g as released from the other
 * cluster toward the route. 0: yes, and it seeds if need be; 2: yes, a
 * peer seeded or serves the group there (why names it); 1: not yet, why says who is waited for (a
 * live peer still serves the group on the other cluster with members, a peer seeds, or a peer
 * rolled the same flip back since the hold began); -1 while the control topic has not been read to
 * its end (why says so).
 */
int flip_coord_recover_peers(coord *c, proxy *px, group_rt *g, char *why, size_t whylen);

/*
 * Each tick, for a group this sidecar serves with no flip of its own: while
 * a live peer flips it away from this cluster, or has flipped it here and
 * its members are still rejoining (coord_peers_flipping), the group's
 * fetches are held here too (g->peer_hold; commits pass), so that nothing
 * is read that a rebalance keeps from being committed. Ends when the
 * peers' flip does (settled, failed, or stale), when this sidecar's own
 * flip begins, or after freeze_max_ms plus three heartbeats (logged). Returns 1 when the
 * hold began or ended (routes changed).
 */
int flip_coord_hold(coord *c, proxy *px, group_rt *g, int64_t now_ms);

/* Live peers in a flip of `group` concerning `cluster` (coord_peers_flipping):
 * their number (why names the first), 0, or -1 while the control topic has
 * not been read to its end. */
int flip_coord_peers_flipping(coord *c, const char *group, int cluster, char *why, size_t whylen);

#endif
