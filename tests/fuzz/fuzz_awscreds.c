/* libFuzzer target: the two AWS credential parsers that read outside text,
 * the shared credentials file (INI) and the container endpoint's JSON
 * answer, must reject garbage with a reason, never crash, and return both
 * keys on success. Every input goes through both. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/aws_creds.h"
#include "proxy/aws_ecs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int rc, const aws_creds *c, const char *err)
{
	if (rc && !err[0])
		abort(); /* a rejection must say why */
	if (!rc && (!c->access_key_id || !c->secret_access_key))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const profiles[] = {"default", "msk", "a b"};
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		aws_creds c;
		char err[300] = "";
		check(aws_creds_parse((const char *)data, size, profiles[i], &c, err, sizeof(err)),
		      &c, err);
		aws_creds_clear(&c);
	}
	aws_creds c;
	time_t exp = 0;
	char err[300] = "";
	check(aws_ecs_parse((const char *)data, size, &c, &exp, err, sizeof(err)), &c, err);
	aws_creds_clear(&c);
	return 0;
}
