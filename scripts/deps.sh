#!/bin/sh
# Install the Debian packages fdbroker's build, tests and demo need, if any
# is missing.  Runs apt-get update at most once.  Needs root to install.
#
#   scripts/deps.sh [PACKAGE...]   (default: the list below; deb.sh names its own)
set -eu

# clang and its libFuzzer runtime (which clang only recommends) for `make fuzz`.
PKGS="make gcc libc6-dev libcriterion-dev libcap-dev python3 perl curl openssl passwd nginx-light lighttpd systemd mandoc dnsmasq-base
      clang libclang-rt-14-dev"

[ $# -gt 0 ] && PKGS="$*"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing (run as root, or install them)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q $missing
