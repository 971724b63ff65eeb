#!/bin/sh
# Install the Debian packages a make target needs, if any is missing.  Runs
# apt-get update at most once.  Needs root to install.
#
#   scripts/deps.sh [--check] [SET|PACKAGE]...
#
# SET is one of the package sets below; any other word is a package name
# (deb.sh names its own).  No argument: the set "all".  --check (make unit):
# only say what is missing and fail, never install.
set -eu

check=0
if [ "${1:-}" = --check ]; then
	check=1
	shift
fi

# fdbroker itself
build="make gcc libc6-dev"
# what scripts/demo.sh runs: python3 (a file opener, http.server, a free
# port), curl, a static program for the seccomp way (busybox-static), and
# the user nobody (passwd)
demo="$build python3 curl busybox-static passwd"
# the whole suite (make test, make asan): real programs under the broker,
# mandoc to lint the man pages, dnsmasq for its example
test="$build libcriterion-dev python3 perl curl openssl passwd nginx-light lighttpd systemd mandoc dnsmasq-base"
# the preflight tests: a statically linked program (busybox) and setcap
test="$test busybox-static libcap2-bin"
# the seccomp front end's tests: programs the shim cannot enter, a Go
# program the tests build (golang-go) and musl-gcc programs (musl-tools)
test="$test golang-go musl-tools"
# the completion and package tests: bash-completion, and lintian on the .deb
test="$test bash-completion lintian dpkg-dev debhelper"
# clang and its libFuzzer runtime (which clang only recommends) for make fuzz
fuzz="clang libclang-rt-14-dev"
# make bench (scripts/bench.sh): authbind, the peer of B3 and B6; B10's Go
# server (golang-go) and its load generator (wrk)
bench="$build passwd authbind golang-go wrk"
all="$test $fuzz $bench"

[ $# -gt 0 ] || set -- all
PKGS=""
for w in "$@"; do
	case $w in
	build) PKGS="$PKGS $build" ;;
	demo) PKGS="$PKGS $demo" ;;
	test) PKGS="$PKGS $test" ;;
	fuzz) PKGS="$PKGS $fuzz" ;;
	bench) PKGS="$PKGS $bench" ;;
	all) PKGS="$PKGS $all" ;;
	*) PKGS="$PKGS $w" ;;
	esac
done

missing=""
for p in $PKGS; do
	case " $missing " in *" $p "*) continue ;; esac
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$check" = 1 ] || [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing (install them: make deps as root)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q $missing
