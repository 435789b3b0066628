/*
 * policy/rules_lex.c - split a rules file into tokens
 */
#include "policy/rules_lex.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void
ag_lex_init(struct lex *lx, const char *origin, const char *text, size_t len)
{
	memset(lx, 0, sizeof(*lx));
	lx->origin = origin;
	lx->p = text;
	lx->end = text + len;
	lx->line = 1;
	lx->col = 1;
}

void
ag_lex_done(struct lex *lx)
{
	free(lx->buf);
	lx->buf = NULL;
	lx->cap = 0;
}

/* adv - consume one byte, keeping line and column */
static void
adv(struct lex *lx)
{
	if (*lx->p == '\n') {
		lx->line++;
		lx->col = 1;
	} else {
		lx->col++;
	}
	lx->p++;
}

/* put - append c to the token text; false past AG_LEX_TOKEN_MAX */
static bool
put(struct lex *lx, char c)
{
	if (lx->tok.len + 1 >= lx->cap) {
		size_t cap = lx->cap ? lx->cap * 2 : 256;
		char *b;

		if (cap > AG_LEX_TOKEN_MAX + 1)
			return false;
		if ((b = realloc(lx->buf, cap)) == NULL)
			return false;
		lx->buf = b;
		lx->cap = cap;
		lx->tok.text = b;
	}
	lx->buf[lx->tok.len++] = c;
	lx->buf[lx->tok.len] = '\0';
	return true;
}

/* skip - spaces and # comments */
static void
skip(struct lex *lx)
{
	while (lx->p < lx->end) {
		if (*lx->p == '#') {
			while (lx->p < lx->end && *lx->p != '\n')
				adv(lx);
		} else if (isspace((unsigned char)*lx->p)) {
			adv(lx);
		} else {
			break;
		}
	}
}

static const struct tok *
error(struct lex *lx, const char *msg)
{
	lx->tok.type = T_ERROR;
	lx->tok.len = 0;
	for (; *msg != '\0'; msg++)
		if (!put(lx, *msg))
			break;
	if (lx->tok.len == 0)
		lx->tok.text = (char *)"token too long or out of memory";
	return &lx->tok;
}

/* start - a new token at the current position */
static void
start(struct lex *lx, enum tok_type type)
{
	lx->tok.type = type;
	lx->tok.len = 0;
	lx->tok.flags[0] = '\0';
	lx->tok.line = lx->line;
	lx->tok.col = lx->col;
	if (!put(lx, 'x'))
		lx->tok.text = (char *)"";
	lx->tok.len = 0;
	if (lx->buf != NULL)
		lx->buf[0] = '\0';
}

static const struct tok *
lex_string(struct lex *lx)
{
	adv(lx);	/* the opening quote */
	for (;;) {
		char c;

		if (lx->p >= lx->end || *lx->p == '\n')
			return error(lx, "string not closed on this line");
		c = *lx->p;
		adv(lx);
		if (c == '"')
			return &lx->tok;
		if (c == '\\') {
			if (lx->p >= lx->end)
				return error(lx, "string not closed");
			c = *lx->p;
			adv(lx);
			if (c == 'n')
				c = '\n';
			else if (c == 't')
				c = '\t';
			else if (c != '"' && c != '\\')
				return error(lx, "unknown escape in string "
					     "(use \\\" \\\\ \\n \\t)");
		}
		if (c == '\0')
			return error(lx, "NUL byte in string");
		if (!put(lx, c))
			return error(lx, "string too long");
	}
}

static const struct tok *
lex_regex(struct lex *lx)
{
	size_t nf = 0;

	adv(lx);	/* the opening slash */
	for (;;) {
		char c;

		if (lx->p >= lx->end || *lx->p == '\n')
			return error(lx, "regular expression not closed with "
				     "/ on this line");
		c = *lx->p;
		adv(lx);
		if (c == '/')
			break;
		if (c == '\\' && lx->p < lx->end && *lx->p == '/') {
			/* \/ is a slash in the pattern */
			c = '/';
			adv(lx);
		} else if (c == '\\' && lx->p < lx->end && *lx->p != '\n') {
			if (!put(lx, c))
				return error(lx, "regular expression too long");
			c = *lx->p;
			adv(lx);
		}
		if (c == '\0')
			return error(lx, "NUL byte in regular expression");
		if (!put(lx, c))
			return error(lx, "regular expression too long");
	}
	while (lx->p < lx->end && isalpha((unsigned char)*lx->p)) {
		if (strchr("imsx", *lx->p) == NULL || nf + 1 >=
							   sizeof(lx->tok.flags))
			return error(lx, "unknown regular expression flag "
				     "(use i, m, s, x)");
		lx->tok.flags[nf++] = *lx->p;
		lx->tok.flags[nf] = '\0';
		adv(lx);
	}
	return &lx->tok;
}

static bool
word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-' ||
	       c == ':';
}

static const struct tok *
lex_token(struct lex *lx)
{
	char c;

	skip(lx);
	if (lx->p >= lx->end) {
		start(lx, T_EOF);
		return &lx->tok;
	}
	c = *lx->p;
	if (c == '"') {
		start(lx, T_STRING);
		return lex_string(lx);
	}
	if (c == '/') {
		start(lx, T_REGEX);
		return lex_regex(lx);
	}
	if (c == '@') {
		start(lx, T_LISTREF);
		adv(lx);
		while (lx->p < lx->end && word_char(*lx->p)) {
			if (!put(lx, *lx->p))
				return error(lx, "name too long");
			adv(lx);
		}
		if (lx->tok.len == 0)
			return error(lx, "a list name must follow @");
		return &lx->tok;
	}
	if (isalnum((unsigned char)c) || c == '_' ||
	    (c == '-' && lx->p + 1 < lx->end &&
	     isdigit((unsigned char)lx->p[1]))) {
		start(lx, T_WORD);
		do {
			if (!put(lx, *lx->p))
				return error(lx, "word too long");
			adv(lx);
		} while (lx->p < lx->end && word_char(*lx->p));
		return &lx->tok;
	}
	start(lx, T_PUNCT);
	if (lx->p + 1 < lx->end) {
		char two[3] = { c, lx->p[1], '\0' };

		if (strcmp(two, "==") == 0 || strcmp(two, "!=") == 0 ||
		    strcmp(two, "=~") == 0 || strcmp(two, "!~") == 0 ||
		    strcmp(two, "<=") == 0 || strcmp(two, ">=") == 0) {
			put(lx, two[0]);
			put(lx, two[1]);
			adv(lx);
			adv(lx);
			return &lx->tok;
		}
	}
	if (strchr("{}(),;<>-", c) == NULL || c == '\0')
		return error(lx, "unexpected character");
	put(lx, c);
	adv(lx);
	return &lx->tok;
}

const struct tok *
ag_lex_peek(struct lex *lx)
{
	if (!lx->peeked) {
		lex_token(lx);
		lx->peeked = true;
	}
	return &lx->tok;
}

const struct tok *
ag_lex_next(struct lex *lx)
{
	if (lx->peeked) {
		lx->peeked = false;
		return &lx->tok;
	}
	return lex_token(lx);
}

const struct tok *
ag_lex_item(struct lex *lx)
{
	if (lx->peeked) {
		/* a peeked word or string is a whole item already */
		lx->peeked = false;
		return &lx->tok;
	}
	for (;;) {
		skip(lx);
		if (lx->p < lx->end && *lx->p == ',')
			adv(lx);
		else
			break;
	}
	if (lx->p >= lx->end) {
		start(lx, T_EOF);
		return &lx->tok;
	}
	if (*lx->p == '"') {
		start(lx, T_STRING);
		return lex_string(lx);
	}
	if (*lx->p == '}' || *lx->p == '{') {
		start(lx, T_PUNCT);
		put(lx, *lx->p);
		adv(lx);
		return &lx->tok;
	}
	start(lx, T_WORD);
	while (lx->p < lx->end && !isspace((unsigned char)*lx->p) &&
	       strchr(",{}#\"", *lx->p) == NULL) {
		if (!put(lx, *lx->p))
			return error(lx, "list entry too long");
		adv(lx);
	}
	return &lx->tok;
}

bool
ag_lex_is(const struct tok *t, const char *s)
{
	return (t->type == T_PUNCT || t->type == T_WORD) &&
	       strcmp(t->text, s) == 0;
}
