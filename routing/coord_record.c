/*
 * Control-topic records (see coord_record.h): encoding with cJSON, a decoder
 * that accepts exactly the documented shape and nothing else, and the
 * judge. Nothing here does I/O or keeps state: routing/coord.c reads and
 * writes the topic, proxy/flip_coord.c asks the judge.
 */
#include "routing/coord_record.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "routing/cfgjson.h"
#include "routing/routes.h"

static const char *const state_names[] = {"freezing", "released", "seeded", "serving", "failed"};

const char *coord_state_name(coord_state s)
{
	return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "?";
}

const char *coord_verdict_name(coord_verdict v)
{
	switch (v) {
	case COORD_WAIT:
		return "wait";
	case COORD_GO:
		return "go";
	case COORD_DONE:
		return "done";
	case COORD_FAIL:
		return "fail";
	}
	return "?";
}

void coord_flip_id(int from, int to, char *buf, size_t len)
{
	snprintf(buf, len, "%s>%s", config_cluster_names[from], config_cluster_names[to]);
}

int coord_record_key(const coord_record *r, char *buf, size_t len)
{
	if (!r->group[0] || !r->instance[0] || strchr(r->instance, '\n'))
		return -1;
	int n = snprintf(buf, len, "%s\n%s", r->group, r->instance);
	return n < 0 || (size_t)n >= len ? -1 : n;
}

int coord_topics_add(coord_record *r, const char *topic)
{
	size_t have = strlen(r->topics), n = strlen(topic);
	if (!routes_valid_topic(topic, n) || have + n + 2 > sizeof(r->topics)) {
		r->topics[0] = '\0';
		return -1;
	}
	memcpy(r->topics + have, topic, n);
	r->topics[have + n] = '\n';
	r->topics[have + n + 1] = '\0';
	return 0;
}

/* r->topics as a JSON array added to o (nothing when empty). */
static int add_topics(cJSON *o, const coord_record *r)
{
	if (!r->topics[0])
		return 0;
	cJSON *a = cJSON_AddArrayToObject(o, "topics");
	if (!a)
		return -1;
	for (const char *p = r->topics; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char t[COORD_TOPICS_MAX];
		memcpy(t, p, n);
		t[n] = '\0';
		cJSON *s = cJSON_CreateString(t);
		if (!s || !cJSON_AddItemToArray(a, s)) {
			cJSON_Delete(s);
			return -1;
		}
		p += n + (nl != NULL);
	}
	return 0;
}

char *coord_record_value(const coord_record *r)
{
	cJSON *o = cJSON_CreateObject();
	char *out = NULL;
	if (!o)
		return NULL;
	if (cJSON_AddNumberToObject(o, "v", 1) && cJSON_AddStringToObject(o, "group", r->group) &&
	    cJSON_AddStringToObject(o, "instance", r->instance) &&
	    cJSON_AddStringToObject(o, "flip", r->flip) &&
	    cJSON_AddStringToObject(o, "state", coord_state_name(r->state)) &&
	    cJSON_AddStringToObject(o, "cluster", config_cluster_names[r->cluster]) &&
	    cJSON_AddNumberToObject(o, "members", r->members) &&
	    cJSON_AddNumberToObject(o, "since_ms", (double)r->since_ms) &&
	    cJSON_AddNumberToObject(o, "ts_ms", (double)r->ts_ms) && !add_topics(o, r))
		out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return out;
}

/* ---- decoding ---- */

static int cluster_of(const char *s)
{
	for (int i = 0; i < CLUSTER_COUNT; i++)
		if (!strcmp(s, config_cluster_names[i]))
			return i;
	return -1;
}

/* A string field copied into dst (size cap); the empty string only if
 * may_be_empty. */
static int take_str(const cJSON *o, const char *k, char *dst, size_t cap, int may_be_empty)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	if (!cJSON_IsString(v) || !v->valuestring)
		return -1;
	size_t n = strlen(v->valuestring);
	if (n >= cap || (!n && !may_be_empty))
		return -1;
	memcpy(dst, v->valuestring, n + 1);
	return 0;
}

/* A whole number in [lo, hi]; range first (a double beyond int64 cannot
 * be converted). */
static int take_int(const cJSON *o, const char *k, double lo, double hi, int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo && v->valuedouble <= hi) ||
	    floor(v->valuedouble) != v->valuedouble)
		return -1;
	*out = (int64_t)v->valuedouble;
	return 0;
}

/* "from>to" with two different cluster names, or "". */
static int flip_ok(const char *f)
{
	if (!f[0])
		return 1;
	const char *gt = strchr(f, '>');
	if (!gt)
		return 0;
	char from[COORD_FLIP_MAX];
	size_t n = (size_t)(gt - f);
	memcpy(from, f, n);
	from[n] = '\0';
	int a = cluster_of(from), b = cluster_of(gt + 1);
	return a >= 0 && b >= 0 && a != b;
}

/* Splits at the last newline: an instance id never has one (config.c), a
 * group id may. */
static int key_split(const char *key, size_t keylen, coord_record *out)
{
	const char *nl = NULL;
	for (size_t k = 0; k < keylen; k++)
		if (key[k] == '\n')
			nl = key + k;
	if (!nl || memchr(key, '\0', keylen))
		return -1;
	size_t g = (size_t)(nl - key), i = keylen - g - 1;
	if (!g || !i || g >= sizeof(out->group) || i >= sizeof(out->instance))
		return -1;
	memcpy(out->group, key, g);
	out->group[g] = '\0';
	memcpy(out->instance, nl + 1, i);
	out->instance[i] = '\0';
	return 0;
}

int coord_record_decode(const void *key, size_t keylen, const void *val, size_t vallen,
                        coord_record *out, const char **why)
{
	static const char *const fields[] = {"v",     "group",   "instance", "flip",
	                                     "state", "cluster", "members",  "since_ms",
	                                     "ts_ms", "topics",  NULL};
	memset(out, 0, sizeof(*out));
	if (!key || key_split(key, keylen, out)) {
		*why = "key is not \"group\\ninstance\"";
		return -1;
	}
	if (!val)
		return 1; /* tombstone */
	if (vallen > 4096) {
		*why = "value larger than 4096 bytes";
		return -1;
	}
	coord_record k = *out;
	cJSON *o = cJSON_ParseWithLength(val, vallen);
	int rc = -1;
	*why = "value is not a JSON object";
	if (!cJSON_IsObject(o))
		goto done;
	*why = "unknown field";
	for (const cJSON *c = o->child; c; c = c->next) {
		int known = 0;
		for (size_t i = 0; fields[i]; i++)
			known |= c->string && !strcmp(c->string, fields[i]);
		if (!known)
			goto done;
	}
	int64_t v, members;
	char state[16], cluster[16];
	*why = "missing or malformed field";
	if (take_int(o, "v", 1, 1, &v) || take_str(o, "group", out->group, sizeof(out->group), 0) ||
	    take_str(o, "instance", out->instance, sizeof(out->instance), 0) ||
	    take_str(o, "flip", out->flip, sizeof(out->flip), 1) ||
	    take_str(o, "state", state, sizeof(state), 0) ||
	    take_str(o, "cluster", cluster, sizeof(cluster), 0) ||
	    take_int(o, "members", 0, 1000000, &members) ||
	    take_int(o, "since_ms", 0, 9.0e15, &out->since_ms) ||
	    take_int(o, "ts_ms", 0, 9.0e15, &out->ts_ms))
		goto done;
	*why = "group or instance differs from the key";
	if (strcmp(out->group, k.group) || strcmp(out->instance, k.instance))
		goto done;
	*why = "unknown state";
	out->state = (coord_state)-1;
	for (size_t i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++)
		if (!strcmp(state, state_names[i]))
			out->state = (coord_state)i;
	if ((int)out->state < 0)
		goto done;
	*why = "unknown cluster";
	if ((out->cluster = cluster_of(cluster)) < 0)
		goto done;
	*why = "flip is not \"from>to\"";
	if (!flip_ok(out->flip) || (out->state != COORD_SERVING && !out->flip[0]))
		goto done;
	*why = "topics is not a list of topic names that fits";
	const cJSON *topics = cJSON_GetObjectItemCaseSensitive(o, "topics");
	if (topics && !cJSON_IsArray(topics))
		goto done;
	for (const cJSON *t = topics ? topics->child : NULL; t; t = t->next)
		if (!cJSON_IsString(t) || !t->valuestring || coord_topics_add(out, t->valuestring))
			goto done;
	out->members = (int)members;
	*why = NULL;
	rc = 0;
done:
	cJSON_Delete(o);
	return rc;
}

/* ---- the judge ---- */

void coord_judge(const coord_record *peers, size_t n, const coord_record *self, int64_t now_ms,
                 int64_t began_ms, int heartbeat_ms, coord_judgement *out)
{
	memset(out, 0, sizeof(*out));
	int from = self->cluster, to = from == CLUSTER_LEGACY ? CLUSTER_TARGET : CLUSTER_LEGACY;
	const char *flip = self->flip, *seeder = self->instance;
	const char *waited = NULL;
	int64_t live_after = now_ms - 3 * (int64_t)heartbeat_ms;
	out->released = 1;
	for (size_t i = 0; i < n; i++) {
		const coord_record *p = &peers[i];
		if (!strcmp(p->instance, self->instance) || strcmp(p->group, self->group))
			continue;
		int live = p->seen_ms >= live_after, mine = !strcmp(p->flip, flip);
		if (p->state == COORD_FAILED && mine && p->changed_ms >= began_ms) {
			out->verdict = COORD_FAIL;
			snprintf(out->peer, sizeof(out->peer), "%s", p->instance);
			return;
		}
		int seeded =
		    p->state == COORD_SEEDED && mine && (live || p->changed_ms >= began_ms);
		int on_to = live && p->state == COORD_SERVING && p->cluster == to &&
		            (p->members > 0 || mine);
		if (seeded || on_to) {
			out->verdict = COORD_DONE;
			snprintf(out->peer, sizeof(out->peer), "%s", p->instance);
			continue; /* a failure elsewhere still wins */
		}
		if (!live) {
			out->stale++;
			continue;
		}
		if (p->state == COORD_RELEASED && mine) {
			out->released++;
			if (strcmp(p->instance, seeder) < 0)
				seeder = p->instance;
			continue;
		}
		if (p->members > 0 && (p->cluster == from || p->state == COORD_FREEZING)) {
			out->waiting++;
			if (!waited)
				waited = p->instance;
		}
	}
	if (out->verdict == COORD_DONE)
		return;
	if (out->waiting) {
		out->verdict = COORD_WAIT;
		snprintf(out->peer, sizeof(out->peer), "%s", waited);
		return;
	}
	out->verdict = seeder == self->instance ? COORD_GO : COORD_WAIT;
	snprintf(out->peer, sizeof(out->peer), "%s", seeder);
}

int coord_peers_flipping(const coord_record *peers, size_t n, const char *self, int cluster,
                         int64_t now_ms, int heartbeat_ms, char *first, size_t firstlen)
{
	int64_t live_after = now_ms - 3 * (int64_t)heartbeat_ms;
	int other = cluster == CLUSTER_LEGACY ? CLUSTER_TARGET : CLUSTER_LEGACY;
	char away[COORD_FLIP_MAX], onto[COORD_FLIP_MAX];
	coord_flip_id(cluster, other, away, sizeof(away));
	coord_flip_id(other, cluster, onto, sizeof(onto));
	int count = 0;
	if (firstlen)
		first[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const coord_record *p = &peers[i];
		if (!strcmp(p->instance, self) || p->seen_ms < live_after || p->cluster != cluster)
			continue;
		int leaving = (p->state == COORD_FREEZING || p->state == COORD_RELEASED) &&
		              !strcmp(p->flip, away);
		int arriving = p->state == COORD_SEEDED && !strcmp(p->flip, onto);
		if (!leaving && !arriving)
			continue;
		if (!count++ && firstlen)
			snprintf(first, firstlen, "%s", p->instance);
	}
	return count;
}
