/*
 * report/main.c - authgate-report: DMARC aggregate reports out of the
 * history (send) and into the store from others (ingest), and what the
 * stored reports say (summary, html)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "report/cli.h"
#include "report/config.h"

#define DEFAULT_CONFIG "/etc/authgate/authgate.conf"

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: authgate-report [-c CONFIG] [-s STORE] COMMAND [ARGS]\n"
		"  -c CONFIG  authgate.conf (default " DEFAULT_CONFIG ");\n"
		"             its HistoryDB, AuthservID, Nameservers and "
		"Report* keys\n"
		"  -s STORE   the store instead of the config's HistoryDB: an "
		"SQLite file\n"
		"             or a postgresql:// URI\n"
		"commands:\n"
		"  send [--period yesterday|today|week] [--from T --to T] "
		"[--domain D]\n"
		"       [--dry-run DIR]   aggregate reports to the rua= "
		"addresses in the history\n"
		"  ingest FILE...|DIR|-  store reports others sent (XML, "
		".gz, .zip, messages,\n"
		"       mbox, Maildir; - is stdin)\n"
		"  summary [--domain D] [--since T] [--until T] "
		"[--csv|--json] [--no-dns]\n"
		"  html -o DIR [--domain D] [--since T] [--csv] [--json]\n"
		"times T: YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS]Z, @SECONDS, "
		"yesterday, today, -Nd, -Nh\n");
}

int
main(int argc, char **argv)
{
	struct ag_report_config cfg;
	struct ag_report_env env = { .store = NULL };
	struct ag_err err = { 0, "" };
	const char *config = NULL;
	int opt, rc;

	ag_report_config_defaults(&cfg);
	/* "+": options after the command belong to the command */
	while ((opt = getopt(argc, argv, "+c:s:h")) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 's':
			env.store = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	/* the config is optional when the store is given: a compliance
	 * laptop has reports, not a milter */
	rc = ag_report_config_load(&cfg, config != NULL ? config
							: DEFAULT_CONFIG,
				   &err);
	if (rc != AG_OK && (config != NULL || rc != AG_ENOENT)) {
		fprintf(stderr, "authgate-report: %s\n", err.msg);
		return 2;
	}
	if (rc != AG_OK)
		ag_report_config_defaults(&cfg);
	env.config = config != NULL ? config : DEFAULT_CONFIG;
	env.cfg = &cfg;
	if (env.store == NULL) {
		if (rc != AG_OK) {
			fprintf(stderr, "authgate-report: no store: give -s "
				"STORE or -c CONFIG (%s)\n", err.msg);
			return 2;
		}
		if (strcasecmp(cfg.history_db, "none") == 0) {
			fprintf(stderr, "authgate-report: %s: HistoryDB is "
				"none: no store to report from\n", env.config);
			return 2;
		}
		env.store = cfg.history_db;
	}
	argc -= optind;
	argv += optind;
	if (strcmp(argv[0], "send") == 0)
		return ag_report_send(&env, argc, argv);
	if (strcmp(argv[0], "ingest") == 0)
		return ag_report_ingest(&env, argc, argv);
	if (strcmp(argv[0], "summary") == 0)
		return ag_report_summary(&env, argc, argv);
	if (strcmp(argv[0], "html") == 0)
		return ag_report_html(&env, argc, argv);
	fprintf(stderr, "authgate-report: unknown command \"%s\"\n", argv[0]);
	usage(stderr);
	return 2;
}
