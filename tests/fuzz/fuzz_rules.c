/*
 * tests/fuzz/fuzz_rules.c - policy/rules_parse + rules_lex: the rules-file
 * parser (the rule language of conf/rules.example). Input: the text of a
 * rules file, compiled through ag_rules_parse_text(), the in-memory
 * form of ag_rules_parse_file() (a NUL ends the text, as the file
 * reader refuses NUL bytes).
 * Checked beyond "no crash": compiling the same text into two fresh rule
 * sets gives the same answer, the same error text, the same rule count
 * and needs; an error always carries a message; a success keeps at most
 * AG_RULES_MAX_RULES rules, and evaluating it against empty facts (no
 * DNS) ends with an action the engine can name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* rules_once - compile text into a new rule set */
static int
rules_once(const char *text, struct ag_rules **r_r, struct ag_err *err)
{
	if (ag_rules_new(r_r) != AG_OK)
		abort();
	return ag_rules_parse_text(*r_r, text, "fuzz.rules", err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ag_rules_result res;
	struct ag_rules *a = NULL, *b = NULL;
	struct ag_err ea = { 0, "" }, eb = { 0, "" };
	struct ag_facts f;
	char *text;
	int ra, rb;

	if (size > 16384 || (text = malloc(size + 1)) == NULL)
		return 0;	/* bigger files add nothing but time */
	memcpy(text, data, size);
	text[size] = '\0';
	ra = rules_once(text, &a, &ea);
	rb = rules_once(text, &b, &eb);
	if (ra != rb || strcmp(ea.msg, eb.msg) != 0)
		abort();
	if (ra != AG_OK && ea.msg[0] == '\0')
		abort();
	if (ag_rules_count(a) != ag_rules_count(b) ||
	    ag_rules_needs(a) != ag_rules_needs(b) ||
	    ag_rules_count(a) > AG_RULES_MAX_RULES)
		abort();
	if (ra == AG_OK) {
		memset(&f, 0, sizeof(f));
		ag_rules_eval(a, &f, NULL, &res);
		if (ag_rules_action_name(res.action) == NULL ||
		    res.nhits > AG_RULES_MAX_HITS ||
		    res.nedits > AG_RULES_MAX_EDITS)
			abort();
	}
	ag_rules_free(&a);
	ag_rules_free(&b);
	free(text);
	return 0;
}
