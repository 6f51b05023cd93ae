/*
 * The records sidecars write to the cutover control topic (routing/coord.h)
 * so that a consumer group spread over several sidecars flips once, from
 * the final commits, and never consumes on both clusters at once. Pure: the
 * encoding, a strict decoder and the judge every sidecar runs on what it
 * has read.
 *
 *   key   = "<group>\n<instance id>" (compaction keeps each sidecar's
 *           latest word about each group; split at the last newline,
 *           which an instance id never holds)
 *   value = {"v":1,"group":G,"instance":I,"flip":"legacy>target",
 *            "state":"freezing|released|seeded|serving|failed",
 *            "cluster":"legacy|target","members":N,"since_ms":S,"ts_ms":T,
 *            "topics":["t1",...]}
 *
 * flip names the move (from>to; "" for a sidecar serving with no flip);
 * cluster is where this sidecar serves the group now; members how many of
 * the group's members this sidecar carries (or released); since_ms is the
 * wall-clock time the state was entered and ts_ms the time of this
 * heartbeat (by the writer's clock: only a reader's first pass over the
 * topic at start-up ages records by them, coord.c). topics (optional) lists the topics the group
 * consumes through that sidecar: a sidecar restarted mid-flip reads its own record back and holds
 * those topics' fetches before its members name them again (flip_resume.c). A null value
 * (tombstone) deletes the key.
 */
#ifndef TURNOUT_ROUTING_COORD_RECORD_H
#define TURNOUT_ROUTING_COORD_RECORD_H

#include <stddef.h>
#include <stdint.h>

enum {
	COORD_GROUP_MAX = 256,
	COORD_INSTANCE_MAX = 128,
	COORD_FLIP_MAX = 32,
	COORD_TOPICS_MAX = 1024,
};

typedef enum {
	COORD_FREEZING, /* flipping: this sidecar's members may still commit on from */
	COORD_RELEASED, /* flipping: its members left the old group; waits for the seed */
	COORD_SEEDED,   /* the group was seeded on `to` (by it or a peer); it serves there */
	COORD_SERVING,  /* no flip: it serves the group on `cluster` */
	COORD_FAILED,   /* its flip rolled back (peers in the same flip roll back too) */
} coord_state;

typedef struct coord_record {
	char group[COORD_GROUP_MAX];
	char instance[COORD_INSTANCE_MAX];
	char flip[COORD_FLIP_MAX]; /* "legacy>target"; "" when serving with no flip */
	coord_state state;
	int cluster;      /* where it serves the group now (CLUSTER_*) */
	int members;      /* members of the group through that sidecar */
	int64_t since_ms; /* wall clock: state entered */
	int64_t ts_ms;    /* wall clock: this heartbeat */
	/* the group's topics through that sidecar, each followed by '\n'; ""
	 * when unknown or when they did not fit (coord_topics_add) */
	char topics[COORD_TOPICS_MAX];
	/* Not in the value: set by the reader (coord.c) on this host's
	 * monotonic clock, when the record last arrived and since when its
	 * state, flip and cluster are what they are. The judge compares only
	 * these, so the sidecars' clocks need not agree. */
	int64_t seen_ms, changed_ms;
} coord_record;

/* Appends topic to r->topics; -1 (and r->topics emptied: a partial list
 * would hold too little) when it does not fit or is not a topic name. */
int coord_topics_add(coord_record *r, const char *topic);

const char *coord_state_name(coord_state s);
/* "from>to" into buf (COORD_FLIP_MAX). */
void coord_flip_id(int from, int to, char *buf, size_t len);

/* Key and value of r into buf; returns the length, or -1 when they do not
 * fit or r names no group or instance. */
int coord_record_key(const coord_record *r, char *buf, size_t len);
/* Returns a malloc'd JSON value (caller frees), NULL when out of memory. */
char *coord_record_value(const coord_record *r);

/* Decodes one record. Returns 0 and fills out, 1 for a tombstone (out's
 * group and instance come from the key), or -1 with *why saying what is
 * wrong: anything unknown, missing, of the wrong type or out of range, or a
 * key that does not match the value, is rejected. */
int coord_record_decode(const void *key, size_t keylen, const void *val, size_t vallen,
                        coord_record *out, const char **why);

typedef enum {
	COORD_WAIT, /* someone still holds the old group, or the seeder has not seeded */
	COORD_GO,   /* this sidecar seeds: read the final commits, translate, seed */
	COORD_DONE, /* a peer seeded: serve `to` */
	COORD_FAIL, /* a peer in this flip rolled back */
} coord_verdict;

const char *coord_verdict_name(coord_verdict v);

typedef struct coord_judgement {
	coord_verdict verdict;
	int waiting;                   /* live sidecars with members still on the old cluster */
	int released;                  /* live sidecars released in this flip (self included) */
	int stale;                     /* records ignored for lack of a recent heartbeat */
	char peer[COORD_INSTANCE_MAX]; /* who is waited for, who seeds/seeded, who failed */
} coord_judgement;

/*
 * What this sidecar (self: its current record, state released) may do in
 * its flip, given the peers' latest records of the group (its own record
 * among them is ignored). A record is live when seen_ms is within
 * 3 heartbeats of now; began_ms is when self's flip began; all three on
 * the reader's monotonic clock (seen_ms, changed_ms):
 *   - a peer `failed` in this flip after it began        -> FAIL
 *   - a live peer seeded this flip, or serves on `to`    -> DONE
 *     (a `seeded` record from after began_ms counts even without heartbeat)
 *   - a live peer with members still on from (serving there, freezing, or
 *     in another flip)                                   -> WAIT
 *   - else the lowest instance id among live released
 *     sidecars of this flip seeds: self -> GO, else WAIT for its `seeded`.
 * Sidecars with no member of the group never hold a flip back.
 */
void coord_judge(const coord_record *peers, size_t n, const coord_record *self, int64_t now_ms,
                 int64_t began_ms, int heartbeat_ms, coord_judgement *out);

/*
 * How many live peers (not self) are in the middle of a flip that concerns
 * `cluster`: away from it (freezing or released, still there) or onto it
 * and not yet settled (seeded: their members are still rejoining); the
 * first one's instance id into first. A sidecar serving the group on
 * `cluster` with no flip of its own holds the group's fetches while any
 * is: the group rebalances there (members leave, or arrive one sidecar
 * after the other) and refuses the commits of what is read meanwhile, which
 * would then be read again.
 */
int coord_peers_flipping(const coord_record *peers, size_t n, const char *self, int cluster,
                         int64_t now_ms, int heartbeat_ms, char *first, size_t firstlen);

#endif
