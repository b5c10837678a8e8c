#!/bin/sh
# Serverless sessions end to end (TAP): praas-control daemons with the memory
# and the Redis store start real praas-process subprocesses for the example
# function library; testsuite/invoke_e2e (the client library) invokes through
# the control plane and directly, swaps through file, Redis and S3 storage,
# waits for the idle sweeper and kills a subprocess; curl sends malformed
# requests; the praas command line runs every subcommand.
#
# Runs itself under testsuite/with-redis.sh and testsuite/with-s3.sh.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
if [ -z "${PRAAS_TEST_REDIS:-}" ] || [ -z "${PRAAS_TEST_S3:-}" ]; then
    exec sh "$top_srcdir/testsuite/with-redis.sh" sh "$top_srcdir/testsuite/with-s3.sh" \
        sh "$0" "$@"
fi
. "$top_srcdir/testsuite/lib/tap.sh"
. "$top_srcdir/testsuite/lib/daemon.sh" # B, CONTROL, PROCESS, CLI, LIB
PROG=$B/testsuite/invoke_e2e
daemon_need "$CLI" "$PROG"
if ! command -v curl >/dev/null 2>&1; then
    echo "1..0 # SKIP curl is not installed"
    exit 0
fi
tap_tmpdir invoke-e2e
unset PRAAS_STORAGE PRAAS_CONTROL PRAAS_PROCESS_BIN
bucket=${PRAAS_TEST_S3##*/}

# start ARGS...: praas-control on an ephemeral port; sets daemon, port, URL.
start() {
    daemon_start --process-bin "$PROCESS" --subprocess-grace 500 "$@"
}

# stop: SIGTERM, bounded wait; sets status (124 when it had to be killed).
stop() { daemon_stop; }

# scenario LABEL NAME: run the C program, one TAP line per check.
scenario() {
    "$PROG" "$URL" "$LIB" "$2" >"$TMP/out" 2>&1
    st=$?
    daemon_verdicts "$1: " "$TMP/out"
    [ $st -eq 0 ] && [ $seen -ge 1 ]
    ok $? "$1: invoke_e2e $2 ran to its end (status $st)"
    [ $st -eq 0 ] || show "$TMP/out"
}

# req METHOD PATH [BODY [CONTENT-TYPE]]: status in $code, body in $TMP/body.
req() {
    if [ $# -ge 3 ]; then
        code=$(curl -s -o "$TMP/body" -w '%{http_code}' -X "$1" \
            -H "Content-Type: ${4:-application/json}" --data-binary "$3" "$URL$2")
    else
        code=$(curl -s -o "$TMP/body" -w '%{http_code}' -X "$1" "$URL$2")
    fi
}

# The full scenario on both stores, with file storage.
for store in memory "$PRAAS_TEST_REDIS"; do
    label=$(echo "$store" | sed 's|redis://.*|redis|')
    start --store "$store" --storage "file://$TMP/storage-$label" --sessions-per-subprocess 4
    ok $? "$label store: praas-control starts"
    scenario "$label" basic
    scenario "$label/file" swap
    key=$(sed -n 's/^STORAGE //p' "$TMP/out")
    [ -n "$key" ] && [ ! -e "$TMP/storage-$label/$key" ] &&
        [ -z "$(ls -A "$TMP/storage-$label/$key" 2>/dev/null)" ]
    ok $? "$label/file: deleting the swapped session removed $key from storage"
    scenario "$label" kill
    scenario "$label" placement
    stop
    [ "$status" = 0 ]
    ok $? "$label store: SIGTERM stops the daemon and its subprocesses (status $status)"
done

# A Redis store outlives its daemon: a session swapped out under one daemon
# comes back under the next, and so does one that was live at its SIGTERM
# (the graceful stop swaps it out).
start --store "$PRAAS_TEST_REDIS" --storage "file://$TMP/storage-restart"
scenario "restart, first daemon" restart1
state=$(sed -n 's/^STATE //p' "$TMP/out")
stop
start --store "$PRAAS_TEST_REDIS" --storage "file://$TMP/storage-restart"
# shellcheck disable=SC2086 # five words: process, two sessions, two checksums
"$PROG" "$URL" "$LIB" restart2 $state >"$TMP/out" 2>&1
st=$?
daemon_verdicts "restart, second daemon: " "$TMP/out"
[ $st -eq 0 ] && [ $seen -eq 3 ]
ok $? "restart, second daemon: invoke_e2e restart2 ran its 3 checks (status $st, state '$state')"
[ $seen -eq 3 ] || show "$TMP/out"
stop

# Swapping through the other storage backends.
start --storage "$PRAAS_TEST_REDIS"
scenario "redis storage" swap
stop
start --storage "s3://$bucket"
scenario "s3 storage" swap
stop

# Idle swapping.
start --idle-swap 0.5 --storage "file://$TMP/storage-idle"
scenario "idle 0.5 s" idle
stop

# A hung subprocess (SIGSTOP) is found by the pings and killed.
start --ping-interval 250 --storage "file://$TMP/storage-hang"
scenario "hung subprocess" hang
stop

# A subprocess started for a swap-in gets --prefetch KEY; a praas-process that
# rejects the option (exit status 2, as one older than it does) is started
# again without. Wrappers record each start's arguments.
real=$(cd "$(dirname "$PROCESS")" && pwd)/$(basename "$PROCESS")
cat >"$TMP/pp-new" <<EOF
#!/bin/sh
echo "\$*" >>"$TMP/argv-new"
exec "$real" "\$@"
EOF
cat >"$TMP/pp-old" <<EOF
#!/bin/sh
echo "\$*" >>"$TMP/argv-old"
case " \$* " in *" --prefetch "*) echo "unknown option '--prefetch'" >&2; exit 2 ;; esac
exec "$real" "\$@"
EOF
chmod +x "$TMP/pp-new" "$TMP/pp-old"
for v in new old; do
    start --process-bin "$TMP/pp-$v" --storage "file://$TMP/storage-pf-$v"
    scenario "prefetch ($v praas-process)" kill
    stop
    n_pf=$(grep -c -- '--prefetch sessions/' "$TMP/argv-$v" 2>/dev/null)
    n_all=$(wc -l <"$TMP/argv-$v" 2>/dev/null)
    if [ $v = new ]; then
        [ "$n_pf" = 1 ]
    else
        [ "$n_pf" = 1 ] && [ "$n_all" = 3 ] &&
            ! sed -n '3p' "$TMP/argv-old" | grep -q -- --prefetch
    fi
    res=$?
    ok $res "prefetch ($v): the swap-in's subprocess got --prefetch KEY$([ $v = old ] &&
        echo ', was rejected and started again without it') ($n_pf of $n_all starts)"
    [ $res -eq 0 ] || show "$TMP/argv-$v"
done

# Malformed requests get 4xx JSON errors and the daemon keeps serving.
start --max-payload 1K --storage "file://$TMP/storage-bad"
req POST /v1/processes "{\"library\": \"$LIB\", \"id\": \"bad\"}"
[ "$code" = 201 ]
ok $? "bad requests: create process 'bad' (got $code)"
req POST /v1/processes/bad/sessions '{"memory": 65536,'
[ "$code" = 400 ] && grep -q '"code":"bad_request"' "$TMP/body"
ok $? "malformed JSON on a session allocation -> 400 (got $code)"
req POST /v1/processes/bad/sessions '{"memory": "big"}'
[ "$code" = 400 ] && grep -q "'memory' must be an integer" "$TMP/body"
ok $? "a memory that is a string -> 400 naming the field (got $code)"
req POST /v1/processes/bad/sessions '{"memory": 2147483648}'
[ "$code" = 400 ] && grep -q 'session memory limit' "$TMP/body"
ok $? "a memory over the process's limit -> 400 (got $code)"
req POST /v1/processes '{"library": "relative.so"}'
[ "$code" = 400 ] && grep -q 'absolute path' "$TMP/body"
ok $? "a relative library path -> 400 (got $code)"
req POST /v1/processes '{"library": "/no/such/lib.so"}'
[ "$code" = 400 ] && grep -q '/no/such/lib.so' "$TMP/body"
ok $? "a library that does not exist -> 400 naming it (got $code)"
req POST /v1/processes/bad/sessions '{}'
[ "$code" = 201 ]
ok $? "allocate a session with the default memory (got $code)"
sid=$(sed 's/.*"id":"\([^"]*\)".*/\1/' "$TMP/body")
req POST "/v1/sessions/$sid/invoke/echo" "ping" application/octet-stream
[ "$code" = 200 ] && [ "$(cat "$TMP/body")" = ping ]
ok $? "POST /v1/sessions/$sid/invoke/echo -> 200 with the raw result (got $code)"
req POST "/v1/sessions/$sid/invoke/nope" "x" application/octet-stream
[ "$code" = 404 ] && grep -q '"code":"not_found"' "$TMP/body" && grep -q nope "$TMP/body"
ok $? "an unknown function -> 404 naming it (got $code)"
req POST "/v1/sessions/$sid/invoke/bad-name" "x" application/octet-stream
[ "$code" = 400 ]
ok $? "a function name that is not a C identifier -> 400 (got $code)"
req POST "/v1/sessions/s-0000000000000000/invoke/echo" "x" application/octet-stream
[ "$code" = 404 ] && grep -q 's-0000000000000000' "$TMP/body"
ok $? "an unknown session -> 404 naming it (got $code)"
req GET "/v1/sessions/bad%20id"
[ "$code" = 404 ]
ok $? "a session id with bad characters -> 404 (got $code)"
req POST "/v1/sessions/$sid/invoke/echo?id=abc" "x" application/octet-stream
[ "$code" = 400 ] && grep -q "'id'" "$TMP/body"
ok $? "a bad invocation id in the query -> 400 (got $code)"
head -c 2048 /dev/zero >"$TMP/2k"
code=$(curl -s -o "$TMP/body" -w '%{http_code}' -X POST --data-binary @"$TMP/2k" \
    -H 'Content-Type: application/octet-stream' "$URL/v1/sessions/$sid/invoke/echo")
[ "$code" = 413 ] && grep -q '"code":"too_large"' "$TMP/body"
ok $? "a 2 KiB payload over --max-payload 1K -> 413 (got $code)"
req POST "/v1/sessions/$sid/invoke/fail" "why" application/octet-stream
[ "$code" = 400 ] && grep -q 'failing on purpose: why' "$TMP/body"
ok $? "a failing function -> 4xx JSON with its message (got $code)"
req GET "/v1/sessions/$sid/swap"
[ "$code" = 405 ]
ok $? "GET on swap -> 405 (got $code)"
req GET /v1/health
[ "$code" = 200 ]
ok $? "still healthy after the bad requests (got $code)"
req POST "/v1/sessions/$sid/invoke/echo" "pong" application/octet-stream
[ "$code" = 200 ] && [ "$(cat "$TMP/body")" = pong ]
ok $? "and still invoking (got $code)"

# The command line.
export PRAAS_CONTROL=$URL
"$CLI" --help >"$TMP/h" 2>&1 && grep -q 'invoke FUNCTION' "$TMP/h"
ok $? "praas --help"
for c in process session metrics invoke; do
    "$CLI" $c --help >"$TMP/h" 2>&1 && grep -q "Usage: praas $c" "$TMP/h"
    ok $? "praas $c --help"
done
for c in "process create" "process list" "session alloc" "session swap"; do
    "$CLI" $c --help >"$TMP/h" 2>&1 && grep -q "Usage: praas ${c% *}" "$TMP/h"
    ok $? "praas $c --help"
done
"$CLI" frobnicate >"$TMP/h" 2>&1
[ $? -eq 2 ] && grep -q "unknown command 'frobnicate'" "$TMP/h"
ok $? "praas frobnicate -> exit 2 naming it"
"$CLI" process create --library "$LIB" --id cli --max-functions 2 --memory-increment 64K \
    >"$TMP/o" 2>&1 && grep -q '"id": "cli"' "$TMP/o" && grep -q '"max_functions": 2' "$TMP/o"
ok $? "praas process create --library ... --id cli"
"$CLI" process list >"$TMP/o" 2>&1 && grep -q '"cli"' "$TMP/o"
ok $? "praas process list"
"$CLI" process show cli >"$TMP/o" 2>&1 && grep -q "$LIB" "$TMP/o"
ok $? "praas process show cli"
"$CLI" session alloc cli --memory 128K >"$TMP/o" 2>&1 && grep -q '"memory": 131072' "$TMP/o"
ok $? "praas session alloc cli --memory 128K"
csid=$(sed -n 's/.*"id": "\(s-[^"]*\)".*/\1/p' "$TMP/o" | head -1)
"$CLI" session list cli >"$TMP/o" 2>&1 && grep -q "$csid" "$TMP/o"
ok $? "praas session list cli"
printf 'from a file' >"$TMP/in"
"$CLI" invoke echo --session "$csid" --input "$TMP/in" --output "$TMP/res" 2>"$TMP/err" &&
    [ "$(cat "$TMP/res")" = "from a file" ] && grep -q "session $csid endpoint" "$TMP/err"
ok $? "praas invoke echo --session --input FILE --output FILE"
printf 'from stdin' | "$CLI" invoke echo --session "$csid" --input - --quiet >"$TMP/res" 2>&1 &&
    [ "$(cat "$TMP/res")" = "from stdin" ]
ok $? "praas invoke echo --input - (stdin to stdout)"
printf 'async' | "$CLI" invoke echo --process cli --input - --async >"$TMP/res" 2>"$TMP/err" &&
    [ "$(cat "$TMP/res")" = async ] && grep -q 'invocation [0-9]* started' "$TMP/err"
ok $? "praas invoke echo --process cli --async"
printf '\320\007\000\000' | "$CLI" invoke sleep_ms --session "$csid" --input - --timeout 200 \
    >"$TMP/res" 2>"$TMP/err"
[ $? -eq 1 ] && grep -q PRAAS_ERR_TIMEOUT "$TMP/err"
ok $? "praas invoke sleep_ms --timeout 200 on a 2 s sleep -> exit 1, timed out"
"$CLI" invoke nope --session "$csid" >"$TMP/res" 2>"$TMP/err"
[ $? -eq 1 ] && grep -q 'no function nope' "$TMP/err"
ok $? "praas invoke of an unknown function -> exit 1 naming it"
# The 2 s sleep may still run: a swap-out waits for it (409 until then).
i=0
until "$CLI" session swap "$csid" >"$TMP/o" 2>&1 || [ $i -ge 50 ]; do
    grep -q 'in progress' "$TMP/o" || break
    sleep 0.1
    i=$((i + 1))
done
grep -q '"state": "swapped"' "$TMP/o"
ok $? "praas session swap (after $i tries while the sleep ran)"
[ $? -eq 0 ] || show "$TMP/o"
"$CLI" session show "$csid" >"$TMP/o" 2>&1 && grep -q '"state": "swapped"' "$TMP/o"
ok $? "praas session show"
"$CLI" session retrieve "$csid" >"$TMP/o" 2>&1 && grep -q '"endpoint": "127.0.0.1:' "$TMP/o"
ok $? "praas session retrieve"
"$CLI" metrics --session "$csid" >"$TMP/o" 2>&1 && grep -q '"invocations": [1-9]' "$TMP/o"
ok $? "praas metrics --session"
"$CLI" metrics --process cli >"$TMP/o" 2>&1 && grep -q '"control_invocations": [1-9]' "$TMP/o"
ok $? "praas metrics --process"
"$CLI" session delete "$csid" >"$TMP/o" 2>&1 && grep -q '"deleted"' "$TMP/o"
ok $? "praas session delete"
"$CLI" session show "$csid" >"$TMP/o" 2>&1
[ $? -eq 1 ] && grep -q "no session '$csid'" "$TMP/o"
ok $? "praas session show of a deleted session -> exit 1"
"$CLI" process delete cli >"$TMP/o" 2>&1 && grep -q '"deleted": "cli"' "$TMP/o"
ok $? "praas process delete"
unset PRAAS_CONTROL
"$CLI" process list >"$TMP/o" 2>&1
[ $? -eq 2 ] && grep -q 'PRAAS_CONTROL' "$TMP/o"
ok $? "praas without a control plane -> exit 2 naming PRAAS_CONTROL"
kids=$(pgrep -P "$daemon" 2>/dev/null)
stop
[ "$status" = 0 ]
ok $? "the daemon stops cleanly (status $status)"
left=0
for k in $kids; do
    kill -0 "$k" 2>/dev/null && left=$((left + 1))
done
[ -n "$kids" ] && [ $left -eq 0 ]
ok $? "its subprocesses ($(echo $kids)) stopped with it ($left left)"
[ $failed -eq 0 ] || show "$TMP/daemon.log" | tail -40

echo "1..$n"
[ $failed -eq 0 ]
