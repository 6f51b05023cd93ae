/*
 * rdk_client's output: the integration tests parse one JSON object per run
 * from stdout, so everything a run observed (records with partitions and
 * offsets, committed offsets, assignments) is written here, escaped, and
 * nothing else goes to stdout. librdkafka's own logs go to stderr.
 */
#include "tests/clients/rdk_out.h"

#include "tests/clients/rdk.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int first; /* no comma before the next member or element */

static char *dup_bytes(const void *p, size_t len)
{
	char *s = malloc(len + 1);
	if (!s) {
		fprintf(stderr, "rdk_client: out of memory\n");
		exit(2);
	}
	if (len)
		memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

void out_records_add(out_records *r, int32_t partition, int64_t offset, const void *key,
                     size_t klen, const void *value, size_t vlen)
{
	if (r->n == r->cap) {
		int cap = r->cap ? r->cap * 2 : 64;
		out_record *v = realloc(r->v, sizeof(*v) * (size_t)cap);
		if (!v) {
			fprintf(stderr, "rdk_client: out of memory\n");
			exit(2);
		}
		r->v = v;
		r->cap = cap;
	}
	out_record *o = &r->v[r->n++];
	o->partition = partition;
	o->offset = offset;
	o->key = key ? dup_bytes(key, klen) : NULL;
	o->value = dup_bytes(value ? value : "", value ? vlen : 0);
}

void out_records_free(out_records *r)
{
	for (int i = 0; i < r->n; i++) {
		free(r->v[i].key);
		free(r->v[i].value);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

void out_string(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

void out_elem_sep(void)
{
	if (!first)
		putchar(',');
	first = 0;
}

static void member(const char *key)
{
	out_elem_sep();
	out_string(key);
	putchar(':');
}

void out_open(const char *op)
{
	putchar('{');
	first = 1;
	out_str("op", op);
	out_str("librdkafka", rd_kafka_version_str());
}

void out_int(const char *key, int64_t v)
{
	member(key);
	printf("%lld", (long long)v);
}

void out_str(const char *key, const char *s)
{
	member(key);
	out_string(s);
}

void out_begin(const char *key, char bracket)
{
	member(key);
	putchar(bracket);
	first = 1;
}

void out_end(char bracket)
{
	putchar(bracket);
	first = 0;
}

void out_records_print(const char *key, const out_records *r)
{
	out_begin(key, '[');
	for (int i = 0; i < r->n; i++) {
		out_elem_sep();
		printf("[%d,%lld,", r->v[i].partition, (long long)r->v[i].offset);
		if (r->v[i].key)
			out_string(r->v[i].key);
		else
			printf("null");
		putchar(',');
		out_string(r->v[i].value);
		putchar(']');
	}
	out_end(']');
}

void out_offsets(const char *key, const int64_t *offsets, int n)
{
	out_begin(key, '{');
	for (int i = 0; i < n; i++) {
		out_elem_sep();
		printf("\"%d\":%lld", i, (long long)offsets[i]);
	}
	out_end('}');
}

void out_ints(const char *key, const int *v, int n)
{
	out_begin(key, '[');
	for (int i = 0; i < n; i++) {
		out_elem_sep();
		printf("%d", v[i]);
	}
	out_end(']');
}

void out_close(void)
{
	printf("}\n");
	fflush(stdout);
}
