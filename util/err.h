/*
 * util/err.h - return codes and operator-facing error details
 * Use:     functions that can fail return AG_OK (0) or a negative AG_E* code
 *          and, when given one, fill a caller-supplied struct ag_err.
 * Owns:    nothing.
 * Threads: stateless; share freely.
 */
#ifndef AG_UTIL_ERR_H
#define AG_UTIL_ERR_H

#include <stddef.h>

#define AG_MUST_CHECK __attribute__((warn_unused_result))
#define AG_PRINTF(a, b) __attribute__((format(printf, a, b)))

enum {
	AG_OK = 0,
	AG_ENOMEM = -1,		/* allocation failed */
	AG_EINVAL = -2,		/* bad input or bad configuration */
	AG_ELIMIT = -3,		/* over a configured or built-in limit */
	AG_ETEMP = -4,		/* DNS or a backend temporarily unavailable */
	AG_EINTERNAL = -5,	/* a bug or a library failure */
	AG_ENOENT = -6		/* file or object not found */
};

#define AG_ERR_MSG_MAX 512

struct ag_err {
	int code;
	char msg[AG_ERR_MSG_MAX];
};

/* ag_err_set - record code and message in err (err may be NULL); returns code */
int ag_err_set(struct ag_err *err, int code, const char *fmt, ...)
	AG_PRINTF(3, 4);

/* ag_strerror - short fixed text for an AG_E* code */
const char *ag_strerror(int code);

#endif
