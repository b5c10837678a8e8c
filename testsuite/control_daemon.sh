#!/bin/sh
# praas-control as a process (TAP): start on an ephemeral port with a port
# file, answer health and a malformed request, keep serving, stop with exit
# status 0 on SIGTERM and SIGINT; refuse bad options with status 2 and a
# message naming them; fail clearly when the store or the port cannot be
# used. With PRAAS_TEST_REDIS set (with-redis.sh), also serve from Redis.

set -u

bin=${PRAAS_CONTROL:-${top_builddir:-.}/launcher/praas-control}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/praas-cd.XXXXXX") || exit 99
daemon=
n=0
failed=0

cleanup() {
    [ -n "$daemon" ] && kill "$daemon" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

ok() { # ok CONDITION-STATUS DESCRIPTION
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $n - $2"
    else
        echo "not ok $n - $2"
        failed=$((failed + 1))
    fi
}

diag() {
    sed 's/^/# /' "$@"
}

# start ARGS...: run the daemon in the background with a port file; wait
# (bounded) for the file; sets $daemon and $port. Returns 1 on failure.
start() {
    rm -f "$tmp/port" "$tmp/err"
    "$bin" --port 0 --port-file "$tmp/port" "$@" 2>"$tmp/err" &
    daemon=$!
    i=0
    while [ ! -s "$tmp/port" ] && [ $i -lt 100 ]; do
        kill -0 "$daemon" 2>/dev/null || break
        sleep 0.1
        i=$((i + 1))
    done
    [ -s "$tmp/port" ] || return 1
    port=$(cat "$tmp/port")
}

# stop SIGNAL: signal the daemon, wait (bounded) and set $status.
stop() {
    kill -"$1" "$daemon"
    i=0
    while kill -0 "$daemon" 2>/dev/null && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    if kill -0 "$daemon" 2>/dev/null; then
        kill -9 "$daemon"
        status=124
    else
        wait "$daemon"
        status=$?
    fi
    daemon=
}

# req METHOD PATH [BODY]: the status code in $code, the body in $tmp/body.
req() {
    if [ $# -ge 3 ]; then
        code=$(curl -s -o "$tmp/body" -w '%{http_code}' -X "$1" \
            -H 'Content-Type: application/json' --data-binary "$3" \
            "http://127.0.0.1:$port$2")
    else
        code=$(curl -s -o "$tmp/body" -w '%{http_code}' -X "$1" "http://127.0.0.1:$port$2")
    fi
}

if ! command -v curl >/dev/null 2>&1; then
    echo "1..0 # SKIP curl is not installed"
    exit 0
fi

"$bin" --help >"$tmp/out" 2>&1
ok $? "--help exits 0"
grep -q -- '--port-file' "$tmp/out"
ok $? "--help lists the options"
"$bin" --version >"$tmp/out" 2>&1 && grep -q '^praas-control [0-9]' "$tmp/out"
ok $? "--version prints the version"

start --log-requests
ok $? "starts with --port 0 --port-file"
[ -n "${port:-}" ] && [ "$port" -gt 0 ] 2>/dev/null
ok $? "the port file holds a port (${port:-none})"
grep -q "praas-control: listening on http://127.0.0.1:$port (store: memory)" "$tmp/err"
ok $? "announces 'listening on http://127.0.0.1:$port (store: memory)'"
req GET /v1/health
[ "$code" = 200 ] && grep -q '"status":"ok"' "$tmp/body" && grep -q '"store":"memory"' "$tmp/body"
ok $? "GET /v1/health -> 200 ok (got $code)"
req POST /v1/processes '{"size": 2,'
[ "$code" = 400 ] && grep -q '"code":"bad_request"' "$tmp/body" && grep -q 'line 1' "$tmp/body"
ok $? "malformed JSON -> 400 bad_request naming the line (got $code)"
req GET /v1/nowhere
[ "$code" = 404 ]
ok $? "unknown route -> 404 (got $code)"
req GET /v1/health
[ "$code" = 200 ]
ok $? "still healthy after errors (got $code)"
grep -q 'POST /v1/processes 400' "$tmp/err"
ok $? "--log-requests logs each request"
stop TERM
[ "$status" = 0 ]
ok $? "SIGTERM -> exit 0 (got $status)"

start
req POST /v1/processes '{"size": 1}'
[ "$code" = 201 ]
ok $? "a second daemon creates a process (got $code)"
stop INT
[ "$status" = 0 ]
ok $? "SIGINT -> exit 0 (got $status)"

start --max-body 64
req POST /v1/processes '{"size": 1, "name": "a name long enough to pass sixty-four bytes"}'
[ "$code" = 413 ] && grep -q '"code":"too_large"' "$tmp/body"
ok $? "--max-body 64 refuses a 70-byte body with 413 (got $code)"
stop TERM

# Bad options: status 2 and a message naming the option.
bad_option() { # EXPECTED-TEXT ARGS...
    want=$1
    shift
    "$bin" "$@" >"$tmp/out" 2>&1
    st=$?
    [ $st = 2 ] && grep -q -- "$want" "$tmp/out"
    ok $? "'$*' -> exit 2 naming '$want' (got $st)"
    [ $st = 2 ] || diag "$tmp/out"
}
bad_option "--frobnicate" --frobnicate
bad_option "--port" --port abc
bad_option "--port" --port 65536
bad_option "--port" --port
bad_option "--max-body" --max-body 0
bad_option "--max-body" --max-body 12Q
bad_option "extra" extra
bad_option "redis://nowhere" --store redis://nowhere
bad_option "'-x'" -x

# Failures to start: status 1 with the cause.
"$bin" --port 0 --store redis://127.0.0.1:1 >"$tmp/out" 2>&1
st=$?
[ $st = 1 ] && grep -q 'cannot start' "$tmp/out" && grep -q '127.0.0.1:1' "$tmp/out"
ok $? "--store redis://127.0.0.1:1 (nothing there) -> exit 1 naming it (got $st)"
diag "$tmp/out"

start
"$bin" --port "$port" >"$tmp/out" 2>&1
st=$?
[ $st = 1 ] && grep -q 'in use' "$tmp/out"
ok $? "a port in use -> exit 1 naming the cause (got $st)"
"$bin" --port 0 --port-file "$tmp/no/such/dir/port" >"$tmp/out" 2>&1
st=$?
[ $st = 1 ] && grep -q 'port file' "$tmp/out"
ok $? "an unwritable port file -> exit 1 (got $st)"
stop TERM

if [ -n "${PRAAS_TEST_REDIS:-}" ]; then
    start --store "$PRAAS_TEST_REDIS"
    ok $? "starts with --store $PRAAS_TEST_REDIS"
    req GET /v1/health
    [ "$code" = 200 ] && grep -q '"store":"redis"' "$tmp/body" &&
        grep -q '(store: redis)' "$tmp/err"
    ok $? "serves from Redis (got $code)"
    stop TERM
    [ "$status" = 0 ]
    ok $? "SIGTERM -> exit 0 with Redis (got $status)"
else
    echo "# PRAAS_TEST_REDIS is not set: Redis not tested"
fi

echo "1..$n"
[ $failed = 0 ]
