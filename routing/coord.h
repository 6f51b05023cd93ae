/*
 * The cutover control topic client: the sidecars of one service tell each
 * other, through a small compacted topic (cutover.control_topic on
 * cutover.control_cluster), where each of them serves each consumer group
 * and how far it is in a flip (records: routing/coord_record.h).
 *
 *   loop (flip_coord.c) --coord_set--> own records --thread: produce now if
 *   changed, again every heartbeat_ms--> topic --thread: read from the
 *   beginning, partition 0--> table of every sidecar's latest record
 *   --coord_read (copy)--> loop: coord_judge
 *
 * Everything librdkafka does happens on this module's thread; the loop only
 * takes a mutex to copy records in or out, so it never waits on the network.
 */
#ifndef TURNOUT_ROUTING_COORD_H
#define TURNOUT_ROUTING_COORD_H

#include <stddef.h>

#include "proxy/config.h"
#include "routing/coord_record.h"

typedef struct coord coord;

/* Starts the thread for cfg's cutover.* settings; cfg must outlive it. */
coord *coord_start(const config *cfg, char *err, size_t errlen);
void coord_stop(coord *c);

/* This sidecar's word about r->group (instance and timestamps are filled in
 * here): written at once when it differs from the last, then every
 * heartbeat while it has members or is in a flip. */
void coord_set(coord *c, const coord_record *r);
/* The latest record of every sidecar about group (malloc'd copy in *out,
 * caller frees). Returns -1 with why while the topic has not been read to
 * its end once: until then the peers are unknown. */
int coord_read(coord *c, const char *group, coord_record **out, size_t *n, char *why,
               size_t whylen);
/* This sidecar's own records as the topic holds them (every group), as
 * coord_read: what a process killed mid-flip had said (flip_resume.c). */
int coord_read_own(coord *c, coord_record **out, size_t *n, char *why, size_t whylen);
const char *coord_instance(const coord *c);

/* For status: how far the reader is and what went wrong last. */
typedef struct coord_progress {
	const char *topic, *cluster, *instance;
	int heartbeat_ms;
	int ready;         /* read to its end once */
	size_t records;    /* (group, instance) records in the table */
	long long skipped; /* records that did not decode */
	char last_error[256];
} coord_progress;
void coord_progress_get(coord *c, coord_progress *out);
int coord_heartbeat_ms(const coord *c);

#endif
