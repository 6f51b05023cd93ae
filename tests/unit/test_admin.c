/*
 * The admin server's pure parts: the metrics table and its text format
 * (escaping, histograms), the hooks (flip durations, translations), the
 * status document and readiness built from a proxy state made by hand,
 * the bearer token, the SHA-256 behind the config digest and the token
 * check, the logfmt -> JSON line conversion and the admin/log
 * configuration keys.
 */
#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/admin_auth.h"
#include "proxy/admin_status.h"
#include "proxy/client.h"
#include "proxy/config.h"
#include "proxy/log.h"
#include "proxy/metrics.h"
#include "proxy/metrics_table.h"
#include "proxy/proxy.h"
#include "proxy/sha256.h"
#include "routing/xlate.h"
#include "tests/unit/check.h"
#include "wire/api.h"

#define CLUSTERS_JSON                                                                              \
	"\"clusters\": {\"legacy\": {\"bootstrap\": \"l1:9092\"}, \"target\": {\"bootstrap\": "    \
	"\"t1:9092\"}}"

/* A proxy with a parsed config, metrics and no sockets. */
typedef struct fake {
	proxy px;
	vbroker vb[3];
	group_rt g;
	char *topics[1];
} fake;

static int fake_init(fake *f, const char *json)
{
	memset(f, 0, sizeof(*f));
	char err[256];
	f->px.cfg = config_parse(json, err, sizeof(err));
	CHECKF(f->px.cfg != NULL, "%s", err);
	f->px.metrics = metrics_new();
	if (!f->px.cfg || !f->px.metrics)
		return -1;
	TAILQ_INIT(&f->px.clients);
	TAILQ_INIT(&f->px.justfree);
	for (int c = 0; c < CLUSTER_COUNT; c++) {
		f->px.clusters[c].index = c;
		f->px.clusters[c].name = config_cluster_names[c];
		f->px.clusters[c].have_metadata = 1;
	}
	f->px.ready = 1;
	f->px.bootstrap_port = 9092;
	f->px.config_path = "/etc/turnout/turnout.json";
	static const struct {
		int cluster, node, port;
		const char *host;
		int missing, retired;
	} vbs[3] = {{CLUSTER_LEGACY, 1, 9092, "l1", 0, 0},
	            {CLUSTER_TARGET, 1, 9092, "t1", 0, 0},
	            {CLUSTER_TARGET, 2, 9093, "t2", 1, 0}};
	for (int i = 0; i < 3; i++) {
		vbroker *v = &f->vb[i];
		v->vid = i + 1;
		v->cluster = vbs[i].cluster;
		v->node_id = vbs[i].node;
		snprintf(v->host, sizeof(v->host), "%s", vbs[i].host);
		v->port = vbs[i].port;
		v->listen_port = 40000 + i;
		v->missing = vbs[i].missing;
		v->px = &f->px;
		f->px.vbrokers[i] = v;
	}
	f->px.nvbrokers = 3;
	/* one group, with a quote and a backslash in its name */
	f->g.id = "or\"ders\\1";
	f->topics[0] = "payments";
	f->g.topics = f->topics;
	f->g.ntopics = 1;
	cutover_init(&f->g.flip, CLUSTER_LEGACY);
	f->g.cluster = CLUSTER_LEGACY;
	static group_rt *gv[1];
	gv[0] = &f->g;
	f->px.groups.v = gv;
	f->px.groups.n = 1;
	return 0;
}

static void fake_free(fake *f)
{
	config_free(f->px.cfg);
	metrics_free(f->px.metrics);
}

static char *render(proxy *px)
{
	struct evbuffer *b = evbuffer_new();
	CHECK(metrics_render(px, b) == 0);
	size_t n = evbuffer_get_length(b);
	char *s = malloc(n + 1);
	evbuffer_remove(b, s, n);
	s[n] = '\0';
	evbuffer_free(b);
	return s;
}

static int has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

static void test_metrics_table_is_well_formed(void)
{
	int n = 0;
	for (const metrics_def *d = metrics_table; d->name; d++, n++) {
		CHECKF(strncmp(d->name, "turnout_", 8) == 0, "%s", d->name);
		for (const char *p = d->name; *p; p++)
			CHECKF((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_',
			       "%s", d->name);
		int counter = strcmp(d->type, "counter") == 0;
		CHECKF(counter || !strcmp(d->type, "gauge") || !strcmp(d->type, "histogram"), "%s",
		       d->name);
		size_t len = strlen(d->name);
		CHECKF(counter == (len > 6 && strcmp(d->name + len - 6, "_total") == 0),
		       "%s: counters and only counters end in _total", d->name);
		CHECKF(d->help && strlen(d->help) > 10 && d->collect, "%s", d->name);
		for (const metrics_def *e = metrics_table; e < d; e++)
			CHECKF(strcmp(e->name, d->name) != 0, "%s defined twice", d->name);
	}
	CHECK(n >= 30);
}

static void test_metrics_render_format_and_escaping(void)
{
	fake f;
	if (fake_init(&f, "{" CLUSTERS_JSON "}")) {
		fake_free(&f);
		return;
	}
	metrics *m = f.px.metrics;
	metrics_request(m, WIRE_API_PRODUCE, CLUSTER_LEGACY);
	metrics_request(m, WIRE_API_PRODUCE, CLUSTER_LEGACY);
	metrics_request_error(m, WIRE_API_FETCH, METRICS_BOTH);
	m->client_bytes_in = 1234;
	m->upstream_bytes_out[CLUSTER_TARGET] = 99;
	m->upstream_disconnects[CLUSTER_LEGACY][METRICS_DISC_TIMEOUT] = 3;
	char *s = render(&f.px);
	/* every metric has HELP and TYPE, in table order */
	const char *at = s;
	for (const metrics_def *d = metrics_table; d->name; d++) {
		char want[200];
		snprintf(want, sizeof(want), "# HELP %s ", d->name);
		const char *h = strstr(at, want);
		CHECKF(h != NULL, "no HELP for %s", d->name);
		snprintf(want, sizeof(want), "# TYPE %s %s\n", d->name, d->type);
		CHECKF(h && strstr(h, want), "no TYPE for %s", d->name);
		if (h)
			at = h;
	}
	CHECK(has_line(s, "turnout_requests_total{api=\"Produce\",cluster=\"legacy\"} 2"));
	CHECK(has_line(s, "turnout_request_errors_total{api=\"Fetch\",cluster=\"both\"} 1"));
	CHECK(!strstr(s, "turnout_requests_total{api=\"Fetch\"")); /* zero series left out */
	CHECK(has_line(s, "turnout_client_received_bytes_total 1234"));
	CHECK(has_line(s, "turnout_upstream_sent_bytes_total{cluster=\"target\"} 99"));
	CHECK(has_line(s,
	               "turnout_upstream_disconnects_total{cluster=\"legacy\",reason=\"timeout\"} "
	               "3"));
	CHECK(has_line(s, "turnout_build_info{version=\"0.1.0\"} 1"));
	CHECK(has_line(s, "turnout_ready 1"));
	CHECK(has_line(s, "turnout_virtual_brokers{cluster=\"target\",state=\"missing\"} 1"));
	CHECK(has_line(s, "turnout_virtual_brokers{cluster=\"target\",state=\"up\"} 1"));
	CHECK(has_line(s, "turnout_cluster_up{cluster=\"legacy\"} 1"));
	/* the group's name, escaped */
	CHECK(has_line(s, "turnout_group_route{group=\"or\\\"ders\\\\1\",cluster=\"legacy\"} 1"));
	CHECK(has_line(s, "turnout_group_route{group=\"or\\\"ders\\\\1\",cluster=\"target\"} 0"));
	CHECK(has_line(s,
	               "turnout_group_cutover_state{group=\"or\\\"ders\\\\1\",state=\"serving\"} "
	               "1"));
	CHECK(has_line(s,
	               "turnout_group_cutover_state{group=\"or\\\"ders\\\\1\",state=\"seeding\"} "
	               "0"));
	CHECK(has_line(s, "turnout_group_cutover_state_code{group=\"or\\\"ders\\\\1\"} 0"));
	/* no reload yet: the last-reload gauges have no sample */
	CHECK(!has_line(s, "turnout_config_last_reload_success 0"));
	CHECK(!has_line(s, "turnout_config_last_reload_success 1"));
	free(s);
	fake_free(&f);
}

static void test_metrics_escape_label(void)
{
	struct evbuffer *b = evbuffer_new();
	CHECK(metrics_escape_label(b, "a\\b\"c\nd") == 0);
	char out[64] = "";
	evbuffer_remove(b, out, sizeof(out) - 1);
	CHECK(strcmp(out, "a\\\\b\\\"c\\nd") == 0);
	evbuffer_free(b);
}

static void test_metrics_histogram_buckets(void)
{
	fake f;
	if (fake_init(&f, "{" CLUSTERS_JSON "}")) {
		fake_free(&f);
		return;
	}
	metrics_hist *h = &f.px.metrics->latency[WIRE_API_METADATA][METRICS_TURNOUT];
	double obs[] = {0.0001, 0.0005, 0.002, 0.3, 100};
	for (size_t i = 0; i < 5; i++)
		metrics_hist_observe(h, metrics_latency_bounds, METRICS_LATENCY_BUCKETS, obs[i]);
	char *s = render(&f.px);
	const char *pre =
	    "turnout_request_duration_seconds_bucket{api=\"Metadata\",cluster=\"turnout\",";
	char line[300];
	/* cumulative: 0.0005 holds 2 (a bound is inclusive), 0.0025 holds 3, 0.5 holds 4 */
	static const struct {
		const char *le;
		int n;
	} want[] = {{"0.0005", 2}, {"0.001", 2}, {"0.0025", 3}, {"0.25", 3},
	            {"0.5", 4},    {"30", 4},    {"+Inf", 5}};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		snprintf(line, sizeof(line), "%sle=\"%s\"} %d", pre, want[i].le, want[i].n);
		CHECKF(has_line(s, line), "missing %s", line);
	}
	CHECK(has_line(
	    s, "turnout_request_duration_seconds_count{api=\"Metadata\",cluster=\"turnout\"}"
	       " 5"));
	CHECK(strstr(s,
	             "turnout_request_duration_seconds_sum{api=\"Metadata\",cluster=\"turnout\"} "
	             "100.302"));
	free(s);
	fake_free(&f);
}

static void test_metrics_flip_observe_hook(void)
{
	fake f;
	if (fake_init(&f, "{" CLUSTERS_JSON "}")) {
		fake_free(&f);
		return;
	}
	metrics *m = f.px.metrics;
	metrics_flip_observe(m, "g1", CLUSTER_LEGACY, CLUSTER_TARGET, 7.5, 1);
	metrics_flip_observe(m, "g2", CLUSTER_LEGACY, CLUSTER_TARGET, 0.2, 1);
	metrics_flip_observe(m, "g1", CLUSTER_TARGET, CLUSTER_LEGACY, 40, 0);
	metrics_flip_observe(m, "g1", 5, CLUSTER_LEGACY, 1, 1); /* bad cluster: ignored */
	CHECK(m->nflips == 2);
	char *s = render(&f.px);
	CHECK(has_line(s,
	               "turnout_flip_duration_seconds_bucket{from=\"legacy\",to=\"target\",result="
	               "\"ok\",le=\"0.5\"} 1"));
	CHECK(has_line(s,
	               "turnout_flip_duration_seconds_bucket{from=\"legacy\",to=\"target\",result="
	               "\"ok\",le=\"10\"} 2"));
	CHECK(has_line(s,
	               "turnout_flip_duration_seconds_count{from=\"legacy\",to=\"target\",result="
	               "\"ok\"} 2"));
	CHECK(has_line(s, "turnout_flip_duration_seconds_sum{from=\"legacy\",to=\"target\",result="
	                  "\"ok\"} 7.7000000000000002"));
	CHECK(has_line(s,
	               "turnout_flip_duration_seconds_bucket{from=\"target\",to=\"legacy\",result="
	               "\"failed\",le=\"30\"} 0"));
	CHECK(has_line(s,
	               "turnout_flip_duration_seconds_bucket{from=\"target\",to=\"legacy\",result="
	               "\"failed\",le=\"45\"} 1"));
	free(s);
	fake_free(&f);
}

static void test_metrics_xlate_observe_and_status(void)
{
	fake f;
	if (fake_init(&f, "{\"routes\": {\"groups\": {\"or\\\"ders\\\\1\": \"target\"}, "
	                  "\"producers\": {\"topics\": {\"audit\": \"target\"}}}, " CLUSTERS_JSON
	                  "}")) {
		fake_free(&f);
		return;
	}
	xlate_partition parts[3] = {
	    {.topic = "payments",
	     .partition = 0,
	     .committed = 100,
	     .r = {.method = TRANSLATE_EXACT, .offset = 90, .rereads_max = 0}},
	    {.topic = "payments",
	     .partition = 1,
	     .committed = 50,
	     .r = {.method = TRANSLATE_CONSERVATIVE, .offset = 41, .rereads_max = 7}},
	    {.topic = "payments",
	     .partition = 2,
	     .committed = 5,
	     .r = {.method = TRANSLATE_NONE, .offset = -1, .rereads_max = -1}},
	};
	xlate_group_result res = {
	    .group = "or\"ders\\1", .dir = TRANSLATE_FORWARD, .n = 3, .parts = parts};
	metrics_xlate_observe(f.px.metrics, &res);
	parts[1].r.rereads_max = 9; /* a newer translation replaces the older one */
	metrics_xlate_observe(f.px.metrics, &res);
	CHECK(f.px.metrics->nxlate == 1);
	char *s = render(&f.px);
	CHECK(has_line(s, "turnout_translation_partitions{group=\"or\\\"ders\\\\1\",direction="
	                  "\"forward\",method=\"exact\"} 1"));
	CHECK(has_line(s, "turnout_translation_partitions{group=\"or\\\"ders\\\\1\",direction="
	                  "\"forward\",method=\"none\"} 1"));
	CHECK(has_line(s, "turnout_translation_rereads_max{group=\"or\\\"ders\\\\1\"} 9"));
	CHECK(has_line(s,
	               "turnout_translation_rereads_unknown_partitions{group=\"or\\\"ders\\\\1\"} "
	               "0"));
	free(s);

	/* the status document */
	f.g.flip.flips = 2;
	f.g.flip.last_pause_ms = 1500;
	cJSON *st = admin_status_json(&f.px);
	CHECK(st != NULL);
	if (!st) {
		fake_free(&f);
		return;
	}
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(st, "ready")));
	CHECK(strcmp(cJSON_GetObjectItem(st, "version")->valuestring, "0.1.0") == 0);
	cJSON *cfg = cJSON_GetObjectItem(st, "config");
	CHECK(strlen(cJSON_GetObjectItem(cfg, "sha256")->valuestring) == 64);
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(cfg, "last_reload")));
	cJSON *tgt = cJSON_GetObjectItem(cJSON_GetObjectItem(st, "clusters"), "target");
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(tgt, "brokers")) == 2);
	cJSON *b2 = cJSON_GetArrayItem(cJSON_GetObjectItem(tgt, "brokers"), 1);
	CHECK(cJSON_IsFalse(cJSON_GetObjectItem(b2, "up"))); /* missing from a refresh */
	cJSON *vbs = cJSON_GetObjectItem(st, "vbrokers");
	CHECK(cJSON_GetArraySize(vbs) == 3);
	cJSON *v3 = cJSON_GetArrayItem(vbs, 2);
	CHECK(strcmp(cJSON_GetObjectItem(v3, "address")->valuestring, "t2:9093") == 0);
	CHECK(cJSON_GetObjectItem(v3, "listen_port")->valueint == 40002);
	CHECK(strcmp(cJSON_GetObjectItem(v3, "state")->valuestring, "missing") == 0);
	cJSON *routes = cJSON_GetObjectItem(st, "routes");
	CHECK(strcmp(cJSON_GetObjectItem(
	                 cJSON_GetObjectItem(cJSON_GetObjectItem(routes, "producers"), "topics"),
	                 "audit")
	                 ->valuestring,
	             "target") == 0);
	cJSON *g = cJSON_GetArrayItem(cJSON_GetObjectItem(st, "groups"), 0);
	CHECK(strcmp(cJSON_GetObjectItem(g, "group")->valuestring, "or\"ders\\1") == 0);
	CHECK(strcmp(cJSON_GetObjectItem(g, "cluster")->valuestring, "legacy") == 0);
	CHECK(strcmp(cJSON_GetObjectItem(g, "route")->valuestring, "target") == 0);
	CHECK(strcmp(cJSON_GetObjectItem(g, "state")->valuestring, "serving") == 0);
	CHECK(cJSON_GetObjectItem(g, "last_pause_ms")->valueint == 1500);
	CHECK(cJSON_GetObjectItem(g, "member_connections")->valueint == 0);
	cJSON *tr = cJSON_GetObjectItem(g, "translation");
	CHECK(cJSON_GetObjectItem(tr, "rereads_max")->valueint == 9);
	cJSON *tp = cJSON_GetObjectItem(tr, "partitions");
	CHECK(cJSON_GetArraySize(tp) == 3);
	CHECK(cJSON_GetObjectItem(cJSON_GetArrayItem(tp, 0), "offset")->valueint == 90);
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(tp, 2), "offset")));
	CHECK(strcmp(cJSON_GetObjectItem(cJSON_GetArrayItem(tp, 1), "method")->valuestring,
	             "conservative") == 0);
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(st, "mirror")));
	cJSON_Delete(st);

	/* a flip under way shows from, to and how long */
	cutover_begin(&f.g.flip, CLUSTER_TARGET, metrics_mono_ns() / 1000000 - 3000);
	st = admin_status_json(&f.px);
	g = cJSON_GetArrayItem(cJSON_GetObjectItem(st, "groups"), 0);
	cJSON *fl = cJSON_GetObjectItem(g, "flip");
	CHECK(strcmp(cJSON_GetObjectItem(g, "state")->valuestring, "freezing") == 0);
	CHECK(strcmp(cJSON_GetObjectItem(fl, "to")->valuestring, "target") == 0);
	CHECK(cJSON_GetObjectItem(fl, "elapsed_ms")->valuedouble >= 3000);
	cJSON_Delete(st);
	s = render(&f.px);
	CHECK(has_line(s, "turnout_group_cutover_state_code{group=\"or\\\"ders\\\\1\"} 1"));
	free(s);
	fake_free(&f);
}

static void test_admin_ready(void)
{
	fake f;
	if (fake_init(&f, "{\"mirror\": {\"source_alias\": \"legacy\", \"target_alias\": \"msk\"}, "
	                  "" CLUSTERS_JSON "}")) {
		fake_free(&f);
		return;
	}
	cJSON *missing = cJSON_CreateArray();
	/* mirror configured, no engine running: not ready, and it says so */
	CHECK(admin_ready(&f.px, missing) == 0);
	CHECK(cJSON_GetArraySize(missing) == 1);
	CHECK(strstr(cJSON_GetArrayItem(missing, 0)->valuestring, "translation engine"));
	cJSON_Delete(missing);
	missing = cJSON_CreateArray();
	f.px.clusters[CLUSTER_TARGET].have_metadata = 0;
	snprintf(f.px.clusters[CLUSTER_TARGET].last_error, 256, "connection refused");
	CHECK(admin_ready(&f.px, missing) == 0);
	CHECK(cJSON_GetArraySize(missing) == 2);
	CHECK(strcmp(cJSON_GetArrayItem(missing, 0)->valuestring,
	             "cluster target has not answered metadata: connection refused") == 0);
	cJSON_Delete(missing);
	config_free(f.px.cfg);
	char err[200];
	f.px.cfg = config_parse("{" CLUSTERS_JSON "}", err, sizeof(err));
	CHECK(admin_ready(&f.px, NULL) == 0);
	f.px.clusters[CLUSTER_TARGET].have_metadata = 1;
	CHECK(admin_ready(&f.px, NULL) == 1);
	f.px.ready = 0;
	CHECK(admin_ready(&f.px, NULL) == 0);
	fake_free(&f);
}

static void test_admin_token(void)
{
	char tok[ADMIN_TOKEN_MAX + 1], err[200];
	size_t len = 0;
	CHECK(admin_auth_parse("abc\n", 4, tok, sizeof(tok), &len, err, sizeof(err)) == 0);
	CHECK(len == 3 && strcmp(tok, "abc") == 0);
	CHECK(admin_auth_parse("abc\r\n", 5, tok, sizeof(tok), &len, err, sizeof(err)) == 0 &&
	      len == 3);
	CHECK(admin_auth_parse("\n", 1, tok, sizeof(tok), &len, err, sizeof(err)) == -1);
	CHECK(strstr(err, "empty"));
	CHECK(admin_auth_parse("a b", 3, tok, sizeof(tok), &len, err, sizeof(err)) == -1);
	CHECK(admin_auth_parse("ab\n\n", 4, tok, sizeof(tok), &len, err, sizeof(err)) == -1);
	CHECK(admin_auth_check("Bearer abc", "abc", 3) == 1);
	CHECK(admin_auth_check("bearer   abc ", "abc", 3) == 1);
	CHECK(admin_auth_check("Bearer abcd", "abc", 3) == 0);
	CHECK(admin_auth_check("Bearer ab", "abc", 3) == 0);
	CHECK(admin_auth_check("Bearer ", "abc", 3) == 0);
	CHECK(admin_auth_check("Basic abc", "abc", 3) == 0);
	CHECK(admin_auth_check("abc", "abc", 3) == 0);
	CHECK(admin_auth_check(NULL, "abc", 3) == 0);
	CHECK(admin_auth_load("/nonexistent/token", tok, &len, err, sizeof(err)) == -1);
	CHECK(strstr(err, "cannot open"));
}

static void test_log_logfmt_to_json(void)
{
	char out[512];
	log_logfmt_to_json("client=12 event=closed peer=127.0.0.1:5 reason=\"a \\\"b\\\" c\" n=3",
	                   "{\"ts\":\"T\",\"level\":\"info\"", out, sizeof(out));
	CHECKF(strcmp(out,
	              "{\"ts\":\"T\",\"level\":\"info\",\"client\":\"12\",\"event\":\"closed\","
	              "\"peer\":\"127.0.0.1:5\",\"reason\":\"a \\\"b\\\" c\",\"n\":\"3\"}") == 0,
	       "%s", out);
	cJSON *j = cJSON_Parse(out);
	CHECK(j && strcmp(cJSON_GetObjectItem(j, "reason")->valuestring, "a \"b\" c") == 0);
	cJSON_Delete(j);
	/* free text, control characters, an empty value */
	log_logfmt_to_json("event=x k= just words\there", "{", out, sizeof(out));
	j = cJSON_Parse(out);
	CHECKF(j != NULL, "%s", out);
	CHECK(j && strcmp(cJSON_GetObjectItem(j, "k")->valuestring, "") == 0);
	CHECK(j && strcmp(cJSON_GetObjectItem(j, "msg")->valuestring, "just words\there") == 0);
	cJSON_Delete(j);
	/* too long: cut at a member boundary, still one valid object */
	char big[3000];
	memset(big, 'x', sizeof(big));
	memcpy(big, "event=y reason=", 15);
	big[sizeof(big) - 1] = '\0';
	size_t n = log_logfmt_to_json(big, "{\"level\":\"info\"", out, 200);
	j = cJSON_Parse(out);
	CHECKF(j != NULL && n == strlen(out) && n < 200, "%s", out);
	CHECK(j && strcmp(cJSON_GetObjectItem(j, "event")->valuestring, "y") == 0);
	CHECK(j && cJSON_GetObjectItem(j, "truncated"));
	cJSON_Delete(j);
	log_format f;
	CHECK(log_parse_format("json", &f) == 0 && f == LOG_FORMAT_JSON);
	CHECK(log_parse_format("xml", &f) == -1);
}

static void test_config_admin_and_log(void)
{
	char err[256] = "";
	config *c = config_parse("{" CLUSTERS_JSON "}", err, sizeof(err));
	CHECK(c && c->admin.enabled && strcmp(c->admin.host, "127.0.0.1") == 0 &&
	      c->admin.port == 9644 && !c->admin.allow_remote && !c->admin.token_file &&
	      c->log_format == LOG_FORMAT_LOGFMT);
	config_free(c);
	c = config_parse(
	    "{\"admin\": {\"listen\": \"0.0.0.0:9000\", \"allow_remote\": true, "
	    "\"token_file\": \"/run/t\"}, \"log\": {\"format\": \"json\"}, " CLUSTERS_JSON "}",
	    err, sizeof(err));
	CHECKF(c != NULL, "%s", err);
	CHECK(c && c->admin.port == 9000 && c->admin.allow_remote &&
	      strcmp(c->admin.token_file, "/run/t") == 0 && c->log_format == LOG_FORMAT_JSON);
	config_free(c);
	static const struct {
		const char *json, *want;
	} bad[] = {
	    {"{\"admin\": {\"port\": 1}, " CLUSTERS_JSON "}", "admin.port: unknown key"},
	    {"{\"admin\": {\"listen\": \"nowhere\"}, " CLUSTERS_JSON "}", "admin.listen: must be"},
	    {"{\"admin\": {\"allow_remote\": 1}, " CLUSTERS_JSON "}",
	     "admin.allow_remote: must be"},
	    {"{\"admin\": {\"token_file\": \"\"}, " CLUSTERS_JSON "}", "admin.token_file: must be"},
	    {"{\"admin\": [], " CLUSTERS_JSON "}", "admin: must be an object"},
	    {"{\"log\": {\"format\": \"xml\"}, " CLUSTERS_JSON "}", "log.format: must be"},
	    {"{\"log\": {\"level\": \"info\"}, " CLUSTERS_JSON "}", "log.level: unknown key"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		c = config_parse(bad[i].json, err, sizeof(err));
		CHECKF(!c && strstr(err, bad[i].want), "case %zu: got \"%s\"", i, err);
		config_free(c);
	}
}

static void hex32(const uint8_t d[SHA256_LEN], char out[2 * SHA256_LEN + 1])
{
	for (int i = 0; i < SHA256_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* proxy/sha256.c: the FIPS 180-2 examples, then OpenSSL's answer for every
 * length around the one- and two-block padding boundaries and a long input. */
static void test_sha256(void)
{
	static const struct {
		const char *msg, *want;
	} vec[] = {
	    {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	    {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
	};
	uint8_t d[SHA256_LEN], ref[SHA256_LEN];
	char hex[2 * SHA256_LEN + 1];
	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		sha256(vec[i].msg, strlen(vec[i].msg), d);
		hex32(d, hex);
		CHECKF(strcmp(hex, vec[i].want) == 0, "\"%s\": %s", vec[i].msg, hex);
	}
	sha256(NULL, 0, d);
	hex32(d, hex);
	CHECK(strcmp(hex, vec[0].want) == 0);
	enum { MILLION = 1000000 };
	unsigned char *buf = malloc(MILLION);
	CHECK(buf != NULL);
	if (!buf)
		return;
	memset(buf, 'a', MILLION);
	sha256(buf, MILLION, d);
	hex32(d, hex);
	CHECK(strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0);
	for (size_t i = 0; i < MILLION; i++)
		buf[i] = (unsigned char)(i * 2654435761u >> 13);
	for (size_t n = 0; n <= 300; n++) {
		sha256(buf + 1, n, d); /* unaligned on purpose */
		SHA256(buf + 1, n, ref);
		CHECKF(memcmp(d, ref, sizeof(d)) == 0, "length %zu differs from OpenSSL", n);
	}
	sha256(buf, MILLION - 3, d);
	SHA256(buf, MILLION - 3, ref);
	CHECK(memcmp(d, ref, sizeof(d)) == 0);
	free(buf);
	/* the digest /status and /reload show is the file's SHA-256 */
	static const char json[] = "{" CLUSTERS_JSON "}";
	char err[256] = "";
	config *c = config_parse(json, err, sizeof(err));
	CHECKF(c != NULL, "%s", err);
	SHA256((const unsigned char *)json, strlen(json), ref);
	CHECK(c && memcmp(c->digest, ref, sizeof(ref)) == 0);
	config_free(c);
}

TEST_TABLE(admin_tests) = {
    {"admin_metrics_table_well_formed", test_metrics_table_is_well_formed},
    {"admin_metrics_render_format_escaping", test_metrics_render_format_and_escaping},
    {"admin_metrics_escape_label", test_metrics_escape_label},
    {"admin_metrics_histogram_buckets", test_metrics_histogram_buckets},
    {"admin_metrics_flip_observe_hook", test_metrics_flip_observe_hook},
    {"admin_metrics_xlate_observe_and_status", test_metrics_xlate_observe_and_status},
    {"admin_ready", test_admin_ready},
    {"admin_token", test_admin_token},
    {"admin_sha256", test_sha256},
    {"admin_log_logfmt_to_json", test_log_logfmt_to_json},
    {"admin_config_admin_and_log", test_config_admin_and_log},
    {NULL, NULL},
};
