/*
 * `turnout healthcheck [--url URL] [--timeout-ms N] [--wait SECONDS]`: one
 * HTTP GET against turnout's admin server, exit 0 on a 2xx answer.
 *
 * The container image holds only turnout and its libraries (no shell, no
 * curl), so the probes that need to run inside it — the Kubernetes sidecar's
 * startup/liveness probes and postStart hook, the ECS container health
 * check — run turnout itself. Blocking sockets with poll() timeouts: this
 * is a short-lived client, not part of the proxy's event loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "proxy/commands.h"

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Splits http://host:port/path; host may be [v6]. 0 ok. */
static int parse_url(const char *url, char *host, size_t hostlen, char *port, size_t portlen,
                     const char **path)
{
	if (strncmp(url, "http://", 7) != 0)
		return -1;
	const char *h = url + 7, *slash = strchr(h, '/');
	const char *end = slash ? slash : h + strlen(h);
	const char *colon = NULL, *hend = end;
	if (*h == '[') {
		const char *rb = memchr(h, ']', (size_t)(end - h));
		if (!rb)
			return -1;
		h++;
		hend = rb;
		colon = rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
		if (colon)
			hend = colon;
	}
	size_t hl = (size_t)(hend - h), pl = colon ? (size_t)(end - colon - 1) : 2;
	if (!hl || hl >= hostlen || !pl || pl >= portlen)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (colon) {
		memcpy(port, colon + 1, pl);
		port[pl] = '\0';
	} else {
		snprintf(port, portlen, "80");
	}
	*path = slash ? slash : "/";
	return 0;
}

/* Waits for fd to become ready for events until deadline; 0 ready. */
static int wait_fd(int fd, short events, long deadline)
{
	for (;;) {
		long left = deadline - now_ms();
		if (left <= 0)
			return -1;
		struct pollfd p = {fd, events, 0};
		int n = poll(&p, 1, (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/* One attempt. Returns the HTTP status, or -1 with why set. */
static int get_once(const char *host, const char *port, const char *path, int timeout_ms, char *why,
                    size_t whylen)
{
	long deadline = now_ms() + timeout_ms;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	int gai = getaddrinfo(host, port, &hints, &res);
	if (gai) {
		snprintf(why, whylen, "resolve %.64s: %s", host, gai_strerror(gai));
		return -1;
	}
	int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int status = -1;
	if (fd < 0) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		goto done;
	}
	if (connect(fd, res->ai_addr, res->ai_addrlen) && errno != EINPROGRESS) {
		snprintf(why, whylen, "connect: %s", strerror(errno));
		goto done;
	}
	int soerr = 0;
	socklen_t sl = sizeof(soerr);
	if (wait_fd(fd, POLLOUT, deadline) || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) ||
	    soerr) {
		snprintf(why, whylen, "connect: %s", soerr ? strerror(soerr) : "timed out");
		goto done;
	}
	char req[512];
	int n = snprintf(req, sizeof(req),
	                 "GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n", path, host);
	if (n < 0 || (size_t)n >= sizeof(req) || send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
		snprintf(why, whylen, "send failed");
		goto done;
	}
	char buf[64];
	size_t got = 0;
	while (got < sizeof(buf) - 1 && !memchr(buf, '\n', got)) {
		if (wait_fd(fd, POLLIN, deadline)) {
			snprintf(why, whylen, "no answer within %d ms", timeout_ms);
			goto done;
		}
		ssize_t r = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	buf[got] = '\0';
	int code;
	if (sscanf(buf, "HTTP/1.%*1[01] %3d", &code) != 1) {
		snprintf(why, whylen, "not an HTTP answer");
		goto done;
	}
	status = code;
	snprintf(why, whylen, "HTTP %d", code);
done:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(res);
	return status;
}

int cmd_healthcheck(int argc, char **argv)
{
	const char *url = "http://127.0.0.1:9644/readyz";
	long timeout_ms = 2000, wait_s = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		char *end = NULL;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			printf("usage: turnout healthcheck [--url URL] [--timeout-ms N] [--wait "
			       "SECONDS]\n"
			       "GETs URL (default %s); exit 0 on a 2xx answer.\n"
			       "--wait retries every 500 ms for up to SECONDS.\n",
			       url);
			return 0;
		}
		if (!v) {
			fprintf(stderr, "turnout healthcheck: %s needs a value\n", a);
			return 2;
		}
		i++;
		if (strcmp(a, "--url") == 0) {
			url = v;
		} else if (strcmp(a, "--timeout-ms") == 0) {
			timeout_ms = strtol(v, &end, 10);
			if (*end || timeout_ms < 1 || timeout_ms > 600000) {
				fprintf(stderr, "turnout healthcheck: --timeout-ms: 1..600000\n");
				return 2;
			}
		} else if (strcmp(a, "--wait") == 0) {
			wait_s = strtol(v, &end, 10);
			if (*end || wait_s < 0 || wait_s > 3600) {
				fprintf(stderr, "turnout healthcheck: --wait: 0..3600 seconds\n");
				return 2;
			}
		} else {
			fprintf(stderr, "turnout healthcheck: unknown argument %s\n", a);
			return 2;
		}
	}
	char host[256], port[16], why[160];
	const char *path;
	if (parse_url(url, host, sizeof(host), port, sizeof(port), &path)) {
		fprintf(stderr, "turnout healthcheck: want http://host:port/path, got %s\n", url);
		return 2;
	}
	long give_up = now_ms() + wait_s * 1000L;
	for (;;) {
		int status = get_once(host, port, path, (int)timeout_ms, why, sizeof(why));
		if (status >= 200 && status < 300)
			return 0;
		if (now_ms() >= give_up)
			break;
		usleep(500 * 1000);
	}
	fprintf(stderr, "turnout healthcheck: %s: %s\n", url, why);
	return 1;
}
