/*
 * Record batch v2: a fixed header, then records with varint fields, with a
 * CRC32C (Castagnoli) over everything from the attributes on. The broker
 * validates it, so this checks the varint primitives against a real reader.
 */
#include "tests/peer/peer_records.h"

#include <stdio.h>
#include <string.h>

uint32_t peer_crc32c(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
	}
	return ~crc;
}

int peer_record_batch(wire_wr *w, int n, int64_t ts)
{
	size_t start = w->len;
	wire_wr_int64(w, 0);  /* base offset */
	wire_wr_int32(w, 0);  /* batch length, patched below */
	wire_wr_int32(w, -1); /* partition leader epoch */
	wire_wr_int8(w, 2);   /* magic */
	wire_wr_int32(w, 0);  /* crc, patched below */
	size_t crc_from = w->len;
	wire_wr_int16(w, 0);     /* attributes: no compression */
	wire_wr_int32(w, n - 1); /* last offset delta */
	wire_wr_int64(w, ts);    /* base timestamp */
	wire_wr_int64(w, ts);    /* max timestamp */
	wire_wr_int64(w, -1);    /* producer id */
	wire_wr_int16(w, -1);    /* producer epoch */
	wire_wr_int32(w, -1);    /* base sequence */
	wire_wr_int32(w, n);     /* record count */
	for (int i = 0; i < n; i++) {
		char value[32];
		int vlen = snprintf(value, sizeof(value), "value-%d", i);
		wire_wr rec;
		wire_wr_init(&rec, false);
		wire_wr_int8(&rec, 0);    /* attributes */
		wire_wr_varlong(&rec, 0); /* timestamp delta */
		wire_wr_varint(&rec, i);  /* offset delta */
		wire_wr_varint(&rec, -1); /* null key */
		wire_wr_varint(&rec, vlen);
		wire_wr_raw(&rec, value, (size_t)vlen);
		wire_wr_varint(&rec, 0); /* no headers */
		wire_wr_varint(w, (int32_t)rec.len);
		wire_wr_raw(w, rec.buf, rec.len);
		int bad = rec.err != NULL;
		wire_wr_free(&rec);
		if (bad)
			return -1;
	}
	if (w->err)
		return -1;
	wire_wr_put_int32_at(w, start + 8, (int32_t)(w->len - start - 12));
	wire_wr_put_int32_at(w, start + 17,
	                     (int32_t)peer_crc32c(w->buf + crc_from, w->len - crc_from));
	return 0;
}
