/*
 * `turnout check`'s output (see check_report.h): the same content twice,
 * as tables for an operator's terminal and as JSON for scripts. Sections:
 * config, clusters, routes, the topic view, groups (with the translation
 * preview of each group that would move), the mirror, findings.
 */
#include "proxy/check_report.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static const char *cl(int c)
{
	return c >= 0 && c < CLUSTER_COUNT ? config_cluster_names[c] : "?";
}

/* "Stable/2/12": state, members, committed partitions; "?" where unknown. */
static void side_text(const rchk_side *s, char *buf, size_t len)
{
	char m[16] = "?", c[16] = "?";
	if (!s->reachable) {
		snprintf(buf, len, "unreachable");
		return;
	}
	if (s->members >= 0)
		snprintf(m, sizeof(m), "%d", s->members);
	if (s->committed >= 0)
		snprintf(c, sizeof(c), "%d", s->committed);
	snprintf(buf, len, "%s/%s/%s", s->described ? s->state : "?", m, c);
}

static void action_text(const rchk_group *g, char *buf, size_t len)
{
	switch (g->action) {
	case RCHK_STAYS:
		snprintf(buf, len, "stays on %s", cl(g->route));
		break;
	case RCHK_NEW:
		snprintf(buf, len, "new, starts on %s", cl(g->route));
		break;
	case RCHK_FLIP:
		snprintf(buf, len, "would flip legacy -> target");
		break;
	case RCHK_ROLLBACK:
		snprintf(buf, len, "would roll back target -> legacy");
		break;
	case RCHK_UNCLEAR:
		snprintf(buf, len, "members on both");
		break;
	case RCHK_OTHER:
		snprintf(buf, len, "not routed here");
		break;
	}
}

static void xlate_text(const rchk_group *g, char *buf, size_t len)
{
	const rchk_xlate *x = &g->xl;
	if (g->action != RCHK_FLIP && g->action != RCHK_ROLLBACK) {
		snprintf(buf, len, "-");
		return;
	}
	if (!x->ran) {
		snprintf(buf, len, "not previewed");
		return;
	}
	size_t ok = x->n - x->none;
	int n = snprintf(buf, len,
	                 "%zu/%zu translatable (%zu exact, %zu checkpoint, %zu "
	                 "conservative), re-reads <= %lld%s",
	                 ok, x->n, x->exact, x->checkpoint, x->conservative, (long long)x->rereads,
	                 x->rereads_unknown ? " + unknown" : "");
	if (x->none && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "; untranslatable: %s", x->untranslatable);
}

static void print_routes(const config *cfg, FILE *f)
{
	const routes *r = &cfg->routes;
	fprintf(f, "\nROUTES\n%-10s %-36s %-8s %s\n", "KIND", "NAME", "CLUSTER", "NOTE");
	fprintf(f, "%-10s %-36s %-8s %s\n", "default", "-", cl(r->default_cluster),
	        "everything not routed below");
	fprintf(f, "%-10s %-36s %-8s %s\n", "producers", cfg->service ? cfg->service : "-",
	        cl(r->producers), "this service's producers");
	for (size_t i = 0; i < r->nproduce; i++)
		fprintf(f, "%-10s %-36s %-8s %s\n", "producer", r->produce_topics[i].name,
		        cl(r->produce_topics[i].cluster), "per-topic producer route");
	for (size_t i = 0; i < r->nread; i++)
		fprintf(f, "%-10s %-36s %-8s %s\n", "read", r->read_topics[i].name,
		        cl(r->read_topics[i].cluster), "read override");
	for (size_t i = 0; i < r->ngroups; i++) {
		const route_group *g = &r->groups[i];
		fprintf(f, "%-10s %-36s %-8s ", "group", g->name, cl(g->cluster));
		if (!g->ntopics)
			fprintf(f, "topics learnt at run time");
		for (size_t j = 0; j < g->ntopics; j++)
			fprintf(f, "%s%s", j ? "," : "topics ", g->topics[j]);
		fputc('\n', f);
	}
}

void check_print_text(const check_run *r, FILE *f)
{
	const config *cfg = r->cfg;
	fprintf(f, "turnout check: config %s ok (service %s, default cluster %s", r->config_path,
	        cfg->service ? cfg->service : "-", cl(cfg->routes.default_cluster));
	if (r->secrets_checked >= 0)
		fprintf(f, ", %d secret(s) checked)\n", r->secrets_checked);
	else
		fprintf(f, ", secrets not checked)\n");

	fprintf(f, "\nCLUSTERS\n%-7s %-11s %-7s %-10s %-24s %-6s %s\n", "NAME", "STATUS", "BROKERS",
	        "CONTROLLER", "CLUSTER_ID", "TOPICS", "GROUP_LISTING");
	for (int c = 0; c < CLUSTER_COUNT; c++) {
		const check_cluster_info *ci = &r->ci[c];
		if (!ci->reachable) {
			fprintf(f, "%-7s %-11s %s\n", cl(c), "UNREACHABLE",
			        ci->error[0] ? ci->error : "client could not start");
			continue;
		}
		fprintf(f, "%-7s %-11s %-7d %-10d %-24s %-6zu %s\n", cl(c), "reachable",
		        ci->nbrokers, (int)ci->controller, ci->cluster_id ? ci->cluster_id : "-",
		        ci->ntopics, ci->listed ? "ok" : "unsupported");
		fprintf(f, "        brokers %s\n", ci->brokers);
	}

	print_routes(cfg, f);

	fprintf(f, "\nTOPICS (this service's metadata view)\n%-36s %-11s %-16s %-9s %s\n", "TOPIC",
	        "SERVED_FROM", "BECAUSE", "PRODUCERS", "CONFLICT");
	for (size_t i = 0; i < r->rep.ntopics; i++) {
		const rchk_topic *t = &r->rep.topics[i];
		fprintf(f, "%-36s %-11s %-16s %-9s %s\n", t->name, cl(t->cluster),
		        rchk_reason_name(t->why), cl(t->producer), t->conflict ? "YES" : "-");
	}
	if (!r->rep.ntopics)
		fprintf(f, "(no topic is named by routes or consumed by a routed group)\n");

	fprintf(f,
	        "\nGROUPS (state/members/committed partitions on each cluster)\n"
	        "%-28s %-7s %-20s %-20s %-7s %-30s %s\n",
	        "GROUP", "ROUTE", "LEGACY", "TARGET", "LIVES", "ACTION", "TRANSLATION");
	for (size_t i = 0; i < r->ngroups; i++) {
		const rchk_group *g = &r->groups[i];
		char ls[64], ts[64], act[64], xl[900];
		side_text(&g->side[CLUSTER_LEGACY], ls, sizeof(ls));
		side_text(&g->side[CLUSTER_TARGET], ts, sizeof(ts));
		action_text(g, act, sizeof(act));
		xlate_text(g, xl, sizeof(xl));
		fprintf(f, "%-28s %-7s %-20s %-20s %-7s %-30s %s\n", g->name,
		        g->in_routes ? cl(g->route) : "-", ls, ts, rchk_where_name(g->lives), act,
		        xl);
		if (g->ntopics) {
			fprintf(f, "    topics:");
			for (size_t j = 0; j < g->ntopics; j++)
				fprintf(f, " %s", g->topics[j]);
			fprintf(f, "%s\n",
			        g->in_routes ? "" : "   (not in routes: another service's)");
		}
	}
	if (!r->ngroups)
		fprintf(f, "(none named in routes, given with --group or listed)\n");

	fprintf(f, "\nMIRROR: %s\n",
	        r->mirror == CHECK_MIRROR_NONE    ? "not configured (no offset translation)"
	        : r->mirror == CHECK_MIRROR_READY ? "ready"
	                                          : "NOT READY");
	if (r->mirror != CHECK_MIRROR_NONE && r->mirror_detail[0])
		fprintf(f, "    %s\n", r->mirror_detail);

	fprintf(f, "\nFINDINGS\n");
	for (size_t i = 0; i < r->rep.nf; i++) {
		const rchk_finding *x = &r->rep.f[i];
		fprintf(f, "%-7s %-22s %s\n",
		        x->level == RCHK_ERROR  ? "ERROR"
		        : x->level == RCHK_WARN ? "WARN"
		                                : "info",
		        x->kind, x->message);
	}
	if (!r->rep.nf)
		fprintf(f, "(none)\n");
	fprintf(f, "\nresult: %zu error(s), %zu warning(s)\n", r->rep.errors, r->rep.warnings);
}

static cJSON *side_json(const rchk_side *s)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "reachable", s->reachable);
	cJSON_AddBoolToObject(o, "described", s->described);
	if (s->described)
		cJSON_AddStringToObject(o, "state", s->state);
	else
		cJSON_AddNullToObject(o, "state");
	cJSON_AddNumberToObject(o, "members", s->members);
	cJSON_AddNumberToObject(o, "committed_partitions", s->committed);
	if (s->err[0])
		cJSON_AddStringToObject(o, "note", s->err);
	return o;
}

static cJSON *xlate_json(const rchk_group *g, const xlate_group_result *res)
{
	const rchk_xlate *x = &g->xl;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "direction", g->action == RCHK_FLIP ? "forward" : "reverse");
	cJSON_AddBoolToObject(o, "ran", x->ran);
	if (!x->ran) {
		cJSON_AddStringToObject(o, "error", x->err);
		return o;
	}
	cJSON_AddNumberToObject(o, "partitions", (double)x->n);
	cJSON_AddNumberToObject(o, "exact", (double)x->exact);
	cJSON_AddNumberToObject(o, "checkpoint", (double)x->checkpoint);
	cJSON_AddNumberToObject(o, "conservative", (double)x->conservative);
	cJSON_AddNumberToObject(o, "none", (double)x->none);
	cJSON_AddNumberToObject(o, "rereads_max", (double)x->rereads);
	cJSON_AddBoolToObject(o, "rereads_unknown", x->rereads_unknown);
	cJSON *parts = cJSON_AddArrayToObject(o, "by_partition");
	for (size_t i = 0; res && i < res->n; i++) {
		const xlate_partition *p = &res->parts[i];
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "topic", p->topic);
		cJSON_AddNumberToObject(j, "partition", p->partition);
		cJSON_AddNumberToObject(j, "committed", (double)p->committed);
		cJSON_AddNumberToObject(j, "offset", (double)p->r.offset);
		cJSON_AddStringToObject(j, "method", translate_method_name(p->r.method));
		cJSON_AddNumberToObject(j, "rereads_max", (double)p->r.rereads_max);
		cJSON_AddItemToArray(parts, j);
	}
	return o;
}

static cJSON *strings_json(char *const *v, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; a && i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
	return a;
}

static cJSON *routes_json(const config *cfg)
{
	const routes *r = &cfg->routes;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "default_cluster", cl(r->default_cluster));
	cJSON_AddStringToObject(o, "producers", cl(r->producers));
	cJSON *pt = cJSON_AddArrayToObject(o, "producer_topics");
	for (size_t i = 0; i < r->nproduce; i++) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "topic", r->produce_topics[i].name);
		cJSON_AddStringToObject(j, "cluster", cl(r->produce_topics[i].cluster));
		cJSON_AddItemToArray(pt, j);
	}
	cJSON *rt = cJSON_AddArrayToObject(o, "read_overrides");
	for (size_t i = 0; i < r->nread; i++) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "topic", r->read_topics[i].name);
		cJSON_AddStringToObject(j, "cluster", cl(r->read_topics[i].cluster));
		cJSON_AddItemToArray(rt, j);
	}
	cJSON *gs = cJSON_AddArrayToObject(o, "groups");
	for (size_t i = 0; i < r->ngroups; i++) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "group", r->groups[i].name);
		cJSON_AddStringToObject(j, "cluster", cl(r->groups[i].cluster));
		cJSON_AddItemToObject(j, "topics",
		                      strings_json(r->groups[i].topics, r->groups[i].ntopics));
		cJSON_AddItemToArray(gs, j);
	}
	return o;
}

int check_print_json(const check_run *r, FILE *f)
{
	const config *cfg = r->cfg;
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return -1;
	cJSON *c = cJSON_AddObjectToObject(o, "config");
	cJSON_AddStringToObject(c, "path", r->config_path);
	if (cfg->service)
		cJSON_AddStringToObject(c, "service", cfg->service);
	else
		cJSON_AddNullToObject(c, "service");
	cJSON_AddNumberToObject(c, "secrets_checked", r->secrets_checked);

	cJSON *cs = cJSON_AddArrayToObject(o, "clusters");
	for (int k = 0; k < CLUSTER_COUNT; k++) {
		const check_cluster_info *ci = &r->ci[k];
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "name", cl(k));
		cJSON_AddStringToObject(j, "bootstrap", cfg->clusters[k].bootstrap);
		cJSON_AddBoolToObject(j, "reachable", ci->reachable);
		if (!ci->reachable) {
			cJSON_AddStringToObject(j, "error", ci->error);
		} else {
			cJSON_AddNumberToObject(j, "brokers", ci->nbrokers);
			cJSON_AddStringToObject(j, "broker_list", ci->brokers);
			cJSON_AddNumberToObject(j, "controller", ci->controller);
			if (ci->cluster_id)
				cJSON_AddStringToObject(j, "cluster_id", ci->cluster_id);
			else
				cJSON_AddNullToObject(j, "cluster_id");
			cJSON_AddNumberToObject(j, "topics", (double)ci->ntopics);
			cJSON_AddBoolToObject(j, "group_listing", ci->listed);
			if (ci->list_error[0])
				cJSON_AddStringToObject(j, "group_listing_error", ci->list_error);
		}
		cJSON_AddItemToArray(cs, j);
	}
	cJSON_AddItemToObject(o, "routes", routes_json(cfg));

	cJSON *ts = cJSON_AddArrayToObject(o, "topics");
	for (size_t i = 0; i < r->rep.ntopics; i++) {
		const rchk_topic *t = &r->rep.topics[i];
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "topic", t->name);
		cJSON_AddStringToObject(j, "served_from", cl(t->cluster));
		cJSON_AddStringToObject(j, "because", rchk_reason_name(t->why));
		cJSON_AddStringToObject(j, "producers", cl(t->producer));
		cJSON_AddBoolToObject(j, "producer_route", t->producer_set);
		cJSON_AddBoolToObject(j, "conflict", t->conflict);
		cJSON_AddItemToArray(ts, j);
	}

	cJSON *gs = cJSON_AddArrayToObject(o, "groups");
	for (size_t i = 0; i < r->ngroups; i++) {
		const rchk_group *g = &r->groups[i];
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "group", g->name);
		cJSON_AddBoolToObject(j, "in_routes", g->in_routes);
		cJSON_AddStringToObject(j, "route", cl(g->route));
		cJSON_AddStringToObject(j, "lives", rchk_where_name(g->lives));
		cJSON_AddBoolToObject(j, "lives_by_commits", g->lives_by_commits);
		cJSON_AddStringToObject(j, "action", rchk_action_name(g->action));
		cJSON_AddItemToObject(j, "topics", strings_json(g->topics, g->ntopics));
		cJSON_AddItemToObject(j, "legacy", side_json(&g->side[CLUSTER_LEGACY]));
		cJSON_AddItemToObject(j, "target", side_json(&g->side[CLUSTER_TARGET]));
		if (g->action == RCHK_FLIP || g->action == RCHK_ROLLBACK)
			cJSON_AddItemToObject(j, "translation", xlate_json(g, r->previews[i]));
		cJSON_AddItemToArray(gs, j);
	}

	cJSON *m = cJSON_AddObjectToObject(o, "mirror");
	cJSON_AddBoolToObject(m, "configured", r->mirror != CHECK_MIRROR_NONE);
	cJSON_AddBoolToObject(m, "ready", r->mirror == CHECK_MIRROR_READY);
	cJSON_AddStringToObject(m, "detail", r->mirror_detail);

	cJSON *fs = cJSON_AddArrayToObject(o, "findings");
	for (size_t i = 0; i < r->rep.nf; i++) {
		const rchk_finding *x = &r->rep.f[i];
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "level", rchk_level_name(x->level));
		cJSON_AddStringToObject(j, "kind", x->kind);
		cJSON_AddStringToObject(j, "subject", x->subject);
		cJSON_AddStringToObject(j, "message", x->message);
		cJSON_AddItemToArray(fs, j);
	}
	cJSON_AddNumberToObject(o, "errors", (double)r->rep.errors);
	cJSON_AddNumberToObject(o, "warnings", (double)r->rep.warnings);
	char *text = cJSON_Print(o);
	cJSON_Delete(o);
	if (!text)
		return -1;
	fprintf(f, "%s\n", text);
	free(text);
	return 0;
}
