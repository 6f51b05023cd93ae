/*
 * Every Kafka api key turnout can name, with its first flexible version.
 * Headers depend on flexibility (KIP-482), so even requests turnout only
 * forwards need this table to find where the body starts. Facts from the
 * public protocol specification (Kafka 3.9 / trunk of late 2024).
 */
#include "wire/api.h"

#include <stddef.h>

typedef struct api_info {
	const char *name;     /* api name as the protocol guide spells it */
	int16_t flex_version; /* first flexible version, -1 for none */
} api_info;

static const api_info apis[] = {
    [0] = {"Produce", 9},
    [1] = {"Fetch", 12},
    [2] = {"ListOffsets", 6},
    [3] = {"Metadata", 9},
    [4] = {"LeaderAndIsr", 4},
    [5] = {"StopReplica", 2},
    [6] = {"UpdateMetadata", 6},
    [7] = {"ControlledShutdown", 3},
    [8] = {"OffsetCommit", 8},
    [9] = {"OffsetFetch", 6},
    [10] = {"FindCoordinator", 3},
    [11] = {"JoinGroup", 6},
    [12] = {"Heartbeat", 4},
    [13] = {"LeaveGroup", 4},
    [14] = {"SyncGroup", 4},
    [15] = {"DescribeGroups", 5},
    [16] = {"ListGroups", 3},
    [17] = {"SaslHandshake", -1},
    [18] = {"ApiVersions", 3},
    [19] = {"CreateTopics", 5},
    [20] = {"DeleteTopics", 4},
    [21] = {"DeleteRecords", 2},
    [22] = {"InitProducerId", 2},
    [23] = {"OffsetForLeaderEpoch", 4},
    [24] = {"AddPartitionsToTxn", 3},
    [25] = {"AddOffsetsToTxn", 3},
    [26] = {"EndTxn", 3},
    [27] = {"WriteTxnMarkers", 1},
    [28] = {"TxnOffsetCommit", 3},
    [29] = {"DescribeAcls", 2},
    [30] = {"CreateAcls", 2},
    [31] = {"DeleteAcls", 2},
    [32] = {"DescribeConfigs", 4},
    [33] = {"AlterConfigs", 2},
    [34] = {"AlterReplicaLogDirs", 2},
    [35] = {"DescribeLogDirs", 2},
    [36] = {"SaslAuthenticate", 2},
    [37] = {"CreatePartitions", 2},
    [38] = {"CreateDelegationToken", 2},
    [39] = {"RenewDelegationToken", 2},
    [40] = {"ExpireDelegationToken", 2},
    [41] = {"DescribeDelegationToken", 2},
    [42] = {"DeleteGroups", 2},
    [43] = {"ElectLeaders", 2},
    [44] = {"IncrementalAlterConfigs", 1},
    [45] = {"AlterPartitionReassignments", 0},
    [46] = {"ListPartitionReassignments", 0},
    [47] = {"OffsetDelete", -1},
    [48] = {"DescribeClientQuotas", 1},
    [49] = {"AlterClientQuotas", 1},
    [50] = {"DescribeUserScramCredentials", 0},
    [51] = {"AlterUserScramCredentials", 0},
    [52] = {"Vote", 0},
    [53] = {"BeginQuorumEpoch", 1},
    [54] = {"EndQuorumEpoch", 1},
    [55] = {"DescribeQuorum", 0},
    [56] = {"AlterPartition", 0},
    [57] = {"UpdateFeatures", 0},
    [58] = {"Envelope", 0},
    [59] = {"FetchSnapshot", 0},
    [60] = {"DescribeCluster", 0},
    [61] = {"DescribeProducers", 0},
    [62] = {"BrokerRegistration", 0},
    [63] = {"BrokerHeartbeat", 0},
    [64] = {"UnregisterBroker", 0},
    [65] = {"DescribeTransactions", 0},
    [66] = {"ListTransactions", 0},
    [67] = {"AllocateProducerIds", 0},
    [68] = {"ConsumerGroupHeartbeat", 0},
    [69] = {"ConsumerGroupDescribe", 0},
    [70] = {"ControllerRegistration", 0},
    [71] = {"GetTelemetrySubscriptions", 0},
    [72] = {"PushTelemetry", 0},
    [73] = {"AssignReplicasToDirs", 0},
    [74] = {"ListClientMetricsResources", 0},
    [75] = {"DescribeTopicPartitions", 0},
    [76] = {"ShareGroupHeartbeat", 0},
    [77] = {"ShareGroupDescribe", 0},
    [78] = {"ShareFetch", 0},
    [79] = {"ShareAcknowledge", 0},
    [80] = {"AddRaftVoter", 0},
    [81] = {"RemoveRaftVoter", 0},
    [82] = {"UpdateRaftVoter", 0},
    [83] = {"InitializeShareGroupState", 0},
    [84] = {"ReadShareGroupState", 0},
    [85] = {"WriteShareGroupState", 0},
    [86] = {"DeleteShareGroupState", 0},
    [87] = {"ReadShareGroupStateSummary", 0},
};

#define API_COUNT ((int)(sizeof(apis) / sizeof(apis[0])))

const char *wire_api_name(int16_t api_key)
{
	if (api_key < 0 || api_key >= API_COUNT || !apis[api_key].name)
		return "Unknown";
	return apis[api_key].name;
}

bool wire_api_known(int16_t api_key)
{
	return api_key >= 0 && api_key < API_COUNT && apis[api_key].name != NULL;
}

bool wire_api_flexible(int16_t api_key, int16_t api_version)
{
	if (!wire_api_known(api_key))
		return false;
	int16_t f = apis[api_key].flex_version;
	return f >= 0 && api_version >= f;
}

int wire_req_header_version(int16_t api_key, int16_t api_version)
{
	/* ControlledShutdown v0 predates client ids. */
	if (api_key == WIRE_API_CONTROLLED_SHUTDOWN && api_version == 0)
		return 0;
	return wire_api_flexible(api_key, api_version) ? 2 : 1;
}

int wire_resp_header_version(int16_t api_key, int16_t api_version)
{
	/* KIP-511: ApiVersions responses always use header v0 so that a client
	 * can read the answer to a version it proposed but the broker lacks. */
	if (api_key == WIRE_API_API_VERSIONS)
		return 0;
	return wire_api_flexible(api_key, api_version) ? 1 : 0;
}
