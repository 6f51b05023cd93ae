/* Kafka api keys, names and header versions. */
#ifndef TURNOUT_WIRE_API_H
#define TURNOUT_WIRE_API_H

#include <stdbool.h>
#include <stdint.h>

enum {
	WIRE_API_PRODUCE = 0,
	WIRE_API_FETCH = 1,
	WIRE_API_LIST_OFFSETS = 2,
	WIRE_API_METADATA = 3,
	WIRE_API_CONTROLLED_SHUTDOWN = 7,
	WIRE_API_OFFSET_COMMIT = 8,
	WIRE_API_OFFSET_FETCH = 9,
	WIRE_API_FIND_COORDINATOR = 10,
	WIRE_API_JOIN_GROUP = 11,
	WIRE_API_HEARTBEAT = 12,
	WIRE_API_LEAVE_GROUP = 13,
	WIRE_API_SYNC_GROUP = 14,
	WIRE_API_DESCRIBE_GROUPS = 15,
	WIRE_API_SASL_HANDSHAKE = 17,
	WIRE_API_API_VERSIONS = 18,
	WIRE_API_INIT_PRODUCER_ID = 22,
	WIRE_API_OFFSET_FOR_LEADER_EPOCH = 23,
	WIRE_API_ADD_OFFSETS_TO_TXN = 25,
	WIRE_API_TXN_OFFSET_COMMIT = 28,
	WIRE_API_SASL_AUTHENTICATE = 36,
	WIRE_API_DESCRIBE_CLUSTER = 60,
};

/* Newest ApiVersions version the codec knows (see wire/schema/api_versions.def). */
#define WIRE_API_VERSIONS_MAX_KNOWN 4

const char *wire_api_name(int16_t api_key);
bool wire_api_known(int16_t api_key);
/* Whether this version of the api uses KIP-482 flexible encoding. */
bool wire_api_flexible(int16_t api_key, int16_t api_version);
/* Request header version 0, 1 or 2 for (api_key, api_version). */
int wire_req_header_version(int16_t api_key, int16_t api_version);
/* Response header version 0 or 1. */
int wire_resp_header_version(int16_t api_key, int16_t api_version);

#endif
