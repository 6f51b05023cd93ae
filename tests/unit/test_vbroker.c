/* Virtual broker life cycle: listeners appear with an address, retire after
 * VBROKER_RETIRE_AFTER refreshes without the broker, come back on the same
 * vid and port; vids are never reused. Runs on a real event base with real
 * listening sockets on 127.0.0.1 and no clients. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy/proxy.h"
#include "tests/unit/check.h"

/* 1 if something accepts TCP connections on 127.0.0.1:port. */
static int listening(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	int ok = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
	close(fd);
	return ok;
}

static void test_vbroker_retire_and_return(void)
{
	char err[256] = "";
	config *cfg =
	    config_parse("{\"listen\": \"127.0.0.1:0\", \"clusters\": {\"legacy\": "
	                 "{\"bootstrap\": \"a:1\"}, \"target\": {\"bootstrap\": \"b:1\"}}}",
	                 err, sizeof(err));
	CHECKF(cfg != NULL, "%s", err);
	if (!cfg)
		return;
	log_level saved = log_threshold;
	log_threshold = LOG_WARN; /* the life cycle is logged at info */
	struct event_base *base = event_base_new();
	proxy px;
	memset(&px, 0, sizeof(px));
	px.base = base;
	px.cfg = cfg;
	TAILQ_INIT(&px.clients);
	TAILQ_INIT(&px.justfree);

	/* both clusters number brokers from 1: distinct vids */
	vbroker_learn(&px, CLUSTER_LEGACY, 1, "h1", 2, 9001);
	vbroker_learn(&px, CLUSTER_LEGACY, 2, "h2", 2, 9002);
	vbroker_learn(&px, CLUSTER_TARGET, 1, "t1", 2, 9101);
	int32_t l1 = vbroker_vid(&px, CLUSTER_LEGACY, 1), l2 = vbroker_vid(&px, CLUSTER_LEGACY, 2);
	int32_t t1 = vbroker_vid(&px, CLUSTER_TARGET, 1);
	CHECK(l1 == 1 && l2 == 2 && t1 == 3);
	vbroker *b2 = vbroker_get(&px, l2);
	CHECK(b2 && b2->lst && listening(b2->listen_port));
	int port = b2 ? b2->listen_port : 0;

	/* an id that is no broker (the mock's controller 0) gets a vid, no listener */
	int32_t ghost = vbroker_vid(&px, CLUSTER_LEGACY, 0);
	CHECK(ghost == 4 && vbroker_get(&px, ghost)->lst == NULL);

	int32_t only1[] = {1};
	for (int i = 1; i < VBROKER_RETIRE_AFTER; i++) {
		vbroker_refreshed(&px, CLUSTER_LEGACY, only1, 1);
		CHECKF(b2->lst && !b2->retired, "retired after %d refreshes", i);
	}
	vbroker_refreshed(&px, CLUSTER_LEGACY, only1, 1);
	CHECK(b2->retired && b2->lst == NULL && !listening(port));
	CHECK(vbroker_get(&px, t1)->lst != NULL); /* the other cluster is not touched */
	CHECK(vbroker_get(&px, ghost)->lst == NULL && !vbroker_get(&px, ghost)->retired);
	for (int i = 0; i < 8; i++) /* bootstrap clients never go to a retired broker */
		CHECK(vbroker_pick(&px, CLUSTER_LEGACY) == vbroker_get(&px, l1));

	/* it comes back, at a new address: same vid, same port */
	vbroker_learn(&px, CLUSTER_LEGACY, 2, "h2b", 3, 9202);
	CHECK(vbroker_vid(&px, CLUSTER_LEGACY, 2) == l2 && !b2->retired && b2->lst);
	CHECK(b2->listen_port == port && listening(port));
	CHECK(strcmp(b2->host, "h2b") == 0 && b2->port == 9202);
	/* a new broker gets a new vid: retired ones are never reused */
	vbroker_learn(&px, CLUSTER_LEGACY, 7, "h7", 2, 9007);
	CHECK(vbroker_vid(&px, CLUSTER_LEGACY, 7) == 5 && px.nvbrokers == 5);

	for (int32_t i = 0; i < px.nvbrokers; i++) {
		if (px.vbrokers[i]->lst)
			evconnlistener_free(px.vbrokers[i]->lst);
		free(px.vbrokers[i]);
	}
	event_base_free(base);
	config_free(cfg);
	log_threshold = saved;
}

TEST_TABLE(vbroker_unit_tests) = {
    {"virtual brokers retire and return on the same vid and port", test_vbroker_retire_and_return},
    {NULL, NULL},
};
