#!/bin/sh
# praas-run: starting workers, their environment, -x, stdin, usage errors,
# a program that cannot be run. TAP.
#
# The launcher is $PRAAS_RUN if set, else $top_builddir/launcher/praas-run
# (lib/tap.sh: tap_find_run).
. "${top_srcdir:-$(dirname "$0")/..}/testsuite/lib/tap.sh"
tap_find_run
tap_tmpdir launcher_basic

echo "1..35"

# 1-3: any program, N times.
$RUN -n 2 hostname >"$TMP/out" 2>"$TMP/err"; rc=$?
ok $rc "-n 2 hostname exits 0"
check "-n 2 hostname prints two lines" test "$(wc -l <"$TMP/out")" -eq 2
check "both lines are the host name" test "$(sort -u "$TMP/out")" = "$(hostname)"
[ -s "$TMP/err" ] && show "$TMP/err"

# 4-10: the environment of each worker.
$RUN -n 3 sh -c 'echo $PRAAS_RANK $PRAAS_SIZE $PRAAS_LOCAL_RANK $PRAAS_LOCAL_SIZE $PRAAS_PROCESS $PRAAS_CONTROL' \
    >"$TMP/env" 2>"$TMP/err"; rc=$?
ok $rc "-n 3 sh -c 'echo \$PRAAS_...' exits 0"
sort "$TMP/env" >"$TMP/env.sorted"
show "$TMP/env.sorted"
check "three workers answered" test "$(wc -l <"$TMP/env")" -eq 3
check "ranks 0, 1 and 2 with PRAAS_SIZE 3, local rank = rank, PRAAS_LOCAL_SIZE 3" \
    test "$(cut -d' ' -f1-4 "$TMP/env.sorted" | tr '\n' ,)" = "0 3 0 3,1 3 1 3,2 3 2 3,"
check "PRAAS_PROCESS is set and the same for all" \
    test "$(cut -d' ' -f5 "$TMP/env" | sort -u | grep -c .)" -eq 1
check "PRAAS_PROCESS looks like a process id (p-...)" \
    test "$(cut -d' ' -f5 "$TMP/env" | grep -c '^p-.')" -eq 3
check "PRAAS_CONTROL is the same URL for all" \
    test "$(cut -d' ' -f6 "$TMP/env" | sort -u | wc -l)" -eq 1
check "PRAAS_CONTROL is http://127.0.0.1:PORT" \
    test "$(cut -d' ' -f6 "$TMP/env" | grep -c '^http://127\.0\.0\.1:[0-9][0-9]*$')" -eq 3

# 11-16: -x both forms, overriding, --transport.
PRAAS_TEST_FROM_ENV='from the environment' PRAAS_TEST_OVER=old PRAAS_TRANSPORT=inherited \
    $RUN -n 2 -x PRAAS_TEST_FROM_ENV -x PRAAS_TEST_SET=a=b -x 'PRAAS_TEST_SPACE=two words' \
    -x PRAAS_TEST_OVER=new -x PRAAS_TEST_OVER=newer \
    sh -c 'echo "$PRAAS_RANK|$PRAAS_TEST_FROM_ENV|$PRAAS_TEST_SET|$PRAAS_TEST_SPACE|$PRAAS_TEST_OVER|$PRAAS_TRANSPORT"' \
    >"$TMP/x" 2>"$TMP/err"; rc=$?
ok $rc "-x forms: exit 0"
sort "$TMP/x" | show
check "-x VAR exports the launcher's value" test "$(grep -c '|from the environment|' "$TMP/x")" -eq 2
check "-x VAR=value sets it (value may contain '=')" test "$(grep -c '|a=b|' "$TMP/x")" -eq 2
check "-x VAR=value with spaces" test "$(grep -c '|two words|' "$TMP/x")" -eq 2
check "the last -x for a variable wins over the environment and earlier -x" \
    test "$(grep -c '|newer|inherited$' "$TMP/x")" -eq 2
PRAAS_TRANSPORT=inherited $RUN -n 1 --transport ofi sh -c 'echo $PRAAS_TRANSPORT' >"$TMP/t" 2>&1
check "--transport ofi sets PRAAS_TRANSPORT" test "$(cat "$TMP/t")" = ofi

# 17-18: stdin goes to rank 0 only.
echo "from stdin" | $RUN -n 3 sh -c 'echo "$PRAAS_RANK:$(cat)"' >"$TMP/in" 2>"$TMP/err"
sort "$TMP/in" | show
check "rank 0 reads the launcher's stdin" grep -qx '0:from stdin' "$TMP/in"
check "other ranks read /dev/null" test "$(grep -c '^[12]:$' "$TMP/in")" -eq 2

# 19: a terminal on stdin is relayed to rank 0 (which is not in the
# terminal's foreground process group); script(1) provides the terminal.
if command -v script >/dev/null 2>&1 && command -v timeout >/dev/null 2>&1; then
    (sleep 0.5; printf 'typed line\n'; sleep 0.5; printf '\004') |
        timeout 20 script -qec "$RUN -n 2 sh -c 'echo rank \$PRAAS_RANK read: \$(cat)'" /dev/null \
        >"$TMP/tty" 2>&1
    tr -d '\r' <"$TMP/tty" | show
    tr -d '\r' <"$TMP/tty" | grep -q '^rank 0 read: typed line$' &&
        tr -d '\r' <"$TMP/tty" | grep -q '^rank 1 read: *$'
    ok $? "a terminal on stdin reaches rank 0 (through the relay), EOF included"
else
    n=$((n + 1))
    echo "ok $n # SKIP script(1) or timeout(1) not available"
fi

# 20-29: bad usage: exit 2, a message naming the problem and the hint.
usage() { # usage DESCRIPTION NEEDLE ARGS...
    d=$1 needle=$2; shift 2
    $RUN "$@" >"$TMP/u.out" 2>"$TMP/u.err"; rc=$?
    if [ $rc -eq 2 ] && grep -q -- "$needle" "$TMP/u.err" && grep -q 'see praas-run --help' "$TMP/u.err"; then
        ok 0 "$d: exit 2, '$needle'"
    else
        show "$TMP/u.err"; ok 1 "$d: exit 2 (got $rc), '$needle'"
    fi
}
usage "unknown option" "unknown option '--bogus'" -n 2 --bogus hostname
usage "missing -n" "missing -n" hostname
usage "-n 0" "at least 1" -n 0 hostname
usage "-n not a number" "not 'two'" -n two hostname
usage "missing program" "missing the program" -n 2
usage "bad --bind-to" "unknown binding" -n 2 --bind-to socket hostname
usage "bad --timeout" "timeout" -n 2 --timeout -1 hostname
usage "bad -x" "not a valid variable name" -n 2 -x 9X=1 hostname
usage "bad --transport" "unknown transport" -n 2 --transport tcp hostname
usage "-n without a value" "needs a value" -n

# 30-31: a program that cannot be run.
$RUN -n 2 praas-no-such-program-$$ >"$TMP/out" 2>"$TMP/err"; rc=$?
show "$TMP/err"
ok $((rc != 127)) "a missing program exits 127 (got $rc)"
check "the message names the program" grep -q "cannot execute 'praas-no-such-program-$$'" "$TMP/err"

# 32-35: --help, --help-env, --version.
$RUN --help >"$TMP/help" 2>&1; rc=$?
ok $rc "--help exits 0"
missing=""
for opt in -n -np -x --tag-output --bind-to --report-bindings --timeout --store --transport \
    --verbose --help --help-env --version; do
    grep -q -- "$opt[ ,]" "$TMP/help" || missing="$missing $opt"
done
[ -n "$missing" ] && echo "# not in --help:$missing"
check "--help lists every option" test -z "$missing"
$RUN --help-env >"$TMP/henv" 2>&1; rc=$?
check "--help-env exits 0 and lists PRAAS_TRANSPORT and PRAAS_RANK" \
    sh -c "[ $rc -eq 0 ] && grep -q PRAAS_TRANSPORT '$TMP/henv' && grep -q PRAAS_RANK '$TMP/henv'"
$RUN --version >"$TMP/ver" 2>&1; rc=$?
check "--version exits 0 and prints a version" \
    sh -c "[ $rc -eq 0 ] && grep -q '^praas-run (praas) [0-9][0-9.]*' '$TMP/ver'"

[ $n -eq 35 ] || echo "# ran $n tests, planned 35"
exit 0
