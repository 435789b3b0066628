/*
 * util/err.c - return codes and error details
 */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>

/* ag_err_set - fill err, keep the first byte of msg a NUL on failure */
int
ag_err_set(struct ag_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	va_start(ap, fmt);
	if (vsnprintf(err->msg, sizeof(err->msg), fmt, ap) < 0)
		err->msg[0] = '\0';
	va_end(ap);
	return code;
}

/* ag_strerror - name an AG_E* code */
const char *
ag_strerror(int code)
{
	switch (code) {
	case AG_OK:
		return "ok";
	case AG_ENOMEM:
		return "out of memory";
	case AG_EINVAL:
		return "invalid input";
	case AG_ELIMIT:
		return "limit exceeded";
	case AG_ETEMP:
		return "temporary failure";
	case AG_EINTERNAL:
		return "internal error";
	case AG_ENOENT:
		return "not found";
	default:
		return "unknown error";
	}
}
