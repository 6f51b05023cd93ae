/*
 * The AdmissionReview v1 envelope around the injection core: request body
 * in, response body out. Pure (no sockets) so the unit tests and the fuzz
 * target drive exactly what the webhook serves.
 */
#ifndef TURNOUT_PROXY_INJECT_REVIEW_H
#define TURNOUT_PROXY_INJECT_REVIEW_H

#include <stddef.h>

#include "proxy/inject.h"

typedef enum inject_outcome {
	INJECT_OUT_PATCHED, /* patch returned */
	INJECT_OUT_SKIPPED, /* a Pod that did not ask for turnout, or has it already */
	INJECT_OUT_REFUSED, /* asked for turnout but cannot have it: allowed with a warning */
	INJECT_OUT_IGNORED, /* not a usable AdmissionReview for a Pod CREATE */
	INJECT_OUT_FAILED,  /* out of memory */
} inject_outcome;

/*
 * Answers one AdmissionReview request body (len bytes, need not be
 * NUL-terminated). The answer always allows the Pod: anything unexpected
 * (malformed JSON, not a Pod, a body over max_body) gets "allowed": true and
 * no patch, as failurePolicy Ignore would. Returns a malloc'd JSON text
 * (NULL only when out of memory) and writes a logfmt fragment describing the
 * outcome to logbuf; *outcome says which kind it was.
 */
char *inject_review(const char *body, size_t len, size_t max_body, const inject_opts *o,
                    inject_outcome *outcome, char *logbuf, size_t loglen);

#endif
