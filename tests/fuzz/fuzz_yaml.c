/* libFuzzer target: the YAML reader behind `turnout inject`. Garbage must be
 * rejected with a reason; whatever is accepted must survive a write and a
 * second read unchanged (the writer quotes what would change type). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/yamljson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256] = "";
	cJSON *docs = yamljson_parse((const char *)data, size, err, sizeof(err));
	if (!docs) {
		if (!err[0])
			abort(); /* a rejection must say why */
		return 0;
	}
	char *text = yamljson_emit(docs, err, sizeof(err));
	if (text) {
		cJSON *back = yamljson_parse(text, strlen(text), err, sizeof(err));
		/* NaN never equals itself, so compare the JSON renderings */
		char *a = cJSON_PrintUnformatted(docs),
		     *b = back ? cJSON_PrintUnformatted(back) : NULL;
		if (!back || (a && b && strcmp(a, b) != 0))
			abort();
		free(a);
		free(b);
		cJSON_Delete(back);
		free(text);
	}
	cJSON_Delete(docs);
	return 0;
}
