/*
 * librdkafka configuration for turnout's own clients (the MM2 topic readers
 * and the translation client). Errors librdkafka reports asynchronously
 * (brokers down, authentication failures) land in an mm2_rk_status so a
 * command that times out can say why; librdkafka's own log lines go to
 * turnout's log at debug level, since the status carries what matters.
 */
#include "routing/mm2_rdkafka.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "proxy/log.h"
#include "routing/mm2_security.h"

int mm2_rk_status_init(mm2_rk_status *st, const char *name)
{
	memset(st, 0, sizeof(*st));
	snprintf(st->name, sizeof(st->name), "%s", name);
	return pthread_mutex_init(&st->mu, NULL) ? -1 : 0;
}

void mm2_rk_status_destroy(mm2_rk_status *st)
{
	pthread_mutex_destroy(&st->mu);
}

void mm2_rk_status_set(mm2_rk_status *st, const char *fmt, ...)
{
	char msg[sizeof(st->last_error)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&st->mu);
	int changed = strcmp(st->last_error, msg) != 0;
	memcpy(st->last_error, msg, sizeof(msg));
	pthread_mutex_unlock(&st->mu);
	if (changed && msg[0])
		log_warn("event=kafka_client_error client=%s error=\"%s\"", st->name, msg);
}

void mm2_rk_status_get(mm2_rk_status *st, char *buf, size_t len)
{
	pthread_mutex_lock(&st->mu);
	snprintf(buf, len, "%s", st->last_error);
	pthread_mutex_unlock(&st->mu);
}

static void rk_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	(void)rk;
	mm2_rk_status *st = opaque;
	if (st)
		mm2_rk_status_set(st, "%s: %s", rd_kafka_err2name((rd_kafka_resp_err_t)err),
		                  reason);
}

static void rk_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)level;
	log_debug("event=rdkafka client=%s fac=%s msg=\"%s\"", rd_kafka_name(rk), fac, buf);
}

int mm2_rk_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *err, size_t errlen)
{
	char why[256];
	if (rd_kafka_conf_set(conf, name, value, why, sizeof(why)) != RD_KAFKA_CONF_OK) {
		snprintf(err, errlen, "librdkafka rejected %s=%s: %s", name, value, why);
		return -1;
	}
	return 0;
}

rd_kafka_conf_t *mirror_rk_conf(const config_cluster *cluster, const char *client_id,
                                mm2_rk_status *status, char *err, size_t errlen)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	if (!conf) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (mm2_rk_set(conf, "bootstrap.servers", cluster->bootstrap, err, errlen) ||
	    mm2_rk_security(conf, cluster, status, err, errlen) ||
	    mm2_rk_set(conf, "client.id", client_id, err, errlen) ||
	    mm2_rk_set(conf, "log.connection.close", "false", err, errlen) ||
	    /* reading a missing MM2 topic must not create it on the broker */
	    mm2_rk_set(conf, "allow.auto.create.topics", "false", err, errlen) ||
	    mm2_rk_set(conf, "log_level", log_threshold >= LOG_DEBUG ? "7" : "4", err, errlen)) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rd_kafka_conf_set_opaque(conf, status);
	rd_kafka_conf_set_error_cb(conf, rk_error_cb);
	rd_kafka_conf_set_log_cb(conf, rk_log_cb);
	return conf;
}
