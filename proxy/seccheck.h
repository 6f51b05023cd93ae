/*
 * `turnout run --check`'s look at the secrets a configuration names: every
 * TLS file, password file or variable and the AWS credentials, checked the
 * way the proxy will use them at start, so that a sidecar whose Secret was
 * not mounted (or holds the wrong thing) is caught before it is rolled out.
 */
#ifndef TURNOUT_PROXY_SECCHECK_H
#define TURNOUT_PROXY_SECCHECK_H

#include <stddef.h>

#include "proxy/config.h"

/*
 * Checks cfg's clusters.<c>.tls (ca_file, cert_file, key_file: readable
 * regular files, PEM, the key unencrypted and matching the certificate, the
 * certificate not expired), clusters.<c>.sasl (the password file or variable
 * non-empty, or the AWS credentials loadable) and listen_tls. Writes one line
 * per problem to out ("clusters.legacy.tls.ca_file: /path: why"), never a
 * secret's content. Returns the number of problems; *checked gets the number
 * of secrets looked at.
 */
int seccheck_config(const config *cfg, char *out, size_t outlen, int *checked);

#endif
