/*
 * The service's one view of the topics: which cluster serves each topic in
 * this sidecar's metadata, given the config's routes and the groups seen at
 * run time; and the topic ids each cluster uses (Fetch v13+ names topics by
 * id, and the ids differ between clusters).
 */
#ifndef TURNOUT_PROXY_VIEW_H
#define TURNOUT_PROXY_VIEW_H

#include <stddef.h>

#include "wire/prim.h"

typedef struct proxy proxy;

typedef struct topic_id_entry {
	wire_uuid id;
	char *name;
} topic_id_entry;

typedef struct topic_ids {
	topic_id_entry *v; /* sorted by id */
	size_t n, cap;
} topic_ids;

/* Every Fetch held: a sidecar restarted mid-flip does not know yet which
 * topics its members' groups read (flip_resume.h). Kept by view_update,
 * which whatever changes it calls. */
int view_hold_all(const proxy *px);
/* Cluster serving topic; *held is set while a flip holds its fetches on
 * the old cluster (or view_hold_all). */
int view_topic(proxy *px, const char *topic, size_t len, int *held);
/* The single cluster every topic and group is served from now, or -1 when
 * routes are mixed (then Produce and Fetch are checked per topic). Read on
 * every Produce and Fetch, so it is kept in px->uniform_cluster and
 * recomputed by view_update() whenever routes or a group's cluster change. */
void view_update(proxy *px);

void view_learn_topic_id(proxy *px, int cluster, const wire_uuid *id, wire_str name);
/* Name of a topic id on cluster; len -1 when unknown. */
wire_str view_topic_name(proxy *px, int cluster, const wire_uuid *id);
void view_free(proxy *px);

#endif
