/*
 * loadgen: the load generator behind `make bench` (in the spirit of
 * librdkafka's rdkafka_performance). One mode per run:
 *
 *   loadgen MODE --bootstrap HOST:PORT[,...] --topic T [options]
 *
 *   produce   throughput for --duration s (--size, --acks)
 *   preload   exactly --count records over --partitions partitions
 *   consume   the whole topic from the beginning (--expect N checks the count)
 *   latency   --rate records/s for --duration s after --warmup s: produce
 *             request and end-to-end percentiles; with --metadata-topic also
 *             Metadata round trips every --metadata-interval-ms; with
 *             --probe-interval-ms also ApiVersions round trips (to
 *             --probe-bootstrap if given)
 *   conns     --count idle client connections, held until stdin closes
 *
 * Every mode prints exactly one line "result mode=... key=value ..." on
 * stdout when it succeeds and exits 0; failures are explained on stderr and
 * exit 1, because a benchmark that lost records measured nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/loadgen.h"

static const struct {
	const char *name;
	lg_mode_fn run;
} modes[] = {
    {"produce", lg_produce}, {"preload", lg_preload}, {"consume", lg_consume},
    {"latency", lg_latency}, {"conns", lg_conns},
};

int64_t lg_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

rd_kafka_conf_t *lg_conf(const char *bootstrap, const char *const *kv)
{
	char err[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err)) ||
	    rd_kafka_conf_set(conf, "log_level", "4", err, sizeof(err)))
		goto fail;
	for (; kv && kv[0]; kv += 2)
		if (rd_kafka_conf_set(conf, kv[0], kv[1], err, sizeof(err)))
			goto fail;
	return conf;
fail:
	fprintf(stderr, "loadgen: config: %s\n", err);
	rd_kafka_conf_destroy(conf);
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: loadgen produce|preload|consume|latency|conns --bootstrap HOST:PORT\n"
	           "         [--topic T] [--size BYTES] [--acks all|1|0] [--duration S]\n"
	           "         [--warmup S] [--count N] [--partitions N] [--rate N/s]\n"
	           "         [--expect N] [--metadata-topic T] [--metadata-interval-ms MS]\n"
	           "         [--probe-interval-ms MS] [--probe-bootstrap HOST:PORT]\n");
}

/* Strict number parse of the whole word within [min, max]. */
static int num(const char *s, double min, double max, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse(int argc, char **argv, lg_opts *o)
{
	*o = (lg_opts){.size = 100,
	               .acks = "all",
	               .duration = 5,
	               .warmup = 1,
	               .count = 0,
	               .partitions = 1,
	               .rate = 1000,
	               .expect = -1,
	               .metadata_interval_ms = 200};
	for (int i = 2; i < argc; i++) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		double d;
		if (!v) {
			fprintf(stderr, "loadgen: %s needs a value\n", k);
			return -1;
		}
		i++;
		if (!strcmp(k, "--bootstrap"))
			o->bootstrap = v;
		else if (!strcmp(k, "--topic"))
			o->topic = v;
		else if (!strcmp(k, "--acks") &&
		         (!strcmp(v, "all") || !strcmp(v, "1") || !strcmp(v, "0")))
			o->acks = v;
		else if (!strcmp(k, "--metadata-topic"))
			o->metadata_topic = v;
		else if (!strcmp(k, "--probe-bootstrap"))
			o->probe_bootstrap = v;
		else if (!strcmp(k, "--size") && !num(v, 16, 1 << 20, &d))
			o->size = (int)d;
		else if (!strcmp(k, "--duration") && !num(v, 0.1, 3600, &d))
			o->duration = d;
		else if (!strcmp(k, "--warmup") && !num(v, 0, 600, &d))
			o->warmup = d;
		else if (!strcmp(k, "--count") && !num(v, 1, 1e9, &d))
			o->count = (long)d;
		else if (!strcmp(k, "--partitions") && !num(v, 1, 100000, &d))
			o->partitions = (int)d;
		else if (!strcmp(k, "--rate") && !num(v, 1, 1e6, &d))
			o->rate = (int)d;
		else if (!strcmp(k, "--expect") && !num(v, 0, 1e10, &d))
			o->expect = (long)d;
		else if (!strcmp(k, "--metadata-interval-ms") && !num(v, 1, 60000, &d))
			o->metadata_interval_ms = (int)d;
		else if (!strcmp(k, "--probe-interval-ms") && !num(v, 1, 60000, &d))
			o->probe_interval_ms = (int)d;
		else {
			fprintf(stderr, "loadgen: bad option %s %s\n", k, v);
			return -1;
		}
	}
	if (!o->bootstrap) {
		fprintf(stderr, "loadgen: --bootstrap is required\n");
		return -1;
	}
	if (!o->topic && strcmp(argv[1], "conns")) {
		fprintf(stderr, "loadgen: --topic is required\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (strcmp(argv[1], modes[i].name))
			continue;
		lg_opts o;
		if (parse(argc, argv, &o)) {
			usage(stderr);
			return 2;
		}
		return modes[i].run(&o) ? 1 : 0;
	}
	fprintf(stderr, "loadgen: unknown mode '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
