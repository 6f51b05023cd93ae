/* Client connections: framing, request intake, in-order responses. */
#ifndef TURNOUT_PROXY_CLIENT_H
#define TURNOUT_PROXY_CLIENT_H

#include <event2/buffer.h>

#include "proxy/upstream.h"
#include "proxy/rewrite.h"
#include "wire/header.h"

enum { CLIENT_UPSTREAMS_MAX = 16, PENDING_PARTS_MAX = 2 };

/* How a response is finished before it goes back to the client. */
typedef enum {
	PENDING_PLAIN, /* forwarded as is, or rewritten by rewrite.c */
	PENDING_MERGE, /* parts from both clusters, merged by merge.c */
	PENDING_OWN,   /* turnout's own request: the answer goes to own(), not the client */
} pending_kind;

/* Receives the answer to turnout's own request (frame with its size
 * prefix), or frame NULL when the connection closed before it came. */
typedef void (*pending_own_fn)(void *arg, int cluster, const uint8_t *frame, size_t len);

/* A client request waiting for its response; responses leave in this order. */
struct pending {
	TAILQ_ENTRY(pending) link;
	int32_t corr; /* client's correlation id */
	int16_t api, version;
	int answerer;       /* cluster it went to, METRICS_BOTH, or -1 not yet sent */
	int64_t started_ns; /* arrival (metrics_mono_ns), for the latency histogram */
	pending_kind kind;
	int done;              /* resp holds the frame to send */
	struct evbuffer *resp; /* response frame for the client */
	int all_topics;        /* Metadata for every topic: each cluster's answer is filtered */
	int nparts, parts_due; /* PENDING_MERGE: answers expected, still missing */
	struct evbuffer *part[PENDING_PARTS_MAX]; /* their frames */
	int part_cluster[PENDING_PARTS_MAX];      /* and which cluster sent each */
	client *c;
	int prod_barrier; /* a Produce in flight when the producer routes changed */
	int fresh_join;   /* JoinGroup naming no member: its answer's id is new (flip.h) */
	struct group_rt *settle_sync; /* SyncGroup of a settling group: its answer's
	                                 assignment is kept (flip_positions.h) */
	pending_own_fn own;           /* PENDING_OWN */
	void *own_arg;
};

struct client {
	TAILQ_ENTRY(client) link; /* on px->clients, then px->justfree */
	proxy *px;
	int id;        /* for log lines */
	char peer[64]; /* client address */
	struct bufferevent *bev;
	vbroker *vb;                         /* listener's broker; NULL for bootstrap */
	upstream *up;                        /* home: the broker behind the listener */
	upstream *ups[CLIENT_UPSTREAMS_MAX]; /* every upstream, home first */
	int nups;
	TAILQ_HEAD(, pending) outq; /* requests in arrival order */
	TAILQ_HEAD(, pending) ownq; /* turnout's own requests in flight (PENDING_OWN) */
	int prod_hold;              /* producer_flip.c holds the next Produce: not read */
	int npending;
	int plain;     /* bev is a plain socket (not TLS): frameio reads and writes it */
	int up_full;   /* an upstream's output reached UPSTREAM_HIGH; cleared below half */
	int up_paused; /* upstream reading stopped: this client lags OUTPUT_HIGH */
	int writing;   /* EV_WRITE enabled: the socket did not take all output */
	int reading;   /* EV_READ enabled on bev */
	int hungup;    /* the client closed; requests already read still go out */
	int closed;
	unsigned fetch_gen;         /* px->route_gen at this client's last full fetch */
	struct group_rt *member_of; /* group whose Join/Sync/Heartbeat this connection sent last */
};

/* Called by an upstream of cluster with a whole response frame at the front
 * of src. */
void client_deliver(pending *p, int cluster, struct evbuffer *src, size_t len);
int client_is_closed(const client *c);

/* Forwards the frame at the front of in (len bytes, moved) to a broker of
 * cluster: the home upstream when it is of that cluster, else another. */
int client_forward(client *c, int cluster, struct evbuffer *in, size_t len, pending *p,
                   int32_t corr);
/* Sends an encoded request frame (w, size prefix included) to cluster. */
int client_send_encoded(client *c, int cluster, const wire_wr *w, pending *p);
/* Marks p answered with the frame in w (size prefix included). */
int client_answer(pending *p, const wire_wr *w);
/* The rewrite_map over this proxy's virtual brokers. */
void client_rewrite_map(proxy *px, rewrite_map *m);
int client_cluster(const client *c); /* cluster of the home upstream */
/* Sends turnout's own request (frame in w, size prefix included, carrying
 * correlation id corr) to the home upstream; fn gets the answer. */
int client_send_own(client *c, const wire_wr *w, int32_t corr, pending_own_fn fn, void *arg);
/* A correlation id unused on the home upstream, for client_send_own. */
int32_t client_own_corr(client *c);
/* Stops (on) or resumes reading the client's requests for producer_flip.c;
 * the request at the front of the input is handled again on resuming. */
void client_hold(client *c, int on);

#endif
