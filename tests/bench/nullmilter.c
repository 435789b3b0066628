/*
 * tests/bench/nullmilter.c - a libmilter milter that accepts everything
 *
 * Use:     nullmilter -p SOCKET [-T THREADS]
 *          Registers every callback a message passes through (connect,
 *          helo, envelope, headers, body, end of message) and answers
 *          continue to each and accept at the end, with no work in
 *          between: what is left is libmilter's and the protocol's own
 *          cost, the ceiling for any milter on the same machine.
 *          SIGTERM stops it (smfi_stop through libmilter's signal thread).
 * Errors:  exit 1 when libmilter refuses the socket or registration.
 */
#include <libmilter/mfapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static sfsistat
nm_continue_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	(void)ctx; (void)host; (void)sa;
	return SMFIS_CONTINUE;
}

static sfsistat
nm_continue_str(SMFICTX *ctx, char *s)
{
	(void)ctx; (void)s;
	return SMFIS_CONTINUE;
}

static sfsistat
nm_continue_argv(SMFICTX *ctx, char **argv)
{
	(void)ctx; (void)argv;
	return SMFIS_CONTINUE;
}

static sfsistat
nm_continue_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx; (void)name; (void)value;
	return SMFIS_CONTINUE;
}

static sfsistat
nm_continue_ctx(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static sfsistat
nm_continue_body(SMFICTX *ctx, unsigned char *p, size_t n)
{
	(void)ctx; (void)p; (void)n;
	return SMFIS_CONTINUE;
}

static sfsistat
nm_accept(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_ACCEPT;
}

int
main(int argc, char **argv)
{
	struct smfiDesc desc = {
		.xxfi_name = "nullmilter",
		.xxfi_version = SMFI_VERSION,
		.xxfi_flags = 0,
		.xxfi_connect = nm_continue_connect,
		.xxfi_helo = nm_continue_str,
		.xxfi_envfrom = nm_continue_argv,
		.xxfi_envrcpt = nm_continue_argv,
		.xxfi_header = nm_continue_header,
		.xxfi_eoh = nm_continue_ctx,
		.xxfi_body = nm_continue_body,
		.xxfi_eom = nm_accept,
		.xxfi_abort = nm_continue_ctx,
		.xxfi_close = nm_continue_ctx,
		.xxfi_data = nm_continue_ctx,
	};
	const char *sock = NULL;
	int c;

	while ((c = getopt(argc, argv, "p:")) != -1) {
		if (c == 'p')
			sock = optarg;
		else
			sock = NULL, optind = argc + 1;
	}
	if (sock == NULL || optind > argc) {
		fprintf(stderr, "usage: nullmilter -p SOCKET\n");
		return 1;
	}
	if (smfi_setconn((char *)sock) == MI_FAILURE ||
	    smfi_setbacklog(128) == MI_FAILURE ||
	    smfi_register(desc) == MI_FAILURE) {
		fprintf(stderr, "nullmilter: cannot use %s\n", sock);
		return 1;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
