#!/usr/bin/env bash
# Prints a Redis URL that answers: the argument, else BOT_TEST_REDIS_URL (default
# 127.0.0.1:6379/9), if it does; otherwise a local redis-server started on a free port
# (installing the Debian package first if missing). `make test` and `make demo` use it.
set -euo pipefail
url="${1:-${BOT_TEST_REDIS_URL:-redis://127.0.0.1:6379/9}}"
python=".venv/bin/python"
answers() {
    "$python" - "$1" <<'PY'
import sys, redis
try:
    redis.Redis.from_url(sys.argv[1], socket_connect_timeout=1).ping()
except Exception:
    sys.exit(1)
PY
}
if answers "$url"; then echo "$url"; exit 0; fi
if ! command -v redis-server >/dev/null 2>&1; then
    echo "redis-server not found: installing the Debian package" >&2
    sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq >&2 && $sudo_cmd apt-get install -y -qq redis-server >&2
fi
port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dir=$(mktemp -d)
redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
    --dir "$dir" --logfile "$dir/redis.log" >&2
url="redis://127.0.0.1:$port/9"
for _ in $(seq 50); do answers "$url" && { echo "$url"; exit 0; }; sleep 0.1; done
echo "started redis-server on port $port but it does not answer; see $dir/redis.log" >&2
exit 1
