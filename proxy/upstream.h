/* A connection from turnout to one real broker, on behalf of one client. */
#ifndef TURNOUT_PROXY_UPSTREAM_H
#define TURNOUT_PROXY_UPSTREAM_H

#include <event2/bufferevent.h>
#include <sys/queue.h>

#include "proxy/proxy.h"
#include "wire/header.h"

typedef struct pending pending;

typedef enum upstream_wait_kind {
	WAIT_CLIENT,   /* a client request: its response goes to req */
	WAIT_NO_REPLY, /* held acks=0 Produce: no response expected */
	WAIT_SASL,     /* turnout's own SaslHandshake/SaslAuthenticate */
	WAIT_INTERNAL, /* turnout's own request: the response goes to fn */
} upstream_wait_kind;

/* Called with the whole response frame (size prefix included) of a request
 * turnout sent itself; arg is freed by the upstream afterwards (or, without
 * a call, when the connection goes away first). */
typedef void (*upstream_reply_fn)(proxy *px, void *arg, const uint8_t *frame, size_t len);

typedef struct upstream_wait {
	TAILQ_ENTRY(upstream_wait) link;
	pending *req; /* WAIT_CLIENT: the client request this response answers */
	int32_t corr; /* correlation id the response must carry */
	upstream_wait_kind kind;
	upstream_reply_fn fn; /* WAIT_INTERNAL */
	void *arg;            /* WAIT_INTERNAL: heap, freed with the wait */
} upstream_wait;
TAILQ_HEAD(upstream_waits, upstream_wait);

/* Where an upstream is in its life; client requests flow in OPEN and
 * READY and are held (in order, bytes moved not copied) otherwise. */
typedef enum upstream_state {
	UP_OPEN,         /* no SASL: requests go out at once (TLS buffers them) */
	UP_CONNECTING,   /* SASL to do, TCP/TLS not up yet */
	UP_AUTH,         /* SASL exchange in flight */
	UP_READY,        /* authenticated */
	UP_REAUTH_DRAIN, /* KIP-368 due: waiting for answers in flight */
	UP_REAUTH,       /* KIP-368 exchange in flight on the same connection */
} upstream_state;

typedef struct upstream {
	struct bufferevent *bev;     /* the socket (TLS or plain) */
	client *owner;               /* the client it serves */
	vbroker *vb;                 /* the real broker it talks to */
	struct upstream_waits waits; /* requests sent, responses due, in order */
	int connected;
	int32_t no_reply[1024]; /* acks=0 Produce correlation ids the mock may still answer */
	unsigned no_reply_next; /* next slot to overwrite */
	upstream_state state;
	struct evbuffer *held;            /* client frames waiting for READY */
	struct upstream_waits held_waits; /* their waits, same order */
	sasl_session *sasl;               /* exchange in progress */
	int32_t sasl_corr;                /* last correlation id turnout used */
	struct event *timer;              /* connect deadline, then the re-auth time */
	unsigned reauths;                 /* KIP-368 re-authentications done */
} upstream;

upstream *upstream_open(client *owner, vbroker *vb);
/* Sends a whole request frame (moved out of src); expects a response unless
 * req is NULL (Produce with acks=0, correlation id corr). */
int upstream_send(upstream *u, struct evbuffer *src, size_t len, pending *req, int32_t corr);
/* Sends a request turnout makes itself (e.g. a flip's LeaveGroup for a
 * member) on this connection, behind the client's requests in flight; body
 * is encoded with header h whose correlation id is chosen here. fn(arg, ...)
 * runs when the answer arrives. Returns -1 (arg freed) on failure. */
int upstream_send_internal(upstream *u, wire_req_header *h, const void *body, upstream_reply_fn fn,
                           void *arg);
void upstream_free(upstream *u);

#endif
