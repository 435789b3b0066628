/*
 * report/escape.c - escaping for HTML, CSV, JSON and the terminal
 */
#include "report/escape.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define REPLACEMENT "\xef\xbf\xbd"	/* U+FFFD in UTF-8 */

/*
 * utf8_next - length of the valid UTF-8 sequence at s and its code point
 * in *cp; 0 when s does not start one (stray continuation byte,
 * overlong form, surrogate, past U+10FFFF, cut short)
 */
static size_t
utf8_next(const unsigned char *s, uint32_t *cp)
{
	size_t n;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2; c = s[0] & 0x1f; min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3; c = s[0] & 0x0f; min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4; c = s[0] & 0x07; min = 0x10000;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

void
ag_esc_html(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		uint32_t cp;
		size_t n = utf8_next(p, &cp);

		if (n == 0 || (cp < 0x20 && cp != '\t' && cp != '\n') ||
		    cp == 0x7f) {
			fputs(REPLACEMENT, f);
			p += n == 0 ? 1 : n;
			continue;
		}
		switch (cp) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fwrite(p, 1, n, f); break;
		}
		p += n;
	}
}

void
ag_esc_csv(FILE *f, const char *s)
{
	size_t len = strlen(s);
	/* report text comes from strangers: a cell a spreadsheet would
	 * run as a formula gets a leading apostrophe (a lone "-" is our
	 * "none" and stays) */
	bool formula = len > 0 && strchr("=+@\t\r", s[0]) != NULL;
	bool quote;

	formula = formula || (len > 1 && s[0] == '-');
	quote = formula || strpbrk(s, ",\"\r\n") != NULL ||
		(len > 0 && (s[0] == ' ' || s[len - 1] == ' '));
	if (!quote) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	if (formula)
		fputc('\'', f);
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '"')
			fputc('"', f);
		fputc(*p, f);
	}
	fputc('"', f);
}

void
ag_esc_json(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	while (*p != '\0') {
		uint32_t cp;
		size_t n = utf8_next(p, &cp);

		if (n == 0) {
			fputs(REPLACEMENT, f);
			p++;
			continue;
		}
		if (cp == '"' || cp == '\\')
			fprintf(f, "\\%c", (int)cp);
		else if (cp == '\n')
			fputs("\\n", f);
		else if (cp == '\r')
			fputs("\\r", f);
		else if (cp == '\t')
			fputs("\\t", f);
		else if (cp < 0x20 || cp == 0x7f)
			fprintf(f, "\\u%04x", (unsigned)cp);
		else
			fwrite(p, 1, n, f);
		p += n;
	}
	fputc('"', f);
}

size_t
ag_esc_term(char *out, size_t outsz, const char *s, size_t width)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, chars = 0;

	if (outsz == 0)
		return 0;
	while (*p != '\0' && chars < width) {
		uint32_t cp;
		size_t n = utf8_next(p, &cp);
		bool cut = chars + 1 == width && p[n == 0 ? 1 : n] != '\0';

		if (cut || o + 4 >= outsz) {
			if (o + 1 < outsz) {
				out[o++] = '~';
				chars++;
			}
			break;
		}
		if (n == 0 || cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
			out[o++] = '?';
			p += n == 0 ? 1 : n;
		} else {
			memcpy(out + o, p, n);
			o += n;
			p += n;
		}
		chars++;
	}
	out[o] = '\0';
	return chars;
}
