#ifndef MOCKCLUSTER_BACKLOG_H
#define MOCKCLUSTER_BACKLOG_H

#include <stddef.h>

/* Re-listen every listening TCP socket of this process whose local port is
 * one of ports[0..port_cnt) with a SOMAXCONN backlog. Returns the number of
 * sockets raised, or -1 if /proc/self/fd could not be read (errno set). */
int backlog_raise(const int *ports, size_t port_cnt);

/* The port of a listening IPv4 socket of this process that is not one of
 * ports[0..port_cnt) (a broker the mock just added), or -1 if none. */
int backlog_find_new(const int *ports, size_t port_cnt);

#endif
