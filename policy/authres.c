/*
 * policy/authres.c - build and read Authentication-Results fields
 */
#include "policy/authres.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct ag_authres {
	char text[AG_AUTHRES_MAX];
	size_t len;
	unsigned nres;
	char servid[AG_AUTHRES_SERVID_MAX];
};

/* authres_is_tspecial - RFC 2045 tspecials */
static bool
authres_is_tspecial(unsigned char c)
{
	return strchr("()<>@,;:\\\"/[]?=", c) != NULL && c != '\0';
}

/* authres_is_token_char - RFC 2045 token character */
static bool
authres_is_token_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && !authres_is_tspecial(c);
}

bool
ag_authres_valid_servid(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) >= AG_AUTHRES_SERVID_MAX)
		return false;
	for (; *s != '\0'; s++)
		if (!authres_is_token_char((unsigned char)*s))
			return false;
	return true;
}

int
ag_authres_new(struct ag_authres **ar_r, const char *servid)
{
	struct ag_authres *ar;

	if (!ag_authres_valid_servid(servid))
		return AG_EINVAL;
	if ((ar = calloc(1, sizeof(*ar))) == NULL)
		return AG_ENOMEM;
	snprintf(ar->servid, sizeof(ar->servid), "%s", servid);
	ar->len = (size_t)snprintf(ar->text, sizeof(ar->text), "%s", servid);
	*ar_r = ar;
	return AG_OK;
}

void
ag_authres_free(struct ag_authres **ar)
{
	if (ar == NULL || *ar == NULL)
		return;
	free(*ar);
	*ar = NULL;
}

/* authres_put - append bytes; AG_ELIMIT leaves the text unchanged */
static int
authres_put(char *dst, size_t *len, size_t size, const char *s, size_t n)
{
	if (*len + n + 1 > size)
		return AG_ELIMIT;
	memcpy(dst + *len, s, n);
	*len += n;
	dst[*len] = '\0';
	return AG_OK;
}

/*
 * authres_pvalue_plain - may v be written bare? RFC 8601 pvalue allows a
 * token or [local-part "@"] domain-name; we write bare only dot-atom
 * text, '@' and '-', and quote everything else
 */
static bool
authres_pvalue_plain(const char *v)
{
	const char *at = NULL;

	if (*v == '\0' || *v == '.' || *v == '@')
		return false;
	for (const char *p = v; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '@') {
			if (at != NULL)
				return false;	/* one '@' at most */
			at = p;
		} else if (!authres_is_token_char(c)) {
			return false;
		}
	}
	/* RFC 8601 allows "@domain" bare too; we quote it for laxer readers */
	return at == NULL || at[1] != '\0';
}

/* authres_put_pvalue - write v bare or as a quoted-string, control bytes
 * and 8-bit bytes replaced so the header cannot be split or smuggled */
static int
authres_put_pvalue(char *dst, size_t *len, size_t size, const char *v)
{
	char q[AG_AUTHRES_PVALUE_MAX * 2 + 3];
	size_t o = 0, i;

	if (authres_pvalue_plain(v) && strlen(v) <= AG_AUTHRES_PVALUE_MAX)
		return authres_put(dst, len, size, v, strlen(v));
	q[o++] = '"';
	for (i = 0; v[i] != '\0' && i < AG_AUTHRES_PVALUE_MAX; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c == '"' || c == '\\')
			q[o++] = '\\';
		q[o++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	q[o++] = '"';
	return authres_put(dst, len, size, q, o);
}

/* authres_put_comment - "(reason)" with parentheses and controls removed */
static int
authres_put_comment(char *dst, size_t *len, size_t size, const char *r)
{
	char c[AG_AUTHRES_PVALUE_MAX + 3];
	size_t o = 0;

	c[o++] = '(';
	for (size_t i = 0; r[i] != '\0' && i < AG_AUTHRES_PVALUE_MAX; i++) {
		unsigned char ch = (unsigned char)r[i];
		if (ch < 0x20 || ch >= 0x7f || ch == '(' || ch == ')' ||
		    ch == '\\')
			ch = ch == '\t' ? ' ' : '?';
		c[o++] = (char)ch;
	}
	c[o++] = ')';
	return authres_put(dst, len, size, c, o);
}

/* ag_authres_add - append one resinfo */
int
ag_authres_add(struct ag_authres *ar, const char *method, const char *result,
	       const char *reason, const struct ag_authres_prop *props,
	       unsigned nprops)
{
	char tmp[AG_AUTHRES_MAX];
	size_t len = ar->len;
	int rc;

	memcpy(tmp, ar->text, ar->len + 1);
	if ((rc = authres_put(tmp, &len, sizeof(tmp), ";\n\t", 3)) != AG_OK ||
	    (rc = authres_put(tmp, &len, sizeof(tmp), method,
			      strlen(method))) != AG_OK ||
	    (rc = authres_put(tmp, &len, sizeof(tmp), "=", 1)) != AG_OK ||
	    (rc = authres_put(tmp, &len, sizeof(tmp), result,
			      strlen(result))) != AG_OK)
		return rc;
	if (reason != NULL && *reason != '\0') {
		if ((rc = authres_put(tmp, &len, sizeof(tmp), " ", 1)) !=
			    AG_OK ||
		    (rc = authres_put_comment(tmp, &len, sizeof(tmp),
					      reason)) != AG_OK)
			return rc;
	}
	for (unsigned i = 0; i < nprops; i++) {
		if (props[i].value == NULL || props[i].value[0] == '\0')
			continue;
		if ((rc = authres_put(tmp, &len, sizeof(tmp), " ", 1)) !=
			    AG_OK ||
		    (rc = authres_put(tmp, &len, sizeof(tmp), props[i].name,
				      strlen(props[i].name))) != AG_OK ||
		    (rc = authres_put(tmp, &len, sizeof(tmp), "=", 1)) !=
			    AG_OK ||
		    (rc = authres_put_pvalue(tmp, &len, sizeof(tmp),
					     props[i].value)) != AG_OK)
			return rc;
	}
	memcpy(ar->text, tmp, len + 1);
	ar->len = len;
	ar->nres++;
	return AG_OK;
}

const char *
ag_authres_value(struct ag_authres *ar)
{
	static const char none_suffix[] = "; none";

	/* "; none" is written after the id without being counted, so a later
	 * add overwrites it; new() leaves room for it */
	if (ar->nres == 0)
		memcpy(ar->text + ar->len, none_suffix, sizeof(none_suffix));
	return ar->text;
}

#define AUTHRES_TOO_DEEP ((size_t)-1)

/* authres_skip_cfws - skip whitespace and nested comments; returns the
 * new position, len when a comment is unterminated, AUTHRES_TOO_DEEP past
 * AG_AUTHRES_COMMENT_DEPTH levels */
static size_t
authres_skip_cfws(const char *s, size_t i, size_t len)
{
	while (i < len) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
		    s[i] == '\n') {
			i++;
		} else if (s[i] == '(') {
			unsigned depth = 0;
			for (; i < len; i++) {
				if (s[i] == '\\' && i + 1 < len)
					i++;
				else if (s[i] == '(' &&
					 ++depth > AG_AUTHRES_COMMENT_DEPTH)
					return AUTHRES_TOO_DEEP;
				else if (s[i] == ')' && --depth == 0)
					break;
			}
			if (i >= len)
				return len;
			i++;
		} else {
			break;
		}
	}
	return i;
}

/* ag_authres_servid - read the authserv-id (token or quoted-string) */
int
ag_authres_servid(const char *value, size_t len, char *out, size_t outsize)
{
	char id[AG_AUTHRES_SERVID_MAX];
	size_t i, o = 0;

	/* read into id so out stays untouched unless an id is found */
	if (outsize > sizeof(id))
		outsize = sizeof(id);
	/* a NUL ends the field for every C reader downstream: read no
	 * further, or an id could hold a NUL and compare as another */
	len = strnlen(value, len);

	i = authres_skip_cfws(value, 0, len);
	if (i == AUTHRES_TOO_DEEP)
		return AG_EINVAL;
	if (i >= len)
		return 0;
	if (value[i] == '"') {
		for (i++; i < len && value[i] != '"'; i++) {
			if (value[i] == '\\' && i + 1 < len)
				i++;
			if (value[i] == '\r' || value[i] == '\n')
				continue;
			if (o + 1 >= outsize)
				return AG_ELIMIT;
			id[o++] = value[i];
		}
		if (i >= len)
			return 0;
	} else {
		for (; i < len && authres_is_token_char(
					  (unsigned char)value[i]);
		     i++) {
			if (o + 1 >= outsize)
				return AG_ELIMIT;
			id[o++] = value[i];
		}
	}
	if (o == 0)
		return 0;
	memcpy(out, id, o);
	out[o] = '\0';
	return 1;
}

bool
ag_authres_is_ours(const char *value, size_t len, const char *servid)
{
	char id[AG_AUTHRES_SERVID_MAX];
	int rc = ag_authres_servid(value, len, id, sizeof(id));

	/* a field whose authserv-id we cannot read within our limits could
	 * still read as ours to a laxer parser downstream: treat it as a
	 * forgery and remove it */
	if (rc == AG_EINVAL)
		return true;
	return rc == 1 && strcasecmp(id, servid) == 0;
}
