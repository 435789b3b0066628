/*
 * policy/mime.c - walk the MIME structure of a body window (RFC 2045,
 * 2046, 2183, 2231): part types, file names, decoded text
 *
 * The window may end anywhere (mid-line, mid-base64): a part without its
 * closing boundary runs to the end of the window and the result says
 * truncated. Recursion is bounded by AG_MIME_MAX_DEPTH.
 */
#include "policy/mime.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy/rfc2047.h"
#include "util/err.h"

#define PARAM_MAX 16
#define PARAM_LEN 512

struct param {
	char name[64];		/* lower case, without RFC 2231 section */
	int section;		/* -1: none; n for name*n */
	bool extended;		/* name*= or name*n*= */
	char value[PARAM_LEN];
};

struct ctype {
	char type[128];
	struct param p[PARAM_MAX];
	unsigned np;
};

struct scan {
	struct ag_mime_result *r;
	size_t text_max;
	size_t text_cap;
	int error;
};

/* parse_ctype - "type/subtype; a=b; c=\"d\"" (comments skipped) */
static void
parse_ctype(const char *v, struct ctype *ct)
{
	size_t o = 0;

	memset(ct, 0, sizeof(*ct));
	if (v == NULL)
		return;
	while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
		v++;
	while (*v != '\0' && *v != ';' && !isspace((unsigned char)*v) &&
	       *v != '(' && o + 1 < sizeof(ct->type))
		ct->type[o++] = (char)tolower((unsigned char)*v++);
	ct->type[o] = '\0';
	while (*v != '\0') {
		struct param *p;
		char *star;
		size_t n = 0;

		v = strchr(v, ';');
		if (v == NULL)
			break;
		v++;
		while (isspace((unsigned char)*v))
			v++;
		if (ct->np >= PARAM_MAX)
			break;
		p = &ct->p[ct->np];
		memset(p, 0, sizeof(*p));
		while (*v != '\0' && *v != '=' && *v != ';' &&
		       !isspace((unsigned char)*v) && n + 1 < sizeof(p->name))
			p->name[n++] = (char)tolower((unsigned char)*v++);
		while (isspace((unsigned char)*v))
			v++;
		if (*v != '=')
			continue;
		v++;
		while (isspace((unsigned char)*v))
			v++;
		n = 0;
		if (*v == '"') {
			for (v++; *v != '\0' && *v != '"'; v++) {
				if (*v == '\\' && v[1] != '\0')
					v++;
				if (*v == '\r' || *v == '\n')
					continue;
				if (n + 1 < sizeof(p->value))
					p->value[n++] = *v;
			}
			if (*v == '"')
				v++;
		} else {
			while (*v != '\0' && *v != ';' &&
			       !isspace((unsigned char)*v)) {
				if (n + 1 < sizeof(p->value))
					p->value[n++] = *v;
				v++;
			}
		}
		p->section = -1;
		if ((star = strchr(p->name, '*')) != NULL) {
			/* RFC 2231: name*, name*0, name*1* */
			*star = '\0';
			if (isdigit((unsigned char)star[1])) {
				p->section = atoi(star + 1);
				p->extended = strchr(star + 1, '*') != NULL;
			} else {
				p->extended = true;
			}
		}
		if (p->name[0] != '\0')
			ct->np++;
	}
}

/* param - the value of name, RFC 2231 sections joined and decoded */
static bool
param(const struct ctype *ct, const char *name, char *out, size_t size)
{
	char raw[1024], charset[64] = "";
	size_t o = 0;
	bool found = false, ext = false;

	raw[0] = '\0';
	for (int sec = -1; sec < 32; sec++) {
		for (unsigned i = 0; i < ct->np; i++) {
			const struct param *p = &ct->p[i];
			const char *v = p->value;

			if (strcmp(p->name, name) != 0 || p->section != sec)
				continue;
			if (p->extended && (sec <= 0)) {
				/* charset'language'value */
				const char *q1 = strchr(v, '\''), *q2;

				if (q1 != NULL && (q2 = strchr(q1 + 1, '\'')) !=
							  NULL) {
					snprintf(charset, sizeof(charset),
						 "%.*s", (int)(q1 - v), v);
					v = q2 + 1;
				}
			}
			for (; *v != '\0' && o + 1 < sizeof(raw); v++) {
				if (p->extended && *v == '%' &&
				    isxdigit((unsigned char)v[1]) &&
				    isxdigit((unsigned char)v[2])) {
					char h[3] = { v[1], v[2], '\0' };

					raw[o++] = (char)strtol(h, NULL, 16);
					v += 2;
				} else {
					raw[o++] = *v;
				}
			}
			raw[o] = '\0';
			found = true;
			ext |= p->extended;
		}
		if (sec == -1 && found)
			break;
	}
	if (!found)
		return false;
	if (ext)
		ag_charset_to_utf8(charset, raw, o, out, size);
	else
		ag_rfc2047_decode(raw, o, out, size);
	return true;
}

/* text_add - append decoded text, bounded by text_max */
static void
text_add(struct scan *sc, const char *s, size_t n)
{
	struct ag_mime_result *r = sc->r;

	if (r->text_len + n + 2 > sc->text_max) {
		r->truncated = true;
		if (r->text_len + 2 >= sc->text_max)
			return;
		n = sc->text_max - r->text_len - 2;
	}
	if (r->text_len + n + 2 > sc->text_cap) {
		size_t cap = (r->text_len + n + 2) * 2;
		char *t;

		if (cap > sc->text_max + 2)
			cap = sc->text_max + 2;
		if ((t = realloc(r->text, cap)) == NULL) {
			sc->error = AG_ENOMEM;
			return;
		}
		r->text = t;
		sc->text_cap = cap;
	}
	if (r->text_len > 0)
		r->text[r->text_len++] = '\n';
	memcpy(r->text + r->text_len, s, n);
	r->text_len += n;
	r->text[r->text_len] = '\0';
}

static int
b64(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* decode - transfer encoding undone into out (at most len bytes) */
static size_t
decode(const char *cte, const unsigned char *in, size_t len, char *out)
{
	size_t o = 0;

	if (cte != NULL && strcasecmp(cte, "base64") == 0) {
		unsigned acc = 0, bits = 0;

		for (size_t i = 0; i < len; i++) {
			int v = b64(in[i]);

			if (in[i] == '=')
				break;
			if (v < 0)
				continue;
			acc = (acc << 6) | (unsigned)v;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				out[o++] = (char)((acc >> bits) & 0xff);
			}
		}
		return o;
	}
	if (cte != NULL && strcasecmp(cte, "quoted-printable") == 0) {
		for (size_t i = 0; i < len; i++) {
			if (in[i] != '=') {
				out[o++] = (char)in[i];
				continue;
			}
			if (i + 2 < len && isxdigit(in[i + 1]) &&
			    isxdigit(in[i + 2])) {
				char h[3] = { (char)in[i + 1], (char)in[i + 2],
					      '\0' };

				out[o++] = (char)strtol(h, NULL, 16);
				i += 2;
			} else if (i + 1 < len && in[i + 1] == '\n') {
				i++;		/* soft line break */
			} else if (i + 2 < len && in[i + 1] == '\r' &&
				   in[i + 2] == '\n') {
				i += 2;
			} else {
				out[o++] = '=';
			}
		}
		return o;
	}
	if (len > 0)		/* in is NULL for an empty body */
		memcpy(out, in, len);
	return len;
}

/* header_value - a field of a part's header block, unfolded, into out */
static bool
header_value(const unsigned char *h, size_t len, const char *name, char *out,
	     size_t size)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i < len;) {
		size_t end = i;

		while (end < len && h[end] != '\n')
			end++;
		if (end - i > nl && strncasecmp((const char *)h + i, name,
						nl) == 0 &&
		    h[i + nl] == ':') {
			size_t o = 0, k = i + nl + 1;

			/* this line and its continuations */
			for (;;) {
				for (; k < end && o + 1 < size; k++)
					if (h[k] != '\r')
						out[o++] = (char)h[k];
				if (end + 1 < len &&
				    (h[end + 1] == ' ' || h[end + 1] == '\t')) {
					k = end + 1;
					end = k;
					while (end < len && h[end] != '\n')
						end++;
					continue;
				}
				break;
			}
			out[o] = '\0';
			return true;
		}
		i = end + 1;
	}
	return false;
}

static void scan_entity(struct scan *sc, const char *ctv, const char *cte,
			const char *cdv, const unsigned char *body,
			size_t len, unsigned depth);

/* find_line - the next line at or after from that is "--b" (or "--b--");
 * returns its offset or len */
static size_t
find_delim(const unsigned char *body, size_t len, size_t from,
	   const char *b, size_t bl, bool *close)
{
	for (size_t i = from; i + 2 + bl <= len; i++) {
		if ((i == 0 || body[i - 1] == '\n') && body[i] == '-' &&
		    body[i + 1] == '-' && memcmp(body + i + 2, b, bl) == 0) {
			size_t k = i + 2 + bl;

			*close = k + 2 <= len && body[k] == '-' &&
				 body[k + 1] == '-';
			if (*close)
				k += 2;
			/* "--b1" is not the delimiter line "--b10" (RFC 2046
			 * 5.1.1: only white space may follow) */
			while (k < len && (body[k] == ' ' || body[k] == '\t'))
				k++;
			if (k >= len || body[k] == '\r' || body[k] == '\n')
				return i;
		}
		/* jump to the next line */
		{
			const unsigned char *nl = memchr(body + i, '\n',
							 len - i);
			if (nl == NULL)
				break;
			i = (size_t)(nl - body);
		}
	}
	*close = false;
	return len;
}

/* scan_multipart - each body part between boundary lines */
static void
scan_multipart(struct scan *sc, const char *boundary,
	       const unsigned char *body, size_t len, unsigned depth)
{
	size_t bl = strlen(boundary), pos;
	bool close = false;

	pos = find_delim(body, len, 0, boundary, bl, &close);
	while (pos < len && !close) {
		const unsigned char *nl = memchr(body + pos, '\n', len - pos);
		size_t start, next, hend;
		char ct[1024], te[128], cd[1024];

		if (nl == NULL)
			break;
		start = (size_t)(nl - body) + 1;
		next = find_delim(body, len, start, boundary, bl, &close);
		/* the part's header ends at the first empty line */
		for (hend = start; hend < next;) {
			const unsigned char *e = memchr(body + hend, '\n',
							next - hend);
			size_t line_len = e ? (size_t)(e - body) - hend
					    : next - hend;

			if (line_len == 0 || (line_len == 1 &&
					      body[hend] == '\r'))
				break;
			if (e == NULL) {
				hend = next;
				break;
			}
			hend = (size_t)(e - body) + 1;
		}
		{
			size_t hlen = hend - start, bstart = hend;
			size_t bend = next;

			if (bstart < next) {
				const unsigned char *e = memchr(body + bstart,
								'\n',
								next - bstart);
				bstart = e ? (size_t)(e - body) + 1 : next;
			}
			/* the CRLF before the delimiter belongs to it */
			if (bend > bstart && body[bend - 1] == '\n')
				bend--;
			if (bend > bstart && body[bend - 1] == '\r')
				bend--;
			scan_entity(sc,
				    header_value(body + start, hlen,
						 "Content-Type", ct, sizeof(ct))
					    ? ct
					    : NULL,
				    header_value(body + start, hlen,
						 "Content-Transfer-Encoding",
						 te, sizeof(te))
					    ? te
					    : NULL,
				    header_value(body + start, hlen,
						 "Content-Disposition", cd,
						 sizeof(cd))
					    ? cd
					    : NULL,
				    body + bstart, bend - bstart, depth + 1);
		}
		pos = next;
	}
	if (!close)
		sc->r->truncated = true;
}

static void
trim(char *s)
{
	size_t n = strlen(s), k = strspn(s, " \t");

	while (n > k && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	memmove(s, s + k, n - k + 1);
}

static void
scan_entity(struct scan *sc, const char *ctv, const char *cte,
	    const char *cdv, const unsigned char *body, size_t len,
	    unsigned depth)
{
	struct ag_mime_result *r = sc->r;
	struct ctype ct, cd;
	char boundary[256], enc[64] = "", charset[64] = "";
	struct ag_mime_part *p;

	if (sc->error != 0)
		return;
	parse_ctype(ctv, &ct);
	if (ct.type[0] == '\0' || strchr(ct.type, '/') == NULL)
		snprintf(ct.type, sizeof(ct.type), "text/plain");
	if (strncmp(ct.type, "multipart/", 10) == 0 &&
	    param(&ct, "boundary", boundary, sizeof(boundary)) &&
	    boundary[0] != '\0') {
		if (depth >= AG_MIME_MAX_DEPTH) {
			r->truncated = true;
			return;
		}
		scan_multipart(sc, boundary, body, len, depth);
		return;
	}
	r->nparts_total++;
	if (r->nparts >= AG_MIME_MAX_PARTS) {
		r->truncated = true;
		return;
	}
	p = &r->part[r->nparts++];
	snprintf(p->type, sizeof(p->type), "%s", ct.type);
	parse_ctype(cdv, &cd);
	if (!param(&cd, "filename", p->name, sizeof(p->name)))
		param(&ct, "name", p->name, sizeof(p->name));
	p->attachment = strcmp(cd.type, "attachment") == 0 ||
			p->name[0] != '\0';
	if (p->attachment || (strcmp(ct.type, "text/plain") != 0 &&
			      strcmp(ct.type, "text/html") != 0))
		return;
	if (cte != NULL) {
		snprintf(enc, sizeof(enc), "%s", cte);
		trim(enc);
	}
	param(&ct, "charset", charset, sizeof(charset));
	{
		char *raw = malloc(len + 1), *utf;
		size_t n, u;

		if (raw == NULL) {
			sc->error = AG_ENOMEM;
			return;
		}
		n = decode(enc, body, len, raw);
		/* an 8-bit charset may grow to three bytes a byte */
		if ((utf = malloc(n * 3 + 1)) == NULL) {
			free(raw);
			sc->error = AG_ENOMEM;
			return;
		}
		u = ag_charset_to_utf8(charset, raw, n, utf, n * 3 + 1);
		text_add(sc, utf, u);
		free(utf);
		free(raw);
	}
}

int
ag_mime_scan(const char *content_type, const char *cte,
	     const unsigned char *body, size_t len, size_t text_max,
	     struct ag_mime_result *r)
{
	struct scan sc;

	memset(r, 0, sizeof(*r));
	memset(&sc, 0, sizeof(sc));
	sc.r = r;
	sc.text_max = text_max < 16 ? 16 : text_max;
	scan_entity(&sc, content_type, cte, NULL, body, len, 0);
	if (r->text == NULL && sc.error == 0) {
		if ((r->text = malloc(1)) == NULL)
			return AG_ENOMEM;
		r->text[0] = '\0';
	}
	return sc.error;
}

void
ag_mime_result_free(struct ag_mime_result *r)
{
	free(r->text);
	r->text = NULL;
	r->text_len = 0;
}
