/*
 * Listen backlog repair for librdkafka's mock brokers.
 *
 * The mock broker calls listen(fd, 5). A client that opens dozens of
 * connections at once (a proxy warming a pool, kafkajs at start-up) overflows
 * that queue; the kernel then drops the SYNs and the client only gets in
 * after the 1 s SYN retransmit, so tests stall in bursts of a second.
 *
 * librdkafka does not expose the listening sockets, so we find them the way
 * an outsider would: walk /proc/self/fd, keep the descriptors that are
 * listening (SO_ACCEPTCONN) IPv4 TCP sockets bound to a mock broker port, and
 * call listen() again with SOMAXCONN. Linux accepts listen() on a socket that
 * already listens and simply updates its backlog.
 *
 * A broker that is "down" keeps its port bound but is not listening; the
 * SO_ACCEPTCONN check leaves it alone, so this never brings a broker up.
 * When the broker comes back up the mock listens with 5 again, which is why
 * the caller runs this after every "up" command as well.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "mockcluster_backlog.h"

#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

static int backlog_port_wanted(int port, const int *ports, size_t port_cnt)
{
	for (size_t i = 0; i < port_cnt; i++)
		if (ports[i] == port)
			return 1;
	return 0;
}

/* Returns 1 if fd is a listening IPv4 TCP socket on a wanted port. */
static int backlog_is_broker_listener(int fd, const int *ports, size_t port_cnt)
{
	int accepting = 0;
	socklen_t optlen = sizeof(accepting);
	struct sockaddr_in sin;
	socklen_t sinlen = sizeof(sin);

	/* Fails with ENOTSOCK for files, pipes, eventfds: not ours. */
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &optlen) != 0)
		return 0;
	if (!accepting)
		return 0;
	if (getsockname(fd, (struct sockaddr *)&sin, &sinlen) != 0)
		return 0;
	if (sinlen < sizeof(sin) || sin.sin_family != AF_INET)
		return 0;
	return backlog_port_wanted(ntohs(sin.sin_port), ports, port_cnt);
}

/* Calls visit(fd) for every descriptor of this process; stops early when
 * visit returns non-zero and returns that value, or -1 if /proc/self/fd
 * cannot be read (errno set). */
static int backlog_walk(int (*visit)(int fd, void *arg), void *arg)
{
	DIR *dir;
	int self;
	int saved;
	int rc = 0;

	dir = opendir("/proc/self/fd");
	if (!dir)
		return -1;
	self = dirfd(dir);

	while (!rc) {
		struct dirent *de;
		char *end;
		long fd;

		errno = 0;
		de = readdir(dir);
		if (!de) {
			if (errno != 0)
				goto fail;
			break;
		}
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		fd = strtol(de->d_name, &end, 10);
		if (*end != '\0' || fd == self || fd > 1L << 24)
			continue;
		rc = visit((int)fd, arg);
	}

	if (closedir(dir) != 0)
		return -1;
	return rc;

fail:
	saved = errno;
	closedir(dir);
	errno = saved;
	return -1;
}

struct backlog_ports {
	const int *ports;
	size_t port_cnt;
	int raised; /* backlog_raise: sockets raised */
	int found;  /* backlog_find_new: the port found */
};

static int backlog_raise_one(int fd, void *arg)
{
	struct backlog_ports *bp = arg;

	if (backlog_is_broker_listener(fd, bp->ports, bp->port_cnt) && listen(fd, SOMAXCONN) == 0)
		bp->raised++;
	return 0;
}

int backlog_raise(const int *ports, size_t port_cnt)
{
	struct backlog_ports bp = {ports, port_cnt, 0, 0};

	return backlog_walk(backlog_raise_one, &bp) < 0 ? -1 : bp.raised;
}

/* A listening IPv4 socket whose port is not one of the known ones. */
static int backlog_find_one(int fd, void *arg)
{
	struct backlog_ports *bp = arg;
	int accepting = 0;
	socklen_t optlen = sizeof(accepting);
	struct sockaddr_in sin;
	socklen_t sinlen = sizeof(sin);

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &optlen) != 0 || !accepting)
		return 0;
	if (getsockname(fd, (struct sockaddr *)&sin, &sinlen) != 0 || sinlen < sizeof(sin) ||
	    sin.sin_family != AF_INET)
		return 0;
	if (backlog_port_wanted(ntohs(sin.sin_port), bp->ports, bp->port_cnt))
		return 0;
	bp->found = ntohs(sin.sin_port);
	return 1;
}

int backlog_find_new(const int *ports, size_t port_cnt)
{
	struct backlog_ports bp = {ports, port_cnt, 0, 0};

	return backlog_walk(backlog_find_one, &bp) == 1 ? bp.found : -1;
}
