/* Last commit per partition of one group (see commit_moves.h). A group
 * consumes few partitions per sidecar: a linear scan is enough. */
#include "routing/commit_moves.h"

#include <stdlib.h>
#include <string.h>

int commit_moves_note(commit_moves *m, const char *topic, size_t topic_len, int32_t partition,
                      int64_t offset)
{
	for (size_t i = 0; i < m->n; i++) {
		commit_moves_ent *e = &m->v[i];
		if (e->partition != partition || strlen(e->topic) != topic_len ||
		    memcmp(e->topic, topic, topic_len))
			continue;
		int moved = e->offset != offset;
		e->offset = offset;
		return moved;
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 8;
		commit_moves_ent *v = realloc(m->v, cap * sizeof(*v));
		if (!v)
			return 1;
		m->v = v;
		m->cap = cap;
	}
	char *t = malloc(topic_len + 1);
	if (!t)
		return 1;
	memcpy(t, topic, topic_len);
	t[topic_len] = '\0';
	m->v[m->n++] = (commit_moves_ent){t, partition, offset};
	return 1;
}

void commit_moves_free(commit_moves *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].topic);
	free(m->v);
	memset(m, 0, sizeof(*m));
}
