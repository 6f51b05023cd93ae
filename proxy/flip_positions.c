/* Stale positions after a flip (see flip_positions.h). */
#include "proxy/flip_positions.h"

#include <stdlib.h>
#include <string.h>

#include "wire_msgs.h"

static flip_pos_conn *find(const flip_positions *fp, int client)
{
	for (size_t i = 0; i < fp->n; i++)
		if (fp->v[i].client == client)
			return &fp->v[i];
	return NULL;
}

static void conn_reset(flip_pos_conn *c)
{
	for (size_t i = 0; i < c->ntps; i++)
		free(c->tps[i].topic);
	free(c->tps);
	c->tps = NULL;
	c->ntps = 0;
}

int flip_positions_assigned(flip_positions *fp, int client,
                            const struct wire_consumer_protocol_assignment *a, int64_t now_ms)
{
	flip_pos_conn *c = find(fp, client);
	if (!c) {
		if (fp->n == fp->cap) {
			size_t cap = fp->cap ? fp->cap * 2 : 4;
			flip_pos_conn *v = realloc(fp->v, cap * sizeof(*v));
			if (!v)
				return -1;
			fp->v = v;
			fp->cap = cap;
		}
		c = &fp->v[fp->n++];
		memset(c, 0, sizeof(*c));
		c->client = client;
	}
	conn_reset(c);
	c->synced_ms = now_ms;
	size_t n = 0;
	for (int32_t i = 0; i < a->assigned_partitions.n; i++)
		n += a->assigned_partitions.v[i].partitions.n > 0
		         ? (size_t)a->assigned_partitions.v[i].partitions.n
		         : 0;
	if (!n)
		return 0;
	if (!(c->tps = calloc(n, sizeof(*c->tps))))
		goto oom;
	for (int32_t i = 0; i < a->assigned_partitions.n; i++) {
		const wire_consumer_protocol_assignment_topic_partition *t =
		    &a->assigned_partitions.v[i];
		for (int32_t j = 0; j < t->partitions.n; j++) {
			flip_pos_tp *tp = &c->tps[c->ntps];
			if (!(tp->topic = strndup(t->topic.p ? t->topic.p : "",
			                          t->topic.len > 0 ? (size_t)t->topic.len : 0)))
				goto oom;
			tp->partition = t->partitions.v[j];
			c->ntps++;
		}
	}
	return 0;
oom:
	conn_reset(c);
	return -1;
}

void flip_positions_fetched(flip_positions *fp, int client, const char *topic, size_t topiclen,
                            int32_t partition)
{
	flip_pos_conn *c = find(fp, client);
	if (!c)
		return;
	for (size_t i = 0; i < c->ntps; i++) {
		flip_pos_tp *tp = &c->tps[i];
		if (topic && (strlen(tp->topic) != topiclen || memcmp(tp->topic, topic, topiclen)))
			continue;
		if (partition < 0 || tp->partition == partition)
			tp->fetched = 1;
	}
}

size_t flip_positions_missing(const flip_positions *fp, int client)
{
	const flip_pos_conn *c = find(fp, client);
	size_t k = 0;
	for (size_t i = 0; c && i < c->ntps; i++)
		k += !c->tps[i].fetched;
	return k;
}

int flip_positions_refuse(flip_positions *fp, int client, int64_t now_ms, int64_t grace_ms)
{
	flip_pos_conn *c = find(fp, client);
	if (!c || c->told || now_ms - c->synced_ms < grace_ms ||
	    !flip_positions_missing(fp, client))
		return 0;
	c->told = 1;
	return 1;
}

void flip_positions_clear(flip_positions *fp)
{
	for (size_t i = 0; i < fp->n; i++)
		conn_reset(&fp->v[i]);
	free(fp->v);
	memset(fp, 0, sizeof(*fp));
}
