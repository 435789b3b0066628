/*
 * tests/unit/test_log.c - util/log: level and facility names, the stderr
 * line ("<time> authgate[<pid>]: <level>: <message>"), control bytes
 * escaped as \xNN so a CR/LF in a hostile value cannot start a second
 * line, long lines cut and marked "...", and messages above the configured
 * level dropped.
 *
 * Each table row is one labelled case; a failure prints
 * "case <label>: got <x>, want <y>" and the test fails after the table.
 * stderr is captured by pointing fd 2 at a mkstemp() file under $TMPDIR
 * (or /tmp) for the one ag_log() call, then put back; syslog stays off.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/log.h"

#define CAPTURE_MAX (4 * AG_LOG_LINE_MAX)
#define LEVEL_SENTINEL ((enum ag_log_level)77)
#define FACILITY_SENTINEL (-77)

/* ------------------------------------------------------------------ */
/* level and facility names                                            */

struct level_case {
	const char *label;
	const char *name;
	int want_rc;
	enum ag_log_level want;	/* when want_rc is 0 */
};

static const struct level_case level_good[] = {
	{ "error", "error", 0, AG_LOG_ERR },
	{ "warning", "warning", 0, AG_LOG_WARNING },
	{ "notice", "notice", 0, AG_LOG_NOTICE },
	{ "info", "info", 0, AG_LOG_INFO },
	{ "debug", "debug", 0, AG_LOG_DEBUG },
	{ "upper case", "ERROR", 0, AG_LOG_ERR },
	{ "mixed case", "WaRnInG", 0, AG_LOG_WARNING },
	{ "capitalised", "Debug", 0, AG_LOG_DEBUG },
	{ "syslog short name err", "err", 0, AG_LOG_ERR },
};

static const struct level_case level_bad[] = {
	{ "empty", "", -1, 0 },
	{ "short warn", "warn", -1, 0 },
	{ "prefix inf", "inf", -1, 0 },
	{ "plural errors", "errors", -1, 0 },
	{ "leading space", " info", -1, 0 },
	{ "trailing space", "info ", -1, 0 },
	{ "syslog crit", "crit", -1, 0 },
	{ "syslog emerg", "emerg", -1, 0 },
	{ "trace", "trace", -1, 0 },
	{ "number", "3", -1, 0 },
	{ "debug2", "debug2", -1, 0 },
	{ "LOG_ prefix", "LOG_INFO", -1, 0 },
};

static unsigned
level_table(const struct level_case *t, size_t n)
{
	unsigned failed = 0;

	for (size_t i = 0; i < n; i++) {
		enum ag_log_level got = LEVEL_SENTINEL;
		int rc = ag_log_level_parse(t[i].name, &got);
		enum ag_log_level want = t[i].want_rc == 0 ? t[i].want
							   : LEVEL_SENTINEL;

		if (rc != t[i].want_rc || got != want) {
			print_error("case %s: got rc %d level %d, want rc %d "
				    "level %d\n", t[i].label, rc, (int)got,
				    t[i].want_rc, (int)want);
			failed++;
		}
	}
	return failed;
}

static void
test_log_level_parse_names(void **state)
{
	(void)state;
	assert_int_equal(level_table(level_good, sizeof(level_good) /
							 sizeof(level_good[0])),
			 0);
}

static void
test_log_level_parse_rejects_unknown(void **state)
{
	(void)state;
	assert_int_equal(level_table(level_bad, sizeof(level_bad) /
						       sizeof(level_bad[0])),
			 0);
}

struct facility_case {
	const char *label;
	const char *name;
	int want_rc;
	int want;
};

static const struct facility_case facility_good[] = {
	{ "mail", "mail", 0, LOG_MAIL },
	{ "daemon", "daemon", 0, LOG_DAEMON },
	{ "local0", "local0", 0, LOG_LOCAL0 },
	{ "local1", "local1", 0, LOG_LOCAL1 },
	{ "local2", "local2", 0, LOG_LOCAL2 },
	{ "local3", "local3", 0, LOG_LOCAL3 },
	{ "local4", "local4", 0, LOG_LOCAL4 },
	{ "local5", "local5", 0, LOG_LOCAL5 },
	{ "local6", "local6", 0, LOG_LOCAL6 },
	{ "local7", "local7", 0, LOG_LOCAL7 },
	{ "upper case", "MAIL", 0, LOG_MAIL },
	{ "mixed case", "Local5", 0, LOG_LOCAL5 },
};

static const struct facility_case facility_bad[] = {
	{ "empty", "", -1, 0 },
	{ "user", "user", -1, 0 },
	{ "auth", "auth", -1, 0 },
	{ "kern", "kern", -1, 0 },
	{ "syslog", "syslog", -1, 0 },
	{ "local without digit", "local", -1, 0 },
	{ "local8", "local8", -1, 0 },
	{ "local10", "local10", -1, 0 },
	{ "local-1", "local-1", -1, 0 },
	{ "leading space", " mail", -1, 0 },
	{ "trailing space", "mail ", -1, 0 },
	{ "LOG_ prefix", "LOG_MAIL", -1, 0 },
	{ "number", "16", -1, 0 },
};

static unsigned
facility_table(const struct facility_case *t, size_t n)
{
	unsigned failed = 0;

	for (size_t i = 0; i < n; i++) {
		int got = FACILITY_SENTINEL;
		int rc = ag_log_facility_parse(t[i].name, &got);
		int want = t[i].want_rc == 0 ? t[i].want : FACILITY_SENTINEL;

		if (rc != t[i].want_rc || got != want) {
			print_error("case %s: got rc %d facility %d, want rc "
				    "%d facility %d\n", t[i].label, rc, got,
				    t[i].want_rc, want);
			failed++;
		}
	}
	return failed;
}

static void
test_log_facility_parse_names(void **state)
{
	(void)state;
	assert_int_equal(facility_table(facility_good,
					sizeof(facility_good) /
						sizeof(facility_good[0])),
			 0);
}

static void
test_log_facility_parse_rejects_unknown(void **state)
{
	(void)state;
	assert_int_equal(facility_table(facility_bad,
					sizeof(facility_bad) /
						sizeof(facility_bad[0])),
			 0);
}

/* ------------------------------------------------------------------ */
/* capturing stderr                                                    */

/* show - text with bytes outside 0x20-0x7e as <NN>, for messages; the
 * form differs from the module's \xNN so the two cannot be confused */
static const char *
show(const char *s, char *buf, size_t size)
{
	size_t o = 0;

	for (; *s != '\0' && o + 5 < size; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(buf + o, size - o, "<%02x>", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}

/* log_capture - ag_log(level, "%s", msg) with fd 2 on a temporary file;
 * the bytes written into out (NUL-terminated), their count returned */
static size_t
log_capture(enum ag_log_level level, const char *msg, char *out,
	    size_t size)
{
	const char *dir = getenv("TMPDIR");
	char path[512];
	int fd, saved;
	ssize_t n;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	snprintf(path, sizeof(path), "%s/ag_log_XXXXXX", dir);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	fflush(stderr);
	saved = dup(2);
	assert_true(saved >= 0);
	assert_true(dup2(fd, 2) == 2);
	ag_log(level, "%s", msg);
	fflush(stderr);
	assert_true(dup2(saved, 2) == 2);
	close(saved);
	assert_true(lseek(fd, 0, SEEK_SET) == 0);
	n = read(fd, out, size - 1);
	close(fd);
	assert_true(n >= 0);
	out[n] = '\0';
	return (size_t)n;
}

/* log_message - check the shape of one captured line and return its
 * message part (after "<level>: "), or NULL with *why set */
static const char *
log_message(const char *out, size_t n, const char *level_word,
	    const char **why)
{
	static char prefix[64];
	const char *p;

	snprintf(prefix, sizeof(prefix), " authgate[%ld]: %s: ",
		 (long)getpid(), level_word);
	if (n == 0 || out[n - 1] != '\n') {
		*why = "a line ending in newline";
		return NULL;
	}
	if (memchr(out, '\n', n) != out + n - 1) {
		*why = "exactly one line";
		return NULL;
	}
	/* "YYYY-MM-DDTHH:MM:SSZ" then the prefix */
	if (n < 20 || out[4] != '-' || out[10] != 'T' || out[19] != 'Z') {
		*why = "a UTC time stamp first";
		return NULL;
	}
	if ((p = strstr(out, prefix)) != out + 20) {
		*why = prefix;
		return NULL;
	}
	return p + strlen(prefix);
}

/* ------------------------------------------------------------------ */
/* the stderr line                                                     */

static void
test_log_stderr_line_has_level_and_message(void **state)
{
	static const struct {
		const char *label;
		enum ag_log_level level;
		const char *word;
	} cases[] = {
		{ "error", AG_LOG_ERR, "error" },
		{ "warning", AG_LOG_WARNING, "warning" },
		{ "notice", AG_LOG_NOTICE, "notice" },
		{ "info", AG_LOG_INFO, "info" },
		{ "debug", AG_LOG_DEBUG, "debug" },
	};
	static const char msg[] = "qid=4Xyz12 spf=pass from=<a@example.com>";
	char out[CAPTURE_MAX], want[sizeof(msg) + 1], sh[1024];
	unsigned failed = 0;

	(void)state;
	snprintf(want, sizeof(want), "%s\n", msg);
	ag_log_setup("test_log", AG_LOG_DEBUG, false, LOG_MAIL, true);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = log_capture(cases[i].level, msg, out, sizeof(out));
		const char *why = NULL;
		const char *m = log_message(out, n, cases[i].word, &why);

		if (m == NULL) {
			print_error("case %s: got '%s', want %s\n",
				    cases[i].label, show(out, sh, sizeof(sh)),
				    why);
			failed++;
		} else if (strcmp(m, want) != 0) {
			print_error("case %s: got message '%s', want '%s'\n",
				    cases[i].label, show(m, sh, sizeof(sh)),
				    msg);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

static void
test_log_stderr_off_writes_nothing(void **state)
{
	char out[CAPTURE_MAX];
	size_t n;

	(void)state;
	ag_log_setup("test_log", AG_LOG_DEBUG, false, LOG_MAIL, false);
	n = log_capture(AG_LOG_ERR, "not shown", out, sizeof(out));
	ag_log_setup("test_log", AG_LOG_DEBUG, false, LOG_MAIL, true);
	if (n != 0)
		fail_msg("case stderr off: got %zu bytes, want nothing", n);
}

/* ------------------------------------------------------------------ */
/* escaping                                                            */

struct esc_case {
	const char *label;
	const char *msg;
	const char *want;	/* message part, without the newline */
};

static const struct esc_case esc_good[] = {
	{ "plain", "hello world", "hello world" },
	{ "empty", "", "" },
	{ "printable edges", " ~", " ~" },
	{ "backslash kept as is", "a\\b", "a\\b" },
	{ "UTF-8 kept", "caf\xc3\xa9", "caf\xc3\xa9" },
	{ "8-bit 0x80 0xff kept", "\x80-\xff", "\x80-\xff" },
};

static const struct esc_case esc_bad[] = {
	{ "CR LF injection",
	  "helo=x\r\n2024-01-01T00:00:00Z authgate[1]: info: forged",
	  "helo=x\\x0d\\x0a2024-01-01T00:00:00Z authgate[1]: info: forged" },
	{ "bare LF", "a\nb", "a\\x0ab" },
	{ "bare CR", "a\rb", "a\\x0db" },
	{ "TAB", "a\tb", "a\\x09b" },
	{ "ESC sequence", "\x1b[2J", "\\x1b[2J" },
	{ "0x01", "\x01", "\\x01" },
	{ "0x1f", "\x1f", "\\x1f" },
	{ "DEL", "a\x7f", "a\\x7f" },
	{ "only newlines", "\n\n\n", "\\x0a\\x0a\\x0a" },
};

static unsigned
esc_table(const struct esc_case *t, size_t n_cases)
{
	char out[CAPTURE_MAX], want[256], sh1[1024], sh2[1024];
	unsigned failed = 0;

	ag_log_setup("test_log", AG_LOG_INFO, false, LOG_MAIL, true);
	for (size_t i = 0; i < n_cases; i++) {
		size_t n = log_capture(AG_LOG_NOTICE, t[i].msg, out,
				       sizeof(out));
		const char *why = NULL;
		const char *m = log_message(out, n, "notice", &why);

		snprintf(want, sizeof(want), "%s\n", t[i].want);
		if (m == NULL) {
			print_error("case %s: got '%s', want %s\n", t[i].label,
				    show(out, sh1, sizeof(sh1)), why);
			failed++;
		} else if (strcmp(m, want) != 0) {
			print_error("case %s: got message '%s', want '%s'\n",
				    t[i].label, show(m, sh1, sizeof(sh1)),
				    show(want, sh2, sizeof(sh2)));
			failed++;
		}
	}
	return failed;
}

static void
test_log_keeps_printable_and_8bit(void **state)
{
	(void)state;
	assert_int_equal(esc_table(esc_good, sizeof(esc_good) /
						     sizeof(esc_good[0])),
			 0);
}

static void
test_log_escapes_control_bytes(void **state)
{
	(void)state;
	assert_int_equal(esc_table(esc_bad, sizeof(esc_bad) /
						    sizeof(esc_bad[0])),
			 0);
}

/* ------------------------------------------------------------------ */
/* long lines                                                          */

/* escape_ref - the test's own escaping of src, for comparison */
static void
escape_ref(const char *src, char *out, size_t size)
{
	size_t o = 0;

	for (; *src != '\0' && o + 5 < size; src++) {
		unsigned char c = (unsigned char)*src;
		if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

struct long_case {
	const char *label;
	size_t head;		/* this many 'a' */
	unsigned char mid;	/* then this byte, if not 0 */
	size_t mid_n;		/* that many times */
	size_t tail;		/* then this many 'b' */
};

/*
 * The message part must be the whole escaped text, or a prefix of it
 * ending "..." that is at most AG_LOG_LINE_MAX - 1 bytes and not much
 * shorter (a cut may back off to keep an escape whole).
 */
static int
long_run(const struct long_case *c)
{
	static char msg[8 * AG_LOG_LINE_MAX], esc[32 * AG_LOG_LINE_MAX];
	static char out[CAPTURE_MAX];
	char sh[512];
	size_t len = 0, n, mlen, esc_len, keep;
	const char *why = NULL, *m;

	assert_true(c->head + c->mid_n + c->tail < sizeof(msg));
	memset(msg, 'a', c->head);
	len = c->head;
	if (c->mid != 0) {
		memset(msg + len, c->mid, c->mid_n);
		len += c->mid_n;
	}
	memset(msg + len, 'b', c->tail);
	len += c->tail;
	msg[len] = '\0';
	escape_ref(msg, esc, sizeof(esc));
	esc_len = strlen(esc);

	n = log_capture(AG_LOG_ERR, msg, out, sizeof(out));
	if ((m = log_message(out, n, "error", &why)) == NULL) {
		out[80] = '\0';
		print_error("case %s: got '%s...', want %s\n", c->label,
			    show(out, sh, sizeof(sh)), why);
		return 1;
	}
	mlen = strlen(m) - 1;	/* without the newline */
	if (mlen == esc_len && strncmp(m, esc, esc_len) == 0) {
		if (esc_len <= AG_LOG_LINE_MAX - 1)
			return 0;
		print_error("case %s: got all %zu bytes, want at most %d\n",
			    c->label, mlen, AG_LOG_LINE_MAX - 1);
		return 1;
	}
	if (mlen < 3 || strncmp(m + mlen - 3, "...", 3) != 0) {
		print_error("case %s: got %zu of %zu bytes ending '%.8s', want "
			    "all of them or a cut ending \"...\"\n", c->label,
			    mlen, esc_len, m + (mlen > 8 ? mlen - 8 : 0));
		return 1;
	}
	keep = mlen - 3;
	if (mlen > AG_LOG_LINE_MAX - 1 || keep + 8 < AG_LOG_LINE_MAX ||
	    strncmp(m, esc, keep) != 0) {
		print_error("case %s: got a cut of %zu bytes (prefix %s), want "
			    "%d to %d bytes of the escaped text then "
			    "\"...\"\n", c->label, mlen,
			    strncmp(m, esc, keep) == 0 ? "right" : "wrong",
			    AG_LOG_LINE_MAX - 5, AG_LOG_LINE_MAX - 1);
		return 1;
	}
	return 0;
}

static const struct long_case long_good[] = {
	{ "short", 10, 0, 0, 0 },
	{ "1000 bytes", 1000, 0, 0, 0 },
	{ "escapes well inside", 100, '\n', 100, 100 },
	{ "2040 bytes", 2040, 0, 0, 0 },
};

static const struct long_case long_bad[] = {
	{ "AG_LOG_LINE_MAX - 4 bytes", AG_LOG_LINE_MAX - 4, 0, 0, 0 },
	{ "AG_LOG_LINE_MAX - 1 bytes", AG_LOG_LINE_MAX - 1, 0, 0, 0 },
	{ "AG_LOG_LINE_MAX bytes", AG_LOG_LINE_MAX, 0, 0, 0 },
	{ "3000 bytes", 3000, 0, 0, 0 },
	{ "12000 bytes", 12000, 0, 0, 0 },
	{ "escape at the cut, then long", 2042, '\n', 1, 100 },
	{ "escape at the cut, short raw", 2040, '\r', 1, 2 },
	{ "600 control bytes (escaped 2400)", 0, '\n', 600, 0 },
	{ "long text then control bytes", 1500, '\x01', 300, 0 },
};

static void
test_log_normal_lines_whole(void **state)
{
	unsigned failed = 0;

	(void)state;
	ag_log_setup("test_log", AG_LOG_INFO, false, LOG_MAIL, true);
	for (size_t i = 0; i < sizeof(long_good) / sizeof(long_good[0]); i++)
		failed += (unsigned)long_run(&long_good[i]);
	assert_int_equal(failed, 0);
}

static void
test_log_long_lines_cut_and_marked(void **state)
{
	unsigned failed = 0;

	(void)state;
	ag_log_setup("test_log", AG_LOG_INFO, false, LOG_MAIL, true);
	for (size_t i = 0; i < sizeof(long_bad) / sizeof(long_bad[0]); i++)
		failed += (unsigned)long_run(&long_bad[i]);
	assert_int_equal(failed, 0);
}

/* ------------------------------------------------------------------ */
/* levels                                                              */

static void
test_log_drops_above_level(void **state)
{
	static const enum ag_log_level levels[] = {
		AG_LOG_ERR, AG_LOG_WARNING, AG_LOG_NOTICE, AG_LOG_INFO,
		AG_LOG_DEBUG,
	};
	static const char *const words[] = {
		"error", "warning", "notice", "info", "debug",
	};
	char out[CAPTURE_MAX];
	unsigned failed = 0;

	(void)state;
	for (size_t c = 0; c < 5; c++) {
		ag_log_setup("test_log", levels[c], false, LOG_MAIL, true);
		for (size_t l = 0; l < 5; l++) {
			size_t n = log_capture(levels[l], "x", out,
					       sizeof(out));
			bool want = l <= c;

			if ((n != 0) != want) {
				print_error("case configured %s, message %s: "
					    "got %s, want %s\n", words[c],
					    words[l], n ? "written" : "dropped",
					    want ? "written" : "dropped");
				failed++;
			}
		}
	}
	ag_log_setup("test_log", AG_LOG_INFO, false, LOG_MAIL, true);
	assert_int_equal(failed, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_level_parse_names),
		cmocka_unit_test(test_log_level_parse_rejects_unknown),
		cmocka_unit_test(test_log_facility_parse_names),
		cmocka_unit_test(test_log_facility_parse_rejects_unknown),
		cmocka_unit_test(test_log_stderr_line_has_level_and_message),
		cmocka_unit_test(test_log_stderr_off_writes_nothing),
		cmocka_unit_test(test_log_keeps_printable_and_8bit),
		cmocka_unit_test(test_log_escapes_control_bytes),
		cmocka_unit_test(test_log_normal_lines_whole),
		cmocka_unit_test(test_log_long_lines_cut_and_marked),
		cmocka_unit_test(test_log_drops_above_level),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
