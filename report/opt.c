/*
 * report/opt.c - options shared by authgate-report summary and html
 */
#include "report/opt.h"

#include <string.h>

#include "report/cli.h"

void
ag_view_opts_init(struct ag_view_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->filter.since = -1;
	o->filter.until = -1;
}

/* ag_opt_value - "NAME VALUE" or "NAME=VALUE" */
bool
ag_opt_value(int argc, char **argv, int *i, const char *name,
	     const char **val_r)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (strncmp(a, name, n) != 0)
		return false;
	if (a[n] == '=') {
		*val_r = a + n + 1;
		return true;
	}
	if (a[n] != '\0')
		return false;
	if (*i + 1 < argc) {
		(*i)++;
		*val_r = argv[*i];
	} else {
		*val_r = NULL;
	}
	return true;
}

/* ag_view_opt - one of the shared options, or 0 */
int
ag_view_opt(struct ag_view_opts *o, int argc, char **argv, int *i,
	    int64_t now, const char **why_r)
{
	const char *v = NULL;
	int64_t *t = NULL;

	*why_r = "";
	if (strcmp(argv[*i], "--no-dns") == 0) {
		o->no_dns = true;
		return 1;
	}
	if (ag_opt_value(argc, argv, i, "--domain", &v)) {
		if (v == NULL || v[0] == '\0') {
			*why_r = "--domain needs a domain";
			return -1;
		}
		o->filter.domain = v;
		return 1;
	}
	if (ag_opt_value(argc, argv, i, "--dns", &v)) {
		if (v == NULL || !ag_dns_nameserver_valid(v)) {
			*why_r = "--dns needs ADDR or ADDR:PORT";
			return -1;
		}
		if (o->nns >= AG_DNS_MAX_NS) {
			*why_r = "too many --dns nameservers";
			return -1;
		}
		o->ns[o->nns++] = v;
		return 1;
	}
	if (ag_opt_value(argc, argv, i, "--since", &v))
		t = &o->filter.since;
	else if (ag_opt_value(argc, argv, i, "--until", &v))
		t = &o->filter.until;
	else
		return 0;
	if (v == NULL || (*t = ag_report_parse_time(v, now)) < 0) {
		*why_r = "--since/--until need a time (YYYY-MM-DD, "
			 "YYYY-MM-DDTHH:MMZ, @SECONDS, today, yesterday, "
			 "-Nd, -Nh)";
		return -1;
	}
	return 1;
}

int
ag_view_exit(int rc)
{
	if (rc == AG_OK)
		return 0;
	if (rc == AG_ETEMP)
		return 75;
	if (rc == AG_EINVAL)
		return 2;
	return 1;
}
