/*
 * libFuzzer target for the MM2 record decoders (FUZZ_CHECKPOINT=1: checkpoint,
 * 0: offset-sync). Input: u16 key length (big-endian), the key, then the
 * value; a first byte 0xff makes the key NULL, 0xfe the value NULL
 * (tombstones). A rejection must say why; an accepted record must encode
 * back to the very same bytes, since the layout has exactly one encoding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "routing/mm2_records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int null_key = 0, null_val = 0;
	if (size && (data[0] == 0xff || data[0] == 0xfe)) {
		null_key = data[0] == 0xff;
		null_val = data[0] == 0xfe;
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
	size_t vlen = size - klen;
	const char *why = NULL;
	uint8_t k2[70000], v2[40000];
	size_t k2len = 0, v2len = 0;
#if FUZZ_CHECKPOINT
	mm2_checkpoint rec;
	int rc = mm2_checkpoint_decode(null_key ? NULL : key, klen, null_val ? NULL : val, vlen,
	                               &rec, &why);
	if (rc == 0 && mm2_checkpoint_encode(&rec, k2, sizeof(k2), &k2len, v2, sizeof(v2), &v2len))
		abort();
#else
	mm2_offset_sync rec;
	int rc = mm2_offset_sync_decode(null_key ? NULL : key, klen, null_val ? NULL : val, vlen,
	                                &rec, &why);
	if (rc == 0 && mm2_offset_sync_encode(&rec, k2, sizeof(k2), &k2len, v2, sizeof(v2), &v2len))
		abort();
#endif
	if (rc != 0 && (!why || !why[0]))
		abort(); /* a rejection must say why */
	if (rc == 0 &&
	    (k2len != klen || v2len != vlen || memcmp(k2, key, klen) || memcmp(v2, val, vlen)))
		abort(); /* accepted bytes must be exactly MM2's encoding */
	free(key);
	free(val);
	return 0;
}
