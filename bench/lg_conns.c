/*
 * Idle client connections, for the proxy's memory per connection. Each of
 * --count connections does what a Kafka client does first (ApiVersions v0,
 * then a Metadata v1 request for no topics, which a proxy must forward and
 * answer) and then stays open and silent until stdin reaches end of file.
 * A librdkafka handle per connection would cost threads and buffers in this
 * process; the proxy cannot tell the difference.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/loadgen.h"

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
		int fd = lg_dial(o->bootstrap);
		if (fd < 0) {
			fprintf(stderr, "loadgen: connection %ld to %s failed\n", open + 1,
			        o->bootstrap);
			goto out;
		}
		fds[open] = fd;
		if (lg_call(fd, 18, 0, 1, NULL, 0) || lg_call(fd, 3, 1, 2, no_topics, 4)) {
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
