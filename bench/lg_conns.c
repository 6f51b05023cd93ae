/*
 * Idle client connections, for the proxy's memory per connection. Each of
 * --count connections does what a Kafka client does first (ApiVersions v0,
 * then a Metadata v1 request for no topics, which a proxy must forward and
 * answer) and then stays open and silent until stdin reaches end of file.
 * A librdkafka handle per connection would cost threads and buffers in this
 * process; the proxy cannot tell the difference.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "bench/loadgen.h"

static void put16(uint8_t *p, int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, int32_t v)
{
	put16(p, (int)((uint32_t)v >> 16));
	put16(p + 2, v & 0xffff);
}

static int32_t get32(const uint8_t *p)
{
	return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
}

static int read_full(int fd, uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = read(fd, buf, len);
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One request with a v1 header; the response is read and its correlation
 * id checked, its body skipped. */
static int call(int fd, int api, int version, int32_t corr, const uint8_t *body, size_t blen)
{
	uint8_t req[64], hdr[8], skip[4096];
	static const char id[] = "loadgen";
	size_t len = 4 + 10 + (sizeof(id) - 1) + blen;
	if (len > sizeof(req))
		return -1;
	put32(req, (int32_t)(len - 4));
	put16(req + 4, api);
	put16(req + 6, version);
	put32(req + 8, corr);
	put16(req + 12, sizeof(id) - 1);
	memcpy(req + 14, id, sizeof(id) - 1);
	memcpy(req + 14 + sizeof(id) - 1, body, blen);
	if (write(fd, req, len) != (ssize_t)len || read_full(fd, hdr, 8))
		return -1;
	int32_t size = get32(hdr);
	if (size < 4 || get32(hdr + 4) != corr)
		return -1;
	for (size_t left = (size_t)size - 4; left;) {
		size_t n = left < sizeof(skip) ? left : sizeof(skip);
		if (read_full(fd, skip, n))
			return -1;
		left -= n;
	}
	return 0;
}

static int dial(const char *bootstrap)
{
	char host[256];
	const char *colon = strrchr(bootstrap, ':');
	const char *comma = strchr(bootstrap, ',');
	if (!colon || (comma && comma < colon) || (size_t)(colon - bootstrap) >= sizeof(host))
		return -1;
	memcpy(host, bootstrap, (size_t)(colon - bootstrap));
	host[colon - bootstrap] = '\0';
	struct sockaddr_in sin = {.sin_family = AF_INET,
	                          .sin_port = htons((uint16_t)atoi(colon + 1))};
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		return -1;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct timeval tmo = {10, 0};
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo)) ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		close(fd);
		return -1;
	}
	return fd;
}

int lg_conns(const lg_opts *o)
{
	static const uint8_t no_topics[4] = {0, 0, 0, 0}; /* Metadata v1: empty topic array */
	long n = o->count;
	int *fds = calloc((size_t)n, sizeof(*fds));
	long open = 0;
	int rc = -1;
	if (!fds)
		return -1;
	int64_t t0 = lg_now_ns();
	for (; open < n; open++) {
		int fd = dial(o->bootstrap);
		if (fd < 0) {
			fprintf(stderr, "loadgen: connection %ld to %s failed\n", open + 1,
			        o->bootstrap);
			goto out;
		}
		fds[open] = fd;
		if (call(fd, 18, 0, 1, NULL, 0) || call(fd, 3, 1, 2, no_topics, 4)) {
			fprintf(stderr,
			        "loadgen: connection %ld: no answer to ApiVersions/Metadata\n",
			        open + 1);
			open++;
			goto out;
		}
	}
	printf("result mode=conns open=%ld secs=%.3f\n", open, (double)(lg_now_ns() - t0) / 1e9);
	fflush(stdout);
	char buf[256];
	while (read(0, buf, sizeof(buf)) > 0)
		;
	rc = 0;
out:
	for (long i = 0; i < open; i++)
		close(fds[i]);
	free(fds);
	return rc;
}
