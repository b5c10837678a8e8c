#!/bin/sh
# Runs a launched test under praas-run on one transport configuration.
# Used as the LOG_COMPILER of the .ucx_tcp, .ucx_shm, .ofi_tcp and .ofi_shm
# test extensions: the harness calls `launch.sh CONFIG TESTFILE`, where
# TESTFILE is named PROGRAM-nN.CONFIG (the file itself is an empty stamp);
# PROGRAM-tp-nN.CONFIG runs PROGRAM with PRAAS_RMA_SHM=0, so that windows
# allocated by praas use the transport instead of shared memory.
# Rank 0 prints the TAP stream; the others report to stderr.
set -u
config=$1
test=$2
base=${test%.*}
np=${base##*-n}
prog=${base%-n*}
case $np in ''|*[!0-9]*) echo "Bail out! bad launched test name $test (want PROG-nN.CONFIG)"; exit 99;; esac
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
