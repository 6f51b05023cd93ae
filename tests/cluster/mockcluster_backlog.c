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

int backlog_raise(const int *ports, size_t port_cnt)
{
	DIR *dir;
	int raised = 0;
	int self;
	int saved;

	dir = opendir("/proc/self/fd");
	if (!dir)
		return -1;
	self = dirfd(dir);

	for (;;) {
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
		if (!backlog_is_broker_listener((int)fd, ports, port_cnt))
			continue;
		if (listen((int)fd, SOMAXCONN) == 0)
			raised++;
	}

	if (closedir(dir) != 0)
		return -1;
	return raised;

fail:
	saved = errno;
	closedir(dir);
	errno = saved;
	return -1;
}
