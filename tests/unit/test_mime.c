/*
 * tests/unit/test_mime.c - policy/mime: part types, file names (quoted,
 * RFC 2231, RFC 2047), decoded text (QP, base64, charsets), nesting and
 * its limit, the part limit, a window cut mid-part, garbage input
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

#include "policy/mime.h"
#include "util/err.h"

struct mime_case {
	const char *label;
	const char *ct, *cte, *body;
	const char *want_text;		/* exact */
	const char *want_types;		/* "type,type" of the parts */
	const char *want_names;		/* "name|name" of attachments */
	bool want_truncated;
};

static const struct mime_case cases[] = {
	{ "no content-type", NULL, NULL, "Hello\r\n", "Hello\r\n",
	  "text/plain", "", false },
	{ "quoted-printable latin-1", "text/plain; charset=\"ISO-8859-1\"",
	  "quoted-printable", "Gr=FC=DFe, soft=\r\n break=3D\r\n",
	  "Grüße, soft break=\r\n", "text/plain", "", false },
	{ "base64 text", "text/plain; charset=utf-8", "base64",
	  "SGVsbG8g4oKs\r\n", "Hello €", "text/plain", "", false },
	{ "alternative", "multipart/alternative; boundary=b1", NULL,
	  "preamble\r\n--b1\r\nContent-Type: text/plain\r\n\r\nplain\r\n"
	  "--b1\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n"
	  "<p>html</p>\r\n--b1--\r\nepilogue\r\n",
	  "plain\n<p>html</p>", "text/plain,text/html", "", false },
	{ "mixed with attachment",
	  "multipart/mixed;\r\n\tboundary=\"=_x y\"", NULL,
	  "--=_x y\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
	  "--=_x y\r\nContent-Type: application/pdf; name=\"ignored.pdf\"\r\n"
	  "Content-Disposition: attachment;\r\n filename=\"Invoice 7.pdf\"\r\n"
	  "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--=_x y--\r\n",
	  "see attached", "text/plain,application/pdf", "Invoice 7.pdf",
	  false },
	{ "rfc 2231 charset name", "multipart/mixed; boundary=B", NULL,
	  "--B\r\nContent-Type: application/octet-stream\r\n"
	  "Content-Disposition: attachment; filename*=utf-8''%E2%82%AC.exe\r\n"
	  "\r\nMZ\r\n--B--\r\n",
	  "", "application/octet-stream", "€.exe", false },
	{ "rfc 2231 continuations", "multipart/mixed; boundary=B", NULL,
	  "--B\r\nContent-Type: application/zip\r\n"
	  "Content-Disposition: attachment; filename*0*=utf-8''a%20;\r\n"
	  " filename*1=\"long name\"; filename*2*=%2Ezip\r\n\r\nPK\r\n--B--\r\n",
	  "", "application/zip", "a long name.zip", false },
	{ "rfc 2047 name from content-type", "multipart/mixed; boundary=B",
	  NULL,
	  "--B\r\nContent-Type: application/x-msdownload;\r\n"
	  " name=\"=?UTF-8?B?c2V0dXAuZXhl?=\"\r\n\r\nMZ\r\n--B--\r\n",
	  "", "application/x-msdownload", "setup.exe", false },
	{ "inline text with name is an attachment",
	  "multipart/mixed; boundary=B", NULL,
	  "--B\r\nContent-Type: text/plain; name=notes.txt\r\n\r\nsecret\r\n"
	  "--B--\r\n",
	  "", "text/plain", "notes.txt", false },
	{ "nested", "multipart/mixed; boundary=outer", NULL,
	  "--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n"
	  "\r\n--inner\r\nContent-Type: text/plain\r\n\r\ndeep\r\n--inner--\r\n"
	  "--outer\r\nContent-Type: image/png\r\nContent-Disposition: inline\r\n"
	  "\r\niVBO\r\n--outer--\r\n",
	  "deep", "text/plain,image/png", "", false },
	{ "window cut mid-part", "multipart/mixed; boundary=B", NULL,
	  "--B\r\nContent-Type: text/plain\r\n\r\nfirst\r\n--B\r\n"
	  "Content-Type: text/plain\r\n\r\nsecond is cut he",
	  "first\nsecond is cut he", "text/plain,text/plain", "", true },
	{ "missing boundary parameter", "multipart/mixed", NULL,
	  "--B\r\n\r\nx\r\n--B--\r\n", "", "multipart/mixed", "", false },
	{ "upper-case type lowered", "TEXT/PLAIN; CHARSET=UTF-8", NULL, "x",
	  "x", "text/plain", "", false },
	{ "message/rfc822 is one leaf", "multipart/mixed; boundary=B", NULL,
	  "--B\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\n"
	  "body\r\n--B--\r\n",
	  "", "message/rfc822", "", false },
};

static void
joined_types(const struct ag_mime_result *r, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < r->nparts; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? "," : "",
				      r->part[i].type);
}

static void
joined_names(const struct ag_mime_result *r, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < r->nparts; i++)
		if (r->part[i].attachment)
			o += (size_t)snprintf(buf + o, size - o, "%s%s",
					      o ? "|" : "", r->part[i].name);
}

static void
test_table(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct mime_case *c = &cases[i];
		struct ag_mime_result r;
		char types[512], names[512];

		assert_int_equal(ag_mime_scan(c->ct, c->cte,
					      (const unsigned char *)c->body,
					      strlen(c->body), 65536, &r),
				 AG_OK);
		joined_types(&r, types, sizeof(types));
		joined_names(&r, names, sizeof(names));
		if (strcmp(r.text, c->want_text) != 0 ||
		    strcmp(types, c->want_types) != 0 ||
		    strcmp(names, c->want_names) != 0 ||
		    r.truncated != c->want_truncated) {
			printf("case %s: got text \"%s\" types %s names %s "
			       "truncated %d, want \"%s\" %s %s %d\n",
			       c->label, r.text, types, names, r.truncated,
			       c->want_text, c->want_types, c->want_names,
			       c->want_truncated);
			failed++;
		}
		ag_mime_result_free(&r);
	}
	assert_int_equal(failed, 0);
}

/* more parts than described: counted, truncated; deeper than the limit:
 * not followed; text bounded by text_max */
static void
test_limits(void **state)
{
	static char body[200000];
	struct ag_mime_result r;
	size_t o = 0;

	(void)state;
	for (int i = 0; i < 100; i++)
		o += (size_t)snprintf(body + o, sizeof(body) - o,
				      "--B\r\nContent-Type: text/plain\r\n\r\n"
				      "part %d\r\n", i);
	o += (size_t)snprintf(body + o, sizeof(body) - o, "--B--\r\n");
	assert_int_equal(ag_mime_scan("multipart/mixed; boundary=B", NULL,
				      (unsigned char *)body, o, 64, &r),
			 AG_OK);
	assert_int_equal(r.nparts, AG_MIME_MAX_PARTS);
	assert_int_equal(r.nparts_total, 100);
	assert_true(r.truncated);
	assert_true(r.text_len <= 64);
	ag_mime_result_free(&r);

	/* 12 levels of multipart: the 9th and deeper are not followed */
	o = 0;
	for (int d = 0; d < 12; d++)
		o += (size_t)snprintf(body + o, sizeof(body) - o,
				      "--b%d\r\nContent-Type: multipart/mixed; "
				      "boundary=b%d\r\n\r\n", d, d + 1);
	o += (size_t)snprintf(body + o, sizeof(body) - o,
			      "--b12\r\nContent-Type: text/plain\r\n\r\n"
			      "bottom\r\n");
	assert_int_equal(ag_mime_scan("multipart/mixed; boundary=b0", NULL,
				      (unsigned char *)body, o, 1000, &r),
			 AG_OK);
	assert_int_equal(r.nparts, 0);
	assert_true(r.truncated);
	ag_mime_result_free(&r);
}

/* random bytes and random MIME-ish fragments never crash or overrun */
static void
test_garbage(void **state)
{
	static const char *frag[] = {
		"--B\r\n", "Content-Type: multipart/mixed; boundary=B\r\n",
		"\r\n", "=", "=4", "Content-Disposition: attachment; filename*0*=",
		"%", "'", "\"", ";", "text/plain", "base64", "\n", "--B--",
		"QUJD", "\xff\xfe",
	};
	static unsigned char body[8192];
	struct ag_mime_result r;

	(void)state;
	srand(11);
	for (int round = 0; round < 400; round++) {
		size_t o = 0;

		while (o + 64 < sizeof(body) && rand() % 200 != 0) {
			const char *f = frag[rand() % 16];
			size_t n = strlen(f);

			memcpy(body + o, f, n);
			o += n;
		}
		assert_int_equal(ag_mime_scan(round % 2 ? "multipart/mixed; "
							  "boundary=B"
							: "text/plain",
					      round % 3 ? "base64"
							: "quoted-printable",
					      body, o, 4096, &r),
				 AG_OK);
		assert_true(r.text_len <= 4096);
		assert_int_equal(strlen(r.text), r.text_len);
		ag_mime_result_free(&r);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
