/*
 * Sidecar injection core. Input: a Pod (as cJSON), the namespace it is
 * created in, and the injector's options. Output: a JSONPatch array, or a
 * reason for leaving the Pod alone. Nothing here does I/O, so the webhook,
 * `turnout inject` and the unit tests all run exactly this code.
 *
 *   opted in? (namespace, annotations, not yet injected)
 *     -> find the app's bootstrap env vars (turnout.io/bootstrap-env)
 *     -> patch: point each at 127.0.0.1:<listen_port>      (replace .../env/j)
 *               mount the route ConfigMap and any Secrets   (add /spec/volumes)
 *               add turnout, given the original value       (add .../initContainers/0)
 *               mark the Pod                                (add .../turnout.io~1status)
 *
 * The env replacements come first because they address containers by their
 * original index; inserting turnout at initContainers/0 shifts the others.
 * Every refusal (bad annotation, ambiguous bootstrap) leaves the Pod as it
 * was: a Pod without turnout still runs against its old cluster, while a Pod
 * with a broken turnout would not start at all.
 */
#include "proxy/inject.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_ENV_NAMES 16

void inject_opts_init(inject_opts *o, const char *image)
{
	memset(o, 0, sizeof(*o));
	o->image = image;
	o->mode = INJECT_MODE_NATIVE;
	o->listen_port = 9092;
	o->admin_port = 9644;
	o->cpu_request = "50m";
	o->mem_request = "32Mi";
	o->mem_limit = "256Mi";
}

int inject_opts_flag(inject_opts *o, int argc, char **argv, int *i, char *err, size_t errlen)
{
	static const char *const names[] = {"--image",       "--sidecar-mode",   "--pull-policy",
	                                    "--cpu-request", "--memory-request", "--memory-limit"};
	int which = -1;
	for (int k = 0; k < (int)(sizeof(names) / sizeof(names[0])); k++)
		if (strcmp(argv[*i], names[k]) == 0)
			which = k;
	if (which < 0)
		return 0;
	if (*i + 1 >= argc) {
		snprintf(err, errlen, "%s needs a value", names[which]);
		return -1;
	}
	const char *v = argv[++*i];
	const char *opt = *v ? v : NULL; /* '' omits a resource */
	switch (which) {
	case 0:
		o->image = v;
		break;
	case 1:
		if (strcmp(v, "native") == 0) {
			o->mode = INJECT_MODE_NATIVE;
		} else if (strcmp(v, "container") == 0) {
			o->mode = INJECT_MODE_CONTAINER;
		} else {
			snprintf(err, errlen, "--sidecar-mode must be native or container");
			return -1;
		}
		break;
	case 2:
		if (strcmp(v, "Always") && strcmp(v, "IfNotPresent") && strcmp(v, "Never")) {
			snprintf(err, errlen,
			         "--pull-policy must be Always, IfNotPresent or Never");
			return -1;
		}
		o->pull_policy = v;
		break;
	case 3:
		o->cpu_request = opt;
		break;
	case 4:
		o->mem_request = opt;
		break;
	default:
		o->mem_limit = opt;
		break;
	}
	return 1;
}

static inject_result say(inject_result r, char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static inject_result say(inject_result r, char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return r;
}

/* ---- building JSON: a sticky out-of-memory flag instead of a check per call ---- */

typedef struct jb {
	int oom;
} jb;

static cJSON *jb_put(jb *b, cJSON *parent, const char *key, cJSON *item)
{
	int ok =
	    item && parent &&
	    (key ? cJSON_AddItemToObject(parent, key, item) : cJSON_AddItemToArray(parent, item));
	if (!ok) {
		cJSON_Delete(item);
		b->oom = 1;
		return NULL;
	}
	return item;
}

static cJSON *jb_obj(jb *b, cJSON *parent, const char *key)
{
	return jb_put(b, parent, key, cJSON_CreateObject());
}

static cJSON *jb_arr(jb *b, cJSON *parent, const char *key)
{
	return jb_put(b, parent, key, cJSON_CreateArray());
}

static void jb_str(jb *b, cJSON *parent, const char *key, const char *v)
{
	jb_put(b, parent, key, cJSON_CreateString(v));
}

static void jb_num(jb *b, cJSON *parent, const char *key, double v)
{
	jb_put(b, parent, key, cJSON_CreateNumber(v));
}

static void jb_bool(jb *b, cJSON *parent, const char *key, int v)
{
	jb_put(b, parent, key, cJSON_CreateBool(v));
}

/* Appends {"op": op, "path": path, "value": value}; takes value. */
static void jb_op(jb *b, cJSON *patch, const char *op, const char *path, cJSON *value)
{
	cJSON *o = jb_obj(b, patch, NULL);
	if (!o) {
		cJSON_Delete(value);
		return;
	}
	jb_str(b, o, "op", op);
	jb_str(b, o, "path", path);
	jb_put(b, o, "value", value);
}

/* ---- reading the Pod ---- */

static const cJSON *get(const cJSON *o, const char *key)
{
	return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

static const char *get_str(const cJSON *o, const char *key)
{
	const cJSON *v = get(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const char *annotation(const cJSON *pod, const char *key)
{
	return get_str(get(get(pod, "metadata"), "annotations"), key);
}

int inject_pointer_escape(const char *s, char *out, size_t outlen)
{
	size_t n = 0;
	for (; *s; s++) {
		const char *rep = *s == '~' ? "~0" : *s == '/' ? "~1" : NULL;
		size_t k = rep ? 2 : 1;
		if (n + k >= outlen)
			return -1;
		if (rep) {
			out[n++] = rep[0];
			out[n++] = rep[1];
		} else {
			out[n++] = *s;
		}
	}
	if (n >= outlen)
		return -1;
	out[n] = '\0';
	return 0;
}

/* Kubernetes' env var name rule (IsEnvVarName): [-._a-zA-Z][-._a-zA-Z0-9]*. */
static int env_name_ok(const char *s, size_t len)
{
	if (len == 0 || len > 128 || isdigit((unsigned char)s[0]))
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-._", s[i]))
			return 0;
	return 1;
}

/* A ConfigMap name: an RFC 1123 subdomain. */
static int dns_subdomain_ok(const char *s)
{
	size_t len = strlen(s);
	if (len == 0 || len > 253 || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[len - 1]))
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-' ||
		      s[i] == '.'))
			return 0;
	return 1;
}

typedef struct env_list {
	char names[MAX_ENV_NAMES][129];
	int count;
} env_list;

/* Splits "A, B,C" into names; -1 if any is not a valid env var name. */
static int parse_env_list(const char *s, env_list *l)
{
	l->count = 0;
	while (*s) {
		while (*s == ' ' || *s == ',')
			s++;
		const char *start = s;
		while (*s && *s != ',' && *s != ' ')
			s++;
		size_t len = (size_t)(s - start);
		if (!len)
			continue;
		if (!env_name_ok(start, len) || l->count == MAX_ENV_NAMES)
			return -1;
		memcpy(l->names[l->count], start, len);
		l->names[l->count][len] = '\0';
		l->count++;
	}
	return l->count ? 0 : -1;
}

/* turnout.io/secrets: Secret names, each mounted at INJECT_SECRET_DIR/<name>. */
typedef struct secret_list {
	char names[INJECT_MAX_SECRETS][254];
	int count;
} secret_list;

/* turnout.io/secret-env: VAR=secret/key, a sidecar env var from a Secret key. */
typedef struct secret_env {
	struct {
		char var[129];
		char secret[254];
		char key[254];
	} e[INJECT_MAX_SECRETS];
	int count;
} secret_env;

/* A Secret data key: [-._a-zA-Z0-9]+, at most 253 characters. */
static int secret_key_ok(const char *s)
{
	size_t len = strlen(s);
	if (len == 0 || len > 253)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-._", *s))
			return 0;
	return 1;
}

/* strlcpy: copies what fits of src, always terminated. */
static void copy_str(char *dst, size_t dstlen, const char *src)
{
	size_t n = strlen(src);
	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * Next comma-separated item of *s, spaces trimmed, into out. Returns its
 * length (0 for an empty item), -1 when it does not fit, and -2 at the end.
 */
static int next_item(const char **s, char *out, size_t outlen)
{
	const char *p = *s;
	if (!*p)
		return -2;
	const char *end = strchr(p, ',');
	if (!end)
		end = p + strlen(p);
	*s = *end ? end + 1 : end;
	while (p < end && *p == ' ')
		p++;
	while (end > p && end[-1] == ' ')
		end--;
	size_t len = (size_t)(end - p);
	if (len >= outlen)
		return -1;
	memcpy(out, p, len);
	out[len] = '\0';
	return (int)len;
}

/* Fills l from "a, b,c"; returns 0, or -1 with the offending item in bad. */
static int parse_secrets(const char *s, secret_list *l, char *bad, size_t badlen)
{
	char item[300];
	int n;
	l->count = 0;
	copy_str(bad, badlen, s);
	while ((n = next_item(&s, item, sizeof(item))) != -2) {
		if (n == 0)
			continue;
		copy_str(bad, badlen, n < 0 ? "(a name over 253 characters)" : item);
		if (n < 0 || !dns_subdomain_ok(item) || l->count == INJECT_MAX_SECRETS)
			return -1;
		for (int i = 0; i < l->count; i++)
			if (strcmp(l->names[i], item) == 0)
				return -1;
		copy_str(l->names[l->count++], sizeof(l->names[0]), item);
	}
	return l->count ? 0 : -1;
}

/* Fills l from "VAR=secret/key, ..."; returns 0, or -1 with the item in bad. */
static int parse_secret_env(const char *s, secret_env *l, char *bad, size_t badlen)
{
	char item[700];
	int n;
	l->count = 0;
	copy_str(bad, badlen, s);
	while ((n = next_item(&s, item, sizeof(item))) != -2) {
		if (n == 0)
			continue;
		copy_str(bad, badlen, n < 0 ? "(an item over 700 characters)" : item);
		if (n < 0 || l->count == INJECT_MAX_SECRETS)
			return -1;
		char *eq = strchr(item, '=');
		char *slash = eq ? strchr(eq + 1, '/') : NULL;
		if (!slash)
			return -1;
		*eq = *slash = '\0';
		const char *var = item, *secret = eq + 1, *key = slash + 1;
		if (!env_name_ok(var, strlen(var)) || strcmp(var, INJECT_BOOTSTRAP_ENV) == 0 ||
		    !dns_subdomain_ok(secret) || !secret_key_ok(key))
			return -1;
		for (int i = 0; i < l->count; i++)
			if (strcmp(l->e[i].var, var) == 0)
				return -1;
		/* lengths were checked above: 128, 253, 253 */
		copy_str(l->e[l->count].var, sizeof(l->e[0].var), var);
		copy_str(l->e[l->count].secret, sizeof(l->e[0].secret), secret);
		copy_str(l->e[l->count].key, sizeof(l->e[0].key), key);
		l->count++;
	}
	return l->count ? 0 : -1;
}

static int env_listed(const env_list *l, const char *name)
{
	for (int i = 0; i < l->count; i++)
		if (strcmp(l->names[i], name) == 0)
			return 1;
	return 0;
}

static int has_container(const cJSON *arr, const char *name)
{
	const cJSON *c;
	cJSON_ArrayForEach(c, arr)
	{
		const char *n = get_str(c, "name");
		if (n && strcmp(n, name) == 0)
			return 1;
	}
	return 0;
}

/* Same source: both literal and equal, or both valueFrom and equal. */
static int env_same_source(const cJSON *a, const cJSON *b)
{
	const cJSON *va = get(a, "value"), *vb = get(b, "value");
	const cJSON *fa = get(a, "valueFrom"), *fb = get(b, "valueFrom");
	if ((va == NULL) != (vb == NULL) || (fa == NULL) != (fb == NULL))
		return 0;
	return (!va || cJSON_Compare(va, vb, 1)) && (!fa || cJSON_Compare(fa, fb, 1));
}

typedef struct scan {
	const env_list *names;
	const cJSON *source; /* the first env entry found: what turnout is given */
	const char *source_var;
	int conflict;
	int loopback; /* a listed var already points at turnout's own address */
	char loop_addr[64];
} scan;

/* Looks at every listed env var of every container in arr. */
static void scan_containers(scan *s, const cJSON *arr)
{
	const cJSON *c, *e;
	cJSON_ArrayForEach(c, arr)
	{
		cJSON_ArrayForEach(e, get(c, "env"))
		{
			const char *name = get_str(e, "name");
			if (!name || !env_listed(s->names, name))
				continue;
			const char *v = get_str(e, "value");
			if (v && (strcmp(v, s->loop_addr) == 0 ||
			          (strncmp(v, "localhost:", 10) == 0 &&
			           strcmp(v + 10, strchr(s->loop_addr, ':') + 1) == 0)))
				s->loopback = 1;
			if (!s->source) {
				s->source = e;
				s->source_var = name;
			} else if (!env_same_source(s->source, e)) {
				s->conflict = 1;
			}
		}
	}
}

/* Emits a replace for each listed env var in arr ("/spec/<field>/i/env/j"). */
static int rewrite_env(jb *b, cJSON *patch, const cJSON *arr, const char *field,
                       const env_list *names, const char *addr)
{
	int count = 0, i = 0;
	const cJSON *c;
	cJSON_ArrayForEach(c, arr)
	{
		int j = 0;
		const cJSON *e;
		cJSON_ArrayForEach(e, get(c, "env"))
		{
			const char *name = get_str(e, "name");
			if (name && env_listed(names, name)) {
				char path[96];
				snprintf(path, sizeof(path), "/spec/%s/%d/env/%d", field, i, j);
				cJSON *v = cJSON_CreateObject();
				jb_str(b, v, "name", name);
				jb_str(b, v, "value", addr);
				jb_op(b, patch, "replace", path, v);
				count++;
			}
			j++;
		}
		i++;
	}
	return count;
}

static cJSON *exec_probe(jb *b, const char *url, int period, int timeout, int failures)
{
	cJSON *p = cJSON_CreateObject();
	if (!p) {
		b->oom = 1;
		return NULL;
	}
	cJSON *cmd = jb_arr(b, jb_obj(b, p, "exec"), "command");
	jb_str(b, cmd, NULL, INJECT_BINARY);
	jb_str(b, cmd, NULL, "healthcheck");
	jb_str(b, cmd, NULL, "--url");
	jb_str(b, cmd, NULL, url);
	jb_num(b, p, "periodSeconds", period);
	jb_num(b, p, "timeoutSeconds", timeout);
	jb_num(b, p, "failureThreshold", failures);
	return p;
}

/*
 * The turnout container. Probes run `turnout healthcheck` inside the
 * container so the admin server can stay on 127.0.0.1 (the kubelet's
 * httpGet probes come from outside the pod's loopback) and the image needs
 * no shell or curl.
 */
static cJSON *build_sidecar(jb *b, const inject_opts *o, const char *flag, const cJSON *source,
                            const secret_list *secrets, const secret_env *senv)
{
	char url_ready[96], url_live[96];
	snprintf(url_ready, sizeof(url_ready), "http://127.0.0.1:%d/readyz", o->admin_port);
	snprintf(url_live, sizeof(url_live), "http://127.0.0.1:%d/healthz", o->admin_port);
	cJSON *c = cJSON_CreateObject();
	if (!c) {
		b->oom = 1;
		return NULL;
	}
	jb_str(b, c, "name", INJECT_SIDECAR_NAME);
	jb_str(b, c, "image", o->image);
	if (o->pull_policy)
		jb_str(b, c, "imagePullPolicy", o->pull_policy);
	cJSON *cmd = jb_arr(b, c, "command");
	jb_str(b, cmd, NULL, INJECT_BINARY);
	cJSON *args = jb_arr(b, c, "args");
	jb_str(b, args, NULL, "run");
	jb_str(b, args, NULL, "--config");
	jb_str(b, args, NULL, INJECT_CONFIG_DIR "/" INJECT_CONFIG_KEY);
	jb_str(b, args, NULL, flag);
	jb_str(b, args, NULL, "$(" INJECT_BOOTSTRAP_ENV ")"); /* expanded by the kubelet */

	/* the app's own entry, renamed: a literal value or a secret/configMap ref */
	cJSON *env = jb_arr(b, c, "env");
	cJSON *ev = jb_obj(b, env, NULL);
	jb_str(b, ev, "name", INJECT_BOOTSTRAP_ENV);
	const cJSON *v = get(source, "value"), *vf = get(source, "valueFrom");
	if (vf)
		jb_put(b, ev, "valueFrom", cJSON_Duplicate(vf, 1));
	else
		jb_str(b, ev, "value", cJSON_IsString(v) ? v->valuestring : "");
	/* password_env and AWS keys the route config relies on */
	for (int i = 0; i < senv->count; i++) {
		cJSON *se = jb_obj(b, env, NULL);
		jb_str(b, se, "name", senv->e[i].var);
		cJSON *ref = jb_obj(b, jb_obj(b, se, "valueFrom"), "secretKeyRef");
		jb_str(b, ref, "name", senv->e[i].secret);
		jb_str(b, ref, "key", senv->e[i].key);
	}

	if (o->mode == INJECT_MODE_NATIVE) {
		jb_str(b, c, "restartPolicy", "Always");
	} else {
		/* The kubelet starts containers in order and waits for each one's
		 * postStart hook, so blocking here holds the app until turnout is
		 * ready. */
		cJSON *hook = jb_obj(b, jb_obj(b, c, "lifecycle"), "postStart");
		cJSON *hc = jb_arr(b, jb_obj(b, hook, "exec"), "command");
		jb_str(b, hc, NULL, INJECT_BINARY);
		jb_str(b, hc, NULL, "healthcheck");
		jb_str(b, hc, NULL, "--url");
		jb_str(b, hc, NULL, url_ready);
		jb_str(b, hc, NULL, "--wait");
		jb_str(b, hc, NULL, "120");
	}
	jb_put(b, c, "startupProbe", exec_probe(b, url_ready, 1, 3, 120));
	jb_put(b, c, "livenessProbe", exec_probe(b, url_live, 10, 3, 3));

	if (o->cpu_request || o->mem_request || o->mem_limit) {
		cJSON *res = jb_obj(b, c, "resources");
		if (o->cpu_request || o->mem_request) {
			cJSON *req = jb_obj(b, res, "requests");
			if (o->cpu_request)
				jb_str(b, req, "cpu", o->cpu_request);
			if (o->mem_request)
				jb_str(b, req, "memory", o->mem_request);
		}
		if (o->mem_limit)
			jb_str(b, jb_obj(b, res, "limits"), "memory", o->mem_limit);
	}
	cJSON *sc = jb_obj(b, c, "securityContext");
	jb_bool(b, sc, "runAsNonRoot", 1);
	jb_num(b, sc, "runAsUser", 65532);
	jb_num(b, sc, "runAsGroup", 65532);
	jb_bool(b, sc, "readOnlyRootFilesystem", 1);
	jb_bool(b, sc, "allowPrivilegeEscalation", 0);
	jb_str(b, jb_arr(b, jb_obj(b, sc, "capabilities"), "drop"), NULL, "ALL");
	jb_str(b, jb_obj(b, sc, "seccompProfile"), "type", "RuntimeDefault");

	cJSON *mounts = jb_arr(b, c, "volumeMounts");
	cJSON *vm = jb_obj(b, mounts, NULL);
	jb_str(b, vm, "name", INJECT_VOLUME);
	jb_str(b, vm, "mountPath", INJECT_CONFIG_DIR);
	jb_bool(b, vm, "readOnly", 1);
	/* files the route config names (tls.*_file, sasl.password_file) */
	for (int i = 0; i < secrets->count; i++) {
		char name[32], dir[300];
		snprintf(name, sizeof(name), INJECT_SECRET_VOLUME "%d", i);
		snprintf(dir, sizeof(dir), INJECT_SECRET_DIR "/%s", secrets->names[i]);
		vm = jb_obj(b, mounts, NULL);
		jb_str(b, vm, "name", name);
		jb_str(b, vm, "mountPath", dir);
		jb_bool(b, vm, "readOnly", 1);
	}
	return c;
}

static int volume_taken(const cJSON *spec, const char *name)
{
	const cJSON *vol;
	cJSON_ArrayForEach(vol, get(spec, "volumes"))
	{
		const char *n = get_str(vol, "name");
		if (n && strcmp(n, name) == 0)
			return 1;
	}
	return 0;
}

/* Checks that do not depend on the Pod's containers. */
static inject_result opted_in(const cJSON *pod, const char *ns, const inject_opts *o, char *why,
                              size_t whylen)
{
	if (!cJSON_IsObject(pod) || !cJSON_IsObject(get(pod, "spec")))
		return say(INJECT_SKIPPED, why, whylen, "not a pod (no spec)");
	if (ns && strcmp(ns, "kube-system") == 0)
		return say(INJECT_SKIPPED, why, whylen, "namespace kube-system is never injected");
	if (ns && o->self_namespace && strcmp(ns, o->self_namespace) == 0)
		return say(INJECT_SKIPPED, why, whylen, "namespace %.64s is turnout's own", ns);
	const char *want = annotation(pod, INJECT_ANN_INJECT);
	if (!want || strcasecmp(want, "true") != 0)
		return say(INJECT_SKIPPED, why, whylen, "not annotated %s=true", INJECT_ANN_INJECT);
	const char *status = annotation(pod, INJECT_ANN_STATUS);
	if (status && strcmp(status, "injected") == 0)
		return say(INJECT_SKIPPED, why, whylen, "already injected");
	const cJSON *spec = get(pod, "spec");
	if (has_container(get(spec, "containers"), INJECT_SIDECAR_NAME) ||
	    has_container(get(spec, "initContainers"), INJECT_SIDECAR_NAME))
		return say(INJECT_SKIPPED, why, whylen, "already has a container named %s",
		           INJECT_SIDECAR_NAME);
	if (cJSON_GetArraySize(get(spec, "containers")) < 1)
		return say(INJECT_SKIPPED, why, whylen, "not a pod (no containers)");
	if (cJSON_IsTrue(get(spec, "hostNetwork")))
		return say(
		    INJECT_REFUSED, why, whylen,
		    "hostNetwork pods share the node's 127.0.0.1: turnout's ports would collide");
	if (volume_taken(spec, INJECT_VOLUME))
		return say(INJECT_REFUSED, why, whylen, "a volume named %s already exists",
		           INJECT_VOLUME);
	return INJECT_PATCHED;
}

inject_result inject_pod(const cJSON *pod, const char *ns, const inject_opts *o, cJSON **patch,
                         char *why, size_t whylen)
{
	*patch = NULL;
	inject_result r = opted_in(pod, ns, o, why, whylen);
	if (r != INJECT_PATCHED)
		return r;
	const cJSON *spec = get(pod, "spec");
	const cJSON *containers = get(spec, "containers");
	const cJSON *inits = get(spec, "initContainers");

	const char *cm = annotation(pod, INJECT_ANN_CONFIG);
	if (!cm)
		return say(INJECT_REFUSED, why, whylen,
		           "annotation %s (the route ConfigMap) is missing", INJECT_ANN_CONFIG);
	if (!dns_subdomain_ok(cm))
		return say(INJECT_REFUSED, why, whylen, "annotation %s: not a ConfigMap name",
		           INJECT_ANN_CONFIG);
	const char *cluster = annotation(pod, INJECT_ANN_CLUSTER);
	const char *flag = "--legacy-bootstrap";
	if (cluster && strcmp(cluster, "target") == 0)
		flag = "--target-bootstrap";
	else if (cluster && strcmp(cluster, "legacy") != 0)
		return say(INJECT_REFUSED, why, whylen, "annotation %s must be legacy or target",
		           INJECT_ANN_CLUSTER);
	const char *env_ann = annotation(pod, INJECT_ANN_ENV);
	env_list names;
	if (parse_env_list(env_ann ? env_ann : INJECT_DEFAULT_ENV, &names))
		return say(INJECT_REFUSED, why, whylen,
		           "annotation %s: want 1-%d env var names separated by commas",
		           INJECT_ANN_ENV, MAX_ENV_NAMES);

	/* Secrets for the route config's credentials (see README, Secrets) */
	secret_list secrets = {0};
	secret_env senv = {0};
	char bad[80];
	const char *sec_ann = annotation(pod, INJECT_ANN_SECRETS);
	if (sec_ann && parse_secrets(sec_ann, &secrets, bad, sizeof(bad)))
		return say(INJECT_REFUSED, why, whylen,
		           "annotation %s: want 1-%d distinct Secret names separated by commas, "
		           "not '%.64s'",
		           INJECT_ANN_SECRETS, INJECT_MAX_SECRETS, bad);
	const char *senv_ann = annotation(pod, INJECT_ANN_SECENV);
	if (senv_ann && parse_secret_env(senv_ann, &senv, bad, sizeof(bad)))
		return say(INJECT_REFUSED, why, whylen,
		           "annotation %s: want 1-%d distinct VAR=secret/key items separated by "
		           "commas, not '%.64s'",
		           INJECT_ANN_SECENV, INJECT_MAX_SECRETS, bad);
	for (int i = 0; i < secrets.count; i++) {
		char vname[32];
		snprintf(vname, sizeof(vname), INJECT_SECRET_VOLUME "%d", i);
		if (volume_taken(spec, vname))
			return say(INJECT_REFUSED, why, whylen, "a volume named %s already exists",
			           vname);
	}

	scan s = {.names = &names};
	snprintf(s.loop_addr, sizeof(s.loop_addr), "127.0.0.1:%d", o->listen_port);
	scan_containers(&s, containers);
	if (o->mode == INJECT_MODE_NATIVE) /* later init containers start after turnout */
		scan_containers(&s, inits);
	if (!s.source)
		return say(INJECT_REFUSED, why, whylen,
		           "no container sets %s%s in env (envFrom is not read)", names.names[0],
		           names.count > 1 ? " or the other listed variables" : "");
	if (s.conflict)
		return say(
		    INJECT_REFUSED, why, whylen,
		    "containers give different bootstrap values; one turnout cannot serve both");
	if (s.loopback)
		return say(INJECT_REFUSED, why, whylen, "%s already points at %s", s.source_var,
		           s.loop_addr);

	jb b = {0};
	cJSON *p = cJSON_CreateArray();
	if (!p)
		return say(INJECT_FAILED, why, whylen, "out of memory");
	int rewritten = rewrite_env(&b, p, containers, "containers", &names, s.loop_addr);
	if (o->mode == INJECT_MODE_NATIVE)
		rewritten += rewrite_env(&b, p, inits, "initContainers", &names, s.loop_addr);

	cJSON *vols = cJSON_CreateArray(); /* the route ConfigMap, then each Secret */
	cJSON *vol = jb_obj(&b, vols, NULL);
	jb_str(&b, vol, "name", INJECT_VOLUME);
	jb_str(&b, jb_obj(&b, vol, "configMap"), "name", cm);
	for (int i = 0; i < secrets.count; i++) {
		char vname[32];
		snprintf(vname, sizeof(vname), INJECT_SECRET_VOLUME "%d", i);
		vol = jb_obj(&b, vols, NULL);
		jb_str(&b, vol, "name", vname);
		jb_str(&b, jb_obj(&b, vol, "secret"), "secretName", secrets.names[i]);
	}
	if (!vols) {
		b.oom = 1;
	} else if (cJSON_IsArray(get(spec, "volumes"))) {
		while (cJSON_GetArraySize(vols) > 0)
			jb_op(&b, p, "add", "/spec/volumes/-", cJSON_DetachItemFromArray(vols, 0));
		cJSON_Delete(vols);
	} else {
		/* an absent (or null) array must be created whole */
		jb_op(&b, p, "add", "/spec/volumes", vols);
	}

	cJSON *side = build_sidecar(&b, o, flag, s.source, &secrets, &senv);
	if (o->mode == INJECT_MODE_CONTAINER) {
		jb_op(&b, p, "add", "/spec/containers/0", side);
	} else if (cJSON_IsArray(inits)) {
		jb_op(&b, p, "add", "/spec/initContainers/0", side);
	} else {
		cJSON *arr = cJSON_CreateArray();
		jb_put(&b, arr, NULL, side);
		jb_op(&b, p, "add", "/spec/initContainers", arr);
	}

	char path[128] = "/metadata/annotations/";
	inject_pointer_escape(INJECT_ANN_STATUS, path + strlen(path), sizeof(path) - strlen(path));
	jb_op(&b, p, "add", path, cJSON_CreateString("injected"));
	if (b.oom) {
		cJSON_Delete(p);
		return say(INJECT_FAILED, why, whylen, "out of memory");
	}
	*patch = p;
	return say(INJECT_PATCHED, why, whylen,
	           "%d env var(s) -> %s, %s from %s, %d secret volume(s), %d secret env var(s)",
	           rewritten, s.loop_addr, flag + 2, s.source_var, secrets.count, senv.count);
}

/* ---- applying a patch (previews and tests) ---- */

/* Next reference token of pointer *p into tok, unescaped; advances *p. */
static int next_token(const char **p, char *tok, size_t toklen)
{
	const char *s = *p;
	if (*s != '/')
		return -1;
	s++;
	size_t n = 0;
	while (*s && *s != '/') {
		char ch = *s++;
		if (ch == '~') {
			if (*s == '0')
				ch = '~';
			else if (*s == '1')
				ch = '/';
			else
				return -1;
			s++;
		}
		if (n + 1 >= toklen)
			return -1;
		tok[n++] = ch;
	}
	tok[n] = '\0';
	*p = s;
	return 0;
}

/* An array index: digits, no leading zero; -1 otherwise. */
static int array_index(const char *tok)
{
	size_t len = strlen(tok);
	if (!len || len > 9 || (len > 1 && tok[0] == '0'))
		return -1;
	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char)tok[i]))
			return -1;
	return atoi(tok);
}

static int apply_one(cJSON *doc, const char *op, const char *path, const cJSON *value, char *err,
                     size_t errlen)
{
	int add = strcmp(op, "add") == 0;
	if (!add && strcmp(op, "replace") != 0) {
		snprintf(err, errlen, "unsupported op %.32s", op);
		return -1;
	}
	char tok[256];
	cJSON *cur = doc;
	const char *p = path;
	if (next_token(&p, tok, sizeof(tok)))
		goto bad;
	while (*p) { /* walk to the parent of the last token */
		if (cJSON_IsArray(cur)) {
			int i = array_index(tok);
			cur = i < 0 ? NULL : cJSON_GetArrayItem(cur, i);
		} else {
			cur =
			    cJSON_IsObject(cur) ? cJSON_GetObjectItemCaseSensitive(cur, tok) : NULL;
		}
		if (!cur || next_token(&p, tok, sizeof(tok)))
			goto bad;
	}
	cJSON *v = cJSON_Duplicate(value, 1);
	if (!v) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (cJSON_IsObject(cur)) {
		int exists = cJSON_GetObjectItemCaseSensitive(cur, tok) != NULL;
		if (exists ? cJSON_ReplaceItemInObjectCaseSensitive(cur, tok, v)
		           : add && cJSON_AddItemToObject(cur, tok, v))
			return 0;
	} else if (cJSON_IsArray(cur)) {
		int size = cJSON_GetArraySize(cur);
		int i = strcmp(tok, "-") == 0 ? (add ? size : -1) : array_index(tok);
		if (add && i >= 0 && i <= size && cJSON_InsertItemInArray(cur, i, v))
			return 0;
		if (!add && i >= 0 && i < size && cJSON_ReplaceItemInArray(cur, i, v))
			return 0;
	}
	cJSON_Delete(v);
bad:
	snprintf(err, errlen, "%s %.100s: no such location", op, path);
	return -1;
}

int inject_apply(cJSON *doc, const cJSON *patch, char *err, size_t errlen)
{
	const cJSON *o;
	if (!cJSON_IsArray(patch)) {
		snprintf(err, errlen, "patch is not an array");
		return -1;
	}
	cJSON_ArrayForEach(o, patch)
	{
		const char *op = get_str(o, "op"), *path = get_str(o, "path");
		const cJSON *value = get(o, "value");
		if (!op || !path || !value) {
			snprintf(err, errlen, "operation without op, path or value");
			return -1;
		}
		if (apply_one(doc, op, path, value, err, errlen))
			return -1;
	}
	return 0;
}
