/*
 * What `turnout check` found (gathered by cmd_check.c, analysed by
 * routing/route_check.c), and its two renderings: tables for a terminal and
 * the same content as JSON (check_report.c).
 */
#ifndef TURNOUT_PROXY_CHECK_REPORT_H
#define TURNOUT_PROXY_CHECK_REPORT_H

#include <stdio.h>

#include "proxy/config.h"
#include "routing/check_probe.h"
#include "routing/route_check.h"
#include "routing/xlate.h"

typedef enum { CHECK_MIRROR_NONE, CHECK_MIRROR_READY, CHECK_MIRROR_NOT_READY } check_mirror;

typedef struct check_run {
	const char *config_path;
	const config *cfg;
	int secrets_checked; /* -1: --no-secrets */
	check_cluster_info ci[CLUSTER_COUNT];
	rchk_group *groups;            /* routes' groups first, then --group, then listed */
	size_t ngroups;                /* */
	xlate_group_result **previews; /* per group; NULL when no preview ran */
	check_mirror mirror;           /* */
	char mirror_detail[1400];      /* readers' progress or why not ready */
	rchk_report rep;               /* topic view and findings */
} check_run;

void check_print_text(const check_run *r, FILE *f);
/* 0, or -1 when out of memory. */
int check_print_json(const check_run *r, FILE *f);

#endif
