/*
 * tests/fuzz/fuzz_dkim_keyrecord.c - dkim/keyrecord: the rewrite of a
 * DKIM key record's RSA p= from PKCS#1 to SubjectPublicKeyInfo before
 * libopendkim reads it (attacker-controlled DNS data). Input: the TXT
 * data of the record.
 * Checked beyond "no crash": the answer is 1, 0, AG_ELIMIT (only for
 * records over AG_DKIM_KEYREC_MAX or output that does not fit),
 * AG_ENOMEM or AG_EINTERNAL; on anything but 1 the output buffer is
 * untouched; a rewrite fits the buffer, is deterministic, and rewriting
 * it again gives 0 (a SubjectPublicKeyInfo needs no rewrite).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dkim/keyrecord.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define GUARD 0xa5

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char out[AG_DKIM_KEYREC_OUT_MAX];
	static unsigned char out2[AG_DKIM_KEYREC_OUT_MAX];
	size_t n = 0, n2 = 0;
	int rc, rc2;

	memset(out, GUARD, sizeof(out));
	rc = ag_dkim_keyrecord_fix(data, size, out, sizeof(out), &n);
	if (rc != 1 && rc != 0 && rc != AG_ELIMIT && rc != AG_ENOMEM &&
	    rc != AG_EINTERNAL)
		abort();
	if (rc == AG_ELIMIT && size <= AG_DKIM_KEYREC_MAX)
		abort();	/* the output room is made for any record */
	if (rc != 1) {
		for (size_t i = 0; i < sizeof(out); i++)
			if (out[i] != GUARD)
				abort();
		return 0;
	}
	if (n == 0 || n > sizeof(out))
		abort();
	rc2 = ag_dkim_keyrecord_fix(data, size, out2, sizeof(out2), &n2);
	if (rc2 != 1 || n2 != n || memcmp(out, out2, n) != 0)
		abort();
	rc2 = ag_dkim_keyrecord_fix(out, n, out2, sizeof(out2), &n2);
	if (rc2 != 0 && rc2 != AG_ELIMIT)
		abort();
	if (rc2 == AG_ELIMIT && n <= AG_DKIM_KEYREC_MAX)
		abort();
	return 0;
}
