#!/bin/sh
# The client's handlers of a timed-out invocation and of a gone session
# (praas_client_set_handlers; TAP): praas-control starts real praas-process
# subprocesses for the example function library; testsuite/client_handlers
# times out sleeps, queues behind a busy function slot, deletes sessions and
# SIGKILLs a subprocess, and checks what the handlers are told and what
# their answers do.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/testsuite/lib/tap.sh"
. "$top_srcdir/testsuite/lib/daemon.sh" # B, CONTROL, PROCESS, CLI, LIB
PROG=$B/testsuite/client_handlers
daemon_need "$PROG"
tap_tmpdir client-handlers
unset PRAAS_STORAGE PRAAS_CONTROL PRAAS_PROCESS_BIN PRAAS_PROCESS PRAAS_RANK PRAAS_JOIN

daemon_start --process-bin "$PROCESS" --subprocess-grace 500 --sessions-per-subprocess 8 \
    --storage "file://$TMP/storage"
ok $? "praas-control starts"

daemon_run_prog 30

daemon_stop
[ "$status" = 0 ]
ok $? "the daemon stops cleanly (status $status)"
[ $failed -eq 0 ] || show "$TMP/daemon.log" | tail -60

echo "1..$n"
[ $failed -eq 0 ]
