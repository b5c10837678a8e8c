#!/bin/sh
# Run a command with a private Redis: start redis-server on a free loopback
# port (no persistence, in a temporary directory), wait until it answers,
# export PRAAS_TEST_REDIS=redis://127.0.0.1:PORT, run "$@", stop Redis and
# clean up whatever happens, and exit with the command's status.
#
#   testsuite/with-redis.sh ./testsuite/unit/test_store
#
# redis-server is $REDIS_SERVER or the one on PATH. Without it, or if it
# cannot start, this script fails (status 99, automake's "hard error"),
# rather than run the command without Redis and pass for the wrong reason.

set -u

if [ $# -eq 0 ]; then
    echo "usage: $0 COMMAND [ARG]..." >&2
    exit 2
fi

server=${REDIS_SERVER:-}
[ -n "$server" ] || server=$(command -v redis-server 2>/dev/null) || server=
if [ -z "$server" ] || [ ! -x "$server" ]; then
    echo "with-redis.sh: redis-server not found (set REDIS_SERVER or install redis-server)" >&2
    exit 99
fi

. "$(dirname "$0")/lib/service.sh"
service_setup praas-redis

# Answer PING on port $1? Uses redis-cli when present, else bash's /dev/tcp.
ping_redis() {
    if command -v redis-cli >/dev/null 2>&1; then
        [ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" = PONG ]
    else
        bash -c "exec 3<>/dev/tcp/127.0.0.1/$1 && printf 'PING\r\n' >&3 &&
                 read -t 1 line <&3 && [ \"\${line%\$(printf '\r')}\" = +PONG ]" 2>/dev/null
    fi
}

launch_redis() {
    "$server" --port "$1" --bind 127.0.0.1 --save "" --appendonly no \
        --dir "$dir" --daemonize no --logfile "$dir/redis.log" &
    pid=$!
}
# Ready when it answers PING and is ours, not a Redis that already held the
# port while ours failed to bind.
redis_ready() {
    ping_redis "$1" || return 1
    ! command -v redis-cli >/dev/null 2>&1 ||
        redis-cli -h 127.0.0.1 -p "$1" info server 2>/dev/null |
            tr -d '\r' | grep -qx "process_id:$pid"
}
started=
service_start launch_redis redis_ready 100 0.05 && started=yes
if [ -z "$started" ]; then
    echo "with-redis.sh: redis-server did not start; its log:" >&2
    cat "$dir/redis.log" >&2 2>/dev/null
    exit 99
fi

PRAAS_TEST_REDIS=redis://127.0.0.1:$port
export PRAAS_TEST_REDIS
"$@"
status=$?
exit $status
