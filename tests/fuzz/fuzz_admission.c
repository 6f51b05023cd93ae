/* libFuzzer target: the admission webhook's decoder path (AdmissionReview
 * envelope -> Pod -> injection core -> patch). Whatever the body, the answer
 * must be a well-formed AdmissionReview that allows the Pod, and any patch
 * it carries must apply to the Pod it was made for. */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/inject.h"
#include "proxy/inject_review.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const cJSON *get(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	inject_opts o;
	inject_opts_init(&o, "turnout:fuzz");
	o.self_namespace = "turnout";
	char logbuf[1024];
	inject_outcome out;
	char *resp =
	    inject_review((const char *)data, size, 1 << 20, &o, &out, logbuf, sizeof(logbuf));
	if (!resp)
		return 0; /* out of memory only */
	if (strchr(logbuf, '\n'))
		abort(); /* one log line per request */
	cJSON *r = cJSON_Parse(resp);
	const cJSON *rr = get(r, "response");
	if (!r || !cJSON_IsTrue(get(rr, "allowed")) || !cJSON_IsString(get(rr, "uid")))
		abort();
	const cJSON *b64 = get(rr, "patch");
	if ((b64 != NULL) != (out == INJECT_OUT_PATCHED))
		abort();
	if (b64) {
		/* the patch must apply to the request's own object */
		size_t n = strlen(b64->valuestring);
		unsigned char *raw = calloc(1, n + 1);
		int len =
		    raw ? EVP_DecodeBlock(raw, (const unsigned char *)b64->valuestring, (int)n)
		        : -1;
		cJSON *patch = len > 0 ? cJSON_Parse((const char *)raw) : NULL;
		cJSON *req = cJSON_ParseWithLength((const char *)data, size);
		cJSON *pod = cJSON_DetachItemFromObjectCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(req, "request"), "object");
		char err[160];
		if (raw && (!patch || !pod || inject_apply(pod, patch, err, sizeof(err))))
			abort();
		cJSON_Delete(pod);
		cJSON_Delete(req);
		cJSON_Delete(patch);
		free(raw);
	}
	cJSON_Delete(r);
	free(resp);
	return 0;
}
