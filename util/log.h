/*
 * util/log.h - the log sink: syslog and/or stderr, with levels
 * Use:     ag_log_setup() at start and on reload, ag_log() anywhere in
 *          milter/ and the command-line tools (never below them: library
 *          folders return struct ag_err instead).
 * Owns:    the syslog connection.
 * Threads: ag_log() is safe from any thread; ag_log_setup() swaps the
 *          level and sinks atomically (the settings are plain atomics).
 */
#ifndef AG_UTIL_LOG_H
#define AG_UTIL_LOG_H

#include <stdbool.h>

#include "util/err.h"

enum ag_log_level {
	AG_LOG_ERR = 0,
	AG_LOG_WARNING,
	AG_LOG_NOTICE,
	AG_LOG_INFO,
	AG_LOG_DEBUG
};

#define AG_LOG_LINE_MAX 2048	/* longer lines are cut, marked with "..." */

/* ag_log_level_parse - "error", "warning", "notice", "info", "debug";
 * returns 0 or -1 for an unknown name */
int ag_log_level_parse(const char *name, enum ag_log_level *level_r);

/* ag_log_facility_parse - "mail", "daemon", "local0".."local7" */
int ag_log_facility_parse(const char *name, int *facility_r);

void ag_log_setup(const char *ident, enum ag_log_level level, bool to_syslog,
		  int facility, bool to_stderr);

void ag_log(enum ag_log_level level, const char *fmt, ...) AG_PRINTF(2, 3);

#endif
