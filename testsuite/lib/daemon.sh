# A praas-control daemon for the shell tests (TAP), on an ephemeral port.
# Source it after testsuite/lib/tap.sh (before tap_tmpdir). It names the
# programs of the serverless tests in the build directory B (top_builddir):
# CONTROL (praas-control, the daemon daemon_start runs), PROCESS
# (praas-process), CLI (praas) and LIB (the example function library); a
# test may point CONTROL elsewhere before daemon_start. The daemon's stderr
# goes to $TMP/daemon.log. The tap_cleanup defined here kills "$daemon" when
# it is set.

# shellcheck disable=SC2034 # these are for the test that sources this
B=${top_builddir:-..}
CONTROL=$B/launcher/praas-control
PROCESS=$B/launcher/praas-process
CLI=$B/launcher/praas
LIB=$(cd "$B" 2>/dev/null && pwd)/examples/functions/.libs/praas_examples.so
daemon=
port=
URL=

tap_cleanup() {
    [ -n "$daemon" ] && kill "$daemon" 2>/dev/null
}

# daemon_need FILE...: bail out unless praas-control, praas-process, the
# function library and every FILE (the other programs a test uses) were
# built.
daemon_need() {
    for f in "$CONTROL" "$PROCESS" "$LIB" "$@"; do
        if [ ! -e "$f" ]; then
            echo "Bail out! $f not built"
            exit 1
        fi
    done
}

# daemon_start ARGS...: $CONTROL --port 0 ARGS in the background; sets
# daemon, port and URL. Status 1 when no port was written within 10 s (or
# the daemon ended first).
daemon_start() {
    rm -f "$TMP/port"
    "$CONTROL" --port 0 --port-file "$TMP/port" "$@" >/dev/null 2>>"$TMP/daemon.log" &
    daemon=$!
    i=0
    while [ ! -s "$TMP/port" ] && [ $i -lt 100 ] && kill -0 "$daemon" 2>/dev/null; do
        sleep 0.1
        i=$((i + 1))
    done
    [ -s "$TMP/port" ] || return 1
    port=$(cat "$TMP/port")
    URL=http://127.0.0.1:$port
}

# daemon_stop [SIGNAL]: SIGNAL (default TERM), at most 10 s, then SIGKILL;
# sets status (the daemon's exit status, 124 when it had to be killed) and
# clears daemon.
daemon_stop() {
    kill -"${1:-TERM}" "$daemon" 2>/dev/null
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

# daemon_verdicts PREFIX FILE: one TAP line per "PASS what" or "FAIL what"
# line of FILE (the output of a client program), named PREFIX what; sets
# seen to the number of those lines.
daemon_verdicts() {
    seen=0
    while read -r verdict what; do
        case $verdict in
        PASS) ok 0 "$1$what"; seen=$((seen + 1)) ;;
        FAIL) ok 1 "$1$what"; seen=$((seen + 1)) ;;
        esac
    done <"$2"
}

# daemon_run_prog MIN: run $PROG $URL $LIB (a hard bound of 240 s: no check
# may hang), one TAP line per check it prints, and one saying that it ran
# to its end with at least MIN checks; sets st (its status) and seen.
daemon_run_prog() {
    timeout 240 "$PROG" "$URL" "$LIB" >"$TMP/out" 2>&1
    st=$?
    daemon_verdicts "" "$TMP/out"
    [ $st -eq 0 ] && [ $seen -ge "$1" ]
    ok $? "$(basename "$PROG") ran to its end (status $st, $seen checks)"
    [ $st -eq 0 ] || show "$TMP/out"
}
