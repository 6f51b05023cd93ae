/*
 * MirrorMaker 2's topic names: where its checkpoints and offset-syncs live
 * and what a source topic is called on the target, following
 * DefaultReplicationPolicy / IdentityReplicationPolicy with the separator
 * options (KIP-690, KIP-949) and offset-syncs.topic.location.
 */
#ifndef TURNOUT_ROUTING_MM2_NAMES_H
#define TURNOUT_ROUTING_MM2_NAMES_H

#include <stddef.h>

#include "routing/mirror_config.h"

#define MM2_TOPIC_MAX 249 /* Kafka's limit on a topic name */

/* 1 if s[0..len) uses only the characters of topic names: [A-Za-z0-9._-]. */
int mm2_names_topic_chars_ok(const char *s, size_t len);

/* Which cluster holds a topic. */
typedef enum mm2_side { MM2_SIDE_SOURCE = 0, MM2_SIDE_TARGET = 1 } mm2_side;

/*
 * Each writes a NUL-terminated name into buf and returns 0, or returns -1
 * if the name would be longer than MM2_TOPIC_MAX or than buf.
 */
/* "<source_alias>.checkpoints.internal" (on the target), or the override. */
int mm2_names_checkpoints_topic(const mirror_config *mc, char *buf, size_t len);
/* "mm2-offset-syncs.<other alias>.internal", or the override. */
int mm2_names_offset_syncs_topic(const mirror_config *mc, char *buf, size_t len);
/* The cluster the offset-syncs topic is on. */
mm2_side mm2_names_offset_syncs_side(const mirror_config *mc);
/* The target-side name of source topic (MM2's renameTopicPartition). */
int mm2_names_remote_topic(const mirror_config *mc, const char *source_topic, char *buf,
                           size_t len);
/* The source topic whose target-side name is target_topic; -1 if there is
 * none under this policy (e.g. a target topic without the source prefix). */
int mm2_names_source_topic(const mirror_config *mc, const char *target_topic, char *buf,
                           size_t len);

#endif
