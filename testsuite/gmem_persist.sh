#!/bin/sh
# Global memory objects that outlive their owner (TAP): successive praas-run
# invocations of one process (--process ID) sharing a Redis store, with the
# storage of PRAAS_STORAGE being a directory (file://), Redis and a local S3
# server in turn. Run 1 writes an object; run 2 opens it, which restores it
# byte-exact from storage onto a worker of run 2. Also: persistence at exit
# (PRAAS_OBJ_PERSIST_ON_EXIT's default with PRAAS_STORAGE set), an object
# whose owner left without persisting it (the "lost" error, never zeros),
# and an unreachable storage (PRAAS_ERR_IO naming the cause).
#
# Runs itself under testsuite/with-redis.sh and testsuite/with-s3.sh.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
if [ -z "${PRAAS_TEST_REDIS:-}" ] || [ -z "${PRAAS_TEST_S3:-}" ]; then
    exec sh "$top_srcdir/testsuite/with-redis.sh" sh "$top_srcdir/testsuite/with-s3.sh" \
        sh "$0" "$@"
fi
. "$top_srcdir/testsuite/lib/tap.sh"
. "$top_srcdir/testsuite/lib/transport.sh"
tap_find_run
tap_tmpdir gmem-persist
PROG=${top_builddir:-..}/testsuite/gmem_persist
if [ ! -x "$PROG" ]; then
    echo "Bail out! $PROG not built"
    exit 1
fi
unset PRAAS_STORAGE PRAAS_OBJ_PERSIST_ON_EXIT

bucket=${PRAAS_TEST_S3##*/}

# run PROCESS STORAGE N ARGS...: one run of the process, output in $TMP/out.
run() {
    p=$1 st=$2 np=$3
    shift 3
    PRAAS_STORAGE=$st $RUN -n "$np" --timeout 60 --store "$PRAAS_TEST_REDIS" --process "$p" \
        "$PROG" "$@" >"$TMP/out" 2>&1
}

# scenario BACKEND STORAGE-URL TRANSPORT-CONFIG
scenario() {
    b=$1 st=$2
    transport_env "$3"
    p=gm-$b-$$

    PRAAS_OBJ_PERSIST_ON_EXIT=0 run "$p" "$st" 2 write obj.a 100003 7 persist
    s=$?
    ok $s "$b: run 1 allocates obj.a (100003 bytes), writes and persists it"
    [ $s -eq 0 ] || show "$TMP/out"
    run "$p" "$st" 3 read obj.a 100003 7
    s=$?
    ok $s "$b: run 2 (3 workers, all opening at once) restores obj.a byte-exact"
    [ $s -eq 0 ] || show "$TMP/out"
    run "$p" "$st" 2 read obj.a 100003 7
    s=$?
    ok $s "$b: run 3 restores it again (persisted at exit by run 2's new owner)"
    [ $s -eq 0 ] || show "$TMP/out"

    run "$p" "$st" 2 write obj.b 4096 11 exit
    s=$?
    ok $s "$b: a run allocates obj.b and exits normally (persisted by praas_finalize)"
    [ $s -eq 0 ] || show "$TMP/out"
    run "$p" "$st" 1 read obj.b 4096 11
    s=$?
    ok $s "$b: the next run reads obj.b byte-exact"
    [ $s -eq 0 ] || show "$TMP/out"

    PRAAS_OBJ_PERSIST_ON_EXIT=0 run "$p" "$st" 2 write obj.c 64 3 exit
    s=$?
    ok $s "$b: a run allocates obj.c and exits without persisting it"
    run "$p" "$st" 2 lost obj.c
    s=$?
    [ $s -eq 0 ] && ! grep -q "obj.c.*was lost" "$TMP/out" && s=1
    ok $s "$b: the next run's open of obj.c fails: $(grep lost "$TMP/out" | head -1)"
    [ $s -eq 0 ] || show "$TMP/out"
}

scenario file "file://$TMP/storage" ucx_tcp
s=1
# (the file backend keeps key K in the file "K#")
f="$TMP/storage/objects/gm-file-$$/obj.a#"
[ -f "$f" ] && [ "$(wc -c <"$f")" -eq 100003 ] && s=0
ok $s "file: the copy is objects/PROCESS/obj.a in the storage directory (100003 bytes)"
scenario redis "$PRAAS_TEST_REDIS" ofi_tcp
scenario s3 "s3://$bucket" ucx_shm

# Storage that cannot be reached: the persist fails with PRAAS_ERR_IO and a
# message naming the server; the object itself is unharmed.
transport_env ucx_tcp
PRAAS_OBJ_PERSIST_ON_EXIT=0 run gm-io-$$ redis://127.0.0.1:1 1 write obj.x 64 1 persist
s=$?
[ $s -ne 0 ] && grep -q "PRAAS_ERR_IO" "$TMP/out" && grep -q "127.0.0.1:1" "$TMP/out"
ok $? "unreachable storage: praas_obj_persist fails with PRAAS_ERR_IO naming it"
[ $s -ne 0 ] && show "$TMP/out"

echo "1..$n"
[ $failed -eq 0 ]
