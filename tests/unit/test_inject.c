/*
 * Sidecar injection: the mutation core (decisions, patch shape, JSON
 * Pointer escaping, applying), the AdmissionReview envelope, the YAML
 * reader/writer behind `turnout inject`, and the run command's config
 * overrides. Pods are written with single quotes for legibility.
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proxy/config_source.h"
#include "proxy/inject.h"
#include "proxy/inject_review.h"
#include "proxy/seccheck.h"
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

#define ANN_SECRETS                                                                                \
	"'annotations': {'turnout.io/inject': 'true', 'turnout.io/config': 'orders-routes', "      \
	"'turnout.io/secrets': ' orders-kafka,legacy-ca ', "                                       \
	"'turnout.io/secret-env': 'KAFKA_PASSWORD=orders-kafka/password, "                         \
	"AWS_ACCESS_KEY_ID=aws-keys/access_key_id', "                                              \
	"'example.com/a~b': 'tilde', 'example.com/c/d': 'slash'}"

static void test_secrets_mounted(void)
{
	cJSON *pod =
	    q("{'metadata': {" ANN_SECRETS "}, 'spec': {'containers': [" APP_ENV(BOOT) "]}}");
	inject_opts o = opts();
	cJSON *patch;
	char why[256], err[160];
	CHECK(inject_pod(pod, "shop", &o, &patch, why, sizeof(why)) == INJECT_PATCHED);
	CHECKF(strstr(why, "2 secret volume(s), 2 secret env var(s)") != NULL, "%s", why);
	/* no volumes yet: the array is created whole, ConfigMap first */
	CHECK(strcmp(str(patch, "/1/path"), "/spec/volumes") == 0);
	CHECK(cJSON_GetArraySize(at(patch, "/1/value")) == 3);
	CHECK(inject_apply(pod, patch, err, sizeof(err)) == 0);
	cJSON_Delete(patch);
	CHECK(strcmp(str(pod, "/spec/volumes/0/name"), "turnout-config") == 0);
	CHECK(strcmp(str(pod, "/spec/volumes/1/name"), "turnout-secret-0") == 0);
	CHECK(strcmp(str(pod, "/spec/volumes/1/secret/secretName"), "orders-kafka") == 0);
	CHECK(strcmp(str(pod, "/spec/volumes/2/secret/secretName"), "legacy-ca") == 0);
	const char *side = "/spec/initContainers/0";
	char p[128];
	snprintf(p, sizeof(p), "%s/volumeMounts/1/mountPath", side);
	CHECK(strcmp(str(pod, p), "/etc/turnout-secrets/orders-kafka") == 0);
	snprintf(p, sizeof(p), "%s/volumeMounts/2/mountPath", side);
	CHECK(strcmp(str(pod, p), "/etc/turnout-secrets/legacy-ca") == 0);
	snprintf(p, sizeof(p), "%s/volumeMounts/2/readOnly", side);
	CHECK(cJSON_IsTrue(at(pod, p)));
	snprintf(p, sizeof(p), "%s/env/1/name", side);
	CHECK(strcmp(str(pod, p), "KAFKA_PASSWORD") == 0);
	snprintf(p, sizeof(p), "%s/env/1/valueFrom/secretKeyRef/key", side);
	CHECK(strcmp(str(pod, p), "password") == 0);
	snprintf(p, sizeof(p), "%s/env/2/valueFrom/secretKeyRef/name", side);
	CHECK(strcmp(str(pod, p), "aws-keys") == 0);
	CHECK(cJSON_GetArraySize(at(pod, "/spec/containers/0/volumeMounts")) == 0);
	/* keys with '/' and '~' survive next to the escaped status annotation */
	const cJSON *ann = at(pod, "/metadata/annotations");
	CHECK(strcmp(cJSON_GetObjectItemCaseSensitive(ann, "example.com/a~b")->valuestring,
	             "tilde") == 0);
	CHECK(strcmp(cJSON_GetObjectItemCaseSensitive(ann, "example.com/c/d")->valuestring,
	             "slash") == 0);
	CHECK(strcmp(cJSON_GetObjectItemCaseSensitive(ann, "turnout.io/status")->valuestring,
	             "injected") == 0);
	CHECK(cJSON_GetArraySize(ann) == 7);

	char *before = cJSON_PrintUnformatted(pod);
	int ops;
	CHECK(run(pod, "shop", &o, why, sizeof(why), &ops) == INJECT_SKIPPED && ops == 0);
	char *after = cJSON_PrintUnformatted(pod);
	CHECK(strcmp(before, after) == 0);
	free(before);
	free(after);
	cJSON_Delete(pod);

	/* existing volumes: one append each, after the app's own */
	pod = q("{'metadata': {'annotations': {'turnout.io/inject': 'true', 'turnout.io/config': "
	        "'r', 'turnout.io/secrets': 's1'}}, 'spec': {'volumes': [{'name': 'data', "
	        "'emptyDir': {}}], 'containers': [" APP_ENV(BOOT) "]}}");
	CHECK(inject_pod(pod, "shop", &o, &patch, why, sizeof(why)) == INJECT_PATCHED);
	CHECK(strcmp(str(patch, "/1/path"), "/spec/volumes/-") == 0);
	CHECK(strcmp(str(patch, "/2/path"), "/spec/volumes/-") == 0);
	CHECK(strcmp(str(patch, "/2/value/secret/secretName"), "s1") == 0);
	CHECK(inject_apply(pod, patch, err, sizeof(err)) == 0);
	cJSON_Delete(patch);
	CHECK(cJSON_GetArraySize(at(pod, "/spec/volumes")) == 3);
	CHECK(strcmp(str(pod, "/spec/volumes/2/name"), "turnout-secret-0") == 0);
	cJSON_Delete(pod);
}

static void test_secret_annotation_refusals(void)
{
	static const struct {
		const char *ann; /* extra annotations */
		const char *why;
	} cases[] = {
	    {"'turnout.io/secrets': 'Bad_Name'", "not 'Bad_Name'"},
	    {"'turnout.io/secrets': ''", "turnout.io/secrets: want 1-8"},
	    {"'turnout.io/secrets': ' , '", "turnout.io/secrets: want 1-8"},
	    {"'turnout.io/secrets': 'a,b,a'", "not 'a'"},
	    {"'turnout.io/secrets': 'a,b,c,d,e,f,g,h,i'", "not 'i'"},
	    {"'turnout.io/secrets': 'a/b'", "not 'a/b'"},
	    {"'turnout.io/secret-env': 'PW'", "turnout.io/secret-env: want"},
	    {"'turnout.io/secret-env': 'PW=s'", "not 'PW=s'"},
	    {"'turnout.io/secret-env': 'PW=s/'", "not 'PW=s/'"},
	    {"'turnout.io/secret-env': '=s/k'", "not '=s/k'"},
	    {"'turnout.io/secret-env': '9PW=s/k'", "not '9PW=s/k'"},
	    {"'turnout.io/secret-env': 'PW=S/k'", "not 'PW=S/k'"},
	    {"'turnout.io/secret-env': 'PW=s/k k'", "not 'PW=s/k k'"},
	    {"'turnout.io/secret-env': 'PW=s/a/b'", "not 'PW=s/a/b'"},
	    {"'turnout.io/secret-env': 'PW=s/k, PW=t/k'", "not 'PW=t/k'"},
	    {"'turnout.io/secret-env': 'TURNOUT_BOOTSTRAP=s/k'", "not 'TURNOUT_BOOTSTRAP=s/k'"},
	};
	inject_opts o = opts();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[1024];
		snprintf(
		    text, sizeof(text),
		    "{'metadata': {'annotations': {'turnout.io/inject': 'true', "
		    "'turnout.io/config': 'r', %s}}, 'spec': {'containers': [" APP_ENV(BOOT) "]}}",
		    cases[i].ann);
		cJSON *pod = q(text), *patch = (cJSON *)1;
		char why[256] = "";
		inject_result r = inject_pod(pod, "shop", &o, &patch, why, sizeof(why));
		CHECKF(r == INJECT_REFUSED && patch == NULL && strstr(why, cases[i].why),
		       "case %zu: result %d why \"%s\"", i, r, why);
		cJSON_Delete(pod);
	}
	cJSON *pod = q("{'metadata': {'annotations': {'turnout.io/inject': 'true', "
	               "'turnout.io/config': 'r', 'turnout.io/secrets': 'a,b'}}, 'spec': "
	               "{'volumes': [{'name': 'turnout-secret-1'}], 'containers': [" APP_ENV(
	                   BOOT) "]}}"),
	      *patch;
	char why[256] = "";
	CHECK(inject_pod(pod, "shop", &o, &patch, why, sizeof(why)) == INJECT_REFUSED);
	CHECKF(strstr(why, "volume named turnout-secret-1") != NULL, "%s", why);
	cJSON_Delete(pod);
}

/* ---- turnout run --check: the secrets a config names ---- */

static X509 *make_cert(EVP_PKEY *k, long from_s, long to_s)
{
	X509 *x = X509_new();
	if (!x)
		return NULL;
	X509_NAME *n = X509_get_subject_name(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), from_s);
	X509_gmtime_adj(X509_getm_notAfter(x), to_s);
	X509_set_pubkey(x, k);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"t", -1, -1, 0);
	X509_set_issuer_name(x, n);
	if (!X509_sign(x, k, EVP_sha256())) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static void write_text(const char *dir, const char *name, const char *text)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void write_pem(const char *dir, const char *name, X509 *x, EVP_PKEY *k, int encrypt)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	if (x)
		CHECK(PEM_write_X509(f, x) == 1);
	if (k)
		CHECK(PEM_write_PrivateKey(f, k, encrypt ? EVP_aes_128_cbc() : NULL,
		                           encrypt ? (unsigned char *)"pass" : NULL,
		                           encrypt ? 4 : 0, NULL, NULL) == 1);
	fclose(f);
}

static config *check_config(const char *dir, const char *legacy, const char *target,
                            const char *extra)
{
	char json[2048], err[256] = "";
	snprintf(json, sizeof(json),
	         "{\"clusters\": {\"legacy\": {\"bootstrap\": \"l:9092\"%s}, "
	         "\"target\": {\"bootstrap\": \"t:9092\"%s}}%s}",
	         legacy, target, extra);
	for (char *p = strstr(json, "DIR"); p; p = strstr(json, "DIR")) {
		char rest[2048];
		snprintf(rest, sizeof(rest), "%s", p + 3);
		snprintf(p, sizeof(json) - (size_t)(p - json), "%s%s", dir, rest);
	}
	config *c = config_parse(json, err, sizeof(err));
	CHECKF(c != NULL, "%s: %s", json, err);
	return c;
}

static void test_seccheck(void)
{
	char dir[] = "/tmp/turnout-seccheck-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	EVP_PKEY *k1 = EVP_EC_gen("P-256"), *k2 = EVP_EC_gen("P-256");
	X509 *good = make_cert(k1, 0, 3600), *expired = make_cert(k1, -7200, -3600);
	CHECK(k1 && k2 && good && expired);
	write_pem(dir, "ca.pem", good, NULL, 0);
	write_pem(dir, "cert.pem", good, NULL, 0);
	write_pem(dir, "key.pem", NULL, k1, 0);
	write_pem(dir, "other.key", NULL, k2, 0);
	write_pem(dir, "enc.key", NULL, k1, 1);
	write_pem(dir, "expired.pem", expired, NULL, 0);
	write_text(dir, "password", "Sup3rSecret-value\n");
	write_text(dir, "empty", "\n");
	char sub[300];
	snprintf(sub, sizeof(sub), "%s/dir", dir);
	CHECK(mkdir(sub, 0700) == 0);

	char out[2048];
	int checked = -1;
	/* everything in order */
	setenv("TURNOUT_TEST_PW", "x", 1);
	config *c = check_config(
	    dir,
	    ", \"tls\": {\"ca_file\": \"DIR/ca.pem\", \"cert_file\": \"DIR/cert.pem\", "
	    "\"key_file\": \"DIR/key.pem\"}, \"sasl\": {\"mechanism\": \"PLAIN\", \"username\": "
	    "\"u\", \"password_file\": \"DIR/password\"}",
	    ", \"tls\": {}, \"sasl\": {\"mechanism\": \"SCRAM-SHA-512\", \"username\": \"u\", "
	    "\"password_env\": \"TURNOUT_TEST_PW\"}",
	    ", \"listen_tls\": {\"cert_file\": \"DIR/cert.pem\", \"key_file\": \"DIR/key.pem\"}");
	if (c) {
		CHECKF(seccheck_config(c, out, sizeof(out), &checked) == 0, "%s", out);
		CHECK(checked == 7 && out[0] == '\0');
	}
	config_free(c);

	/* each field wrong in its own way; the password never appears */
	unsetenv("TURNOUT_TEST_PW");
	c = check_config(
	    dir,
	    ", \"tls\": {\"ca_file\": \"DIR/password\", \"cert_file\": \"DIR/expired.pem\", "
	    "\"key_file\": \"DIR/other.key\"}, \"sasl\": {\"mechanism\": \"PLAIN\", \"username\": "
	    "\"u\", \"password_file\": \"DIR/empty\"}",
	    ", \"tls\": {\"ca_file\": \"DIR/missing.pem\", \"cert_file\": \"DIR/dir\", "
	    "\"key_file\": \"DIR/enc.key\"}, \"sasl\": {\"mechanism\": \"SCRAM-SHA-256\", "
	    "\"username\": \"u\", \"password_env\": \"TURNOUT_TEST_PW\"}",
	    ", \"listen_tls\": {\"cert_file\": \"DIR/key.pem\", \"key_file\": \"DIR/password\"}");
	if (c) {
		int n = seccheck_config(c, out, sizeof(out), &checked);
		CHECKF(n == 10 && checked == 10, "%d problems, %d checked:\n%s", n, checked, out);
		static const char *const want[] = {
		    "clusters.legacy.tls.ca_file: DIR/password: no PEM certificate in the file",
		    "clusters.legacy.tls.cert_file: DIR/expired.pem: the certificate has expired",
		    "clusters.legacy.tls.key_file: DIR/other.key: the key does not belong to the "
		    "certificate in clusters.legacy.tls.cert_file",
		    "clusters.legacy.sasl: password_file DIR/empty: empty",
		    "clusters.target.tls.ca_file: DIR/missing.pem: No such file or directory",
		    "clusters.target.tls.cert_file: DIR/dir: not a regular file",
		    "clusters.target.tls.key_file: DIR/enc.key: no unencrypted PEM private key",
		    "clusters.target.sasl: environment variable TURNOUT_TEST_PW (password_env) is "
		    "not set",
		    "listen_tls.cert_file: DIR/key.pem: no PEM certificate in the file",
		    "listen_tls.key_file: DIR/password: no unencrypted PEM private key",
		};
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			char line[400];
			const char *d = strstr(want[i], "DIR");
			if (d)
				snprintf(line, sizeof(line), "%.*s%s%s", (int)(d - want[i]),
				         want[i], dir, d + 3);
			else
				snprintf(line, sizeof(line), "%s", want[i]);
			CHECKF(strstr(out, line) != NULL, "missing \"%s\" in:\n%s", line, out);
		}
		CHECK(strstr(out, "Sup3rSecret") == NULL);
		/* a small buffer truncates the text, never the count */
		char tiny[16];
		CHECK(seccheck_config(c, tiny, sizeof(tiny), NULL) == 10 && strlen(tiny) < 16);
	}
	config_free(c);

	/* no tls, no sasl: nothing to check */
	c = check_config(dir, "", "", "");
	if (c)
		CHECK(seccheck_config(c, out, sizeof(out), &checked) == 0 && checked == 0);
	config_free(c);

	static const char *const files[] = {"ca.pem",  "cert.pem",    "key.pem",  "other.key",
	                                    "enc.key", "expired.pem", "password", "empty"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char p[300];
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(sub);
	rmdir(dir);
	X509_free(good);
	X509_free(expired);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
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
	/* a \u0000 must still reach config_parse, which rejects it */
	static const char nul[] = "{\"log_level\": \"info\\u0000x\"}";
	t = config_source_apply(nul, &src);
	CHECK(t && strcmp(t, nul) == 0);
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
    {"inject_secrets_mounted", test_secrets_mounted},
    {"inject_secret_annotation_refusals", test_secret_annotation_refusals},
    {"inject_seccheck", test_seccheck},
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
