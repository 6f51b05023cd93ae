/*
 * `turnout inject -f FILE`: the webhook's mutation, offline. Reads a YAML
 * stream or a JSON document (a Pod, a workload with a pod template, or a
 * List of them), runs inject_pod on each pod (template) exactly as the
 * webhook would, applies the patch and writes the documents back in the
 * input's format; `-o patch` prints the JSONPatch of each injected object
 * instead, with paths from the object's root, ready for `kubectl patch
 * --type json`. One line per object on stderr says what happened.
 *
 *   read -> JSON or YAML -> docs[] -> each: find pod template -> inject_pod
 *        -> inject_apply (or collect the patch) -> write
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/commands.h"
#include "proxy/inject.h"
#include "proxy/yamljson.h"

#define MAX_INPUT (16u << 20)

typedef enum out_format { OUT_SAME, OUT_YAML, OUT_JSON, OUT_PATCH } out_format;

typedef struct run {
	inject_opts opts;
	const char *namespace; /* --namespace, else each object's own, else "default" */
	out_format format;
	cJSON *patches; /* OUT_PATCH: one patch per injected object */
	int injected, refused;
} run;

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: turnout inject -f FILE|- [options]\n\n"
	        "Shows what the injection webhook does to a manifest: Pods, workloads with a\n"
	        "pod template (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) and\n"
	        "Lists; other objects pass through unchanged. Exit status 1 when an object asked\n"
	        "for turnout (turnout.io/inject: \"true\") but could not get it.\n\n"
	        "  -f, --filename FILE      YAML (several documents allowed) or JSON; - is stdin\n"
	        "  -n, --namespace NS       namespace the pods are created in\n"
	        "  -o, --output FORMAT      yaml, json, or patch (default: the input's format)\n"
	        "  (--image defaults to turnout:%s)\n" INJECT_OPTS_USAGE,
	        TURNOUT_VERSION);
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "turnout inject: cannot open %s\n", path);
		return NULL;
	}
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		if (n + 1 == cap) {
			char *nb = cap >= MAX_INPUT ? NULL : realloc(buf, cap * 2);
			if (!nb) {
				fprintf(stderr, "turnout inject: %s: larger than %u MiB\n", path,
				        MAX_INPUT >> 20);
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0) {
			if (ferror(f)) {
				fprintf(stderr, "turnout inject: %s: read error\n", path);
				free(buf);
				buf = NULL;
			}
			break;
		}
	}
	if (f != stdin)
		fclose(f);
	if (buf) {
		buf[n] = '\0';
		*len = n;
	}
	return buf;
}

static const char *str_at(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);
	v = b ? cJSON_GetObjectItemCaseSensitive(v, b) : v;
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The pod (template) inside obj and its JSON Pointer, or NULL. */
static cJSON *pod_of(cJSON *obj, const char *kind, const char **pointer)
{
	static const char *const templated[] = {
	    "Deployment", "StatefulSet",           "DaemonSet", "ReplicaSet",
	    "Job",        "ReplicationController", NULL};
	if (strcmp(kind, "Pod") == 0) {
		*pointer = "";
		return obj;
	}
	cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
	if (strcmp(kind, "CronJob") == 0) {
		*pointer = "/spec/jobTemplate/spec/template";
		cJSON *jt = cJSON_GetObjectItemCaseSensitive(spec, "jobTemplate");
		return cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(jt, "spec"), "template");
	}
	for (const char *const *k = templated; *k; k++)
		if (strcmp(kind, *k) == 0) {
			*pointer = "/spec/template";
			return cJSON_GetObjectItemCaseSensitive(spec, "template");
		}
	return NULL;
}

/* Prefixes every op's path with pointer so the patch applies to the object. */
static int rebase(cJSON *patch, const char *pointer)
{
	cJSON *op;
	cJSON_ArrayForEach(op, patch)
	{
		cJSON *path = cJSON_GetObjectItemCaseSensitive(op, "path");
		size_t n = strlen(pointer) + strlen(path->valuestring) + 1;
		char *p = malloc(n);
		if (!p)
			return -1;
		snprintf(p, n, "%s%s", pointer, path->valuestring);
		cJSON *s = cJSON_CreateString(p);
		free(p);
		if (!s || !cJSON_ReplaceItemInObjectCaseSensitive(op, "path", s)) {
			cJSON_Delete(s);
			return -1;
		}
	}
	return 0;
}

static int process(run *r, cJSON *obj, int depth)
{
	const char *kind = str_at(obj, "kind", NULL);
	const char *name = str_at(obj, "metadata", "name");
	if (!name)
		name = str_at(obj, "metadata", "generateName");
	if (!kind) {
		fprintf(stderr, "turnout inject: a document without kind passes unchanged\n");
		return 0;
	}
	cJSON *items = cJSON_GetObjectItemCaseSensitive(obj, "items");
	if (depth == 0 && cJSON_IsArray(items) && strlen(kind) >= 4 &&
	    strcmp(kind + strlen(kind) - 4, "List") == 0) {
		cJSON *it;
		cJSON_ArrayForEach(it, items)
		{
			if (process(r, it, 1))
				return -1;
		}
		return 0;
	}
	const char *pointer;
	cJSON *pod = pod_of(obj, kind, &pointer);
	if (!pod) {
		fprintf(stderr, "turnout inject: %s/%s: no pod template, unchanged\n", kind,
		        name ? name : "-");
		return 0;
	}
	const char *ns = r->namespace ? r->namespace : str_at(obj, "metadata", "namespace");
	cJSON *patch;
	char why[256], err[256];
	inject_result res =
	    inject_pod(pod, ns ? ns : "default", &r->opts, &patch, why, sizeof(why));
	static const char *const words[] = {"injected", "skipped", "NOT injected", "failed"};
	fprintf(stderr, "turnout inject: %s/%s: %s: %s\n", kind, name ? name : "-", words[res],
	        why);
	if (res == INJECT_FAILED)
		return -1;
	if (res == INJECT_REFUSED)
		r->refused++;
	if (res != INJECT_PATCHED)
		return 0;
	r->injected++;
	if (r->format == OUT_PATCH) {
		if (rebase(patch, pointer) || !cJSON_AddItemToArray(r->patches, patch)) {
			cJSON_Delete(patch);
			return -1;
		}
		return 0;
	}
	int rc = inject_apply(pod, patch, err, sizeof(err));
	if (rc)
		fprintf(stderr, "turnout inject: %s/%s: %s\n", kind, name ? name : "-", err);
	cJSON_Delete(patch);
	return rc;
}

static int write_docs(const cJSON *docs, out_format f)
{
	char err[256];
	if (f == OUT_YAML) {
		char *y = yamljson_emit(docs, err, sizeof(err));
		if (!y) {
			fprintf(stderr, "turnout inject: %s\n", err);
			return -1;
		}
		fputs(y, stdout);
		free(y);
		return 0;
	}
	const cJSON *d;
	cJSON_ArrayForEach(d, docs)
	{
		char *t = f == OUT_PATCH ? cJSON_PrintUnformatted(d) : cJSON_Print(d);
		if (!t)
			return -1;
		puts(t);
		free(t);
	}
	return 0;
}

int cmd_inject(int argc, char **argv)
{
	run r;
	memset(&r, 0, sizeof(r));
	inject_opts_init(&r.opts, "turnout:" TURNOUT_VERSION);
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		char err[160];
		int k = inject_opts_flag(&r.opts, argc, argv, &i, err, sizeof(err));
		if (k < 0) {
			fprintf(stderr, "turnout inject: %s\n", err);
			return 2;
		}
		if (k > 0)
			continue;
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		}
		if (!v) {
			fprintf(stderr, "turnout inject: unknown argument or missing value: %s\n",
			        a);
			return 2;
		}
		i++;
		if (strcmp(a, "-f") == 0 || strcmp(a, "--filename") == 0) {
			path = v;
		} else if (strcmp(a, "-n") == 0 || strcmp(a, "--namespace") == 0) {
			r.namespace = v;
		} else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
			r.format = strcmp(v, "yaml") == 0    ? OUT_YAML
			           : strcmp(v, "json") == 0  ? OUT_JSON
			           : strcmp(v, "patch") == 0 ? OUT_PATCH
			                                     : (out_format)-1;
			if ((int)r.format < 0) {
				fprintf(stderr, "turnout inject: -o wants yaml, json or patch\n");
				return 2;
			}
		} else {
			fprintf(stderr, "turnout inject: unknown argument %s\n", a);
			return 2;
		}
	}
	if (!path || !r.opts.image || !*r.opts.image) {
		usage(stderr);
		return 2;
	}
	size_t len;
	char *text = read_all(path, &len);
	if (!text)
		return 1;
	const char *p = text;
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	int is_json = *p == '{';
	char err[256];
	cJSON *docs = NULL;
	if (is_json) {
		cJSON *root = cJSON_ParseWithLength(text, len);
		docs = root ? cJSON_CreateArray() : NULL;
		if (!root || !docs || !cJSON_AddItemToArray(docs, root)) {
			cJSON_Delete(root);
			snprintf(err, sizeof(err), "not valid JSON");
			cJSON_Delete(docs);
			docs = NULL;
		}
	} else {
		docs = yamljson_parse(text, len, err, sizeof(err));
	}
	free(text);
	if (!docs) {
		fprintf(stderr, "turnout inject: %s: %s\n", path, err);
		return 1;
	}
	if (r.format == OUT_SAME)
		r.format = is_json ? OUT_JSON : OUT_YAML;
	if (r.format == OUT_PATCH)
		r.patches = cJSON_CreateArray();
	int rc = r.format == OUT_PATCH && !r.patches ? 1 : 0;
	cJSON *d;
	cJSON_ArrayForEach(d, docs)
	{
		if (!rc && process(&r, d, 0))
			rc = 1;
	}
	if (!rc && write_docs(r.format == OUT_PATCH ? r.patches : docs, r.format))
		rc = 1;
	cJSON_Delete(r.patches);
	cJSON_Delete(docs);
	if (!rc && r.refused)
		rc = 1;
	return rc;
}
