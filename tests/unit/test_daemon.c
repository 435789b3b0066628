/*
 * tests/unit/test_daemon.c - milter/daemon: unix socket paths; preparing
 * the socket (stale removed; live, non-socket, over-long refused and
 * kept); socket permissions; the pidfile (pid and newline, no symlinks,
 * errors named); the checks drop_privileges makes before changing ids.
 *
 * Each table row is one labelled case; a failure prints
 * "case <label>: got <x>, want <y>". Files live in a mkdtemp() directory
 * under $TMPDIR (or /tmp), removed at the end. The test process never
 * drops privileges: as root it calls ag_daemon_drop_privileges() only
 * where it must fail before setresuid(); checks that need a non-root
 * process run in a forked child that becomes "nobody" (as_nobody()).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "milter/daemon.h"

#define PATH_MAX_T 512

static char tmpdir[PATH_MAX_T / 2];

/* tpath - a name inside the test directory */
static const char *
tpath(char *buf, size_t size, const char *name)
{
	if (snprintf(buf, size, "%s/%s", tmpdir, name) >= (int)size)
		fail_msg("case test path: got too long, want under %zu", size);
	return buf;
}

/* rm_one - nftw callback: remove one entry, children first */
static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup_dir(void **state)
{
	const char *dir = getenv("TMPDIR");

	(void)state;
	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	snprintf(tmpdir, sizeof(tmpdir), "%s/ag_daemon_XXXXXX", dir);
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	/* traversable, so a child running as nobody reaches its files */
	return chmod(tmpdir, 0711);
}

static int
teardown_dir(void **state)
{
	(void)state;
	(void)nftw(tmpdir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* as_nobody - run check in a process without root; its return value
 * (0 good) comes back. As root that process is a forked child that drops
 * to nobody; the test process itself never changes its ids. */
static int
as_nobody(int (*check)(void))
{
	struct passwd *pw;
	pid_t pid;
	int status;

	if (geteuid() != 0)
		return check();
	pw = getpwnam("nobody");
	assert_non_null(pw);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) != 0 ||
		    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
		    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0) {
			fprintf(stderr, "case child: got no privilege drop, "
				"want nobody\n");
			_exit(2);
		}
		_exit(check() == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 3;
}

/* ------------------------------------------------------------------ */
/* ag_daemon_socket_path                                               */

struct path_case {
	const char *label;
	const char *spec;
	const char *want;	/* NULL: not a unix socket */
};

static const struct path_case path_good[] = {
	{ "unix absolute", "unix:/run/authgate/authgate.sock",
	  "/run/authgate/authgate.sock" },
	{ "local absolute", "local:/var/run/a.sock", "/var/run/a.sock" },
	{ "unix relative", "unix:var/a.sock", "var/a.sock" },
	{ "unix with colon and at in path", "unix:/run/a:1@b",
	  "/run/a:1@b" },
	{ "unix empty path", "unix:", "" },
};

static const struct path_case path_bad[] = {
	{ "inet", "inet:8891@127.0.0.1", NULL },
	{ "inet6", "inet6:8891@::1", NULL },
	{ "empty", "", NULL },
	{ "bare path", "/run/a.sock", NULL },
	{ "upper-case scheme (config refuses it too)", "UNIX:/run/a", NULL },
	{ "scheme without colon", "unix/run/a", NULL },
	{ "longer scheme", "unixx:/run/a", NULL },
	{ "leading space", " unix:/run/a", NULL },
	{ "unix inside inet", "inet:unix:/run/a", NULL },
};

static unsigned
path_table(const struct path_case *t, size_t n)
{
	unsigned failed = 0;

	for (size_t i = 0; i < n; i++) {
		const char *got = ag_daemon_socket_path(t[i].spec);

		if ((got == NULL) != (t[i].want == NULL) ||
		    (got != NULL && strcmp(got, t[i].want) != 0)) {
			print_error("case %s: got '%s', want '%s'\n",
				    t[i].label, got ? got : "(null)",
				    t[i].want ? t[i].want : "(null)");
			failed++;
		}
	}
	return failed;
}

static void
test_daemon_socket_path_unix(void **state)
{
	(void)state;
	assert_int_equal(path_table(path_good, sizeof(path_good) /
						       sizeof(path_good[0])),
			 0);
}

static void
test_daemon_socket_path_not_unix(void **state)
{
	(void)state;
	assert_int_equal(path_table(path_bad, sizeof(path_bad) /
						      sizeof(path_bad[0])),
			 0);
}

/* ------------------------------------------------------------------ */
/* ag_daemon_prepare_socket                                            */

/* unix_socket - a socket bound at path; listening or closed (stale) */
static int
unix_socket(const char *path, bool listening)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	assert_true(strlen(path) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, strlen(path) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	if (listening) {
		assert_int_equal(listen(fd, 1), 0);
		return fd;
	}
	close(fd);		/* no unlink: the file stays, stale */
	return -1;
}

static void
write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* read_file - the whole small file, or "" */
static void
read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, size - 1) : -1;

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

/* file_type - 's' socket, 'f' file, 'd' dir, 'l' link, 'p' fifo, '-' none */
static char
file_type(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return '-';
	return S_ISSOCK(st.st_mode)  ? 's'
	       : S_ISREG(st.st_mode) ? 'f'
	       : S_ISDIR(st.st_mode) ? 'd'
	       : S_ISLNK(st.st_mode) ? 'l'
	       : S_ISFIFO(st.st_mode) ? 'p'
				      : '?';
}

enum prep_setup {
	PREP_NONE,		/* nothing at the path */
	PREP_STALE,		/* a socket nobody listens on */
	PREP_LIVE,		/* a listening socket */
	PREP_FILE,		/* a regular file */
	PREP_DIR,		/* a directory */
	PREP_FIFO,		/* a named pipe */
	PREP_LINK_STALE,	/* a symlink to a stale socket */
	PREP_LINK_NONE,		/* a dangling symlink */
};

struct prep_case {
	const char *label;
	const char *scheme;	/* "unix:", "local:" or "inet:" */
	enum prep_setup setup;
	int want_rc;
	const char *want_msg;	/* substring of err.msg when failing */
	char want_after;	/* file_type() of the path afterwards */
};

static const struct prep_case prep_good[] = {
	{ "nothing there", "unix:", PREP_NONE, AG_OK, NULL, '-' },
	{ "stale socket removed", "unix:", PREP_STALE, AG_OK, NULL, '-' },
	{ "stale socket, local: scheme", "local:", PREP_STALE, AG_OK, NULL,
	  '-' },
	{ "inet spec touches no file", "inet:", PREP_FILE, AG_OK, NULL, 'f' },
};

static const struct prep_case prep_bad[] = {
	{ "live socket kept", "unix:", PREP_LIVE, AG_EINVAL, "in use", 's' },
	{ "live socket, local: scheme", "local:", PREP_LIVE, AG_EINVAL,
	  "in use", 's' },
	{ "regular file kept", "unix:", PREP_FILE, AG_EINVAL,
	  "not a socket", 'f' },
	{ "directory kept", "unix:", PREP_DIR, AG_EINVAL, "not a socket",
	  'd' },
	{ "fifo kept", "unix:", PREP_FIFO, AG_EINVAL, "not a socket", 'p' },
	{ "symlink to stale socket kept", "unix:", PREP_LINK_STALE,
	  AG_EINVAL, "not a socket", 'l' },
	{ "dangling symlink kept", "unix:", PREP_LINK_NONE, AG_EINVAL,
	  "not a socket", 'l' },
};

/* prep_make - build what the case needs at path; a listening fd or -1 */
static int
prep_make(enum prep_setup setup, const char *path)
{
	char target[PATH_MAX_T];

	switch (setup) {
	case PREP_NONE:
		return -1;
	case PREP_STALE:
		return unix_socket(path, false);
	case PREP_LIVE:
		return unix_socket(path, true);
	case PREP_FILE:
		write_file(path, "keep me\n");
		return -1;
	case PREP_DIR:
		assert_int_equal(mkdir(path, 0700), 0);
		return -1;
	case PREP_FIFO:
		assert_int_equal(mkfifo(path, 0600), 0);
		return -1;
	case PREP_LINK_STALE:
		tpath(target, sizeof(target), "target.sock");
		(void)unix_socket(target, false);
		assert_int_equal(symlink(target, path), 0);
		return -1;
	case PREP_LINK_NONE:
		tpath(target, sizeof(target), "missing");
		assert_int_equal(symlink(target, path), 0);
		return -1;
	}
	return -1;
}

static int
prep_run(const struct prep_case *c)
{
	char path[PATH_MAX_T], spec[PATH_MAX_T + 8], target[PATH_MAX_T];
	char buf[16] = "";
	struct ag_err err;
	int lfd, rc, bad = 0;
	char after;

	tpath(path, sizeof(path), "milter.sock");
	snprintf(spec, sizeof(spec), "%s%s", c->scheme, path);
	lfd = prep_make(c->setup, path);
	memset(&err, 0, sizeof(err));
	rc = ag_daemon_prepare_socket(spec, &err);
	after = file_type(path);
	if (rc != c->want_rc) {
		print_error("case %s: got rc %d '%s', want %d\n", c->label, rc,
			    err.msg, c->want_rc);
		bad = 1;
	} else if (c->want_msg != NULL &&
		   (err.code != rc || strstr(err.msg, c->want_msg) == NULL ||
		    strstr(err.msg, path) == NULL)) {
		print_error("case %s: got message '%s', want one naming the "
			    "path and saying '%s'\n", c->label, err.msg,
			    c->want_msg);
		bad = 1;
	}
	if (after != c->want_after) {
		print_error("case %s: got path type '%c' afterwards, want "
			    "'%c'\n", c->label, after, c->want_after);
		bad = 1;
	}
	if (after == 'f')	/* never open the fifo: it would block */
		read_file(path, buf, sizeof(buf));
	if (c->setup == PREP_FILE && strcmp(buf, "keep me\n") != 0) {
		print_error("case %s: got content '%s', want 'keep me'\n",
			    c->label, buf);
		bad = 1;
	}
	if (c->setup == PREP_LINK_STALE &&
	    file_type(tpath(target, sizeof(target), "target.sock")) != 's') {
		print_error("case %s: got link target removed, want kept\n",
			    c->label);
		bad = 1;
	}
	if (lfd >= 0)
		close(lfd);
	if (after == 'd')
		rmdir(path);
	else
		unlink(path);
	unlink(tpath(target, sizeof(target), "target.sock"));
	return bad;
}

/* RUN_TABLE - run(&row) for every row of table t; fail if any did */
#define RUN_TABLE(t, run)                                                  \
	do {                                                               \
		unsigned failed_ = 0;                                      \
		for (size_t i_ = 0; i_ < sizeof(t) / sizeof(t[0]); i_++)   \
			failed_ += (unsigned)run(&t[i_]);                  \
		assert_int_equal(failed_, 0);                              \
	} while (0)

static void
test_daemon_prepare_socket_free_or_stale(void **state)
{
	(void)state;
	RUN_TABLE(prep_good, prep_run);
}

static void
test_daemon_prepare_socket_refuses_and_keeps(void **state)
{
	(void)state;
	RUN_TABLE(prep_bad, prep_run);
}

static void
test_daemon_prepare_socket_path_length(void **state)
{
	struct sockaddr_un sun;
	char spec[PATH_MAX_T * 2], path[PATH_MAX_T];
	struct ag_err err;
	size_t base;
	unsigned failed = 0;
	int rc;

	(void)state;
	/* a name that makes the path exactly sizeof(sun_path) - 1 long */
	tpath(path, sizeof(path), "");
	base = strlen(path);
	assert_true(base + 2 < sizeof(sun.sun_path));
	memset(path + base, 'p', sizeof(sun.sun_path) - 1 - base);
	path[sizeof(sun.sun_path) - 1] = '\0';
	snprintf(spec, sizeof(spec), "unix:%s", path);
	memset(&err, 0, sizeof(err));
	if ((rc = ag_daemon_prepare_socket(spec, &err)) != AG_OK) {
		print_error("case longest path that fits: got %d '%s', want "
			    "0\n", rc, err.msg);
		failed++;
	}
	/* one byte more cannot be bound; a file there must not matter */
	path[sizeof(sun.sun_path) - 1] = 'p';
	path[sizeof(sun.sun_path)] = '\0';
	write_file(path, "keep me\n");
	snprintf(spec, sizeof(spec), "unix:%s", path);
	memset(&err, 0, sizeof(err));
	rc = ag_daemon_prepare_socket(spec, &err);
	if (rc != AG_EINVAL || strstr(err.msg, "too long") == NULL) {
		print_error("case one byte too long: got %d '%s', want %d "
			    "'too long'\n", rc, err.msg, AG_EINVAL);
		failed++;
	}
	if (file_type(path) != 'f') {
		print_error("case one byte too long: got file removed, want "
			    "kept\n");
		failed++;
	}
	unlink(path);
	assert_int_equal(failed, 0);
}

/* ------------------------------------------------------------------ */
/* ag_daemon_socket_perms                                              */

/* perms_check - run socket_perms; uid/gid (unsigned)-1 = not checked */
static int
perms_check(const char *label, const struct ag_config *cfg, int want_rc,
	    const char *want_msg, unsigned want_mode, unsigned want_uid,
	    unsigned want_gid)
{
	const char *path = ag_daemon_socket_path(cfg->socket);
	struct stat st;
	struct ag_err err;
	int rc;

	memset(&err, 0, sizeof(err));
	memset(&st, 0, sizeof(st));
	rc = ag_daemon_socket_perms(cfg, &err);
	if (rc != want_rc || (want_msg && !strstr(err.msg, want_msg))) {
		print_error("case %s: got %d '%s', want %d '%s'\n", label, rc,
			    err.msg, want_rc, want_msg ? want_msg : "");
		return 1;
	}
	if (rc != AG_OK || path == NULL)
		return 0;
	if (stat(path, &st) != 0 || (st.st_mode & 07777) != want_mode ||
	    (want_uid != (unsigned)-1 && st.st_uid != want_uid) ||
	    (want_gid != (unsigned)-1 && st.st_gid != want_gid)) {
		print_error("case %s: got mode %04o uid %u gid %u, want %04o "
			    "%d %d\n", label, (unsigned)(st.st_mode & 07777),
			    (unsigned)st.st_uid, (unsigned)st.st_gid, want_mode,
			    (int)want_uid, (int)want_gid);
		return 1;
	}
	return 0;
}

static void
test_daemon_socket_perms(void **state)
{
	struct ag_config *cfg = calloc(1, sizeof(*cfg));
	/* as root any group will do; otherwise only our own */
	struct group *gr = geteuid() == 0 ? getgrnam("daemon")
					  : getgrgid(getegid());
	struct passwd *pw = getpwnam("nobody");
	char path[PATH_MAX_T];
	unsigned failed = 0, none = (unsigned)-1;

	(void)state;
	assert_non_null(cfg);
	assert_non_null(gr);
	assert_non_null(pw);
	(void)unix_socket(tpath(path, sizeof(path), "perms.sock"), false);
	snprintf(cfg->socket, sizeof(cfg->socket), "unix:%s", path);
	cfg->socket_mode = 0640;
	snprintf(cfg->socket_group, sizeof(cfg->socket_group), "%s",
		 gr->gr_name);
	failed += (unsigned)perms_check("mode 0640 and SocketGroup", cfg,
					AG_OK, NULL, 0640, none, gr->gr_gid);
	if (geteuid() == 0) {
		/* User, no SocketGroup: the User's own group, never root's */
		cfg->socket_group[0] = '\0';
		snprintf(cfg->user, sizeof(cfg->user), "nobody");
		cfg->socket_mode = 0660;
		failed += (unsigned)perms_check("User nobody as root", cfg,
						AG_OK, NULL, 0660, pw->pw_uid,
						pw->pw_gid);
		cfg->user[0] = '\0';
	}
	snprintf(cfg->socket_group, sizeof(cfg->socket_group), "ag-no-grp");
	failed += (unsigned)perms_check("missing group", cfg, AG_EINVAL,
					"ag-no-grp", 0, none, none);
	cfg->socket_group[0] = '\0';
	unlink(path);
	failed += (unsigned)perms_check("socket missing", cfg, AG_EINVAL, path,
					0, none, none);
	snprintf(cfg->socket, sizeof(cfg->socket), "inet:8891@127.0.0.1");
	failed += (unsigned)perms_check("inet", cfg, AG_OK, NULL, 0, none,
					none);
	free(cfg);
	assert_int_equal(failed, 0);
}

/* ------------------------------------------------------------------ */
/* ag_daemon_pidfile                                                   */

static void
test_daemon_pidfile_writes_pid(void **state)
{
	char path[PATH_MAX_T], got[64], want[32];
	struct ag_err err;
	unsigned failed = 0;
	struct stat st;
	int rc;

	(void)state;
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	tpath(path, sizeof(path), "authgate.pid");
	memset(&err, 0, sizeof(err));
	rc = ag_daemon_pidfile(path, &err);
	read_file(path, got, sizeof(got));
	if (rc != AG_OK || strcmp(got, want) != 0) {
		print_error("case new file: got rc %d '%s', want 0 '%s'\n", rc,
			    got, want);
		failed++;
	}
	if (stat(path, &st) != 0 || (st.st_mode & 0022) != 0) {
		print_error("case new file mode: got %04o, want not group or "
			    "world writable\n", (unsigned)(st.st_mode & 07777));
		failed++;
	}
	/* an old, longer pidfile is replaced, not overwritten in place */
	write_file(path, "1234567890123\nold junk\n");
	rc = ag_daemon_pidfile(path, &err);
	read_file(path, got, sizeof(got));
	if (rc != AG_OK || strcmp(got, want) != 0) {
		print_error("case old longer file: got rc %d '%s', want 0 "
			    "'%s'\n", rc, got, want);
		failed++;
	}
	unlink(path);
	/* no PidFile configured: nothing to do */
	if ((rc = ag_daemon_pidfile("", &err)) != AG_OK ||
	    (rc = ag_daemon_pidfile(NULL, &err)) != AG_OK) {
		print_error("case no pidfile: got %d, want 0\n", rc);
		failed++;
	}
	assert_int_equal(failed, 0);
}

enum pid_setup {
	PID_LINK_FILE,		/* symlink to an existing file */
	PID_LINK_NONE,		/* symlink to a name that does not exist */
	PID_NO_DIR,		/* parent directory missing */
	PID_NOT_DIR,		/* parent is a regular file */
	PID_IS_DIR,		/* the path is a directory */
};

struct pid_case {
	const char *label;
	enum pid_setup setup;
};

static const struct pid_case pid_bad[] = {
	{ "symlink to a file", PID_LINK_FILE },
	{ "dangling symlink", PID_LINK_NONE },
	{ "missing directory", PID_NO_DIR },
	{ "parent is a file", PID_NOT_DIR },
	{ "path is a directory", PID_IS_DIR },
};

static int
pid_run(const struct pid_case *c)
{
	char path[PATH_MAX_T], target[PATH_MAX_T], got[64];
	struct ag_err err;
	int rc, bad = 0;

	tpath(target, sizeof(target), "target");
	switch (c->setup) {
	case PID_LINK_FILE:
		write_file(target, "precious\n");
		/* fall through */
	case PID_LINK_NONE:
		assert_int_equal(symlink(target, tpath(path, sizeof(path),
						       "link.pid")), 0);
		break;
	case PID_NO_DIR:
		tpath(path, sizeof(path), "no/such/dir/a.pid");
		break;
	case PID_NOT_DIR:
		write_file(target, "precious\n");
		tpath(path, sizeof(path), "target/a.pid");
		break;
	case PID_IS_DIR:
		tpath(path, sizeof(path), "adir");
		assert_int_equal(mkdir(path, 0700), 0);
		break;
	}
	memset(&err, 0, sizeof(err));
	rc = ag_daemon_pidfile(path, &err);
	if (rc != AG_EINVAL || err.code != rc ||
	    strstr(err.msg, path) == NULL) {
		print_error("case %s: got %d '%s', want %d naming the path\n",
			    c->label, rc, err.msg, AG_EINVAL);
		bad = 1;
	}
	read_file(target, got, sizeof(got));
	if ((c->setup == PID_LINK_FILE || c->setup == PID_NOT_DIR) &&
	    strcmp(got, "precious\n") != 0) {
		print_error("case %s: got target '%s', want 'precious'\n",
			    c->label, got);
		bad = 1;
	}
	if (c->setup == PID_LINK_NONE && file_type(target) != '-') {
		print_error("case %s: got target created, want none\n",
			    c->label);
		bad = 1;
	}
	if (c->setup == PID_IS_DIR)
		rmdir(path);
	unlink(tpath(path, sizeof(path), "link.pid"));
	unlink(target);
	return bad;
}

static void
test_daemon_pidfile_refuses(void **state)
{
	(void)state;
	RUN_TABLE(pid_bad, pid_run);
}

/* pidfile_readonly_dir_check - run without root: a 0555 directory */
static int
pidfile_readonly_dir_check(void)
{
	char path[PATH_MAX_T];
	struct ag_err err;
	int rc;

	tpath(path, sizeof(path), "ro/authgate.pid");
	memset(&err, 0, sizeof(err));
	rc = ag_daemon_pidfile(path, &err);
	if (rc != AG_EINVAL || strstr(err.msg, path) == NULL) {
		fprintf(stderr, "case unwritable directory: got %d '%s', want "
			"%d naming the path\n", rc, err.msg, AG_EINVAL);
		return 1;
	}
	if (file_type(path) != '-') {
		fprintf(stderr, "case unwritable directory: got a file, want "
			"none\n");
		return 1;
	}
	return 0;
}

static void
test_daemon_pidfile_unwritable_dir(void **state)
{
	char dir[PATH_MAX_T];
	int rc;

	(void)state;
	assert_int_equal(mkdir(tpath(dir, sizeof(dir), "ro"), 0555), 0);
	assert_int_equal(chmod(dir, 0555), 0);	/* whatever the umask */
	rc = as_nobody(pidfile_readonly_dir_check);
	rmdir(dir);
	assert_int_equal(rc, 0);
}

/* ------------------------------------------------------------------ */
/* ag_daemon_drop_privileges: only the checks before any id changes    */

struct drop_case {
	const char *label;
	const char *user;
	const char *want_msg;	/* substring of err.msg */
};

/* as root each of these must fail before setresuid() is reached */
static const struct drop_case drop_root_bad[] = {
	{ "no User as root", "", "needs a User" },
	{ "User root", "root", "is root" },
	{ "User that does not exist", "ag-no-such-user", "no user" },
};

static void
test_daemon_drop_privileges_refuses_as_root(void **state)
{
	struct ag_config *cfg = calloc(1, sizeof(*cfg));
	unsigned failed = 0;

	(void)state;
	assert_non_null(cfg);
	if (geteuid() != 0) {
		free(cfg);
		skip();		/* the refusals are root-only */
	}
	snprintf(cfg->path, sizeof(cfg->path), "/etc/authgate.conf");
	for (size_t i = 0;
	     i < sizeof(drop_root_bad) / sizeof(drop_root_bad[0]); i++) {
		const struct drop_case *c = &drop_root_bad[i];
		struct ag_err err;
		int rc;

		snprintf(cfg->user, sizeof(cfg->user), "%s", c->user);
		memset(&err, 0, sizeof(err));
		rc = ag_daemon_drop_privileges(cfg, &err);
		if (geteuid() != 0 || getuid() != 0)
			fail_msg("case %s: got privileges dropped, want "
				 "refused; stopping", c->label);
		if (rc != AG_EINVAL || strstr(err.msg, c->want_msg) == NULL) {
			print_error("case %s: got %d '%s', want %d '%s'\n",
				    c->label, rc, err.msg, AG_EINVAL,
				    c->want_msg);
			failed++;
		}
	}
	free(cfg);
	assert_int_equal(failed, 0);
}

/* drop_nonroot_check - run without root: nothing to drop, any User */
static int
drop_nonroot_check(void)
{
	static const char *const users[] = { "", "nobody", "root",
					     "ag-no-such-user" };
	struct ag_config cfg;
	struct ag_err err;
	int rc, bad = 0;

	memset(&cfg, 0, sizeof(cfg));
	for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		uid_t uid = getuid();
		snprintf(cfg.user, sizeof(cfg.user), "%s", users[i]);
		memset(&err, 0, sizeof(err));
		rc = ag_daemon_drop_privileges(&cfg, &err);
		if (rc != AG_OK || getuid() != uid) {
			fprintf(stderr, "case non-root, User '%s': got %d '%s' "
				"uid %ld, want 0 and uid %ld\n", users[i], rc,
				err.msg, (long)getuid(), (long)uid);
			bad = 1;
		}
	}
	return bad;
}

static void
test_daemon_drop_privileges_nonroot_is_noop(void **state)
{
	(void)state;
	assert_int_equal(as_nobody(drop_nonroot_check), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_daemon_socket_path_unix),
		cmocka_unit_test(test_daemon_socket_path_not_unix),
		cmocka_unit_test(test_daemon_prepare_socket_free_or_stale),
		cmocka_unit_test(test_daemon_prepare_socket_refuses_and_keeps),
		cmocka_unit_test(test_daemon_prepare_socket_path_length),
		cmocka_unit_test(test_daemon_socket_perms),
		cmocka_unit_test(test_daemon_pidfile_writes_pid),
		cmocka_unit_test(test_daemon_pidfile_refuses),
		cmocka_unit_test(test_daemon_pidfile_unwritable_dir),
		cmocka_unit_test(test_daemon_drop_privileges_refuses_as_root),
		cmocka_unit_test(test_daemon_drop_privileges_nonroot_is_noop),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
