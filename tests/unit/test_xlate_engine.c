/*
 * The engine's thread plumbing without clusters: readers that cannot connect
 * keep it not ready; submitted jobs run on the worker and call back exactly
 * once (with "not ready" or, when stopped first, "engine stopped"); stop
 * joins everything (ASan/LSan check the rest). Connects only to closed
 * local ports.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "proxy/config.h"
#include "proxy/log.h"
#include "routing/mirror_config.h"
#include "routing/xlate.h"
#include "tests/unit/check.h"

typedef struct calls {
	pthread_mutex_t mu;
	int n, not_ready, stopped, results;
	pthread_t thread[64];
} calls;

static void on_done(void *arg, xlate_group_result *res, const char *err)
{
	calls *c = arg;
	pthread_mutex_lock(&c->mu);
	if (c->n < 64)
		c->thread[c->n] = pthread_self();
	c->n++;
	c->results += res != NULL;
	c->not_ready += err && strstr(err, "not ready") != NULL;
	c->stopped += err && strcmp(err, "engine stopped") == 0;
	pthread_mutex_unlock(&c->mu);
	xlate_group_result_free(res);
}

static int calls_n(calls *c)
{
	pthread_mutex_lock(&c->mu);
	int n = c->n;
	pthread_mutex_unlock(&c->mu);
	return n;
}

static void test_engine_async_not_ready(void)
{
	log_level saved = log_threshold;
	log_threshold = LOG_ERROR; /* the readers' connection errors are expected */
	mirror_config mc;
	mirror_config_defaults(&mc);
	mc.source_alias = "legacy";
	mc.target_alias = "target";
	mc.separator = ".";
	config_cluster legacy = {.bootstrap = "127.0.0.1:1"}, target = {.bootstrap = "127.0.0.1:2"};
	char err[1200];
	xlate_engine *e = xlate_engine_start(&mc, &legacy, &target, err, sizeof(err));
	CHECKF(e != NULL, "%s", err);
	if (!e)
		goto out;
	CHECK(!xlate_engine_ready(e));
	CHECK(strcmp(xlate_engine_checkpoints_topic(e), "legacy.checkpoints.internal") == 0);
	CHECK(strcmp(xlate_engine_offset_syncs_topic(e), "mm2-offset-syncs.target.internal") == 0);
	CHECK(xlate_engine_wait_ready(e, 200, err, sizeof(err)) == -1);
	CHECKF(strstr(err, "mm2-offset-syncs.target.internal on legacy: not read to end") &&
	           strstr(err, "legacy.checkpoints.internal on target: not read to end"),
	       "%s", err);
	xlate_group_result *res = (xlate_group_result *)1;
	CHECK(xlate_translate_group(e, "g", TRANSLATE_FORWARD, NULL, &res, err, sizeof(err)) == -1);
	CHECKF(res == NULL && strstr(err, "not ready"), "%s", err);

	calls c = {.mu = PTHREAD_MUTEX_INITIALIZER};
	for (int i = 0; i < 3; i++)
		CHECK(xlate_engine_submit(e, "g", TRANSLATE_FORWARD, on_done, &c) == 0);
	struct timespec step = {0, 10 * 1000000L};
	for (int waited = 0; calls_n(&c) < 3 && waited < 5000; waited += 10)
		nanosleep(&step, NULL);
	pthread_mutex_lock(&c.mu);
	CHECKF(c.n == 3 && c.not_ready == 3 && c.results == 0, "calls %d not_ready %d", c.n,
	       c.not_ready);
	for (int i = 0; i < c.n && i < 64; i++)
		CHECK(!pthread_equal(c.thread[i], pthread_self())); /* on the worker */
	pthread_mutex_unlock(&c.mu);

	/* jobs still queued at stop are answered, once each */
	calls d = {.mu = PTHREAD_MUTEX_INITIALIZER};
	for (int i = 0; i < 40; i++)
		CHECK(xlate_engine_submit(e, "g", TRANSLATE_REVERSE, on_done, &d) == 0);
	xlate_engine_stop(e);
	CHECKF(d.n == 40 && d.not_ready + d.stopped == 40, "calls %d not_ready %d stopped %d", d.n,
	       d.not_ready, d.stopped);
out:
	log_threshold = saved;
}

TEST_TABLE(xlate_engine_tests) = {
    {"xlate engine: async jobs, not ready, stop", test_engine_async_not_ready},
    {NULL, NULL},
};
