/*
 * tests/tools/mtclient/buf.c - bounded buffers, errors and escaped output
 * (part of mtclient, included by mtclient.c; interface in mtclient.h)
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtclient.h"

/* mt_err - one diagnostic line on stderr */
void
mt_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);		/* event lines first, then the error */
	fputs("mtclient: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* mt_buf_init - empty buffer that may hold at most max bytes */
void
mt_buf_init(struct mt_buf *b, size_t max, const char *what)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
	b->what = what;
}

/* buf_reserve - make room for n more bytes plus the trailing NUL */
static int
buf_reserve(struct mt_buf *b, size_t n)
{
	size_t cap;
	char *p;

	if (n > b->max - b->len) {
		mt_err("%s: over the limit of %zu bytes", b->what, b->max);
		return -1;
	}
	if (b->len + n < b->cap)
		return 0;
	cap = b->cap != 0 ? b->cap : 256;
	while (cap <= b->len + n)	/* ends: cap doubles up to max + 1 */
		cap = cap > b->max / 2 ? b->max + 1 : cap * 2;
	if ((p = realloc(b->data, cap)) == NULL) {
		mt_err("%s: out of memory", b->what);
		return -1;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

/* mt_buf_append - append n bytes */
int
mt_buf_append(struct mt_buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) != 0)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

/* mt_buf_append_str - append a string with its NUL */
int
mt_buf_append_str(struct mt_buf *b, const char *s)
{
	return mt_buf_append(b, s, strlen(s) + 1);
}

/* mt_buf_resize - grow or shrink len to n */
int
mt_buf_resize(struct mt_buf *b, size_t n)
{
	if (n > b->len && buf_reserve(b, n - b->len) != 0)
		return -1;
	if (b->data == NULL && buf_reserve(b, 0) != 0)
		return -1;
	b->len = n;
	b->data[n] = '\0';
	return 0;
}

/* mt_buf_reset - forget the contents, keep the memory */
void
mt_buf_reset(struct mt_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

/* mt_buf_free - release the memory; the buffer can be used again */
void
mt_buf_free(struct mt_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

/* mt_put_escaped - one value, escaped so that an event stays one line */
void
mt_put_escaped(const char *p, size_t n, bool quoted)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)p[i];
		if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\r')
			fputs("\\r", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c == '\\' || c == '"')
			printf("\\%c", c);
		else if (c < 0x20 || c > 0x7e || (c == ' ' && !quoted))
			printf("\\x%02x", c);
		else
			putchar(c);
	}
}

/* mt_put_quoted - ` key="value"` */
void
mt_put_quoted(const char *key, const char *p, size_t n)
{
	printf(" %s=\"", key);
	mt_put_escaped(p, n, true);
	putchar('"');
}
