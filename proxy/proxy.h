/*
 * The process-wide state of a running turnout: event base, configuration,
 * the two clusters as turnout knows them, virtual brokers, and the lists
 * every connection lives on (pgbouncer's rule: state is the list).
 */
#ifndef TURNOUT_PROXY_PROXY_H
#define TURNOUT_PROXY_PROXY_H

#include <event2/event.h>
#include <event2/listener.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include "proxy/apiversions.h"
#include "proxy/config.h"
#include "proxy/config_source.h"
#include "proxy/groups.h"
#include "proxy/view.h"

typedef struct client client;
typedef struct proxy proxy;
typedef struct sasl_session sasl_session;
struct ssl_ctx_st;

enum {
	VBROKER_MAX = 1024,
	CLUSTER_BROKERS_MAX = 256,
	VBROKER_RETIRE_AFTER = 3, /* metadata refreshes a broker may be missing from */
};

/* A real broker of one cluster, presented to clients as a virtual broker.
 * Its vid is never reused: a broker that leaves the cluster's metadata is
 * retired (listener and client connections closed) and gets the same vid,
 * and if it can the same port, back when it returns. */
typedef struct vbroker {
	int32_t vid;     /* id clients see; unique across clusters */
	int cluster;     /* CLUSTER_LEGACY or CLUSTER_TARGET */
	int32_t node_id; /* the broker's id in its own cluster */
	char host[256];  /* real address; empty until learned */
	int port;
	struct evconnlistener *lst; /* turnout's listener; NULL until the address is known,
	                               and while retired */
	int listen_port;            /* its port, kept while retired */
	int missing;                /* consecutive metadata refreshes that did not list it */
	int retired;                /* the cluster stopped listing it: not served */
	proxy *px;
} vbroker;

typedef struct cluster_state {
	int index; /* CLUSTER_LEGACY or CLUSTER_TARGET */
	const char *name;
	apiversions_table versions; /* what its brokers accept */
	int have_versions;          /* versions read at least once */
	int have_metadata;          /* broker list read at least once */
	struct bufferevent *admin;  /* turnout's own discovery connection */
	int admin_step;             /* 0 idle, 1 ApiVersions sent, 2 Metadata sent */
	int bootstrap_next;         /* which bootstrap entry to try next */
	int16_t metadata_version;   /* version of the Metadata request in flight */
	struct event *refresh;      /* timer for the next discovery round */
	unsigned rr;                /* round robin over brokers for bootstrap clients */
	sasl_session *sasl;         /* discovery's SASL exchange, while in progress */
	char admin_host[256];       /* host the discovery connection went to */
	char last_error[256];       /* why the last discovery round failed; empty if it did not */
	proxy *px;
} cluster_state;

TAILQ_HEAD(client_list, client);

struct proxy {
	struct event_base *base;
	struct evdns_base *dns;
	config *cfg; /* current snapshot */
	cluster_state clusters[CLUSTER_COUNT];
	vbroker *vbrokers[VBROKER_MAX]; /* index = vid - 1 */
	int32_t nvbrokers;
	struct evconnlistener *bootstrap; /* the address applications use */
	int bootstrap_port;
	apiversions_table offer;     /* what turnout advertises */
	int ready;                   /* both clusters discovered, listening */
	struct client_list clients;  /* open client connections */
	struct client_list justfree; /* closed, freed after this loop turn */
	struct event *janitor;       /* empties justfree */
	struct event *sigterm, *sigint;
	int next_client_id;
	groups groups;              /* consumer groups seen, where each is served */
	struct metrics *metrics;    /* counters behind /metrics (metrics.h) */
	struct admin_server *admin; /* the admin HTTP server (admin.c); NULL if disabled */
	struct coord *coord;        /* the cutover control topic client while flips run (flip.c) */
	struct xlate_engine *xlate; /* the translation engine while one runs, set by its
	                               owner; admin reads readiness and freshness here */
	topic_ids topic_ids[CLUSTER_COUNT]; /* topic id -> name, per cluster */
	unsigned route_gen;                 /* bumped whenever a topic changes cluster */
	int uniform_cluster;                /* view_update(): all routes on one cluster, or -1 */
	char *presented_cluster_id;         /* the one cluster id clients see */
	config_source config_src;           /* what reloads read: file or env, and overrides */
	char *config_path;                  /* its name in the log (the file or the variable) */
	struct stat config_stat;            /* the file's identity when last read */
	struct event *sighup, *config_poll; /* reload triggers */
	unsigned reloads_ok, reloads_failed;
	char reload_error[512]; /* why the last reload was rejected; empty if it was not */
	struct ssl_ctx_st *tls_cluster[CLUSTER_COUNT]; /* upstream TLS (tls.c); NULL = plaintext */
	struct ssl_ctx_st *tls_listen;                 /* client-facing TLS; NULL = plaintext */
	void (*on_ready)(proxy *px);                   /* called once when listening */
	struct flip_ctl *flip; /* translation engine and flips (flip.c); NULL without "mirror" */
	int fetch_cluster;     /* cluster of the last Fetch forwarded (-1 none yet) */
	int64_t fetch_last_ms[CLUSTER_COUNT]; /* wall clock of the last Fetch forwarded to each */
	struct prodflip *prodflip;            /* producer ids and drains (producer_flip.c) */
	struct {
		int holding;             /* start-up: every Fetch held (flip_resume.c) */
		int hold_all;            /* view_hold_all, kept by view_update */
		int64_t started_wall_ms; /* this process's start: older own records are its
		                            predecessor's */
		int64_t hold_until_ms;   /* monotonic: the hold's limit */
	} resume;
};

int proxy_init(proxy *px, struct event_base *base, config *cfg);
void proxy_shutdown(proxy *px);
/* Both clusters answered: compute the offer and start the bootstrap listener. */
void proxy_clusters_ready(proxy *px);

/* Virtual brokers (vbroker.c). */
int32_t vbroker_vid(proxy *px, int cluster, int32_t node_id);
vbroker *vbroker_get(proxy *px, int32_t vid);
/* A cluster listed the broker at host:port (discovery or a client's
 * response): remember the address, listen for it if turnout does not yet. */
void vbroker_learn(proxy *px, int cluster, int32_t node_id, const char *host, int len, int port);
/* A discovery refresh of cluster listed exactly ids[0..n): brokers of that
 * cluster missing from VBROKER_RETIRE_AFTER refreshes in a row are retired. */
void vbroker_refreshed(proxy *px, int cluster, const int32_t *ids, int n);
/* Address of a known broker of cluster for a bootstrap client; NULL if none. */
vbroker *vbroker_pick(proxy *px, int cluster);

/* Cluster discovery (cluster.c). */
void cluster_start(proxy *px, int cluster);

/* Client connections (client.c). */
void client_accept(proxy *px, vbroker *vb, evutil_socket_t fd, const struct sockaddr *addr);
void client_close(client *c, const char *reason);
/* Closes every client that listens on vb or whose upstream is vb. */
void client_close_broker(proxy *px, const vbroker *vb, const char *reason);
void client_free_all(proxy *px);
void client_free_closed(proxy *px);

#endif
