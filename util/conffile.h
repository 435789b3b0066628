/*
 * util/conffile.h - the lexer for "Key value" configuration files and lists
 * Use:     ag_conffile_parse() calls back once per setting line;
 *          ag_conflist_parse() splits a list value, inline ("a, b c") or
 *          "file:/path" (one entry a line, '#' comments, blank lines).
 * Owns:    nothing after return; the strings handed to callbacks live only
 *          for the duration of the callback.
 * Threads: reentrant; no shared state.
 * Limits:  AG_CONF_LINE_MAX bytes a line, AG_CONF_LINES_MAX lines a file;
 *          past either, AG_ELIMIT with file:line.
 * Errors:  every error message starts with "file:line: ". A callback that
 *          returns non-AG_OK stops the parse; its err is passed through
 *          (the callback is given the file and line to name).
 *
 * Grammar: line    = [WSP] ( comment / setting / "" ) [WSP]
 *          comment = "#" *any
 *          setting = key 1*WSP value [ 1*WSP "#" *any ]
 *          key     = 1*( ALPHA / DIGIT / "_" / "-" )
 * A '#' starts a comment only at the start of a line or after whitespace,
 * so values such as "unix:/run/a#b" survive.
 */
#ifndef AG_UTIL_CONFFILE_H
#define AG_UTIL_CONFFILE_H

#include "util/err.h"

#define AG_CONF_LINE_MAX 4096
#define AG_CONF_LINES_MAX 100000
#define AG_CONF_ITEM_MAX 1024

struct ag_conf_where {
	const char *file;
	unsigned line;
};

typedef int (*ag_conf_setting_fn)(void *arg, const struct ag_conf_where *w,
				  const char *key, const char *value,
				  struct ag_err *err);
typedef int (*ag_conf_item_fn)(void *arg, const struct ag_conf_where *w,
			       const char *item, struct ag_err *err);

/* ag_conffile_parse - parse path; a missing or unreadable file is AG_ENOENT
 * with "path: why" */
int ag_conffile_parse(const char *path, ag_conf_setting_fn fn, void *arg,
		      struct ag_err *err) AG_MUST_CHECK;

/* ag_conflist_parse - call fn for each item of a list value found at w */
int ag_conflist_parse(const char *value, const struct ag_conf_where *w,
		      ag_conf_item_fn fn, void *arg,
		      struct ag_err *err) AG_MUST_CHECK;

/* ag_conf_bool - "yes/no/true/false/1/0/on/off"; 0 or -1 when unknown */
int ag_conf_bool(const char *value, int *b_r);

/* ag_conf_uint - decimal in [min, max]; 0 or -1 */
int ag_conf_uint(const char *value, unsigned long min, unsigned long max,
		 unsigned long *n_r);

/* ag_conf_duration_ms - "5", "5s", "500ms", "2m" to milliseconds; 0 or -1 */
int ag_conf_duration_ms(const char *value, unsigned long max_ms,
			unsigned long *ms_r);

#endif
