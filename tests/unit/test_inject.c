/*
 * Sidecar injection: the mutation core (decisions, patch shape, JSON
 * Pointer escaping, applying), the AdmissionReview envelope, the YAML
 * reader/writer behind `turnout inject`, and the run command's config
 * overrides. Pods are written with single quotes for legibility.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxy/config_source.h"
#include "proxy/inject.h"
#include "proxy/inject_review.h"
#include "proxy/yamljson.h"
#include "tests/unit/check.h"

/* Parses JSON written with ' for ". */
static cJSON *q(const char *text)
{
	char *t = strdup(text);
	for (char *p = t; *p; p++)
		if (*p == '\'')
			*p = '"';
	cJSON *j = cJSON_Parse(t);
	if (!j)
		fprintf(stderr, "  bad test JSON: %s\n", t);
	free(t);
	return j;
}

static const cJSON *at(const cJSON *doc, const char *pointer)
{
	char tok[128];
	const cJSON *cur = doc;
	while (cur && *pointer == '/') {
		pointer++;
		size_t n = strcspn(pointer, "/");
		memcpy(tok, pointer, n);
		tok[n] = '\0';
		pointer += n;
		cur = cJSON_IsArray(cur) ? cJSON_GetArrayItem(cur, atoi(tok))
		                         : cJSON_GetObjectItemCaseSensitive(cur, tok);
	}
	return cur;
}

static const char *str(const cJSON *doc, const char *pointer)
{
	const cJSON *v = at(doc, pointer);
	return cJSON_IsString(v) ? v->valuestring : "(none)";
}

#define ANN_OK     "'annotations': {'turnout.io/inject': 'true', 'turnout.io/config': 'orders-routes'}"
#define APP_ENV(v) "{'name': 'app', 'env': [{'name': 'X', 'value': '1'}, " v "]}"
#define BOOT       "{'name': 'KAFKA_BOOTSTRAP_SERVERS', 'value': 'k1:9092,k2:9092'}"

static inject_opts opts(void)
{
	inject_opts o;
	inject_opts_init(&o, "reg/turnout:1");
	o.self_namespace = "turnout";
	return o;
}

/* Injects pod and applies the patch; returns the result, pod is patched. */
static inject_result run(cJSON *pod, const char *ns, const inject_opts *o, char *why, size_t whylen,
                         int *ops)
{
	cJSON *patch = NULL;
	inject_result r = inject_pod(pod, ns, o, &patch, why, whylen);
	*ops = patch ? cJSON_GetArraySize(patch) : 0;
	if (patch) {
		char err[160];
		int rc = inject_apply(pod, patch, err, sizeof(err));
		CHECKF(rc == 0, "apply: %s", err);
	}
	cJSON_Delete(patch);
	return r;
}

static void test_pointer_escape(void)
{
	char out[64];
	CHECK(inject_pointer_escape("turnout.io/status", out, sizeof(out)) == 0);
	CHECK(strcmp(out, "turnout.io~1status") == 0);
	CHECK(inject_pointer_escape("a~b/c~/", out, sizeof(out)) == 0);
	CHECK(strcmp(out, "a~0b~1c~0~1") == 0);
	CHECK(inject_pointer_escape("abcd", out, 4) == -1);
	CHECK(inject_pointer_escape("a/", out, 3) == -1);
}

static void test_native_fresh_pod(void)
{
	cJSON *pod = q("{'metadata': {'name': 'p', " ANN_OK "}, 'spec': {'containers': [" APP_ENV(
	    BOOT) ", {'name': 'b', 'image': 'b'}]}}");
	inject_opts o = opts();
	char why[256];
	int ops;
	CHECK(run(pod, "shop", &o, why, sizeof(why), &ops) == INJECT_PATCHED);
	CHECK(ops == 4);
	CHECK(strcmp(str(pod, "/spec/containers/0/env/1/value"), "127.0.0.1:9092") == 0);
	CHECK(at(pod, "/spec/containers/0/env/1/valueFrom") == NULL);
	CHECK(strcmp(str(pod, "/spec/containers/0/env/0/value"), "1") == 0);
	CHECK(cJSON_GetArraySize(at(pod, "/spec/initContainers")) == 1);
	CHECK(strcmp(str(pod, "/spec/initContainers/0/name"), "turnout") == 0);
	CHECK(strcmp(str(pod, "/spec/initContainers/0/image"), "reg/turnout:1") == 0);
	CHECK(strcmp(str(pod, "/spec/initContainers/0/restartPolicy"), "Always") == 0);
	CHECK(strcmp(str(pod, "/spec/initContainers/0/env/0/name"), "TURNOUT_BOOTSTRAP") == 0);
	CHECK(strcmp(str(pod, "/spec/initContainers/0/env/0/value"), "k1:9092,k2:9092") == 0);
	CHECK(strcmp(str(pod, "/spec/initContainers/0/args/3"), "--legacy-bootstrap") == 0);
	CHECK(strcmp(str(pod, "/spec/initContainers/0/args/4"), "$(TURNOUT_BOOTSTRAP)") == 0);
	CHECK(strcmp(str(pod, "/spec/initContainers/0/startupProbe/exec/command/3"),
	             "http://127.0.0.1:9644/readyz") == 0);
	CHECK(
	    cJSON_IsTrue(at(pod, "/spec/initContainers/0/securityContext/readOnlyRootFilesystem")));
	CHECK(strcmp(str(pod, "/spec/initContainers/0/volumeMounts/0/mountPath"), "/etc/turnout") ==
	      0);
	CHECK(strcmp(str(pod, "/spec/volumes/0/configMap/name"), "orders-routes") == 0);
	const cJSON *ann = at(pod, "/metadata/annotations");
	CHECK(strcmp(cJSON_GetObjectItemCaseSensitive(ann, "turnout.io/status")->valuestring,
	             "injected") == 0);

	/* a second pass (the webhook is reinvoked, or the preview is re-run) */
	char *before = cJSON_PrintUnformatted(pod);
	CHECK(run(pod, "shop", &o, why, sizeof(why), &ops) == INJECT_SKIPPED && ops == 0);
	CHECK(strstr(why, "already injected") != NULL);
	char *after = cJSON_PrintUnformatted(pod);
	CHECK(strcmp(before, after) == 0);
	free(before);
	free(after);
	cJSON_Delete(pod);
}

static void test_native_existing_init_and_volumes(void)
{
	cJSON *pod = q("{'metadata': {" ANN_OK "}, 'spec': {"
	               "'initContainers': [{'name': 'migrate', 'env': [" BOOT "]}],"
	               "'volumes': [{'name': 'data', 'emptyDir': {}}],"
	               "'containers': [" APP_ENV(BOOT) "]}}");
	inject_opts o = opts();
	cJSON *patch;
	char why[256], err[160];
	CHECK(inject_pod(pod, "shop", &o, &patch, why, sizeof(why)) == INJECT_PATCHED);
	CHECK(strcmp(str(patch, "/0/path"), "/spec/containers/0/env/1") == 0);
	CHECK(strcmp(str(patch, "/1/path"), "/spec/initContainers/0/env/0") == 0);
	CHECK(strcmp(str(patch, "/2/path"), "/spec/volumes/-") == 0);
	CHECK(strcmp(str(patch, "/3/path"), "/spec/initContainers/0") == 0);
	CHECK(strcmp(str(patch, "/4/path"), "/metadata/annotations/turnout.io~1status") == 0);
	CHECK(inject_apply(pod, patch, err, sizeof(err)) == 0);
	cJSON_Delete(patch);
	CHECK(strcmp(str(pod, "/spec/initContainers/0/name"), "turnout") == 0);
	CHECK(strcmp(str(pod, "/spec/initContainers/1/name"), "migrate") == 0);
	CHECK(strcmp(str(pod, "/spec/initContainers/1/env/0/value"), "127.0.0.1:9092") == 0);
	CHECK(strcmp(str(pod, "/spec/volumes/1/name"), "turnout-config") == 0);
	cJSON_Delete(pod);
}

static void test_value_from_and_target(void)
{
	cJSON *pod = q("{'metadata': {'annotations': {'turnout.io/inject': 'True', "
	               "'turnout.io/config': 'r', 'turnout.io/bootstrap-cluster': 'target', "
	               "'turnout.io/bootstrap-env': 'A_BOOT, B_BOOT'}}, 'spec': {'containers': ["
	               "{'name': 'a', 'env': [{'name': 'A_BOOT', 'valueFrom': {'secretKeyRef': "
	               "{'name': 's', 'key': 'k'}}}]},"
	               "{'name': 'b', 'env': [{'name': 'B_BOOT', 'valueFrom': {'secretKeyRef': "
	               "{'name': 's', 'key': 'k'}}}]}]}}");
	inject_opts o = opts();
	char why[256];
	int ops;
	CHECK(run(pod, "shop", &o, why, sizeof(why), &ops) == INJECT_PATCHED);
	CHECK(ops == 5);
	CHECK(strcmp(str(pod, "/spec/containers/0/env/0/value"), "127.0.0.1:9092") == 0);
	CHECK(strcmp(str(pod, "/spec/containers/1/env/0/value"), "127.0.0.1:9092") == 0);
	CHECK(strcmp(str(pod, "/spec/initContainers/0/env/0/valueFrom/secretKeyRef/name"), "s") ==
	      0);
	CHECK(strcmp(str(pod, "/spec/initContainers/0/args/3"), "--target-bootstrap") == 0);
	cJSON_Delete(pod);
}

static void test_container_mode(void)
{
	cJSON *pod = q("{'metadata': {" ANN_OK "}, 'spec': {"
	               "'initContainers': [{'name': 'migrate', 'env': [" BOOT "]}],"
	               "'containers': [" APP_ENV(BOOT) "]}}");
	inject_opts o = opts();
	o.mode = INJECT_MODE_CONTAINER;
	o.cpu_request = o.mem_request = o.mem_limit = NULL;
	char why[256];
	int ops;
	CHECK(run(pod, "shop", &o, why, sizeof(why), &ops) == INJECT_PATCHED);
	CHECK(strcmp(str(pod, "/spec/containers/0/name"), "turnout") == 0);
	CHECK(strcmp(str(pod, "/spec/containers/1/name"), "app") == 0);
	CHECK(at(pod, "/spec/containers/0/restartPolicy") == NULL);
	CHECK(at(pod, "/spec/containers/0/resources") == NULL);
	CHECK(strcmp(str(pod, "/spec/containers/0/lifecycle/postStart/exec/command/1"),
	             "healthcheck") == 0);
	CHECK(strcmp(str(pod, "/spec/containers/1/env/1/value"), "127.0.0.1:9092") == 0);
	/* init containers run before turnout here: left pointing at the cluster */
	CHECK(strcmp(str(pod, "/spec/initContainers/0/env/0/value"), "k1:9092,k2:9092") == 0);
	cJSON_Delete(pod);
}

static void test_skips_and_refusals(void)
{
	static const struct {
		const char *ns, *pod;
		inject_result want;
		const char *why;
	} cases[] = {
	    {"shop", "{'metadata': {}, 'spec': {'containers': [" APP_ENV(BOOT) "]}}",
	     INJECT_SKIPPED, "not annotated"},
	    {"shop",
	     "{'metadata': {'annotations': {'turnout.io/inject': 'false'}}, 'spec': "
	     "{'containers': [" APP_ENV(BOOT) "]}}",
	     INJECT_SKIPPED, "not annotated"},
	    {"kube-system",
	     "{'metadata': {" ANN_OK "}, 'spec': {'containers': [" APP_ENV(BOOT) "]}}",
	     INJECT_SKIPPED, "kube-system"},
	    {"turnout", "{'metadata': {" ANN_OK "}, 'spec': {'containers': [" APP_ENV(BOOT) "]}}",
	     INJECT_SKIPPED, "turnout's own"},
	    {"shop",
	     "{'metadata': {" ANN_OK
	     "}, 'spec': {'containers': [{'name': 'turnout'}, " APP_ENV(BOOT) "]}}",
	     INJECT_SKIPPED, "already has a container"},
	    {"shop", "{'metadata': {" ANN_OK "}}", INJECT_SKIPPED, "not a pod"},
	    {"shop", "{'metadata': {" ANN_OK "}, 'spec': {'containers': []}}", INJECT_SKIPPED,
	     "no containers"},
	    {"shop",
	     "{'metadata': {'annotations': {'turnout.io/inject': 'true'}}, 'spec': {'containers': "
	     "[" APP_ENV(BOOT) "]}}",
	     INJECT_REFUSED, "turnout.io/config (the route ConfigMap) is missing"},
	    {"shop",
	     "{'metadata': {'annotations': {'turnout.io/inject': 'true', 'turnout.io/config': "
	     "'Bad_Name'}}, 'spec': {'containers': [" APP_ENV(BOOT) "]}}",
	     INJECT_REFUSED, "not a ConfigMap name"},
	    {"shop",
	     "{'metadata': {'annotations': {'turnout.io/inject': 'true', 'turnout.io/config': 'r', "
	     "'turnout.io/bootstrap-cluster': 'msk'}}, 'spec': {'containers': [" APP_ENV(
	         BOOT) "]}}",
	     INJECT_REFUSED, "legacy or target"},
	    {"shop",
	     "{'metadata': {'annotations': {'turnout.io/inject': 'true', 'turnout.io/config': 'r', "
	     "'turnout.io/bootstrap-env': 'A=B'}}, 'spec': {'containers': [" APP_ENV(BOOT) "]}}",
	     INJECT_REFUSED, "env var names"},
	    {"shop", "{'metadata': {" ANN_OK "}, 'spec': {'containers': [{'name': 'a'}]}}",
	     INJECT_REFUSED, "no container sets KAFKA_BOOTSTRAP_SERVERS"},
	    {"shop",
	     "{'metadata': {" ANN_OK "}, 'spec': {'containers': [" APP_ENV(
	         BOOT) ", {'name': 'b', 'env': [{'name': 'KAFKA_BOOTSTRAP_SERVERS', 'value': "
	               "'other:9092'}]}]}}",
	     INJECT_REFUSED, "different bootstrap values"},
	    {"shop",
	     "{'metadata': {" ANN_OK "}, 'spec': {'containers': [{'name': 'a', 'env': [{'name': "
	     "'KAFKA_BOOTSTRAP_SERVERS', 'value': 'localhost:9092'}]}]}}",
	     INJECT_REFUSED, "already points at"},
	    {"shop",
	     "{'metadata': {" ANN_OK
	     "}, 'spec': {'hostNetwork': true, 'containers': [" APP_ENV(BOOT) "]}}",
	     INJECT_REFUSED, "hostNetwork"},
	    {"shop",
	     "{'metadata': {" ANN_OK "}, 'spec': {'volumes': [{'name': 'turnout-config'}], "
	     "'containers': [" APP_ENV(BOOT) "]}}",
	     INJECT_REFUSED, "volume named turnout-config"},
	};
	inject_opts o = opts();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *pod = q(cases[i].pod), *patch = (cJSON *)1;
		char why[256] = "";
		inject_result r = inject_pod(pod, cases[i].ns, &o, &patch, why, sizeof(why));
		CHECKF(r == cases[i].want && patch == NULL && strstr(why, cases[i].why),
		       "case %zu: result %d why \"%s\"", i, r, why);
		cJSON_Delete(pod);
	}
}

static void test_apply_errors(void)
{
	static const struct {
		const char *patch;
		int ok;
	} cases[] = {
	    {"[{'op': 'add', 'path': '/a/~1b', 'value': 1}]", 1},
	    {"[{'op': 'add', 'path': '/l/-', 'value': 1}]", 1},
	    {"[{'op': 'add', 'path': '/l/2', 'value': 1}]", 1},
	    {"[{'op': 'add', 'path': '/l/3', 'value': 1}]", 0},
	    {"[{'op': 'replace', 'path': '/l/2', 'value': 1}]", 0},
	    {"[{'op': 'replace', 'path': '/l/-', 'value': 1}]", 0},
	    {"[{'op': 'replace', 'path': '/nope', 'value': 1}]", 0},
	    {"[{'op': 'add', 'path': '/l/01', 'value': 1}]", 0},
	    {"[{'op': 'add', 'path': '/a/~2', 'value': 1}]", 0},
	    {"[{'op': 'add', 'path': 'a', 'value': 1}]", 0},
	    {"[{'op': 'remove', 'path': '/a'}]", 0},
	    {"[{'op': 'move', 'path': '/a', 'value': 1}]", 0},
	    {"{}", 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *doc = q("{'a': {'b/c': 0}, 'l': [1, 2]}"), *patch = q(cases[i].patch);
		char err[160] = "";
		int rc = inject_apply(doc, patch, err, sizeof(err));
		CHECKF((rc == 0) == cases[i].ok, "case %zu: rc %d err %s", i, rc, err);
		if (i == 0) /* "~1" is "/" */
			CHECK(cJSON_GetObjectItemCaseSensitive(at(doc, "/a"), "/b") != NULL);
		if (i == 1)
			CHECK(cJSON_GetArraySize(at(doc, "/l")) == 3);
		cJSON_Delete(doc);
		cJSON_Delete(patch);
	}
}

/* ---- the AdmissionReview envelope ---- */

static cJSON *review(const char *body, size_t max, inject_outcome *out, char *logbuf, size_t loglen)
{
	inject_opts o = opts();
	char *resp = inject_review(body, strlen(body), max, &o, out, logbuf, loglen);
	CHECK(resp != NULL);
	cJSON *j = resp ? cJSON_Parse(resp) : NULL;
	free(resp);
	CHECK(j != NULL);
	CHECK(strcmp(str(j, "/apiVersion"), "admission.k8s.io/v1") == 0);
	CHECK(strcmp(str(j, "/kind"), "AdmissionReview") == 0);
	CHECK(cJSON_IsTrue(at(j, "/response/allowed")));
	return j;
}

#define REVIEW(kind, op, obj)                                                                      \
	"{'apiVersion': 'admission.k8s.io/v1', 'kind': 'AdmissionReview', 'request': {'uid': "     \
	"'u-1', 'kind': " kind ", 'operation': '" op "', 'namespace': 'shop', 'object': " obj "}}"
#define POD_KIND "{'group': '', 'version': 'v1', 'kind': 'Pod'}"
#define GOOD_POD                                                                                   \
	"{'metadata': {'generateName': 'w-', " ANN_OK                                              \
	"}, 'spec': {'containers': [" APP_ENV(BOOT) "]}}"

static char *unq(const char *s)
{
	char *t = strdup(s);
	for (char *p = t; *p; p++)
		if (*p == '\'')
			*p = '"';
	return t;
}

static void test_review_patched(void)
{
	char *body = unq(REVIEW(POD_KIND, "CREATE", GOOD_POD));
	inject_outcome out;
	char logbuf[512];
	cJSON *j = review(body, 1 << 20, &out, logbuf, sizeof(logbuf));
	CHECK(out == INJECT_OUT_PATCHED);
	CHECK(strcmp(str(j, "/response/uid"), "u-1") == 0);
	CHECK(strcmp(str(j, "/response/patchType"), "JSONPatch") == 0);
	CHECKF(strstr(logbuf, "result=patched uid=u-1 namespace=shop pod=w- ops=4"), "%s", logbuf);
	/* the base64 patch is exactly what the core produces */
	const char *b64 = str(j, "/response/patch");
	size_t n = strlen(b64);
	unsigned char *raw = calloc(1, n + 1);
	int len = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)n);
	CHECK(len > 0);
	while (len > 0 && raw[len - 1] == '\0') /* DecodeBlock counts padding */
		len--;
	cJSON *got = cJSON_ParseWithLength((const char *)raw, (size_t)len);
	cJSON *pod = q(GOOD_POD), *want;
	inject_opts o = opts();
	char why[256];
	CHECK(inject_pod(pod, "shop", &o, &want, why, sizeof(why)) == INJECT_PATCHED);
	CHECK(got && cJSON_Compare(got, want, 1));
	cJSON_Delete(got);
	cJSON_Delete(want);
	cJSON_Delete(pod);
	free(raw);
	cJSON_Delete(j);
	free(body);
}

static void test_review_unusable(void)
{
	static const struct {
		const char *body;
		inject_outcome want;
		const char *uid, *log;
	} cases[] = {
	    {"{not json", INJECT_OUT_IGNORED, "", "not JSON"},
	    {"[]", INJECT_OUT_IGNORED, "", "not an admission.k8s.io/v1"},
	    {"{'apiVersion': 'admission.k8s.io/v1beta1', 'kind': 'AdmissionReview', 'request': "
	     "{'uid': 'u-2'}}",
	     INJECT_OUT_IGNORED, "u-2", "not an admission.k8s.io/v1"},
	    {REVIEW("{'group': 'apps', 'version': 'v1', 'kind': 'Deployment'}", "CREATE", "{}"),
	     INJECT_OUT_IGNORED, "u-1", "not a v1 Pod: Deployment"},
	    {REVIEW(POD_KIND, "UPDATE", GOOD_POD), INJECT_OUT_IGNORED, "u-1", "operation UPDATE"},
	    {REVIEW(POD_KIND, "CREATE", "'a string'"), INJECT_OUT_SKIPPED, "u-1", "not a pod"},
	    {REVIEW(POD_KIND, "CREATE",
	            "{'metadata': {'name': 'bad\\n\\\"x', 'annotations': {'turnout.io/inject': "
	            "'true'}}, 'spec': {'containers': [{'name': 'a'}]}}"),
	     INJECT_OUT_REFUSED, "u-1", "pod=bad??x"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *body = unq(cases[i].body);
		inject_outcome out;
		char logbuf[512] = "";
		cJSON *j = review(body, 1 << 20, &out, logbuf, sizeof(logbuf));
		CHECKF(out == cases[i].want, "case %zu: outcome %d (%s)", i, out, logbuf);
		CHECKF(strcmp(str(j, "/response/uid"), cases[i].uid) == 0, "case %zu: uid", i);
		CHECKF(at(j, "/response/patch") == NULL, "case %zu: has a patch", i);
		CHECKF(strstr(logbuf, cases[i].log) && !strchr(logbuf, '\n'), "case %zu: log %s", i,
		       logbuf);
		if (out == INJECT_OUT_REFUSED)
			CHECK(strstr(str(j, "/response/warnings/0"), "turnout not injected") !=
			      NULL);
		cJSON_Delete(j);
		free(body);
	}
	/* over the size limit: answered without being parsed */
	char *body = unq(REVIEW(POD_KIND, "CREATE", GOOD_POD));
	inject_outcome out;
	char logbuf[256];
	cJSON *j = review(body, 100, &out, logbuf, sizeof(logbuf));
	CHECK(out == INJECT_OUT_IGNORED && at(j, "/response/patch") == NULL);
	CHECK(strstr(logbuf, "over 100") != NULL);
	cJSON_Delete(j);
	free(body);
}

/* ---- YAML ---- */

static void test_yaml_types(void)
{
	const char *y = "---\n"
	                "# only a comment\n"
	                "---\n"
	                "a: yes\nb: \"yes\"\nc: 0644\nd: 0x1F\ne: 1.5e2\nf: ~\ng:\nh: -7\n"
	                "i: 1.2.3\nj: '80'\nk: !!str 12\nl: [1, two]\nm: {n: Off}\n80: port\n"
	                "---\n"
	                "second: true\n";
	char err[160] = "";
	cJSON *docs = yamljson_parse(y, strlen(y), err, sizeof(err));
	CHECKF(docs != NULL, "%s", err);
	if (!docs)
		return;
	CHECK(cJSON_GetArraySize(docs) == 2);
	const cJSON *d = cJSON_GetArrayItem(docs, 0);
	CHECK(cJSON_IsTrue(at(d, "/a")));
	CHECK(strcmp(str(d, "/b"), "yes") == 0);
	CHECK(cJSON_IsNumber(at(d, "/c")) && at(d, "/c")->valuedouble == 420);
	CHECK(cJSON_IsNumber(at(d, "/d")) && at(d, "/d")->valuedouble == 31);
	CHECK(cJSON_IsNumber(at(d, "/e")) && at(d, "/e")->valuedouble == 150);
	CHECK(cJSON_IsNull(at(d, "/f")) && cJSON_IsNull(at(d, "/g")));
	CHECK(at(d, "/h")->valuedouble == -7);
	CHECK(strcmp(str(d, "/i"), "1.2.3") == 0 && strcmp(str(d, "/j"), "80") == 0);
	CHECK(strcmp(str(d, "/k"), "12") == 0);
	CHECK(strcmp(str(d, "/l/1"), "two") == 0 && cJSON_IsFalse(at(d, "/m/n")));
	CHECK(strcmp(str(d, "/80"), "port") == 0);

	/* written and read back: every value keeps its type */
	char *out = yamljson_emit(docs, err, sizeof(err));
	CHECKF(out != NULL, "%s", err);
	cJSON *back = out ? yamljson_parse(out, strlen(out), err, sizeof(err)) : NULL;
	CHECKF(back && cJSON_Compare(back, docs, 1), "round trip:\n%s", out ? out : err);
	cJSON_Delete(back);
	free(out);
	cJSON_Delete(docs);
}

static void test_yaml_tricky_strings(void)
{
	cJSON *doc =
	    q("[{'s': ['true', 'no', '0644', '', '~', 'a: b', '- x', '#c', ' lead', "
	      "'multi\\nline', '$(VAR)', '1e3', '.inf', 'null', '@at', '\\u00e9t\\u00e9']}]");
	char err[160];
	char *out = yamljson_emit(doc, err, sizeof(err));
	CHECKF(out != NULL, "%s", err);
	cJSON *back = out ? yamljson_parse(out, strlen(out), err, sizeof(err)) : NULL;
	CHECKF(back && cJSON_Compare(back, doc, 1), "round trip:\n%s", out ? out : err);
	cJSON_Delete(back);
	free(out);
	cJSON_Delete(doc);
}

static void test_yaml_errors(void)
{
	static const struct {
		const char *y, *want;
	} cases[] = {
	    {"a: 1\na: 2\n", "line 2: duplicate key a"},
	    {"a: &x [1]\nb: *x\n", "aliases"},
	    {"? [1]\n: v\n", "mapping keys must be scalars"},
	    {"a: [1\n", "line"},
	    {"a: \"unterminated\n", "line"},
	    {"- a\nb: 1\n", "line 2"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[160] = "";
		cJSON *d = yamljson_parse(cases[i].y, strlen(cases[i].y), err, sizeof(err));
		CHECKF(d == NULL && strstr(err, cases[i].want), "case %zu: err \"%s\"", i, err);
		cJSON_Delete(d);
	}
	/* deep nesting is refused, not recursed into */
	char deep[1200];
	memset(deep, '[', 1000);
	deep[1000] = '\0';
	char err[160] = "";
	cJSON *d = yamljson_parse(deep, strlen(deep), err, sizeof(err));
	CHECK(d == NULL && strstr(err, "nested too deeply"));
}

/* ---- turnout run's config overrides ---- */

static void test_config_overrides(void)
{
	config_source src = {0};
	src.bootstrap[CLUSTER_LEGACY] = "app-kafka:9092";
	char *t = config_source_apply("{\"clusters\": {\"target\": {\"bootstrap\": \"msk:9098\"}}}",
	                              &src);
	cJSON *j = t ? cJSON_Parse(t) : NULL;
	CHECK(strcmp(str(j, "/clusters/legacy/bootstrap"), "app-kafka:9092") == 0);
	CHECK(strcmp(str(j, "/clusters/target/bootstrap"), "msk:9098") == 0);
	cJSON_Delete(j);
	free(t);
	src.bootstrap[CLUSTER_TARGET] = "b-1.msk:9098";
	t = config_source_apply(
	    "{\"clusters\": {\"legacy\": {\"bootstrap\": \"old:1\"}, "
	    "\"target\": {\"bootstrap\": \"msk:9098\"}}, \"log_level\": \"debug\"}",
	    &src);
	j = t ? cJSON_Parse(t) : NULL;
	CHECK(strcmp(str(j, "/clusters/legacy/bootstrap"), "app-kafka:9092") == 0);
	CHECK(strcmp(str(j, "/clusters/target/bootstrap"), "b-1.msk:9098") == 0);
	CHECK(strcmp(str(j, "/log_level"), "debug") == 0);
	cJSON_Delete(j);
	free(t);
	t = config_source_apply("not json", &src);
	CHECK(t && strcmp(t, "not json") == 0);
	free(t);

	/* through the strict parser, from an environment variable */
	setenv("TURNOUT_TEST_CONFIG", "{\"clusters\": {\"target\": {\"bootstrap\": \"m:1\"}}}", 1);
	config_source env = {.env = "TURNOUT_TEST_CONFIG"};
	env.bootstrap[CLUSTER_LEGACY] = "l:2";
	char err[256] = "";
	config *c = config_source_load(&env, err, sizeof(err));
	CHECKF(c != NULL, "%s", err);
	if (c)
		CHECK(strcmp(c->clusters[CLUSTER_LEGACY].bootstrap, "l:2") == 0);
	config_free(c);
	env.bootstrap[CLUSTER_LEGACY] = "$(TURNOUT_BOOTSTRAP)"; /* the kubelet found no variable */
	c = config_source_load(&env, err, sizeof(err));
	CHECK(c == NULL && strstr(err, "clusters.legacy.bootstrap"));
	env.env = "TURNOUT_TEST_UNSET_VARIABLE";
	c = config_source_load(&env, err, sizeof(err));
	CHECK(c == NULL && strstr(err, "is not set"));
	unsetenv("TURNOUT_TEST_CONFIG");
}

/* What a reload reads: the copy the proxy keeps re-applies the overrides to
 * each new version of the file, routes and all (reload.c). */
static void test_config_source_reload(void)
{
	char path[] = "/tmp/turnout-src-XXXXXX", err[256] = "";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	FILE *f = fdopen(fd, "w");
	fputs("{\"clusters\": {\"legacy\": {\"bootstrap\": \"file-legacy:1\"}, "
	      "\"target\": {\"bootstrap\": \"msk:9098\"}}}",
	      f);
	fclose(f);
	config_source arg = {.path = path};
	arg.bootstrap[CLUSTER_LEGACY] = "app-kafka:9092";
	config_source kept;
	CHECK(config_source_copy(&kept, &arg) == 0);
	CHECK(kept.path != arg.path && strcmp(kept.path, path) == 0 && !kept.env);
	CHECK(strcmp(kept.bootstrap[CLUSTER_LEGACY], "app-kafka:9092") == 0);
	CHECK(kept.bootstrap[CLUSTER_TARGET] == NULL);
	config *c = config_source_load(&kept, err, sizeof(err));
	CHECKF(c != NULL, "%s", err);
	if (c)
		CHECK(strcmp(c->clusters[CLUSTER_LEGACY].bootstrap, "app-kafka:9092") == 0);
	config_free(c);
	/* the file changes (a route is flipped): the override still applies */
	f = fopen(path, "w");
	fputs("{\"clusters\": {\"legacy\": {\"bootstrap\": \"file-legacy:1\"}, "
	      "\"target\": {\"bootstrap\": \"msk:9098\"}}, "
	      "\"routes\": {\"groups\": {\"orders\": \"target\"}}}",
	      f);
	fclose(f);
	c = config_source_load(&kept, err, sizeof(err));
	CHECKF(c != NULL, "%s", err);
	if (c) {
		CHECK(strcmp(c->clusters[CLUSTER_LEGACY].bootstrap, "app-kafka:9092") == 0);
		CHECK(strcmp(c->clusters[CLUSTER_TARGET].bootstrap, "msk:9098") == 0);
		CHECK(routes_group(&c->routes, "orders", 6) == CLUSTER_TARGET);
	}
	config_free(c);
	config_source_free(&kept);
	CHECK(kept.path == NULL && kept.bootstrap[CLUSTER_LEGACY] == NULL);
	unlink(path);
}

TEST_TABLE(inject_tests) = {
    {"inject_pointer_escape", test_pointer_escape},
    {"inject_native_fresh_pod", test_native_fresh_pod},
    {"inject_native_existing_init_and_volumes", test_native_existing_init_and_volumes},
    {"inject_value_from_and_target", test_value_from_and_target},
    {"inject_container_mode", test_container_mode},
    {"inject_skips_and_refusals", test_skips_and_refusals},
    {"inject_apply_errors", test_apply_errors},
    {"inject_review_patched", test_review_patched},
    {"inject_review_unusable", test_review_unusable},
    {"inject_yaml_types", test_yaml_types},
    {"inject_yaml_tricky_strings", test_yaml_tricky_strings},
    {"inject_yaml_errors", test_yaml_errors},
    {"inject_config_overrides", test_config_overrides},
    {"inject_config_source_reload", test_config_source_reload},
    {NULL, NULL},
};
