#!/bin/sh
# praas-control as a process (TAP): start on an ephemeral port with a port
# file, answer health and a malformed request, keep serving, stop with exit
# status 0 on SIGTERM and SIGINT; refuse bad options with status 2 and a
# message naming them; fail clearly when the store or the port cannot be
# used. With PRAAS_TEST_REDIS set (with-redis.sh), also serve from Redis.

set -u

. "${top_srcdir:-$(dirname "$0")/..}/testsuite/lib/tap.sh"
. "${top_srcdir:-$(dirname "$0")/..}/testsuite/lib/daemon.sh" # daemon_start, daemon_stop
bin=${PRAAS_CONTROL:-${top_builddir:-.}/launcher/praas-control}
CONTROL=$bin
tap_tmpdir praas-cd 99

# start ARGS...: the daemon on an ephemeral port (its stderr alone in
# $TMP/daemon.log); sets $daemon and $port. Returns 1 on failure.
start() {
    rm -f "$TMP/daemon.log"
    daemon_start "$@"
}

# stop SIGNAL: signal the daemon, wait (bounded) and set $status.
stop() { daemon_stop "$1"; }

# req METHOD PATH [BODY]: the status code in $code, the body in $TMP/body.
req() {
    if [ $# -ge 3 ]; then
        code=$(curl -s -o "$TMP/body" -w '%{http_code}' -X "$1" \
            -H 'Content-Type: application/json' --data-binary "$3" \
            "http://127.0.0.1:$port$2")
    else
        code=$(curl -s -o "$TMP/body" -w '%{http_code}' -X "$1" "http://127.0.0.1:$port$2")
    fi
}

if ! command -v curl >/dev/null 2>&1; then
    echo "1..0 # SKIP curl is not installed"
    exit 0
fi

"$bin" --help >"$TMP/out" 2>&1
ok $? "--help exits 0"
grep -q -- '--port-file' "$TMP/out"
ok $? "--help lists the options"
"$bin" --version >"$TMP/out" 2>&1 && grep -q '^praas-control [0-9]' "$TMP/out"
ok $? "--version prints the version"

start --log-requests
ok $? "starts with --port 0 --port-file"
[ -n "${port:-}" ] && [ "$port" -gt 0 ] 2>/dev/null
ok $? "the port file holds a port (${port:-none})"
grep -q "praas-control: listening on http://127.0.0.1:$port (store: memory)" "$TMP/daemon.log"
ok $? "announces 'listening on http://127.0.0.1:$port (store: memory)'"
req GET /v1/health
[ "$code" = 200 ] && grep -q '"status":"ok"' "$TMP/body" && grep -q '"store":"memory"' "$TMP/body"
ok $? "GET /v1/health -> 200 ok (got $code)"
req POST /v1/processes '{"size": 2,'
[ "$code" = 400 ] && grep -q '"code":"bad_request"' "$TMP/body" && grep -q 'line 1' "$TMP/body"
ok $? "malformed JSON -> 400 bad_request naming the line (got $code)"
req GET /v1/nowhere
[ "$code" = 404 ]
ok $? "unknown route -> 404 (got $code)"
req GET /v1/health
[ "$code" = 200 ]
ok $? "still healthy after errors (got $code)"
grep -q 'POST /v1/processes 400' "$TMP/daemon.log"
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
[ "$code" = 413 ] && grep -q '"code":"too_large"' "$TMP/body"
ok $? "--max-body 64 refuses a 70-byte body with 413 (got $code)"
stop TERM

# Bad options: status 2 and a message naming the option.
bad_option() { # EXPECTED-TEXT ARGS...
    want=$1
    shift
    "$bin" "$@" >"$TMP/out" 2>&1
    st=$?
    [ $st = 2 ] && grep -q -- "$want" "$TMP/out"
    ok $? "'$*' -> exit 2 naming '$want' (got $st)"
    [ $st = 2 ] || show "$TMP/out"
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
"$bin" --port 0 --store redis://127.0.0.1:1 >"$TMP/out" 2>&1
st=$?
[ $st = 1 ] && grep -q 'cannot start' "$TMP/out" && grep -q '127.0.0.1:1' "$TMP/out"
ok $? "--store redis://127.0.0.1:1 (nothing there) -> exit 1 naming it (got $st)"
show "$TMP/out"

start
"$bin" --port "$port" >"$TMP/out" 2>&1
st=$?
[ $st = 1 ] && grep -q 'in use' "$TMP/out"
ok $? "a port in use -> exit 1 naming the cause (got $st)"
"$bin" --port 0 --port-file "$TMP/no/such/dir/port" >"$TMP/out" 2>&1
st=$?
[ $st = 1 ] && grep -q 'port file' "$TMP/out"
ok $? "an unwritable port file -> exit 1 (got $st)"
stop TERM

if [ -n "${PRAAS_TEST_REDIS:-}" ]; then
    start --store "$PRAAS_TEST_REDIS"
    ok $? "starts with --store $PRAAS_TEST_REDIS"
    req GET /v1/health
    [ "$code" = 200 ] && grep -q '"store":"redis"' "$TMP/body" &&
        grep -q '(store: redis)' "$TMP/daemon.log"
    ok $? "serves from Redis (got $code)"
    stop TERM
    [ "$status" = 0 ]
    ok $? "SIGTERM -> exit 0 with Redis (got $status)"
else
    echo "# PRAAS_TEST_REDIS is not set: Redis not tested"
fi

echo "1..$n"
[ $failed = 0 ]
