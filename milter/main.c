/*
 * milter/main.c - authgate: options, start-up, signals, reload, stop
 *
 * Signals: libmilter's own signal thread stops the filter on SIGHUP (the
 * trap OpenDKIM and OpenDMARC fell into). So smfi_main() runs in a thread
 * of its own, started with HUP/TERM/INT blocked: libmilter's signal thread
 * inherits that mask, while the main thread keeps them unblocked with
 * handlers that write to a self-pipe. Linux offers a process signal to the
 * main thread first when it does not block it, so reload and stop are
 * ours; main calls smfi_stop() itself on TERM/INT.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "dkim/keygen.h"
#include "milter/callbacks.h"
#include "milter/config.h"
#include "milter/daemon.h"
#include "milter/history.h"
#include "milter/metrics.h"
#include "milter/snapshot.h"
#include "milter/testmode.h"
#include "util/log.h"

#define AUTHGATE_VERSION "0.1.0"
#define DEFAULT_CONFIG "/etc/authgate/authgate.conf"

static int sig_pipe[2] = { -1, -1 };
static volatile sig_atomic_t milter_done;

struct options {
	const char *config;
	int foreground;
	int check_only;
};

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: authgate [-f] [-n] [-V] [-c config]\n"
		    "       authgate --test [-c config] [--ip A] [--helo H] "
		    "[--from S] [--rcpt R]\n"
		    "                       [--auth USER] [--json] message.eml\n"
		    "       authgate keygen -d DOMAIN -s SELECTOR "
		    "[-a rsa|ed25519] [-b BITS] -o KEYFILE\n"
		    "  -c FILE  configuration file (default %s)\n"
		    "  -f       stay in the foreground, log to stderr too\n"
		    "  -n       check the configuration and exit\n"
		    "  -V       print the version and exit\n",
		DEFAULT_CONFIG);
}

/* on_signal - async-signal-safe: only write the signal number */
static void
on_signal(int sig)
{
	unsigned char c = (unsigned char)sig;
	int saved = errno;

	if (write(sig_pipe[1], &c, 1) < 0) {
		/* pipe full: a signal of that kind is already queued */
	}
	errno = saved;
}

static int
setup_signals(void)
{
	struct sigaction sa;

	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGHUP, &sa, NULL) != 0 ||
	    sigaction(SIGTERM, &sa, NULL) != 0 ||
	    sigaction(SIGINT, &sa, NULL) != 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* apply_logging - log settings of a snapshot; -f adds stderr */
static void
apply_logging(const struct ag_config *cfg, int foreground)
{
	ag_log_setup("authgate", cfg->log_level, cfg->log_syslog,
		     cfg->log_facility, cfg->log_stderr || foreground);
}

/* milter_thread - run libmilter's accept loop */
static void *
milter_thread(void *arg)
{
	int *ret = arg;
	unsigned char c = 0;

	*ret = smfi_main();
	milter_done = 1;
	if (write(sig_pipe[1], &c, 1) < 0) {
		/* the main loop also polls milter_done */
	}
	return NULL;
}

/* reload - load the file again; keep the old snapshot on any error */
static void
reload(int foreground)
{
	struct ag_config *cur = ag_snapshot_get(), *next = NULL;
	struct ag_err err = { 0, "" };

	if (ag_config_load(cur->path, &next, &err) != AG_OK) {
		ag_log(AG_LOG_ERR, "reload failed, keeping the running "
		       "configuration: %s", err.msg);
		goto out;
	}
	if (strcmp(next->socket, cur->socket) != 0 ||
	    strcmp(next->user, cur->user) != 0)
		ag_log(AG_LOG_WARNING, "reload: Socket and User changes take "
		       "effect only after a restart");
	apply_logging(next, foreground);
	ag_snapshot_swap(next);
	ag_log(AG_LOG_NOTICE, "configuration reloaded from %s", cur->path);
out:
	ag_config_unref(&cur);
}

/* wait_for_sessions - give in-flight messages time to finish */
static void
wait_for_sessions(unsigned timeout_s)
{
	for (unsigned i = 0; i < timeout_s * 10 && ag_milter_active() > 0; i++)
		usleep(100000);
	if (ag_milter_active() > 0)
		ag_log(AG_LOG_WARNING, "stopping with %u connection(s) open; "
		       "the MTA will apply milter_default_action",
		       ag_milter_active());
}

/* main_loop - wait for signals until stopped */
static void
main_loop(int foreground)
{
	int stopping = 0;

	while (!milter_done) {
		struct pollfd pfd = { sig_pipe[0], POLLIN, 0 };
		unsigned char sig;
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		while (read(sig_pipe[0], &sig, 1) == 1) {
			if (sig == SIGHUP && !stopping) {
				reload(foreground);
			} else if ((sig == SIGTERM || sig == SIGINT) &&
				   !stopping) {
				ag_log(AG_LOG_NOTICE, "stopping on signal %d",
				       sig);
				stopping = 1;
				smfi_stop();
			}
		}
	}
}

static int
parse_options(int argc, char **argv, struct options *o)
{
	int c;

	o->config = DEFAULT_CONFIG;
	while ((c = getopt(argc, argv, "c:fnVh")) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 'f':
			o->foreground = 1;
			break;
		case 'n':
			o->check_only = 1;
			break;
		case 'V':
			printf("authgate %s\n", AUTHGATE_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

/*
 * raise_fd_limit - one descriptor per connection plus DNS sockets: take
 * the hard limit while still root. Debian's libmilter waits with poll(),
 * so descriptors past FD_SETSIZE are fine.
 */
static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			ag_log(AG_LOG_WARNING, "cannot raise the open file "
			       "limit to %llu", (unsigned long long)rl.rlim_max);
	}
}

/* start_milter - register, bind, set permissions, write pidfile, drop */
/* what start_milter() made, so a refused start removes it (and only
 * it: a socket or pidfile of another running instance stays) */
static bool started_socket, started_pidfile;

static int
start_milter(const struct ag_config *cfg, int foreground, struct ag_err *err)
{
	int rc;

	raise_fd_limit();
	if ((rc = ag_daemon_prepare_socket(cfg->socket, err)) != AG_OK)
		return rc;
	if (smfi_register(ag_milter_desc) != MI_SUCCESS)
		return ag_err_set(err, AG_EINTERNAL, "smfi_register failed");
	if (smfi_setconn((char *)cfg->socket) != MI_SUCCESS)
		return ag_err_set(err, AG_EINVAL, "smfi_setconn %s failed",
				  cfg->socket);
	/* libmilter's default backlog (20) overflows when a busy MTA opens
	 * connections in bursts: MilterBacklog, default 256 */
	if (smfi_setbacklog((int)cfg->milter_backlog) != MI_SUCCESS)
		return ag_err_set(err, AG_EINVAL, "smfi_setbacklog %u failed",
				  cfg->milter_backlog);
	(void)smfi_settimeout((int)cfg->milter_timeout_s);
	/* rmsocket false: a live socket was refused above, a stale one
	 * removed */
	if (smfi_opensocket(false) != MI_SUCCESS)
		return ag_err_set(err, AG_EINVAL, "cannot listen on %s (in use "
				  "or not permitted)", cfg->socket);
	started_socket = true;
	if ((rc = ag_daemon_socket_perms(cfg, err)) != AG_OK)
		return rc;
	if (!foreground && (rc = ag_daemon_detach(err)) != AG_OK)
		return rc;
	if ((rc = ag_daemon_pidfile(cfg->pidfile, err)) != AG_OK)
		return rc;
	started_pidfile = cfg->pidfile[0] != '\0';
	if ((rc = ag_milter_history_prepare(cfg, err)) != AG_OK)
		return rc;
	if ((rc = ag_metrics_start(cfg->metrics_listen, err)) != AG_OK)
		return rc;
	if ((rc = ag_daemon_drop_privileges(cfg, err)) != AG_OK)
		return rc;
	/* the store's files belong to User */
	return ag_milter_history_open(cfg, err);
}

/*
 * keygen_main - "authgate keygen": make a signing key and print the DNS
 * record to publish
 */
static int
keygen_main(int argc, char **argv)
{
	const char *domain = NULL, *selector = NULL, *out = NULL;
	enum ag_dkim_alg alg = AG_DKIM_ALG_RSA_SHA256;
	unsigned long bits = 0;
	char txt[4096], line[8192];
	struct ag_err err = { 0, "" };
	int c;

	optind = 1;
	while ((c = getopt(argc, argv, "d:s:a:b:o:")) != -1) {
		switch (c) {
		case 'd':
			domain = optarg;
			break;
		case 's':
			selector = optarg;
			break;
		case 'a':
			if (strcmp(optarg, "ed25519") == 0)
				alg = AG_DKIM_ALG_ED25519_SHA256;
			else if (strcmp(optarg, "rsa") != 0)
				goto usage;
			break;
		case 'b':
			bits = strtoul(optarg, NULL, 10);
			break;
		case 'o':
			out = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (domain == NULL || selector == NULL || out == NULL || optind != argc)
		goto usage;
	if (ag_dkim_keygen(alg, (unsigned)bits, out, txt, sizeof(txt),
			   &err) != AG_OK ||
	    ag_dkim_keygen_zone_line(domain, selector, txt, line, sizeof(line),
				     &err) != AG_OK) {
		fprintf(stderr, "authgate keygen: %s\n", err.msg);
		return 1;
	}
	printf("; private key written to %s (mode 0600): chown it to the "
	       "authgate User\n%s\n", out, line);
	return 0;
usage:
	usage(stderr);
	return 64;
}

int
main(int argc, char **argv)
{
	struct options o = { NULL, 0, 0 };
	struct ag_config *cfg = NULL;
	struct ag_err err = { 0, "" };
	pthread_t tid;
	sigset_t block, old;
	int milter_ret = 0, status = 1;

	if (argc > 1 && strcmp(argv[1], "keygen") == 0)
		return keygen_main(argc - 1, argv + 1);
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--test") == 0)
			return ag_testmode_main(argc, argv);
	if (parse_options(argc, argv, &o) != 0)
		return 64;
	umask(027);
	if (ag_config_load(o.config, &cfg, &err) != AG_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return 78;
	}
	if (o.check_only) {
		printf("%s: configuration OK\n", o.config);
		ag_config_unref(&cfg);
		return 0;
	}
	apply_logging(cfg, o.foreground);
	if (setup_signals() != 0) {
		ag_log(AG_LOG_ERR, "cannot set up signal handling");
		goto out;
	}
	if (start_milter(cfg, o.foreground, &err) != AG_OK) {
		ag_log(AG_LOG_ERR, "cannot start: %s", err.msg);
		if (started_pidfile)
			unlink(cfg->pidfile);
		if (started_socket && ag_daemon_socket_path(cfg->socket))
			unlink(ag_daemon_socket_path(cfg->socket));
		goto out;
	}
	ag_snapshot_swap(ag_config_ref(cfg));
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	if (pthread_create(&tid, NULL, milter_thread, &milter_ret) != 0) {
		ag_log(AG_LOG_ERR, "cannot start the milter thread");
		goto out;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	ag_log(AG_LOG_NOTICE, "authgate %s listening on %s as %s",
	       AUTHGATE_VERSION, cfg->socket,
	       cfg->user[0] != '\0' ? cfg->user : "current user");
	main_loop(o.foreground);
	pthread_join(tid, NULL);
	wait_for_sessions(cfg->shutdown_timeout_s);
	ag_metrics_stop();
	ag_milter_history_close();	/* flushes the queue */
	status = milter_ret == MI_SUCCESS ? 0 : 1;
	ag_log(AG_LOG_NOTICE, "stopped");
	if (cfg->pidfile[0] != '\0')
		unlink(cfg->pidfile);
	if (ag_daemon_socket_path(cfg->socket) != NULL)
		unlink(ag_daemon_socket_path(cfg->socket));
out:
	ag_milter_history_close();
	ag_snapshot_clear();
	ag_config_unref(&cfg);
	return status;
}
