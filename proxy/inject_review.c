/*
 * AdmissionReview v1 in, AdmissionReview v1 out:
 *
 *   body -> size check -> cJSON parse -> apiVersion/kind/request.uid
 *        -> request.kind is core/v1 Pod, operation CREATE
 *        -> inject_pod(request.object, request.namespace)
 *        -> {"response": {uid, allowed: true, patchType: JSONPatch,
 *                         patch: base64(JSON)}}
 *
 * The answer is always allowed: turnout must never be the reason a Pod
 * cannot be created. Unusable requests get no patch and a log line; a Pod
 * that opted in but could not be injected also gets a warning, which
 * kubectl shows to whoever created it. The uid is echoed whenever the
 * request had one; the API server discards an answer whose uid does not
 * match and applies failurePolicy (Ignore in the chart), which for a request
 * we could not read is the outcome we want anyway.
 */
#include "proxy/inject_review.h"

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Copies s for a log line: at most 80 characters, anything outside a safe
 * set (quotes, spaces, newlines could forge logfmt fields) becomes '?'. */
static const char *clean(const char *s, char *out, size_t outlen)
{
	size_t n = 0;
	if (!s || !*s)
		s = "-";
	for (; *s && n + 1 < outlen && n < 80; s++) {
		unsigned char c = (unsigned char)*s;
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		         (c >= '0' && c <= '9') || strchr("._:/-", c);
		out[n++] = ok && c ? (char)c : '?';
	}
	out[n] = '\0';
	return out;
}

/* A reason for reason="...": quotes, backslashes and control bytes become '?'. */
static void clean_reason(char *s)
{
	for (; *s; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20)
			*s = '?';
}

static const cJSON *get(const cJSON *o, const char *key)
{
	return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

static const char *get_str(const cJSON *o, const char *key)
{
	const cJSON *v = get(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The response envelope. patch (may be NULL) is serialised and base64'd. */
static char *respond(const char *uid, const cJSON *patch, const char *warning)
{
	char *text = NULL, *b64 = NULL, *out = NULL;
	cJSON *root = cJSON_CreateObject();
	if (!root)
		return NULL;
	cJSON *resp = NULL;
	if (!cJSON_AddStringToObject(root, "apiVersion", "admission.k8s.io/v1") ||
	    !cJSON_AddStringToObject(root, "kind", "AdmissionReview") ||
	    !(resp = cJSON_AddObjectToObject(root, "response")) ||
	    !cJSON_AddStringToObject(resp, "uid", uid ? uid : "") ||
	    !cJSON_AddBoolToObject(resp, "allowed", 1))
		goto fail;
	if (patch) {
		text = cJSON_PrintUnformatted(patch);
		if (!text)
			goto fail;
		size_t n = strlen(text);
		b64 = malloc(4 * ((n + 2) / 3) + 1);
		if (!b64)
			goto fail;
		EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)text, (int)n);
		if (!cJSON_AddStringToObject(resp, "patchType", "JSONPatch") ||
		    !cJSON_AddStringToObject(resp, "patch", b64))
			goto fail;
	}
	if (warning) {
		cJSON *w = cJSON_AddArrayToObject(resp, "warnings");
		cJSON *s = cJSON_CreateString(warning);
		if (!w || !s || !cJSON_AddItemToArray(w, s)) {
			cJSON_Delete(s);
			goto fail;
		}
	}
	out = cJSON_PrintUnformatted(root);
fail:
	free(text);
	free(b64);
	cJSON_Delete(root);
	return out;
}

char *inject_review(const char *body, size_t len, size_t max_body, const inject_opts *o,
                    inject_outcome *outcome, char *logbuf, size_t loglen)
{
	char c1[96], c2[96], c3[96];
	const char *uid = NULL;
	cJSON *root = NULL, *patch = NULL;
	char *out = NULL;
	*outcome = INJECT_OUT_IGNORED;
	if (len > max_body) {
		snprintf(logbuf, loglen, "result=ignored reason=\"body of %zu bytes over %zu\"",
		         len, max_body);
		return respond(NULL, NULL, NULL);
	}
	root = cJSON_ParseWithLength(body, len);
	if (!root) {
		snprintf(logbuf, loglen, "result=ignored reason=\"not JSON\"");
		return respond(NULL, NULL, NULL);
	}
	const cJSON *req = get(root, "request");
	uid = get_str(req, "uid");
	const char *api = get_str(root, "apiVersion"), *kind = get_str(root, "kind");
	if (!api || strcmp(api, "admission.k8s.io/v1") != 0 || !kind ||
	    strcmp(kind, "AdmissionReview") != 0 || !uid) {
		snprintf(
		    logbuf, loglen,
		    "result=ignored reason=\"not an admission.k8s.io/v1 AdmissionReview request\"");
		goto answer;
	}
	const cJSON *rk = get(req, "kind");
	const char *group = get_str(rk, "group"), *version = get_str(rk, "version");
	const char *rkind = get_str(rk, "kind"), *op = get_str(req, "operation");
	const char *ns = get_str(req, "namespace");
	if (!group || *group || !version || strcmp(version, "v1") != 0 || !rkind ||
	    strcmp(rkind, "Pod") != 0) {
		snprintf(logbuf, loglen, "result=ignored uid=%s reason=\"not a v1 Pod: %s\"",
		         clean(uid, c1, sizeof(c1)), clean(rkind, c2, sizeof(c2)));
		goto answer;
	}
	if (!op || strcmp(op, "CREATE") != 0) {
		snprintf(logbuf, loglen, "result=ignored uid=%s reason=\"operation %s\"",
		         clean(uid, c1, sizeof(c1)), clean(op, c2, sizeof(c2)));
		goto answer;
	}
	const cJSON *pod = get(req, "object");
	char why[256];
	inject_result r = inject_pod(pod, ns, o, &patch, why, sizeof(why));
	clean_reason(why);
	const char *name = get_str(get(pod, "metadata"), "name");
	if (!name || !*name)
		name = get_str(get(pod, "metadata"), "generateName");
	static const char *const results[] = {"patched", "skipped", "refused", "failed"};
	snprintf(logbuf, loglen, "result=%s uid=%s namespace=%s pod=%s ops=%d reason=\"%s\"",
	         results[r], clean(uid, c1, sizeof(c1)), clean(ns, c2, sizeof(c2)),
	         clean(name, c3, sizeof(c3)), patch ? cJSON_GetArraySize(patch) : 0, why);
	static const inject_outcome outcomes[] = {INJECT_OUT_PATCHED, INJECT_OUT_SKIPPED,
	                                          INJECT_OUT_REFUSED, INJECT_OUT_FAILED};
	*outcome = outcomes[r];
	if (r == INJECT_REFUSED) {
		char warn[300];
		snprintf(warn, sizeof(warn), "turnout not injected: %s", why);
		out = respond(uid, NULL, warn);
		goto done;
	}
answer:
	out = respond(uid, patch, NULL);
done:
	if (!out)
		*outcome = INJECT_OUT_FAILED;
	cJSON_Delete(patch);
	cJSON_Delete(root);
	return out;
}
