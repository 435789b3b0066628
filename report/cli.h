/*
 * report/cli.h - what the authgate-report subcommands share
 * Each subcommand is main-like: argv[0] is the subcommand's name; it
 * prints its own errors (to stderr, "authgate-report: ...") and returns
 * the process exit status: 0 done, 1 some input refused or some report
 * not sent, 2 usage or configuration error, 75 (EX_TEMPFAIL) store or
 * DNS temporarily unavailable.
 */
#ifndef AG_REPORT_CLI_H
#define AG_REPORT_CLI_H

#include <stdint.h>

#include "dmarc/sqldb.h"

struct ag_report_config;

struct ag_report_env {
	const char *store;	/* history location (HistoryDB of the config) */
	const char *config;	/* the config file path, for messages */
	const struct ag_report_config *cfg; /* report/config.h */
};

int ag_report_send(const struct ag_report_env *env, int argc, char **argv);
int ag_report_ingest(const struct ag_report_env *env, int argc, char **argv);
int ag_report_summary(const struct ag_report_env *env, int argc,
		      char **argv);
int ag_report_html(const struct ag_report_env *env, int argc, char **argv);

/*
 * ag_report_parse_time - "YYYY-MM-DD" (00:00 UTC), "YYYY-MM-DDTHH:MM[:SS]Z",
 * "@SECONDS", "yesterday"/"today" (UTC day starts), or "-Nd"/"-Nh" (N days
 * or hours before now); -1 when not understood
 */
int64_t ag_report_parse_time(const char *s, int64_t now);

/* ag_report_open_store - open and init the store; prints the error */
struct ag_sql *ag_report_open_store(const struct ag_report_env *env);

#endif
