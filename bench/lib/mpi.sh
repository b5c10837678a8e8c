# What the benchmark scripts that build MPI programs and launch them beside
# praas share (run-rma.sh, run-coll.sh, run-mpi-rma.sh, run-sgd.sh): the
# build with an MPI compiler wrapper, one launch of N workers under praas-run,
# Open MPI's or MPICH's mpirun (each with a timeout).
#
# Source it after bench/lib/common.sh (src, build, bench_ncpu,
# bench_clean_shm) and after setting
#   logs    a directory for the build logs (build-WRAPPER.err)
# Every function leaves the caller's environment as it found it; their own
# variables start with _m (plain sh has no local variables).

# mpi_build WRAPPER OUTPUT SOURCE...: compile SOURCE... and bench/bench.c
# (paths relative to the source tree) into OUTPUT with an MPI compiler
# wrapper: mpicc.openmpi, mpicc.mpich, or praas-mpicc (the build tree's,
# pointed at the build tree as testsuite/mpi/run.sh does). Diagnostics go
# to $logs/build-WRAPPER.err. Returns the compiler's status, 127 when the
# wrapper is missing.
mpi_build() {
  _mw=$1 _mout=$2
  shift 2
  _mname=${_mw##*/}
  _mfiles=
  for _mf in "$@" bench/bench.c; do _mfiles="$_mfiles $src/$_mf"; done
  case $_mname in
    praas-mpicc) _mw=$build/launcher/praas-mpicc ;;
  esac
  if ! command -v "$_mw" >/dev/null 2>&1; then
    echo "$_mw not found" >"$logs/build-$_mname.err"
    return 127
  fi
  # shellcheck disable=SC2086 # _mfiles: absolute paths without blanks
  PRAAS_MPICC_BUILDDIR=$build PRAAS_MPICC_SRCDIR=$src \
    "$_mw" -std=gnu11 -O2 -I"$src" -o "$_mout" $_mfiles 2>"$logs/build-$_mname.err"
}

# mpi_build_all NAME SOURCE... for the wrappers named in $mpi_wrappers
# (default: praas-mpicc mpicc.openmpi mpicc.mpich): builds
# $build/bench/NAME.praas, NAME.openmpi, NAME.mpich; a failure is said on
# stderr and the others still build.
mpi_build_all() {
  _mprog=$1
  shift
  for _mwr in ${mpi_wrappers:-praas-mpicc mpicc.openmpi mpicc.mpich}; do
    case $_mwr in
      praas-mpicc) _msuffix=praas ;;
      *) _msuffix=${_mwr#mpicc.} ;;
    esac
    mpi_build "$_mwr" "$build/bench/$_mprog.$_msuffix" "$@" ||
      echo "${0##*/}: building $_mprog with $_mwr failed, see $logs/build-$_mwr.err" >&2
  done
}

# mpi_praas_env CONFIG TIMEOUT: the environment of one praas launch, as
# testsuite/launch.sh sets it (loopback only, nothing inherited chooses the
# provider), for a subshell. CONFIG: default (the library's choice: UCX,
# windows of one node in shared memory), ucx-tcp, ucx-sm, ofi-tcp, ofi-shm,
# or ucx-tcp-noshm (ucx-tcp with PRAAS_RMA_SHM=0: every window operation
# over the transport). PRAAS_OP_TIMEOUT becomes the launch's timeout, since
# a benchmark's target may wait in one call for a whole measurement.
mpi_praas_env() {
  unset FI_PROVIDER UCX_TLS PRAAS_TRANSPORT PRAAS_PROGRESS PRAAS_RMA_SHM
  FI_TCP_IFACE=lo FI_SOCKETS_IFACE=lo UCX_NET_DEVICES=lo UCX_WARN_UNUSED_ENV_VARS=n
  PRAAS_OP_TIMEOUT=$(($2 * 1000))
  export FI_TCP_IFACE FI_SOCKETS_IFACE UCX_NET_DEVICES UCX_WARN_UNUSED_ENV_VARS PRAAS_OP_TIMEOUT
  case $1 in
    default) ;;
    ucx-tcp) PRAAS_TRANSPORT=ucx UCX_TLS=tcp ;;
    ucx-tcp-noshm) PRAAS_TRANSPORT=ucx UCX_TLS=tcp PRAAS_RMA_SHM=0; export PRAAS_RMA_SHM ;;
    ucx-sm) PRAAS_TRANSPORT=ucx UCX_TLS=sm,self ;;
    ofi-tcp) PRAAS_TRANSPORT=ofi FI_PROVIDER=tcp ;;
    ofi-shm) PRAAS_TRANSPORT=ofi FI_PROVIDER=shm ;;
    *) echo "unknown praas configuration $1" >&2; return 2 ;;
  esac
  case $1 in
    ucx-*) export PRAAS_TRANSPORT UCX_TLS ;;
    ofi-*) export PRAAS_TRANSPORT FI_PROVIDER ;;
  esac
}

# mpi_launch KIND NP BIND TIMEOUT OPTS PROG ARGS...: run PROG on NP workers
# and return the launcher's status (124 or 137 when it outlived TIMEOUT
# seconds). KIND:
#   praas  praas-run -n NP --bind-to BIND --timeout TIMEOUT, in the
#          environment mpi_praas_env OPTS sets (OPTS: a configuration name),
#          and timeout(1) 20 s later in case the launcher itself hangs;
#   ompi   mpirun.openmpi --allow-run-as-root (--oversubscribe above the CPU
#          count) --bind-to BIND OPTS (extra mpirun options, e.g.
#          "--mca osc sm"; may be empty) under timeout(1);
#   mpich  mpirun.mpich -bind-to BIND OPTS under timeout(1).
# A missing program (or mpirun) returns 127. Output goes where the caller
# sends it; /dev/shm is cleaned up after.
mpi_launch() {
  _mkind=$1 _mnp=$2 _mbind=$3 _mtmo=$4 _mopts=$5
  shift 5
  [ -x "$1" ] || return 127
  case $_mkind in
    praas)
      (
        mpi_praas_env "${_mopts:-default}" "$_mtmo" || exit 2
        exec timeout -k 10 $((_mtmo + 20)) "$build/launcher/praas-run" -n "$_mnp" \
          --bind-to "$_mbind" --timeout "$_mtmo" "$@"
      )
      ;;
    ompi)
      command -v mpirun.openmpi >/dev/null 2>&1 || return 127
      _mover=
      [ "$_mnp" -le "$bench_ncpu" ] || _mover=--oversubscribe
      # shellcheck disable=SC2086 # _mopts: words for mpirun
      timeout -k 10 "$_mtmo" mpirun.openmpi --allow-run-as-root -np "$_mnp" $_mover \
        --bind-to "$_mbind" $_mopts "$@"
      ;;
    mpich)
      command -v mpirun.mpich >/dev/null 2>&1 || return 127
      (
        UCX_WARN_UNUSED_ENV_VARS=n
        export UCX_WARN_UNUSED_ENV_VARS
        # shellcheck disable=SC2086
        exec timeout -k 10 "$_mtmo" mpirun.mpich -np "$_mnp" -bind-to "$_mbind" $_mopts "$@"
      )
      ;;
    *) echo "mpi_launch: unknown kind $_mkind" >&2; return 2 ;;
  esac
  _mst=$?
  bench_clean_shm
  return $_mst
}
