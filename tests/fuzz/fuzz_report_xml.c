/*
 * tests/fuzz/fuzz_report_xml.c - dmarc/feedback_parse: the DMARC
 * aggregate report reader (XML others send us, parsed with libxml2).
 * Input: the XML document.
 * Checked beyond "no crash": parsing twice gives the same answer; a
 * refused document leaves *fb_r NULL and says why; an accepted one
 * keeps its limits (records, results per record, errors) and every
 * string is non-NULL; the total count is the sum of the records'
 * counts; and it round-trips: written by ag_feedback_write() in both
 * formats and parsed again, it gives the same report id, domain, number
 * of records and total count.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc/feedback.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fb_check - the limits and non-NULL strings of an accepted report */
static void
fb_check(const struct ag_feedback *fb)
{
	uint64_t total = 0;

	if (fb->nrec == 0 || fb->nrec > AG_FB_MAX_RECORDS ||
	    fb->nerror > AG_FB_MAX_ERRORS || fb->report_id == NULL ||
	    fb->domain == NULL || fb->org_name == NULL || fb->p == NULL)
		abort();
	for (size_t i = 0; i < fb->nrec; i++) {
		const struct ag_fb_record *r = &fb->rec[i];

		if (r->ndkim > AG_FB_MAX_AUTH || r->nspf > AG_FB_MAX_AUTH ||
		    r->nreason > AG_FB_MAX_REASONS || r->source_ip == NULL ||
		    r->header_from == NULL || r->disposition == NULL)
			abort();
		for (unsigned k = 0; k < r->ndkim; k++)
			if (r->dkim_res[k].domain == NULL ||
			    r->dkim_res[k].result == NULL)
				abort();
		total += r->count;
	}
	if (total != fb->total_count)
		abort();
}

/* fb_round - write fb in format fmt, parse it back, compare */
static void
fb_round(const struct ag_feedback *fb, enum ag_fb_format fmt)
{
	struct ag_feedback *back = NULL;
	struct ag_err err = { 0, "" };
	char *xml = NULL;
	size_t len = 0;

	if (ag_feedback_write(fb, fmt, &xml, &len, &err) != AG_OK)
		abort();	/* it has records and a domain */
	if (ag_feedback_parse(xml, len, &back, &err) != AG_OK)
		abort();
	if (strcmp(back->report_id, fb->report_id) != 0 ||
	    strcmp(back->domain, fb->domain) != 0 ||
	    back->nrec != fb->nrec || back->total_count != fb->total_count)
		abort();
	ag_feedback_free(back);
	free(xml);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ag_feedback *a = NULL, *b = NULL;
	struct ag_err ea = { 0, "" }, eb = { 0, "" };
	int ra, rb;

	ra = ag_feedback_parse((const char *)data, size, &a, &ea);
	rb = ag_feedback_parse((const char *)data, size, &b, &eb);
	if (ra != rb || strcmp(ea.msg, eb.msg) != 0)
		abort();
	if (ra != AG_OK) {
		if (a != NULL || ea.msg[0] == '\0')
			abort();
		return 0;
	}
	if (a == NULL || b == NULL || a->nrec != b->nrec)
		abort();
	fb_check(a);
	fb_round(a, AG_FB_RFC7489);
	fb_round(a, AG_FB_DMARCBIS);
	ag_feedback_free(a);
	ag_feedback_free(b);
	return 0;
}
