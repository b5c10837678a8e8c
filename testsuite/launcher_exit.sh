#!/bin/sh
# praas-run: exit status of failing workers, aborting the others, --timeout,
# signals to the launcher, no process left behind. TAP.
#
# The launcher is $PRAAS_RUN if set, else $top_builddir/launcher/praas-run
# (lib/tap.sh: tap_find_run).
. "${top_srcdir:-$(dirname "$0")/..}/testsuite/lib/tap.sh"
tap_find_run
tap_tmpdir launcher_exit

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# The number of live processes whose command line contains $1 (zombies have
# none, so a process that died but is not reaped yet does not count).
alive() {
    c=0
    for f in /proc/[0-9]*/cmdline; do
        { tr '\0' ' ' <"$f"; } 2>/dev/null | grep -q -- "$1" && c=$((c + 1))
    done
    echo $c
}
# Wait up to 3 s for the processes matching $1 to go; print how many remain.
gone() {
    i=0
    while [ "$(alive "$1")" -gt 0 ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
    alive "$1"
}

echo "1..24"

# 1-2: the failing rank's status.
$RUN -n 4 sh -c '[ "$PRAAS_RANK" = 2 ] && exit 7; exit 0' >"$TMP/out" 2>"$TMP/err"; rc=$?
show "$TMP/err"
ok $((rc != 7)) "rank 2 of 4 exits 7: launcher exits 7 (got $rc)"
grep -q 'praas-run: rank 2 exited with status 7' "$TMP/err"
ok $? "message 'rank 2 exited with status 7'"

# 3-4: a signal: 128 + 11.
$RUN -n 2 sh -c '[ "$PRAAS_RANK" = 1 ] && kill -SEGV $$; exit 0' >"$TMP/out" 2>"$TMP/err"; rc=$?
show "$TMP/err"
ok $((rc != 139)) "rank 1 killed by SIGSEGV: launcher exits 139 (got $rc)"
grep -q 'praas-run: rank 1 killed by signal 11 (SIGSEGV)' "$TMP/err"
ok $? "message 'rank 1 killed by signal 11 (SIGSEGV)'"

# 5: all succeed.
$RUN -n 3 true >"$TMP/out" 2>"$TMP/err"; rc=$?
ok $rc "all ranks exit 0: launcher exits 0"

# 6-9: abort: rank 1 fails, the others (sleeping 60 s, under a shell that
# started them) are stopped within 2 s and nothing is left.
mark="60.$$1"
t0=$(now_ms)
$RUN -n 4 sh -c "if [ \"\$PRAAS_RANK\" = 1 ]; then sleep 0.3; exit 3; fi; sleep $mark; exit 0" \
    >"$TMP/out" 2>"$TMP/err"; rc=$?
t=$(($(now_ms) - t0))
show "$TMP/err"
ok $((rc != 3)) "rank 1 exits 3 while the others sleep: launcher exits 3 (got $rc)"
ok $((t >= 5000)) "the whole run takes less than 5 s (took $t ms)"
ok "$(gone "sleep $mark")" "no worker (or its child) is left"
test "$(grep -c 'praas-run: rank' "$TMP/err")" -eq 1
ok $? "only the first failure is reported"

# 10-12: a worker that ignores SIGTERM gets SIGKILL a second later.
mark="60.$$2"
t0=$(now_ms)
$RUN -n 3 sh -c "if [ \"\$PRAAS_RANK\" = 0 ]; then sleep 0.5; exit 4; fi; trap '' TERM; sleep $mark" \
    >"$TMP/out" 2>"$TMP/err"; rc=$?
t=$(($(now_ms) - t0))
ok $((rc != 4)) "workers ignoring SIGTERM: launcher exits 4 (got $rc)"
ok $((t >= 5000 || t < 900)) "they are killed after the 1 s grace (took $t ms)"
ok "$(gone "sleep $mark")" "no worker is left"

# 13: the first failure wins over the statuses of workers stopped for it.
$RUN -n 2 sh -c 'if [ "$PRAAS_RANK" = 0 ]; then sleep 0.5; exit 5; fi; trap "exit 9" TERM; sleep 30 & wait' \
    >"$TMP/out" 2>"$TMP/err"; rc=$?
ok $((rc != 5)) "rank 0 exits 5, rank 1 then exits 9 on SIGTERM: launcher exits 5 (got $rc)"

# 14-17: --timeout.
mark="30.$$3"
t0=$(now_ms)
$RUN -n 2 --timeout 1 sleep $mark >"$TMP/out" 2>"$TMP/err"; rc=$?
t=$(($(now_ms) - t0))
show "$TMP/err"
ok $((rc != 124)) "--timeout 1 on sleep 30: exit 124 (got $rc)"
ok $((t < 900 || t >= 4000)) "it ends after about 1 s (took $t ms)"
grep -q 'praas-run: timeout after 1 s, 2 workers still running' "$TMP/err"
ok $? "message 'timeout after 1 s, 2 workers still running'"
ok "$(gone "sleep $mark")" "no worker is left after the timeout"

# 18: a timeout that does not expire changes nothing.
$RUN -n 2 --timeout 30 true >"$TMP/out" 2>"$TMP/err"; rc=$?
ok $rc "--timeout 30 on true: exit 0"

# 19-21: SIGTERM to the launcher is forwarded to the workers.
mark="60.$$4"
$RUN -n 3 sleep $mark >"$TMP/out" 2>"$TMP/err" &
pid=$!
i=0
while [ "$(alive "sleep $mark")" -lt 3 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
t0=$(now_ms)
kill -TERM $pid
wait $pid; rc=$?
t=$(($(now_ms) - t0))
ok $((rc != 143)) "SIGTERM to the launcher: workers die of it, exit 143 (got $rc)"
ok $((t >= 3000)) "within 3 s (took $t ms)"
ok "$(gone "sleep $mark")" "no worker is left"

# 22-23: a worker that handles the forwarded signal and exits 0.
mark="60.$$6"
$RUN -n 2 sh -c "trap 'exit 0' TERM; echo up; sleep $mark & wait" >"$TMP/out" 2>"$TMP/err" &
pid=$!
i=0
while [ "$(grep -c up "$TMP/out")" -lt 2 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill -TERM $pid
wait $pid; rc=$?
ok $((rc != 143)) "SIGTERM handled by the workers (exit 0): launcher exits 128+15 (got $rc)"
ok "$(gone "sleep $mark")" "their own children are gone too"

# 24: the launcher killed with SIGKILL takes its workers with it.
mark="60.$$5"
$RUN -n 3 sleep $mark >"$TMP/out" 2>"$TMP/err" &
pid=$!
i=0
while [ "$(alive "sleep $mark")" -lt 3 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill -KILL $pid
wait $pid 2>/dev/null
ok "$(gone "sleep $mark")" "SIGKILL to the launcher: no worker is left"

[ $n -eq 24 ] || echo "# ran $n tests, planned 24"
exit 0
