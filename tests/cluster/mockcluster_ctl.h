#ifndef MOCKCLUSTER_CTL_H
#define MOCKCLUSTER_CTL_H

#include "mockcluster_cluster.h"

#include <stddef.h>

/* What the caller should do after a command. */
enum ctl_next {
	CTL_CONTINUE, /* keep reading commands */
	CTL_QUIT,     /* reply, then shut down cleanly */
};

/* The clusters commands can address, by name. */
struct ctl_set {
	struct cluster *clusters;
	size_t cluster_cnt;
};

/* Run one command line (no trailing newline needed). Always writes exactly
 * one reply line, without newline, to reply: "OK ..." or "ERR <reason>". */
enum ctl_next ctl_exec(const struct ctl_set *set, const char *line, char *reply, size_t replylen);

/* Raise the listen backlog of every listening broker of every cluster;
 * returns how many sockets were raised or -1 (errno set). */
int ctl_raise_backlog(const struct ctl_set *set);

#endif
