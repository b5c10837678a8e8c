# What every benchmark script (bench/run-*.sh) shares: the build directory
# from its first argument or $BUILD, the check that the programs it runs
# were built, the private Redis (and S3) servers it may run under, the words
# for a launch's exit status, the clean-up of /dev/shm and the gnuplot call.
#
# Source it first, from the script's own directory, with the script's
# arguments in place (a leading BUILD_DIR is taken off them):
#
#   here=$(cd "$(dirname "$0")" && pwd)
#   . "$here/lib/common.sh"
#
# It sets
#   src          the source tree (absolute)
#   build        the build tree (absolute): the first argument unless it is
#                empty or starts with '-', else $BUILD, else ./build; when it
#                is no directory the script exits with status 2
#   bench_name   the script's name, for its messages (run-coll.sh)
#   bench_ncpu   the number of CPUs
#   bench_columns  the column names of bench.h's rows (BENCH_CSV_HEADER)
# Its functions' own variables start with _b (plain sh has no local
# variables).

bench_name=${0##*/}
bench_ncpu=$(nproc 2>/dev/null || echo 1)
bench_columns=$(sed -n 's/#define BENCH_CSV_HEADER "\(.*\)"/\1/p' "$here/bench.h")
# shellcheck disable=SC2154 # here: the sourcing script's directory
src=$(cd "$here/.." && pwd)
build=${BUILD:-./build}
case ${1:-} in
  ''|-*) ;;
  *) build=$1; shift ;;
esac
_bdir=$build
build=$(cd "$_bdir" 2>/dev/null && pwd) || {
  echo "$bench_name: no build directory $_bdir" >&2
  exit 2
}

# bench_need TEST FILE...: every FILE passes test(1)'s TEST (-x for a
# program, -e for a library), or the script says which one is missing and
# exits with status 2.
bench_need() {
  _btest=$1
  shift
  for _bf in "$@"; do
    if ! test "$_btest" "$_bf"; then
      echo "$bench_name: $_bf is missing: build first (make in $build)" >&2
      exit 2
    fi
  done
}

# bench_with_redis VAR ARGS...: run the script again under
# testsuite/with-redis.sh, which starts a redis-server of its own on a free
# loopback port, exports PRAAS_TEST_REDIS and stops it at the end; ARGS are
# the script's arguments. In that second run VAR (a variable name) holds
# the server's URL. Does nothing when VAR was set by the caller (a server
# of one's own).
bench_with_redis() {
  _bvar=$1
  shift
  eval "_bval=\${$_bvar:-}"
  if [ -z "$_bval" ]; then
    eval "$_bvar=pending; export $_bvar"
    exec "$src/testsuite/with-redis.sh" "$0" "$build" "$@"
  fi
  [ "$_bval" != pending ] || eval "$_bvar=\${PRAAS_TEST_REDIS:-}"
}

# bench_with_redis_s3 ARGS...: run the script again under
# testsuite/with-redis.sh and testsuite/with-s3.sh (private redis-server and
# s3rver, $S3RVER or found by with-s3.sh), which export PRAAS_TEST_REDIS and
# PRAAS_TEST_S3; ARGS are the script's arguments. Does nothing when both
# are set already.
bench_with_redis_s3() {
  if [ -z "${PRAAS_TEST_REDIS:-}" ] || [ -z "${PRAAS_TEST_S3:-}" ]; then
    top_builddir=$build BUILD=$build exec sh "$src/testsuite/with-redis.sh" \
      sh "$src/testsuite/with-s3.sh" sh "$0" "$build" "$@"
  fi
}

# bench_describe_status STATUS TIMEOUT: one line of words for a launch's
# exit status (124 and 137 are timeout(1)'s: the run outlived TIMEOUT s).
bench_describe_status() {
  case $1 in
    0) echo "ok" ;;
    124|137) echo "TIMED OUT after $2 s" ;;
    127) echo "NOT RUN (missing program)" ;;
    *) echo "FAILED (exit status $1)" ;;
  esac
}

# bench_launch_line LABEL STATUS TIMEOUT T0 CSV CONFIG: how one launch
# went, in $bench_line: "LABEL: ok, N rows in S s" (N: the rows of
# configuration CONFIG in CSV, S: the seconds since T0, a date +%s), with
# "; see ERR" (CSV's .err beside its .csv) after a failure, which is also
# said on stderr. The line is added to $status_lines.
bench_launch_line() {
  _brows=$(grep -c "^$6," "$5" 2>/dev/null || true)
  bench_line="$1: $(bench_describe_status "$2" "$3"), ${_brows:-0} rows in $(( $(date +%s) - $4 )) s"
  [ "$2" -eq 0 ] || bench_line="$bench_line; see ${5%.csv}.err"
  status_lines="$status_lines
$bench_line"
  [ "$2" -eq 0 ] || echo "  $bench_line" >&2
}

# bench_csv_begin CSV COLUMNS WORDS: start the results file CSV, written as
# CSV.tmp until it is complete: the line of column names COLUMNS (none when
# empty), a comment naming this script, when it started, the host, its CPUs
# and load, and "# WORDS" (the options of the run). Sets started (UTC, ISO
# 8601) and t_start (date +%s).
bench_csv_begin() {
  started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  t_start=$(date +%s)
  {
    [ -z "$2" ] || echo "$2"
    echo "# bench/$bench_name, started $started on $(uname -n), $bench_ncpu CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# $3"
  } >"$1.tmp"
}

# bench_csv_end CSV: close the results file with a comment saying how long
# the run took and the load, and move CSV.tmp to CSV.
bench_csv_end() {
  echo "# finished after $(( $(date +%s) - t_start )) s, load $(cut -d' ' -f1-3 /proc/loadavg)" >>"$1.tmp"
  mv "$1.tmp" "$1"
}

# libfabric shm leaves /dev/shm/<pid>:* behind when a worker dies
# (TRANSPORTS.md, pitfall 7): remove the files of processes that no longer
# exist (never a live one's).
bench_clean_shm() {
  for _bf in /dev/shm/[0-9]*:*; do
    [ -e "$_bf" ] || continue
    _bpid=${_bf#/dev/shm/}; _bpid=${_bpid%%:*}
    kill -0 "$_bpid" 2>/dev/null || rm -f "$_bf"
  done
}

# bench_gnuplot SCRIPT LOG -e EXPR ...: run gnuplot on SCRIPT with the -e
# options given; a missing gnuplot or a failure is said on stderr (the data
# is still in the CSV files).
bench_gnuplot() {
  _bgp=$1 _blog=$2
  shift 2
  if ! command -v gnuplot >/dev/null 2>&1; then
    echo "$bench_name: gnuplot not found, no plots (apt-get install gnuplot-nox)" >&2
    return 1
  fi
  gnuplot "$@" "$_bgp" 2>"$_blog" || {
    echo "$bench_name: gnuplot failed, see $_blog" >&2
    return 1
  }
}
