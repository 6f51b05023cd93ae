/* Builds a Kafka record batch (magic v2) for the codec peer test. */
#ifndef TURNOUT_TESTS_PEER_RECORDS_H
#define TURNOUT_TESTS_PEER_RECORDS_H

#include "wire/prim.h"

/* A batch of n records with values "value-<i>"; w receives the bytes. */
int peer_record_batch(wire_wr *w, int n, int64_t timestamp_ms);
uint32_t peer_crc32c(const uint8_t *p, size_t n);

#endif
