/*
 * policy/rules_lex.h - tokens of the rules language, with line and column
 * Use:     ag_lex_init() over a text, ag_lex_peek()/ag_lex_next(); the
 *          token text is valid until the next call. ag_lex_item() reads one
 *          list entry (addresses and networks are not words).
 * Owns:    its token buffer (ag_lex_done() frees it).
 * Limits:  AG_LEX_TOKEN_MAX bytes per token.
 */
#ifndef AG_POLICY_RULES_LEX_H
#define AG_POLICY_RULES_LEX_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

#define AG_LEX_TOKEN_MAX 65536

enum tok_type {
	T_EOF,
	T_WORD,		/* name, keyword, number, 5.7.1 */
	T_STRING,	/* "..." with \" \\ \n \t */
	T_REGEX,	/* /.../flags: text is the pattern, flags apart */
	T_LISTREF,	/* @name: text is the name */
	T_PUNCT,	/* { } ( ) , ; == != =~ !~ < <= > >= - */
	T_ERROR		/* text is the message */
};

struct tok {
	enum tok_type type;
	char *text;
	size_t len;
	char flags[8];	/* regex flags */
	unsigned line, col;
};

struct lex {
	const char *origin;
	const char *p, *end;
	unsigned line, col;
	struct tok tok;
	bool peeked;
	char *buf;
	size_t cap;
};

void ag_lex_init(struct lex *lx, const char *origin, const char *text,
		 size_t len);
void ag_lex_done(struct lex *lx);
const struct tok *ag_lex_peek(struct lex *lx);
const struct tok *ag_lex_next(struct lex *lx);
/* ag_lex_item - a quoted string, or a run of anything but space, ',', '{',
 * '}', '#'; T_PUNCT "}" at the end of a list */
const struct tok *ag_lex_item(struct lex *lx);
/* ag_lex_is - the token is punctuation or a word equal to s */
bool ag_lex_is(const struct tok *t, const char *s);

#endif
