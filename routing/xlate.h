/*
 * The offset translation engine: what the proxy and `turnout offsets` call.
 *
 * It owns two background readers (MM2's checkpoints topic on the target, the
 * offset-syncs topic on the source or target) filling an in-memory store,
 * and a client per cluster for the blocking work of a translation: reading
 * a group's committed offsets, comparing records, reading end offsets.
 *
 * Threads and calls:
 *   any thread, never blocks:   xlate_engine_ready, xlate_engine_counts,
 *                               xlate_engine_submit
 *   worker threads only (block on the network, bounded by the timeouts in
 *   mirror_config):             xlate_engine_wait_ready, xlate_translate_group,
 *                               xlate_seed_group
 * The proxy's event loop uses xlate_engine_submit: the job runs on the
 * engine's own worker thread and the callback is invoked there; the callback
 * should hand the result to the loop (e.g. a locked queue + event_active) and
 * return. Blocking calls from different threads are serialised internally.
 */
#ifndef TURNOUT_ROUTING_XLATE_H
#define TURNOUT_ROUTING_XLATE_H

#include <stddef.h>
#include <stdint.h>

#include "proxy/config.h"
#include "routing/mirror_config.h"
#include "routing/mm2_reader.h"
#include "routing/mm2_client.h"
#include "routing/mm2_store.h"
#include "routing/translate.h"

typedef struct xlate_engine xlate_engine;

/* One partition of a group, translated. */
typedef struct xlate_partition {
	char *topic;        /* topic on the "from" cluster */
	char *to_topic;     /* its name on the "to" cluster */
	int32_t partition;  /* */
	int64_t committed;  /* the group's committed offset on "from" */
	char *metadata;     /* commit metadata, carried over when seeding */
	translate_result r; /* answer, method, path, re-read bound, MM2's answer */
	int64_t from_end;   /* end offset of the partition on "from"; -1 unknown */
	int64_t mirror_lag; /* "from" records after the newest sync (not yet confirmed
	                       copied; MM2 confirms at least every offset.lag.max); -1 unknown */
	char *error;        /* why a record comparison failed, or NULL */
} xlate_partition;

typedef struct xlate_group_result {
	char *group;
	translate_dir dir;
	size_t n;
	xlate_partition *parts;  /* sorted by topic, partition */
	mm2_store_counts counts; /* the store when the translation ran */
} xlate_group_result;

/*
 * Starts the readers. mc, legacy and target must outlive the engine.
 * Returns NULL and writes err if a reader cannot be created.
 */
xlate_engine *xlate_engine_start(const mirror_config *mc, const config_cluster *legacy,
                                 const config_cluster *target, char *err, size_t errlen);
/* Stops the worker and readers and frees everything. Queued jobs get their
 * callback with a NULL result and "engine stopped". Call it once no other
 * thread is inside a blocking call of the engine. */
void xlate_engine_stop(xlate_engine *e);

/* 1 once both MM2 topics have been read to their end at least once. */
int xlate_engine_ready(xlate_engine *e);
/* Waits until ready; on timeout returns -1 with err saying what is missing. */
int xlate_engine_wait_ready(xlate_engine *e, int timeout_ms, char *err, size_t errlen);
void xlate_engine_counts(xlate_engine *e, mm2_store_counts *out);
/* Progress of the two readers: [0] offset-syncs, [1] checkpoints. Any thread. */
void xlate_engine_progress(xlate_engine *e, mm2_reader_progress out[2]);
/* One line per reader (topic, cluster, progress, last error). */
void xlate_engine_describe(xlate_engine *e, char *buf, size_t len);
/* Names of the MM2 topics read (for messages). */
const char *xlate_engine_checkpoints_topic(xlate_engine *e);
const char *xlate_engine_offset_syncs_topic(xlate_engine *e);

/*
 * Translates every partition the group has committed offsets for on the
 * "from" cluster (forward: legacy, reverse: target) that belongs to a
 * mirrored topic or to one of topics (NULL-terminated, "from"-side names,
 * may be NULL), plus any other partition the broker reports for the group.
 * Fails (-1, err) if the engine is not ready or the group's offsets cannot
 * be read; a partition that cannot be translated is TRANSLATE_NONE, never an
 * error. Blocks: worker threads only.
 */
int xlate_translate_group(xlate_engine *e, const char *group, translate_dir dir,
                          const char *const *topics, xlate_group_result **out, char *err,
                          size_t errlen);
void xlate_group_result_free(xlate_group_result *r);

typedef void (*xlate_done_fn)(void *arg, xlate_group_result *res, const char *err);
/*
 * Queues xlate_translate_group on the engine's worker thread; done(arg, res,
 * NULL) or done(arg, NULL, err) runs there later. done owns res. Returns -1
 * if out of memory or stopping. Never blocks.
 */
int xlate_engine_submit(xlate_engine *e, const char *group, translate_dir dir, xlate_done_fn done,
                        void *arg);

/* Runs fn(arg) on the engine's worker thread (where the blocking calls
 * belong); -1 if out of memory or stopping (fn is then never called). With
 * the engine stopping, queued functions run with stopping = 1 and must only
 * release arg. */
int xlate_engine_run(xlate_engine *e, void (*fn)(void *arg, int stopping), void *arg);

/* Bounds every blocking call the calling thread makes from now on: each
 * waits at most mirror.fetch_timeout_ms and never past deadline_ms
 * (CLOCK_MONOTONIC milliseconds; 0 lifts the bound). A flip sets its
 * freeze_max_ms deadline, so a slow or unreachable cluster rolls the flip
 * back on time rather than one timeout per call later. */
void xlate_thread_deadline(int64_t deadline_ms);

/* How many partitions the group has a committed offset for on one cluster
 * (legacy: 0 / target: 1): those of mirrored topics (the MM2 data names
 * them), of topics (that cluster's names, may be NULL) and any other the
 * broker lists for the group. Blocks: worker threads only. */
int xlate_group_commits(xlate_engine *e, int cluster, const char *group, const char *const *topics,
                        size_t *n, char *err, size_t errlen);

/* The group's state on one cluster (legacy: 0 / target: 1, the config's
 * cluster index). Blocks: worker threads only. */
int xlate_group_state(xlate_engine *e, int cluster, const char *group, mm2_group_state *out,
                      char *err, size_t errlen);

typedef struct xlate_seed_report {
	const char *how;  /* "none" (nothing to write), "commit" (no member), "member" */
	size_t committed; /* partitions written */
	size_t kept;      /* the "to" group already had an offset >= the answer */
	size_t skipped;   /* no translation (TRANSLATE_NONE) */
} xlate_seed_report;

/*
 * Seeds the group on the "to" cluster with a translation's answers, as
 * MM2's sync.group.offsets does: never moves an existing committed offset
 * backwards, skips partitions without an answer; idempotent (the same
 * translation seeded twice writes nothing the second time). Offsets are
 * written with a commit that joins no group (generation -1), which a broker
 * only accepts while the group has no members; a group DescribeGroups shows
 * active is refused here with its members named. Only where the broker
 * cannot describe groups (librdkafka's mock) and refuses that commit
 * because the group once had members is a short-lived member used
 * (mm2_client_commit_as_member). describe: 1 the "to" cluster answers
 * DescribeGroups (checked first), 0 it does not (its ApiVersions lack it:
 * librdkafka 2.0 must not be asked), -1 no check and no member fallback.
 * Blocks: worker threads only.
 */
int xlate_seed_group(xlate_engine *e, const xlate_group_result *res, int describe,
                     xlate_seed_report *rep, char *err, size_t errlen);

#endif
