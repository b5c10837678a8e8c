#!/bin/sh
# Objects across view changes (TAP), on each transport configuration given
# (default: ucx_tcp ofi_tcp ucx_shm ofi_shm): a worker killed with SIGKILL
# during a run (praas-run --keep-going) after persisting one object and
# before persisting another (restored byte-exact / reported lost), and a
# worker asked to leave (praas-run --elastic, SIGUSR2) while the others keep
# updating objects it owns (no lost or torn update), and a worker joining
# under load (SIGUSR1; testsuite/gmem_join.c), which then leaves, and windows
# over the current view across a join and a leave (testsuite/view_win.c: a
# window loop running while rank 3 joins, then windows of 4 and of 3
# members checked with puts and accumulates) and collectives over the
# current view (testsuite/view_coll.c: an allreduce loop across a join and
# a leave, each result that of the view it ran in). Once: two leaves in a
# row, bad input for the view routes, and the view change protocol of the
# control plane driven by hand (ordering, a failure during a leave). The location cache is checked
# along the way (the program counts its directory lookups). The worker program is testsuite/gmem_view.c.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/testsuite/lib/tap.sh"
. "$top_srcdir/testsuite/lib/transport.sh"
tap_find_run
tap_tmpdir gmem-view
PROG=${top_builddir:-..}/testsuite/gmem_view
JOIN=${top_builddir:-..}/testsuite/gmem_join
VIEWWIN=${top_builddir:-..}/testsuite/view_win
VIEWCOLL=${top_builddir:-..}/testsuite/view_coll
for p in "$PROG" "$JOIN" "$VIEWWIN" "$VIEWCOLL"; do
    if [ ! -x "$p" ]; then
        echo "Bail out! $p not built"
        exit 1
    fi
done
configs=${GMEM_VIEW_CONFIGS:-ucx_tcp ofi_tcp ucx_shm ofi_shm}
# A dead peer must not hold an access for the default minute.
PRAAS_OP_TIMEOUT=${PRAAS_OP_TIMEOUT:-5000}
export PRAAS_OP_TIMEOUT

# scenario CONFIG NAME N LAUNCHER-OPTIONS: run the program's NAME mode on N
# workers (mode "join": the program gmem_join, "viewwin": view_win,
# "viewcoll": view_coll); its TAP
# lines are renumbered and labelled with the config.
scenario() {
    cfg=$1 mode=$2 np=$3
    shift 3
    transport_env "$cfg"
    if [ "$mode" = join ]; then
        set -- "$@" -n "$np" --timeout 120 "$JOIN"
    elif [ "$mode" = viewwin ]; then
        set -- "$@" -n "$np" --timeout 120 "$VIEWWIN"
    elif [ "$mode" = viewcoll ]; then
        set -- "$@" -n "$np" --timeout 120 "$VIEWCOLL"
    else
        set -- "$@" -n "$np" --timeout 120 "$PROG" "$mode"
    fi
    PRAAS_STORAGE=file://$TMP/storage-$cfg $RUN "$@" >"$TMP/out" 2>"$TMP/err"
    s=$?
    lines=0
    while IFS= read -r line; do
        case $line in
            "ok "*) lines=$((lines + 1)); ok 0 "$cfg $mode: ${line#* - }" ;;
            "not ok "*) lines=$((lines + 1)); ok 1 "$cfg $mode: ${line#* - }" ;;
        esac
    done <"$TMP/out"
    [ $lines -gt 0 ] || { ok 1 "$cfg $mode printed no result"; show "$TMP/err"; }
    ok $s "$cfg $mode: praas-run exits 0 (the survivors succeeded)"
    [ $s -eq 0 ] || show "$TMP/err"
    transport_clean_shm
}

for cfg in $configs; do
    scenario "$cfg" kill 3 --keep-going
    grep -q "rank 2 killed by signal 9 (SIGKILL); the others go on" "$TMP/err"
    ok $? "$cfg kill: praas-run reports the killed worker and keeps the others"
    scenario "$cfg" leave 4 --elastic
    grep -q "asking rank 3 to leave view 0" "$TMP/err"
    ok $? "$cfg leave: praas-run asked rank 3 to leave on SIGUSR2"
    scenario "$cfg" join 3 --elastic
    grep -q "adding rank 3 to view 0" "$TMP/err"
    ok $? "$cfg join: praas-run added rank 3 on SIGUSR1"
    ! grep -q "not ok" "$TMP/err"
    ok $? "$cfg join: the joiner and the other ranks report no failure"
    case " ${VIEW_WIN_CONFIGS:-ucx_tcp ofi_tcp} " in
        *" $cfg "*)
            for m in viewwin viewcoll; do
                scenario "$cfg" $m 3 --elastic
                ! grep -q "not ok\|timed out\|acknowledging view" "$TMP/err"
                ok $? "$cfg $m: no rank reports a failure, a timeout or a late acknowledgement"
            done
            ;;
    esac
done
# Two changes in a row (objects move twice), on one configuration.
scenario ucx_tcp leave2 4 --elastic
grep -q "asking rank 2 to leave view 1" "$TMP/err"
ok $? "ucx_tcp leave2: praas-run asked rank 3, then rank 2 to leave"
scenario "" routes 1
scenario "" protocol 1

# A joiner needs a control plane: a clear error, not a hang.
env -u PRAAS_CONTROL PRAAS_JOIN=1 PRAAS_RANK=1 PRAAS_SIZE=1 "$JOIN" >"$TMP/out" 2>"$TMP/err"
s=$?
[ $s -ne 0 ] && grep -q "PRAAS_JOIN=1 but PRAAS_CONTROL is not set" "$TMP/err"
ok $? "PRAAS_JOIN=1 without a control plane fails naming the cause (status $s)"

# Without --keep-going a killed worker still stops the run.
transport_env ucx_tcp
$RUN -n 3 --timeout 60 "$PROG" kill >"$TMP/out" 2>"$TMP/err"
s=$?
[ $s -eq 137 ]
ok $? "without --keep-going the kill stops the run with status 137 (got $s)"

echo "1..$n"
[ $failed -eq 0 ]
