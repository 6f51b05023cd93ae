/*
 * Finishing responses assembled from one or two clusters' answers:
 * Metadata (topics each from the cluster that serves them, every virtual
 * broker of both clusters, one cluster id, no leader epochs) and batched
 * FindCoordinator split across clusters.
 */
#ifndef TURNOUT_PROXY_MERGE_H
#define TURNOUT_PROXY_MERGE_H

#include <stddef.h>

#include "proxy/client.h"

/* All parts of p arrived: build p->resp. -1 with err on a bad answer. */
int merge_finish(proxy *px, pending *p, char *err, size_t errlen);

#endif
