/*
 * Reload (see reload.h). What may change live: routes, service, log level,
 * timeouts. What needs a restart (listen address, advertised host, port
 * base, cluster bootstraps) is refused rather than half applied.
 *
 * A group this sidecar has seen (its members talk through it) that would
 * change cluster needs a flip: drain, translate its offsets, seed them,
 * move the members (proxy/flip.c). Without "mirror" no translation is
 * possible, so such a change is refused with that reason instead of moving
 * the group with untranslated offsets. Groups never seen here take their
 * new route at once: no member of theirs is connected through this sidecar.
 */
#include "proxy/reload.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "proxy/config_source.h"
#include "proxy/flip.h"
#include "proxy/groups.h"
#include "proxy/log.h"
#include "proxy/metrics.h"
#include "proxy/producer_flip.h"
#include "proxy/proxy.h"
#include "proxy/view.h"

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The engine reads the mirror settings it started with; turning
 * translation on or off needs a restart. */
static int old_mirror_same(const config *old, const config *new)
{
	return !old->mirror == !new->mirror;
}

/* Why the new config cannot be applied live; NULL if it can. */
static const char *needs_restart(const config *old, const config *new)
{
	if (!same_str(old->listen_host, new->listen_host) || old->listen_port != new->listen_port)
		return "listen changed (restart turnout to apply)";
	if (!same_str(old->advertised_host, new->advertised_host))
		return "advertised_host changed (restart turnout to apply)";
	if (old->broker_port_base != new->broker_port_base)
		return "broker_port_base changed (restart turnout to apply)";
	for (int c = 0; c < CLUSTER_COUNT; c++)
		if (!same_str(old->clusters[c].bootstrap, new->clusters[c].bootstrap))
			return "a cluster's bootstrap changed (restart turnout to apply)";
	if (old->max_frame_bytes != new->max_frame_bytes)
		return "max_frame_bytes changed (restart turnout to apply)";
	for (int c = 0; c < CLUSTER_COUNT; c++)
		if (!secconfig_tls_same(old->clusters[c].tls, new->clusters[c].tls))
			return "a cluster's tls changed (restart turnout to apply)";
	if (!secconfig_listen_same(old->listen_tls, new->listen_tls))
		return "listen_tls changed (restart turnout to apply)";
	if (old->admin.enabled != new->admin.enabled ||
	    !same_str(old->admin.host, new->admin.host) || old->admin.port != new->admin.port)
		return "admin.enabled or admin.listen changed (restart turnout to apply)";
	/* the control topic client (routing/coord.c) keeps what it started with */
	if (!same_str(old->cutover_control_topic, new->cutover_control_topic) ||
	    old->cutover_control_cluster != new->cutover_control_cluster ||
	    !same_str(old->cutover_instance_id, new->cutover_instance_id) ||
	    old->cutover_heartbeat_ms != new->cutover_heartbeat_ms)
		return "cutover.control_topic, control_cluster, instance_id or heartbeat_ms "
		       "changed (restart turnout to apply)";
	return NULL;
}

static void file_identity(const char *path, struct stat *st)
{
	if (stat(path, st))
		memset(st, 0, sizeof(*st));
}

static int changed(const struct stat *a, const struct stat *b)
{
	return a->st_dev != b->st_dev || a->st_ino != b->st_ino || a->st_size != b->st_size ||
	       a->st_mtim.tv_sec != b->st_mtim.tv_sec || a->st_mtim.tv_nsec != b->st_mtim.tv_nsec;
}

int reload_now(proxy *px, const char *trigger)
{
	char err[512];
	if (px->config_src.path)
		file_identity(px->config_src.path, &px->config_stat);
	config *cfg = config_source_load(&px->config_src, err, sizeof(err));
	const char *why = cfg ? needs_restart(px->cfg, cfg) : err;
	if (!why && cfg && !old_mirror_same(px->cfg, cfg))
		why = "mirror added or removed (restart turnout to apply)";
	if (!why && cfg && flip_unavailable(px)) {
		for (size_t i = 0; i < px->groups.n; i++) {
			group_rt *g = px->groups.v[i];
			int want = routes_group(&cfg->routes, g->id, strlen(g->id));
			if (want != g->cluster) {
				snprintf(err, sizeof(err), "group %s would move from %s to %s: %s",
				         g->id, config_cluster_names[g->cluster],
				         config_cluster_names[want], flip_unavailable(px));
				why = err;
				break;
			}
		}
	}
	if (why) {
		px->reloads_failed++;
		snprintf(px->reload_error, sizeof(px->reload_error), "%s", why);
		metrics_reload(px->metrics, trigger, 0);
		log_error("event=reload_rejected trigger=%s config=%s reason=\"%s\" "
		          "action=\"running configuration kept\"",
		          trigger, px->config_path, why);
		config_free(cfg);
		return -1;
	}
	config *old = px->cfg;
	px->cfg = cfg;
	log_threshold = cfg->log_level;
	log_set_format(cfg->log_format, 0);
	px->route_gen++;
	view_update(px);
	prodflip_reloaded(px, old);
	px->reloads_ok++;
	px->reload_error[0] = '\0';
	metrics_reload(px->metrics, trigger, 1);
	if (!flip_keeps_config(px, old))
		config_free(old);
	log_info("event=reload_applied trigger=%s config=%s", trigger, px->config_path);
	/* groups seen here move with a flip (translated offsets), never at once */
	for (size_t i = 0; i < px->groups.n; i++) {
		group_rt *g = px->groups.v[i];
		int want = routes_group(&cfg->routes, g->id, strlen(g->id));
		if (want != g->cluster)
			flip_begin(px, g, want);
	}
	return 0;
}

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	reload_now(arg, "sighup");
}

static void on_poll(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	proxy *px = arg;
	struct stat now;
	file_identity(px->config_src.path, &now);
	if (now.st_ino == 0)
		return; /* mid-swap or removed: keep running, look again later */
	if (changed(&now, &px->config_stat))
		reload_now(px, "file_changed");
}

int reload_start(proxy *px, const config_source *src)
{
	if (config_source_copy(&px->config_src, src))
		return -1;
	const char *name = src->path ? src->path : src->env;
	px->config_path = strdup(name ? name : "");
	if (!px->config_path)
		return -1;
	px->sighup = evsignal_new(px->base, SIGHUP, on_hup, px);
	if (!px->sighup || event_add(px->sighup, NULL))
		return -1;
	if (!src->path)
		return 0; /* --config-env: no file to watch */
	file_identity(src->path, &px->config_stat);
	px->config_poll = event_new(px->base, -1, EV_PERSIST, on_poll, px);
	struct timeval second = {1, 0};
	if (!px->config_poll || event_add(px->config_poll, &second))
		return -1;
	return 0;
}

void reload_stop(proxy *px)
{
	if (px->sighup)
		event_free(px->sighup);
	if (px->config_poll)
		event_free(px->config_poll);
	free(px->config_path);
	config_source_free(&px->config_src);
	px->sighup = px->config_poll = NULL;
	px->config_path = NULL;
}
