/*
 * report/escape.h - writing report data (attacker-controlled: anyone can
 * mail us an aggregate report) into HTML, CSV, JSON and a terminal
 * Use:     ag_esc_html() / ag_esc_csv() / ag_esc_json() write one value
 *          to a stream; ag_esc_term() makes a bounded display copy.
 * Owns:    nothing.
 * Threads: reentrant.
 * Text:    input is meant to be UTF-8; a byte that does not start a valid
 *          sequence comes out as U+FFFD (HTML, JSON, terminal) so the
 *          output stays valid whatever was stored.
 */
#ifndef AG_REPORT_ESCAPE_H
#define AG_REPORT_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

/* ag_esc_html - text content or attribute value: & < > " ' as
 * references; control characters but tab and newline as U+FFFD */
void ag_esc_html(FILE *f, const char *s);

/* ag_esc_csv - one field (RFC 4180): quoted, quotes doubled, when it
 * holds a comma, quote, CR or LF, or starts or ends with a space; a
 * value starting with = + - @ (a spreadsheet formula) also gets a
 * leading ' inside the quotes */
void ag_esc_csv(FILE *f, const char *s);

/* ag_esc_json - a JSON string with its quotes (RFC 8259) */
void ag_esc_json(FILE *f, const char *s);

/*
 * ag_esc_term - at most width characters of s into out (outsz bytes),
 * control characters (C0, DEL, C1: escape sequences could drive the
 * terminal) as '?', a cut shown by a final '~'; returns the characters
 * written, for padding
 */
size_t ag_esc_term(char *out, size_t outsz, const char *s, size_t width);

#endif
