/* libFuzzer target: the AWS shared credentials file parser must reject
 * garbage with a reason, never crash, and return both keys on success. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/aws_creds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const profiles[] = {"default", "msk", "a b"};
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		aws_creds c;
		char err[300] = "";
		int rc =
		    aws_creds_parse((const char *)data, size, profiles[i], &c, err, sizeof(err));
		if (rc && !err[0])
			abort();
		if (!rc && (!c.access_key_id || !c.secret_access_key))
			abort();
		aws_creds_clear(&c);
	}
	return 0;
}
