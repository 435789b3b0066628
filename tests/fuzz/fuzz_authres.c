/*
 * tests/fuzz/fuzz_authres.c - policy/authres: reading the authserv-id of
 * an Authentication-Results field (to remove forged ones carrying ours),
 * and writing attacker text as property values and reasons into ours.
 * Input: a field body; the same bytes, cut at the first NUL, also serve
 * as a property value and a reason.
 * Checked beyond "no crash": the servid answer is 1, 0, AG_ELIMIT or
 * AG_EINVAL and a found id is NUL-terminated in the buffer and non-empty;
 * is_ours agrees with it (case-insensitively), is true when comments
 * hide the id (AG_EINVAL) and false for an id too long to be ours; a field we build around the attacker's text stays
 * within AG_AUTHRES_MAX and reads back with our own authserv-id, so the
 * text can never smuggle in another id.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy/authres.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OURS "mx.example.org"

/* ar_read - the reading side */
static void
ar_read(const char *v, size_t n)
{
	char id[AG_AUTHRES_SERVID_MAX], id2[AG_AUTHRES_SERVID_MAX];
	int rc = ag_authres_servid(v, n, id, sizeof(id));

	if (rc != 1 && rc != 0 && rc != AG_ELIMIT && rc != AG_EINVAL)
		abort();
	if (ag_authres_servid(v, n, id2, sizeof(id2)) != rc)
		abort();
	if (rc == 1) {
		size_t len = strnlen(id, sizeof(id));

		if (len == sizeof(id) || len == 0 || strcmp(id, id2) != 0)
			abort();
		if (ag_authres_is_ours(v, n, id) != true)
			abort();
		if (strcasecmp(id, OURS) != 0 && ag_authres_is_ours(v, n, OURS))
			abort();
	} else if (rc == AG_EINVAL && !ag_authres_is_ours(v, n, OURS)) {
		abort();	/* unreadable: removed rather than trusted */
	} else if (rc == AG_ELIMIT && ag_authres_is_ours(v, n, OURS)) {
		abort();	/* longer than any id of ours */
	}
}

/* ar_write - the writing side, attacker text as value and reason */
static void
ar_write(const char *text)
{
	struct ag_authres *ar = NULL;
	struct ag_authres_prop props[2] = {
		{ "smtp.mailfrom", text }, { "header.d", text }
	};
	const char *v;
	char id[AG_AUTHRES_SERVID_MAX];
	int rc;

	if (ag_authres_new(&ar, OURS) != AG_OK)
		abort();
	rc = ag_authres_add(ar, "spf", "pass", text, props, 2);
	if (rc != AG_OK && rc != AG_ELIMIT)
		abort();
	rc = ag_authres_add(ar, "dkim", "fail", NULL, props + 1, 1);
	if (rc != AG_OK && rc != AG_ELIMIT)
		abort();
	v = ag_authres_value(ar);
	if (v == NULL || strlen(v) > AG_AUTHRES_MAX)
		abort();
	if (ag_authres_servid(v, strlen(v), id, sizeof(id)) != 1 ||
	    strcmp(id, OURS) != 0)
		abort();
	ag_authres_free(&ar);
	if (ar != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *v = malloc(size + 1);

	if (v == NULL)
		return 0;
	memcpy(v, data, size);
	v[size] = '\0';
	ar_read(v, size);
	ar_write(v);
	free(v);
	return 0;
}
