/*
 * Offset translation rules: MirrorMaker 2's per-partition sync history and
 * the choice between exact, checkpoint, conservative and no answer. Pure and
 * deterministic: no I/O, no locks, no allocation.
 *
 * Vocabulary: "from" is the cluster the group's offset is on, "to" the one
 * we translate into. Forward (legacy -> target) a sync's from-offset is its
 * upstream offset; reverse (target -> legacy, for rollback) it is the
 * downstream offset. The one rule every answer keeps: it is never ahead of
 * the group's true position on the "to" cluster, so nothing is skipped.
 */
#ifndef TURNOUT_ROUTING_TRANSLATE_H
#define TURNOUT_ROUTING_TRANSLATE_H

#include <stdint.h>

#include "routing/verify.h"

#define TRANSLATE_SLOTS 64 /* MM2's SYNCS_PER_PARTITION (Long.SIZE) */

typedef struct translate_sync {
	int64_t up;   /* offset of the mirrored record on the source */
	int64_t down; /* offset of its copy on the target */
	uint64_t id;  /* identity (MM2 compares sync objects, not values) */
} translate_sync;

/*
 * MM2 >= 3.5.2/3.6's OffsetSyncStore array for one source partition: slot[0]
 * is the newest sync, slot[63] the oldest still usable, and distinct syncs
 * are spaced roughly exponentially in upstream offset (invariants B and C of
 * OffsetSyncStore), so lagging groups still find a sync not far behind them.
 */
typedef struct translate_history {
	translate_sync slot[TRANSLATE_SLOTS];
	uint64_t applied; /* syncs applied; 0 = empty */
} translate_history;

void translate_history_init(translate_history *h);
/* Applies one sync read from the offset-syncs topic. An upstream rewind
 * (up below the newest sync's) discards the history, as MM2 does. */
void translate_history_apply(translate_history *h, int64_t up, int64_t down, uint64_t id);
/* The invariants checked by tests: 0 if they hold, else the failing slot. */
int translate_history_check(const translate_history *h);

typedef enum translate_dir {
	TRANSLATE_FORWARD, /* legacy (source) offset -> target offset */
	TRANSLATE_REVERSE, /* target offset -> legacy offset (rollback) */
} translate_dir;

typedef enum translate_method {
	TRANSLATE_NONE,         /* cannot translate: the caller must not guess */
	TRANSLATE_EXACT,        /* a sync's own offset, or proven by comparing records */
	TRANSLATE_CHECKPOINT,   /* MM2's checkpoint for this group was the best answer */
	TRANSLATE_CONSERVATIVE, /* safe but may re-read (MM2's d + 1 rule or better) */
} translate_method;

typedef enum translate_path {
	TRANSLATE_PATH_NO_COMMIT,    /* the group has no committed offset here */
	TRANSLATE_PATH_NO_SYNC,      /* no offset-sync for this partition */
	TRANSLATE_PATH_BEFORE_SYNCS, /* offset older than every sync kept (MM2 emits -1) */
	TRANSLATE_PATH_AT_SYNC,      /* offset == a sync's from-offset: its to-offset */
	TRANSLATE_PATH_AFTER_SYNC,   /* offset == sync + 1: to-offset + 1, nothing re-read */
	TRANSLATE_PATH_VERIFIED,     /* records compared one by one: exact */
	TRANSLATE_PATH_PARTIAL,      /* records compared, answer past d + 1 but not proven exact */
	TRANSLATE_PATH_MM2_RULE,     /* d + 1: verification off, over budget or failed */
	TRANSLATE_PATH_CHECKPOINT,   /* checkpoint (group's offset at or past it) */
} translate_path;

/* MM2's checkpoint for (group, target topic, partition): from the target's
 * checkpoints topic. Only used forward. */
typedef struct translate_checkpoint {
	int64_t up;   /* group's source offset when MM2 translated it */
	int64_t down; /* MM2's target offset for it */
} translate_checkpoint;

typedef struct translate_result {
	translate_method method;
	translate_path path;
	int64_t offset;      /* the answer on the "to" cluster; -1 with TRANSLATE_NONE */
	int64_t rereads_max; /* at most this many records are delivered again; -1 unknown */
	int64_t mm2_offset;  /* what MM2's rule gives from the same history; -1 none */
	int has_anchor;      /* anchor is the sync the answer starts from */
	translate_sync anchor;
	const char *note; /* why the answer is not exact (static text), or NULL */
} translate_result;

/*
 * Translation is two steps so the records can be fetched in between by the
 * caller (on a worker thread):
 *   translate_plan()  decides from the history and checkpoint alone; if
 *                     plan->fetch is set, the caller fetches the records it
 *                     describes and calls translate_finish() with the
 *                     comparison's outcome (or NULL if the fetch failed).
 * Without a fetch, plan->result is final.
 */
typedef struct translate_plan {
	translate_dir dir;
	int64_t offset;          /* the group's committed offset on the "from" cluster */
	int fetch;               /* records must be compared to do better */
	translate_sync anchor;   /* newest sync at or before offset */
	int has_next;            /* next: oldest sync past offset (an upper anchor) */
	translate_sync next;     /* */
	int64_t from_start;      /* fetch "from" records [from_start, offset) ... */
	int64_t from_max;        /* ... at most this many, plus VERIFY_LOOKAHEAD after */
	int64_t to_start;        /* fetch "to" records from here */
	int has_checkpoint;      /* */
	translate_checkpoint cp; /* */
	translate_result result; /* final if !fetch; the fallback otherwise */
} translate_plan;

/*
 * offset < 0 means "no committed offset". history may be NULL (no syncs),
 * cp may be NULL (none, or checkpoints not trusted). budget is the most
 * records the caller will read from the "from" side to verify (0 = never).
 */
void translate_plan_make(translate_plan *p, translate_dir dir, const translate_history *h,
                         const translate_checkpoint *cp, int64_t offset, long budget);
/* Combines the plan with a record comparison (vo may be NULL: fetch failed,
 * note says why). */
void translate_finish(const translate_plan *p, const verify_outcome *vo, const char *note,
                      translate_result *out);

const char *translate_method_name(translate_method m);
const char *translate_path_name(translate_path p);

#endif
