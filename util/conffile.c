/*
 * util/conffile.c - "Key value" configuration lexer and list reader
 */
#include "util/conffile.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* conf_strip_comment - cut at a '#' that starts a line or follows WSP */
static void
conf_strip_comment(char *s)
{
	for (char *p = s; *p != '\0'; p++) {
		if (*p == '#' && (p == s || isspace((unsigned char)p[-1]))) {
			*p = '\0';
			return;
		}
	}
}

/* conf_trim - strip leading and trailing whitespace in place */
static char *
conf_trim(char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/*
 * conf_read_line - read one line into buf without its line end; 1 read,
 * 0 at end of file, AG_ELIMIT when the line does not fit, AG_EINVAL when
 * it holds a NUL byte (fgets() would silently cut the line there)
 */
static int
conf_read_line(FILE *fp, char *buf, size_t size)
{
	size_t n = 0;
	int c, nul = 0;

	while ((c = getc(fp)) != EOF && c != '\n') {
		if (c == '\0')
			nul = 1;
		if (n >= AG_CONF_LINE_MAX || n + 1 >= size)
			return AG_ELIMIT;
		buf[n++] = (char)c;
	}
	if (c == EOF && n == 0)
		return 0;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return nul ? AG_EINVAL : 1;
}

typedef int (*conf_line_fn)(void *arg, const struct ag_conf_where *w,
			    char *line, struct ag_err *err);

/*
 * conf_lines - call fn for each non-blank line of path with comments and
 * surrounding whitespace removed; from names where path was given (NULL
 * for the main file) so an unopenable file is reported there
 */
static int
conf_lines(const char *path, const struct ag_conf_where *from,
	   conf_line_fn fn, void *arg, struct ag_err *err)
{
	char buf[AG_CONF_LINE_MAX + 2];
	struct ag_conf_where w = { path, 0 };
	FILE *fp = NULL;
	int rc = AG_OK, got;

	if ((fp = fopen(path, "r")) == NULL) {
		if (from != NULL)
			rc = ag_err_set(err, AG_ENOENT, "%s:%u: cannot open "
					"%s: %s", from->file, from->line, path,
					strerror(errno));
		else
			rc = ag_err_set(err, AG_ENOENT, "%s: cannot open: %s",
					path, strerror(errno));
		goto out;
	}
	while ((got = conf_read_line(fp, buf, sizeof(buf))) == 1) {
		char *line;
		if (++w.line > AG_CONF_LINES_MAX) {
			rc = ag_err_set(err, AG_ELIMIT,
					"%s:%u: more than %u lines", path,
					w.line, AG_CONF_LINES_MAX);
			goto out;
		}
		conf_strip_comment(buf);
		line = conf_trim(buf);
		if (*line != '\0' && (rc = fn(arg, &w, line, err)) != AG_OK)
			goto out;
	}
	if (got == AG_ELIMIT)
		rc = ag_err_set(err, AG_ELIMIT, "%s:%u: line longer than %u",
				path, w.line + 1, AG_CONF_LINE_MAX);
	else if (got == AG_EINVAL)
		rc = ag_err_set(err, AG_EINVAL, "%s:%u: NUL byte in line",
				path, w.line + 1);
	else if (ferror(fp))
		rc = ag_err_set(err, AG_EINVAL, "%s:%u: read error", path,
				w.line + 1);
out:
	if (fp != NULL)
		fclose(fp);
	return rc;
}

struct conf_setting_ctx {
	ag_conf_setting_fn fn;
	void *arg;
};

/* conf_setting_line - split "Key value" and hand it on */
static int
conf_setting_line(void *arg, const struct ag_conf_where *w, char *line,
		  struct ag_err *err)
{
	const struct conf_setting_ctx *ctx = arg;
	char *key = line;

	while (*line != '\0' && (isalnum((unsigned char)*line) ||
				 *line == '_' || *line == '-'))
		line++;
	if (line == key || (*line != '\0' && !isspace((unsigned char)*line)))
		return ag_err_set(err, AG_EINVAL,
				  "%s:%u: expected \"Key value\"", w->file,
				  w->line);
	if (*line != '\0')
		*line++ = '\0';
	return ctx->fn(ctx->arg, w, key, conf_trim(line), err);
}

/* ag_conffile_parse - lex path, one callback per setting */
int
ag_conffile_parse(const char *path, ag_conf_setting_fn fn, void *arg,
		  struct ag_err *err)
{
	struct conf_setting_ctx ctx = { fn, arg };

	return conf_lines(path, NULL, conf_setting_line, &ctx, err);
}

struct conf_item_ctx {
	ag_conf_item_fn fn;
	void *arg;
};

/* conf_item_line - one list entry a line */
static int
conf_item_line(void *arg, const struct ag_conf_where *w, char *line,
	       struct ag_err *err)
{
	const struct conf_item_ctx *ctx = arg;

	return ctx->fn(ctx->arg, w, line, err);
}

/* conflist_file - one item per line of the file named by a list value */
static int
conflist_file(const char *path, const struct ag_conf_where *from,
	      ag_conf_item_fn fn, void *arg, struct ag_err *err)
{
	struct conf_item_ctx ctx = { fn, arg };

	return conf_lines(path, from, conf_item_line, &ctx, err);
}

/* ag_conflist_parse - inline list split at commas and whitespace */
int
ag_conflist_parse(const char *value, const struct ag_conf_where *w,
		  ag_conf_item_fn fn, void *arg, struct ag_err *err)
{
	char item[AG_CONF_ITEM_MAX];
	const char *p = value;
	int rc = AG_OK;

	if (strncmp(value, "file:", 5) == 0)
		return conflist_file(value + 5, w, fn, arg, err);
	while (*p != '\0') {
		size_t n = 0;
		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		while (p[n] != '\0' && p[n] != ',' &&
		       !isspace((unsigned char)p[n]))
			n++;
		if (n >= sizeof(item))
			return ag_err_set(err, AG_ELIMIT,
					  "%s:%u: list item longer than %zu",
					  w->file, w->line, sizeof(item) - 1);
		memcpy(item, p, n);
		item[n] = '\0';
		p += n;
		if ((rc = fn(arg, w, item, err)) != AG_OK)
			break;
	}
	return rc;
}

/* ag_conf_bool - parse a yes/no value */
int
ag_conf_bool(const char *value, int *b_r)
{
	static const char *const yes[] = { "yes", "true", "1", "on" };
	static const char *const no[] = { "no", "false", "0", "off" };

	for (unsigned i = 0; i < 4; i++) {
		if (strcasecmp(value, yes[i]) == 0) {
			*b_r = 1;
			return 0;
		}
		if (strcasecmp(value, no[i]) == 0) {
			*b_r = 0;
			return 0;
		}
	}
	return -1;
}

/* ag_conf_uint - parse a bounded decimal */
int
ag_conf_uint(const char *value, unsigned long min, unsigned long max,
	     unsigned long *n_r)
{
	char *end;
	unsigned long n;

	if (!isdigit((unsigned char)value[0]))
		return -1;
	errno = 0;
	n = strtoul(value, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		return -1;
	*n_r = n;
	return 0;
}

/* ag_conf_duration_ms - parse "N", "Ns", "Nms", "Nm" */
int
ag_conf_duration_ms(const char *value, unsigned long max_ms,
		    unsigned long *ms_r)
{
	char *end;
	unsigned long n, mult;

	if (!isdigit((unsigned char)value[0]))
		return -1;
	errno = 0;
	n = strtoul(value, &end, 10);
	if (errno != 0)
		return -1;
	if (*end == '\0' || strcmp(end, "s") == 0)
		mult = 1000;
	else if (strcmp(end, "ms") == 0)
		mult = 1;
	else if (strcmp(end, "m") == 0)
		mult = 60000;
	else
		return -1;
	if (n > max_ms / mult)
		return -1;
	*ms_r = n * mult;
	return 0;
}
