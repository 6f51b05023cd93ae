/*
 * Process life cycle: discover both clusters, then listen; a janitor event
 * frees closed connections after the callback chain that closed them; TERM
 * and INT stop the loop (as evsignal events, never raw handlers).
 */
#include "proxy/proxy.h"

#include <arpa/inet.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/admin.h"
#include "proxy/aws_creds.h"
#include "proxy/aws_ecs.h"
#include "proxy/flip.h"
#include "proxy/log.h"
#include "proxy/metrics.h"
#include "proxy/producer_flip.h"
#include "proxy/reload.h"
#include "proxy/sasl.h"
#include "proxy/tls.h"

static void janitor(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	client_free_closed(arg);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	proxy *px = arg;
	log_info("event=signal signal=%s action=shutdown", sig == SIGTERM ? "TERM" : "INT");
	event_base_loopexit(px->base, NULL);
}

static void on_bootstrap_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *addr,
                                int len, void *arg)
{
	(void)l;
	(void)len;
	client_accept(arg, NULL, fd, addr);
}

int proxy_init(proxy *px, struct event_base *base, config *cfg)
{
	memset(px, 0, sizeof(*px));
	px->fetch_cluster = -1;
	px->base = base;
	px->cfg = cfg;
	TAILQ_INIT(&px->clients);
	view_update(px);
	TAILQ_INIT(&px->justfree);
	px->metrics = metrics_new();
	px->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
	if (!px->dns) {
		log_error("event=init_failed reason=\"DNS resolver setup failed: /etc/resolv.conf "
		          "missing or unreadable\" action=\"mount or create it (containers get "
		          "one from the runtime)\"");
		return -1;
	}
	px->janitor = event_new(base, -1, 0, janitor, px);
	px->sigterm = evsignal_new(base, SIGTERM, on_signal, px);
	px->sigint = evsignal_new(base, SIGINT, on_signal, px);
	if (!px->metrics || !px->dns || !px->janitor || !px->sigterm || !px->sigint ||
	    event_add(px->sigterm, NULL) || event_add(px->sigint, NULL)) {
		log_error("event=init_failed reason=\"libevent setup failed\"");
		return -1;
	}
	signal(SIGPIPE, SIG_IGN);
	char err[600];
	if (tls_init(px, err, sizeof(err))) {
		log_error("event=init_failed reason=\"%s\"", err);
		return -1;
	}
	for (int c = 0; c < CLUSTER_COUNT; c++) {
		const config_sasl *s = cfg->clusters[c].sasl;
		if (s && sasl_check_credentials(s, err, sizeof(err))) {
			log_error("event=init_failed cluster=%s mechanism=%s reason=\"%s\"",
			          config_cluster_names[c], sasl_mech_names[s->mechanism], err);
			return -1;
		}
		if (s && s->mechanism == SASL_AWS_MSK_IAM && aws_creds_from_container(s->profile) &&
		    aws_ecs_start(base, px->dns, err, sizeof(err))) {
			log_error("event=init_failed cluster=%s reason=\"%s\"",
			          config_cluster_names[c], err);
			return -1;
		}
	}
	if (prodflip_start(px)) {
		log_error("event=init_failed reason=\"out of memory\"");
		return -1;
	}
	if (flip_start(px, err, sizeof(err))) {
		log_error("event=init_failed reason=\"translation engine: %s\"", err);
		return -1;
	}
	/* before discovery: probes answer (503) while the clusters are looked up */
	if (admin_start(px, err, sizeof(err))) {
		log_error("event=init_failed reason=\"%s\"", err);
		return -1;
	}
	for (int c = 0; c < CLUSTER_COUNT; c++)
		cluster_start(px, c);
	return 0;
}

void proxy_clusters_ready(proxy *px)
{
	apiversions_table both[CLUSTER_COUNT];
	for (int c = 0; c < CLUSTER_COUNT; c++)
		both[c] = px->clusters[c].versions;
	apiversions_combine(both, &px->offer);
	struct sockaddr_in sin = {.sin_family = AF_INET,
	                          .sin_port = htons((uint16_t)px->cfg->listen_port)};
	if (inet_pton(AF_INET, px->cfg->listen_host, &sin.sin_addr) != 1) {
		log_error("event=listen_failed reason=\"listen host must be an IPv4 address\"");
		event_base_loopexit(px->base, NULL);
		return;
	}
	px->bootstrap = evconnlistener_new_bind(px->base, on_bootstrap_accept, px,
	                                        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 1024,
	                                        (struct sockaddr *)&sin, sizeof(sin));
	if (!px->bootstrap) {
		log_error("event=listen_failed listen=%s:%d reason=\"bind failed\"",
		          px->cfg->listen_host, px->cfg->listen_port);
		event_base_loopexit(px->base, NULL);
		return;
	}
	struct sockaddr_in got;
	socklen_t gl = sizeof(got);
	getsockname(evconnlistener_get_fd(px->bootstrap), (struct sockaddr *)&got, &gl);
	px->bootstrap_port = ntohs(got.sin_port);
	px->ready = 1;
	log_info("event=ready bootstrap=%s:%d default_cluster=%s virtual_brokers=%d",
	         px->cfg->listen_host, px->bootstrap_port,
	         config_cluster_names[px->cfg->default_cluster], px->nvbrokers);
}

void proxy_shutdown(proxy *px)
{
	client_free_all(px);
	if (px->bootstrap)
		evconnlistener_free(px->bootstrap);
	for (int32_t i = 0; i < px->nvbrokers; i++) {
		if (px->vbrokers[i]->lst)
			evconnlistener_free(px->vbrokers[i]->lst);
		free(px->vbrokers[i]);
	}
	for (int c = 0; c < CLUSTER_COUNT; c++) {
		if (px->clusters[c].admin)
			bufferevent_free(px->clusters[c].admin);
		sasl_session_free(px->clusters[c].sasl); /* a discovery exchange in flight */
		if (px->clusters[c].refresh)
			event_free(px->clusters[c].refresh);
	}
	reload_stop(px);
	admin_stop(px);    /* no request reads the engine or the groups any more */
	flip_stop(px);     /* before the groups its jobs name */
	prodflip_stop(px); /* after the clients, whose requests it counts */
	groups_free(&px->groups);
	view_free(px);
	free(px->presented_cluster_id);
	tls_free(px);
	aws_ecs_stop();
	/* start-up may have failed before any of these was made (libevent
	 * setup: evdns_base_new fails without /etc/resolv.conf) */
	if (px->janitor)
		event_free(px->janitor);
	if (px->sigterm)
		event_free(px->sigterm);
	if (px->sigint)
		event_free(px->sigint);
	if (px->dns)
		evdns_base_free(px->dns, 0);
	metrics_free(px->metrics);
	px->metrics = NULL;
}
