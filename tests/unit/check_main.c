/*
 * Test runner for the C unit tests. Optional argument: a substring; only
 * tests whose name contains it run.
 */
#include "tests/unit/check.h"

#include <string.h>

int check_failures;
static int passed, failed;
static const char *filter;

extern const check_test prim_tests[], frame_tests[], header_tests[], golden_tests[],
    consumer_protocol_tests[], proxy_unit_tests[], routes_tests[], cutover_tests[], scram_tests[],
    sasl_tests[], sigv4_tests[], secconfig_tests[], vbroker_unit_tests[], mm2_records_tests[],
    mm2_names_tests[], translate_tests[], translate_prop_tests[], xlate_engine_tests[],
    inject_tests[], inplace_tests[], flip_plan_tests[], admin_tests[], route_check_tests[],
    recbatch_tests[], coord_tests[], prodseq_tests[];
void roundtrip_run_all(void);

void check_record(const char *name, int failures)
{
	if (failures) {
		failed++;
		printf("FAIL %s\n", name);
	} else {
		passed++;
	}
}

void check_run(const char *name, void (*fn)(void))
{
	if (filter && !strstr(name, filter))
		return;
	check_failures = 0;
	fn();
	check_record(name, check_failures);
}

static void run_table(const check_test *t)
{
	for (; t->name; t++)
		check_run(t->name, t->fn);
}

int main(int argc, char **argv)
{
	filter = argc > 1 ? argv[1] : NULL;
	setvbuf(stdout, NULL, _IOLBF, 0);
	run_table(prim_tests);
	run_table(frame_tests);
	run_table(header_tests);
	run_table(golden_tests);
	run_table(consumer_protocol_tests);
	run_table(proxy_unit_tests);
	run_table(routes_tests);
	run_table(cutover_tests);
	run_table(flip_plan_tests);
	run_table(coord_tests);
	run_table(scram_tests);
	run_table(sasl_tests);
	run_table(sigv4_tests);
	run_table(secconfig_tests);
	run_table(vbroker_unit_tests);
	run_table(mm2_records_tests);
	run_table(mm2_names_tests);
	run_table(translate_tests);
	run_table(translate_prop_tests);
	run_table(xlate_engine_tests);
	run_table(inject_tests);
	run_table(inplace_tests);
	run_table(admin_tests);
	run_table(route_check_tests);
	run_table(recbatch_tests);
	run_table(prodseq_tests);
	roundtrip_run_all();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
