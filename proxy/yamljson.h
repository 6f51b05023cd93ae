/*
 * YAML <-> cJSON for Kubernetes manifests (libyaml's event API). Scalars
 * are typed as kubectl's YAML reader types them (YAML 1.1: yes/no/on/off
 * are booleans, 0644 is octal) so a preview reads a manifest the way the
 * cluster will; aliases are rejected rather than expanded.
 */
#ifndef TURNOUT_PROXY_YAMLJSON_H
#define TURNOUT_PROXY_YAMLJSON_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* Parses a YAML stream (len bytes) into a new array with one item per
 * non-empty document. NULL with err ("line N: what") on error. */
cJSON *yamljson_parse(const char *text, size_t len, char *err, size_t errlen);

/* Writes the documents of array docs as a YAML stream ("---" between them);
 * strings that would read back as another type are quoted. Returns malloc'd
 * text or NULL with err. */
char *yamljson_emit(const cJSON *docs, char *err, size_t errlen);

#endif
