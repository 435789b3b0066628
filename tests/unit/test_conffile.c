/*
 * tests/unit/test_conffile.c - util/conffile: the "Key value" lexer, list
 * values (inline and file:), and the bool / uint / duration converters.
 *
 * Each table row is one labelled case; a failure prints
 * "case <label>: got <x>, want <y>" and the test fails after the whole
 * table has run, so one run shows every broken case. Files are written
 * with mkstemp() under $TMPDIR (or /tmp) and removed afterwards.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/conffile.h"

#define REC_MAX 16384
#define PATH_MAX_T 512

/* what the callbacks saw: "line:key=value|" or "file:line:item|" */
struct rec {
	char text[REC_MAX];
	size_t len;
	const char *fail_on;	/* key or item whose callback fails */
	int fail_rc;
	unsigned calls;
};

/* esc - printable copy of s (len bytes) for failure messages */
static const char *
esc(char *dst, size_t size, const char *s, size_t len)
{
	size_t o = 0;

	if (s == NULL)
		return "(null)";
	for (size_t i = 0; i < len && o + 5 < size; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n')
			o += (size_t)snprintf(dst + o, size - o, "\\n");
		else if (c == '\r')
			o += (size_t)snprintf(dst + o, size - o, "\\r");
		else if (c == '\t')
			o += (size_t)snprintf(dst + o, size - o, "\\t");
		else if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(dst + o, size - o, "\\x%02x", c);
		else
			dst[o++] = (char)c;
	}
	dst[o] = '\0';
	return dst;
}

/* rec_add - append one formatted record */
static void
rec_add(struct rec *r, const char *fmt, ...) AG_PRINTF(2, 3);
static void
rec_add(struct rec *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(r->text + r->len, sizeof(r->text) - r->len, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(r->text) - r->len)
		r->len += (size_t)n;
}

static int
rec_setting(void *arg, const struct ag_conf_where *w, const char *key,
	    const char *value, struct ag_err *err)
{
	struct rec *r = arg;

	r->calls++;
	rec_add(r, "%u:%s=%s|", w->line, key, value);
	if (r->fail_on != NULL && strcmp(key, r->fail_on) == 0)
		return ag_err_set(err, r->fail_rc, "%s:%u: callback says no",
				  w->file, w->line);
	return AG_OK;
}

/* rec_item - records the base name of the file so rows stay readable */
static int
rec_item(void *arg, const struct ag_conf_where *w, const char *item,
	 struct ag_err *err)
{
	struct rec *r = arg;
	const char *base = strrchr(w->file, '/');

	r->calls++;
	rec_add(r, "%s:%u:%s|", base != NULL ? "LIST" : w->file, w->line,
		item);
	if (r->fail_on != NULL && strcmp(item, r->fail_on) == 0)
		return ag_err_set(err, r->fail_rc, "%s:%u: callback says no",
				  w->file, w->line);
	return AG_OK;
}

/* tmp_write - write len bytes to a new temporary file, path into path_r */
static void
tmp_write(const void *data, size_t len, char *path_r, size_t size)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	snprintf(path_r, size, "%s/ag_conffile_XXXXXX", dir);
	fd = mkstemp(path_r);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

/* starts_with - does s begin with prefix? */
static int
starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ------------------------------------------------------------------ */
/* ag_conffile_parse                                                   */

struct parse_case {
	const char *label;
	const char *text;
	size_t len;		/* 0: strlen(text) */
	int want_rc;
	const char *want_rec;	/* callbacks seen, in order */
	unsigned want_line;	/* error: "file:<line>:" prefix; 0 none */
};

#define T(s) s, sizeof(s) - 1

static const struct parse_case parse_good[] = {
	{ "plain setting", T("Socket unix:/run/a.sock\n"), AG_OK,
	  "1:Socket=unix:/run/a.sock|", 0 },
	{ "tab separator", T("Key\tvalue\n"), AG_OK, "1:Key=value|", 0 },
	{ "leading and trailing whitespace", T("  Key   value \t \n"), AG_OK,
	  "1:Key=value|", 0 },
	{ "value keeps inner spaces", T("Key a b  c\n"), AG_OK,
	  "1:Key=a b  c|", 0 },
	{ "comment at start of line", T("# Socket unix:/x\nKey v\n"), AG_OK,
	  "2:Key=v|", 0 },
	{ "comment after whitespace", T("   # indented\n\t# tab\nKey v\n"),
	  AG_OK, "3:Key=v|", 0 },
	{ "trailing comment after space", T("Key v # note\n"), AG_OK,
	  "1:Key=v|", 0 },
	{ "trailing comment after tab", T("Key v\t#note\n"), AG_OK,
	  "1:Key=v|", 0 },
	{ "hash inside value kept", T("Socket unix:/a#b\n"), AG_OK,
	  "1:Socket=unix:/a#b|", 0 },
	{ "hash inside value then comment", T("Socket unix:/a#b # c\n"),
	  AG_OK, "1:Socket=unix:/a#b|", 0 },
	{ "hash ending value kept", T("Key v#\n"), AG_OK, "1:Key=v#|", 0 },
	{ "CRLF lines", T("A 1\r\nB 2\r\n"), AG_OK, "1:A=1|2:B=2|", 0 },
	{ "CRLF with comment", T("A 1 # c\r\n# x\r\n\r\nB 2\r\n"), AG_OK,
	  "1:A=1|4:B=2|", 0 },
	{ "blank and whitespace-only lines", T("\n\n  \nA 1\n\t\n"), AG_OK,
	  "4:A=1|", 0 },
	{ "no final newline", T("A 1\nB 2"), AG_OK, "1:A=1|2:B=2|", 0 },
	{ "empty file", T(""), AG_OK, "", 0 },
	{ "comments only", T("# a\n# b\n"), AG_OK, "", 0 },
	{ "missing value is passed as empty", T("User\n"), AG_OK,
	  "1:User=|", 0 },
	{ "missing value before comment", T("User   # none\n"), AG_OK,
	  "1:User=|", 0 },
	{ "missing value with CRLF", T("User\r\n"), AG_OK, "1:User=|", 0 },
	{ "key with digits, _ and -", T("Key_1-x v\n"), AG_OK,
	  "1:Key_1-x=v|", 0 },
	{ "keys passed as written", T("socket a\nSOCKET b\n"), AG_OK,
	  "1:socket=a|2:SOCKET=b|", 0 },
};

static const struct parse_case parse_bad[] = {
	{ "key=value", T("Key=value\n"), AG_EINVAL, "", 1 },
	{ "key colon value", T("Key: value\n"), AG_EINVAL, "", 1 },
	{ "no key, leading equals", T("=value\n"), AG_EINVAL, "", 1 },
	{ "section header", T("[main]\n"), AG_EINVAL, "", 1 },
	{ "8-bit byte in key", T("K\xc3\xa9y v\n"), AG_EINVAL, "", 1 },
	{ "quoted key", T("\"Key\" v\n"), AG_EINVAL, "", 1 },
	{ "dot in key", T("a.b v\n"), AG_EINVAL, "", 1 },
	{ "slash in key", T("/etc/x v\n"), AG_EINVAL, "", 1 },
	{ "bad key on line 3 after good ones", T("A 1\n# c\nB=2\nC 3\n"),
	  AG_EINVAL, "1:A=1|", 3 },
	{ "bad key after CRLF lines", T("A 1\r\n\r\nB;2\r\n"), AG_EINVAL,
	  "1:A=1|", 3 },
	/* conf_read_line promises AG_EINVAL for a NUL byte; a NUL must not
	 * silently cut the value ("10.0.0.0/8" would be kept, the rest lost) */
	{ "NUL byte in value", T("InternalHosts 10.0.0.0/8\0, ::1\n"),
	  AG_EINVAL, "", 1 },
	{ "NUL byte on line 2", T("A 1\nB\0 2\nC 3\n"), AG_EINVAL, "1:A=1|",
	  2 },
	{ "NUL byte mid value", T("A 1\nK x\0yyyy\n"), AG_EINVAL,
	  "1:A=1|", 2 },
};

/* parse_run - run one case; returns 1 on failure */
static int
parse_run(const struct parse_case *c)
{
	char path[PATH_MAX_T], want_prefix[PATH_MAX_T + 32], e[REC_MAX * 4],
		e2[REC_MAX * 4];
	struct rec r;
	struct ag_err err;
	int rc, bad = 0;

	memset(&r, 0, sizeof(r));
	memset(&err, 0, sizeof(err));
	tmp_write(c->text, c->len, path, sizeof(path));
	rc = ag_conffile_parse(path, rec_setting, &r, &err);
	if (rc != c->want_rc) {
		print_error("case %s: got rc %d (%s), want %d\n", c->label, rc,
			    err.msg, c->want_rc);
		bad = 1;
	}
	if (strcmp(r.text, c->want_rec) != 0) {
		print_error("case %s: got callbacks '%s', want '%s'\n",
			    c->label, esc(e, sizeof(e), r.text, r.len),
			    esc(e2, sizeof(e2), c->want_rec,
				strlen(c->want_rec)));
		bad = 1;
	}
	if (c->want_line != 0) {
		snprintf(want_prefix, sizeof(want_prefix), "%s:%u: ", path,
			 c->want_line);
		if (!starts_with(err.msg, want_prefix) ||
		    err.code != c->want_rc) {
			print_error("case %s: got error '%s' (code %d), want "
				    "prefix '%s' (code %d)\n", c->label,
				    err.msg, err.code, want_prefix,
				    c->want_rc);
			bad = 1;
		}
	}
	unlink(path);
	return bad;
}

static void
test_conffile_parse_settings(void **state)
{
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(parse_good) / sizeof(parse_good[0]); i++)
		failed += (unsigned)parse_run(&parse_good[i]);
	assert_int_equal(failed, 0);
}

static void
test_conffile_parse_rejects_bad_lines(void **state)
{
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(parse_bad) / sizeof(parse_bad[0]); i++)
		failed += (unsigned)parse_run(&parse_bad[i]);
	assert_int_equal(failed, 0);
}

/* long_line_file - n 'x' bytes as the value of "K" on line 2 */
static size_t
long_line_text(char *buf, size_t size, size_t linelen, const char *eol)
{
	size_t o = 0;

	o += (size_t)snprintf(buf, size, "A 1\nK ");
	while (o < 4 + linelen && o + 1 < size)
		buf[o++] = 'x';
	o += (size_t)snprintf(buf + o, size - o, "%s", eol);
	return o;
}

struct long_case {
	const char *label;
	size_t linelen;		/* bytes on line 2 before the end of line */
	const char *eol;
	int want_rc;
};

static void
test_conffile_line_length_limit(void **state)
{
	static const struct long_case cases[] = {
		{ "line at the limit", AG_CONF_LINE_MAX, "\n", AG_OK },
		{ "line at the limit at EOF", AG_CONF_LINE_MAX, "", AG_OK },
		{ "line one over the limit", AG_CONF_LINE_MAX + 1, "\n",
		  AG_ELIMIT },
		{ "line one over the limit at EOF", AG_CONF_LINE_MAX + 1, "",
		  AG_ELIMIT },
		{ "line far over the limit", 3 * AG_CONF_LINE_MAX, "\nB 2\n",
		  AG_ELIMIT },
	};
	char buf[4 * AG_CONF_LINE_MAX], path[PATH_MAX_T],
		want[PATH_MAX_T + 32];
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct long_case *c = &cases[i];
		struct rec r;
		struct ag_err err;
		size_t n = long_line_text(buf, sizeof(buf), c->linelen, c->eol);
		int rc;

		memset(&r, 0, sizeof(r));
		memset(&err, 0, sizeof(err));
		tmp_write(buf, n, path, sizeof(path));
		rc = ag_conffile_parse(path, rec_setting, &r, &err);
		snprintf(want, sizeof(want), "%s:2: ", path);
		if (rc != c->want_rc) {
			print_error("case %s: got rc %d, want %d\n", c->label,
				    rc, c->want_rc);
			failed++;
		} else if (rc == AG_OK && r.calls != 2) {
			print_error("case %s: got %u callbacks, want 2\n",
				    c->label, r.calls);
			failed++;
		} else if (rc != AG_OK &&
			   (!starts_with(err.msg, want) || r.calls != 1)) {
			print_error("case %s: got error '%s' after %u "
				    "callbacks, want prefix '%s' after 1\n",
				    c->label, err.msg, r.calls, want);
			failed++;
		}
		unlink(path);
	}
	assert_int_equal(failed, 0);
}

static void
test_conffile_missing_file_is_enoent(void **state)
{
	char path[PATH_MAX_T], want[PATH_MAX_T + 8];
	struct rec r;
	struct ag_err err;
	int rc;

	(void)state;
	memset(&r, 0, sizeof(r));
	memset(&err, 0, sizeof(err));
	tmp_write("", 0, path, sizeof(path));
	unlink(path);		/* a name that surely does not exist */
	rc = ag_conffile_parse(path, rec_setting, &r, &err);
	snprintf(want, sizeof(want), "%s: ", path);
	if (rc != AG_ENOENT || err.code != AG_ENOENT ||
	    !starts_with(err.msg, want) || r.calls != 0)
		fail_msg("case missing file: got rc %d code %d '%s' after %u "
			 "callbacks, want %d with prefix '%s' and none",
			 rc, err.code, err.msg, r.calls, AG_ENOENT, want);
}

static void
test_conffile_directory_is_an_error(void **state)
{
	const char *dir = getenv("TMPDIR");
	struct rec r;
	struct ag_err err;
	int rc;

	(void)state;
	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	memset(&r, 0, sizeof(r));
	memset(&err, 0, sizeof(err));
	rc = ag_conffile_parse(dir, rec_setting, &r, &err);
	if (rc == AG_OK || !starts_with(err.msg, dir) || r.calls != 0)
		fail_msg("case directory: got rc %d '%s' after %u callbacks, "
			 "want an error naming '%s'", rc, err.msg, r.calls,
			 dir);
}

struct cbfail_case {
	const char *label;
	const char *text;
	const char *fail_on;
	int fail_rc;
	const char *want_rec;
	unsigned want_line;
};

static void
test_conffile_callback_error_stops_parse(void **state)
{
	static const struct cbfail_case cases[] = {
		{ "first line fails", "Bad 1\nB 2\n", "Bad", AG_EINVAL,
		  "1:Bad=1|", 1 },
		{ "third line fails", "A 1\nB 2\n\nBad 3\nC 4\n", "Bad",
		  AG_EINVAL, "1:A=1|2:B=2|4:Bad=3|", 4 },
		{ "other code passed through", "A 1\nBad x\nC 3\n", "Bad",
		  AG_ELIMIT, "1:A=1|2:Bad=x|", 2 },
		{ "ENOENT passed through", "Bad x\n", "Bad", AG_ENOENT,
		  "1:Bad=x|", 1 },
	};
	char path[PATH_MAX_T], want[PATH_MAX_T + 64];
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct cbfail_case *c = &cases[i];
		struct rec r;
		struct ag_err err;
		int rc;

		memset(&r, 0, sizeof(r));
		memset(&err, 0, sizeof(err));
		r.fail_on = c->fail_on;
		r.fail_rc = c->fail_rc;
		tmp_write(c->text, strlen(c->text), path, sizeof(path));
		rc = ag_conffile_parse(path, rec_setting, &r, &err);
		snprintf(want, sizeof(want), "%s:%u: callback says no", path,
			 c->want_line);
		if (rc != c->fail_rc || err.code != c->fail_rc ||
		    strcmp(err.msg, want) != 0 ||
		    strcmp(r.text, c->want_rec) != 0) {
			print_error("case %s: got rc %d '%s' calls '%s', want "
				    "%d '%s' calls '%s'\n", c->label, rc,
				    err.msg, r.text, c->fail_rc, want,
				    c->want_rec);
			failed++;
		}
		unlink(path);
	}
	assert_int_equal(failed, 0);
}

/* ------------------------------------------------------------------ */
/* ag_conflist_parse                                                   */

struct list_case {
	const char *label;
	const char *value;
	int want_rc;
	const char *want_rec;
	const char *want_msg;	/* error prefix, or NULL */
};

static const struct list_case list_good[] = {
	{ "one item", "a", AG_OK, "conf:7:a|", NULL },
	{ "commas", "a,b,c", AG_OK, "conf:7:a|conf:7:b|conf:7:c|", NULL },
	{ "comma and space", "a, b", AG_OK, "conf:7:a|conf:7:b|", NULL },
	{ "spaces and tabs", "a b\tc", AG_OK, "conf:7:a|conf:7:b|conf:7:c|",
	  NULL },
	{ "mixed with empty items", " ,a,, b , ,c, ", AG_OK,
	  "conf:7:a|conf:7:b|conf:7:c|", NULL },
	{ "networks", "10.0.0.0/8, ::1 192.168.0.0/16", AG_OK,
	  "conf:7:10.0.0.0/8|conf:7:::1|conf:7:192.168.0.0/16|", NULL },
	{ "hash kept inside item", "a#b, c", AG_OK, "conf:7:a#b|conf:7:c|",
	  NULL },
	{ "only separators", " , ,\t", AG_OK, "", NULL },
	{ "empty", "", AG_OK, "", NULL },
};

static const struct list_case list_bad[] = {
	{ "callback fails on first item", "bad, b", AG_EINVAL,
	  "conf:7:bad|", "conf:7: callback says no" },
	{ "callback fails on second item", "a bad c", AG_EINVAL,
	  "conf:7:a|conf:7:bad|", "conf:7: callback says no" },
	{ "callback code passed through", "a,bad,c", AG_ELIMIT,
	  "conf:7:a|conf:7:bad|", "conf:7: callback says no" },
	{ "missing list file", "file:/nonexistent/ag-test/list", AG_ENOENT,
	  "", "conf:7: cannot open /nonexistent/ag-test/list" },
	{ "file: with empty path", "file:", AG_ENOENT, "",
	  "conf:7: cannot open " },
	{ "file: with relative missing path", "file:no-such-ag-list",
	  AG_ENOENT, "", "conf:7: cannot open no-such-ag-list" },
	{ "callback fails at the last item", "a b c d bad", AG_EINVAL,
	  "conf:7:a|conf:7:b|conf:7:c|conf:7:d|conf:7:bad|",
	  "conf:7: callback says no" },
	{ "callback fails after empty items", ",,, ,bad", AG_EINVAL,
	  "conf:7:bad|", "conf:7: callback says no" },
	{ "callback fails on item with hash", "a#b", AG_EINVAL,
	  "conf:7:a#b|", "conf:7: callback says no" },
};

/* list_run - one inline case; in error rows the callback refuses "bad"
 * (or "a#b" in the row about it) with the row's code */
static int
list_run(const struct list_case *c)
{
	struct ag_conf_where w = { "conf", 7 };
	struct rec r;
	struct ag_err err;
	int rc, bad = 0;

	memset(&r, 0, sizeof(r));
	memset(&err, 0, sizeof(err));
	if (c->want_rc != AG_OK) {
		r.fail_on = strstr(c->value, "bad") != NULL ? "bad" : "a#b";
		r.fail_rc = c->want_rc;
	}
	rc = ag_conflist_parse(c->value, &w, rec_item, &r, &err);
	if (rc != c->want_rc || strcmp(r.text, c->want_rec) != 0) {
		print_error("case %s: got rc %d items '%s', want %d items "
			    "'%s'\n", c->label, rc, r.text, c->want_rc,
			    c->want_rec);
		bad = 1;
	}
	if (c->want_msg != NULL && (!starts_with(err.msg, c->want_msg) ||
				    err.code != c->want_rc)) {
		print_error("case %s: got error '%s' (code %d), want prefix "
			    "'%s'\n", c->label, err.msg, err.code,
			    c->want_msg);
		bad = 1;
	}
	return bad;
}

static void
test_conflist_inline(void **state)
{
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(list_good) / sizeof(list_good[0]); i++)
		failed += (unsigned)list_run(&list_good[i]);
	assert_int_equal(failed, 0);
}

static void
test_conflist_inline_errors(void **state)
{
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(list_bad) / sizeof(list_bad[0]); i++)
		failed += (unsigned)list_run(&list_bad[i]);
	assert_int_equal(failed, 0);
}

struct item_len_case {
	const char *label;
	size_t len;
	int want_rc;
};

static void
test_conflist_item_length_limit(void **state)
{
	static const struct item_len_case cases[] = {
		{ "item at the limit", AG_CONF_ITEM_MAX - 1, AG_OK },
		{ "item one over the limit", AG_CONF_ITEM_MAX, AG_ELIMIT },
		{ "item far over the limit", 4 * AG_CONF_ITEM_MAX, AG_ELIMIT },
	};
	char value[8 * AG_CONF_ITEM_MAX];
	struct ag_conf_where w = { "conf", 7 };
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct item_len_case *c = &cases[i];
		struct rec r;
		struct ag_err err;
		int rc;

		memset(&r, 0, sizeof(r));
		memset(&err, 0, sizeof(err));
		memcpy(value, "a, ", 3);
		memset(value + 3, 'x', c->len);
		value[3 + c->len] = '\0';
		rc = ag_conflist_parse(value, &w, rec_item, &r, &err);
		if (rc != c->want_rc) {
			print_error("case %s: got rc %d, want %d\n", c->label,
				    rc, c->want_rc);
			failed++;
		} else if (rc == AG_OK && r.calls != 2) {
			print_error("case %s: got %u items, want 2\n",
				    c->label, r.calls);
			failed++;
		} else if (rc != AG_OK && (!starts_with(err.msg, "conf:7: ") ||
					   r.calls != 1)) {
			print_error("case %s: got '%s' after %u items, want "
				    "prefix 'conf:7: ' after 1\n", c->label,
				    err.msg, r.calls);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

struct flist_case {
	const char *label;
	const char *text;
	int want_rc;
	const char *want_rec;	/* LIST:line:item| */
	unsigned want_line;	/* error names the list file at this line */
};

static const struct flist_case flist_good[] = {
	{ "one entry a line", "a\nb\n", AG_OK, "LIST:1:a|LIST:2:b|", 0 },
	{ "comments and blank lines",
	  "# networks\n\n10.0.0.0/8\n  # indented\n\n::1\n", AG_OK,
	  "LIST:3:10.0.0.0/8|LIST:6:::1|", 0 },
	{ "trailing comment", "a # first\nb\t# second\n", AG_OK,
	  "LIST:1:a|LIST:2:b|", 0 },
	{ "hash inside entry kept", "a#b\n", AG_OK, "LIST:1:a#b|", 0 },
	{ "CRLF lines", "a\r\nb\r\n\r\n", AG_OK, "LIST:1:a|LIST:2:b|", 0 },
	{ "whitespace trimmed", "  a  \n\tb\t\n", AG_OK,
	  "LIST:1:a|LIST:2:b|", 0 },
	{ "no final newline", "a\nb", AG_OK, "LIST:1:a|LIST:2:b|", 0 },
	{ "empty file", "", AG_OK, "", 0 },
};

static const struct flist_case flist_bad[] = {
	{ "bad entry on line 3", "a\n# c\nbad\nd\n", AG_EINVAL,
	  "LIST:1:a|LIST:3:bad|", 3 },
	{ "bad entry on line 1", "bad\n", AG_EINVAL, "LIST:1:bad|", 1 },
	{ "bad entry after CRLF blank lines", "\r\n\r\nbad\r\n", AG_EINVAL,
	  "LIST:3:bad|", 3 },
	{ "bad entry after comments", "# a\n# b\n#c\n  bad  # why\n",
	  AG_EINVAL, "LIST:4:bad|", 4 },
	{ "code passed through", "a\nbad\n", AG_ELIMIT,
	  "LIST:1:a|LIST:2:bad|", 2 },
	{ "bad entry last without newline", "a\nb\nbad", AG_EINVAL,
	  "LIST:1:a|LIST:2:b|LIST:3:bad|", 3 },
	{ "bad entry with inner space", "a\nbad x\n", AG_EINVAL,
	  "LIST:1:a|LIST:2:bad x|", 2 },
	{ "bad entry among many", "a\nb\nc\nd\ne\nbad\n", AG_EINVAL,
	  "LIST:1:a|LIST:2:b|LIST:3:c|LIST:4:d|LIST:5:e|LIST:6:bad|", 6 },
};

/* flist_run - one file: case; the callback fails on "bad" / "bad x" */
static int
flist_run(const struct flist_case *c)
{
	char path[PATH_MAX_T], value[PATH_MAX_T + 8], want[PATH_MAX_T + 32];
	struct ag_conf_where w = { "conf", 7 };
	struct rec r;
	struct ag_err err;
	int rc, bad = 0;

	memset(&r, 0, sizeof(r));
	memset(&err, 0, sizeof(err));
	r.fail_on = strstr(c->text, "bad x") != NULL ? "bad x" : "bad";
	r.fail_rc = c->want_rc == AG_OK ? AG_EINVAL : c->want_rc;
	tmp_write(c->text, strlen(c->text), path, sizeof(path));
	snprintf(value, sizeof(value), "file:%s", path);
	rc = ag_conflist_parse(value, &w, rec_item, &r, &err);
	if (rc != c->want_rc || strcmp(r.text, c->want_rec) != 0) {
		print_error("case %s: got rc %d items '%s', want %d items "
			    "'%s'\n", c->label, rc, r.text, c->want_rc,
			    c->want_rec);
		bad = 1;
	}
	if (c->want_line != 0) {
		snprintf(want, sizeof(want), "%s:%u: ", path, c->want_line);
		if (!starts_with(err.msg, want)) {
			print_error("case %s: got error '%s', want prefix "
				    "'%s'\n", c->label, err.msg, want);
			bad = 1;
		}
	}
	unlink(path);
	return bad;
}

static void
test_conflist_file(void **state)
{
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(flist_good) / sizeof(flist_good[0]); i++)
		failed += (unsigned)flist_run(&flist_good[i]);
	assert_int_equal(failed, 0);
}

static void
test_conflist_file_errors_name_list_line(void **state)
{
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(flist_bad) / sizeof(flist_bad[0]); i++)
		failed += (unsigned)flist_run(&flist_bad[i]);
	assert_int_equal(failed, 0);
}

static void
test_conflist_file_long_line_is_elimit(void **state)
{
	char buf[3 * AG_CONF_LINE_MAX], path[PATH_MAX_T],
		value[PATH_MAX_T + 8], want[PATH_MAX_T + 32];
	struct ag_conf_where w = { "conf", 7 };
	struct rec r;
	struct ag_err err;
	size_t n;
	int rc;

	(void)state;
	memset(&r, 0, sizeof(r));
	memset(&err, 0, sizeof(err));
	n = (size_t)snprintf(buf, sizeof(buf), "a\n");
	memset(buf + n, 'x', 2 * AG_CONF_LINE_MAX);
	n += 2 * AG_CONF_LINE_MAX;
	buf[n++] = '\n';
	tmp_write(buf, n, path, sizeof(path));
	snprintf(value, sizeof(value), "file:%s", path);
	rc = ag_conflist_parse(value, &w, rec_item, &r, &err);
	snprintf(want, sizeof(want), "%s:2: ", path);
	unlink(path);
	if (rc != AG_ELIMIT || !starts_with(err.msg, want) || r.calls != 1)
		fail_msg("case list line too long: got rc %d '%s' after %u "
			 "items, want %d with prefix '%s' after 1", rc,
			 err.msg, r.calls, AG_ELIMIT, want);
}

static void
test_conflist_file_nul_byte_is_einval(void **state)
{
	static const char text[] = "a\n# c\nb\0c\nd\n";
	char path[PATH_MAX_T], value[PATH_MAX_T + 8], want[PATH_MAX_T + 32];
	struct ag_conf_where w = { "conf", 7 };
	struct rec r;
	struct ag_err err;
	int rc;

	(void)state;
	memset(&r, 0, sizeof(r));
	memset(&err, 0, sizeof(err));
	tmp_write(text, sizeof(text) - 1, path, sizeof(path));
	snprintf(value, sizeof(value), "file:%s", path);
	rc = ag_conflist_parse(value, &w, rec_item, &r, &err);
	snprintf(want, sizeof(want), "%s:3: ", path);
	unlink(path);
	if (rc != AG_EINVAL || !starts_with(err.msg, want) ||
	    strcmp(r.text, "LIST:1:a|") != 0)
		fail_msg("case NUL byte in list entry: got rc %d '%s' items "
			 "'%s', want %d with prefix '%s' items 'LIST:1:a|'",
			 rc, err.msg, r.text, AG_EINVAL, want);
}

/* ------------------------------------------------------------------ */
/* converters                                                          */

struct bool_case {
	const char *label;
	const char *value;
	int want_rc;
	int want;
};

static void
test_conf_bool(void **state)
{
	static const struct bool_case cases[] = {
		{ "yes", "yes", 0, 1 },
		{ "no", "no", 0, 0 },
		{ "true", "true", 0, 1 },
		{ "false", "false", 0, 0 },
		{ "1", "1", 0, 1 },
		{ "0", "0", 0, 0 },
		{ "on", "on", 0, 1 },
		{ "off", "off", 0, 0 },
		{ "upper YES", "YES", 0, 1 },
		{ "mixed Off", "Off", 0, 0 },
		{ "empty", "", -1, 0 },
		{ "y", "y", -1, 0 },
		{ "n", "n", -1, 0 },
		{ "2", "2", -1, 0 },
		{ "trailing space", "yes ", -1, 0 },
		{ "leading space", " no", -1, 0 },
		{ "maybe", "maybe", -1, 0 },
		{ "enable", "enable", -1, 0 },
		{ "-1", "-1", -1, 0 },
		{ "01", "01", -1, 0 },
		{ "yes prefix", "yesno", -1, 0 },
	};
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bool_case *c = &cases[i];
		int b = 7;
		int rc = ag_conf_bool(c->value, &b);
		int want = c->want_rc == 0 ? c->want : 7; /* untouched */

		if (rc != c->want_rc || b != want) {
			print_error("case %s: got rc %d value %d, want rc %d "
				    "value %d\n", c->label, rc, b, c->want_rc,
				    want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

struct uint_case {
	const char *label;
	const char *value;
	unsigned long min, max;
	int want_rc;
	unsigned long want;
};

static void
test_conf_uint_bounds(void **state)
{
	static const struct uint_case cases[] = {
		{ "zero at min", "0", 0, 10, 0, 0 },
		{ "max", "10", 0, 10, 0, 10 },
		{ "min", "1", 1, 10, 0, 1 },
		{ "min equals max", "5", 5, 5, 0, 5 },
		{ "leading zero", "007", 0, 10, 0, 7 },
		{ "ULONG_MAX", "18446744073709551615", 0, ULONG_MAX, 0,
		  ULONG_MAX },
		{ "one over max", "11", 0, 10, -1, 0 },
		{ "one under min", "0", 1, 10, -1, 0 },
		{ "negative", "-1", 0, ULONG_MAX, -1, 0 },
		{ "plus sign", "+1", 0, 10, -1, 0 },
		{ "leading space", " 1", 0, 10, -1, 0 },
		{ "trailing space", "1 ", 0, 10, -1, 0 },
		{ "trailing letter", "1a", 0, 10, -1, 0 },
		{ "empty", "", 0, 10, -1, 0 },
		{ "hex", "0x10", 0, 100, -1, 0 },
		{ "decimal point", "1.5", 0, 10, -1, 0 },
		{ "overflow", "18446744073709551616", 0, ULONG_MAX, -1, 0 },
		{ "huge over max", "99999999999", 0, 100, -1, 0 },
	};
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct uint_case *c = &cases[i];
		unsigned long n = 4242;
		int rc = ag_conf_uint(c->value, c->min, c->max, &n);
		unsigned long want = c->want_rc == 0 ? c->want : 4242;

		if (rc != c->want_rc || n != want) {
			print_error("case %s: got rc %d value %lu, want rc %d "
				    "value %lu\n", c->label, rc, n, c->want_rc,
				    want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

struct dur_case {
	const char *label;
	const char *value;
	unsigned long max_ms;
	int want_rc;
	unsigned long want_ms;
};

static void
test_conf_duration_ms(void **state)
{
	static const struct dur_case cases[] = {
		{ "bare seconds", "5", 60000, 0, 5000 },
		{ "seconds", "5s", 60000, 0, 5000 },
		{ "milliseconds", "500ms", 60000, 0, 500 },
		{ "minutes", "2m", 3600000, 0, 120000 },
		{ "zero", "0", 60000, 0, 0 },
		{ "at max in s", "60s", 60000, 0, 60000 },
		{ "at max in m", "1m", 60000, 0, 60000 },
		{ "at max in ms", "60000ms", 60000, 0, 60000 },
		{ "large ms", "18446744073709551615ms", ULONG_MAX, 0,
		  ULONG_MAX },
		{ "hours unsupported", "5h", 3600000, -1, 0 },
		{ "upper S", "5S", 60000, -1, 0 },
		{ "space before suffix", "5 s", 60000, -1, 0 },
		{ "long suffix", "5sec", 60000, -1, 0 },
		{ "suffix only", "ms", 60000, -1, 0 },
		{ "empty", "", 60000, -1, 0 },
		{ "negative", "-5", 60000, -1, 0 },
		{ "plus sign", "+5", 60000, -1, 0 },
		{ "fraction", "1.5s", 60000, -1, 0 },
		{ "junk after suffix", "5ms5", 60000, -1, 0 },
		{ "over max in s", "61s", 60000, -1, 0 },
		{ "over max in ms", "60001ms", 60000, -1, 0 },
		{ "over max in m", "2m", 60000, -1, 0 },
		{ "strtoul overflow", "18446744073709551616", ULONG_MAX, -1,
		  0 },
		{ "seconds multiply overflow", "18446744073709552s", ULONG_MAX,
		  -1, 0 },
		{ "minutes multiply overflow", "307445734561826m", ULONG_MAX,
		  -1, 0 },
	};
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct dur_case *c = &cases[i];
		unsigned long ms = 4242;
		int rc = ag_conf_duration_ms(c->value, c->max_ms, &ms);
		unsigned long want = c->want_rc == 0 ? c->want_ms : 4242;

		if (rc != c->want_rc || ms != want) {
			print_error("case %s: got rc %d value %lu, want rc %d "
				    "value %lu\n", c->label, rc, ms, c->want_rc,
				    want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conffile_parse_settings),
		cmocka_unit_test(test_conffile_parse_rejects_bad_lines),
		cmocka_unit_test(test_conffile_line_length_limit),
		cmocka_unit_test(test_conffile_missing_file_is_enoent),
		cmocka_unit_test(test_conffile_directory_is_an_error),
		cmocka_unit_test(test_conffile_callback_error_stops_parse),
		cmocka_unit_test(test_conflist_inline),
		cmocka_unit_test(test_conflist_inline_errors),
		cmocka_unit_test(test_conflist_item_length_limit),
		cmocka_unit_test(test_conflist_file),
		cmocka_unit_test(test_conflist_file_errors_name_list_line),
		cmocka_unit_test(test_conflist_file_long_line_is_elimit),
		cmocka_unit_test(test_conflist_file_nul_byte_is_einval),
		cmocka_unit_test(test_conf_bool),
		cmocka_unit_test(test_conf_uint_bounds),
		cmocka_unit_test(test_conf_duration_ms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
