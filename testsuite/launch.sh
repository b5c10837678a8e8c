#!/bin/sh
# Runs a launched test under praas-run on one transport configuration: the
# LOG_COMPILER of the .lt test extension. The harness calls
# `launch.sh TESTFILE`, TESTFILE being named PROGRAM-nN-CONFIG.lt (the file
# itself is an empty stamp), CONFIG one of ucx_tcp, ucx_shm, ofi_tcp,
# ofi_shm; PROGRAM-tp-nN-CONFIG.lt runs PROGRAM with PRAAS_RMA_SHM=0, so that
# windows allocated by praas use the transport instead of shared memory.
# Rank 0 prints the TAP stream; the others report to stderr.
set -u
test=$1
base=$(basename "${test%.lt}")
dir=$(dirname "$test")
config=${base##*-}
rest=${base%-*}
np=${rest##*-n}
prog=$dir/${rest%-n*}
case $np in ''|*[!0-9]*) echo "Bail out! bad launched test name $test (want PROG-nN-CONFIG.lt)"; exit 99;; esac
case $config in
  ucx_tcp|ucx_shm|ofi_tcp|ofi_shm) ;;
  *) echo "Bail out! unknown configuration '$config' in $test"; exit 99;;
esac
case $prog in
  *-tp) prog=${prog%-tp}; PRAAS_RMA_SHM=0; export PRAAS_RMA_SHM ;;
esac

. "${top_srcdir:-$(dirname "$0")/..}/testsuite/lib/transport.sh"
transport_env "$config"

run=${PRAAS_RUN:-${top_builddir:-.}/launcher/praas-run}
"$run" -n "$np" --timeout "${PRAAS_TEST_TIMEOUT:-180}" "${top_builddir:-.}/$prog"
status=$?

transport_clean_shm
exit $status
