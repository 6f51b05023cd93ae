/*
 * Writes a seed corpus for the message fuzzers: for every message and
 * version, a few filled and encoded examples in the fuzzers' input format
 * (byte 0 = message index within its schema, byte 1 = version offset).
 * Seeds let a short fuzz run reach deep fields instead of stopping at the
 * first length check. Usage: mkcorpus OUTDIR
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "wire_msgs_fill.h"

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
		return 2;
	}
	int written = 0;
	for (size_t i = 0; i < wire_msg_type_count; i++) {
		const wire_msg_type *t = &wire_msg_types[i];
		uint8_t which = 0; /* position among the types of the same schema */
		for (size_t j = 0; j < i; j++)
			which += strcmp(wire_msg_types[j].schema, t->schema) == 0;
		char dir[512];
		snprintf(dir, sizeof(dir), "%s/%s", argv[1], t->schema);
		if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
			perror(dir);
			return 1;
		}
		for (int16_t v = t->min_version; v <= t->max_version; v++) {
			for (uint64_t seed = 0; seed < 3; seed++) {
				wire_arena a;
				wire_arena_init(&a, 0);
				void *m = calloc(1, t->size);
				if (!m)
					return 1;
				wire_rng g;
				wire_rng_seed(&g, seed * 31 + (uint64_t)v + i * 1000);
				wire_msg_test_ops_table[i].fill(m, v, &g, &a);
				wire_wr w;
				wire_wr_init(&w, false);
				if (t->encode(&w, v, m) != 0) {
					fprintf(stderr, "%s v%d: %s\n", t->name, v, w.err);
					return 1;
				}
				char path[600];
				snprintf(path, sizeof(path), "%s/%s-v%d-%llu", dir, t->name, v,
				         (unsigned long long)seed);
				FILE *f = fopen(path, "wb");
				if (!f) {
					perror(path);
					return 1;
				}
				uint8_t hdr[2] = {which, (uint8_t)(v - t->min_version)};
				int ok = fwrite(hdr, 1, 2, f) == 2 &&
				         (w.len == 0 || fwrite(w.buf, 1, w.len, f) == w.len);
				if (fclose(f) != 0 || !ok) {
					perror(path);
					return 1;
				}
				written++;
				wire_wr_free(&w);
				free(m);
				wire_arena_reset(&a);
			}
		}
	}
	printf("mkcorpus: %d seeds written to %s\n", written, argv[1]);
	return 0;
}
