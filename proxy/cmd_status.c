/*
 * `turnout status [--admin ADDR] [--json] [--watch [SECONDS]]` and
 * `turnout reload [--admin ADDR]`: clients of a running turnout's admin
 * server. status reads GET /status and prints it as tables (or the JSON
 * as is); --watch redraws in place every SECONDS (ANSI clear + home, no
 * terminal library) and shows a flip's progress while one runs. reload is
 * POST /reload: it prints the result and exits 1 when the new
 * configuration was rejected.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proxy/admin_client.h"
#include "proxy/commands.h"

typedef struct opts {
	const char *admin;
	const char *token_file;
	int json;
	int watch; /* seconds; 0 = once */
	int timeout_s;
} opts;

static void status_usage(FILE *f)
{
	fprintf(f,
	        "usage: turnout status [--admin HOST:PORT] [--token-file FILE] [--json]\n"
	        "                      [--watch [SECONDS]]\n"
	        "Shows a running turnout's clusters, virtual brokers, routes and groups\n"
	        "(GET /status on its admin server, default %s).\n"
	        "--watch redraws every SECONDS (default 2) until interrupted.\n",
	        ADMIN_DEFAULT_ADDR);
}

static void reload_usage(FILE *f)
{
	fprintf(f, "usage: turnout reload [--admin HOST:PORT] [--token-file FILE]\n"
	           "Asks a running turnout to reload its configuration now (POST /reload).\n"
	           "Exit 0 when applied, 1 when rejected or unreachable.\n");
}

/* Common options; returns the index of an argument it does not know, or
 * -1 when all were taken, or -2 on a usage error. */
static int parse_common(int argc, char **argv, int *i, opts *o, const char *cmd)
{
	const char *a = argv[*i];
	if (strcmp(a, "--admin") == 0 || strcmp(a, "--token-file") == 0) {
		if (*i + 1 >= argc) {
			fprintf(stderr, "turnout %s: %s needs a value\n", cmd, a);
			return -2;
		}
		if (strcmp(a, "--admin") == 0)
			o->admin = argv[++*i];
		else
			o->token_file = argv[++*i];
		return -1;
	}
	return *i;
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num(const cJSON *o, const char *k, double dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static int truthy(const cJSON *o, const char *k)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

static void duration(double s, char *out, size_t len)
{
	long t = (long)s;
	if (t >= 86400)
		snprintf(out, len, "%ldd%ldh", t / 86400, t % 86400 / 3600);
	else if (t >= 3600)
		snprintf(out, len, "%ldh%ldm", t / 3600, t % 3600 / 60);
	else if (t >= 60)
		snprintf(out, len, "%ldm%lds", t / 60, t % 60);
	else
		snprintf(out, len, "%.1fs", s);
}

static void clock_time(double unix_s, char *out, size_t len)
{
	time_t t = (time_t)unix_s;
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(out, len, "%H:%M:%S", &tm);
}

static void print_header(const cJSON *st)
{
	char up[32];
	duration(num(st, "uptime_seconds", 0), up, sizeof(up));
	printf("turnout %s  pid %.0f  up %s  ready: %s\n", or_dash(str(st, "version")),
	       num(st, "pid", 0), up, truthy(st, "ready") ? "yes" : "NO");
	const cJSON *nr = cJSON_GetObjectItemCaseSensitive(st, "not_ready");
	const cJSON *e;
	cJSON_ArrayForEach(e, nr) if (cJSON_IsString(e))
	    printf("  not ready: %s\n", e->valuestring);
	const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(st, "config");
	const char *sha = str(cfg, "sha256");
	printf("config %s  sha256 %.12s  reloads %.0f ok / %.0f rejected",
	       or_dash(str(cfg, "source")), or_dash(sha), num(cfg, "reloads_ok", 0),
	       num(cfg, "reloads_failed", 0));
	const cJSON *lr = cJSON_GetObjectItemCaseSensitive(cfg, "last_reload");
	if (cJSON_IsObject(lr)) {
		char at[16];
		clock_time(num(lr, "time", 0), at, sizeof(at));
		printf("  last: %s %s %s", at, or_dash(str(lr, "trigger")),
		       truthy(lr, "ok") ? "applied" : "REJECTED");
		if (!truthy(lr, "ok"))
			printf(" (%s)", or_dash(str(lr, "error")));
	}
	const cJSON *l = cJSON_GetObjectItemCaseSensitive(st, "listen");
	printf("\nbootstrap %s\n", or_dash(str(l, "bootstrap")));
}

static void print_clusters(const cJSON *st)
{
	printf("\nCLUSTERS\n%-8s %-6s %-8s %-40s %s\n", "cluster", "state", "brokers", "bootstrap",
	       "error");
	const cJSON *cl = cJSON_GetObjectItemCaseSensitive(st, "clusters"), *c;
	cJSON_ArrayForEach(c, cl)
	{
		const cJSON *b = cJSON_GetObjectItemCaseSensitive(c, "brokers"), *e;
		int n = 0, up = 0;
		cJSON_ArrayForEach(e, b)
		{
			n++;
			up += truthy(e, "up");
		}
		char bro[16];
		snprintf(bro, sizeof(bro), "%d/%d", up, n);
		printf("%-8s %-6s %-8s %-40s %s\n", c->string,
		       truthy(c, "up")         ? "up"
		       : truthy(c, "metadata") ? "failing"
		                               : "down",
		       bro, or_dash(str(c, "bootstrap")), or_dash(str(c, "error")));
	}
}

static void print_vbrokers(const cJSON *st)
{
	printf("\nVIRTUAL BROKERS\n%-4s %-8s %-6s %-28s %-7s %s\n", "vid", "cluster", "broker",
	       "address", "listen", "state");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(st, "vbrokers"), *e;
	cJSON_ArrayForEach(e, v)
	{
		char lp[16] = "-";
		if (num(e, "listen_port", 0) > 0)
			snprintf(lp, sizeof(lp), "%.0f", num(e, "listen_port", 0));
		printf("%-4.0f %-8s %-6.0f %-28s %-7s %s\n", num(e, "vid", 0),
		       or_dash(str(e, "cluster")), num(e, "broker", 0), or_dash(str(e, "address")),
		       lp, or_dash(str(e, "state")));
	}
}

static void print_name_map(const char *title, const cJSON *m)
{
	const cJSON *e;
	int first = 1;
	cJSON_ArrayForEach(e, m)
	{
		printf("%s%s -> %s", first ? title : ", ", e->string,
		       cJSON_IsString(e) ? e->valuestring : "?");
		first = 0;
	}
	if (!first)
		printf("\n");
}

static void print_routes(const cJSON *st)
{
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(st, "routes");
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(r, "producers");
	printf("\nROUTES\ndefault %s  service %s  producers %s\n",
	       or_dash(str(r, "default_cluster")), or_dash(str(r, "service")),
	       or_dash(str(p, "cluster")));
	print_name_map("  producer topics: ", cJSON_GetObjectItemCaseSensitive(p, "topics"));
	print_name_map("  read overrides:  ", cJSON_GetObjectItemCaseSensitive(r, "topics"));
	const cJSON *g = cJSON_GetObjectItemCaseSensitive(r, "groups"), *e;
	cJSON_ArrayForEach(e, g)
	{
		printf("  group %s -> %s", e->string, or_dash(str(e, "cluster")));
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "topics"), *x;
		int first = 1;
		cJSON_ArrayForEach(x, t)
		{
			if (cJSON_IsString(x))
				printf("%s%s", first ? " [" : ", ", x->valuestring);
			first = 0;
		}
		printf("%s\n", first ? "" : "]");
	}
}

static void print_translation(const cJSON *t)
{
	if (!cJSON_IsObject(t))
		return;
	char at[16];
	clock_time(num(t, "time", 0), at, sizeof(at));
	printf("    translation %s at %s: re-read at most %.0f records (%.0f partitions unknown)\n",
	       or_dash(str(t, "direction")), at, num(t, "rereads_max", 0),
	       num(t, "rereads_unknown", 0));
	const cJSON *ps = cJSON_GetObjectItemCaseSensitive(t, "partitions"), *p;
	cJSON_ArrayForEach(p, ps)
	{
		char off[24] = "none", rr[24] = "?";
		if (num(p, "offset", -1) >= 0)
			snprintf(off, sizeof(off), "%.0f", num(p, "offset", -1));
		if (num(p, "rereads_max", -1) >= 0)
			snprintf(rr, sizeof(rr), "%.0f", num(p, "rereads_max", -1));
		printf("      %s-%.0f  %.0f -> %s  %s  re-read <= %s\n", or_dash(str(p, "topic")),
		       num(p, "partition", 0), num(p, "committed", -1), off,
		       or_dash(str(p, "method")), rr);
	}
}

static void print_groups(const cJSON *st)
{
	const cJSON *gs = cJSON_GetObjectItemCaseSensitive(st, "groups"), *g;
	printf("\nGROUPS\n%-24s %-8s %-8s %-12s %-8s %-6s %s\n", "group", "cluster", "route",
	       "state", "members", "flips", "topics");
	cJSON_ArrayForEach(g, gs)
	{
		char topics[256] = "";
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(g, "topics"), *x;
		cJSON_ArrayForEach(x, t) if (cJSON_IsString(x) &&
		                             strlen(topics) + strlen(x->valuestring) + 3 <
		                                 sizeof(topics))
		{
			if (topics[0])
				strcat(topics, ",");
			strcat(topics, x->valuestring);
		}
		char flips[32];
		snprintf(flips, sizeof(flips), "%.0f/%.0f", num(g, "flips", 0),
		         num(g, "flip_failures", 0));
		printf("%-24s %-8s %-8s %-12s %-8.0f %-6s %s\n", or_dash(str(g, "group")),
		       or_dash(str(g, "cluster")), or_dash(str(g, "route")),
		       or_dash(str(g, "state")), num(g, "member_connections", 0), flips,
		       or_dash(topics));
		if (truthy(g, "settling"))
			printf("    settling: fetches held until the members read the seeded "
			       "offsets\n");
		if (truthy(g, "peer_hold"))
			printf("    peer_hold: fetches held while another sidecar flips the group "
			       "away from here\n");
		const cJSON *f = cJSON_GetObjectItemCaseSensitive(g, "flip");
		if (cJSON_IsObject(f)) {
			char el[32], sel[32];
			duration(num(f, "elapsed_ms", 0) / 1000.0, el, sizeof(el));
			duration(num(f, "state_elapsed_ms", 0) / 1000.0, sel, sizeof(sel));
			printf("    FLIP %s -> %s: %s for %s (flip running %s)\n",
			       or_dash(str(f, "from")), or_dash(str(f, "to")),
			       or_dash(str(g, "state")), sel, el);
		}
		if (num(g, "last_pause_ms", -1) >= 0)
			printf("    last flip paused the group %.0f ms\n",
			       num(g, "last_pause_ms", 0));
		if (str(g, "last_failure"))
			printf("    last flip failed: %s\n", str(g, "last_failure"));
		print_translation(cJSON_GetObjectItemCaseSensitive(g, "translation"));
	}
	if (!cJSON_GetArraySize(gs))
		printf("(no consumer group has talked through this turnout yet)\n");
}

static void print_mirror(const cJSON *st)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(st, "mirror");
	if (!cJSON_IsObject(m))
		return;
	printf("\nMIRROR (offset translation)  engine %s\n",
	       truthy(m, "engine_running") ? "running" : "NOT RUNNING");
	const cJSON *rs = cJSON_GetObjectItemCaseSensitive(m, "readers"), *r;
	cJSON_ArrayForEach(r, rs)
	{
		char age[32] = "-";
		if (num(r, "newest_record_age_seconds", -1) >= 0)
			duration(num(r, "newest_record_age_seconds", 0), age, sizeof(age));
		printf("  %-12s %-7s %-40s %s  records %.0f  newest %s old\n",
		       or_dash(str(r, "kind")), or_dash(str(r, "cluster")),
		       or_dash(str(r, "topic")), truthy(r, "ready") ? "read to end" : "catching up",
		       num(r, "records", 0), age);
	}
}

static void print_status(const cJSON *st)
{
	print_header(st);
	print_clusters(st);
	print_vbrokers(st);
	print_routes(st);
	print_groups(st);
	print_mirror(st);
}

static int status_once(const opts *o, int clear)
{
	int status = 0;
	char *body = NULL, err[512];
	if (admin_client_request(o->admin, "GET", "/status", o->token_file, o->timeout_s, &status,
	                         &body, err, sizeof(err))) {
		fprintf(stderr, "turnout status: %s\n", err);
		return 1;
	}
	int rc = 1;
	cJSON *st = NULL;
	if (status != 200) {
		fprintf(stderr, "turnout status: HTTP %d: %s", status, body);
		goto done;
	}
	if (o->json) {
		if (clear)
			printf("\033[H\033[2J");
		fputs(body, stdout);
		rc = 0;
		goto done;
	}
	st = cJSON_Parse(body);
	if (!cJSON_IsObject(st)) {
		fprintf(stderr, "turnout status: the answer is not a JSON object\n");
		goto done;
	}
	if (clear)
		printf("\033[H\033[2J");
	print_status(st);
	rc = 0;
done:
	fflush(stdout);
	cJSON_Delete(st);
	free(body);
	return rc;
}

int cmd_status(int argc, char **argv)
{
	opts o = {ADMIN_DEFAULT_ADDR, NULL, 0, 0, 5};
	for (int i = 1; i < argc; i++) {
		int k = parse_common(argc, argv, &i, &o, "status");
		if (k == -2)
			return 2;
		if (k == -1)
			continue;
		if (strcmp(argv[i], "--json") == 0) {
			o.json = 1;
		} else if (strcmp(argv[i], "--watch") == 0) {
			o.watch = 2;
			if (i + 1 < argc && argv[i + 1][0] != '-') {
				char *end;
				long s = strtol(argv[++i], &end, 10);
				if (*end || s < 1 || s > 3600) {
					fprintf(stderr,
					        "turnout status: --watch: 1..3600 seconds\n");
					return 2;
				}
				o.watch = (int)s;
			}
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			status_usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "turnout status: unknown argument %s\n", argv[i]);
			status_usage(stderr);
			return 2;
		}
	}
	if (!o.watch)
		return status_once(&o, 0);
	for (;;) { /* until interrupted; a failed poll is shown and retried */
		status_once(&o, isatty(STDOUT_FILENO));
		sleep((unsigned)o.watch);
	}
}

int cmd_reload(int argc, char **argv)
{
	opts o = {ADMIN_DEFAULT_ADDR, NULL, 0, 0, 30};
	for (int i = 1; i < argc; i++) {
		int k = parse_common(argc, argv, &i, &o, "reload");
		if (k == -2)
			return 2;
		if (k == -1)
			continue;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			reload_usage(stdout);
			return 0;
		}
		fprintf(stderr, "turnout reload: unknown argument %s\n", argv[i]);
		reload_usage(stderr);
		return 2;
	}
	int status = 0;
	char *body = NULL, err[512];
	if (admin_client_request(o.admin, "POST", "/reload", o.token_file, o.timeout_s, &status,
	                         &body, err, sizeof(err))) {
		fprintf(stderr, "turnout reload: %s\n", err);
		return 1;
	}
	cJSON *r = cJSON_Parse(body);
	int rc = 1;
	if (status == 200) {
		printf("turnout reload: applied %s (sha256 %.12s)\n", or_dash(str(r, "config")),
		       or_dash(str(r, "sha256")));
		rc = 0;
	} else if (status == 422) {
		fprintf(stderr, "turnout reload: rejected, running configuration kept: %s\n",
		        or_dash(str(r, "error")));
	} else {
		fprintf(stderr, "turnout reload: HTTP %d: %s", status, body);
	}
	cJSON_Delete(r);
	free(body);
	return rc;
}
