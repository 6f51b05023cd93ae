/*
 * libFuzzer target for the cutover control-topic decoder
 * (routing/coord_record.c). Input: u16 key length (big-endian), the key,
 * then the value; a first byte 0xfe makes the value NULL (tombstone). A
 * rejection must say why; an accepted record must encode back to a value
 * that decodes to the same record.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "routing/coord_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int null_val = 0;
	if (size && data[0] == 0xfe) {
		null_val = 1;
		data++;
		size--;
	}
	if (size < 2)
		return 0;
	size_t klen = (size_t)data[0] << 8 | data[1];
	data += 2;
	size -= 2;
	if (klen > size)
		klen = size;
	/* copies so ASan sees the exact extents */
	uint8_t *key = malloc(klen ? klen : 1), *val = malloc(size - klen ? size - klen : 1);
	if (!key || !val)
		abort();
	memcpy(key, data, klen);
	memcpy(val, data + klen, size - klen);
	const char *why = NULL;
	coord_record r, again;
	int rc = coord_record_decode(key, klen, null_val ? NULL : val, size - klen, &r, &why);
	if (rc == -1 && !why)
		abort(); /* a rejection must say why */
	if (rc == 0) {
		char k2[COORD_GROUP_MAX + COORD_INSTANCE_MAX + 2];
		char *v2 = coord_record_value(&r);
		int k2len = coord_record_key(&r, k2, sizeof(k2));
		if (!v2 || k2len < 0)
			abort();
		if (coord_record_decode(k2, (size_t)k2len, v2, strlen(v2), &again, &why) != 0 ||
		    memcmp(&r, &again, sizeof(r)) != 0)
			abort();
		free(v2);
	}
	free(key);
	free(val);
	return 0;
}
