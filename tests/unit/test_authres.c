/*
 * tests/unit/test_authres.c - policy/authres: building our
 * Authentication-Results field body (RFC 8601) so that no attacker byte can
 * split or smuggle a header, and reading the authserv-id of fields that
 * arrive, so forged ones carrying our id are recognised.
 *
 * Each table row is one labelled case; a failure prints
 * "case <label>: got <x>, want <y>" and the test fails after the table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy/authres.h"

#define SHOW_MAX (4 * AG_AUTHRES_MAX + 16)

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

/*
 * header_safe - may s go out as a folded field body? No CR, no NUL-less
 * control byte but the fold, every LF part of ";\n\t", nothing 8-bit.
 */
static bool
header_safe(const char *s)
{
	for (size_t i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n') {
			if (i == 0 || s[i - 1] != ';' || s[i + 1] != '\t')
				return false;
		} else if (c == '\t') {
			if (i == 0 || s[i - 1] != '\n')
				return false;
		} else if (c < 0x20 || c >= 0x7f) {
			return false;
		}
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* building                                                            */

struct res {
	const char *method, *result, *reason;
	struct ag_authres_prop props[2];
	unsigned nprops;
};

struct build_case {
	const char *label;
	struct res res[3];
	unsigned nres;
	const char *want;
};

#define SERVID "mx.example"
#define MF(v) { { "smtp.mailfrom", v }, { NULL, NULL } }, 1

static const struct build_case build_good[] = {
	{ "no results", { { 0 } }, 0, "mx.example; none" },
	{ "spf pass",
	  { { "spf", "pass", NULL, MF("user@example.com") } }, 1,
	  "mx.example;\n\tspf=pass smtp.mailfrom=user@example.com" },
	{ "spf helo domain",
	  { { "spf", "none", NULL,
	      { { "smtp.helo", "mail.example.com" }, { NULL, NULL } }, 1 } },
	  1, "mx.example;\n\tspf=none smtp.helo=mail.example.com" },
	{ "two clauses folded",
	  { { "spf", "pass", NULL, MF("a@example.com") },
	    { "spf", "none", NULL,
	      { { "smtp.helo", "mail.example.com" }, { NULL, NULL } }, 1 } },
	  2,
	  "mx.example;\n\tspf=pass smtp.mailfrom=a@example.com;\n\t"
	  "spf=none smtp.helo=mail.example.com" },
	{ "three clauses folded",
	  { { "spf", "fail", NULL, MF("a@example.com") },
	    { "dkim", "pass", NULL,
	      { { "header.d", "example.com" }, { "header.s", "sel1" } }, 2 },
	    { "dmarc", "fail", NULL,
	      { { "header.from", "example.com" }, { NULL, NULL } }, 1 } },
	  3,
	  "mx.example;\n\tspf=fail smtp.mailfrom=a@example.com;\n\t"
	  "dkim=pass header.d=example.com header.s=sel1;\n\t"
	  "dmarc=fail header.from=example.com" },
	{ "reason comment",
	  { { "spf", "fail", "sender not allowed", MF("a@example.com") } },
	  1,
	  "mx.example;\n\tspf=fail (sender not allowed) "
	  "smtp.mailfrom=a@example.com" },
	{ "empty reason left out",
	  { { "spf", "pass", "", MF("a@example.com") } }, 1,
	  "mx.example;\n\tspf=pass smtp.mailfrom=a@example.com" },
	{ "empty property left out",
	  { { "spf", "none", NULL,
	      { { "smtp.mailfrom", "" }, { "smtp.helo", "h.example" } },
	      2 } },
	  1, "mx.example;\n\tspf=none smtp.helo=h.example" },
	{ "NULL property left out",
	  { { "spf", "none", NULL,
	      { { "smtp.mailfrom", NULL }, { "smtp.helo", "h.example" } },
	      2 } },
	  1, "mx.example;\n\tspf=none smtp.helo=h.example" },
	{ "no properties",
	  { { "spf", "temperror", "dns timeout", { { 0 } }, 0 } }, 1,
	  "mx.example;\n\tspf=temperror (dns timeout)" },
};

/* hostile values: every one must be quoted or cleaned, never raw */
static const struct build_case build_bad[] = {
	{ "space in value", { { "spf", "pass", NULL, MF("a b@example.com") } },
	  1, "mx.example;\n\tspf=pass smtp.mailfrom=\"a b@example.com\"" },
	{ "double quote escaped",
	  { { "spf", "pass", NULL, MF("a\"b@example.com") } }, 1,
	  "mx.example;\n\tspf=pass smtp.mailfrom=\"a\\\"b@example.com\"" },
	{ "backslash escaped",
	  { { "spf", "pass", NULL, MF("a\\b@example.com") } }, 1,
	  "mx.example;\n\tspf=pass smtp.mailfrom=\"a\\\\b@example.com\"" },
	{ "semicolon quoted",
	  { { "spf", "pass", NULL, MF("a;dkim=pass@example.com") } }, 1,
	  "mx.example;\n\tspf=pass smtp.mailfrom=\"a;dkim=pass@example.com\"" },
	{ "CRLF header injection",
	  { { "spf", "pass", NULL, MF("a@b\r\nX-Evil: 1") } }, 1,
	  "mx.example;\n\tspf=pass smtp.mailfrom=\"a@b??X-Evil: 1\"" },
	{ "bare LF header injection",
	  { { "spf", "pass", NULL, MF("a@b\nX-Evil: 1") } }, 1,
	  "mx.example;\n\tspf=pass smtp.mailfrom=\"a@b?X-Evil: 1\"" },
	{ "bare CR",
	  { { "spf", "pass", NULL, MF("a@b\rX") } }, 1,
	  "mx.example;\n\tspf=pass smtp.mailfrom=\"a@b?X\"" },
	{ "folding attempt with tab",
	  { { "spf", "pass", NULL, MF("a@b\n\tspf=pass") } }, 1,
	  "mx.example;\n\tspf=pass smtp.mailfrom=\"a@b??spf=pass\"" },
	{ "8-bit bytes",
	  { { "spf", "pass", NULL, MF("j\xc3\xbcrgen@example.com") } }, 1,
	  "mx.example;\n\tspf=pass smtp.mailfrom=\"j??rgen@example.com\"" },
	{ "DEL byte", { { "spf", "pass", NULL, MF("a\x7f@b") } }, 1,
	  "mx.example;\n\tspf=pass smtp.mailfrom=\"a?@b\"" },
	{ "escape byte", { { "spf", "pass", NULL, MF("a\x1b[2J@b") } }, 1,
	  "mx.example;\n\tspf=pass smtp.mailfrom=\"a?[2J@b\"" },
	{ "leading @", { { "spf", "pass", NULL, MF("@example.com") } }, 1,
	  "mx.example;\n\tspf=pass smtp.mailfrom=\"@example.com\"" },
	{ "leading dot", { { "spf", "pass", NULL, MF(".a@example.com") } }, 1,
	  "mx.example;\n\tspf=pass smtp.mailfrom=\".a@example.com\"" },
	{ "parentheses", { { "spf", "pass", NULL, MF("a(b)@c") } }, 1,
	  "mx.example;\n\tspf=pass smtp.mailfrom=\"a(b)@c\"" },
	/* RFC 8601 pvalue is a token or [local-part] "@" domain-name: with
	 * two '@' or nothing after the '@' it is neither, so it is quoted */
	{ "two at signs", { { "spf", "pass", NULL, MF("a@b@example.com") } },
	  1, "mx.example;\n\tspf=pass smtp.mailfrom=\"a@b@example.com\"" },
	{ "at sign last", { { "spf", "pass", NULL, MF("a@") } }, 1,
	  "mx.example;\n\tspf=pass smtp.mailfrom=\"a@\"" },
	{ "equals sign", { { "spf", "pass", NULL, MF("a=b") } }, 1,
	  "mx.example;\n\tspf=pass smtp.mailfrom=\"a=b\"" },
	{ "angle address", { { "spf", "pass", NULL, MF("<a@b>") } }, 1,
	  "mx.example;\n\tspf=pass smtp.mailfrom=\"<a@b>\"" },
	{ "reason with CRLF",
	  { { "spf", "fail", "x\r\nX-Evil: 1", MF("a@b") } }, 1,
	  "mx.example;\n\tspf=fail (x??X-Evil: 1) smtp.mailfrom=a@b" },
	{ "reason with parentheses and backslash",
	  { { "spf", "fail", "a (b) \\c", MF("a@b") } }, 1,
	  "mx.example;\n\tspf=fail (a ?b? ?c) smtp.mailfrom=a@b" },
	{ "reason closing comment early",
	  { { "spf", "fail", "x); dkim=pass (", MF("a@b") } }, 1,
	  "mx.example;\n\tspf=fail (x?; dkim=pass ?) smtp.mailfrom=a@b" },
	{ "reason with tab",
	  { { "spf", "fail", "a\tb", MF("a@b") } }, 1,
	  "mx.example;\n\tspf=fail (a b) smtp.mailfrom=a@b" },
	{ "reason 8-bit",
	  { { "spf", "fail", "caf\xc3\xa9", MF("a@b") } }, 1,
	  "mx.example;\n\tspf=fail (caf?" "?) smtp.mailfrom=a@b" },
};

/* build_run - build one case and compare; returns 1 on failure */
static int
build_run(const struct build_case *c)
{
	char g[SHOW_MAX], w[SHOW_MAX];
	struct ag_authres *ar = NULL;
	const char *got;
	int bad = 0;

	assert_int_equal(ag_authres_new(&ar, SERVID), AG_OK);
	for (unsigned i = 0; i < c->nres; i++) {
		const struct res *r = &c->res[i];
		int rc = ag_authres_add(ar, r->method, r->result, r->reason,
					r->props, r->nprops);
		if (rc != AG_OK) {
			print_error("case %s: got rc %d on result %u, want "
				    "0\n", c->label, rc, i);
			bad = 1;
		}
	}
	got = ag_authres_value(ar);
	if (strcmp(got, c->want) != 0) {
		print_error("case %s: got \"%s\", want \"%s\"\n", c->label,
			    esc(g, sizeof(g), got, strlen(got)),
			    esc(w, sizeof(w), c->want, strlen(c->want)));
		bad = 1;
	}
	if (!header_safe(got)) {
		print_error("case %s: got unsafe \"%s\", want no CR, raw LF, "
			    "control or 8-bit byte\n", c->label,
			    esc(g, sizeof(g), got, strlen(got)));
		bad = 1;
	}
	ag_authres_free(&ar);
	assert_null(ar);
	return bad;
}

static void
test_authres_build(void **state)
{
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(build_good) / sizeof(build_good[0]); i++)
		failed += (unsigned)build_run(&build_good[i]);
	assert_int_equal(failed, 0);
}

static void
test_authres_build_quotes_hostile_values(void **state)
{
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(build_bad) / sizeof(build_bad[0]); i++)
		failed += (unsigned)build_run(&build_bad[i]);
	assert_int_equal(failed, 0);
}

struct cut_case {
	const char *label;
	size_t len;
	char fill;
	bool as_reason;		/* else as smtp.mailfrom */
	const char *want_head;	/* before the kept bytes */
	size_t want_kept;
	const char *want_tail;	/* after them */
};

static void
test_authres_long_values_are_cut(void **state)
{
	static const struct cut_case cases[] = {
		{ "plain value at the limit", AG_AUTHRES_PVALUE_MAX, 'a', false,
		  "mx.example;\n\tspf=pass smtp.mailfrom=",
		  AG_AUTHRES_PVALUE_MAX, "" },
		{ "plain value over the limit is quoted and cut",
		  AG_AUTHRES_PVALUE_MAX + 100, 'a', false,
		  "mx.example;\n\tspf=pass smtp.mailfrom=\"",
		  AG_AUTHRES_PVALUE_MAX, "\"" },
		{ "quoted value over the limit is cut",
		  AG_AUTHRES_PVALUE_MAX * 3, ' ', false,
		  "mx.example;\n\tspf=pass smtp.mailfrom=\"",
		  AG_AUTHRES_PVALUE_MAX, "\"" },
		{ "reason over the limit is cut", AG_AUTHRES_PVALUE_MAX * 3,
		  'r', true, "mx.example;\n\tspf=pass (", AG_AUTHRES_PVALUE_MAX,
		  ")" },
	};
	char v[AG_AUTHRES_PVALUE_MAX * 4], want[AG_AUTHRES_MAX];
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct cut_case *c = &cases[i];
		struct ag_authres_prop p = { "smtp.mailfrom", v };
		struct ag_authres *ar = NULL;
		const char *got;
		size_t o;
		int rc;

		memset(v, c->fill, c->len);
		v[c->len] = '\0';
		o = (size_t)snprintf(want, sizeof(want), "%s", c->want_head);
		memset(want + o, c->fill, c->want_kept);
		o += c->want_kept;
		snprintf(want + o, sizeof(want) - o, "%s", c->want_tail);
		assert_int_equal(ag_authres_new(&ar, SERVID), AG_OK);
		rc = ag_authres_add(ar, "spf", "pass", c->as_reason ? v : NULL,
				    &p, c->as_reason ? 0 : 1);
		got = ag_authres_value(ar);
		if (rc != AG_OK || strcmp(got, want) != 0) {
			print_error("case %s: got rc %d and %zu bytes, want 0 "
				    "and %zu bytes \"%.60s...\"\n", c->label,
				    rc,
				    strlen(got), strlen(want), want);
			failed++;
		}
		ag_authres_free(&ar);
	}
	assert_int_equal(failed, 0);
}

static void
test_authres_too_long_is_elimit_and_unchanged(void **state)
{
	char v[AG_AUTHRES_PVALUE_MAX + 1], before[AG_AUTHRES_MAX];
	struct ag_authres_prop p[2] = { { "smtp.mailfrom", v },
					{ "smtp.helo", v } };
	struct ag_authres *ar = NULL;
	unsigned added = 0;
	int rc = AG_OK;

	(void)state;
	memset(v, 'a', AG_AUTHRES_PVALUE_MAX);
	v[AG_AUTHRES_PVALUE_MAX] = '\0';
	assert_int_equal(ag_authres_new(&ar, SERVID), AG_OK);
	/* each add is over 1 KB; the 8 KB field fills within 10 */
	for (unsigned i = 0; i < 20; i++) {
		snprintf(before, sizeof(before), "%s", ag_authres_value(ar));
		if ((rc = ag_authres_add(ar, "spf", "pass", NULL, p, 2)) !=
		    AG_OK)
			break;
		added++;
	}
	if (rc != AG_ELIMIT || added < 5)
		fail_msg("case fill: got rc %d after %u adds, want %d after "
			 "at least 5", rc, added, AG_ELIMIT);
	if (strcmp(ag_authres_value(ar), before) != 0)
		fail_msg("case failed add: got the text changed, want it as "
			 "before the add");
	if (strlen(ag_authres_value(ar)) >= AG_AUTHRES_MAX)
		fail_msg("case length: got %zu, want under %d",
			 strlen(ag_authres_value(ar)), AG_AUTHRES_MAX);
	/* the refused add left the builder usable: a short result still
	 * fits in what the big one could not use */
	rc = ag_authres_add(ar, "x", "y", NULL, NULL, 0);
	snprintf(before + strlen(before), sizeof(before) - strlen(before),
		 ";\n\tx=y");
	if (rc != AG_OK || strcmp(ag_authres_value(ar), before) != 0)
		fail_msg("case short add after the limit: got rc %d, want 0 "
			 "and the text ending in \";\\n\\tx=y\"", rc);
	ag_authres_free(&ar);
	ag_authres_free(&ar);	/* cleared pointer: no double free */
	ag_authres_free(NULL);
}

struct new_case {
	const char *label;
	const char *servid;
	int want_rc;
};

static void
test_authres_new_refuses_bad_servid(void **state)
{
	static char long_id[AG_AUTHRES_SERVID_MAX + 1];
	static char max_id[AG_AUTHRES_SERVID_MAX];
	const struct new_case cases[] = {
		{ "host name", "mx.example.com", AG_OK },
		{ "longest id", max_id, AG_OK },
		{ "empty", "", AG_EINVAL },
		{ "NULL", NULL, AG_EINVAL },
		{ "space", "mx example", AG_EINVAL },
		{ "semicolon", "mx;spf=pass", AG_EINVAL },
		{ "CRLF", "mx\r\nX-Evil: 1", AG_EINVAL },
		{ "too long", long_id, AG_EINVAL },
	};
	unsigned failed = 0;

	(void)state;
	memset(long_id, 'a', sizeof(long_id) - 1);
	memset(max_id, 'a', sizeof(max_id) - 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ag_authres *ar = NULL;
		int rc = ag_authres_new(&ar, cases[i].servid);

		if (rc != cases[i].want_rc ||
		    (rc == AG_OK) != (ar != NULL)) {
			print_error("case %s: got rc %d (builder %s), want "
				    "%d\n", cases[i].label, rc,
				    ar != NULL ? "set" : "NULL",
				    cases[i].want_rc);
			failed++;
		}
		ag_authres_free(&ar);
	}
	assert_int_equal(failed, 0);
}

/* ------------------------------------------------------------------ */
/* reading the authserv-id                                             */

struct servid_case {
	const char *label;
	const char *value;	/* NULL: built by the test (see below) */
	size_t len;		/* bytes of value to read */
	size_t outsize;
	int want_rc;
	const char *want_id;
};

#define S(s) s, sizeof(s) - 1

/* nest - n '(' then "x" and n ')', then after; returns the length */
static size_t
nest(char *dst, size_t size, unsigned n, const char *after)
{
	size_t o = 0;

	assert_true(2 * (size_t)n + 1 + strlen(after) < size);
	for (unsigned i = 0; i < n; i++)
		dst[o++] = '(';
	dst[o++] = 'x';
	for (unsigned i = 0; i < n; i++)
		dst[o++] = ')';
	o += (size_t)snprintf(dst + o, size - o, "%s", after);
	return o;
}

static const struct servid_case servid_good[] = {
	{ "token", S("mx.example.com; spf=pass"), 256, 1, "mx.example.com" },
	{ "token only", S("mx.example.com"), 256, 1, "mx.example.com" },
	{ "token then none", S("mx.example.com; none"), 256, 1,
	  "mx.example.com" },
	{ "leading whitespace", S("  \t mx.example.com; none"), 256, 1,
	  "mx.example.com" },
	{ "leading fold", S("\r\n\tmx.example.com; none"), 256, 1,
	  "mx.example.com" },
	{ "leading comment", S("(c) mx.example.com; none"), 256, 1,
	  "mx.example.com" },
	{ "nested comments", S("(a (b) c) mx.example; none"), 256, 1,
	  "mx.example" },
	{ "two comments", S("(a) (b)mx.example; none"), 256, 1, "mx.example" },
	{ "escaped paren in comment", S("(a \\) b) mx.example"), 256, 1,
	  "mx.example" },
	{ "comment right after id", S("mx.example(c); none"), 256, 1,
	  "mx.example" },
	{ "authres-version", S("mx.example 1; spf=pass"), 256, 1,
	  "mx.example" },
	{ "version after comment", S("mx.example (v) 1; spf=pass"), 256, 1,
	  "mx.example" },
	{ "quoted-string", S("\"mx.example.com\"; none"), 256, 1,
	  "mx.example.com" },
	{ "quoted-string with escaped quote", S("\"mx.ex\\\"ample\"; none"),
	  256, 1, "mx.ex\"ample" },
	{ "quoted-string with escaped backslash", S("\"a\\\\b\"; none"), 256,
	  1, "a\\b" },
	{ "quoted-string with quoted-pair letter", S("\"mx.exa\\mple\""), 256,
	  1, "mx.example" },
	{ "quoted-string with space", S("\"mx example\"; none"), 256, 1,
	  "mx example" },
	{ "quoted-string folded", S("\"mx.\r\n example\""), 256, 1,
	  "mx. example" },
	{ "comment then quoted-string", S("(x) \"mx.example\""), 256, 1,
	  "mx.example" },
	{ "len stops before the end", "mx.example.com.evil", 14, 256, 1,
	  "mx.example.com" },
	{ "id fills outsize", S("abc; none"), 4, 1, "abc" },
	{ "depth 16 comment", NULL, 0, 256, 1, "mx.example" },
	{ "id first in a field over 4 KB", NULL, 0, 256, 1,
	  "mx.example.com" },
	{ "id after a 4 KB comment", NULL, 0, 256, 1, "mx.example" },
};

static const struct servid_case servid_bad[] = {
	{ "empty", S(""), 256, 0, NULL },
	{ "whitespace only", S(" \t\r\n "), 256, 0, NULL },
	{ "comment only", S("(just a comment)"), 256, 0, NULL },
	{ "no authserv-id", S("; spf=pass"), 256, 0, NULL },
	{ "starts with equals", S("=x; spf=pass"), 256, 0, NULL },
	{ "unterminated comment", S("(abc mx.example.com; spf=pass"), 256, 0,
	  NULL },
	{ "unterminated nested comment", S("(a (b) mx.example.com"), 256, 0,
	  NULL },
	{ "escaped close paren only", S("(a\\) mx.example.com"), 256, 0,
	  NULL },
	{ "comment ends in backslash", S("(a\\"), 256, 0, NULL },
	{ "unterminated quoted-string", S("\"mx.example.com; none"), 256, 0,
	  NULL },
	{ "quoted-string ends in backslash", S("\"mx\\"), 256, 0, NULL },
	{ "empty quoted-string", S("\"\"; none"), 256, 0, NULL },
	{ "8-bit first byte", S("\xc3\xa9x.example; none"), 256, 0, NULL },
	{ "control first byte", S("\x01mx.example"), 256, 0, NULL },
	{ "NUL first byte", S("\0mx.example"), 256, 0, NULL },
	{ "len zero", "mx.example", 0, 256, 0, NULL },
	{ "len inside comment", "(c) mx.example", 3, 256, 0, NULL },
	{ "id longer than outsize", S("abcd; none"), 4, AG_ELIMIT, NULL },
	{ "quoted id longer than outsize", S("\"abcd\"; none"), 4, AG_ELIMIT,
	  NULL },
	{ "outsize 1", S("a"), 1, AG_ELIMIT, NULL },
	{ "over-long token", NULL, 0, 256, AG_ELIMIT, NULL },
	{ "depth 17 comment", NULL, 0, 256, AG_EINVAL, NULL },
	{ "depth 1000 comment", NULL, 0, 256, AG_EINVAL, NULL },
	{ "depth 17 unterminated", NULL, 0, 256, AG_EINVAL, NULL },
};

/*
 * servid_input - the text for rows whose value is NULL; the generated
 * inputs are large or repetitive, so they are built here by label
 */
static size_t
servid_input(const char *label, char *buf, size_t size)
{
	size_t o = 0;

	if (strcmp(label, "depth 16 comment") == 0)
		return nest(buf, size, AG_AUTHRES_COMMENT_DEPTH,
			    " mx.example; none");
	if (strcmp(label, "depth 17 comment") == 0)
		return nest(buf, size, AG_AUTHRES_COMMENT_DEPTH + 1,
			    " mx.example; none");
	if (strcmp(label, "depth 1000 comment") == 0)
		return nest(buf, size, 1000, " mx.example; none");
	if (strcmp(label, "id first in a field over 4 KB") == 0) {
		o = (size_t)snprintf(buf, size, "mx.example.com; spf=pass "
				     "smtp.mailfrom=\"");
		memset(buf + o, 'a', 5000);
		o += 5000;
		buf[o++] = '"';
		return o;
	}
	if (strcmp(label, "over-long token") == 0) {
		memset(buf, 'a', AG_AUTHRES_SERVID_MAX + 44);
		o = AG_AUTHRES_SERVID_MAX + 44;
		o += (size_t)snprintf(buf + o, size - o, "; none");
		return o;
	}
	if (strcmp(label, "id after a 4 KB comment") == 0) {
		buf[o++] = '(';
		memset(buf + o, 'x', 4096 + 10);
		o += 4096 + 10;
		o += (size_t)snprintf(buf + o, size - o, ") mx.example");
		return o;
	}
	if (strcmp(label, "depth 17 unterminated") == 0) {
		memset(buf, '(', AG_AUTHRES_COMMENT_DEPTH + 1);
		o = AG_AUTHRES_COMMENT_DEPTH + 1;
		o += (size_t)snprintf(buf + o, size - o, " mx.example; none");
		return o;
	}
	fail_msg("case %s: no generated input", label);
	return 0;
}

/* servid_run - one case; returns 1 on failure */
static int
servid_run(const struct servid_case *c)
{
	char *gen = malloc(3 * AG_AUTHRES_MAX);
	char out[AG_AUTHRES_MAX], show[SHOW_MAX];
	const char *value = c->value;
	size_t len = c->len;
	int rc, bad = 0;

	assert_non_null(gen);
	if (value == NULL) {
		len = servid_input(c->label, gen, 3 * AG_AUTHRES_MAX);
		value = gen;
	}
	memset(out, 'Z', sizeof(out));
	rc = ag_authres_servid(value, len, out, c->outsize);
	if (rc != c->want_rc) {
		print_error("case %s: got rc %d, want %d (input \"%.80s\")\n",
			    c->label, rc, c->want_rc,
			    esc(show, sizeof(show), value, len));
		bad = 1;
	} else if (rc == 1 && strcmp(out, c->want_id) != 0) {
		print_error("case %s: got id \"%s\", want \"%s\"\n", c->label,
			    esc(show, sizeof(show), out, strlen(out)),
			    c->want_id);
		bad = 1;
	}
	free(gen);
	return bad;
}

static void
test_authres_servid(void **state)
{
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(servid_good) / sizeof(servid_good[0]);
	     i++)
		failed += (unsigned)servid_run(&servid_good[i]);
	assert_int_equal(failed, 0);
}

static void
test_authres_servid_rejects_malformed(void **state)
{
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(servid_bad) / sizeof(servid_bad[0]);
	     i++)
		failed += (unsigned)servid_run(&servid_bad[i]);
	assert_int_equal(failed, 0);
}

/* ------------------------------------------------------------------ */
/* ag_authres_is_ours                                                  */

struct ours_case {
	const char *label;
	const char *value;
	size_t len;		/* 0: strlen */
	bool want;
};

#define OURS "mx.example.com"

static const struct ours_case ours_cases[] = {
	{ "equal", "mx.example.com; spf=pass", 0, true },
	{ "equal, other case", "MX.Example.COM; none", 0, true },
	{ "quoted-string equal", "\"mx.example.com\"; none", 0, true },
	{ "after comment", "(forged) mx.example.com; spf=pass", 0, true },
	{ "with version", "mx.example.com 1; spf=pass", 0, true },
	{ "after fold", "\r\n\tmx.example.com;\r\n\tspf=pass", 0, true },
	{ "comment glued to id", "mx.example.com(x); spf=pass", 0, true },
	{ "longer id is not a prefix match", "mx.example.com.evil; spf=pass",
	  0, false },
	{ "shorter id", "mx.example; none", 0, false },
	{ "subdomain", "a.mx.example.com; none", 0, false },
	{ "hyphenated suffix", "mx.example.com-evil; none", 0, false },
	{ "other id", "other.example; spf=pass", 0, false },
	{ "quoted longer id", "\"mx.example.com.evil\"; none", 0, false },
	{ "quoted id with space", "\"mx.example.com \"; none", 0, false },
	{ "empty", "", 0, false },
	{ "no id", "; spf=pass", 0, false },
	{ "unterminated comment", "(mx.example.com; spf=pass", 0, false },
	{ "id cut by len", "mx.example.com", 10, false },
	{ "over-long id starting with ours",
	  "mx.example.com.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "; none",
	  0, false },
};

static void
test_authres_is_ours(void **state)
{
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(ours_cases) / sizeof(ours_cases[0]);
	     i++) {
		const struct ours_case *c = &ours_cases[i];
		size_t len = c->len != 0 ? c->len : strlen(c->value);
		bool got = ag_authres_is_ours(c->value, len, OURS);

		if (got != c->want) {
			print_error("case %s: got %d, want %d\n", c->label, got,
				    c->want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/*
 * Forged fields (DESIGN.md "Known traps": a forged Authentication-Results
 * over 4 KB) that put an authserv-id behind kilobytes of CFWS or deeply
 * nested comments. A reader without our limits (an MUA, a later filter)
 * finds the id there and trusts the results, so: a readable id is compared
 * however far in it sits, and an id we refuse to read (comments nested
 * past AG_AUTHRES_COMMENT_DEPTH) counts as ours, so the field is removed
 * rather than trusted downstream.
 */
struct hidden_case {
	const char *label;
	unsigned depth;		/* nested comment depth before the id */
	size_t pad;		/* bytes of padding before the id */
	const char *pad_with;	/* "(": one long comment, " ": spaces,
				 * "\n ": folds */
	const char *id;
	bool want;
};

static void
test_authres_is_ours_past_limits(void **state)
{
	static const struct hidden_case cases[] = {
		{ "ours after a 4 KB comment", 0, 4196, "(", OURS, true },
		{ "ours after 4 KB of spaces", 0, 4196, " ", OURS, true },
		{ "ours after 4 KB of folds", 0, 4196, "\n ", OURS, true },
		{ "ours after 20 KB of folds", 0, 20000, "\n ", OURS, true },
		{ "ours after 17 nested comments",
		  AG_AUTHRES_COMMENT_DEPTH + 1, 0, "", OURS, true },
		{ "ours after 200 nested comments", 200, 0, "", OURS, true },
		{ "other after 17 nested comments is removed too",
		  AG_AUTHRES_COMMENT_DEPTH + 1, 0, "", "other.example", true },
		{ "other after a 4 KB comment is kept", 0, 4196, "(",
		  "other.example", false },
		{ "other after 16 nested comments is kept",
		  AG_AUTHRES_COMMENT_DEPTH, 0, "", "other.example", false },
		{ "longer id after 4 KB of spaces is kept", 0, 4196, " ",
		  OURS ".evil", false },
	};
	const size_t size = 4 * AG_AUTHRES_MAX;
	char *buf = malloc(size);
	unsigned failed = 0;

	(void)state;
	assert_non_null(buf);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct hidden_case *c = &cases[i];
		size_t o = 0;
		bool got;

		if (c->depth > 0) {
			o = nest(buf, size, c->depth, "");
		} else if (strcmp(c->pad_with, "(") == 0) {
			buf[o++] = '(';
			memset(buf + o, 'x', c->pad);
			o += c->pad;
			buf[o++] = ')';
		} else {
			size_t step = strlen(c->pad_with);
			while (o < c->pad) {
				memcpy(buf + o, c->pad_with, step);
				o += step;
			}
		}
		o += (size_t)snprintf(buf + o, size - o, " %s; spf=pass "
				      "smtp.mailfrom=ceo@victim.example",
				      c->id);
		got = ag_authres_is_ours(buf, o, OURS);
		if (got != c->want) {
			print_error("case %s: got %s, want %s\n", c->label,
				    got ? "ours (removed)" : "not ours (kept)",
				    c->want ? "ours (removed)"
					    : "not ours (kept)");
			failed++;
		}
	}
	free(buf);
	assert_int_equal(failed, 0);
}

/* ------------------------------------------------------------------ */
/* ag_authres_valid_servid                                             */

struct valid_case {
	const char *label;
	const char *s;
	bool want;
};

static void
test_authres_valid_servid(void **state)
{
	static char max_id[AG_AUTHRES_SERVID_MAX];
	static char long_id[AG_AUTHRES_SERVID_MAX + 1];
	const struct valid_case cases[] = {
		{ "host name", "mx.example.com", true },
		{ "single label", "localhost", true },
		{ "one char", "a", true },
		{ "hyphen and underscore", "mx-1.ex_ample", true },
		{ "upper case", "MX.EXAMPLE", true },
		{ "longest", max_id, true },
		{ "NULL", NULL, false },
		{ "empty", "", false },
		{ "one too long", long_id, false },
		{ "space", "mx example", false },
		{ "semicolon", "mx;spf=pass", false },
		{ "at sign", "a@b", false },
		{ "slash", "a/b", false },
		{ "parentheses", "a(b)", false },
		{ "quoted", "\"mx\"", false },
		{ "CRLF", "mx\r\n", false },
		{ "tab", "mx\t", false },
		{ "8-bit", "caf\xc3\xa9", false },
		{ "equals", "a=b", false },
		{ "colon", "a:b", false },
		{ "brackets", "[::1]", false },
		{ "comma", "a,b", false },
		{ "backslash", "a\\b", false },
		{ "question mark", "a?b", false },
		{ "DEL", "a\x7f", false },
	};
	unsigned failed = 0;

	(void)state;
	memset(max_id, 'a', sizeof(max_id) - 1);
	memset(long_id, 'a', sizeof(long_id) - 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool got = ag_authres_valid_servid(cases[i].s);

		if (got != cases[i].want) {
			print_error("case %s: got %d, want %d\n",
				    cases[i].label, got, cases[i].want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_authres_build),
		cmocka_unit_test(test_authres_build_quotes_hostile_values),
		cmocka_unit_test(test_authres_long_values_are_cut),
		cmocka_unit_test(test_authres_too_long_is_elimit_and_unchanged),
		cmocka_unit_test(test_authres_new_refuses_bad_servid),
		cmocka_unit_test(test_authres_servid),
		cmocka_unit_test(test_authres_servid_rejects_malformed),
		cmocka_unit_test(test_authres_is_ours),
		cmocka_unit_test(test_authres_is_ours_past_limits),
		cmocka_unit_test(test_authres_valid_servid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
