/* libFuzzer target: the configuration parser must reject garbage with a
 * reason and never crash. */
#include <stdlib.h>
#include <string.h>

#include "proxy/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	char err[256] = "";
	config *c = config_parse(text, err, sizeof(err));
	if (!c && !err[0])
		abort(); /* a rejection must say why */
	config_free(c);
	free(text);
	return 0;
}
