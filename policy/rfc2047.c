/*
 * policy/rfc2047.c - unfold and decode header text (RFC 2047, RFC 5322
 * 2.2.3) into UTF-8
 */
#include "policy/rfc2047.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* ascii_copy - bytes as they are, non-ASCII as '?' */
static size_t
ascii_copy(const char *in, size_t len, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < size; i++)
		out[o++] = (unsigned char)in[i] < 0x80 && in[i] != '\0' ? in[i]
									  : '?';
	out[o] = '\0';
	return o;
}

size_t
ag_charset_to_utf8(const char *charset, const char *in, size_t len,
		   char *out, size_t size)
{
	char *ip = (char *)in, *op = out;
	size_t il = len, ol;
	iconv_t cd;

	if (size == 0)
		return 0;
	if (charset == NULL || *charset == '\0' ||
	    strcasecmp(charset, "us-ascii") == 0)
		charset = "UTF-8";	/* 8-bit bytes are most often UTF-8 */
	cd = iconv_open("UTF-8", charset);
	if (cd == (iconv_t)-1)
		return ascii_copy(in, len, out, size);
	ol = size - 1;
	while (il > 0 && ol > 0) {
		if (iconv(cd, &ip, &il, &op, &ol) != (size_t)-1)
			break;
		if (errno == E2BIG)
			break;
		/* EILSEQ or EINVAL: one byte that does not convert; iconv
		 * may have filled the room before it stopped */
		if (ol == 0)
			break;
		*op++ = '?';
		ol--;
		ip++;
		il--;
	}
	iconv_close(cd);
	*op = '\0';
	/* a decoded NUL would end the text early for every reader */
	for (char *q = out; q < op; q++)
		if (*q == '\0')
			*q = '?';
	return (size_t)(op - out);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* word - one encoded-word at in (starts "=?"); its decoded UTF-8 into
 * out; returns the bytes of input used, 0 when it is not a valid word */
static size_t
word(const char *in, size_t len, char *out, size_t size, size_t *olen)
{
	char charset[64], bytes[512];
	const char *p = in + 2, *end = in + len, *q, *text;
	size_t n, nb = 0;
	char enc;

	/* =?charset?E?text?= ; a word is at most 75 bytes, accept more
	 * for robustness but bound the work */
	if ((q = memchr(p, '?', (size_t)(end - p))) == NULL ||
	    (size_t)(q - p) >= sizeof(charset) || q == p)
		return 0;
	memcpy(charset, p, (size_t)(q - p));
	charset[q - p] = '\0';
	if (strchr(charset, '*') != NULL)
		*strchr(charset, '*') = '\0';	/* RFC 2231 language */
	if (q + 3 > end || q[2] != '?')
		return 0;
	enc = (char)toupper((unsigned char)q[1]);
	if (enc != 'B' && enc != 'Q')
		return 0;
	text = q + 3;
	for (q = text; q + 1 < end && !(q[0] == '?' && q[1] == '='); q++)
		if (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n' ||
		    q - text > 1000)
			return 0;
	if (q + 1 >= end)
		return 0;
	n = (size_t)(q - text);
	if (enc == 'Q') {
		for (size_t i = 0; i < n && nb < sizeof(bytes); i++) {
			if (text[i] == '_') {
				bytes[nb++] = ' ';
			} else if (text[i] == '=' && i + 2 < n &&
				   hexval((unsigned char)text[i + 1]) >= 0 &&
				   hexval((unsigned char)text[i + 2]) >= 0) {
				bytes[nb++] = (char)(hexval((unsigned char)text[i + 1]) * 16 +
						     hexval((unsigned char)text[i + 2]));
				i += 2;
			} else {
				bytes[nb++] = text[i];
			}
		}
	} else {
		unsigned acc = 0, bits = 0;

		for (size_t i = 0; i < n && nb < sizeof(bytes); i++) {
			int v = b64val((unsigned char)text[i]);

			if (v < 0)
				continue;	/* padding, junk */
			acc = (acc << 6) | (unsigned)v;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				bytes[nb++] = (char)((acc >> bits) & 0xff);
			}
		}
	}
	*olen = ag_charset_to_utf8(charset, bytes, nb, out, size);
	return (size_t)(q + 2 - in);
}

size_t
ag_rfc2047_decode(const char *in, size_t inlen, char *out, size_t size)
{
	size_t o = 0, i = 0, pending_ws = 0;
	const char *ws = NULL;
	bool last_word = false;

	if (size == 0)
		return 0;
	while (i < inlen && o + 1 < size) {
		char c = in[i];

		if (c == '\r' || c == '\n') {
			i++;	/* unfold: the line break goes, the WSP stays */
			continue;
		}
		if (c == ' ' || c == '\t') {
			if (pending_ws == 0)
				ws = in + i;
			pending_ws++;
			i++;
			continue;
		}
		if (c == '=' && i + 1 < inlen && in[i + 1] == '?') {
			size_t wl = 0, used, keep = o;

			/* space between two words goes (RFC 2047 6.2), the
			 * space before the first stays */
			for (size_t k = 0; !last_word && k < pending_ws &&
					   o + 1 < size;
			     k++)
				out[o++] = ws[k];
			used = word(in + i, inlen - i, out + o, size - o, &wl);
			if (used > 0) {
				o += wl;
				i += used;
				pending_ws = 0;
				last_word = true;
				continue;
			}
			o = keep;
		}
		/* ordinary text: flush the space before it */
		for (size_t k = 0; k < pending_ws && o + 1 < size; k++)
			out[o++] = ws[k];
		pending_ws = 0;
		last_word = false;
		if (o + 1 < size)
			out[o++] = c;
		i++;
	}
	for (size_t k = 0; k < pending_ws && o + 1 < size; k++)
		out[o++] = ws[k];
	out[o] = '\0';
	return o;
}
