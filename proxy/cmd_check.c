/*
 * `turnout check --config FILE [--json] [--strict] [--timeout-ms N] [--group G]...`
 *
 * The dry run an operator runs before and during a migration. Nothing is
 * changed anywhere:
 *
 *   1. the configuration is loaded and its secrets checked exactly as
 *      `turnout run --check` does (config_source_load, seccheck_config);
 *   2. both clusters are probed with their TLS / SASL / IAM settings
 *      (check_probe.c): brokers, controller, cluster id, topics, groups;
 *   3. every group named in routes, given with --group or listed by a
 *      cluster is described and its committed partitions read on both;
 *   4. with a "mirror", the translation engine (routing/xlate.h, as
 *      `turnout offsets` uses it) previews the offsets of each group that
 *      would move;
 *   5. route_check.c decides what a flip would do and what this service's
 *      metadata view cannot serve; check_report.c prints it.
 *
 * Exit status: 0 no errors (warnings only fail with --strict), 1 errors
 * (listed), 2 usage or a configuration that does not load.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/check_report.h"
#include "proxy/commands.h"
#include "proxy/config_source.h"
#include "proxy/log.h"
#include "proxy/seccheck.h"
#include "routing/mm2_names.h"

enum { CHECK_GROUPS_ARG_MAX = 64, CHECK_DEFAULT_TIMEOUT_MS = 10000 };

typedef struct check_args {
	config_source src;
	int json, strict, no_secrets;
	long timeout_ms; /* -1: defaults (10 s; mirror.ready_timeout_ms for MM2) */
	const char *groups[CHECK_GROUPS_ARG_MAX];
	int ngroups;
} check_args;

static void check_usage(FILE *f)
{
	fprintf(f,
	        "usage: turnout check --config FILE | --config-env VAR\n"
	        "                     [--legacy-bootstrap HOST:PORT,...] [--target-bootstrap ...]\n"
	        "                     [--group G]... [--json] [--strict] [--timeout-ms N]\n"
	        "                     [--no-secrets]\n"
	        "Validates the configuration like `turnout run --check`, connects to both\n"
	        "clusters and reports what the routes would do: each group's state on both\n"
	        "clusters, flips and their offset translation, and what this service's one\n"
	        "metadata view cannot serve. Changes nothing. --group adds groups of other\n"
	        "services (or groups a cluster cannot list). Exit 0 ok, 1 errors (--strict:\n"
	        "or warnings), 2 usage or invalid configuration.\n");
}

static int check_parse(int argc, char **argv, check_args *a)
{
	memset(a, 0, sizeof(*a));
	a->timeout_ms = -1;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		int more = i + 1 < argc;
		if (strcmp(arg, "--config") == 0 && more) {
			a->src.path = argv[++i];
		} else if (strcmp(arg, "--config-env") == 0 && more) {
			a->src.env = argv[++i];
		} else if (strcmp(arg, "--legacy-bootstrap") == 0 && more) {
			a->src.bootstrap[CLUSTER_LEGACY] = argv[++i];
		} else if (strcmp(arg, "--target-bootstrap") == 0 && more) {
			a->src.bootstrap[CLUSTER_TARGET] = argv[++i];
		} else if (strcmp(arg, "--group") == 0 && more) {
			if (a->ngroups == CHECK_GROUPS_ARG_MAX || !argv[i + 1][0]) {
				fprintf(stderr, "turnout check: --group: at most %d, non-empty\n",
				        CHECK_GROUPS_ARG_MAX);
				return 2;
			}
			a->groups[a->ngroups++] = argv[++i];
		} else if (strcmp(arg, "--timeout-ms") == 0 && more) {
			char *end;
			a->timeout_ms = strtol(argv[++i], &end, 10);
			if (*end || a->timeout_ms < 1 || a->timeout_ms > 3600000) {
				fprintf(stderr, "turnout check: --timeout-ms must be 1..3600000\n");
				return 2;
			}
		} else if (strcmp(arg, "--json") == 0) {
			a->json = 1;
		} else if (strcmp(arg, "--strict") == 0) {
			a->strict = 1;
		} else if (strcmp(arg, "--no-secrets") == 0) {
			a->no_secrets = 1;
		} else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			check_usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "turnout check: unknown argument '%s'\n", arg);
			check_usage(stderr);
			return 2;
		}
	}
	if (!a->src.path == !a->src.env) {
		check_usage(stderr);
		return 2;
	}
	return -1; /* go on */
}

/* Adds group name (once); in_routes groups come first. */
static rchk_group *add_group(check_run *r, const char *name, int in_routes)
{
	for (size_t i = 0; i < r->ngroups; i++)
		if (strcmp(r->groups[i].name, name) == 0)
			return &r->groups[i];
	rchk_group *nv = realloc(r->groups, (r->ngroups + 1) * sizeof(*nv));
	if (!nv)
		return NULL;
	r->groups = nv;
	rchk_group *g = &r->groups[r->ngroups];
	memset(g, 0, sizeof(*g));
	if (!(g->name = strdup(name)))
		return NULL;
	r->ngroups++;
	g->in_routes = in_routes;
	g->route = routes_group(&r->cfg->routes, name, strlen(name));
	return g;
}

static int collect_groups(check_run *r, const check_args *a)
{
	const routes *rt = &r->cfg->routes;
	for (size_t i = 0; i < rt->ngroups; i++) {
		rchk_group *g = add_group(r, rt->groups[i].name, 1);
		if (!g)
			return -1;
		for (size_t j = 0; j < rt->groups[i].ntopics; j++)
			if (rchk_group_add_topic(g, rt->groups[i].topics[j]))
				return -1;
	}
	for (int i = 0; i < a->ngroups; i++)
		if (!add_group(r, a->groups[i], 0))
			return -1;
	for (int c = 0; c < CLUSTER_COUNT; c++)
		for (size_t i = 0; i < r->ci[c].ngroups; i++)
			if (!add_group(r, r->ci[c].groups[i], 0))
				return -1;
	return 0;
}

/* The group's topics under their names on the "from" cluster of dir,
 * NULL-terminated (for xlate_translate_group). */
static char **from_topics(const check_run *r, const rchk_group *g, translate_dir dir)
{
	char **v = calloc(g->ntopics + 1, sizeof(*v));
	for (size_t i = 0; v && i < g->ntopics; i++) {
		char name[512];
		if (dir == TRANSLATE_REVERSE &&
		    mm2_names_remote_topic(r->cfg->mirror, g->topics[i], name, sizeof(name)) == 0)
			v[i] = strdup(name);
		else
			v[i] = strdup(g->topics[i]);
		if (!v[i]) {
			for (size_t k = 0; k < i; k++)
				free(v[k]);
			free(v);
			return NULL;
		}
	}
	return v;
}

/* Starts the engine when a mirror is configured and both clusters answer,
 * and previews every group that would move. */
static void preview(check_run *r, long timeout_ms)
{
	const config *cfg = r->cfg;
	char err[1400] = "";
	xlate_engine *e = NULL;
	if (!cfg->mirror)
		return;
	if (!r->ci[CLUSTER_LEGACY].reachable || !r->ci[CLUSTER_TARGET].reachable) {
		r->mirror = CHECK_MIRROR_NOT_READY;
		snprintf(r->mirror_detail, sizeof(r->mirror_detail),
		         "not read: a cluster is not reachable");
		snprintf(err, sizeof(err), "a cluster is not reachable");
		goto out;
	}
	e = xlate_engine_start(cfg->mirror, &cfg->clusters[CLUSTER_LEGACY],
	                       &cfg->clusters[CLUSTER_TARGET], err, sizeof(err));
	int wait = timeout_ms > 0 ? (int)timeout_ms : cfg->mirror->ready_timeout_ms;
	if (!e || xlate_engine_wait_ready(e, wait, err, sizeof(err))) {
		r->mirror = CHECK_MIRROR_NOT_READY;
		snprintf(r->mirror_detail, sizeof(r->mirror_detail), "%s", err);
		goto out;
	}
	r->mirror = CHECK_MIRROR_READY;
	xlate_engine_describe(e, r->mirror_detail, sizeof(r->mirror_detail));
	err[0] = 0;
out:
	for (size_t i = 0; i < r->ngroups; i++) {
		rchk_group *g = &r->groups[i];
		if (g->action != RCHK_FLIP && g->action != RCHK_ROLLBACK)
			continue;
		if (!e || r->mirror != CHECK_MIRROR_READY) {
			rchk_xlate_summarise(NULL, err[0] ? err : "mirror not ready", &g->xl);
			continue;
		}
		translate_dir dir = g->action == RCHK_FLIP ? TRANSLATE_FORWARD : TRANSLATE_REVERSE;
		char **topics = from_topics(r, g, dir);
		char why[1024] = "out of memory";
		xlate_group_result *res = NULL;
		if (topics)
			xlate_translate_group(e, g->name, dir, (const char *const *)topics, &res,
			                      why, sizeof(why));
		rchk_xlate_summarise(res, why, &g->xl);
		r->previews[i] = res;
		for (size_t k = 0; topics && topics[k]; k++)
			free(topics[k]);
		free(topics);
	}
	xlate_engine_stop(e);
}

/* One finding per line of seccheck_config's report. */
static int secret_findings(check_run *r, const char *problems)
{
	const char *line = problems;
	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[1024];
		snprintf(buf, sizeof(buf), "%.*s", (int)(len < 1000 ? len : 1000), line);
		char field[256];
		snprintf(field, sizeof(field), "%.*s", (int)strcspn(buf, ":"), buf);
		if (len && rchk_add(&r->rep, RCHK_ERROR, "secret", field, "%s", buf))
			return -1;
		line += len + (nl != NULL);
	}
	return 0;
}

/* Flips (possible only with "mirror") need the control topic on its
 * cluster (routing/coord.h); unknown when that cluster was not described. */
static int control_topic_missing(const check_run *r)
{
	const config *cfg = r->cfg;
	const check_cluster_info *ci = &r->ci[cfg->cutover_control_cluster];
	if (!cfg->mirror || !ci->reachable)
		return 0;
	for (size_t i = 0; i < ci->ntopics; i++)
		if (!strcmp(ci->topics[i], cfg->cutover_control_topic))
			return 0;
	return 1;
}

static int gather(check_run *r, const check_args *a)
{
	const config *cfg = r->cfg;
	int tmo = a->timeout_ms > 0 ? (int)a->timeout_ms : CHECK_DEFAULT_TIMEOUT_MS;
	check_probe *p[CLUSTER_COUNT] = {0};
	int rc = -1;
	char err[512];
	for (int c = 0; c < CLUSTER_COUNT; c++) {
		p[c] =
		    check_probe_open(&cfg->clusters[c], config_cluster_names[c], err, sizeof(err));
		if (!p[c] &&
		    rchk_add(&r->rep, RCHK_ERROR, "cluster_unreachable", config_cluster_names[c],
		             "cluster %s: %s", config_cluster_names[c], err))
			goto out;
	}
	for (int c = 0; c < CLUSTER_COUNT; c++) {
		check_cluster_info *ci = &r->ci[c];
		if (p[c]) {
			check_probe_cluster(p[c], tmo, ci);
			if (ci->reachable)
				check_probe_list_groups(p[c], tmo, ci);
		}
		if (p[c] && !ci->reachable &&
		    rchk_add(&r->rep, RCHK_ERROR, "cluster_unreachable", config_cluster_names[c],
		             "cluster %s is not reachable: %s", config_cluster_names[c], ci->error))
			goto out;
		if (ci->reachable && !ci->listed &&
		    rchk_add(&r->rep, RCHK_INFO, "group_listing", config_cluster_names[c],
		             "cluster %s cannot list consumer groups (%s): only groups named in "
		             "routes or with --group are checked there.",
		             config_cluster_names[c], ci->list_error))
			goto out;
	}
	if (collect_groups(r, a) ||
	    !(r->previews = calloc(r->ngroups ? r->ngroups : 1, sizeof(*r->previews))))
		goto out;
	for (int c = 0; c < CLUSTER_COUNT; c++)
		if (p[c])
			check_probe_groups(p[c], &r->ci[c], cfg->mirror, c, r->groups, r->ngroups,
			                   tmo);
		else
			for (size_t i = 0; i < r->ngroups; i++)
				r->groups[i].side[c] = (rchk_side){.members = -1, .committed = -1};
	for (size_t i = 0; i < r->ngroups; i++)
		rchk_place(&r->groups[i]);
	preview(r, a->timeout_ms);
	if (r->mirror == CHECK_MIRROR_NOT_READY &&
	    rchk_add(&r->rep, RCHK_WARN, "mirror_not_ready", "mirror",
	             "MM2's topics could not be read to their end: %s", r->mirror_detail))
		goto out;
	if (control_topic_missing(r) &&
	    rchk_add(&r->rep, RCHK_WARN, "control_topic_missing", cfg->cutover_control_topic,
	             "the cutover control topic %s does not exist on %s: sidecars coordinate "
	             "group flips on it; create it (1 partition, cleanup.policy=compact) "
	             "unless the brokers create topics on demand, or every flip rolls back "
	             "at cutover.freeze_max_ms.",
	             cfg->cutover_control_topic,
	             config_cluster_names[cfg->cutover_control_cluster]))
		goto out;
	rchk_input in = {
	    .r = &cfg->routes, .mc = cfg->mirror, .groups = r->groups, .ngroups = r->ngroups};
	for (int c = 0; c < CLUSTER_COUNT; c++)
		if (r->ci[c].reachable) {
			in.cluster_topics[c] = r->ci[c].topics;
			in.ncluster_topics[c] = r->ci[c].ntopics;
		}
	rc = rchk_analyse(&in, &r->rep);
out:
	for (int c = 0; c < CLUSTER_COUNT; c++)
		check_probe_close(p[c]);
	return rc;
}

static void run_free(check_run *r)
{
	for (int c = 0; c < CLUSTER_COUNT; c++)
		check_cluster_info_free(&r->ci[c]);
	for (size_t i = 0; i < r->ngroups; i++) {
		rchk_group_free(&r->groups[i]);
		if (r->previews)
			xlate_group_result_free(r->previews[i]);
	}
	free(r->groups);
	free(r->previews);
	rchk_report_free(&r->rep);
}

int cmd_check(int argc, char **argv)
{
	check_args a;
	int rc = check_parse(argc, argv, &a);
	if (rc >= 0)
		return rc;
	const char *path = a.src.path ? a.src.path : a.src.env;
	char err[2048];
	config *cfg = config_source_load(&a.src, err, sizeof(err));
	if (!cfg) {
		fprintf(stderr, "turnout check: config %s rejected: %s\n", path, err);
		return 2;
	}
	/* stdout is the report; librdkafka's complaints are in it already */
	log_threshold = cfg->log_level >= LOG_DEBUG ? LOG_DEBUG : LOG_ERROR;
	check_run r = {.config_path = path, .cfg = cfg, .secrets_checked = -1};
	rc = 1;
	if (!a.no_secrets) {
		char problems[4096] = "";
		if (seccheck_config(cfg, problems, sizeof(problems), &r.secrets_checked) &&
		    secret_findings(&r, problems))
			goto oom;
	}
	if (gather(&r, &a))
		goto oom;
	if (a.json ? check_print_json(&r, stdout) : (check_print_text(&r, stdout), 0))
		goto oom;
	rc = r.rep.errors || (a.strict && r.rep.warnings) ? 1 : 0;
	if (fflush(stdout))
		rc = 1;
	run_free(&r);
	config_free(cfg);
	return rc;
oom:
	fprintf(stderr, "turnout check: out of memory\n");
	run_free(&r);
	config_free(cfg);
	return 1;
}
