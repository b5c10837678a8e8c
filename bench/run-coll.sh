#!/bin/sh
# Allreduce latency and bandwidth (doubles, SUM, 8 B to 64 MiB) on 2 and 4
# workers: praas beside Open MPI, MPICH and a Redis-based allreduce, in one
# run (bench/README-coll.md):
#
#   bench/run-coll.sh [BUILD_DIR] [OPTIONS FOR THE BENCHMARKS...]
#
# Implementations (the config column is IMPL-nN):
# - praas: coll_bench under praas-run on the default configuration (UCX, one
#   node: the collective window is in shared memory);
# - praas-tcp: coll_bench with PRAAS_RMA_SHM=0, PRAAS_TRANSPORT=ucx,
#   UCX_TLS=tcp: every chunk a put, a flush and an accumulate over loopback;
# - ompi, mpich: bench/mpi_coll_bench.c, built here with mpicc.openmpi and
#   mpicc.mpich, launched with their own mpirun;
# - redis: redis_allreduce under praas-run (for PRAAS_RANK/PRAAS_SIZE only)
#   against a private redis-server started for the run
#   (testsuite/with-redis.sh).
# Writes bench/results/coll.csv (every row of every pass), coll-best.csv (per
# configuration and size the pass with the lowest median), the PNG plots
# coll_latency.png and coll_bandwidth.png, and prints a summary. A failing
# or timed-out implementation is noted and the run goes on.
#
# Environment:
#   BUILD          the build directory, when not the first argument
#   RESULTS        where to write (default bench/results beside this script)
#   COLL_IMPLS     subset of: praas praas-tcp ompi mpich redis (default: all)
#   COLL_NS        worker counts (default "2 4")
#   COLL_PASSES    passes over everything (default 2): the machine is shared
#                  and noisy, so each point is measured that many times, the
#                  passes interleaved; the summary and plots take, per point,
#                  the pass with the lowest median
#   COLL_TIMEOUT   seconds allowed to one launch (default 300)
#   COLL_BIND      binding for every launch (default: core for N <= CPUs,
#                  none when oversubscribed)
# With no options the benchmarks get --min 8 --max 64M --budget-ms 100
# --warmup 5 --min-iters 5 (a few minutes per pass on 2 cores); options
# given replace these defaults.
set -u

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh" # src, build (BUILD_DIR taken off the arguments), bench_*
results=${RESULTS:-$here/results}
impls=${COLL_IMPLS:-praas praas-tcp ompi mpich redis}
ns=${COLL_NS:-2 4}
passes=${COLL_PASSES:-2}
timeout=${COLL_TIMEOUT:-300}
run=$build/launcher/praas-run
csv=$results/coll.csv
best=$results/coll-best.csv
logs=$results/coll-logs
[ $# -gt 0 ] || set -- --min 8 --max 64M --budget-ms 100 --warmup 5 --min-iters 5

# The Redis-based allreduce needs a server of its own: run the rest of this
# script under testsuite/with-redis.sh, which starts one on a free loopback
# port, exports PRAAS_TEST_REDIS and stops it at the end.
case " $impls " in
  *" redis "*)
    bench_with_redis COLL_REDIS_URL "$@"
    ;;
esac

bench_need -x "$build/bench/coll_bench" "$run"
mkdir -p "$results" "$logs" || exit 2

# The MPI builds (standard MPI, linked with bench.c only) and the
# launches: bench/lib/mpi.sh.
. "$here/lib/mpi.sh"
mpi_wrappers=
case " $impls " in *" ompi "*) mpi_wrappers="mpicc.openmpi" ;; esac
case " $impls " in *" mpich "*) mpi_wrappers="$mpi_wrappers mpicc.mpich" ;; esac
[ -z "$mpi_wrappers" ] || mpi_build_all mpi_coll_bench bench/mpi_coll_bench.c

# Run one implementation on N workers: rows to $logs/IMPL-nN-pP.csv,
# diagnostics to .err; returns the launcher's status.
run_one() { # IMPL N PASS OPTIONS...
  impl=$1 np=$2 pass=$3; shift 3
  out=$logs/$impl-n$np-p$pass.csv err=$logs/$impl-n$np-p$pass.err
  bind=${COLL_BIND:-}
  if [ -z "$bind" ]; then
    if [ "$np" -le "$bench_ncpu" ]; then bind=core; else bind=none; fi
  fi
  common="--no-header --label $impl"
  case $impl in
    praas)
      mpi_launch praas "$np" "$bind" "$timeout" default "$build/bench/coll_bench" \
        $common "$@" >"$out" 2>"$err" ;;
    praas-tcp)
      # Every chunk a put, a flush and an accumulate over loopback TCP.
      mpi_launch praas "$np" "$bind" "$timeout" ucx-tcp-noshm "$build/bench/coll_bench" \
        $common "$@" >"$out" 2>"$err" ;;
    redis)
      mpi_launch praas "$np" "$bind" "$timeout" default "$build/bench/redis_allreduce" \
        $common --redis "$COLL_REDIS_URL" --wait-s "$timeout" "$@" >"$out" 2>"$err" ;;
    ompi)
      mpi_launch ompi "$np" "$bind" "$timeout" "" "$build/bench/mpi_coll_bench.openmpi" \
        $common "$@" >"$out" 2>"$err" ;;
    mpich)
      mpi_launch mpich "$np" "$bind" "$timeout" "" "$build/bench/mpi_coll_bench.mpich" \
        $common "$@" >"$out" 2>"$err" ;;
    *) echo "unknown implementation $impl" >"$err"; return 2 ;;
  esac
}

bench_csv_begin "$csv" "$bench_columns" \
  "options: $*; passes $passes; workers $ns; bind ${COLL_BIND:-core if N <= CPUs else none}"

status_lines=""
pass=1
while [ "$pass" -le "$passes" ]; do
  for np in $ns; do
    for impl in $impls; do
      echo "pass $pass, $impl, $np workers: ..." >&2
      t0=$(date +%s)
      run_one "$impl" "$np" "$pass" "$@"
      f=$logs/$impl-n$np-p$pass.csv
      bench_launch_line "pass $pass, $impl-n$np" $? "$timeout" "$t0" "$f" "$impl-n$np"
      grep "^#" "$f" 2>/dev/null | sed "s/^# /# pass $pass: /" >>"$csv.tmp"
      grep -v '^#' "$f" 2>/dev/null >>"$csv.tmp"
      echo "# $bench_line" >>"$csv.tmp"
    done
  done
  pass=$((pass + 1))
done
bench_csv_end "$csv"

# Per configuration and size, the row of the pass with the lowest median.
awk -F, '
  NR == 1 { print; next }
  /^#/ || $1 == "config" || $5 == "" { next }
  { k = $1 SUBSEP $3
    if (!(k in row) || $5 + 0 < med[k]) { row[k] = $0; med[k] = $5 + 0 }
    if (!(k in order)) { order[k] = ++n; keys[n] = k } }
  END { for (i = 1; i <= n; i++) print row[keys[i]] }
' "$csv" >"$best"

# ---- plots ----
bench_gnuplot "$here/plot-coll.gp" "$logs/plot.err" \
  -e "csv='$best'; outdir='$results'; impls='$impls'; ns='$ns'; subtitle=' ($started)'"

# ---- summary ----
echo
echo "Allreduce, doubles, SUM: median latency in us (best of $passes passes; $best)"
echo "plots: $results/coll_latency.png, $results/coll_bandwidth.png"
awk -F, -v impls="$impls" -v ns="$ns" '
  /^#/ || $1 == "config" { next }
  { lat[$1, $3] = $5; seen[$3] = 1 }
  function fmt(v) {
    if (v == "") return "-"
    if (v + 0 >= 1000) return sprintf("%.0f", v)
    if (v + 0 >= 10) return sprintf("%.1f", v)
    return sprintf("%.2f", v)
  }
  function human(s) {
    s = s + 0 # a key of seen[] is a string: compare numbers
    if (s >= 1048576) return (s / 1048576) "MiB"
    if (s >= 1024) return (s / 1024) "KiB"
    return s "B"
  }
  function bestmpi(n, s,   o, m) {
    o = lat["ompi-n" n, s]; m = lat["mpich-n" n, s]
    if (o == "") return m
    if (m == "" || o + 0 < m + 0) return o
    return m
  }
  END {
    ni = split(impls, im, " "); nn = split(ns, nw, " ")
    split("8 65536 1048576 16777216 67108864", key, " ")
    for (j = nn; j >= 1; j--) {
      n = nw[j]
      printf "\n%d workers\n%-7s", n, "size"
      for (i = 1; i <= ni; i++) printf " %11s", im[i]
      printf " %13s %12s\n", "praas/bestMPI", "redis/praas"
      for (k = 1; k <= 5; k++) {
        s = key[k]
        printf "%-7s", human(s)
        for (i = 1; i <= ni; i++) printf " %11s", fmt(lat[im[i] "-n" n, s])
        b = bestmpi(n, s); p = lat["praas-n" n, s]; r = lat["redis-n" n, s]
        printf " %13s", (p != "" && b != "") ? sprintf("%.2f", p / b) : "-"
        printf " %12s\n", (p != "" && r != "") ? sprintf("%.1f", r / p) : "-"
      }
      # Targets over every measured size, not only the rows above.
      worst = ""; wsize = 0; minr = ""; rsize = 0
      for (s in seen) {
        p = lat["praas-n" n, s]; b = bestmpi(n, s); r = lat["redis-n" n, s]
        if (s + 0 >= 1048576 && p != "" && b != "" && (worst == "" || p / b > worst)) {
          worst = p / b; wsize = s
        }
        if (p != "" && r != "" && (minr == "" || r / p < minr)) { minr = r / p; rsize = s }
      }
      if (worst != "")
        printf "target praas <= 1.2 x best MPI at >= 1 MiB: worst %.2f at %s: %s\n", worst,
               human(wsize), (worst <= 1.2 ? "met" : "MISSED")
      if (minr != "")
        printf "target redis >= 10 x praas at every size: lowest %.1f at %s: %s\n", minr,
               human(rsize), (minr >= 10 ? "met" : "MISSED")
    }
  }
' "$best"
echo
echo "Runs:$status_lines"
