/*
 * tests/unit/test_err.c - util/err: ag_err_set() returns its code with or
 * without a struct to fill, formats the message and cuts it at
 * AG_ERR_MSG_MAX - 1 bytes; ag_strerror() names every code and gives one
 * fixed text for anything else.
 *
 * Each table row is one labelled case; a failure prints
 * "case <label>: got <x>, want <y>" and the test fails after the table.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/err.h"

static const int all_codes[] = {
	AG_OK, AG_ENOMEM, AG_EINVAL, AG_ELIMIT, AG_ETEMP, AG_EINTERNAL,
	AG_ENOENT,
};
#define N_CODES (sizeof(all_codes) / sizeof(all_codes[0]))

/* ------------------------------------------------------------------ */
/* ag_err_set                                                          */

static void
test_err_set_null_err_returns_code(void **state)
{
	static const int extra[] = { 1, 42, -7, -1000, INT_MAX, INT_MIN };
	unsigned failed = 0;
	int got;

	(void)state;
	for (size_t i = 0; i < N_CODES; i++) {
		got = ag_err_set(NULL, all_codes[i], "ignored %s", "text");
		if (got != all_codes[i]) {
			print_error("case NULL err, code %d: got %d, want %d\n",
				    all_codes[i], got, all_codes[i]);
			failed++;
		}
	}
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		got = ag_err_set(NULL, extra[i], "%s", "");
		if (got != extra[i]) {
			print_error("case NULL err, odd code %d: got %d, want "
				    "%d\n", extra[i], got, extra[i]);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

struct fmt_case {
	const char *label;
	int code;
	const char *file;	/* formatted as "%s:%u: %s" with line, what */
	unsigned line;
	const char *what;
	const char *want;
};

static const struct fmt_case fmt_cases[] = {
	{ "typical", AG_EINVAL, "/etc/authgate.conf", 12, "unknown key",
	  "/etc/authgate.conf:12: unknown key" },
	{ "code ENOMEM", AG_ENOMEM, "a", 1, "out of memory",
	  "a:1: out of memory" },
	{ "code OK", AG_OK, "f", 0, "", "f:0: " },
	{ "8-bit bytes kept", AG_ETEMP, "caf\xc3\xa9", 7, "\xff",
	  "caf\xc3\xa9:7: \xff" },
	{ "percent in argument not re-expanded", AG_EINTERNAL, "%s%n", 3,
	  "%d", "%s%n:3: %d" },
	{ "large line", AG_ELIMIT, "x", 4294967295u, "y",
	  "x:4294967295: y" },
};

static int
fmt_run(const struct fmt_case *c)
{
	struct ag_err err;
	int rc;

	memset(&err, 0x5a, sizeof(err));
	rc = ag_err_set(&err, c->code, "%s:%u: %s", c->file, c->line, c->what);
	if (rc != c->code || err.code != c->code) {
		print_error("case %s: got rc %d code %d, want %d\n", c->label,
			    rc, err.code, c->code);
		return 1;
	}
	if (memchr(err.msg, '\0', sizeof(err.msg)) == NULL ||
	    strcmp(err.msg, c->want) != 0) {
		print_error("case %s: got msg '%.*s', want '%s'\n", c->label,
			    (int)sizeof(err.msg), err.msg, c->want);
		return 1;
	}
	return 0;
}

static void
test_err_set_formats_message(void **state)
{
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(fmt_cases) / sizeof(fmt_cases[0]); i++)
		failed += (unsigned)fmt_run(&fmt_cases[i]);
	assert_int_equal(failed, 0);
}

struct trunc_case {
	const char *label;
	size_t len;		/* length of the argument, all 'm' */
};

static const struct trunc_case trunc_cases[] = {
	{ "one below the limit", AG_ERR_MSG_MAX - 2 },
	{ "exactly the limit - 1 (fits)", AG_ERR_MSG_MAX - 1 },
	{ "exactly the limit", AG_ERR_MSG_MAX },
	{ "one past the limit", AG_ERR_MSG_MAX + 1 },
	{ "twice the limit", 2 * AG_ERR_MSG_MAX },
	{ "far past the limit", 64 * AG_ERR_MSG_MAX },
};

static int
trunc_run(const struct trunc_case *c)
{
	static char arg[64 * AG_ERR_MSG_MAX + 1];
	size_t want_len = c->len < AG_ERR_MSG_MAX - 1 ? c->len
						       : AG_ERR_MSG_MAX - 1;
	struct ag_err err;
	size_t got_len;
	int rc;

	memset(arg, 'm', c->len);
	arg[c->len] = '\0';
	memset(&err, 0x5a, sizeof(err));
	rc = ag_err_set(&err, AG_ELIMIT, "%s", arg);
	got_len = strnlen(err.msg, sizeof(err.msg));
	if (rc != AG_ELIMIT || err.code != AG_ELIMIT) {
		print_error("case %s: got rc %d code %d, want %d\n", c->label,
			    rc, err.code, AG_ELIMIT);
		return 1;
	}
	if (got_len != want_len || strspn(err.msg, "m") != want_len) {
		print_error("case %s: got length %zu (%zu 'm'), want %zu\n",
			    c->label, got_len, strspn(err.msg, "m"), want_len);
		return 1;
	}
	return 0;
}

static void
test_err_set_truncates_at_msg_max(void **state)
{
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(trunc_cases) / sizeof(trunc_cases[0]);
	     i++)
		failed += (unsigned)trunc_run(&trunc_cases[i]);
	assert_int_equal(failed, 0);
}

/* a second call replaces the first message, it does not append */
static void
test_err_set_overwrites(void **state)
{
	struct ag_err err;

	(void)state;
	memset(&err, 0, sizeof(err));
	(void)ag_err_set(&err, AG_EINVAL, "first %s", "message, longer");
	(void)ag_err_set(&err, AG_ETEMP, "second");
	if (err.code != AG_ETEMP || strcmp(err.msg, "second") != 0)
		fail_msg("case second call: got code %d msg '%s', want %d "
			 "'second'", err.code, err.msg, AG_ETEMP);
}

/* ------------------------------------------------------------------ */
/* ag_strerror                                                         */

struct str_case {
	const char *label;
	int code;
	const char *want;
};

static const struct str_case str_known[] = {
	{ "AG_OK", AG_OK, "ok" },
	{ "AG_ENOMEM", AG_ENOMEM, "out of memory" },
	{ "AG_EINVAL", AG_EINVAL, "invalid input" },
	{ "AG_ELIMIT", AG_ELIMIT, "limit exceeded" },
	{ "AG_ETEMP", AG_ETEMP, "temporary failure" },
	{ "AG_EINTERNAL", AG_EINTERNAL, "internal error" },
	{ "AG_ENOENT", AG_ENOENT, "not found" },
};

static const struct str_case str_unknown[] = {
	{ "one past the lowest code", AG_ENOENT - 1, "unknown error" },
	{ "positive 1", 1, "unknown error" },
	{ "positive 42", 42, "unknown error" },
	{ "errno-like -22", -22, "unknown error" },
	{ "-1000", -1000, "unknown error" },
	{ "INT_MAX", INT_MAX, "unknown error" },
	{ "INT_MIN", INT_MIN, "unknown error" },
};

static unsigned
str_table(const struct str_case *t, size_t n)
{
	unsigned failed = 0;
	const char *got;

	for (size_t i = 0; i < n; i++) {
		got = ag_strerror(t[i].code);
		if (got == NULL || strcmp(got, t[i].want) != 0) {
			print_error("case %s: got '%s', want '%s'\n",
				    t[i].label, got ? got : "(null)",
				    t[i].want);
			failed++;
		}
	}
	return failed;
}

static void
test_strerror_names_every_code(void **state)
{
	(void)state;
	assert_int_equal(sizeof(str_known) / sizeof(str_known[0]), N_CODES);
	assert_int_equal(str_table(str_known, N_CODES), 0);
}

static void
test_strerror_unknown_codes(void **state)
{
	(void)state;
	assert_int_equal(str_table(str_unknown, sizeof(str_unknown) /
						    sizeof(str_unknown[0])),
			 0);
}

/* every code has its own text, so a log line tells them apart */
static void
test_strerror_texts_distinct(void **state)
{
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < N_CODES; i++)
		for (size_t j = i + 1; j < N_CODES; j++)
			if (strcmp(ag_strerror(all_codes[i]),
				   ag_strerror(all_codes[j])) == 0) {
				print_error("case %d vs %d: got same text "
					    "'%s', want different\n",
					    all_codes[i], all_codes[j],
					    ag_strerror(all_codes[i]));
				failed++;
			}
	assert_int_equal(failed, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_set_null_err_returns_code),
		cmocka_unit_test(test_err_set_formats_message),
		cmocka_unit_test(test_err_set_truncates_at_msg_max),
		cmocka_unit_test(test_err_set_overwrites),
		cmocka_unit_test(test_strerror_names_every_code),
		cmocka_unit_test(test_strerror_unknown_codes),
		cmocka_unit_test(test_strerror_texts_distinct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
