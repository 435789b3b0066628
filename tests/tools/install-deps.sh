#!/bin/sh
# install-deps.sh PKG... - install the Debian packages that are missing.
# Runs apt-get only when something is missing; needs root (or sudo) then.
missing=""
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
# Postfix asks what kind of site this is; we run private instances only.
echo "postfix postfix/main_mailer_type select No configuration" |
	$SUDO debconf-set-selections 2>/dev/null
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q || exit 1
$SUDO apt-get install -y -q --no-install-recommends $missing || exit 1
