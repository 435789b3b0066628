/*
 * tests/fuzz/fuzz_arf.c - dmarc/arf: the reader of an ARF failure report
 * (RFC 5965 / RFC 6591 fields, folded, repeated) and of the reported
 * message's header. Input: the feedback part, then optionally a line
 * "--ORIGINAL--" followed by the reported message.
 * Checked beyond "no crash": a refused report leaves *arf_r NULL and says
 * why; an accepted one has a Feedback-Type, every string non-NULL and
 * within AG_ARF_FIELD_MAX, the repeated fields within AG_ARF_MAX_MULTI,
 * the lower-cased fields in lower case; parsing twice gives the same
 * values.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc/arf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEP "\n--ORIGINAL--\n"

/* arf_str - a value the report hands out */
static void
arf_str(const char *s, bool lower)
{
	size_t n;

	if (s == NULL || (n = strlen(s)) > AG_ARF_FIELD_MAX)
		abort();
	for (size_t i = 0; lower && i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			abort();
}

/* arf_same - two parses of one input agree */
static void
arf_same(const struct ag_arf *a, const struct ag_arf *b)
{
	if (strcmp(a->feedback_type, b->feedback_type) != 0 ||
	    strcmp(a->source_ip, b->source_ip) != 0 ||
	    strcmp(a->msg_from, b->msg_from) != 0 ||
	    a->nreported_domain != b->nreported_domain ||
	    a->nauth_results != b->nauth_results)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *fb = (const char *)data, *orig = NULL;
	const char *sep = memmem(data, size, SEP, sizeof(SEP) - 1);
	size_t flen = size, olen = 0;
	struct ag_arf *a = NULL, *b = NULL;
	struct ag_err err = { 0, "" };
	int ra, rb;

	if (sep != NULL) {
		flen = (size_t)(sep - fb);
		orig = sep + sizeof(SEP) - 1;
		olen = size - flen - (sizeof(SEP) - 1);
	}
	ra = ag_arf_parse(fb, flen, orig, olen, &a, &err);
	if (ra != AG_OK) {
		if (a != NULL || err.msg[0] == '\0')
			abort();
		return 0;
	}
	if (a == NULL)
		abort();
	arf_str(a->feedback_type, true);
	if (a->feedback_type[0] == '\0')
		abort();
	arf_str(a->auth_failure, true);
	arf_str(a->delivery_result, true);
	arf_str(a->identity_alignment, true);
	arf_str(a->source_ip, false);
	arf_str(a->user_agent, false);
	arf_str(a->msg_from, false);
	arf_str(a->msg_subject, false);
	arf_str(a->msg_id, false);
	if (a->nreported_domain > AG_ARF_MAX_MULTI ||
	    a->nauth_results > AG_ARF_MAX_MULTI)
		abort();
	for (unsigned i = 0; i < a->nreported_domain; i++)
		arf_str(a->reported_domain[i], false);
	for (unsigned i = 0; i < a->nauth_results; i++)
		arf_str(a->authentication_results[i], false);
	rb = ag_arf_parse(fb, flen, orig, olen, &b, &err);
	if (rb != AG_OK || b == NULL)
		abort();
	arf_same(a, b);
	ag_arf_free(a);
	ag_arf_free(b);
	return 0;
}
