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

# Loopback only, and nothing from the environment changes the provider.
unset FI_PROVIDER UCX_TLS
FI_TCP_IFACE=lo FI_SOCKETS_IFACE=lo UCX_NET_DEVICES=lo UCX_WARN_UNUSED_ENV_VARS=n
export FI_TCP_IFACE FI_SOCKETS_IFACE UCX_NET_DEVICES UCX_WARN_UNUSED_ENV_VARS
case $config in
  ucx_tcp) PRAAS_TRANSPORT=ucx; UCX_TLS=tcp; export UCX_TLS ;;
  ucx_shm) PRAAS_TRANSPORT=ucx; UCX_TLS=sm,self; export UCX_TLS ;;
  ofi_tcp) PRAAS_TRANSPORT=ofi; FI_PROVIDER=tcp; export FI_PROVIDER ;;
  ofi_shm) PRAAS_TRANSPORT=ofi; FI_PROVIDER=shm; export FI_PROVIDER ;;
  *) echo "Bail out! unknown transport configuration $config"; exit 99 ;;
esac
export PRAAS_TRANSPORT

run=${PRAAS_RUN:-${top_builddir:-.}/launcher/praas-run}
"$run" -n "$np" --timeout "${PRAAS_TEST_TIMEOUT:-180}" "${top_builddir:-.}/$prog"
status=$?

# libfabric shm leaves /dev/shm/<pid>:* behind when a worker dies: remove
# the files of processes that no longer exist (never a live one's).
for f in /dev/shm/[0-9]*:*; do
  [ -e "$f" ] || continue
  pid=${f#/dev/shm/}; pid=${pid%%:*}
  kill -0 "$pid" 2>/dev/null || rm -f "$f"
done
exit $status
