/*
 * tests/tools/mtclient/message.c - the test message and the milter's edits
 * (part of mtclient, included by mtclient.c; interface in mtclient.h)
 *
 * Parsing follows what Postfix does before it talks to a milter: a header
 * is NAME, optional blanks, ':' and the rest (NAME is printable ASCII
 * without ':', as in Postfix is_header()); lines starting with a blank
 * continue it and are kept, joined with "\n"; the first empty line, or
 * the first line that is no header, ends the headers. Body lines go to
 * the milter with CRLF, a last line without newline included.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "mtclient.h"

#define MSG_READ_CHUNK 65536

/* msg_dup - NUL-terminated copy of p[0..n), or NULL after an error */
static char *
msg_dup(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL) {
		mt_err("message: out of memory");
		return NULL;
	}
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* mt_header_insert - add one header before pos */
int
mt_header_insert(struct mt_message *m, size_t pos, const char *name,
    size_t name_len, const char *raw, size_t raw_len)
{
	struct mt_header h = { NULL, NULL }, *nh;
	size_t cap;
	int rc = -1;

	if (m->nhdr >= MT_HEADERS_MAX) {
		mt_err("message: more than %d headers", MT_HEADERS_MAX);
		goto out;
	}
	if (m->nhdr == m->cap) {
		cap = m->cap != 0 ? m->cap * 2 : 32;
		if ((nh = realloc(m->hdr, cap * sizeof *nh)) == NULL) {
			mt_err("message: out of memory");
			goto out;
		}
		m->hdr = nh;
		m->cap = cap;
	}
	if ((h.name = msg_dup(name, name_len)) == NULL ||
	    (h.raw = msg_dup(raw, raw_len)) == NULL)
		goto out;
	if (pos > m->nhdr)
		pos = m->nhdr;
	memmove(m->hdr + pos + 1, m->hdr + pos,
	    (m->nhdr - pos) * sizeof *m->hdr);
	m->hdr[pos] = h;
	m->nhdr++;
	h.name = h.raw = NULL;	/* now owned by m */
	rc = 0;
out:
	free(h.name);
	free(h.raw);
	return rc;
}

/* mt_header_change - replace, delete or append the index-th name header */
int
mt_header_change(struct mt_message *m, uint32_t index, const char *name,
    const char *raw)
{
	size_t i, seen = 0;
	char *copy;

	if (index == 0)
		index = 1;
	for (i = 0; i < m->nhdr; i++)
		if (strcasecmp(m->hdr[i].name, name) == 0 && ++seen == index)
			break;
	if (i == m->nhdr)
		return raw == NULL ? 0 : mt_header_insert(m, m->nhdr, name,
		    strlen(name), raw, strlen(raw));
	if (raw == NULL) {
		free(m->hdr[i].name);
		free(m->hdr[i].raw);
		memmove(m->hdr + i, m->hdr + i + 1,
		    (m->nhdr - i - 1) * sizeof *m->hdr);
		m->nhdr--;
		return 0;
	}
	if ((copy = msg_dup(raw, strlen(raw))) == NULL)
		return -1;
	free(m->hdr[i].raw);
	m->hdr[i].raw = copy;
	return 0;
}

/* msg_continue - append a folded line to the last header, after "\n" */
static int
msg_continue(struct mt_message *m, const char *p, size_t n)
{
	struct mt_header *h = &m->hdr[m->nhdr - 1];
	size_t old = strlen(h->raw), used = strlen(h->name) + 1 + old;
	char *raw;

	if (m->header_limit != 0) {	/* Postfix discards the excess */
		if (used + 1 >= m->header_limit)
			return 0;
		if (used + 1 + n > m->header_limit)
			n = m->header_limit - used - 1;
	}

	if (old + n + 2 > MT_MESSAGE_MAX) {
		mt_err("message: header %s too long", h->name);
		return -1;
	}
	if ((raw = realloc(h->raw, old + n + 2)) == NULL) {
		mt_err("message: out of memory");
		return -1;
	}
	raw[old] = '\n';
	memcpy(raw + old + 1, p, n);
	raw[old + 1 + n] = '\0';
	h->raw = raw;
	return 0;
}

/* msg_header_line - take one line while in the headers: 1 consumed, 0 it
 * ends the headers, -1 error */
static int
msg_header_line(struct mt_message *m, const char *p, size_t n,
    size_t lineno)
{
	size_t i = 0, name_len;

	if (n == 0)
		return 0;
	if (!m->allow_nul && memchr(p, '\0', n) != NULL) {
		mt_err("message: NUL byte in header line %zu", lineno);
		return -1;
	}
	if (p[0] == ' ' || p[0] == '\t') {
		if (m->nhdr == 0)
			return 0;
		return msg_continue(m, p, n) == 0 ? 1 : -1;
	}
	while (i < n && p[i] > ' ' && p[i] < 0x7f && p[i] != ':')
		i++;
	name_len = i;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (name_len == 0 || i == n || p[i] != ':')
		return 0;
	if (m->header_limit != 0 && n > m->header_limit)
		n = m->header_limit > i + 1 ? m->header_limit : i + 1;
	return mt_header_insert(m, m->nhdr, p, name_len, p + i + 1,
	    n - i - 1) == 0 ? 1 : -1;
}

/* msg_parse - split text into headers and CRLF body lines */
static int
msg_parse(struct mt_message *m, const char *p, size_t n)
{
	const char *end = p + n, *lf, *eol;
	bool in_headers = true;
	size_t lineno = 0;
	int r;

	while (p < end) {	/* ends: p advances at least one byte */
		lf = memchr(p, '\n', (size_t)(end - p));
		eol = lf != NULL ? lf : end;
		if (eol > p && eol[-1] == '\r')
			eol--;
		lineno++;
		if (in_headers) {
			if ((r = msg_header_line(m, p, (size_t)(eol - p),
			    lineno)) < 0)
				return -1;
			if (r == 0)
				in_headers = false;
			if (r == 1 || eol == p) {	/* blank separator */
				p = lf != NULL ? lf + 1 : end;
				continue;
			}
		}
		if (mt_buf_append(&m->body, p, (size_t)(eol - p)) != 0 ||
		    mt_buf_append(&m->body, "\r\n", 2) != 0)
			return -1;
		p = lf != NULL ? lf + 1 : end;
	}
	return 0;
}

/* mt_message_read - read and parse the message file */
int
mt_message_read(struct mt_message *m, const char *path)
{
	struct mt_buf text;
	char chunk[MSG_READ_CHUNK];
	bool is_stdin = strcmp(path, "-") == 0;
	int fd = -1, rc = -1;
	ssize_t n;

	mt_buf_init(&text, MT_MESSAGE_MAX, "message file");
	mt_buf_init(&m->body, MT_MESSAGE_MAX, "message body");
	fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		mt_err("%s: %m", path);
		goto out;
	}
	for (;;) {		/* ends: EOF, error or the text limit */
		n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			mt_err("%s: %m", path);
			goto out;
		}
		if (n == 0)
			break;
		if (mt_buf_append(&text, chunk, (size_t)n) != 0)
			goto out;
	}
	rc = msg_parse(m, text.data != NULL ? text.data : "", text.len);
out:
	if (fd >= 0 && !is_stdin)
		close(fd);
	mt_buf_free(&text);
	return rc;
}

/* mt_message_copy_headers - fresh copy of src's headers in dst */
int
mt_message_copy_headers(struct mt_message *dst, const struct mt_message *src)
{
	size_t i;
	const struct mt_header *h;

	while (dst->nhdr > 0) {
		dst->nhdr--;
		free(dst->hdr[dst->nhdr].name);
		free(dst->hdr[dst->nhdr].raw);
	}
	for (i = 0; i < src->nhdr; i++) {
		h = &src->hdr[i];
		if (mt_header_insert(dst, dst->nhdr, h->name, strlen(h->name),
		    h->raw, strlen(h->raw)) != 0)
			return -1;
	}
	return 0;
}

/* msg_put_lf - write CRLF text with LF line ends */
static void
msg_put_lf(FILE *f, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!(p[i] == '\r' && i + 1 < n && p[i + 1] == '\n'))
			putc(p[i], f);
}

/* mt_message_write - the edited message, for tests to inspect */
int
mt_message_write(const struct mt_message *m, const struct mt_buf *body,
    const char *path)
{
	FILE *f = NULL;
	size_t i;
	int rc = -1;

	if (body == NULL)
		body = &m->body;
	if ((f = fopen(path, "we")) == NULL) {
		mt_err("%s: %m", path);
		goto out;
	}
	for (i = 0; i < m->nhdr; i++)
		fprintf(f, "%s:%s\n", m->hdr[i].name, m->hdr[i].raw);
	putc('\n', f);
	msg_put_lf(f, body->data, body->len);
	if (ferror(f) != 0) {
		mt_err("%s: write error", path);
		goto out;
	}
	rc = 0;
out:
	if (f != NULL && fclose(f) != 0 && rc == 0) {
		mt_err("%s: %m", path);
		rc = -1;
	}
	return rc;
}

/* mt_message_free - release headers and body */
void
mt_message_free(struct mt_message *m)
{
	while (m->nhdr > 0) {
		m->nhdr--;
		free(m->hdr[m->nhdr].name);
		free(m->hdr[m->nhdr].raw);
	}
	free(m->hdr);
	m->hdr = NULL;
	m->cap = 0;
	mt_buf_free(&m->body);
}
