/*
 * milter/daemon.c - socket preparation, pidfile, privilege drop, detach
 */
#include "milter/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

const char *
ag_daemon_socket_path(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	return NULL;
}

int
ag_daemon_prepare_socket(const char *spec, struct ag_err *err)
{
	const char *path = ag_daemon_socket_path(spec);
	struct sockaddr_un sun;
	struct stat st;
	int fd = -1, rc = AG_OK;

	if (path == NULL)
		goto out;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		rc = ag_err_set(err, AG_EINVAL, "socket path too long: %s",
				path);
		goto out;
	}
	if (lstat(path, &st) != 0)
		goto out;	/* nothing there */
	if (!S_ISSOCK(st.st_mode)) {
		rc = ag_err_set(err, AG_EINVAL, "%s exists and is not a "
				"socket; not removing it", path);
		goto out;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0) {
		rc = ag_err_set(err, AG_EINTERNAL, "socket: %s",
				strerror(errno));
		goto out;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		rc = ag_err_set(err, AG_EINVAL, "%s is in use by a running "
				"process; refusing to start", path);
		goto out;
	}
	/* nobody listens: a stale socket from an earlier run */
	if (unlink(path) != 0)
		rc = ag_err_set(err, AG_EINVAL, "cannot remove stale socket "
				"%s: %s", path, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

int
ag_daemon_socket_perms(const struct ag_config *cfg, struct ag_err *err)
{
	const char *path = ag_daemon_socket_path(cfg->socket);
	gid_t gid = (gid_t)-1;
	uid_t uid = (uid_t)-1;

	if (path == NULL)
		return AG_OK;
	if (cfg->socket_group[0] != '\0') {
		struct group *gr = getgrnam(cfg->socket_group);
		if (gr == NULL)
			return ag_err_set(err, AG_EINVAL, "no group %s",
					  cfg->socket_group);
		gid = gr->gr_gid;
	}
	if (cfg->user[0] != '\0' && geteuid() == 0) {
		struct passwd *pw = getpwnam(cfg->user);
		if (pw == NULL)
			return ag_err_set(err, AG_EINVAL, "no user %s",
					  cfg->user);
		uid = pw->pw_uid;
		/* no SocketGroup: the User's own group, never root's */
		if (gid == (gid_t)-1)
			gid = pw->pw_gid;
	}
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
	    chown(path, uid, gid) != 0)
		return ag_err_set(err, AG_EINVAL, "chown %s: %s", path,
				  strerror(errno));
	if (chmod(path, cfg->socket_mode) != 0)
		return ag_err_set(err, AG_EINVAL, "chmod %s: %s", path,
				  strerror(errno));
	return AG_OK;
}

int
ag_daemon_pidfile(const char *path, struct ag_err *err)
{
	char buf[32];
	int fd, n, rc = AG_OK;

	if (path == NULL || *path == '\0')
		return AG_OK;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		  0644);
	if (fd < 0)
		return ag_err_set(err, AG_EINVAL, "pidfile %s: %s", path,
				  strerror(errno));
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n)
		rc = ag_err_set(err, AG_EINVAL, "pidfile %s: write failed",
				path);
	close(fd);
	return rc;
}

int
ag_daemon_drop_privileges(const struct ag_config *cfg, struct ag_err *err)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return AG_OK;	/* nothing to drop; User needs root */
	if (cfg->user[0] == '\0')
		return ag_err_set(err, AG_EINVAL, "%s: running as root needs "
				  "a User to drop privileges to", cfg->path);
	if ((pw = getpwnam(cfg->user)) == NULL)
		return ag_err_set(err, AG_EINVAL, "no user %s", cfg->user);
	if (pw->pw_uid == 0)
		return ag_err_set(err, AG_EINVAL, "User %s is root; choose an "
				  "unprivileged user", cfg->user);
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0)
		return ag_err_set(err, AG_EINTERNAL, "cannot drop privileges "
				  "to %s: %s", cfg->user, strerror(errno));
	/* a process that can get root back has not dropped anything */
	if (setuid(0) == 0 || seteuid(0) == 0)
		return ag_err_set(err, AG_EINTERNAL, "privileges not dropped");
	return AG_OK;
}

int
ag_daemon_detach(struct ag_err *err)
{
	pid_t pid;
	int fd;

	if ((pid = fork()) < 0)
		return ag_err_set(err, AG_EINTERNAL, "fork: %s",
				  strerror(errno));
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return ag_err_set(err, AG_EINTERNAL, "setsid: %s",
				  strerror(errno));
	if ((pid = fork()) < 0)
		return ag_err_set(err, AG_EINTERNAL, "fork: %s",
				  strerror(errno));
	if (pid > 0)
		_exit(0);
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	return AG_OK;
}
