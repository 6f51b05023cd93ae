/*
 * The live flip driver: moves one consumer group between clusters while its
 * members keep running (the I/O of routing/cutover.h's states).
 *
 *   reload wants G elsewhere -> flip_begin: FREEZING (fetches of G's topics
 *   held, commits still reach the old cluster) -> quiet or deadline: SNAPSHOT
 *   (G fenced on the old cluster) -> engine worker: read, translate, judge
 *   (routing/flip_plan.h), seed on the new cluster -> the loop applies the
 *   outcome: SERVING(to), or cutover_fail back to SERVING(from).
 *
 * The engine's worker thread only fills a finished job and queues it under a
 * mutex; a 100 ms timer on the event loop applies queued jobs and ends
 * freezes, so group state is only touched on the loop.
 */
#ifndef TURNOUT_PROXY_FLIP_H
#define TURNOUT_PROXY_FLIP_H

#include <stddef.h>
#include <stdint.h>

#include "proxy/config.h"
#include "proxy/groups.h"

typedef struct proxy proxy;
typedef struct flip_ctl flip_ctl;

/* Starts the translation engine when px->cfg has "mirror" (px->flip stays
 * NULL otherwise). The engine keeps reading px->cfg's settings: that config
 * is then owned by px->flip (see flip_keeps_config). */
int flip_start(proxy *px, char *err, size_t errlen);
/* Stops the engine (its queued jobs end as failures) and frees everything. */
void flip_stop(proxy *px);
/* 1 if cfg must not be freed by a reload: the engine still reads it. */
int flip_keeps_config(const proxy *px, const config *cfg);

/* Why groups cannot be flipped at all in this process; NULL if they can. */
const char *flip_unavailable(const proxy *px);
/* The routes now want g on `want` (!= g->cluster): begins a flip unless one
 * is under way (that one finishes first, then the route is looked at again). */
void flip_begin(proxy *px, group_rt *g, int want);
/* Group requests for g at the old cluster answered locally while fenced. */
int flip_fenced(const group_rt *g);
/* A member of g asked the new coordinator for its offsets: fetches of g's
 * topics are released. */
void flip_member_resumed(proxy *px, group_rt *g);

#endif
