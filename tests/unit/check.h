/*
 * A minimal test harness: TEST() bodies use CHECK(); main runs the table and
 * prints "N passed, N failed" as its last line, which CI reads.
 */
#ifndef TURNOUT_TESTS_CHECK_H
#define TURNOUT_TESTS_CHECK_H

#include <stdio.h>

extern int check_failures; /* CHECK failures in the running test */

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			check_failures++;                                                          \
			fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
		}                                                                                  \
	} while (0)

#define CHECKF(cond, ...)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			check_failures++;                                                          \
			fprintf(stderr, "  %s:%d: ", __FILE__, __LINE__);                          \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
		}                                                                                  \
	} while (0)

typedef struct check_test {
	const char *name;
	void (*fn)(void);
} check_test;

/* Each test file exports a NULL-terminated table. */
#define TEST_TABLE(name) const check_test name[]

/* Runs one test by name and records its outcome (for generated cases). */
void check_run(const char *name, void (*fn)(void));
/* Records an outcome decided by the caller. */
void check_record(const char *name, int failures);

#endif
