/*
 * YAML <-> cJSON.
 *
 * Parsing walks libyaml's event stream with an explicit stack: a mapping or
 * sequence start pushes a new cJSON container, its end pops it into the
 * parent (under the key read just before, for a mapping). Plain scalars are
 * resolved to null, bool, integer or float the way kubectl's YAML reader
 * resolves them; quoted, literal and folded scalars are strings, and so are
 * keys, taken as written (kubectl would turn a key `y` into "true"). Anchors are
 * ignored and aliases refused (expansion is how "billion laughs" inputs
 * explode), duplicate keys and non-scalar keys are errors, as for kubectl.
 *
 * Emitting walks a cJSON tree and produces block-style YAML; a string that a
 * reader would resolve to something else ("true", "0644", "") is written
 * double-quoted so the round trip keeps its type.
 */
#include "proxy/yamljson.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_DEPTH 128

/* ---- scalar resolution ---- */

static int one_of(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

static const char *const yes_words[] = {"y",    "Y",    "yes", "Yes", "YES", "true",
                                        "True", "TRUE", "on",  "On",  "ON",  NULL};
static const char *const no_words[] = {"n",     "N",     "no",  "No",  "NO",  "false",
                                       "False", "FALSE", "off", "Off", "OFF", NULL};
static const char *const null_words[] = {"", "~", "null", "Null", "NULL", NULL};

/* Integer forms: [-+]digits, 0x hex, 0b binary, 0 octal (YAML 1.1). */
static int resolve_int(const char *s, double *out)
{
	const char *p = s;
	int neg = 0;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	int base = 10;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		base = 16, p += 2;
	else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B'))
		base = 2, p += 2;
	else if (p[0] == '0' && p[1])
		base = 8, p++;
	if (!*p)
		return 0;
	for (const char *q = p; *q; q++) {
		int d = isdigit((unsigned char)*q)    ? *q - '0'
		        : isxdigit((unsigned char)*q) ? tolower((unsigned char)*q) - 'a' + 10
		                                      : 99;
		if (d >= base)
			return 0;
	}
	if (strlen(p) > 30)
		return 0; /* too long for a number kubectl would accept */
	double v = (double)strtoull(p, NULL, base);
	*out = neg ? -v : v;
	return 1;
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? and .inf/.nan */
static int resolve_float(const char *s, double *out)
{
	const char *p = s;
	if (*p == '-' || *p == '+')
		p++;
	if (one_of(p, (const char *const[]){".inf", ".Inf", ".INF", NULL})) {
		*out = s[0] == '-' ? -INFINITY : INFINITY;
		return 1;
	}
	if (p == s && one_of(p, (const char *const[]){".nan", ".NaN", ".NAN", NULL})) {
		*out = NAN;
		return 1;
	}
	int digits = 0;
	while (isdigit((unsigned char)*p))
		p++, digits++;
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p))
			p++, digits++;
	}
	if (!digits)
		return 0;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		if (!isdigit((unsigned char)*p))
			return 0;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p)
		return 0;
	*out = strtod(s, NULL);
	return 1;
}

/* What a plain scalar means; a new cJSON item. */
static cJSON *resolve_plain(const char *s)
{
	double d;
	if (one_of(s, null_words))
		return cJSON_CreateNull();
	if (one_of(s, yes_words))
		return cJSON_CreateTrue();
	if (one_of(s, no_words))
		return cJSON_CreateFalse();
	if (resolve_int(s, &d) || resolve_float(s, &d))
		return cJSON_CreateNumber(d);
	return cJSON_CreateString(s);
}

/* ---- parsing ---- */

typedef struct frame {
	cJSON *node; /* the open mapping or sequence */
	char *key;   /* mapping: the key waiting for its value */
} frame;

typedef struct parse_state {
	frame stack[MAX_DEPTH];
	int depth;
	cJSON *root; /* the current document's root once complete */
	char *err;
	size_t errlen;
} parse_state;

static int perr(parse_state *st, const yaml_event_t *ev, const char *what)
{
	snprintf(st->err, st->errlen, "line %zu: %s", ev->start_mark.line + 1, what);
	return -1;
}

/* Places a finished value in the open container, or as the document root. */
static int place(parse_state *st, const yaml_event_t *ev, cJSON *v)
{
	if (!v)
		return perr(st, ev, "out of memory");
	if (st->depth == 0) {
		st->root = v;
		return 0;
	}
	frame *f = &st->stack[st->depth - 1];
	if (cJSON_IsArray(f->node)) {
		if (!cJSON_AddItemToArray(f->node, v))
			goto oom;
		return 0;
	}
	if (!f->key) { /* this value is a key (on_event made scalar keys strings) */
		f->key = strdup(v->valuestring);
		cJSON_Delete(v);
		if (!f->key)
			return perr(st, ev, "out of memory");
		if (cJSON_GetObjectItemCaseSensitive(f->node, f->key)) {
			char what[160];
			snprintf(what, sizeof(what), "duplicate key %.100s", f->key);
			return perr(st, ev, what);
		}
		return 0;
	}
	int ok = cJSON_AddItemToObject(f->node, f->key, v);
	free(f->key);
	f->key = NULL;
	if (ok)
		return 0;
oom:
	cJSON_Delete(v);
	return perr(st, ev, "out of memory");
}

static int on_event(parse_state *st, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		return perr(st, ev, "aliases (*name) are not supported");
	case YAML_SCALAR_EVENT: {
		const char *s = (const char *)ev->data.scalar.value;
		const char *tag = (const char *)ev->data.scalar.tag;
		if (strlen(s) != ev->data.scalar.length)
			return perr(st, ev, "NUL byte in a scalar");
		int plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		/* keys are names: `n: 1` has the key "n", not false */
		int is_key = st->depth && cJSON_IsObject(st->stack[st->depth - 1].node) &&
		             !st->stack[st->depth - 1].key;
		int as_str = is_key || !plain || (tag && strcmp(tag, YAML_STR_TAG) == 0);
		return place(st, ev, as_str ? cJSON_CreateString(s) : resolve_plain(s));
	}
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		if (st->depth == MAX_DEPTH)
			return perr(st, ev, "nested too deeply");
		int map = ev->type == YAML_MAPPING_START_EVENT;
		cJSON *n = map ? cJSON_CreateObject() : cJSON_CreateArray();
		if (!n)
			return perr(st, ev, "out of memory");
		/* a container as a key is caught when it is placed */
		if (st->depth && cJSON_IsObject(st->stack[st->depth - 1].node) &&
		    !st->stack[st->depth - 1].key) {
			cJSON_Delete(n);
			return perr(st, ev, "mapping keys must be scalars");
		}
		st->stack[st->depth].node = n;
		st->stack[st->depth].key = NULL;
		st->depth++;
		return 0;
	}
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT: {
		frame *f = &st->stack[--st->depth];
		cJSON *n = f->node;
		f->node = NULL;
		return place(st, ev, n);
	}
	default:
		return 0;
	}
}

cJSON *yamljson_parse(const char *text, size_t len, char *err, size_t errlen)
{
	yaml_parser_t parser;
	parse_state st;
	memset(&st, 0, sizeof(st));
	st.err = err;
	st.errlen = errlen;
	cJSON *docs = cJSON_CreateArray();
	if (!docs || !yaml_parser_initialize(&parser)) {
		snprintf(err, errlen, "out of memory");
		cJSON_Delete(docs);
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	int done = 0, failed = 0;
	while (!done && !failed) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			snprintf(err, errlen, "line %zu: %s", parser.problem_mark.line + 1,
			         parser.problem ? parser.problem : "YAML syntax error");
			failed = 1;
			break;
		}
		if (ev.type == YAML_STREAM_END_EVENT) {
			done = 1;
		} else if (ev.type == YAML_DOCUMENT_END_EVENT) {
			/* empty documents (a stray "---") are skipped, as kubectl does */
			if (st.root && !cJSON_IsNull(st.root) &&
			    !cJSON_AddItemToArray(docs, st.root)) {
				cJSON_Delete(st.root);
				snprintf(err, errlen, "out of memory");
				failed = 1;
			} else if (st.root && cJSON_IsNull(st.root)) {
				cJSON_Delete(st.root);
			}
			st.root = NULL;
		} else if (on_event(&st, &ev)) {
			failed = 1;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	/* unwind whatever was open when an error stopped the walk */
	while (st.depth > 0) {
		frame *f = &st.stack[--st.depth];
		cJSON_Delete(f->node);
		free(f->key);
	}
	cJSON_Delete(st.root);
	if (failed) {
		cJSON_Delete(docs);
		return NULL;
	}
	return docs;
}

/* ---- emitting ---- */

typedef struct outbuf {
	char *data;
	size_t len, cap;
	int oom;
} outbuf;

static int write_out(void *arg, unsigned char *buf, size_t size)
{
	outbuf *o = arg;
	if (o->len + size + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		while (cap < o->len + size + 1)
			cap *= 2;
		char *nd = realloc(o->data, cap);
		if (!nd) {
			o->oom = 1;
			return 0;
		}
		o->data = nd;
		o->cap = cap;
	}
	memcpy(o->data + o->len, buf, size);
	o->len += size;
	o->data[o->len] = '\0';
	return 1;
}

static int emit_scalar(yaml_emitter_t *em, const char *s, yaml_scalar_style_t style)
{
	yaml_event_t ev;
	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 1,
	                                  style))
		return -1;
	return yaml_emitter_emit(em, &ev) ? 0 : -1;
}

/* A string, quoted when a reader would take it for another type. */
static int emit_string(yaml_emitter_t *em, const char *s)
{
	cJSON *back = resolve_plain(s);
	if (!back)
		return -1;
	int keeps = cJSON_IsString(back);
	cJSON_Delete(back);
	return emit_scalar(em, s, keeps ? YAML_ANY_SCALAR_STYLE : YAML_DOUBLE_QUOTED_SCALAR_STYLE);
}

static int emit_node(yaml_emitter_t *em, const cJSON *n, int depth)
{
	yaml_event_t ev;
	char num[64];
	if (depth > MAX_DEPTH)
		return -1;
	if (cJSON_IsObject(n) || cJSON_IsArray(n)) {
		int map = cJSON_IsObject(n);
		if (!(map ? yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
		                                                YAML_BLOCK_MAPPING_STYLE)
		          : yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
		                                                 YAML_BLOCK_SEQUENCE_STYLE)) ||
		    !yaml_emitter_emit(em, &ev))
			return -1;
		const cJSON *c;
		cJSON_ArrayForEach(c, n)
		{
			if (map && emit_string(em, c->string))
				return -1;
			if (emit_node(em, c, depth + 1))
				return -1;
		}
		if (!(map ? yaml_mapping_end_event_initialize(&ev)
		          : yaml_sequence_end_event_initialize(&ev)) ||
		    !yaml_emitter_emit(em, &ev))
			return -1;
		return 0;
	}
	if (cJSON_IsString(n))
		return emit_string(em, n->valuestring);
	if (cJSON_IsNumber(n)) {
		double d = n->valuedouble;
		if (isnan(d))
			snprintf(num, sizeof(num), ".nan");
		else if (isinf(d))
			snprintf(num, sizeof(num), d < 0 ? "-.inf" : ".inf");
		else if (d == floor(d) && fabs(d) < 9007199254740992.0)
			snprintf(num, sizeof(num), "%.0f", d);
		else
			snprintf(num, sizeof(num), "%.17g", d);
		return emit_scalar(em, num, YAML_PLAIN_SCALAR_STYLE);
	}
	if (cJSON_IsBool(n))
		return emit_scalar(em, cJSON_IsTrue(n) ? "true" : "false", YAML_PLAIN_SCALAR_STYLE);
	return emit_scalar(em, "null", YAML_PLAIN_SCALAR_STYLE);
}

char *yamljson_emit(const cJSON *docs, char *err, size_t errlen)
{
	yaml_emitter_t em;
	yaml_event_t ev;
	outbuf out = {0};
	if (!yaml_emitter_initialize(&em)) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	yaml_emitter_set_output(&em, write_out, &out);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, -1); /* never fold long strings */
	yaml_emitter_set_indent(&em, 2);
	int ok = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) &&
	         yaml_emitter_emit(&em, &ev);
	const cJSON *d;
	int first = 1;
	cJSON_ArrayForEach(d, docs)
	{
		ok = ok && yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, first) &&
		     yaml_emitter_emit(&em, &ev) && emit_node(&em, d, 0) == 0 &&
		     yaml_document_end_event_initialize(&ev, 1) && yaml_emitter_emit(&em, &ev);
		first = 0;
	}
	ok = ok && yaml_stream_end_event_initialize(&ev) && yaml_emitter_emit(&em, &ev);
	if (!ok)
		snprintf(err, errlen, "%s",
		         out.oom      ? "out of memory"
		         : em.problem ? em.problem
		                      : "cannot write YAML");
	yaml_emitter_delete(&em);
	if (!ok) {
		free(out.data);
		return NULL;
	}
	return out.data ? out.data : strdup("");
}
