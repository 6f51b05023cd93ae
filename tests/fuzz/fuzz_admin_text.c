/* libFuzzer target: the admin server's hand-written text handling.
 * First byte odd: the bytes are a token file then, after the first NUL, an
 * Authorization header (admin_auth_parse / admin_auth_check). Even: the
 * bytes are one logfmt log line turned into JSON (log_logfmt_to_json),
 * whose output must always be one valid JSON object within the buffer. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/admin_auth.h"
#include "proxy/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *text = malloc(size); /* data[1..] NUL-terminated */
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (data[0] & 1) {
		size_t flen = strlen(text);
		const char *header = flen + 1 < size - 1 ? text + flen + 1 : NULL;
		char tok[ADMIN_TOKEN_MAX + 1], err[200] = "";
		size_t len = 0;
		if (admin_auth_parse(text, flen, tok, sizeof(tok), &len, err, sizeof(err)) == 0) {
			if (len == 0 || len > ADMIN_TOKEN_MAX || strlen(tok) != len)
				abort();
			char want[ADMIN_TOKEN_MAX + 16] = "Bearer ";
			memcpy(want + 7, tok, len + 1);
			if (admin_auth_check(want, tok, len) != 1)
				abort();
			admin_auth_check(header, tok, len);
		} else if (!err[0]) {
			abort();
		}
	} else {
		size_t cap = 64 + (data[0] >> 1) * 8; /* small buffers too */
		char *out = malloc(cap);
		if (out) {
			size_t n = log_logfmt_to_json(text, "{\"level\":\"info\"", out, cap);
			if (n >= cap || strlen(out) != n || out[0] != '{' || out[n - 1] != '}')
				abort();
			cJSON *j = cJSON_ParseWithLength(out, n);
			if (!cJSON_IsObject(j))
				abort();
			cJSON_Delete(j);
			free(out);
		}
	}
	free(text);
	return 0;
}
