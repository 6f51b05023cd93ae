/*
 * What the admin server says about a running turnout: the /status document
 * and the /readyz verdict, built from the proxy's state on the event loop.
 */
#ifndef TURNOUT_PROXY_ADMIN_STATUS_H
#define TURNOUT_PROXY_ADMIN_STATUS_H

#include <cjson/cJSON.h>

typedef struct proxy proxy;

/*
 * 1 when turnout can serve: every cluster answered metadata, the bootstrap
 * listener is open and, with "mirror", the translation engine runs and has
 * read MM2's topics to their end. Otherwise 0, and when missing is not
 * NULL one string per missing piece is appended to it (a cJSON array).
 */
int admin_ready(proxy *px, cJSON *missing);

/* The /status document (caller frees), or NULL when out of memory. */
cJSON *admin_status_json(proxy *px);

#endif
