/*
 * `turnout check`'s analysis (see route_check.c): given the routes, what
 * each consumer group looks like on both clusters and the translation
 * previews, it decides where each group lives, what a flip would do, how
 * this service's one metadata view serves each topic, and lists the
 * problems as findings. Pure: cmd_check.c gathers the inputs over the
 * network and prints the report; the unit tests build inputs by hand.
 */
#ifndef TURNOUT_ROUTING_ROUTE_CHECK_H
#define TURNOUT_ROUTING_ROUTE_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "routing/mirror_config.h"
#include "routing/routes.h"
#include "routing/xlate.h"

/* Where a group lives, besides a cluster index. */
enum { RCHK_NOWHERE = -1, RCHK_BOTH = -2 };

typedef enum { RCHK_INFO, RCHK_WARN, RCHK_ERROR } rchk_level;

/* What applying the routes would do to a group. */
typedef enum {
	RCHK_STAYS,    /* it lives where its route points */
	RCHK_NEW,      /* no commits and no members anywhere: starts where routed */
	RCHK_FLIP,     /* legacy -> target, offsets translated forward */
	RCHK_ROLLBACK, /* target -> legacy, offsets translated back */
	RCHK_UNCLEAR,  /* members on both clusters: no single "from" */
	RCHK_OTHER,    /* not named in routes: another service's group, not moved by
	                  this config (only producers moving away from it matter) */
} rchk_action;

/* One group as seen on one cluster. */
typedef struct rchk_side {
	int reachable;  /* the cluster answered at all */
	int described;  /* DescribeGroups answered for this group */
	char state[24]; /* "Stable", "Empty", ... ; "" when not described */
	int members;    /* -1 unknown */
	int committed;  /* partitions with a committed offset; -1 unknown */
	char err[512];  /* why something is unknown, or "" */
} rchk_side;

/* A translation preview summarised (rchk_xlate_summarise). */
typedef struct rchk_xlate {
	int ran;                     /* a preview result is summarised here */
	translate_dir dir;           /* */
	size_t n, exact, checkpoint; /* partitions, by method */
	size_t conservative, none;   /* */
	int64_t rereads;             /* sum of the known re-read bounds */
	int rereads_unknown;         /* some bound is unknown */
	char untranslatable[400];    /* "topic-3, topic-4" (method none), truncated with "..." */
	char err[400];               /* why no preview ran, or "" */
} rchk_xlate;

typedef struct rchk_group {
	char *name;
	int in_routes;  /* named in routes.groups (this service's group) */
	int route;      /* cluster its route resolves to (routes_group) */
	char **topics;  /* topics it consumes (config, commits, assignment), sorted,
	                   under their legacy (source) names */
	size_t ntopics; /* */
	rchk_side side[CLUSTER_COUNT];
	rchk_xlate xl;        /* filled by the caller for RCHK_FLIP / RCHK_ROLLBACK */
	int lives;            /* set by rchk_place: a cluster, RCHK_NOWHERE or RCHK_BOTH */
	int lives_by_commits; /* lives was decided from commits (no members seen) */
	rchk_action action;   /* set by rchk_place */
} rchk_group;

/* One row of this service's topic view. */
typedef struct rchk_topic {
	char *name;
	int cluster;      /* where metadata serves it (routes_topic) */
	route_reason why; /* */
	int producer;     /* routes_producer */
	int producer_set; /* a per-topic producer route names it */
	int conflict;     /* routes_topic's conflict, or an override the groups disagree with */
} rchk_topic;

typedef struct rchk_finding {
	rchk_level level;
	const char *kind; /* static: "topic_conflict", "producers_ahead", ... */
	char *subject;    /* the group, topic or cluster it is about */
	char *message;    /* one sentence for an operator */
} rchk_finding;

typedef struct rchk_report {
	rchk_topic *topics; /* sorted by name */
	size_t ntopics;
	rchk_finding *f;
	size_t nf, cap;
	size_t errors, warnings;
} rchk_report;

typedef struct rchk_input {
	const routes *r;
	const mirror_config *mc; /* NULL: no "mirror" configured */
	rchk_group *groups;      /* rchk_place has run on each */
	size_t ngroups;
	char **cluster_topics[CLUSTER_COUNT]; /* sorted topic names; NULL = unknown */
	size_t ncluster_topics[CLUSTER_COUNT];
} rchk_input;

/* Adds topic (copied) to g->topics, keeping it sorted and unique. 0 or -1. */
int rchk_group_add_topic(rchk_group *g, const char *topic);
/* Sets g->lives, g->lives_by_commits and g->action from the sides and route. */
void rchk_place(rchk_group *g);
void rchk_group_free(rchk_group *g);

/* Summarises a translation preview; r may be NULL with err set. */
void rchk_xlate_summarise(const xlate_group_result *r, const char *err, rchk_xlate *out);

/* Appends a finding; -1 when out of memory. */
int rchk_add(rchk_report *rep, rchk_level level, const char *kind, const char *subject,
             const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Builds the topic view and the findings about groups and topics into rep
 * (which may already hold findings). 0, or -1 when out of memory. */
int rchk_analyse(const rchk_input *in, rchk_report *rep);
void rchk_report_free(rchk_report *rep);

const char *rchk_level_name(rchk_level l);
const char *rchk_action_name(rchk_action a);
const char *rchk_reason_name(route_reason why);
/* "legacy", "target", "-" (nowhere), "both". */
const char *rchk_where_name(int lives);

#endif
