/* A connection from turnout to one real broker, on behalf of one client. */
#ifndef TURNOUT_PROXY_UPSTREAM_H
#define TURNOUT_PROXY_UPSTREAM_H

#include <event2/bufferevent.h>
#include <sys/queue.h>

#include "proxy/proxy.h"

typedef struct pending pending;

typedef struct upstream_wait {
	TAILQ_ENTRY(upstream_wait) link;
	pending *req; /* the client request this response answers */
} upstream_wait;
TAILQ_HEAD(upstream_waits, upstream_wait);

typedef struct upstream {
	struct bufferevent *bev;     /* the socket */
	client *owner;               /* the client it serves */
	vbroker *vb;                 /* the real broker it talks to */
	struct upstream_waits waits; /* requests sent, responses due, in order */
	int connected;
	int32_t no_reply[1024]; /* acks=0 Produce correlation ids the mock may still answer */
	unsigned no_reply_next; /* next slot to overwrite */
} upstream;

upstream *upstream_open(client *owner, vbroker *vb);
/* Sends a whole request frame (moved out of src); expects a response unless
 * req is NULL (Produce with acks=0, correlation id corr). */
int upstream_send(upstream *u, struct evbuffer *src, size_t len, pending *req, int32_t corr);
void upstream_free(upstream *u);

#endif
