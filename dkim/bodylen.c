/*
 * dkim/bodylen.c - the canonical length of a streamed body, both
 * canonicalizations (RFC 6376 3.4.3 simple, 3.4.4 relaxed), counted
 * without keeping the body: tells whether content follows a signature's
 * l= length (dkim/verify.c). Input: body bytes with CRLF line ends.
 */
#include "dkim/dkim_int.h"

/* ag_dkim_blen_byte - one body byte (CRLF already made) into the length counts */
void
ag_dkim_blen_byte(struct ag_dkim_blen *b, unsigned char c)
{
	if (c == '\r' && !b->cr) {
		b->cr = true;
		return;
	}
	if (b->cr && c == '\n') {	/* end of line */
		b->cr = false;
		if (b->line_s == 0)
			b->empty_s++;
		else {
			b->simple += 2 * b->empty_s + b->line_s + 2;
			b->empty_s = 0;
		}
		if (b->line_r == 0)
			b->empty_r++;
		else {
			b->relaxed += 2 * b->empty_r + b->line_r + 2;
			b->empty_r = 0;
		}
		b->line_s = b->line_r = 0;
		b->wsp = false;
		return;
	}
	if (b->cr) {			/* a CR that is no line end */
		b->cr = false;
		ag_dkim_blen_byte(b, 'x');
		if (c == '\r') {
			b->cr = true;
			return;
		}
	}
	b->line_s++;
	if (c == ' ' || c == '\t') {
		b->wsp = true;
	} else {
		b->line_r += b->wsp ? 2 : 1;
		b->wsp = false;
	}
}

/* ag_dkim_blen_total - the canonical body length at end of body */
uint64_t
ag_dkim_blen_total(const struct ag_dkim_blen *b, bool relaxed)
{
	uint64_t line_s = b->line_s + (b->cr ? 1 : 0);
	uint64_t line_r = b->line_r + (b->cr ? (b->wsp ? 2 : 1) : 0);

	if (relaxed)	/* RFC 6376 3.4.4: an empty body stays empty */
		return line_r > 0 ? b->relaxed + 2 * b->empty_r + line_r + 2
				  : b->relaxed;
	/* RFC 6376 3.4.3: a missing final CRLF is added; empty is CRLF */
	if (line_s > 0)
		return b->simple + 2 * b->empty_s + line_s + 2;
	return b->simple > 0 ? b->simple : 2;
}
