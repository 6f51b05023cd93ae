/*
 * TLS for turnout's sockets: one client context per cluster that has `tls`
 * (upstream), one server context for `listen_tls` (client-facing), built at
 * start and owned by the proxy. Connections are libevent OpenSSL
 * bufferevents; without TLS they are the plain socket bufferevents.
 */
#ifndef TURNOUT_PROXY_TLS_H
#define TURNOUT_PROXY_TLS_H

#include <event2/bufferevent.h>
#include <stddef.h>

#include "proxy/proxy.h"

/* Builds px->tls_cluster[] and px->tls_listen from px->cfg. On error
 * returns -1 with "field: reason" in err. */
int tls_init(proxy *px, char *err, size_t errlen);
/* A pem_password_cb that refuses every passphrase: an encrypted key fails to
 * load with a clear error instead of OpenSSL prompting on the terminal (a
 * sidecar has none, and a prompt would hang start-up). */
int tls_no_passphrase(char *buf, int size, int rwflag, void *u);
void tls_free(proxy *px);

/* A not yet connected bufferevent for a connection to host (a broker of
 * cluster): TLS with SNI and name verification if the cluster has `tls`,
 * plain otherwise. Connect it with bufferevent_socket_connect_hostname;
 * BEV_EVENT_CONNECTED then means the TLS handshake is done too. */
struct bufferevent *tls_upstream_bev(proxy *px, int cluster, const char *host);
/* A bufferevent for an accepted client socket (TLS if `listen_tls`). */
struct bufferevent *tls_client_bev(proxy *px, evutil_socket_t fd);
/* Is bev a TLS connection? */
int tls_is_tls(struct bufferevent *bev);
/* Sends TLS close_notify on a TLS bufferevent (before a half-close). */
void tls_close_notify(struct bufferevent *bev);
/* Why bev failed: the certificate verification result, the OpenSSL error,
 * or the socket error, in that order of preference. */
void tls_describe_failure(struct bufferevent *bev, char *out, size_t outlen);
/* "TLSv1.3 TLS_AES_256_GCM_SHA384" for a connected TLS bufferevent. */
void tls_describe_session(struct bufferevent *bev, char *out, size_t outlen);

#endif
