/*
 * Record batch ids (see recbatch.h). The CRC is CRC-32C (Castagnoli,
 * reflected polynomial 0x82F63B78) over the batch from its attributes to
 * its end, computed with a 256-entry table built on first use.
 */
#include "proxy/recbatch.h"

#include <string.h>

enum {
	OFF_LENGTH = 8,
	OFF_MAGIC = 16,
	OFF_CRC = 17,
	OFF_ATTRS = 21,
	OFF_PID = 43,
	OFF_EPOCH = 51,
	OFF_SEQ = 53,
	OFF_COUNT = 57,
	LOG_OVERHEAD = 12, /* baseOffset + batchLength, not counted in batchLength */
	ATTR_TRANSACTIONAL = 0x10,
};

static uint32_t table[256];
static int table_ready;

static void table_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		table[i] = c;
	}
	table_ready = 1;
}

uint32_t recbatch_crc32c(const uint8_t *p, size_t n)
{
	if (!table_ready)
		table_init(); /* the event loop is single-threaded; tests too */
	uint32_t c = 0xFFFFFFFFu;
	for (size_t i = 0; i < n; i++)
		c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
	return c ^ 0xFFFFFFFFu;
}

static uint64_t get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static void put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* Length of the whole batch at p, or 0 if it is not a whole magic-2 batch. */
static size_t batch_len(const uint8_t *p, size_t len)
{
	if (len < RECBATCH_HEADER)
		return 0;
	int32_t bl = (int32_t)get_be(p + OFF_LENGTH, 4);
	if (bl < RECBATCH_HEADER - LOG_OVERHEAD || (size_t)bl > len - LOG_OVERHEAD ||
	    p[OFF_MAGIC] != 2)
		return 0;
	return (size_t)bl + LOG_OVERHEAD;
}

static void read_ids(const uint8_t *p, recbatch_ids *ids)
{
	ids->producer_id = (int64_t)get_be(p + OFF_PID, 8);
	ids->epoch = (int16_t)get_be(p + OFF_EPOCH, 2);
	ids->base_sequence = (int32_t)get_be(p + OFF_SEQ, 4);
	ids->count = (int32_t)get_be(p + OFF_COUNT, 4);
	ids->transactional = (get_be(p + OFF_ATTRS, 2) & ATTR_TRANSACTIONAL) != 0;
}

int recbatch_first(const uint8_t *p, size_t len, recbatch_ids *out)
{
	if (len < RECBATCH_HEADER || p[OFF_MAGIC] != 2)
		return -1;
	read_ids(p, out);
	return 0;
}

int recbatch_rewrite(uint8_t *p, size_t len, recbatch_fn fn, void *arg)
{
	size_t off = 0;
	int n = 0;
	while (off < len) {
		size_t bl = batch_len(p + off, len - off);
		if (!bl)
			return -1;
		uint8_t *b = p + off;
		recbatch_ids was, ids;
		read_ids(b, &was);
		ids = was;
		int rc = fn(arg, &ids);
		if (rc)
			return rc;
		if (ids.producer_id != was.producer_id || ids.epoch != was.epoch ||
		    ids.base_sequence != was.base_sequence) {
			put_be(b + OFF_PID, (uint64_t)ids.producer_id, 8);
			put_be(b + OFF_EPOCH, (uint64_t)(uint16_t)ids.epoch, 2);
			put_be(b + OFF_SEQ, (uint64_t)(uint32_t)ids.base_sequence, 4);
			put_be(b + OFF_CRC, recbatch_crc32c(b + OFF_ATTRS, bl - OFF_ATTRS), 4);
		}
		off += bl;
		n++;
	}
	return n;
}

int recbatch_each(const uint8_t *p, size_t len, recbatch_look_fn fn, void *arg)
{
	size_t off = 0;
	int n = 0;
	while (off < len) {
		size_t bl = batch_len(p + off, len - off);
		if (!bl)
			return -1;
		recbatch_ids ids;
		read_ids(p + off, &ids);
		int rc = fn(arg, &ids);
		if (rc)
			return rc;
		off += bl;
		n++;
	}
	return n;
}
