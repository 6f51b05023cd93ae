/*
 * The MirrorCheckpointConnector half of mm2mirror: one round of
 * MirrorCheckpointTask.poll() per call.
 *
 *   for each group: ListConsumerGroupOffsets on legacy (the source)
 *     for each mirrored partition with a commit g:
 *       OffsetSyncStore.translateDownstream over the syncs acknowledged so
 *       far (the same 64-slot history MM2 keeps): none -> no checkpoint;
 *       newest sync (u, d) with u <= g -> d if g == u else d + 1; every sync
 *       newer than g -> -1 -> no checkpoint
 *       checkpointIsMoreRecent: first one, or upstream rewound, or
 *       downstream advanced
 *     -> Checkpoint record (group, target topic, partition | upstream,
 *        downstream, metadata) to <source>.checkpoints.internal partition 0
 *
 * Groups are given on the command line or with "group NAME": MM2 lists them
 * with ListGroups, which librdkafka's mock broker does not implement.
 */
#include <stdlib.h>
#include <string.h>

#include "tests/mirror/mirror.h"

/* MM2's translateDownstream: -1 = cannot translate (no checkpoint). */
static int64_t mm2_translate(const translate_history *h, int64_t g)
{
	if (h->applied == 0)
		return -1;
	for (int i = 0; i < TRANSLATE_SLOTS; i++)
		if (h->slot[i].up <= g)
			return h->slot[i].up == g ? h->slot[i].down : h->slot[i].down + 1;
	return -1;
}

static int committed(mirror *m, const char *group, rd_kafka_topic_partition_list_t **out, char *err,
                     size_t errlen)
{
	rd_kafka_topic_partition_list_t *want = rd_kafka_topic_partition_list_new(8);
	for (int ti = 0; ti < m->ntopics; ti++)
		for (int p = 0; p < m->topics[ti].nparts; p++)
			rd_kafka_topic_partition_list_add(want, m->topics[ti].name, p);
	rd_kafka_ListConsumerGroupOffsets_t *req =
	    rd_kafka_ListConsumerGroupOffsets_new(group, want);
	rd_kafka_topic_partition_list_destroy(want);
	rd_kafka_AdminOptions_t *o =
	    rd_kafka_AdminOptions_new(m->consumer, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS);
	rd_kafka_ListConsumerGroupOffsets(m->consumer, &req, 1, o, m->admin_q);
	rd_kafka_ListConsumerGroupOffsets_destroy(req);
	rd_kafka_AdminOptions_destroy(o);
	rd_kafka_event_t *ev = rd_kafka_queue_poll(m->admin_q, 15000);
	if (!ev) {
		snprintf(err, errlen, "ListConsumerGroupOffsets %s timed out", group);
		return -1;
	}
	int rc = -1;
	if (rd_kafka_event_error(ev)) {
		snprintf(err, errlen, "ListConsumerGroupOffsets %s: %s", group,
		         rd_kafka_event_error_string(ev));
	} else {
		size_t cnt = 0;
		const rd_kafka_group_result_t **gr =
		    rd_kafka_ListConsumerGroupOffsets_result_groups(
		        rd_kafka_event_ListConsumerGroupOffsets_result(ev), &cnt);
		if (cnt == 1 && !rd_kafka_group_result_error(gr[0])) {
			*out = rd_kafka_topic_partition_list_copy(
			    rd_kafka_group_result_partitions(gr[0]));
			rc = 0;
		} else {
			snprintf(err, errlen, "ListConsumerGroupOffsets %s: group error", group);
		}
	}
	rd_kafka_event_destroy(ev);
	return rc;
}

static int emit(mirror *m, const char *group, const char *topic, int32_t partition, int64_t up,
                int64_t down, const char *meta, size_t mlen)
{
	uint8_t key[600], val[32 + 256];
	size_t kl = mirror_enc_checkpoint_key(key, sizeof(key), group, topic, partition);
	size_t vl = mirror_enc_checkpoint_value(val, sizeof(val), up, down, meta, mlen);
	if (!kl || !vl)
		return -1;
	rd_kafka_resp_err_t e = rd_kafka_producev(
	    m->internal[1], RD_KAFKA_V_TOPIC(m->checkpoints_topic), RD_KAFKA_V_PARTITION(0),
	    RD_KAFKA_V_KEY(key, kl), RD_KAFKA_V_VALUE(val, vl),
	    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(NULL), RD_KAFKA_V_END);
	if (e) {
		fprintf(stderr, "mm2mirror: checkpoint produce: %s\n", rd_kafka_err2str(e));
		return -1;
	}
	m->checkpoints_sent++;
	if (m->map)
		fprintf(m->map, "C %s %s %d %lld %lld\n", group, topic, (int)partition,
		        (long long)up, (long long)down);
	return 0;
}

int mirror_checkpoint_round(mirror *m, char *err, size_t errlen)
{
	int emitted = 0;
	for (int gi = 0; gi < m->ngroups; gi++) {
		mirror_group *g = &m->groups[gi];
		rd_kafka_topic_partition_list_t *offs = NULL;
		if (committed(m, g->name, &offs, err, errlen))
			return -1;
		for (int i = 0; i < offs->cnt; i++) {
			const rd_kafka_topic_partition_t *tp = &offs->elems[i];
			int ti = -1;
			for (int k = 0; k < m->ntopics; k++)
				if (!strcmp(m->topics[k].name, tp->topic))
					ti = k;
			if (ti < 0 || tp->err || tp->offset < 0 ||
			    tp->partition >= m->topics[ti].nparts)
				continue;
			mirror_topic *t = &m->topics[ti];
			int64_t down = mm2_translate(&t->parts[tp->partition].syncs, tp->offset);
			if (down < 0)
				continue; /* no sync, or the group is behind every sync */
			mirror_last_cp *last = &g->last[ti][tp->partition];
			int more_recent = !last->set || tp->offset < last->up || down > last->down;
			if (!more_recent)
				continue;
			if (emit(m, g->name, t->remote, tp->partition, tp->offset, down,
			         tp->metadata ? tp->metadata : "",
			         tp->metadata ? tp->metadata_size : 0)) {
				rd_kafka_topic_partition_list_destroy(offs);
				snprintf(err, errlen, "checkpoint produce failed");
				return -1;
			}
			*last = (mirror_last_cp){1, tp->offset, down};
			emitted++;
		}
		rd_kafka_topic_partition_list_destroy(offs);
	}
	return emitted;
}
