/*
 * tests/fuzz/fuzz_report_unpack.c - report/unpack: finding DMARC reports
 * in what authgate-report ingest is handed (raw XML, gzip, zip, MIME
 * messages with attachments, ARF failure reports, mbox), by content.
 * Input: the bytes of one file (ag_unpack_buffer()).
 * Checked beyond "no crash": the answer is the number of reports the
 * callback saw (or AG_ENOMEM); every report handed over is readable to
 * its last byte (ASan checks), within AG_UNPACK_FILE_MAX, with an
 * origin; an aggregate report has data; a failure report's original is
 * there whenever it has a length; the same bytes give the same counts
 * twice. Aggregate data is then fed to the XML reader and
 * failure reports to the ARF reader, as ingest does.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc/arf.h"
#include "dmarc/feedback.h"
#include "report/unpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	int reports;
	int refused;
	unsigned sum;
};

/* touch - read every byte of p[0..n) */
static unsigned
touch(const char *p, size_t n)
{
	unsigned s = 0;

	for (size_t i = 0; i < n; i++)
		s += (unsigned char)p[i];
	return s;
}

/* on_report - one report found */
static int
on_report(void *arg, const struct ag_unpacked *u)
{
	struct seen *sn = arg;
	struct ag_err err = { 0, "" };

	if (u->origin == NULL || u->len > AG_UNPACK_FILE_MAX ||
	    (u->data == NULL && u->len > 0) ||
	    (u->original == NULL && u->olen > 0))
		abort();
	sn->sum += touch(u->data, u->len) + touch(u->origin,
						  strlen(u->origin));
	if (u->kind == AG_UNPACK_AGGREGATE) {
		struct ag_feedback *fb = NULL;

		if (u->data == NULL)
			abort();
		if (ag_feedback_parse(u->data, u->len, &fb, &err) == AG_OK)
			ag_feedback_free(fb);
	} else if (u->kind == AG_UNPACK_FAILURE) {
		struct ag_arf *arf = NULL;

		sn->sum += touch(u->original, u->olen);
		if (ag_arf_parse(u->data, u->len, u->original, u->olen, &arf,
				 &err) == AG_OK)
			ag_arf_free(arf);
	} else {
		abort();
	}
	sn->reports++;
	return 0;
}

/* on_refused - one input refused */
static void
on_refused(void *arg, const char *origin, const char *why)
{
	struct seen *sn = arg;

	if (origin == NULL || why == NULL || why[0] == '\0')
		abort();
	sn->refused++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen a = { 0, 0, 0 }, b = { 0, 0, 0 };
	int ra, rb;

	ra = ag_unpack_buffer("fuzz", data, size, on_report, on_refused, &a);
	if (ra == AG_ENOMEM)
		return 0;
	if (ra != a.reports)
		abort();
	rb = ag_unpack_buffer("fuzz", data, size, on_report, on_refused, &b);
	if (rb != ra || b.refused != a.refused)
		abort();
	return 0;
}
