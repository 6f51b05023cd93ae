/*
 * Live configuration reload. Triggers: SIGHUP, the file changing (polled
 * once a second with stat(), which follows symlinks: a Kubernetes ConfigMap
 * update swaps the `..data` symlink, so the file's inode changes while an
 * inotify watch on the old file would see nothing), and the admin API.
 * A new file is checked whole; a bad one is rejected with its reason in
 * the log and the running configuration stays.
 */
#ifndef TURNOUT_PROXY_RELOAD_H
#define TURNOUT_PROXY_RELOAD_H

typedef struct proxy proxy;

int reload_start(proxy *px, const char *path);
/* Loads and applies the file now; 0 applied or unchanged, -1 rejected. */
int reload_now(proxy *px, const char *trigger);
void reload_stop(proxy *px);

#endif
