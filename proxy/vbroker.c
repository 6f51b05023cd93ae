/*
 * Virtual brokers. Both clusters number their brokers from 1, so turnout
 * gives every (cluster, broker id) it meets a virtual id of its own, stable
 * for the life of the process, and a listener: a client that connects to
 * virtual broker 5 is talking to one real broker of one cluster.
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

static void listen_for(proxy *px, vbroker *vb)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	if (inet_pton(AF_INET, px->cfg->listen_host, &sin.sin_addr) != 1) {
		log_error("event=vbroker_listen_failed vid=%d reason=\"listen host is not IPv4\"",
		          vb->vid);
		return;
	}
	int port = px->cfg->broker_port_base ? px->cfg->broker_port_base + vb->vid : 0;
	sin.sin_port = htons((uint16_t)port);
	vb->lst = evconnlistener_new_bind(px->base, on_accept, vb,
	                                  LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 1024,
	                                  (struct sockaddr *)&sin, sizeof(sin));
	if (!vb->lst) {
		log_error("event=vbroker_listen_failed vid=%d port=%d reason=\"bind failed\"",
		          vb->vid, port);
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
	listen_for(px, vb);
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
	if (vb->port == port && strncmp(vb->host, host, (size_t)len) == 0 && !vb->host[len])
		return;
	memcpy(vb->host, host, (size_t)len);
	vb->host[len] = '\0';
	vb->port = port;
	log_info("event=broker_address cluster=%s broker=%d vid=%d address=%s:%d",
	         config_cluster_names[cluster], node_id, vb->vid, vb->host, port);
}

vbroker *vbroker_pick(proxy *px, int cluster)
{
	cluster_state *cs = &px->clusters[cluster];
	for (int32_t tries = 0; tries < px->nvbrokers; tries++) {
		vbroker *vb = px->vbrokers[(cs->rr++) % (unsigned)px->nvbrokers];
		if (vb->cluster == cluster && vb->host[0])
			return vb;
	}
	return NULL;
}
