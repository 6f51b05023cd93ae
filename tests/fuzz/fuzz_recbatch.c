/*
 * libFuzzer target for proxy/recbatch.c: the records field of a Produce
 * request comes from the application. Any bytes must either be refused or
 * walked batch by batch; a rewritten batch must carry the new ids and a
 * CRC that matches its bytes; the read-only walk (recbatch_each, on
 * Produce requests turnout refused) sees the same batches.
 */
#include <stdlib.h>
#include <string.h>

#include "proxy/recbatch.h"

static int count(void *arg, const recbatch_ids *ids)
{
	(void)ids;
	(*(int *)arg)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int bump(void *arg, recbatch_ids *ids)
{
	(void)arg;
	ids->producer_id ^= 0x5a5a;
	ids->epoch = (int16_t)(uint16_t)((uint16_t)ids->epoch + 1u);
	ids->base_sequence = (int32_t)((uint32_t)ids->base_sequence - 7u);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *p = malloc(size ? size : 1);
	if (!p)
		return 0;
	memcpy(p, data, size);
	recbatch_ids first;
	(void)recbatch_first(p, size, &first);
	int seen = 0, looked = recbatch_each(data, size, count, &seen);
	int n = recbatch_rewrite(p, size, bump, NULL);
	if (looked != n || (n > 0 && seen != n))
		abort(); /* both walks take the same batches */
	if (n > 0) {
		/* the first batch was rewritten: its CRC covers its new bytes */
		size_t len = 12 + (size_t)((uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 |
		                           (uint32_t)p[10] << 8 | p[11]);
		uint32_t crc =
		    (uint32_t)p[17] << 24 | (uint32_t)p[18] << 16 | (uint32_t)p[19] << 8 | p[20];
		if (crc != recbatch_crc32c(p + 21, len - 21))
			abort();
	}
	free(p);
	return 0;
}
