/*
 * The last committed offset a group sent for each partition, so a flip's
 * freeze can tell a commit that moves an offset from one that repeats it.
 * Clients such as kafka-python commit the same offsets again on every
 * auto-commit interval even when nothing was consumed; counting those as
 * "commits still landing" would keep FREEZING from ever seeing quiet_ms.
 */
#ifndef TURNOUT_ROUTING_COMMIT_MOVES_H
#define TURNOUT_ROUTING_COMMIT_MOVES_H

#include <stddef.h>
#include <stdint.h>

typedef struct commit_moves_ent {
	char *topic;
	int32_t partition;
	int64_t offset;
} commit_moves_ent;

typedef struct commit_moves {
	commit_moves_ent *v;
	size_t n, cap;
} commit_moves;

/* Records offset as the newest commit of topic/partition. Returns 1 when it
 * differs from the one recorded before (or none was), 0 when it repeats
 * it; out of memory counts as moved (the freeze then just lasts longer). */
int commit_moves_note(commit_moves *m, const char *topic, size_t topic_len, int32_t partition,
                      int64_t offset);
void commit_moves_free(commit_moves *m);

#endif
