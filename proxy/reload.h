/*
 * Live configuration reload. Triggers: SIGHUP, the file changing (polled
 * once a second with stat(), which follows symlinks: a Kubernetes ConfigMap
 * update swaps the `..data` symlink, so the file's inode changes while an
 * inotify watch on the old file would see nothing), and the admin API.
 * A new file is checked whole; a bad one is rejected with its reason in
 * the log and the running configuration stays.
 *
 * Every reload reads the configuration exactly as `turnout run` did at
 * start (config_source_load): the same file or environment variable, with
 * the same --legacy-bootstrap / --target-bootstrap overrides applied, so a
 * reload never drops them. A configuration from --config-env has no file to
 * watch; SIGHUP still re-reads it.
 */
#ifndef TURNOUT_PROXY_RELOAD_H
#define TURNOUT_PROXY_RELOAD_H

typedef struct proxy proxy;
typedef struct config_source config_source;

/* Keeps a copy of src for the reloads. */
int reload_start(proxy *px, const config_source *src);
/* Loads and applies the configuration now; 0 applied or unchanged, -1 rejected. */
int reload_now(proxy *px, const char *trigger);
void reload_stop(proxy *px);

#endif
