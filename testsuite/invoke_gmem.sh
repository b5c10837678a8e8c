#!/bin/sh
# Sessions in different subprocesses reach each other through global memory
# (TAP): praas-control starts one praas-process per session
# (--sessions-per-subprocess 1), each a rank that joins its process's view;
# testsuite/invoke_gmem writes an object in one session and reads it in
# another, counts with fetch_add from two, starts a third subprocess that
# joins, lets the owner leave (its object moves) and the last member go
# (its objects persist to the file storage and come back). Real parts only:
# the daemon, the subprocesses, the transport (PRAAS_TRANSPORT, ucx by
# default) and file storage.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/testsuite/lib/tap.sh"
. "$top_srcdir/testsuite/lib/daemon.sh" # B, CONTROL, PROCESS, CLI, LIB
PROG=$B/testsuite/invoke_gmem
daemon_need "$PROG"
tap_tmpdir invoke-gmem
unset PRAAS_STORAGE PRAAS_CONTROL PRAAS_PROCESS_BIN PRAAS_PROCESS PRAAS_RANK PRAAS_JOIN

daemon_start --process-bin "$PROCESS" --sessions-per-subprocess 1 --subprocess-grace 500 \
    --storage "file://$TMP/storage"
ok $? "praas-control starts"

daemon_run_prog 20
[ -n "$(ls -A "$TMP/storage/objects" 2>/dev/null)" ]
ok $? "the last member's objects were persisted under $TMP/storage/objects"

daemon_stop
[ "$status" = 0 ]
ok $? "the daemon stops cleanly (status $status)"
[ $failed -eq 0 ] || show "$TMP/daemon.log" | tail -60

echo "1..$n"
[ $failed -eq 0 ]
