/* libFuzzer target: the SCRAM server-first and server-final parsers take
 * text from the broker and must reject garbage with a reason, never crash.
 * The first byte picks the parser; the rest is the message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/scram.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *msg = (const char *)data + 1;
	size_t len = size - 1;
	char err[300] = "";
	if (data[0] & 1) {
		unsigned char sig[EVP_MAX_MD_SIZE];
		size_t n = 0;
		if (scram_parse_server_final(msg, len, sig, &n, err, sizeof(err)) && !err[0])
			abort();
		if (n > EVP_MAX_MD_SIZE)
			abort();
		return 0;
	}
	scram_server_first sf;
	int rc = scram_parse_server_first(msg, len, "fyko", 4, &sf, err, sizeof(err));
	if (rc && !err[0])
		abort(); /* a rejection must say why */
	if (!rc && (sf.nonce_len <= 4 || sf.salt_len == 0 || sf.salt_len > SCRAM_SALT_MAX ||
	            sf.iterations < SCRAM_MIN_ITERATIONS || sf.iterations > SCRAM_MAX_ITERATIONS ||
	            memcmp(sf.nonce, "fyko", 4) != 0))
		abort();
	return 0;
}
