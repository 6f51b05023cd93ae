/*
 * Raw Kafka requests for the modes that must not be a librdkafka client:
 * idle connections (one librdkafka handle each would cost this process
 * threads) and the ApiVersions probe (one request at a time, timed alone).
 * Requests use a v1 header; responses are read whole and their
 * correlation id is checked.
 */
#include <arpa/inet.h>
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
int lg_call(int fd, int api, int version, int32_t corr, const uint8_t *body, size_t blen)
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

int lg_dial(const char *bootstrap)
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
