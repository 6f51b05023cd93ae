/*
 * Strict JSON checks shared by every part of the configuration: unknown keys
 * are errors, every error names its field ("routes.groups.orders: must be
 * \"legacy\" or \"target\""), because a typo in a migration config must
 * never silently fall back to a default.
 */
#ifndef TURNOUT_ROUTING_CFGJSON_H
#define TURNOUT_ROUTING_CFGJSON_H

#include <cjson/cJSON.h>
#include <stddef.h>

enum { CLUSTER_LEGACY = 0, CLUSTER_TARGET = 1, CLUSTER_COUNT = 2 };

extern const char *const config_cluster_names[CLUSTER_COUNT];

/* Writes "field: what" into err; returns -1 so callers can `return cfg_fail(...)`. */
int cfg_fail(char *err, size_t errlen, const char *field, const char *what);
/* Rejects a key obj holds twice: cJSON keeps both and reads the first,
 * Python's json (and so the schema tools) the last. */
int cfg_no_repeats(const cJSON *obj, const char *where, char *err, size_t errlen);
/* 1 if a string in the JSON text holds the escape \u0000: cJSON's strings
 * end at the NUL, so "info\u0000x" would read as "info". */
int cfg_text_has_nul(const char *json);
/* Rejects keys of obj not in allowed (NULL-terminated) or repeated; where
 * names obj. */
int cfg_only_keys(const cJSON *obj, const char *const *allowed, const char *where, char *err,
                  size_t errlen);
/* "legacy"/"target" → CLUSTER_*; -1 otherwise. */
int cfg_cluster_index(const char *name);
/* A string naming a cluster, at field; 0 and *out on success. */
int cfg_cluster_value(const cJSON *v, const char *field, int *out, char *err, size_t errlen);

#endif
