/*
 * tests/fuzz/fuzz_dmarc_record.c - dmarc/record: the parser of a DMARC
 * TXT record (attacker-controlled DNS data). Input: the record text.
 * Checked beyond "no crash": a record that parses has a policy the
 * parser itself names, and parsing the same text twice gives the same
 * answer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ag_dmarc_record a, b;
	struct ag_err err = {0, ""};
	int ra, rb;

	ra = ag_dmarc_record_parse((const char *)data, size, &a, &err);
	rb = ag_dmarc_record_parse((const char *)data, size, &b, &err);
	if (ra != rb)
		abort();
	if (ra == AG_OK && ag_dmarc_policy_name(a.p) == NULL)
		abort();
	return 0;
}
