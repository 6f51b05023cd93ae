/* turnout's load generator: modes, options, clock and latency samples. */
#ifndef TURNOUT_BENCH_LOADGEN_H
#define TURNOUT_BENCH_LOADGEN_H

/* librdkafka 2.15's rdkafka.h declares a "const int" return type, which
 * -Wextra -Werror rejects; the header is not ours to fix. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-qualifiers"
#include <librdkafka/rdkafka.h>
#pragma GCC diagnostic pop

#include <stddef.h>
#include <stdint.h>

/* Command line of every mode; a mode reads the fields it documents. */
typedef struct lg_opts {
	const char *bootstrap; /* host:port[,host:port...] */
	const char *topic;
	int size;                   /* record value bytes */
	const char *acks;           /* "all", "1" or "0" */
	double duration;            /* seconds of measured load */
	double warmup;              /* seconds run before measuring (latency) */
	long count;                 /* records (preload), connections (conns) */
	int partitions;             /* preload: spread records over 0..partitions-1 */
	int rate;                   /* latency: records per second */
	long expect;                /* consume: records the topic must hold, -1 if unknown */
	const char *metadata_topic; /* latency: also time Metadata for this topic */
	int metadata_interval_ms;
	int probe_interval_ms;       /* latency: also time ApiVersions every so often (0: no) */
	const char *probe_bootstrap; /* where the probe connects (default: bootstrap) */
} lg_opts;

typedef int (*lg_mode_fn)(const lg_opts *o);

int lg_produce(const lg_opts *o); /* throughput for o->duration seconds */
int lg_preload(const lg_opts *o); /* exactly o->count records, then flush */
int lg_consume(const lg_opts *o); /* the whole topic from the beginning */
int lg_latency(const lg_opts *o); /* o->rate records/s, latency percentiles */
int lg_conns(const lg_opts *o);   /* o->count idle connections until stdin EOF */

/* A blocking TCP connection to the first host:port of bootstrap (IPv4),
 * with a 10 s receive timeout; -1 on failure. */
int lg_dial(const char *bootstrap);
/* One request (v1 header, client id "loadgen") and its whole response;
 * -1 unless the response arrived with correlation id corr. */
int lg_call(int fd, int api, int version, int32_t corr, const uint8_t *body, size_t blen);

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t lg_now_ns(void);

/* A librdkafka configuration with bootstrap.servers and the given pairs
 * (NULL-terminated key, value list); NULL (reason on stderr) on error. */
rd_kafka_conf_t *lg_conf(const char *bootstrap, const char *const *kv);

/* Latency samples of one kind, in nanoseconds. One writer thread at a time. */
typedef struct lg_samples {
	int64_t *v;
	size_t n, cap;
} lg_samples;

int lg_samples_add(lg_samples *s, int64_t ns);
/* Sorts, then prints " <name>_p50_us=... _p99_us=... _p999_us=... _max_us=... _n=..." */
void lg_samples_print(lg_samples *s, const char *name);
void lg_samples_free(lg_samples *s);

#endif
