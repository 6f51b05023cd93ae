/*
 * turnout's admin HTTP server (libevent evhttp on the proxy's own event
 * loop), at admin.listen (127.0.0.1:9644 by default):
 *
 *   GET  /healthz   200 while the event loop answers
 *   GET  /readyz    200 when ready (admin_status.h), else 503 + what is missing
 *   GET  /metrics   Prometheus text format 0.0.4 (metrics_table.h)
 *   GET  /status    the status document (JSON)
 *   POST /reload    reload the configuration now (as SIGHUP does)
 *
 * Only /healthz and /readyz answer peers outside loopback, unless
 * admin.allow_remote; with admin.token_file every other endpoint wants
 * "Authorization: Bearer <token>".
 */
#ifndef TURNOUT_PROXY_ADMIN_H
#define TURNOUT_PROXY_ADMIN_H

#include <stddef.h>

typedef struct proxy proxy;

/* Listens per px->cfg->admin (nothing when disabled). 0, or -1 with err. */
int admin_start(proxy *px, char *err, size_t errlen);
void admin_stop(proxy *px);
/* The port the admin server listens on; 0 when it does not. */
int admin_port(const proxy *px);

#endif
