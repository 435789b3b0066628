/*
 * report/unpack.c - reports out of files, containers and messages
 *
 * Every container is opened with a budget: gzip and zip output is
 * counted while it is inflated and the inflation stops as soon as the
 * output passes the size limit or expands too far beyond its input, so
 * a bomb costs at most the limit, never the bomb's full size.
 */
#include "report/unpack.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>
#include <zlib.h>

#include "util/err.h"

#define ORIGIN_MAX 1024
#define RATIO_FLOOR (1024u * 1024)

struct ctx {
	ag_unpack_fn fn;
	ag_unpack_err_fn efn;
	void *arg;
	int found;
	bool stop;
	bool nomem;
};

static void dispatch(struct ctx *c, const char *origin, const unsigned char *d,
		     size_t len, int depth);

static void
refuse(struct ctx *c, const char *origin, const char *why)
{
	c->efn(c->arg, origin, why);
}

static void
deliver(struct ctx *c, const struct ag_unpacked *u)
{
	c->found++;
	if (c->fn(c->arg, u) != 0)
		c->stop = true;
}

/* buf - a growing output buffer with a hard limit */
struct buf {
	unsigned char *p;
	size_t len, cap;
};

static int
buf_room(struct buf *b, size_t more)
{
	size_t cap;
	unsigned char *n;

	if (b->len + more <= b->cap)
		return 0;
	cap = b->cap != 0 ? b->cap : 65536;
	while (cap < b->len + more)
		cap *= 2;
	if ((n = realloc(b->p, cap)) == NULL)
		return -1;
	b->p = n;
	b->cap = cap;
	return 0;
}

/* too_big - the bomb checks for out bytes made from in bytes */
static const char *
too_big(size_t out, size_t in)
{
	if (out > AG_UNPACK_FILE_MAX)
		return "expands past 64 MB";
	if (out > RATIO_FLOOR && out / (in != 0 ? in : 1) > AG_UNPACK_RATIO)
		return "expands more than 1000 times (compression bomb?)";
	return NULL;
}

static void
gunzip(struct ctx *c, const char *origin, const unsigned char *d, size_t len,
       int depth)
{
	z_stream z;
	struct buf out = { NULL, 0, 0 };
	char o[ORIGIN_MAX], why[160];
	const char *big = NULL;
	int zr = Z_OK;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 32) != Z_OK) {
		c->nomem = true;
		return;
	}
	z.next_in = (unsigned char *)d;
	z.avail_in = len > UINT32_MAX ? UINT32_MAX : (uInt)len;
	for (;;) {
		if (buf_room(&out, 65536) != 0) {
			c->nomem = true;
			goto done;
		}
		z.next_out = out.p + out.len;
		z.avail_out = (uInt)(out.cap - out.len);
		zr = inflate(&z, Z_NO_FLUSH);
		out.len = out.cap - z.avail_out;
		if ((big = too_big(out.len, len - z.avail_in)) != NULL)
			break;
		if (zr == Z_STREAM_END) {
			/* concatenated members (RFC 1952 2.2) continue */
			if (z.avail_in >= 2 && z.next_in[0] == 0x1f &&
			    z.next_in[1] == 0x8b &&
			    inflateReset(&z) == Z_OK)
				continue;
			break;
		}
		if (zr == Z_BUF_ERROR && z.avail_in == 0)
			break;	/* input ended inside the stream */
		if (zr != Z_OK && zr != Z_BUF_ERROR)
			break;
	}
	if (big != NULL) {
		snprintf(why, sizeof(why), "gzip %s", big);
		refuse(c, origin, why);
	} else if (zr != Z_STREAM_END) {
		snprintf(why, sizeof(why), "gzip stream %s",
			 zr == Z_BUF_ERROR || zr == Z_OK
				 ? "is truncated"
				 : z.msg != NULL ? z.msg : "is corrupt");
		refuse(c, origin, why);
	} else {
		snprintf(o, sizeof(o), "%s: gunzip", origin);
		dispatch(c, o, out.p, out.len, depth + 1);
	}
done:
	inflateEnd(&z);
	free(out.p);
}

/* ends_xml - a zip entry we read: *.xml */
static bool
ends_xml(const char *name)
{
	size_t n = strlen(name);

	return n >= 4 && strcasecmp(name + n - 4, ".xml") == 0;
}

static void
unzip_entry(struct ctx *c, const char *origin, zip_t *z, zip_uint64_t i,
	    const zip_stat_t *st, int depth)
{
	zip_file_t *f;
	struct buf out = { NULL, 0, 0 };
	char o[ORIGIN_MAX], why[200];
	const char *big = NULL;
	size_t comp = (st->valid & ZIP_STAT_COMP_SIZE) ? st->comp_size : 0;

	snprintf(o, sizeof(o), "%s: %s", origin, st->name);
	/* the declared sizes may lie: they only allow an early refusal,
	 * the bytes read below are what counts */
	if ((st->valid & ZIP_STAT_SIZE) &&
	    (big = too_big(st->size, comp)) != NULL) {
		snprintf(why, sizeof(why), "zip entry %s", big);
		refuse(c, o, why);
		return;
	}
	if ((f = zip_fopen_index(z, i, 0)) == NULL) {
		snprintf(why, sizeof(why), "zip entry unreadable: %s",
			 zip_strerror(z));
		refuse(c, o, why);
		return;
	}
	for (;;) {
		zip_int64_t n;

		if (buf_room(&out, 65536) != 0) {
			c->nomem = true;
			goto done;
		}
		n = zip_fread(f, out.p + out.len, out.cap - out.len);
		if (n < 0) {
			snprintf(why, sizeof(why), "zip entry corrupt: %s",
				 zip_file_strerror(f));
			refuse(c, o, why);
			goto done;
		}
		if (n == 0)
			break;
		out.len += (size_t)n;
		if ((big = too_big(out.len, comp)) != NULL) {
			snprintf(why, sizeof(why), "zip entry %s", big);
			refuse(c, o, why);
			goto done;
		}
	}
	dispatch(c, o, out.p, out.len, depth + 1);
done:
	zip_fclose(f);
	free(out.p);
}

static void
unzip(struct ctx *c, const char *origin, const unsigned char *d, size_t len,
      int depth)
{
	zip_error_t ze;
	zip_source_t *src;
	zip_t *z;
	zip_int64_t n;
	char why[200];
	int xml = 0;

	zip_error_init(&ze);
	if ((src = zip_source_buffer_create(d, len, 0, &ze)) == NULL) {
		c->nomem = true;
		zip_error_fini(&ze);
		return;
	}
	if ((z = zip_open_from_source(src, ZIP_RDONLY, &ze)) == NULL) {
		snprintf(why, sizeof(why), "not a readable zip: %s",
			 zip_error_strerror(&ze));
		refuse(c, origin, why);
		zip_source_free(src);
		zip_error_fini(&ze);
		return;
	}
	n = zip_get_num_entries(z, 0);
	if (n > AG_UNPACK_ZIP_ENTRIES) {
		snprintf(why, sizeof(why), "zip has %lld entries, more than "
			 "%d", (long long)n, AG_UNPACK_ZIP_ENTRIES);
		refuse(c, origin, why);
		goto done;
	}
	for (zip_int64_t i = 0; i < n && !c->stop && !c->nomem; i++) {
		zip_stat_t st;

		if (zip_stat_index(z, (zip_uint64_t)i, 0, &st) != 0 ||
		    !(st.valid & ZIP_STAT_NAME) || !ends_xml(st.name))
			continue;
		xml++;
		unzip_entry(c, origin, z, (zip_uint64_t)i, &st, depth);
	}
	if (xml == 0)
		refuse(c, origin, "zip holds no .xml file");
done:
	zip_discard(z);
	zip_error_fini(&ze);
}

/* ---------------------------------------------------------- messages */

struct part {
	const unsigned char *body;	/* after the part's header */
	size_t len;
	char type[128];			/* lower case */
	char cte[32];			/* lower case */
	char name[256];
	char boundary[200];
	char report_type[64];
};

/* line_end - the end of the line at p (before LF), and the next line */
static const unsigned char *
next_line(const unsigned char *p, const unsigned char *end,
	  const unsigned char **line_end)
{
	const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));

	if (nl == NULL) {
		*line_end = end;
		return end;
	}
	*line_end = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
	return nl + 1;
}

/* param - a parameter of a header value (name=token or "quoted") */
static void
param(const char *v, const char *name, char *out, size_t size)
{
	size_t nl = strlen(name);
	const char *p = v;

	out[0] = '\0';
	while ((p = strchr(p, ';')) != NULL) {
		size_t o = 0;

		p++;
		p += strspn(p, " \t");
		if (strncasecmp(p, name, nl) != 0 || p[nl] != '=')
			continue;
		p += nl + 1;
		if (*p == '"') {
			for (p++; *p != '\0' && *p != '"' && o + 1 < size;
			     p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				out[o++] = *p;
			}
		} else {
			while (*p != '\0' && strchr(" \t;", *p) == NULL &&
			       o + 1 < size)
				out[o++] = *p++;
		}
		out[o] = '\0';
		return;
	}
}

/* head - the header of a message or part: the fields we need, and where
 * the body starts; false when this does not look like a header */
static bool
head(const unsigned char *d, size_t len, struct part *pt)
{
	const unsigned char *p = d, *end = d + len, *le;
	char field[2048], ctype[2048] = "", cdisp[2048] = "";
	size_t flen = 0;
	int fields = 0;
	bool ok = true;

	memset(pt, 0, sizeof(*pt));
	for (;;) {
		const unsigned char *next = p < end ? next_line(p, end, &le)
						    : end;
		bool cont = p < end && (*p == ' ' || *p == '\t');
		bool blank = p >= end || le == p;

		if (!cont && flen > 0) {
			/* the previous field is complete */
			field[flen] = '\0';
			if (strncasecmp(field, "content-type:", 13) == 0)
				snprintf(ctype, sizeof(ctype), "%s",
					 field + 13);
			else if (strncasecmp(field,
					     "content-transfer-encoding:",
					     26) == 0)
				snprintf(pt->cte, sizeof(pt->cte), "%s",
					 field + 26 + strspn(field + 26,
							     " \t"));
			else if (strncasecmp(field, "content-disposition:",
					     20) == 0)
				snprintf(cdisp, sizeof(cdisp), "%s",
					 field + 20);
			flen = 0;
		}
		if (blank) {
			p = next;
			break;
		}
		if (!cont) {
			const unsigned char *colon = memchr(p, ':',
							    (size_t)(le - p));

			/* field-name: printable, no spaces (RFC 5322 2.2) */
			if (colon == NULL || colon == p)
				ok = false;
			for (const unsigned char *q = p; ok && q < colon; q++)
				if (*q <= 32 || *q >= 127)
					ok = false;
			if (!ok && fields == 0)
				return false;
			fields++;
		}
		if (!ok)
			return false;
		{
			size_t n = (size_t)(le - p);

			if (flen + n + 1 < sizeof(field)) {
				memcpy(field + flen, p, n);
				flen += n;
			}
		}
		p = next;
	}
	if (fields == 0)
		return false;
	{
		const char *t = ctype + strspn(ctype, " \t");
		size_t n = strcspn(t, "; \t");

		if (n == 0)
			snprintf(pt->type, sizeof(pt->type), "text/plain");
		else
			snprintf(pt->type, sizeof(pt->type), "%.*s", (int)n,
				 t);
	}
	for (char *q = pt->type; *q != '\0'; q++)
		*q = (char)(*q >= 'A' && *q <= 'Z' ? *q + 32 : *q);
	for (char *q = pt->cte; *q != '\0'; q++)
		*q = (char)(*q >= 'A' && *q <= 'Z' ? *q + 32 : *q);
	pt->cte[strcspn(pt->cte, " \t;")] = '\0';
	param(ctype, "boundary", pt->boundary, sizeof(pt->boundary));
	param(ctype, "report-type", pt->report_type, sizeof(pt->report_type));
	param(cdisp, "filename", pt->name, sizeof(pt->name));
	if (pt->name[0] == '\0')
		param(ctype, "name", pt->name, sizeof(pt->name));
	pt->body = p;
	pt->len = (size_t)(end - p);
	return true;
}

static int
b64val(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

static int
hexval(unsigned char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = (unsigned char)(ch | 0x20);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* decode - the part's body per its transfer encoding, malloc'd */
static unsigned char *
decode(const struct part *pt, size_t *len_r)
{
	unsigned char *out = malloc(pt->len + 1);
	size_t o = 0;

	if (out == NULL)
		return NULL;
	if (strcmp(pt->cte, "base64") == 0) {
		unsigned v = 0, bits = 0;

		/* characters outside the alphabet are skipped (RFC 2045
		 * 6.8); decoding stops at the first pad */
		for (size_t i = 0; i < pt->len; i++) {
			int x;

			if (pt->body[i] == '=')
				break;
			if ((x = b64val(pt->body[i])) < 0)
				continue;
			v = (v << 6) | (unsigned)x;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				out[o++] = (unsigned char)(v >> bits);
			}
		}
	} else if (strcmp(pt->cte, "quoted-printable") == 0) {
		for (size_t i = 0; i < pt->len; i++) {
			if (pt->body[i] != '=') {
				out[o++] = pt->body[i];
			} else if (i + 2 < pt->len &&
				   hexval(pt->body[i + 1]) >= 0 &&
				   hexval(pt->body[i + 2]) >= 0) {
				out[o++] = (unsigned char)(
					hexval(pt->body[i + 1]) << 4 |
					hexval(pt->body[i + 2]));
				i += 2;
			} else {
				/* soft line break */
				while (i + 1 < pt->len &&
				       (pt->body[i + 1] == ' ' ||
					pt->body[i + 1] == '\t'))
					i++;
				if (i + 1 < pt->len && pt->body[i + 1] == '\r')
					i++;
				if (i + 1 < pt->len && pt->body[i + 1] == '\n')
					i++;
			}
		}
	} else {
		memcpy(out, pt->body, pt->len);
		o = pt->len;
	}
	out[o] = '\0';
	*len_r = o;
	return out;
}

/* the leaves of one message */
struct leaves {
	struct part p[AG_UNPACK_PARTS];
	unsigned n;
	bool too_many;
};

/* split - the leaves of a multipart body, recursively */
static void
split(struct leaves *lv, const struct part *mp, int depth)
{
	const unsigned char *p = mp->body, *end = mp->body + mp->len, *le;
	const unsigned char *start = NULL;
	size_t bl = strlen(mp->boundary);

	if (depth > 8 || bl == 0)
		return;
	while (p < end) {
		const unsigned char *line = p;
		const unsigned char *next = next_line(p, end, &le);
		bool delim = (size_t)(le - line) >= bl + 2 && line[0] == '-' &&
			     line[1] == '-' &&
			     memcmp(line + 2, mp->boundary, bl) == 0;
		bool close = delim && (size_t)(le - line) >= bl + 4 &&
			     line[bl + 2] == '-' && line[bl + 3] == '-';

		if (delim) {
			if (start != NULL) {
				/* the CRLF before a delimiter is its own */
				const unsigned char *pe = line;
				struct part sub;

				if (pe > start && pe[-1] == '\n')
					pe--;
				if (pe > start && pe[-1] == '\r')
					pe--;
				if (!head(start, (size_t)(pe - start), &sub)) {
					/* no header: a text/plain body */
					memset(&sub, 0, sizeof(sub));
					sub.body = start;
					sub.len = (size_t)(pe - start);
					snprintf(sub.type, sizeof(sub.type),
						 "text/plain");
				}
				if (strncmp(sub.type, "multipart/", 10) == 0)
					split(lv, &sub, depth + 1);
				else if (lv->n < AG_UNPACK_PARTS)
					lv->p[lv->n++] = sub;
				else
					lv->too_many = true;
			}
			if (close)
				return;
			start = next;
		}
		p = next;
	}
	/* no closing delimiter: the last part runs to the end */
	if (start != NULL && start < end) {
		struct part sub;

		if (head(start, (size_t)(end - start), &sub)) {
			if (strncmp(sub.type, "multipart/", 10) == 0)
				split(lv, &sub, depth + 1);
			else if (lv->n < AG_UNPACK_PARTS)
				lv->p[lv->n++] = sub;
			else
				lv->too_many = true;
		}
	}
}

/* candidate - a part that may hold an aggregate report */
static bool
candidate(const struct part *pt)
{
	static const char *const types[] = {
		"application/gzip", "application/x-gzip", "application/zip",
		"application/x-zip-compressed", "application/x-zip",
		"application/xml", "text/xml", "application/octet-stream",
		"application/x-gzip-compressed", NULL
	};
	size_t n = strlen(pt->name);

	for (int i = 0; types[i] != NULL; i++)
		if (strcmp(pt->type, types[i]) == 0)
			return true;
	return (n > 4 && strcasecmp(pt->name + n - 4, ".xml") == 0) ||
	       (n > 3 && strcasecmp(pt->name + n - 3, ".gz") == 0) ||
	       (n > 4 && strcasecmp(pt->name + n - 4, ".zip") == 0);
}

static void
message(struct ctx *c, const char *origin, const struct part *top, int depth)
{
	struct leaves *lv = calloc(1, sizeof(*lv));
	const struct part *fbp = NULL, *orig = NULL;
	int before = c->found;
	char o[ORIGIN_MAX];

	if (lv == NULL) {
		c->nomem = true;
		return;
	}
	if (strncmp(top->type, "multipart/", 10) == 0)
		split(lv, top, 0);
	else
		lv->p[lv->n++] = *top;
	if (lv->too_many) {
		refuse(c, origin, "more than 100 MIME parts");
		goto done;
	}
	for (unsigned i = 0; i < lv->n; i++) {
		if (strcmp(lv->p[i].type, "message/feedback-report") == 0 &&
		    fbp == NULL)
			fbp = &lv->p[i];
		else if ((strcmp(lv->p[i].type, "message/rfc822") == 0 ||
			  strcmp(lv->p[i].type, "text/rfc822-headers") == 0) &&
			 orig == NULL)
			orig = &lv->p[i];
	}
	if (fbp != NULL) {
		size_t fl = 0, ol = 0;
		unsigned char *f = decode(fbp, &fl);
		unsigned char *og = orig != NULL ? decode(orig, &ol) : NULL;
		struct ag_unpacked u = {
			.kind = AG_UNPACK_FAILURE, .origin = origin,
			.data = (const char *)f, .len = fl,
			.original = (const char *)og, .olen = ol
		};

		if (f == NULL || (orig != NULL && og == NULL))
			c->nomem = true;
		else
			deliver(c, &u);
		free(f);
		free(og);
		goto done;
	}
	for (unsigned i = 0; i < lv->n && !c->stop && !c->nomem; i++) {
		unsigned char *d;
		size_t dl = 0;

		if (!candidate(&lv->p[i]))
			continue;
		if ((d = decode(&lv->p[i], &dl)) == NULL) {
			c->nomem = true;
			break;
		}
		snprintf(o, sizeof(o), "%s: part %u%s%s%s", origin, i + 1,
			 lv->p[i].name[0] != '\0' ? " (" : "", lv->p[i].name,
			 lv->p[i].name[0] != '\0' ? ")" : "");
		dispatch(c, o, d, dl, depth + 1);
		free(d);
	}
	if (c->found == before && !c->nomem)
		refuse(c, origin, "no DMARC report found in the message");
done:
	free(lv);
}

/* mbox - messages separated by "From " lines; ">From " unquoted */
static void
mbox(struct ctx *c, const char *origin, const unsigned char *d, size_t len,
     int depth)
{
	const unsigned char *p = d, *end = d + len, *le, *start = NULL;
	unsigned n = 0;
	char o[ORIGIN_MAX];

	for (;;) {
		const unsigned char *next = p < end ? next_line(p, end, &le)
						    : end;
		bool from = p < end && (size_t)(end - p) >= 5 &&
			    memcmp(p, "From ", 5) == 0;

		if ((from || p >= end) && start != NULL) {
			struct buf b = { NULL, 0, 0 };
			const unsigned char *q = start;

			/* copy the message, unquoting ">From " */
			if (buf_room(&b, (size_t)(p - start) + 1) != 0) {
				c->nomem = true;
				return;
			}
			while (q < p) {
				const unsigned char *qle;
				const unsigned char *qn = next_line(q, p, &qle);

				const unsigned char *g = q;

				while (g < qle && *g == '>')
					g++;
				if (g > q && (size_t)(qle - g) >= 5 &&
				    memcmp(g, "From ", 5) == 0)
					q++;
				memcpy(b.p + b.len, q, (size_t)(qn - q));
				b.len += (size_t)(qn - q);
				q = qn;
			}
			snprintf(o, sizeof(o), "%s: message %u", origin, ++n);
			dispatch(c, o, b.p, b.len, depth + 1);
			free(b.p);
			if (c->stop || c->nomem)
				return;
		}
		if (p >= end)
			break;
		if (from)
			start = next;
		p = next;
	}
}

static void
dispatch(struct ctx *c, const char *origin, const unsigned char *d,
	 size_t len, int depth)
{
	const unsigned char *s = d;
	size_t n = len;
	struct part top;

	if (c->stop || c->nomem)
		return;
	if (depth > AG_UNPACK_DEPTH) {
		refuse(c, origin, "containers nested more than 6 deep");
		return;
	}
	if (len > AG_UNPACK_FILE_MAX) {
		refuse(c, origin, "larger than 64 MB");
		return;
	}
	if (n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		s += 3;
		n -= 3;
	}
	while (n > 0 && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) {
		s++;
		n--;
	}
	if (n == 0) {
		refuse(c, origin, "empty");
	} else if (n >= 2 && s[0] == 0x1f && s[1] == 0x8b) {
		gunzip(c, origin, s, n, depth);
	} else if (n >= 4 && memcmp(s, "PK\3\4", 4) == 0) {
		unzip(c, origin, d, len, depth);
	} else if (s[0] == '<' ||
		   (n >= 2 && ((s[0] == 0xff && s[1] == 0xfe) ||
			       (s[0] == 0xfe && s[1] == 0xff)))) {
		/* XML, also in UTF-16 (a byte-order mark): the parser
		 * decides */
		struct ag_unpacked u = { .kind = AG_UNPACK_AGGREGATE,
					 .origin = origin,
					 .data = (const char *)d, .len = len };

		deliver(c, &u);
	} else if (n >= 5 && memcmp(s, "From ", 5) == 0) {
		mbox(c, origin, s, n, depth);
	} else if (head(s, n, &top)) {
		message(c, origin, &top, depth);
	} else {
		refuse(c, origin, "not a DMARC report (not XML, gzip, zip, "
		       "mbox or a message)");
	}
}

int
ag_unpack_buffer(const char *origin, const unsigned char *data, size_t len,
		 ag_unpack_fn fn, ag_unpack_err_fn efn, void *arg)
{
	struct ctx c = { fn, efn, arg, 0, false, false };

	dispatch(&c, origin, data, len, 0);
	return c.nomem ? AG_ENOMEM : c.found;
}

/* read_fd - the whole of fd, up to the limit */
static unsigned char *
read_fd(int fd, size_t *len_r, bool *too_big_r)
{
	struct buf b = { NULL, 0, 0 };

	*too_big_r = false;
	for (;;) {
		ssize_t n;

		if (buf_room(&b, 65536) != 0) {
			free(b.p);
			return NULL;
		}
		n = read(fd, b.p + b.len, b.cap - b.len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		b.len += (size_t)n;
		if (b.len > AG_UNPACK_FILE_MAX) {
			*too_big_r = true;
			break;
		}
	}
	if (b.p == NULL && buf_room(&b, 1) != 0)
		return NULL;
	*len_r = b.len;
	return b.p;
}

static void walk(struct ctx *c, const char *path, int depth);

static void
one_file(struct ctx *c, const char *path, int fd)
{
	size_t len = 0;
	bool big;
	unsigned char *d = read_fd(fd, &len, &big);

	if (d == NULL)
		c->nomem = true;
	else if (big)
		refuse(c, path, "larger than 64 MB");
	else
		dispatch(c, path, d, len, 0);
	free(d);
}

static void
walk(struct ctx *c, const char *path, int depth)
{
	struct stat st;
	char why[300];

	if (lstat(path, &st) != 0) {
		snprintf(why, sizeof(why), "%s", strerror(errno));
		refuse(c, path, why);
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		struct dirent **list = NULL;
		int n;

		if (depth >= AG_UNPACK_DIR_DEPTH) {
			refuse(c, path, "directories nested too deep");
			return;
		}
		/* sorted, so runs over the same folder are repeatable */
		if ((n = scandir(path, &list, NULL, alphasort)) < 0) {
			snprintf(why, sizeof(why), "%s", strerror(errno));
			refuse(c, path, why);
			return;
		}
		for (int i = 0; i < n; i++) {
			char sub[4096];

			if (list[i]->d_name[0] != '.' && !c->stop &&
			    !c->nomem &&
			    (size_t)snprintf(sub, sizeof(sub), "%s/%s", path,
					     list[i]->d_name) < sizeof(sub))
				walk(c, sub, depth + 1);
			free(list[i]);
		}
		free(list);
		return;
	}
	if (S_ISLNK(st.st_mode) && depth > 0)
		return;	/* inside a tree: links are not followed */
	{
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			snprintf(why, sizeof(why), "%s", strerror(errno));
			refuse(c, path, why);
			return;
		}
		if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode) && depth > 0) {
			close(fd);
			return;
		}
		if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
			close(fd);
			walk(c, path, depth + 1);
			return;
		}
		one_file(c, path, fd);
		close(fd);
	}
}

int
ag_unpack_path(const char *path, ag_unpack_fn fn, ag_unpack_err_fn efn,
	       void *arg)
{
	struct ctx c = { fn, efn, arg, 0, false, false };

	if (strcmp(path, "-") == 0)
		one_file(&c, "stdin", 0);
	else
		walk(&c, path, 0);
	return c.nomem ? AG_ENOMEM : c.found;
}
