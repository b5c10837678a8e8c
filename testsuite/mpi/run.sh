#!/bin/sh
# Build an MPI program twice and compare: with praas-mpicc, run under
# praas-run; with Debian's Open MPI wrapper, run under its mpirun. TAP.
#
#   testsuite/mpi/run.sh PROGRAM NP [CONFIG]
#
# PROGRAM names testsuite/mpi/PROGRAM.c; NP is the number of processes.
# CONFIG (ucx_tcp, ucx_shm, ofi_tcp, ofi_shm) sets the praas transport as
# testsuite/launch.sh does; without it the environment's PRAAS_TRANSPORT
# (and FI_PROVIDER, UCX_TLS) apply. Both builds use -Wall -Wextra and must
# be warning-free. Each program prints result lines and exits 0 only when
# its own checks pass; the sorted outputs of the two runs must be equal.
# Without mpicc.openmpi/mpirun.openmpi the Open MPI half is skipped.
set -u
prog=$1
np=$2
config=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
top_builddir=${top_builddir:-.}
src=$top_srcdir/testsuite/mpi/$prog.c
run=${PRAAS_RUN:-$top_builddir/launcher/praas-run}
timeout=${PRAAS_TEST_TIMEOUT:-180}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/praas-mpi.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

n=0
ok() { # status description
  n=$((n + 1))
  if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
  return "$1"
}
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
show() { sed 's/^/# /' "$@"; }

echo "1..5"
. "$top_srcdir/testsuite/lib/transport.sh"
transport_env "$config"

# ---- praas ----
PRAAS_MPICC_BUILDDIR=$top_builddir PRAAS_MPICC_SRCDIR=$top_srcdir \
  "$top_builddir/launcher/praas-mpicc" -Wall -Wextra -O2 ${PRAAS_SAN_FLAGS:-} "$src" \
  -o "$tmp/prog.praas" >"$tmp/cc.praas" 2>&1
status=$?
[ $status -eq 0 ] && [ -s "$tmp/cc.praas" ] && status=1 # warnings count as failure
ok $status "praas-mpicc -Wall -Wextra $prog.c builds without warnings" || show "$tmp/cc.praas"

if [ -x "$tmp/prog.praas" ]; then
  "$run" -n "$np" --timeout "$timeout" "$tmp/prog.praas" >"$tmp/praas.out" 2>"$tmp/praas.err"
  status=$?
else
  status=1
fi
ok $status "praas run passed ($prog on $np workers${config:+, $config})" ||
  show "$tmp/praas.out" "$tmp/praas.err"

# libfabric shm leaves /dev/shm/<pid>:* behind when a worker dies.
for f in /dev/shm/[0-9]*:*; do
  [ -e "$f" ] || continue
  pid=${f#/dev/shm/}; pid=${pid%%:*}
  kill -0 "$pid" 2>/dev/null || rm -f "$f"
done

# ---- Open MPI ----
if ! command -v mpicc.openmpi >/dev/null 2>&1 || ! command -v mpirun.openmpi >/dev/null 2>&1; then
  skip "mpicc.openmpi not found: no Open MPI build"
  skip "mpicc.openmpi not found: no Open MPI run"
  skip "mpicc.openmpi not found: no comparison"
  exit 0
fi
mpicc.openmpi -Wall -Wextra -O2 "$src" -o "$tmp/prog.ompi" >"$tmp/cc.ompi" 2>&1
status=$?
[ $status -eq 0 ] && [ -s "$tmp/cc.ompi" ] && status=1
ok $status "mpicc.openmpi -Wall -Wextra $prog.c builds without warnings" || show "$tmp/cc.ompi"
if [ -x "$tmp/prog.ompi" ]; then
  # Debian's Open MPI disables osc ucx and pt2pt; the default (osc rdma
  # over shared memory) handles every program here. As root it needs
  # --allow-run-as-root; --oversubscribe lets NP exceed the cores.
  timeout "$timeout" mpirun.openmpi --allow-run-as-root --oversubscribe -np "$np" \
    "$tmp/prog.ompi" >"$tmp/ompi.out" 2>"$tmp/ompi.err"
  status=$?
else
  status=1
fi
ok $status "Open MPI run passed ($prog on $np processes)" ||
  show "$tmp/ompi.out" "$tmp/ompi.err"

sort "$tmp/praas.out" >"$tmp/praas.sorted"
sort "$tmp/ompi.out" >"$tmp/ompi.sorted" 2>/dev/null
[ -s "$tmp/praas.sorted" ] && cmp -s "$tmp/praas.sorted" "$tmp/ompi.sorted"
ok $? "same output" || diff "$tmp/praas.sorted" "$tmp/ompi.sorted" | show
