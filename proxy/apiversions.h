/* turnout's own ApiVersions answer: what both clusters and the codec support. */
#ifndef TURNOUT_PROXY_APIVERSIONS_H
#define TURNOUT_PROXY_APIVERSIONS_H

#include "proxy/config.h"
#include "wire/prim.h"

enum { APIVERSIONS_KEYS = 100 }; /* api keys 0..99 */

typedef struct api_range {
	int16_t min, max; /* min > max: not supported */
} api_range;

typedef struct apiversions_table {
	api_range r[APIVERSIONS_KEYS];
} apiversions_table;

/* What turnout offers clients given each cluster's ranges. */
void apiversions_combine(const apiversions_table clusters[CLUSTER_COUNT], apiversions_table *out);
/* Writes the whole response frame (size, header v0, body) for a request of
 * version req_version; versions turnout does not know get UNSUPPORTED_VERSION
 * in a v0 body, as KIP-511 asks. */
int apiversions_answer(const apiversions_table *offer, int16_t req_version, int32_t corr,
                       wire_wr *out);

#endif
