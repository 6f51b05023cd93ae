/* librdkafka for rdk_client, built against Debian's 2.0.2 and against 2.15.1. */
#ifndef TESTS_CLIENTS_RDK_H
#define TESTS_CLIENTS_RDK_H

/* librdkafka 2.15's rdkafka.h declares a "const int" return type, which
 * -Wextra -Werror rejects; the header is not ours to fix. */
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-qualifiers"
#endif
#include <librdkafka/rdkafka.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#endif
