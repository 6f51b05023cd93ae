/*
 * A cluster's TLS and SASL settings as librdkafka properties, for the
 * clients the translation engine runs (see mm2_security.c).
 */
#ifndef TURNOUT_ROUTING_MM2_SECURITY_H
#define TURNOUT_ROUTING_MM2_SECURITY_H

#include "routing/mm2_rdkafka.h"

/* Sets security.protocol and the ssl.* / sasl.* properties of cl on conf;
 * AWS_MSK_IAM becomes OAUTHBEARER with a token refresh callback (st->sasl
 * is set to cl->sasl, which must outlive the client). -1 with err if a
 * setting cannot be applied (a password file that cannot be read, ...). */
int mm2_rk_security(rd_kafka_conf_t *conf, const config_cluster *cl, mm2_rk_status *st, char *err,
                    size_t errlen);

#endif
