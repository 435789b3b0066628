#!/bin/sh
# sendmail-tree.sh [DIR] - a Sendmail to test with, next to Postfix.
#
# Debian's sendmail-bin conflicts with postfix (both are the system's MTA),
# so it is not installed: its package and those of sendmail-base and
# sendmail-cf are fetched with apt-get download and unpacked with
# dpkg-deb -x into DIR (default $SENDMAIL_TREE, else .cache/sendmail in the
# project root). Nothing is registered with dpkg and nothing outside DIR
# is touched: no /etc/mail, no init script, no /usr/sbin/sendmail. The
# run-time libraries it links come from ordinary packages (the Makefile's
# SENDMAIL_LIBS, installed by make deps-test).
#
# Afterwards:  DIR/usr/libexec/sendmail/sendmail   the MTA binary
#              DIR/usr/share/sendmail/cf           the m4 files for a .cf
#              DIR/version                         the unpacked version
# Exit status 0 when DIR is ready (already, or now); 1 with a message.
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-${SENDMAIL_TREE:-$root/.cache/sendmail}}
pkgs="sendmail-bin sendmail-base sendmail-cf"

# the candidate version: a tree of another version is replaced
want=$(apt-cache policy sendmail-bin 2>/dev/null |
	sed -n 's/^ *Candidate: *//p')
if [ -z "$want" ] || [ "$want" = "(none)" ]; then
	# no apt metadata (offline, or apt-get update never ran): use what
	# is there, if anything
	[ -x "$dir/usr/libexec/sendmail/sendmail" ] && exit 0
	echo "sendmail-tree: apt knows no sendmail-bin (run apt-get update)" >&2
	exit 1
fi
if [ -x "$dir/usr/libexec/sendmail/sendmail" ] &&
	[ "$(cat "$dir/version" 2>/dev/null)" = "$want" ]; then
	exit 0
fi

dl=$(mktemp -d "${TMPDIR:-/tmp}/sendmail-tree.XXXXXX") || exit 1
trap 'rm -rf "$dl"' EXIT
# apt-get download writes into the current directory; as root it warns
# that _apt cannot write there, harmlessly
chmod 755 "$dl"
# shellcheck disable=SC2086 # $pkgs is a list of package names
if ! (cd "$dl" && apt-get download -q $pkgs >"$dl/download.log" 2>&1); then
	echo "sendmail-tree: apt-get download $pkgs failed:" >&2
	tail -5 "$dl/download.log" >&2
	exit 1
fi
rm -rf "$dir.new"
mkdir -p "$dir.new" || exit 1
for deb in "$dl"/*.deb; do
	dpkg-deb -x "$deb" "$dir.new" || {
		echo "sendmail-tree: dpkg-deb -x $deb failed" >&2
		exit 1
	}
done
echo "$want" >"$dir.new/version"
rm -rf "$dir"
mv "$dir.new" "$dir" || exit 1
echo "sendmail-tree: Sendmail $want unpacked into $dir"
