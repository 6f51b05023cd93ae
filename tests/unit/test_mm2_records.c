/* MM2 record decoders: the reference byte layouts, and every malformed shape
 * rejected with a reason. */
#include <stdint.h>
#include <string.h>

#include "routing/mm2_records.h"
#include "tests/unit/check.h"

/* Reference notes §1.4: group my-group, topic orders, partition 3,
 * upstream 1000, downstream 998, metadata "". */
static const uint8_t cp_key[] = {0x00, 0x08, 'm', 'y', '-', 'g', 'r', 'o', 'u', 'p', 0x00,
                                 0x06, 'o',  'r', 'd', 'e', 'r', 's', 0,   0,   0,   3};
static const uint8_t cp_val[] = {0, 0,                         /* version 0 */
                                 0, 0, 0, 0, 0, 0, 0x03, 0xe8, /* upstream 1000 */
                                 0, 0, 0, 0, 0, 0, 0x03, 0xe6, /* downstream 998 */
                                 0, 0};                        /* metadata "" */
/* §2.2: source topic orders, partition 3, upstream 1000, downstream 998. */
static const uint8_t os_key[] = {0x00, 0x06, 'o', 'r', 'd', 'e', 'r', 's', 0, 0, 0, 3};
static const uint8_t os_val[] = {0, 0, 0, 0, 0, 0, 0x03, 0xe8, 0, 0, 0, 0, 0, 0, 0x03, 0xe6};

static int bytes_eq(mm2_bytes b, const char *s)
{
	return b.len == strlen(s) && memcmp(b.ptr, s, b.len) == 0;
}

static void test_checkpoint_reference_layout(void)
{
	CHECK(sizeof(cp_key) == 22 && sizeof(cp_val) == 20);
	mm2_checkpoint cp;
	const char *why = NULL;
	CHECK(mm2_checkpoint_decode(cp_key, sizeof(cp_key), cp_val, sizeof(cp_val), &cp, &why) ==
	      0);
	CHECK(bytes_eq(cp.group, "my-group") && bytes_eq(cp.topic, "orders"));
	CHECK(cp.partition == 3 && cp.upstream == 1000 && cp.downstream == 998);
	CHECK(cp.metadata.len == 0);
	uint8_t k[64], v[64];
	size_t kl, vl;
	CHECK(mm2_checkpoint_encode(&cp, k, sizeof(k), &kl, v, sizeof(v), &vl) == 0);
	CHECK(kl == sizeof(cp_key) && memcmp(k, cp_key, kl) == 0);
	CHECK(vl == sizeof(cp_val) && memcmp(v, cp_val, vl) == 0);
	/* too small a buffer is an error, not an overflow */
	CHECK(mm2_checkpoint_encode(&cp, k, 21, &kl, v, sizeof(v), &vl) == -1);
}

static void test_offset_sync_reference_layout(void)
{
	mm2_offset_sync os;
	const char *why = NULL;
	CHECK(mm2_offset_sync_decode(os_key, sizeof(os_key), os_val, sizeof(os_val), &os, &why) ==
	      0);
	CHECK(bytes_eq(os.topic, "orders") && os.partition == 3);
	CHECK(os.upstream == 1000 && os.downstream == 998);
	uint8_t k[64], v[64];
	size_t kl, vl;
	CHECK(mm2_offset_sync_encode(&os, k, sizeof(k), &kl, v, sizeof(v), &vl) == 0);
	CHECK(kl == sizeof(os_key) && memcmp(k, os_key, kl) == 0);
	CHECK(vl == sizeof(os_val) && memcmp(v, os_val, vl) == 0);
}

static void test_metadata_roundtrip(void)
{
	mm2_checkpoint in = {{"g", 1}, {"t.x-y_z", 7}, 0, 5, 0, {"commit-meta", 11}}, out;
	uint8_t k[64], v[64];
	size_t kl, vl;
	const char *why;
	CHECK(mm2_checkpoint_encode(&in, k, sizeof(k), &kl, v, sizeof(v), &vl) == 0);
	CHECK(mm2_checkpoint_decode(k, kl, v, vl, &out, &why) == 0);
	CHECK(bytes_eq(out.metadata, "commit-meta") && out.upstream == 5 && out.downstream == 0);
}

/* Builds a record from a template with one change. */
typedef struct bad_case {
	const char *name;
	const uint8_t *key;
	size_t klen;
	const uint8_t *val;
	size_t vlen;
	const char *want; /* substring of the reason */
} bad_case;

static void run_bad(const bad_case *c, size_t n, int checkpoint)
{
	for (size_t i = 0; i < n; i++) {
		const char *why = NULL;
		int rc;
		if (checkpoint) {
			mm2_checkpoint cp;
			rc = mm2_checkpoint_decode(c[i].key, c[i].klen, c[i].val, c[i].vlen, &cp,
			                           &why);
		} else {
			mm2_offset_sync os;
			rc = mm2_offset_sync_decode(c[i].key, c[i].klen, c[i].val, c[i].vlen, &os,
			                            &why);
		}
		CHECKF(rc == -1 && why && strstr(why, c[i].want),
		       "%s: rc %d reason \"%s\", want \"%s\"", c[i].name, rc, why ? why : "(none)",
		       c[i].want);
	}
}

static void test_checkpoint_malformed(void)
{
	uint8_t v1[sizeof(cp_val)], vneg[sizeof(cp_val)], vtrail[sizeof(cp_val) + 1];
	uint8_t kneg[sizeof(cp_key)], kpart[sizeof(cp_key)], ktrail[sizeof(cp_key) + 1];
	uint8_t kbadtopic[sizeof(cp_key)], knul[sizeof(cp_key)], vdown[sizeof(cp_val)];
	memcpy(v1, cp_val, sizeof(v1));
	v1[1] = 1; /* version 1 */
	memcpy(vneg, cp_val, sizeof(vneg));
	vneg[2] = 0x80; /* upstream < 0 */
	memcpy(vdown, cp_val, sizeof(vdown));
	vdown[10] = 0xff; /* downstream < 0 */
	memcpy(vtrail, cp_val, sizeof(cp_val));
	vtrail[sizeof(cp_val)] = 0;
	memcpy(kneg, cp_key, sizeof(kneg));
	kneg[0] = 0xff; /* group length -1 */
	kneg[1] = 0xff;
	memcpy(kpart, cp_key, sizeof(kpart));
	kpart[18] = 0x80; /* partition < 0 */
	memcpy(ktrail, cp_key, sizeof(cp_key));
	ktrail[sizeof(cp_key)] = 9;
	memcpy(kbadtopic, cp_key, sizeof(kbadtopic));
	kbadtopic[14] = '/'; /* "or/ers" */
	memcpy(knul, cp_key, sizeof(knul));
	knul[4] = 0; /* NUL inside the group id */
	const bad_case cases[] = {
	    {"null key", NULL, 0, cp_val, sizeof(cp_val), "null key"},
	    {"tombstone", cp_key, sizeof(cp_key), NULL, 0, "tombstone"},
	    {"empty key", cp_key, 0, cp_val, sizeof(cp_val), "truncated checkpoint key"},
	    {"short key", cp_key, sizeof(cp_key) - 1, cp_val, sizeof(cp_val), "truncated"},
	    {"trailing key", ktrail, sizeof(ktrail), cp_val, sizeof(cp_val), "trailing"},
	    {"negative length", kneg, sizeof(kneg), cp_val, sizeof(cp_val), "negative string"},
	    {"negative partition", kpart, sizeof(kpart), cp_val, sizeof(cp_val), "partition"},
	    {"illegal topic", kbadtopic, sizeof(kbadtopic), cp_val, sizeof(cp_val), "topic"},
	    {"NUL in group", knul, sizeof(knul), cp_val, sizeof(cp_val), "NUL"},
	    {"version 1", cp_key, sizeof(cp_key), v1, sizeof(v1), "version"},
	    {"empty value", cp_key, sizeof(cp_key), cp_val, 0, "truncated checkpoint value"},
	    {"short value", cp_key, sizeof(cp_key), cp_val, sizeof(cp_val) - 1, "truncated"},
	    {"trailing value", cp_key, sizeof(cp_key), vtrail, sizeof(vtrail), "trailing"},
	    {"negative upstream", cp_key, sizeof(cp_key), vneg, sizeof(vneg), "negative offset"},
	    {"negative downstream", cp_key, sizeof(cp_key), vdown, sizeof(vdown),
	     "negative offset"},
	    /* an offset-sync read as a checkpoint: wrong types everywhere */
	    {"offset-sync bytes", os_key, sizeof(os_key), os_val, sizeof(os_val), "checkpoint"},
	};
	run_bad(cases, sizeof(cases) / sizeof(cases[0]), 1);
	/* every truncation of a valid record fails */
	for (size_t k = 0; k < sizeof(cp_key); k++) {
		mm2_checkpoint cp;
		const char *why = NULL;
		CHECKF(mm2_checkpoint_decode(cp_key, k, cp_val, sizeof(cp_val), &cp, &why) == -1 &&
		           why,
		       "key cut at %zu accepted", k);
	}
	for (size_t v = 0; v < sizeof(cp_val); v++) {
		mm2_checkpoint cp;
		const char *why = NULL;
		CHECKF(mm2_checkpoint_decode(cp_key, sizeof(cp_key), cp_val, v, &cp, &why) == -1 &&
		           why,
		       "value cut at %zu accepted", v);
	}
}

static void test_offset_sync_malformed(void)
{
	uint8_t klong[2 + 250 + 4], kempty[6] = {0, 0, 0, 0, 0, 0}, vneg[sizeof(os_val)];
	klong[0] = 0;
	klong[1] = 250;
	memset(klong + 2, 'a', 250);
	memset(klong + 252, 0, 4);
	memcpy(vneg, os_val, sizeof(vneg));
	vneg[8] = 0xff;
	const bad_case cases[] = {
	    {"null key", NULL, 0, os_val, sizeof(os_val), "null key"},
	    {"tombstone", os_key, sizeof(os_key), NULL, 0, "tombstone"},
	    {"short key", os_key, 5, os_val, sizeof(os_val), "truncated offset-sync key"},
	    {"short value", os_key, sizeof(os_key), os_val, 15, "truncated offset-sync value"},
	    {"long value", os_key, sizeof(os_key), cp_val, sizeof(cp_val), "trailing"},
	    {"topic too long", klong, sizeof(klong), os_val, sizeof(os_val), "249"},
	    {"empty topic", kempty, sizeof(kempty), os_val, sizeof(os_val), "empty topic"},
	    {"negative downstream", os_key, sizeof(os_key), vneg, sizeof(vneg), "negative offset"},
	    /* a checkpoint read as an offset-sync */
	    {"checkpoint bytes", cp_key, sizeof(cp_key), cp_val, sizeof(cp_val), "offset-sync"},
	};
	run_bad(cases, sizeof(cases) / sizeof(cases[0]), 0);
}

TEST_TABLE(mm2_records_tests) = {
    {"mm2 checkpoint reference layout", test_checkpoint_reference_layout},
    {"mm2 offset-sync reference layout", test_offset_sync_reference_layout},
    {"mm2 checkpoint metadata round trip", test_metadata_roundtrip},
    {"mm2 checkpoint malformed records rejected", test_checkpoint_malformed},
    {"mm2 offset-sync malformed records rejected", test_offset_sync_malformed},
    {NULL, NULL},
};
