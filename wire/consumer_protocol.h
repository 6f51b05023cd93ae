/*
 * ConsumerProtocol payloads carried as opaque bytes in JoinGroup (protocol
 * metadata = subscription) and SyncGroup (assignment).
 */
#ifndef TURNOUT_WIRE_CONSUMER_PROTOCOL_H
#define TURNOUT_WIRE_CONSUMER_PROTOCOL_H

#include "wire_msgs.h"

/* Reads "int16 version + struct". A version newer than the codec knows is read
 * as the newest known one, ignoring what follows, as Kafka clients do. *version
 * gets the version found on the wire. */
int wire_subscription_parse(const uint8_t *p, size_t len, wire_arena *a,
                            wire_consumer_protocol_subscription *out, int16_t *version, char *err,
                            size_t errlen);
int wire_assignment_parse(const uint8_t *p, size_t len, wire_arena *a,
                          wire_consumer_protocol_assignment *out, int16_t *version, char *err,
                          size_t errlen);
/* Writes "int16 version + struct". */
int wire_subscription_write(wire_wr *w, int16_t version,
                            const wire_consumer_protocol_subscription *s);
int wire_assignment_write(wire_wr *w, int16_t version, const wire_consumer_protocol_assignment *s);

#endif
