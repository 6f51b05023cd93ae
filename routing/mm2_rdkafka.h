/*
 * librdkafka glue shared by the MM2 readers and the translation client:
 * the one place a cluster's connection settings become a librdkafka
 * configuration, and a small status record its error callback fills in.
 */
#ifndef TURNOUT_ROUTING_MM2_RDKAFKA_H
#define TURNOUT_ROUTING_MM2_RDKAFKA_H

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stddef.h>

#include "proxy/config.h"

/* Written by librdkafka's threads (error callback), read by anyone. */
typedef struct mm2_rk_status {
	pthread_mutex_t mu;
	char last_error[256];    /* "" while all is well */
	char name[64];           /* for log lines: "legacy" / "target" / reader name */
	const config_sasl *sasl; /* AWS_MSK_IAM token refresh (mm2_security.c); NULL otherwise */
} mm2_rk_status;

int mm2_rk_status_init(mm2_rk_status *st, const char *name);
void mm2_rk_status_destroy(mm2_rk_status *st);
void mm2_rk_status_set(mm2_rk_status *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void mm2_rk_status_get(mm2_rk_status *st, char *buf, size_t len);

/*
 * A librdkafka configuration for talking to cluster: bootstrap servers,
 * client id, the cluster's TLS / SASL settings (mm2_security.c), error and
 * log callbacks reporting into status. Returns NULL and writes
 * err on failure.
 */
rd_kafka_conf_t *mirror_rk_conf(const config_cluster *cluster, const char *client_id,
                                mm2_rk_status *status, char *err, size_t errlen);

/* Sets one property; returns -1 and writes err if librdkafka refuses it. */
int mm2_rk_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *err,
               size_t errlen);

#endif
