/* Client connections: framing, request intake, in-order responses. */
#ifndef TURNOUT_PROXY_CLIENT_H
#define TURNOUT_PROXY_CLIENT_H

#include <event2/buffer.h>

#include "proxy/upstream.h"

/* A client request waiting for its response; responses leave in this order. */
struct pending {
	TAILQ_ENTRY(pending) link;
	int32_t corr; /* client's correlation id */
	int16_t api, version;
	int done;              /* resp holds the frame to send */
	struct evbuffer *resp; /* response frame for the client */
	client *c;
};

/* Called by the upstream with a whole response frame at the front of src. */
void client_deliver(pending *p, struct evbuffer *src, size_t len);
int client_is_closed(const client *c);

#endif
