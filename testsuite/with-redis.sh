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

# A random port in a private range; a port already taken makes
# redis-server exit at once, and another port is tried.
started=
for attempt in 1 2 3 4 5 6 7 8 9 10; do
    port=$(( 20000 + ( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 20000 ) ))
    "$server" --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
        --dir "$dir" --daemonize no --logfile "$dir/redis.log" &
    pid=$!
    i=0
    while [ $i -lt 100 ]; do
        if ! kill -0 "$pid" 2>/dev/null; then
            break
        fi
        if ping_redis "$port"; then
            # Make sure the Redis answering is ours, not one that already
            # held the port while ours failed to bind.
            if ! command -v redis-cli >/dev/null 2>&1 ||
               redis-cli -h 127.0.0.1 -p "$port" info server 2>/dev/null |
                   tr -d '\r' | grep -qx "process_id:$pid"; then
                started=yes
            fi
            break
        fi
        sleep 0.05
        i=$((i + 1))
    done
    [ -n "$started" ] && break
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    pid=
done
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
