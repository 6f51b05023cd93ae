/*
 * The "mirror" object of turnout's configuration: how MirrorMaker 2 names
 * and places its checkpoints and offset-syncs topics, and how hard turnout
 * may work to verify a translation. Parsed with the same strictness as the
 * rest of the file (unknown keys and wrong types are errors naming the field).
 */
#ifndef TURNOUT_ROUTING_MIRROR_CONFIG_H
#define TURNOUT_ROUTING_MIRROR_CONFIG_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* MM2's replication.policy.class, reduced to what changes topic names. */
typedef enum mirror_policy {
	MIRROR_POLICY_DEFAULT,  /* DefaultReplicationPolicy: "<source_alias><sep><topic>" */
	MIRROR_POLICY_IDENTITY, /* IdentityReplicationPolicy (and AWS CustomMM2ReplicationPolicy) */
} mirror_policy;

/* offset-syncs.topic.location */
typedef enum mirror_syncs_location {
	MIRROR_SYNCS_ON_SOURCE, /* MM2's default: the legacy cluster */
	MIRROR_SYNCS_ON_TARGET,
} mirror_syncs_location;

typedef struct mirror_config {
	char *source_alias;                   /* MM2 source.cluster.alias (legacy) */
	char *target_alias;                   /* MM2 target.cluster.alias (target) */
	mirror_policy policy;                 /* replication.policy.class */
	char *separator;                      /* replication.policy.separator */
	int internal_separator_enabled;       /* ...internal.topic.separator.enabled */
	mirror_syncs_location syncs_location; /* offset-syncs.topic.location */
	char *checkpoints_topic;              /* override of MM2's name; NULL = derive */
	char *offset_syncs_topic;             /* override of MM2's name; NULL = derive */
	long verify_record_budget;            /* records read per partition to verify; 0 = off */
	int use_checkpoints;  /* trust checkpoints (MM2 >= 3.5 / 3.4.1 wrote them) */
	int ready_timeout_ms; /* how long commands wait for the readers */
	int fetch_timeout_ms; /* per cluster request while translating */
} mirror_config;

/*
 * Fills out from obj (the value of "mirror"). On error returns -1, writes
 * "mirror.<field>: what is wrong" and leaves out empty (safe to clear).
 */
int mirror_config_parse(const cJSON *obj, mirror_config *out, char *err, size_t errlen);

/* Sets the defaults (aliases unset); used by parse and by tests. */
void mirror_config_defaults(mirror_config *mc);

/* Frees the strings; mc may then be parsed into again. */
void mirror_config_clear(mirror_config *mc);

#endif
