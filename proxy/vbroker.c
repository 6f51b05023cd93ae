/*
 * Virtual brokers. Both clusters number their brokers from 1, so turnout
 * gives every (cluster, broker id) it meets a virtual id of its own, stable
 * for the life of the process, and a listener: a client that connects to
 * virtual broker 5 is talking to one real broker of one cluster.
 *
 * Life cycle of one virtual broker:
 *
 *   id seen (a leader, a replica, a controller) -> vid allocated, no listener
 *   address listed in a cluster's metadata      -> listening
 *   missing from VBROKER_RETIRE_AFTER discovery refreshes in a row
 *                                               -> retired: listener and the
 *                                                  clients bound to it closed
 *   listed again                                -> listening again, same vid,
 *                                                  the same port if it is free
 *
 * A vid is never reused, so an id a client cached can never come to mean
 * another broker.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/log.h"
#include "proxy/proxy.h"

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *addr, int len,
                      void *arg)
{
	(void)l;
	(void)len;
	vbroker *vb = arg;
	client_accept(vb->px, vb, fd, addr);
}

static struct evconnlistener *bind_port(proxy *px, vbroker *vb, struct sockaddr_in *sin, int port)
{
	sin->sin_port = htons((uint16_t)port);
	return evconnlistener_new_bind(px->base, on_accept, vb,
	                               LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 1024,
	                               (struct sockaddr *)sin, sizeof(*sin));
}

/* Listens for vb: on broker_port_base + vid if configured, else on the port
 * it had before it was retired (clients may still hold it), else any. */
static void listen_for(proxy *px, vbroker *vb)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	if (inet_pton(AF_INET, px->cfg->listen_host, &sin.sin_addr) != 1) {
		log_error("event=vbroker_listen_failed vid=%d reason=\"listen host is not IPv4\"",
		          vb->vid);
		return;
	}
	int want =
	    px->cfg->broker_port_base ? px->cfg->broker_port_base + vb->vid : vb->listen_port;
	vb->lst = bind_port(px, vb, &sin, want);
	if (!vb->lst && want && !px->cfg->broker_port_base) {
		log_warn("event=vbroker_port_changed vid=%d port=%d reason=\"previous port is "
		         "taken\"",
		         vb->vid, want);
		vb->lst = bind_port(px, vb, &sin, 0);
	}
	if (!vb->lst) {
		log_error("event=vbroker_listen_failed vid=%d port=%d reason=\"bind failed\"",
		          vb->vid, want);
		return;
	}
	struct sockaddr_in got;
	socklen_t gl = sizeof(got);
	getsockname(evconnlistener_get_fd(vb->lst), (struct sockaddr *)&got, &gl);
	vb->listen_port = ntohs(got.sin_port);
	log_info("event=vbroker_listening vid=%d cluster=%s broker=%d listen=%s:%d", vb->vid,
	         config_cluster_names[vb->cluster], vb->node_id, px->cfg->listen_host,
	         vb->listen_port);
}

int32_t vbroker_vid(proxy *px, int cluster, int32_t node_id)
{
	for (int32_t i = 0; i < px->nvbrokers; i++)
		if (px->vbrokers[i]->cluster == cluster && px->vbrokers[i]->node_id == node_id)
			return px->vbrokers[i]->vid;
	if (px->nvbrokers >= VBROKER_MAX) {
		log_error("event=vbroker_table_full cluster=%s broker=%d",
		          config_cluster_names[cluster], node_id);
		return -1;
	}
	vbroker *vb = calloc(1, sizeof(*vb));
	if (!vb) {
		log_error("event=out_of_memory where=vbroker");
		return -1;
	}
	vb->vid = px->nvbrokers + 1;
	vb->cluster = cluster;
	vb->node_id = node_id;
	vb->px = px;
	px->vbrokers[px->nvbrokers++] = vb;
	return vb->vid;
}

vbroker *vbroker_get(proxy *px, int32_t vid)
{
	return vid >= 1 && vid <= px->nvbrokers ? px->vbrokers[vid - 1] : NULL;
}

void vbroker_learn(proxy *px, int cluster, int32_t node_id, const char *host, int len, int port)
{
	vbroker *vb = vbroker_get(px, vbroker_vid(px, cluster, node_id));
	if (!vb || len <= 0 || (size_t)len >= sizeof(vb->host) || port <= 0)
		return;
	vb->missing = 0;
	if (vb->port != port || strncmp(vb->host, host, (size_t)len) != 0 || vb->host[len]) {
		memcpy(vb->host, host, (size_t)len);
		vb->host[len] = '\0';
		vb->port = port;
		log_info("event=broker_address cluster=%s broker=%d vid=%d address=%s:%d",
		         config_cluster_names[cluster], node_id, vb->vid, vb->host, port);
	}
	if (vb->retired) {
		vb->retired = 0;
		log_info("event=vbroker_returned vid=%d cluster=%s broker=%d", vb->vid,
		         config_cluster_names[cluster], node_id);
	}
	if (!vb->lst)
		listen_for(px, vb);
}

static void retire(proxy *px, vbroker *vb)
{
	char why[160];
	snprintf(why, sizeof(why), "virtual broker %d retired: %s broker %d left the metadata",
	         vb->vid, config_cluster_names[vb->cluster], vb->node_id);
	log_info("event=vbroker_retired vid=%d cluster=%s broker=%d listen=%s:%d "
	         "missing_refreshes=%d",
	         vb->vid, config_cluster_names[vb->cluster], vb->node_id, px->cfg->listen_host,
	         vb->listen_port, vb->missing);
	vb->retired = 1;
	if (vb->lst)
		evconnlistener_free(vb->lst);
	vb->lst = NULL;
	client_close_broker(px, vb, why);
}

void vbroker_refreshed(proxy *px, int cluster, const int32_t *ids, int n)
{
	for (int32_t i = 0; i < px->nvbrokers; i++) {
		vbroker *vb = px->vbrokers[i];
		if (vb->cluster != cluster)
			continue;
		int listed = 0;
		for (int k = 0; k < n && !listed; k++)
			listed = ids[k] == vb->node_id;
		if (listed) {
			vb->missing = 0;
			continue;
		}
		/* ids that were never listed (a controller id that is no broker)
		 * have nothing to retire */
		if (vb->retired || !vb->host[0])
			continue;
		if (++vb->missing >= VBROKER_RETIRE_AFTER)
			retire(px, vb);
	}
}

vbroker *vbroker_pick(proxy *px, int cluster)
{
	cluster_state *cs = &px->clusters[cluster];
	for (int32_t tries = 0; tries < px->nvbrokers; tries++) {
		vbroker *vb = px->vbrokers[(cs->rr++) % (unsigned)px->nvbrokers];
		if (vb->cluster == cluster && vb->host[0] && !vb->retired)
			return vb;
	}
	return NULL;
}
