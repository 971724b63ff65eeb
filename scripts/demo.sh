#!/bin/sh
# make demo: unmodified programs, run as nobody (under run, or through exec
# against a serve broker), open a root-only file and
# serve HTTP on a privileged port (80, or the first free one below 1024 if
# 80 is taken) because the broker's policy says they may; everything else is
# refused and every decision lands in the audit log.  It needs what
# `scripts/deps.sh demo` installs and nothing more.
set -eu

build=${1:-build}
# The PATH and HOME of a fresh Debian root: a PATH through directories
# nobody may not search (/root/.local/bin, pyenv shims) would make every
# lookup the programs do a denied stat in the audit log (README,
# Troubleshooting).
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
HOME=/nonexistent
export PATH HOME
fdbroker="$(cd "$build" && pwd)/fdbroker"
work=$(mktemp -d /tmp/fdbroker-demo.XXXXXX)
chmod 0755 "$work"
trap 'rm -rf "$work"' EXIT

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

mkdir -m 0700 "$work/private"
echo "the launch code is 0000" >"$work/private/secret.txt"
chmod 0600 "$work/private/secret.txt"
cat >"$work/demo.policy" <<POLICY
# fdbroker-policy(5): first match wins, no match is deny
deny  any          open $work/private/forbidden.txt
allow user nobody  open $work/private/ read
POLICY
chmod 0644 "$work/demo.policy" # a policy others may write is refused

say "ls -l $work/private/secret.txt   # root only"
ls -l "$work/private/secret.txt"

say "fdbroker check -p demo.policy"
"$fdbroker" check -p "$work/demo.policy"

say "fdbroker explain -p demo.policy -u nobody open $work/private/secret.txt read"
"$fdbroker" explain -p "$work/demo.policy" -u nobody open "$work/private/secret.txt" read

say "fdbroker run -u nobody -p demo.policy -- cat $work/private/secret.txt"
"$fdbroker" run -u nobody -p "$work/demo.policy" --log "$work/audit.log" -- \
	cat "$work/private/secret.txt"

say "fdbroker run -u nobody -p demo.policy -- python3 -c 'print(open(...).read())'"
"$fdbroker" run -u nobody -p "$work/demo.policy" --log "$work/audit.log" -- \
	python3 -c "import sys; print(open(sys.argv[1]).read(), end='')" "$work/private/secret.txt"

say "fdbroker run -u nobody -p demo.policy -- busybox cat $work/private/secret.txt   # static: the seccomp way"
"$fdbroker" run -u nobody -p "$work/demo.policy" --log "$work/audit.log" -- \
	/bin/busybox cat "$work/private/secret.txt"

# the system broker: serve as root, exec as nobody, no privilege on that side
"$fdbroker" serve -p "$work/demo.policy" -s "$work/serve.sock" --log "$work/audit.log" \
	2>"$work/serve.err" &
broker=$!
# the demo retries until the socket answers, it does not wait on a clock
tries=0
until [ -S "$work/serve.sock" ] || [ $tries -ge 100 ]; do
	tries=$((tries + 1))
	sleep 0.05
done
say "fdbroker serve -p demo.policy -s serve.sock &   # the system broker, as root"
say "setpriv --reuid=nobody ... fdbroker exec -s serve.sock -- busybox cat $work/private/secret.txt   # static: handed over to serve"
setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$fdbroker" exec -s "$work/serve.sock" -- /bin/busybox cat "$work/private/secret.txt"
kill "$broker"
wait "$broker" 2>/dev/null || true

say "fdbroker run -u nobody -- cat $work/private/secret.txt   # no policy: refused as usual"
"$fdbroker" run -u nobody --log "$work/audit.log" -- cat "$work/private/secret.txt" || true

say "fdbroker run -u nobody -a 'open /etc/shadow read' -- head -n 2 /etc/shadow"
"$fdbroker" run -u nobody -a 'open /etc/shadow read' --log "$work/audit.log" -- head -n 2 /etc/shadow

# 80 unless something listens there already: then the first free port below 1024
port=$(python3 - <<'PY'
import socket
for port in [80] + list(range(81, 1024)):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    break
PY
)
[ -n "$port" ] || { echo "demo: no free port below 1024 on 127.0.0.1" >&2; exit 1; }
[ "$port" = 80 ] || echo "(port 80 is taken: the demo uses port $port, also privileged)"

say "fdbroker run -u nobody -a 'bind tcp *:$port from 127.0.0.1' -- python3 -m http.server $port --bind 127.0.0.1 &"
echo "<h1>served by nobody on port $port</h1>" >"$work/index.html"
"$fdbroker" run -u nobody -a "bind tcp *:$port from 127.0.0.1" --log "$work/audit.log" -- \
	python3 -m http.server "$port" --bind 127.0.0.1 --directory "$work" >"$work/http.log" 2>&1 &
server=$!
say "curl http://127.0.0.1:$port/index.html"
# the server needs a moment to bind: the demo retries, it does not wait on a clock
for _ in $(seq 100); do
	curl -fsS "http://127.0.0.1:$port/index.html" 2>/dev/null && break
	sleep 0.1
done
say "curl --interface 127.0.0.2 --max-time 1 http://127.0.0.1:$port/   # a peer outside 'from'"
curl -sS --interface 127.0.0.2 --max-time 1 "http://127.0.0.1:$port/" >/dev/null 2>&1 ||
	echo "(no answer: the kernel's filter on the server's socket dropped its SYN)"
kill "$server"
wait "$server" 2>/dev/null || true

say "cat audit.log"
cat "$work/audit.log"
