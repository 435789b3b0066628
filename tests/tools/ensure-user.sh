#!/bin/sh
# ensure-user.sh - create the unprivileged "authgate" system user that
# conf/authgate.conf drops to, when running as root and it is missing.
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
id authgate >/dev/null 2>&1 && exit 0
$SUDO useradd --system --no-create-home --home-dir /nonexistent \
	--shell /usr/sbin/nologin authgate
