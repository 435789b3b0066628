/*
 * dkim/canon.c - DKIM canonicalization (RFC 6376 3.4) and hashing
 *
 * Output goes through a small block that is handed to EVP_DigestUpdate()
 * when full, never byte by byte: a digest call per byte would cost more
 * than the hashing itself.
 *
 * The body is a stream: a chunk may end inside a CRLF, inside a run of
 * blanks or after empty lines. Three pieces of state carry across chunks:
 * a CR not yet known to start a CRLF (cr), a run of blanks not yet known
 * to end its line (relaxed: wsp), and the line ends seen since the last
 * content (crlfs). Line ends are held back because RFC 6376 3.4.3 and
 * 3.4.4 drop the empty lines at the end of the body; they are written
 * out only when more content follows, and final() writes the one CRLF
 * that ends a non-empty body (simple: also an empty one, 3.4.3).
 */
#include "dkim/canon.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CANON_BLOCK 4096 /* body bytes buffered per digest update */
#define CANON_HBLOCK 512 /* header bytes buffered per digest update */

struct ag_canon_body {
	EVP_MD_CTX *md;
	enum ag_canon c;
	int64_t limit;	  /* l=, or -1 */
	uint64_t total;	  /* canonical bytes produced so far */
	uint64_t crlfs;	  /* line ends held back */
	bool cr;	  /* the last byte was a CR not yet resolved */
	bool wsp;	  /* relaxed: blanks pending inside the line */
	bool content;	  /* any content byte written */
	bool final;	  /* final() was called */
	int rc;		  /* first failure; sticky */
	size_t blen;
	unsigned char blk[CANON_BLOCK];
};

/* ag_canon_parse - "hdr[/body]", each "simple" or "relaxed" */
int
ag_canon_parse(const char *text, enum ag_canon *hdr_r, enum ag_canon *body_r)
{
	enum ag_canon v[2] = {AG_CANON_SIMPLE, AG_CANON_SIMPLE};
	const char *p = text, *end;
	unsigned n = 0;

	if (text == NULL)
		return AG_EINVAL;
	/* surrounding folding white space belongs to the tag list, not the
	 * value; tolerate it so callers may pass the raw tag value */
	p += strspn(p, " \t\r\n");
	end = p + strlen(p);
	while (end > p && strchr(" \t\r\n", end[-1]) != NULL)
		end--;
	for (;;) {
		size_t len = strcspn(p, "/");
		if (p + len > end)
			len = (size_t)(end - p);
		if (len == 6 && strncasecmp(p, "simple", 6) == 0)
			v[n] = AG_CANON_SIMPLE;
		else if (len == 7 && strncasecmp(p, "relaxed", 7) == 0)
			v[n] = AG_CANON_RELAXED;
		else
			return AG_EINVAL;
		n++;
		p += len;
		if (p == end)
			break;
		if (*p != '/' || n == 2)
			return AG_EINVAL;
		p++;
	}
	*hdr_r = v[0];
	*body_r = v[1];
	return AG_OK;
}

/*
 * Header output: one writer for both destinations, a caller's buffer
 * (ag_canon_header) or a digest through a block (ag_canon_header_hash).
 */
struct hsink {
	char *out; /* NULL: digest */
	size_t cap;
	size_t len; /* bytes produced, also past cap */
	EVP_MD_CTX *md;
	size_t blen;
	unsigned char blk[CANON_HBLOCK];
	int rc;
};

/* hsink_flush - the buffered block into the digest */
static void
hsink_flush(struct hsink *s)
{
	if (s->md != NULL && s->blen > 0 && s->rc == AG_OK &&
	    EVP_DigestUpdate(s->md, s->blk, s->blen) != 1)
		s->rc = AG_EINTERNAL;
	s->blen = 0;
}

/* hsink_put - one output byte */
static inline void
hsink_put(struct hsink *s, char ch)
{
	if (s->out != NULL) {
		if (s->len < s->cap)
			s->out[s->len] = ch;
	} else {
		if (s->blen == sizeof(s->blk))
			hsink_flush(s);
		s->blk[s->blen++] = (unsigned char)ch;
	}
	s->len++;
}

/* canon_wsp - a blank of RFC 5234 WSP */
static inline bool
canon_wsp(unsigned char ch)
{
	return ch == ' ' || ch == '\t';
}

/* header_simple - RFC 6376 3.4.1: the field unchanged; a bare LF is the
 * CRLF it is on the wire */
static void
header_simple(struct hsink *s, const char *name, const char *value)
{
	for (const char *p = name; *p != '\0'; p++)
		hsink_put(s, *p);
	hsink_put(s, ':');
	if (!canon_wsp((unsigned char)value[0]))
		hsink_put(s, ' ');
	for (const char *p = value; *p != '\0'; p++) {
		if (*p == '\n' && (p == value || p[-1] != '\r'))
			hsink_put(s, '\r');
		hsink_put(s, *p);
	}
}

/* header_relaxed - RFC 6376 3.4.2: name lowercased, no blanks around the
 * colon, the value unfolded, blank runs made one SP, trailing blanks
 * dropped. Line breaks in a milter value only fold, so every CR and LF
 * is removed (unfolding keeps the blank that follows). */
static void
header_relaxed(struct hsink *s, const char *name, const char *value)
{
	size_t nlen = strlen(name);
	bool wsp = false, any = false;

	while (nlen > 0 && canon_wsp((unsigned char)name[nlen - 1]))
		nlen--;
	for (size_t i = 0; i < nlen; i++) {
		char ch = name[i];
		hsink_put(s, ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch);
	}
	hsink_put(s, ':');
	for (const char *p = value; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch == '\r' || ch == '\n')
			continue;
		if (canon_wsp(ch)) {
			wsp = true;
			continue;
		}
		/* blanks before the first content byte follow the colon */
		if (wsp && any)
			hsink_put(s, ' ');
		wsp = false;
		any = true;
		hsink_put(s, (char)ch);
	}
}

/* header_run - the canonical field, CRLF-terminated on request */
static void
header_run(struct hsink *s, enum ag_canon c, const char *name,
	   const char *value, bool crlf)
{
	if (c == AG_CANON_RELAXED)
		header_relaxed(s, name, value);
	else
		header_simple(s, name, value);
	if (crlf) {
		hsink_put(s, '\r');
		hsink_put(s, '\n');
	}
}

/* ag_canon_header - the canonical field into out */
int
ag_canon_header(enum ag_canon c, const char *name, const char *value,
		bool crlf, char *out, size_t cap, size_t *len_r)
{
	struct hsink s = {.out = out, .cap = cap};

	if (name == NULL || value == NULL || out == NULL ||
	    (c != AG_CANON_SIMPLE && c != AG_CANON_RELAXED))
		return AG_EINVAL;
	header_run(&s, c, name, value, crlf);
	if (s.len > cap)
		return AG_ELIMIT;
	if (s.len < cap)
		out[s.len] = '\0';
	*len_r = s.len;
	return AG_OK;
}

/* ag_canon_header_hash - the canonical field into md */
int
ag_canon_header_hash(enum ag_canon c, const char *name, const char *value,
		     bool crlf, EVP_MD_CTX *md)
{
	struct hsink s = {.md = md};

	if (name == NULL || value == NULL || md == NULL ||
	    (c != AG_CANON_SIMPLE && c != AG_CANON_RELAXED))
		return AG_EINVAL;
	header_run(&s, c, name, value, crlf);
	hsink_flush(&s);
	return s.rc;
}

/* ag_canon_body_new - a body canonicalizer with a fresh digest */
int
ag_canon_body_new(struct ag_canon_body **b_r, enum ag_canon c,
		  const EVP_MD *md, int64_t limit)
{
	struct ag_canon_body *b = NULL;
	int rc = AG_OK;

	if (b_r == NULL || md == NULL || limit < -1 ||
	    (c != AG_CANON_SIMPLE && c != AG_CANON_RELAXED)) {
		rc = AG_EINVAL;
		goto out;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (b->md = EVP_MD_CTX_new()) == NULL) {
		rc = AG_ENOMEM;
		goto out;
	}
	if (EVP_DigestInit_ex(b->md, md, NULL) != 1) {
		rc = AG_EINTERNAL;
		goto out;
	}
	b->c = c;
	b->limit = limit;
	*b_r = b;
	b = NULL;
out:
	ag_canon_body_free(&b);
	return rc;
}

/* body_flush - the block into the digest */
static void
body_flush(struct ag_canon_body *b)
{
	if (b->blen > 0 && b->rc == AG_OK &&
	    EVP_DigestUpdate(b->md, b->blk, b->blen) != 1)
		b->rc = AG_EINTERNAL;
	b->blen = 0;
}

/* body_out - n canonical bytes: counted, and hashed up to the limit */
static inline void
body_out(struct ag_canon_body *b, const unsigned char *p, size_t n)
{
	size_t room;

	/* the common case, a word into a block with room: inline */
	if (b->limit < 0 && n <= sizeof(b->blk) - b->blen) {
		memcpy(b->blk + b->blen, p, n);
		b->blen += n;
		b->total += n;
		return;
	}
	if (b->limit >= 0) {
		uint64_t left = b->total >= (uint64_t)b->limit
					? 0
					: (uint64_t)b->limit - b->total;
		b->total += n;
		if (n > left)
			n = (size_t)left;
	} else {
		b->total += n;
	}
	while (n > 0) {
		room = sizeof(b->blk) - b->blen;
		if (room == 0) {
			body_flush(b);
			room = sizeof(b->blk);
		}
		if (room > n)
			room = n;
		memcpy(b->blk + b->blen, p, room);
		b->blen += room;
		p += room;
		n -= room;
	}
}

/* body_crlfs - the line ends held back, now that content follows */
static void
body_crlfs(struct ag_canon_body *b)
{
	static const unsigned char crlf8[16] = "\r\n\r\n\r\n\r\n"
					       "\r\n\r\n\r\n\r\n";

	while (b->crlfs > 0) {
		uint64_t k = b->crlfs > 8 ? 8 : b->crlfs;
		body_out(b, crlf8, (size_t)(2 * k));
		b->crlfs -= k;
	}
}

/* body_content - content bytes: held line ends and blanks go first */
static inline void
body_content(struct ag_canon_body *b, const unsigned char *p, size_t n)
{
	if (b->crlfs > 0)
		body_crlfs(b);
	if (b->wsp) {
		body_out(b, (const unsigned char *)" ", 1);
		b->wsp = false;
	}
	body_out(b, p, n);
	b->content = true;
}

/* body_eol - a line end: relaxed drops the blanks before it (3.4.4) */
static void
body_eol(struct ag_canon_body *b)
{
	b->wsp = false;
	b->crlfs++;
}

/* body_stop[c][ch]: where a run of content bytes ends, for simple (CR,
 * LF) and relaxed (CR, LF, SP, HTAB): one table load a byte */
#define BODY_STOPS(...) { ['\r'] = 1, ['\n'] = 1, __VA_ARGS__ }
static const unsigned char body_stop[2][256] = {
	BODY_STOPS(),
	BODY_STOPS([' '] = 1, ['\t'] = 1),
};

/* body_span - bytes of p[0..n) that hold no CR, LF (nor, relaxed, any
 * blank): copied as they are */
static inline size_t
body_span(const struct ag_canon_body *b, const unsigned char *p, size_t n)
{
	const unsigned char *stop =
		body_stop[b->c == AG_CANON_RELAXED ? 1 : 0];
	size_t i = 0;

	while (i < n && !stop[p[i]])
		i++;
	return i;
}

/* ag_canon_body_update - one chunk; see the top of the file */
int
ag_canon_body_update(struct ag_canon_body *b, const unsigned char *buf,
		     size_t len)
{
	size_t i = 0;

	if (b == NULL || (buf == NULL && len > 0) || b->final)
		return AG_EINVAL;
	while (i < len && b->rc == AG_OK) {
		unsigned char ch = buf[i];
		if (b->cr) {
			b->cr = false;
			if (ch == '\n') {
				body_eol(b);
				i++;
				continue;
			}
			/* a CR without LF is content (3.4.3, 3.4.4) */
			body_content(b, (const unsigned char *)"\r", 1);
		}
		if (ch == '\r') {
			b->cr = true;
			i++;
		} else if (ch == '\n') {
			body_eol(b); /* a bare LF is a CRLF on the wire */
			i++;
		} else if (b->c == AG_CANON_RELAXED && canon_wsp(ch)) {
			b->wsp = true;
			i++;
		} else {
			size_t n = body_span(b, buf + i, len - i);
			body_content(b, buf + i, n);
			i += n;
		}
	}
	return b->rc;
}

/* ag_canon_body_final - the last line end, then the digest */
int
ag_canon_body_final(struct ag_canon_body *b, unsigned char *digest,
		    unsigned *dlen_r, uint64_t *total_r)
{
	unsigned dlen = 0;

	if (b == NULL || digest == NULL || dlen_r == NULL || b->final)
		return AG_EINVAL;
	b->final = true;
	if (b->cr) /* a CR that ends the body is content */
		body_content(b, (const unsigned char *)"\r", 1);
	b->cr = false;
	/* a non-empty body ends with exactly one CRLF; the empty body is
	 * CRLF for simple and nothing for relaxed (3.4.3, 3.4.4) */
	if (b->content || b->c == AG_CANON_SIMPLE)
		body_out(b, (const unsigned char *)"\r\n", 2);
	body_flush(b);
	if (b->rc == AG_OK && EVP_DigestFinal_ex(b->md, digest, &dlen) != 1)
		b->rc = AG_EINTERNAL;
	if (b->rc != AG_OK)
		return b->rc;
	*dlen_r = dlen;
	if (total_r != NULL)
		*total_r = b->total;
	return AG_OK;
}

/* ag_canon_body_free - the digest context and the object; NULL is fine */
void
ag_canon_body_free(struct ag_canon_body **b)
{
	if (b == NULL || *b == NULL)
		return;
	EVP_MD_CTX_free((*b)->md);
	free(*b);
	*b = NULL;
}
