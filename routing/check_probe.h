/*
 * `turnout check`'s look at one cluster (see check_probe.c): reachability,
 * brokers, controller, cluster id and topics; the consumer groups it lists;
 * and for each group its state, members, assigned topics and committed
 * partitions. Every call blocks, bounded by its timeout; nothing is written
 * to the cluster.
 */
#ifndef TURNOUT_ROUTING_CHECK_PROBE_H
#define TURNOUT_ROUTING_CHECK_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "proxy/config.h"
#include "routing/route_check.h"

typedef struct check_probe check_probe;

typedef struct check_cluster_info {
	int reachable;        /* metadata answered */
	char error[512];      /* why not, or "" */
	char *cluster_id;     /* NULL when the cluster does not say */
	int32_t controller;   /* -1 unknown */
	int nbrokers;         /* */
	char brokers[512];    /* "1=host:port 2=host:port", truncated */
	char **topics;        /* every topic, sorted */
	int *partitions;      /* partition count of topics[i] */
	size_t ntopics;       /* */
	int listed;           /* ListConsumerGroups answered */
	char list_error[256]; /* why it did not, or "" */
	int unsupported;      /* the brokers refused ListGroups as unsupported: they
	                         predate DescribeGroups too (both Kafka 0.9), so
	                         groups are not described (librdkafka's mock) */
	char **groups;        /* consumer groups it listed, sorted */
	size_t ngroups;       /* */
} check_cluster_info;

/* Starts a client for cluster (its TLS / SASL / IAM settings); connecting
 * begins at once, so opening both clusters first lets them connect in
 * parallel. NULL with err if the settings cannot be applied. */
check_probe *check_probe_open(const config_cluster *cluster, const char *name, char *err,
                              size_t errlen);
void check_probe_close(check_probe *p);

/* Metadata, cluster id, controller into out (reachable = 0 and error set on
 * failure; never fails otherwise). */
void check_probe_cluster(check_probe *p, int timeout_ms, check_cluster_info *out);
/* ListGroups into out->groups (listed = 0 with list_error when the cluster
 * cannot list them, as librdkafka's mock cluster cannot). */
void check_probe_list_groups(check_probe *p, int timeout_ms, check_cluster_info *out);
void check_cluster_info_free(check_cluster_info *ci);

/*
 * Fills side `cluster` of each group: DescribeGroups for state, members and
 * the topics they subscribe to and are assigned (added to the group's), and
 * the committed offsets (every partition the broker reports for the group,
 * or, where the broker does not answer for "all", every partition of ci's
 * topics), whose topics are added under their legacy names (mc maps target
 * names back; may be NULL).
 */
void check_probe_groups(check_probe *p, const check_cluster_info *ci, const mirror_config *mc,
                        int cluster, rchk_group *groups, size_t n, int timeout_ms);

#endif
