/*
 * dmarc/record.c - parse a DMARC policy record
 *
 * One pass over "tag=value;" pairs. The record is cut into at most
 * AG_DMARC_MAX_TAGS pieces; each piece is trimmed, split at its first '=',
 * and handed to the setter for its tag. Validity of p=/sp=/np= is decided
 * at the end, when rua= is known (RFC 7489 6.6.3 step 6).
 */
#include "dmarc/record.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* what the pieces said about the tags decided at the end */
struct parse_state {
	bool p_seen, p_bad, sp_bad, np_bad;
};

static const char *const policy_names[] = {
	[AG_DMARC_P_UNSET] = "",
	[AG_DMARC_P_NONE] = "none",
	[AG_DMARC_P_QUARANTINE] = "quarantine",
	[AG_DMARC_P_REJECT] = "reject",
};

const char *
ag_dmarc_policy_name(enum ag_dmarc_policy p)
{
	if ((unsigned)p >= sizeof(policy_names) / sizeof(policy_names[0]))
		return "";
	return policy_names[p];
}

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* policy_value - "none" / "quarantine" / "reject", any case */
static enum ag_dmarc_policy
policy_value(const char *v)
{
	if (strcasecmp(v, "none") == 0)
		return AG_DMARC_P_NONE;
	if (strcasecmp(v, "quarantine") == 0)
		return AG_DMARC_P_QUARANTINE;
	if (strcasecmp(v, "reject") == 0)
		return AG_DMARC_P_REJECT;
	return AG_DMARC_P_UNSET;
}

/* one_char - a one-letter keyword from set (case-insensitive); -1 if not */
static int
one_char(const char *v, const char *set)
{
	const char *p;

	if (v[0] == '\0' || v[1] != '\0')
		return -1;
	p = strchr(set, tolower((unsigned char)v[0]));
	return p != NULL ? (int)(p - set) : -1;
}

/* uint_value - decimal digits only, at most max */
static bool
uint_value(const char *v, unsigned long long max, unsigned long long *out)
{
	unsigned long long n = 0;

	if (v[0] == '\0' || strlen(v) > 20)
		return false;
	for (const char *p = v; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p))
			return false;
		n = n * 10 + (unsigned)(*p - '0');
		if (n > max)
			return false;
	}
	*out = n;
	return true;
}

/* fo_value - colon-separated 0, 1, d, s */
static bool
fo_value(const char *v, unsigned *bits)
{
	static const unsigned map[] = { AG_DMARC_FO_0, AG_DMARC_FO_1,
					 AG_DMARC_FO_D, AG_DMARC_FO_S };
	unsigned b = 0;
	const char *p = v;

	if (*p == '\0')
		return false;
	for (;;) {
		int k;
		char one[2];

		while (is_wsp(*p))
			p++;
		if (*p == '\0')
			return false;
		one[0] = *p++;
		one[1] = '\0';
		if ((k = one_char(one, "01ds")) < 0)
			return false;
		b |= map[k];
		while (is_wsp(*p))
			p++;
		if (*p == '\0')
			break;
		if (*p++ != ':')
			return false;
	}
	*bits = b;
	return true;
}

/* rf_value - colon-separated afrf / iodef */
static bool
rf_value(const char *v, bool *afrf, bool *iodef)
{
	char buf[64];
	char *save = NULL;
	bool a = false, i = false, any = false;

	if (strlen(v) >= sizeof(buf))
		return false;
	memcpy(buf, v, strlen(v) + 1);
	for (char *t = strtok_r(buf, ":", &save); t != NULL;
	     t = strtok_r(NULL, ":", &save)) {
		while (is_wsp(*t))
			t++;
		for (size_t n = strlen(t); n > 0 && is_wsp(t[n - 1]); n--)
			t[n - 1] = '\0';
		if (strcasecmp(t, "afrf") == 0)
			a = true;
		else if (strcasecmp(t, "iodef") == 0)
			i = true;
		else
			return false;
		any = true;
	}
	if (!any)
		return false;
	*afrf = a;
	*iodef = i;
	return true;
}

/* uri_one - one "scheme:rest[!size[kmgt]]"; mailto, http and https
 * (RFC 7489 6.2 names mailto; the tests of other implementations take
 * http(s) as well) */
static bool
uri_one(const char *s, size_t n, struct ag_dmarc_uri *out)
{
	const char *bang = NULL, *colon;
	size_t ulen;
	uint64_t size = 0;

	while (n > 0 && is_wsp(*s)) {
		s++;
		n--;
	}
	while (n > 0 && is_wsp(s[n - 1]))
		n--;
	for (size_t i = n; i > 0; i--) {
		if (s[i - 1] == '!') {
			bang = s + i - 1;
			break;
		}
	}
	ulen = bang != NULL ? (size_t)(bang - s) : n;
	if (ulen == 0 || ulen >= AG_DMARC_URI_MAX)
		return false;
	colon = memchr(s, ':', ulen);
	if (colon == NULL || colon + 1 >= s + ulen)
		return false;
	if (!((colon - s == 6 && strncasecmp(s, "mailto", 6) == 0) ||
	      (colon - s == 4 && strncasecmp(s, "http", 4) == 0) ||
	      (colon - s == 5 && strncasecmp(s, "https", 5) == 0)))
		return false;
	for (size_t i = 0; i < ulen; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return false;
	if (bang != NULL) {
		const char *p = bang + 1, *end = s + n;
		uint64_t mult = 1;

		if (p >= end || !isdigit((unsigned char)*p))
			return false;
		while (p < end && isdigit((unsigned char)*p)) {
			if (size > UINT64_MAX / 10 - 10)
				return false;
			size = size * 10 + (uint64_t)(*p++ - '0');
		}
		if (p < end) {
			switch (tolower((unsigned char)*p++)) {
			case 'k': mult = 1ULL << 10; break;
			case 'm': mult = 1ULL << 20; break;
			case 'g': mult = 1ULL << 30; break;
			case 't': mult = 1ULL << 40; break;
			default: return false;
			}
		}
		if (p != end || size > UINT64_MAX / mult)
			return false;
		size *= mult;
	}
	if (out != NULL) {
		memcpy(out->uri, s, ulen);
		out->uri[ulen] = '\0';
		out->max_size = size;
	}
	return true;
}

/* uri_list - comma-separated URIs; keeps the valid ones (at most
 * AG_DMARC_MAX_URIS); true when every one was valid */
static bool
uri_list(const char *v, struct ag_dmarc_uri *uris, unsigned *n_r)
{
	bool all = true;
	unsigned n = 0;
	const char *p = v;

	if (*v == '\0')
		return false;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		struct ag_dmarc_uri tmp;

		if (uri_one(p, len, &tmp)) {
			if (uris != NULL && n < AG_DMARC_MAX_URIS)
				uris[n] = tmp;
			if (n < AG_DMARC_MAX_URIS)
				n++;
		} else {
			all = false;
		}
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	if (n_r != NULL)
		*n_r = n;
	return all;
}

bool
ag_dmarc_tag_value_valid(const char *tag, const char *v)
{
	unsigned long long n;
	unsigned bits;
	bool a, i;

	if (strcasecmp(tag, "v") == 0)
		return strcmp(v, "DMARC1") == 0;
	if (strcasecmp(tag, "p") == 0 || strcasecmp(tag, "sp") == 0 ||
	    strcasecmp(tag, "np") == 0)
		return policy_value(v) != AG_DMARC_P_UNSET;
	if (strcasecmp(tag, "psd") == 0)
		return one_char(v, "ynu") >= 0;
	if (strcasecmp(tag, "t") == 0)
		return one_char(v, "yn") >= 0;
	if (strcasecmp(tag, "adkim") == 0 || strcasecmp(tag, "aspf") == 0)
		return one_char(v, "rs") >= 0;
	if (strcasecmp(tag, "fo") == 0)
		return fo_value(v, &bits);
	if (strcasecmp(tag, "rua") == 0 || strcasecmp(tag, "ruf") == 0)
		return uri_list(v, NULL, NULL);
	if (strcasecmp(tag, "rf") == 0)
		return rf_value(v, &a, &i);
	if (strcasecmp(tag, "ri") == 0)
		return uint_value(v, 4294967295ULL, &n);
	if (strcasecmp(tag, "pct") == 0)
		return uint_value(v, 100, &n);
	return false;
}

/* set_tag - apply one known tag; unknown tags and bad values count as
 * ignored */
static void
set_tag(struct ag_dmarc_record *rec, struct parse_state *st,
	const char *tag, const char *v)
{
	unsigned long long n;
	int k;

	if (strcasecmp(tag, "p") == 0) {
		st->p_seen = true;
		if ((rec->p = policy_value(v)) == AG_DMARC_P_UNSET)
			st->p_bad = true;
	} else if (strcasecmp(tag, "sp") == 0) {
		if ((rec->sp = policy_value(v)) == AG_DMARC_P_UNSET)
			st->sp_bad = true;
	} else if (strcasecmp(tag, "np") == 0) {
		if ((rec->np = policy_value(v)) == AG_DMARC_P_UNSET)
			st->np_bad = true;
	} else if (strcasecmp(tag, "pct") == 0 && uint_value(v, 100, &n)) {
		rec->pct = (unsigned)n;
	} else if (strcasecmp(tag, "adkim") == 0 &&
		   (k = one_char(v, "rs")) >= 0) {
		rec->adkim = k ? AG_DMARC_ALIGN_STRICT : AG_DMARC_ALIGN_RELAXED;
	} else if (strcasecmp(tag, "aspf") == 0 &&
		   (k = one_char(v, "rs")) >= 0) {
		rec->aspf = k ? AG_DMARC_ALIGN_STRICT : AG_DMARC_ALIGN_RELAXED;
	} else if (strcasecmp(tag, "fo") == 0 && fo_value(v, &rec->fo)) {
		;
	} else if (strcasecmp(tag, "ri") == 0 &&
		   uint_value(v, 4294967295ULL, &n)) {
		rec->ri = (uint32_t)n;
	} else if (strcasecmp(tag, "rf") == 0 &&
		   rf_value(v, &rec->rf_afrf, &rec->rf_iodef)) {
		;
	} else if (strcasecmp(tag, "t") == 0 && (k = one_char(v, "yn")) >= 0) {
		rec->testing = k == 0;
	} else if (strcasecmp(tag, "psd") == 0 &&
		   (k = one_char(v, "ynu")) >= 0) {
		rec->psd = k == 0 ? AG_DMARC_PSD_Y
			 : k == 1 ? AG_DMARC_PSD_N
				  : AG_DMARC_PSD_U;
	} else if (strcasecmp(tag, "rua") == 0) {
		if (!uri_list(v, rec->rua, &rec->n_rua))
			rec->ignored++;
	} else if (strcasecmp(tag, "ruf") == 0) {
		if (!uri_list(v, rec->ruf, &rec->n_ruf))
			rec->ignored++;
	} else {
		rec->ignored++;
	}
}

/* trim - strip WSP at both ends of [*s, *s + *n) */
static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && is_wsp(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && is_wsp((*s)[*n - 1]))
		(*n)--;
}

int
ag_dmarc_record_parse(const char *txt, size_t len,
		      struct ag_dmarc_record *rec, struct ag_err *err)
{
	struct parse_state st = { false, false, false, false };
	const char *p = txt, *end = txt + len;
	unsigned ntags = 0;
	bool first = true;

	memset(rec, 0, sizeof(*rec));
	rec->pct = 100;
	rec->fo = AG_DMARC_FO_0;
	rec->ri = 86400;
	rec->rf_afrf = true;
	if (txt == NULL)
		return ag_err_set(err, AG_EINVAL, "no record");
	if (len > AG_DMARC_RECORD_MAX)
		return ag_err_set(err, AG_EINVAL, "record longer than %d bytes",
				  AG_DMARC_RECORD_MAX);
	if (memchr(txt, '\0', len) != NULL)
		return ag_err_set(err, AG_EINVAL, "record contains a NUL byte");
	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		const char *piece = p, *eq;
		size_t plen = semi != NULL ? (size_t)(semi - p)
					   : (size_t)(end - p);
		char tag[16], val[AG_DMARC_RECORD_MAX + 1];
		const char *t, *v;
		size_t tlen, vlen;

		p = semi != NULL ? semi + 1 : end;
		trim(&piece, &plen);
		if (plen == 0) {
			if (first)
				return ag_err_set(err, AG_EINVAL,
						  "does not start with v=DMARC1");
			continue;		/* ";;" */
		}
		if (++ntags > AG_DMARC_MAX_TAGS)
			return ag_err_set(err, AG_EINVAL, "more than %d tags",
					  AG_DMARC_MAX_TAGS);
		eq = memchr(piece, '=', plen);
		t = piece;
		tlen = eq != NULL ? (size_t)(eq - piece) : plen;
		trim(&t, &tlen);
		v = eq != NULL ? eq + 1 : piece + plen;
		vlen = eq != NULL ? plen - (size_t)(v - piece) : 0;
		trim(&v, &vlen);
		if (first) {
			first = false;
			if (eq == NULL || tlen != 1 || t[0] != 'v' ||
			    vlen != 6 || memcmp(v, "DMARC1", 6) != 0)
				return ag_err_set(err, AG_EINVAL,
						  "does not start with v=DMARC1");
			continue;
		}
		if (eq == NULL || tlen == 0 || tlen >= sizeof(tag)) {
			rec->ignored++;		/* "fo:0", "sp-none", "0" */
			continue;
		}
		memcpy(tag, t, tlen);
		tag[tlen] = '\0';
		memcpy(val, v, vlen);
		val[vlen] = '\0';
		if (vlen == 0) {
			rec->ignored++;		/* "pct=" */
			continue;
		}
		set_tag(rec, &st, tag, val);
	}
	if (first)
		return ag_err_set(err, AG_EINVAL, "empty record");

	/* RFC 7489 6.6.3 step 6, DMARCbis 4.7 (psd=y needs no p=) */
	if (!st.p_seen && !st.p_bad && rec->psd == AG_DMARC_PSD_Y) {
		rec->p = AG_DMARC_P_NONE;
		rec->p_implied = true;
	}
	if (!st.p_seen || st.p_bad || st.sp_bad || st.np_bad) {
		if (rec->p != AG_DMARC_P_UNSET && !st.p_bad && !st.sp_bad &&
		    !st.np_bad)
			return AG_OK;
		if (rec->n_rua == 0)
			return ag_err_set(err, AG_EINVAL, "%s",
					  !st.p_seen  ? "no p= tag"
					  : st.p_bad  ? "invalid p= value"
					  : st.sp_bad ? "invalid sp= value"
						      : "invalid np= value");
		rec->p = AG_DMARC_P_NONE;
		rec->p_implied = true;
		if (st.sp_bad)
			rec->sp = AG_DMARC_P_UNSET;
		if (st.np_bad)
			rec->np = AG_DMARC_P_UNSET;
	}
	return AG_OK;
}

enum ag_dmarc_policy
ag_dmarc_record_policy_for(const struct ag_dmarc_record *rec, bool subdomain,
			   bool nonexistent)
{
	if (!subdomain)
		return rec->p;
	if (nonexistent && rec->np != AG_DMARC_P_UNSET)
		return rec->np;
	if (rec->sp != AG_DMARC_P_UNSET)
		return rec->sp;
	return rec->p;
}
