#!/bin/sh
# Window (RMA) latency and bandwidth, praas beside Open MPI, MPICH and the
# raw transports, in one run on 2 workers (bench/README-rma.md):
#
#   bench/run-rma.sh [BUILD_DIR] [OPTIONS FOR THE BENCHMARKS...]
#
# - praas-shm: rma_bench --window allocate on the default configuration (one
#   node: the shared-memory path);
# - praas-ucx-tcp, praas-ucx-sm, praas-ofi-tcp, praas-ofi-shm: rma_bench
#   --window create (the transport path), environment as testsuite/launch.sh,
#   with --raw: each flush-mode put/get sample paired with a raw transport
#   sample in the same process (rows ucx-tcp-inline, ucx-shm-inline,
#   ofi-tcp-inline, ofi-shm-inline), the figures the ratios are taken from;
# - ompi-default (Open MPI's default one-sided component), ompi-osc-sm
#   (--mca osc sm), mpich: mpi_rma_bench (MPI_Win_allocate), built here with
#   mpicc.openmpi and mpicc.mpich;
# - the raw transports and floors: bench/run-tp.sh (tp_bench, floor_bench)
#   with the same options, without its passive pass.
# Each implementation runs once per synchronization mode (flush, lock,
# fence, pscw), so that a crash costs one mode's remaining rows, not the
# run. Writes bench/results/rma.csv (tp and floor rows appended), the PNG
# plots, and prints a summary. A failing implementation is noted and the
# run goes on.
#
# Environment:
#   BUILD          the build directory, when not the first argument
#   RESULTS        where to write (default bench/results beside this script)
#   RMA_IMPLS      subset of: praas-shm praas-ucx-tcp praas-ucx-sm praas-ofi-tcp
#                  praas-ofi-shm ompi-default ompi-osc-sm mpich (default: all);
#                  ompi-default-create and mpich-create (MPI_Win_create) may be added
#   RMA_MODES      subset of: flush lock fence pscw (default: all)
#   RMA_TIMEOUT    seconds allowed to one launch (default 300)
#   RMA_TP         1 (default): run the raw transports too; 0: skip
#   RMA_BIND       praas-run --bind-to / mpirun binding (default core)
#   RMA_ORIGIN_PROGRESS  manual (default, as run-tp.sh) or thread: rank 0's
#                  praas progress engine
# With no options the benchmarks get --budget-ms 15 --warmup 5 (a few
# minutes in all on 2 cores); options given replace these defaults.
set -u

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh" # src, build (BUILD_DIR taken off the arguments), bench_*
results=${RESULTS:-$here/results}
impls=${RMA_IMPLS:-praas-shm praas-ucx-tcp praas-ucx-sm praas-ofi-tcp praas-ofi-shm ompi-default ompi-osc-sm mpich}
modes=${RMA_MODES:-flush lock fence pscw}
timeout=${RMA_TIMEOUT:-300}
bind=${RMA_BIND:-core}
origin_progress=${RMA_ORIGIN_PROGRESS:-manual}
run=$build/launcher/praas-run
csv=$results/rma.csv
logs=$results/rma-logs
[ $# -gt 0 ] || set -- --budget-ms 15 --warmup 5

bench_need -x "$build/bench/rma_bench" "$run"
mkdir -p "$results" "$logs" || exit 2

# The MPI builds (standard MPI-3.1, linked with bench.c only) and the
# launches: bench/lib/mpi.sh.
. "$here/lib/mpi.sh"
mpi_wrappers=
case " $impls " in *" ompi-"*) mpi_wrappers="mpicc.openmpi" ;; esac
case " $impls " in *" mpich"*) mpi_wrappers="$mpi_wrappers mpicc.mpich" ;; esac
[ -z "$mpi_wrappers" ] || mpi_build_all mpi_rma_bench bench/mpi_rma_bench.c

# Run one implementation in one mode: rows to $logs/IMPL-MODE.csv,
# diagnostics to .err; returns the launcher's status.
run_one() { # IMPL MODE OPTIONS...
  impl=$1 mode=$2; shift 2
  out=$logs/$impl-$mode.csv err=$logs/$impl-$mode.err
  common="--no-header --label $impl --modes $mode"
  case $impl in
    praas-*)
      # The target waits in one fence through a whole passive mode: the
      # launch's timeout is also PRAAS_OP_TIMEOUT (mpi_praas_env).
      # The paired samples: memcpy for the shared-memory path (--floor),
      # the raw transport for the others (--raw, rows named as tp_bench's
      # configurations with -inline).
      flavor=create paired=
      case $impl in
        praas-shm) config=default flavor=allocate paired=--floor ;;
        praas-ucx-sm) config=ucx-sm paired="--raw ucx-shm-inline" ;;
        praas-ucx-tcp|praas-ofi-tcp|praas-ofi-shm)
          config=${impl#praas-} paired="--raw ${impl#praas-}-inline" ;;
        *) echo "unknown implementation $impl" >"$err"; return 2 ;;
      esac
      # shellcheck disable=SC2086 # paired: an option and its value
      mpi_launch praas 2 "$bind" "$timeout" "$config" "$build/bench/rma_bench" \
        $common --window $flavor --origin-progress "$origin_progress" $paired "$@" >"$out" 2>"$err"
      ;;
    ompi-*)
      flavor=allocate mca=""
      case $impl in *-create) flavor=create ;; esac
      case $impl in ompi-osc-sm*) mca="--mca osc sm" ;; esac
      mpi_launch ompi 2 "$bind" "$timeout" "$mca" "$build/bench/mpi_rma_bench.openmpi" \
        $common --window $flavor "$@" >"$out" 2>"$err"
      ;;
    mpich*)
      flavor=allocate
      case $impl in *-create) flavor=create ;; esac
      mpi_launch mpich 2 "$bind" "$timeout" "" "$build/bench/mpi_rma_bench.mpich" \
        $common --window $flavor "$@" >"$out" 2>"$err"
      ;;
    *) echo "unknown implementation $impl" >"$err"; return 2 ;;
  esac
}

bench_csv_begin "$csv" "$bench_columns" \
  "options: $*; bind-to $bind; praas origin progress $origin_progress"

status_lines=""
for impl in $impls; do
  for mode in $modes; do
    echo "$impl, $mode: ..." >&2
    t0=$(date +%s)
    run_one "$impl" "$mode" "$@"
    bench_launch_line "$impl $mode" $? "$timeout" "$t0" "$logs/$impl-$mode.csv" "$impl"
    grep -v '^config,' "$logs/$impl-$mode.csv" 2>/dev/null >>"$csv.tmp"
    echo "# $bench_line" >>"$csv.tmp"
  done
done

# ---- raw transports and floors: run-tp.sh, results kept apart from its own ----
if [ "${RMA_TP:-1}" = 1 ]; then
  tpres=$results/rma-tp
  if [ -x "$here/run-tp.sh" ] && [ -x "$build/bench/tp_bench" ] && [ -x "$build/bench/floor_bench" ]; then
    echo "raw transports: bench/run-tp.sh ..." >&2
    t0=$(date +%s)
    RESULTS=$tpres TP_PASSIVE=0 TP_BIND=$bind TP_TIMEOUT=$timeout \
      "$here/run-tp.sh" "$build" "$@" >"$logs/run-tp.out" 2>"$logs/run-tp.err"
    st=$?
    line="raw tp (run-tp.sh): $(bench_describe_status $st "$timeout") in $(( $(date +%s) - t0 )) s; $tpres/tp.csv"
    if [ -f "$tpres/tp.csv" ]; then
      grep -v '^config,' "$tpres/tp.csv" >>"$csv.tmp"
      grep '^[a-z].*: \(FAILED\|TIMED\)' "$logs/run-tp.out" >/dev/null &&
        line="$line; some configurations failed: $(grep ': \(FAILED\|TIMED\)' "$logs/run-tp.out" | tr '\n' ';')"
    else
      line="$line; no tp.csv, see $logs/run-tp.err"
    fi
  else
    line="raw tp: not run (bench/run-tp.sh, tp_bench or floor_bench missing)"
  fi
  status_lines="$status_lines
$line"
  echo "# $line" >>"$csv.tmp"
fi
mv "$csv.tmp" "$csv"

# ---- plots ----
# The 8-byte table for the bar chart: one line per op-mode, one column per
# implementation (gnuplot's clustered histogram wants it that way).
awk -F, -v impls="$impls" '
  /^#/ || $1 == "config" || $3 != 8 { next }
  { lat[$1 SUBSEP $2] = $5; ops[$2] = 1 }
  END {
    n = split(impls, im, " ")
    printf "op"; for (i = 1; i <= n; i++) printf " %s", im[i]; print ""
    m = split("put get acc accd gacc fop cas", o, " ")
    k = split("flush lock fence pscw", md, " ")
    for (a = 1; a <= k; a++) for (b = 1; b <= m; b++) {
      op = o[b] "-" md[a]
      if (!(op in ops)) continue
      printf "%s", op
      for (i = 1; i <= n; i++) { v = lat[im[i], op]; printf " %s", v == "" ? "NaN" : v }
      print ""
    }
  }' "$csv" >"$results/rma_8B.dat"
bench_gnuplot "$here/plot-rma.gp" "$logs/plot.err" \
  -e "csv='$csv'; dat='$results/rma_8B.dat'; outdir='$results'; impls='$impls'; subtitle=' ($started)'"

# ---- summary ----
echo
echo "RMA windows, 2 workers, median latency in us ($csv)"
echo "plots: rma_latency_put.png rma_latency_get.png rma_latency_8B.png rma_bandwidth.png"
awk -F, -v impls="$impls" '
  /^#/ || $1 == "config" { next }
  { k = $1 SUBSEP $2 SUBSEP $3; lat[k] = $5; bw[k] = $8 }
  function f(v) {
    if (v == "") return "-"
    if (v + 0 >= 100) return sprintf("%.0f", v)
    if (v + 0 >= 10) return sprintf("%.1f", v)
    return sprintf("%.2f", v)
  }
  function ratio(a, b) { return (a == "" || b == "" || b + 0 == 0) ? "-" : sprintf("%.2f", a / b) }
  END {
    n = split(impls, im, " ")
    print ""
    print "1. 8-byte latency with flush (inside lock_all: op + flush), us"
    printf "| %-20s | %8s | %8s | %8s | %8s | %8s |\n", "implementation", "put", "get", "fop", "cas", "acc"
    printf "|%s|\n", "----------------------|----------|----------|----------|----------|---------"
    for (i = 1; i <= n; i++)
      printf "| %-20s | %8s | %8s | %8s | %8s | %8s |\n", im[i], f(lat[im[i], "put-flush", 8]),
        f(lat[im[i], "get-flush", 8]), f(lat[im[i], "fop-flush", 8]), f(lat[im[i], "cas-flush", 8]),
        f(lat[im[i], "acc-flush", 8])
    # Best MPI per op, for the target "praas-shm no higher than the best MPI".
    split("put get fop cas", ops, " ")
    printf "| %-20s |", "best MPI"
    for (j = 1; j <= 4; j++) {
      best = ""
      for (i = 1; i <= n; i++) {
        if (im[i] !~ /^(ompi|mpich)/ || im[i] ~ /-create$/) continue
        v = lat[im[i], ops[j] "-flush", 8]
        if (v != "" && (best == "" || v + 0 < best + 0)) best = v
      }
      bestv[j] = best
      printf " %8s |", f(best)
    }
    printf " %8s |\n", ""
    printf "| %-20s |", "praas-shm / best MPI"
    for (j = 1; j <= 4; j++) printf " %8s |", ratio(lat["praas-shm", ops[j] "-flush", 8], bestv[j])
    printf " %8s |\n", ""

    print ""
    print "2. Transport path: praas created window (flush mode) / raw transport latency;"
    print "   raw = CONFIG-inline, paired samples in the same process (rma_bench --raw);"
    print "   (tp_bench) = the separate tp_bench run, at another moment"
    printf "| %-18s | %-22s | %-22s | %-22s | %-22s |\n", "config", "put 8 B", "get 8 B", "put 64 KiB", "get 64 KiB"
    printf "|%s|\n", "--------------------|------------------------|------------------------|------------------------|-----------------------"
    split("ucx-tcp ucx-shm ofi-tcp ofi-shm", tps, " ")
    split("praas-ucx-tcp praas-ucx-sm praas-ofi-tcp praas-ofi-shm", pr, " ")
    for (i = 1; i <= 4; i++) {
      split("put 8 get 8 put 65536 get 65536", q, " ")
      for (k = 1; k <= 2; k++) {
        printf "| %-18s |", k == 1 ? tps[i] : "  (tp_bench)"
        for (j = 1; j <= 8; j += 2) {
          a = lat[pr[i], q[j] "-flush", q[j + 1]]
          b = k == 1 ? lat[tps[i] "-inline", q[j] "-flush", q[j + 1]] : lat[tps[i], q[j], q[j + 1]]
          printf " %-22s |", sprintf("%s/%s = %s", f(a), f(b), ratio(a, b))
        }
        print ""
      }
    }

    print ""
    print "3. 1 MiB bandwidth (flush mode window), MB/s: praas / raw path, paired in the same process (praas-shm: / memcpy-inline; transports: / CONFIG-inline)"
    printf "| %-14s | %-28s | %-28s |\n", "implementation", "put", "get"
    printf "|%s|\n", "----------------|------------------------------|-----------------------------"
    M = 1048576
    a = bw["praas-shm", "put-flush", M]; b = bw["memcpy", "copy", M]; c = bw["memcpy-cold", "copy", M]
    g = bw["praas-shm", "get-flush", M]
    # The floor measured in rma_bench itself, sample for sample (--floor).
    ip = bw["memcpy-inline", "put-flush", M]; ig = bw["memcpy-inline", "get-flush", M]
    printf "| %-14s | %-28s | %-28s |\n", "praas-shm", sprintf("%s/%s = %s", f(a), f(ip), ratio(a, ip)),
      sprintf("%s/%s = %s", f(g), f(ig), ratio(g, ig))
    printf "| %-14s | %-28s | %-28s |\n", "  (floor_bench)", sprintf("%s/%s = %s", f(a), f(b), ratio(a, b)),
      sprintf("%s/%s = %s", f(g), f(b), ratio(g, b))
    printf "| %-14s | %-28s | %-28s |\n", "  (memcpy-cold)", sprintf("%s/%s = %s", f(a), f(c), ratio(a, c)),
      sprintf("%s/%s = %s", f(g), f(c), ratio(g, c))
    # Over the paired raw samples (CONFIG-inline), then over tp_bench.
    for (i = 1; i <= 4; i++) for (k = 1; k <= 2; k++) {
      a = bw[pr[i], "put-flush", M]; g = bw[pr[i], "get-flush", M]
      if (k == 1) { b = bw[tps[i] "-inline", "put-flush", M]; h = bw[tps[i] "-inline", "get-flush", M] }
      else { b = bw[tps[i], "put", M]; h = bw[tps[i], "get", M] }
      printf "| %-14s | %-28s | %-28s |\n", k == 1 ? pr[i] : "  (tp_bench)",
        sprintf("%s/%s = %s", f(a), f(b), ratio(a, b)), sprintf("%s/%s = %s", f(g), f(h), ratio(g, h))
    }
    for (i = 1; i <= n; i++) if (im[i] ~ /^(ompi|mpich)/)
      printf "| %-14s | %-28s | %-28s |\n", im[i], f(bw[im[i], "put-flush", M]), f(bw[im[i], "get-flush", M])
  }' "$csv"
echo
echo "Runs (total $(( $(date +%s) - t_start )) s):$status_lines"
