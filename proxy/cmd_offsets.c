/*
 * `turnout offsets --config FILE --group G [--topic T]... [--reverse] [--json]
 *                 [--timeout-ms N] [--apply]`
 *
 * A dry-run preview for a migration runbook: reads MM2's checkpoints and
 * offset-syncs (routing/xlate.c), then prints for each partition the group
 * has committed on the "from" cluster the committed offset, the translated
 * offset, how it was obtained, at most how many records the group would
 * receive again, what MM2's own rule would give, and the mirror lag. With
 * --reverse it previews a rollback (target -> legacy). --apply also writes
 * the answers to the group on the other cluster (never moving an existing
 * offset backwards); it fails while the group has members there.
 *
 * Exit status: 0 printed (partitions that cannot be translated say "none"),
 * 1 the clusters or MM2 topics were not reachable / not ready in time, or
 * the group could not be read, 2 usage.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/commands.h"
#include "proxy/config.h"
#include "proxy/log.h"
#include "routing/mirror_config.h"
#include "routing/xlate.h"

static void offsets_usage(FILE *f)
{
	fprintf(f, "usage: turnout offsets --config FILE --group GROUP [--topic T]... [--reverse]\n"
	           "                       [--json] [--timeout-ms N] [--apply]\n"
	           "Previews how GROUP's committed offsets translate from legacy to target\n"
	           "(--reverse: target to legacy) using MirrorMaker 2's checkpoints and\n"
	           "offset-syncs, for every mirrored topic and each --topic given.\n"
	           "--apply also commits the answers on the other cluster.\n");
}

typedef struct offsets_args {
	const char *config;
	const char *group;
	int reverse;
	int json;
	int apply;
	long timeout_ms;        /* -1: mirror.ready_timeout_ms */
	const char *topics[65]; /* --topic, NULL-terminated */
	int ntopics;
} offsets_args;

static int offsets_parse(int argc, char **argv, offsets_args *a)
{
	memset(a, 0, sizeof(*a));
	a->timeout_ms = -1;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--config") == 0 && i + 1 < argc) {
			a->config = argv[++i];
		} else if (strcmp(arg, "--group") == 0 && i + 1 < argc) {
			a->group = argv[++i];
		} else if (strcmp(arg, "--timeout-ms") == 0 && i + 1 < argc) {
			char *end;
			a->timeout_ms = strtol(argv[++i], &end, 10);
			if (*end || a->timeout_ms < 1 || a->timeout_ms > 3600000) {
				fprintf(stderr,
				        "turnout offsets: --timeout-ms must be 1..3600000\n");
				return 2;
			}
		} else if (strcmp(arg, "--topic") == 0 && i + 1 < argc) {
			if (a->ntopics == 64) {
				fprintf(stderr, "turnout offsets: at most 64 --topic\n");
				return 2;
			}
			a->topics[a->ntopics++] = argv[++i];
		} else if (strcmp(arg, "--reverse") == 0) {
			a->reverse = 1;
		} else if (strcmp(arg, "--json") == 0) {
			a->json = 1;
		} else if (strcmp(arg, "--apply") == 0) {
			a->apply = 1;
		} else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			offsets_usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "turnout offsets: unknown argument '%s'\n", arg);
			offsets_usage(stderr);
			return 2;
		}
	}
	if (!a->config || !a->group || !a->group[0]) {
		offsets_usage(stderr);
		return 2;
	}
	return -1; /* go on */
}

typedef struct offsets_summary {
	size_t n, exact, checkpoint, conservative, none;
	int64_t rereads_max; /* sum over partitions with a known bound */
	int unknown_rereads; /* some bound is unknown (checkpoint) */
	int64_t mm2_rereads; /* the same bound under MM2's rule */
} offsets_summary;

static void offsets_summarize(const xlate_group_result *r, offsets_summary *s)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < r->n; i++) {
		const translate_result *t = &r->parts[i].r;
		s->n++;
		switch (t->method) {
		case TRANSLATE_EXACT:
			s->exact++;
			break;
		case TRANSLATE_CHECKPOINT:
			s->checkpoint++;
			break;
		case TRANSLATE_CONSERVATIVE:
			s->conservative++;
			break;
		case TRANSLATE_NONE:
			s->none++;
			break;
		}
		if (t->method != TRANSLATE_NONE) {
			if (t->rereads_max >= 0)
				s->rereads_max += t->rereads_max;
			else
				s->unknown_rereads = 1;
		}
		/* MM2's d+1 answer re-reads at most what lies between it and g */
		if (t->has_anchor && t->mm2_offset >= 0) {
			int64_t f = r->dir == TRANSLATE_FORWARD ? t->anchor.up : t->anchor.down;
			int64_t g = r->parts[i].committed;
			s->mm2_rereads += g > f + 1 ? g - f - 1 : 0;
		}
	}
}

static void offsets_print_table(const xlate_group_result *r, xlate_engine *e)
{
	const char *from = r->dir == TRANSLATE_FORWARD ? "legacy" : "target";
	const char *to = r->dir == TRANSLATE_FORWARD ? "target" : "legacy";
	printf("group %s: %s -> %s (offset-syncs %s, checkpoints %s)\n", r->group, from, to,
	       xlate_engine_offset_syncs_topic(e), xlate_engine_checkpoints_topic(e));
	printf("%-30s %5s %12s %12s %-12s %-12s %8s %12s %8s\n", "TOPIC", "PART", from, to,
	       "METHOD", "PATH", "REREADS", "MM2_RULE", "LAG");
	for (size_t i = 0; i < r->n; i++) {
		const xlate_partition *p = &r->parts[i];
		char to_s[24] = "-", rr[24] = "-", mm2[24] = "-", lag[24] = "-";
		if (p->r.offset >= 0)
			snprintf(to_s, sizeof(to_s), "%lld", (long long)p->r.offset);
		if (p->r.method != TRANSLATE_NONE)
			snprintf(rr, sizeof(rr), p->r.rereads_max >= 0 ? "<=%lld" : "?",
			         (long long)p->r.rereads_max);
		if (p->r.mm2_offset >= 0)
			snprintf(mm2, sizeof(mm2), "%lld", (long long)p->r.mm2_offset);
		if (p->mirror_lag >= 0)
			snprintf(lag, sizeof(lag), "%lld", (long long)p->mirror_lag);
		printf("%-30s %5d %12lld %12s %-12s %-12s %8s %12s %8s\n", p->topic,
		       (int)p->partition, (long long)p->committed, to_s,
		       translate_method_name(p->r.method), translate_path_name(p->r.path), rr, mm2,
		       lag);
		if (p->r.note && p->r.method != TRANSLATE_EXACT)
			printf("    note: %s\n", p->r.note);
	}
	offsets_summary s;
	offsets_summarize(r, &s);
	printf("partitions %zu: exact %zu, checkpoint %zu, conservative %zu, none %zu; "
	       "re-reads at most %lld%s (MM2's rule: at most %lld)\n",
	       s.n, s.exact, s.checkpoint, s.conservative, s.none, (long long)s.rereads_max,
	       s.unknown_rereads ? " plus unknown" : "", (long long)s.mm2_rereads);
	printf("MM2 records: %llu offset-syncs (%llu skipped as malformed), %llu checkpoints "
	       "(%llu skipped as malformed)\n",
	       (unsigned long long)r->counts.syncs, (unsigned long long)r->counts.bad_syncs,
	       (unsigned long long)r->counts.checkpoints,
	       (unsigned long long)r->counts.bad_checkpoints);
}

static cJSON *offsets_json(const xlate_group_result *r, xlate_engine *e,
                           const xlate_seed_report *seed)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *parts = cJSON_AddArrayToObject(o, "partitions");
	cJSON_AddStringToObject(o, "group", r->group);
	cJSON_AddStringToObject(o, "direction",
	                        r->dir == TRANSLATE_FORWARD ? "forward" : "reverse");
	cJSON_AddStringToObject(o, "offset_syncs_topic", xlate_engine_offset_syncs_topic(e));
	cJSON_AddStringToObject(o, "checkpoints_topic", xlate_engine_checkpoints_topic(e));
	for (size_t i = 0; i < r->n; i++) {
		const xlate_partition *p = &r->parts[i];
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "topic", p->topic);
		cJSON_AddStringToObject(j, "to_topic", p->to_topic);
		cJSON_AddNumberToObject(j, "partition", p->partition);
		cJSON_AddNumberToObject(j, "committed", (double)p->committed);
		cJSON_AddNumberToObject(j, "offset", (double)p->r.offset);
		cJSON_AddStringToObject(j, "method", translate_method_name(p->r.method));
		cJSON_AddStringToObject(j, "path", translate_path_name(p->r.path));
		cJSON_AddNumberToObject(j, "rereads_max", (double)p->r.rereads_max);
		cJSON_AddNumberToObject(j, "mm2_offset", (double)p->r.mm2_offset);
		if (p->r.has_anchor) {
			cJSON_AddNumberToObject(j, "sync_upstream", (double)p->r.anchor.up);
			cJSON_AddNumberToObject(j, "sync_downstream", (double)p->r.anchor.down);
		}
		cJSON_AddNumberToObject(j, "from_end", (double)p->from_end);
		cJSON_AddNumberToObject(j, "mirror_lag", (double)p->mirror_lag);
		if (p->r.note)
			cJSON_AddStringToObject(j, "note", p->r.note);
		if (p->error)
			cJSON_AddStringToObject(j, "error", p->error);
		cJSON_AddItemToArray(parts, j);
	}
	offsets_summary s;
	offsets_summarize(r, &s);
	cJSON *sum = cJSON_AddObjectToObject(o, "summary");
	cJSON_AddNumberToObject(sum, "partitions", (double)s.n);
	cJSON_AddNumberToObject(sum, "exact", (double)s.exact);
	cJSON_AddNumberToObject(sum, "checkpoint", (double)s.checkpoint);
	cJSON_AddNumberToObject(sum, "conservative", (double)s.conservative);
	cJSON_AddNumberToObject(sum, "none", (double)s.none);
	cJSON_AddNumberToObject(sum, "rereads_max", (double)s.rereads_max);
	cJSON_AddBoolToObject(sum, "rereads_unknown", s.unknown_rereads);
	cJSON_AddNumberToObject(sum, "mm2_rereads_max", (double)s.mm2_rereads);
	cJSON *st = cJSON_AddObjectToObject(o, "mm2_records");
	cJSON_AddNumberToObject(st, "offset_syncs", (double)r->counts.syncs);
	cJSON_AddNumberToObject(st, "offset_syncs_malformed", (double)r->counts.bad_syncs);
	cJSON_AddNumberToObject(st, "checkpoints", (double)r->counts.checkpoints);
	cJSON_AddNumberToObject(st, "checkpoints_malformed", (double)r->counts.bad_checkpoints);
	if (seed) {
		cJSON *sd = cJSON_AddObjectToObject(o, "applied");
		cJSON_AddNumberToObject(sd, "committed", (double)seed->committed);
		cJSON_AddNumberToObject(sd, "kept", (double)seed->kept);
		cJSON_AddNumberToObject(sd, "skipped", (double)seed->skipped);
	}
	return o;
}

int cmd_offsets(int argc, char **argv)
{
	offsets_args a;
	int rc = offsets_parse(argc, argv, &a);
	if (rc >= 0)
		return rc;
	char err[2048];
	config *cfg = config_load(a.config, err, sizeof(err));
	if (!cfg) {
		fprintf(stderr, "turnout offsets: config %s rejected: %s\n", a.config, err);
		return 1;
	}
	if (!cfg->mirror) {
		fprintf(stderr,
		        "turnout offsets: config %s has no \"mirror\" object (MM2 aliases "
		        "and topics)\n",
		        a.config);
		config_free(cfg);
		return 1;
	}
	/* stdout is the report; the log (stderr) keeps warnings unless debugging */
	log_threshold = cfg->log_level >= LOG_DEBUG ? LOG_DEBUG : LOG_WARN;
	xlate_engine *e = xlate_engine_start(cfg->mirror, &cfg->clusters[CLUSTER_LEGACY],
	                                     &cfg->clusters[CLUSTER_TARGET], err, sizeof(err));
	xlate_group_result *res = NULL;
	rc = 1;
	if (!e) {
		fprintf(stderr, "turnout offsets: %s\n", err);
		goto out;
	}
	int wait = a.timeout_ms > 0 ? (int)a.timeout_ms : cfg->mirror->ready_timeout_ms;
	if (xlate_engine_wait_ready(e, wait, err, sizeof(err))) {
		fprintf(stderr, "turnout offsets: %s\n", err);
		goto out;
	}
	translate_dir dir = a.reverse ? TRANSLATE_REVERSE : TRANSLATE_FORWARD;
	if (xlate_translate_group(e, a.group, dir, a.topics, &res, err, sizeof(err))) {
		fprintf(stderr, "turnout offsets: group %s: %s\n", a.group, err);
		goto out;
	}
	xlate_seed_report seed;
	if (a.apply && xlate_seed_group(e, res, -1, &seed, err, sizeof(err))) {
		fprintf(stderr, "turnout offsets: --apply: %s\n", err);
		goto out;
	}
	if (a.json) {
		cJSON *o = offsets_json(res, e, a.apply ? &seed : NULL);
		char *text = o ? cJSON_Print(o) : NULL;
		cJSON_Delete(o);
		if (!text) {
			fprintf(stderr, "turnout offsets: out of memory\n");
			goto out;
		}
		printf("%s\n", text);
		free(text);
	} else {
		offsets_print_table(res, e);
		if (a.apply)
			printf("applied: committed %zu, kept %zu (already at or past the answer), "
			       "skipped %zu (no answer)\n",
			       seed.committed, seed.kept, seed.skipped);
	}
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	xlate_group_result_free(res);
	xlate_engine_stop(e);
	config_free(cfg);
	return rc;
}
