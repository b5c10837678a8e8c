#!/bin/sh
# One-sided MPI micro-benchmarks built three ways (issue 5): the plain MPI-3.1
# program bench/mpi_rma_bench.c compiled with praas-mpicc, Open MPI's
# mpicc.openmpi and MPICH's mpicc.mpich, run on 2 workers in one script
# (bench/README-mpi-rma.md):
#
#   bench/run-mpi-rma.sh [BUILD_DIR] [OPTIONS FOR mpi_rma_bench...]
#
# Implementations (the config column is IMPL-WINDOW, WINDOW being the flavor:
# allocate = MPI_Win_allocate, create = MPI_Win_create over malloc'd memory):
# - praas: built with the build tree's launcher/praas-mpicc, run under
#   praas-run -np 2 (configuration $MPIRMA_PRAAS_CONFIG, default: the
#   library's own choice, i.e. UCX and one node's windows in shared memory);
# - ompi: mpirun.openmpi, Open MPI's default one-sided component;
# - ompi-osc-sm: the same with --mca osc sm (MPI_Win_allocate only: osc sm
#   cannot serve MPI_Win_create windows, so that pair is left out unless
#   MPIRMA_ALL=1);
# - mpich: mpirun.mpich.
# Each implementation and window runs once per synchronization mode (flush,
# lock, fence, pscw), each launch under a timeout, so that a crash costs one
# mode's rows: it is recorded and the run goes on.
#
# Writes RESULTS/mpi-rma/ (RESULTS: default bench/results):
#   mpi-rma.csv        every row of every launch (bench/README.md's schema),
#                      '#' lines giving each launch's status
#   lat-OP-MODE.csv    one per measurement: size, then one column per
#   bw-OP-MODE.csv     configuration (median latency in us, or MB/s);
#   bibw-OP-MODE.csv   OP put, get, acc, accd, gacc, fop, cas (lat), put, get
#                      (bw: one direction; bibw: both ranks at once, summed)
#   *.png              the plot of each of those CSV files (gnuplot)
#   logs/              each launch's CSV and stderr, the build logs
# and prints a summary table.
#
# Environment:
#   BUILD              the build directory, when not the first argument
#   RESULTS            where to write (default bench/results beside this script)
#   MPIRMA_IMPLS       subset of: praas ompi ompi-osc-sm mpich (default: all)
#   MPIRMA_WINDOWS     subset of: allocate create (default: both)
#   MPIRMA_MODES       subset of: flush lock fence pscw (default: all)
#   MPIRMA_TIMEOUT     seconds allowed to one launch (default 300)
#   MPIRMA_BIND        praas-run --bind-to / mpirun binding (default core)
#   MPIRMA_PRAAS_CONFIG  default, ucx-tcp, ucx-sm, ofi-tcp, ofi-shm or
#                      ucx-tcp-noshm (bench/lib/mpi.sh, mpi_praas_env)
# With no options the program gets --max 1M --budget-ms 15 --warmup 5 (a few
# minutes in all on 2 cores); options given replace these defaults.
set -u

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh" # src, build (BUILD_DIR taken off the arguments), bench_*
results=${RESULTS:-$here/results}/mpi-rma
impls=${MPIRMA_IMPLS:-praas ompi ompi-osc-sm mpich}
windows=${MPIRMA_WINDOWS:-allocate create}
modes=${MPIRMA_MODES:-flush lock fence pscw}
timeout=${MPIRMA_TIMEOUT:-300}
bind=${MPIRMA_BIND:-core}
praas_config=${MPIRMA_PRAAS_CONFIG:-default}
csv=$results/mpi-rma.csv
logs=$results/logs
[ $# -gt 0 ] || set -- --max 1M --budget-ms 15 --warmup 5

bench_need -e "$build/launcher/praas-run" "$build/launcher/praas-mpicc" "$build/.libs/libpraas.so"
mkdir -p "$results" "$logs" || exit 2
. "$here/lib/mpi.sh"

# ---- the three builds of one source ----
mpi_wrappers=
for impl in $impls; do
  case $impl in
    praas) w=praas-mpicc ;;
    ompi|ompi-osc-sm) w=mpicc.openmpi ;;
    mpich) w=mpicc.mpich ;;
    *) echo "run-mpi-rma.sh: unknown implementation $impl (praas ompi ompi-osc-sm mpich)" >&2; exit 2 ;;
  esac
  case " $mpi_wrappers " in *" $w "*) ;; *) mpi_wrappers="$mpi_wrappers $w" ;; esac
done
mpi_build_all mpi_rma_bench bench/mpi_rma_bench.c

# Run one configuration in one mode: rows to $logs/IMPL-WINDOW-MODE.csv,
# diagnostics to .err; returns the launcher's status.
run_one() { # IMPL WINDOW MODE OPTIONS...
  impl=$1 win=$2 mode=$3; shift 3
  name=$impl-$win-$mode
  set -- --no-header --label "$impl-$win" --window "$win" --modes "$mode" "$@"
  case $impl in
    praas)
      mpi_launch praas 2 "$bind" "$timeout" "$praas_config" "$build/bench/mpi_rma_bench.praas" "$@" ;;
    ompi)
      mpi_launch ompi 2 "$bind" "$timeout" "" "$build/bench/mpi_rma_bench.openmpi" "$@" ;;
    ompi-osc-sm)
      mpi_launch ompi 2 "$bind" "$timeout" "--mca osc sm" "$build/bench/mpi_rma_bench.openmpi" "$@" ;;
    mpich)
      mpi_launch mpich 2 "$bind" "$timeout" "" "$build/bench/mpi_rma_bench.mpich" "$@" ;;
  esac >"$logs/$name.csv" 2>"$logs/$name.err"
}

bench_csv_begin "$csv" "$bench_columns" \
  "options: $*; bind-to $bind; praas configuration $praas_config"

configs=""
status_lines=""
for impl in $impls; do
  for win in $windows; do
    if [ "$impl-$win" = ompi-osc-sm-create ] && [ "${MPIRMA_ALL:-0}" != 1 ]; then
      status_lines="$status_lines
ompi-osc-sm-create: skipped (osc sm serves MPI_Win_allocate windows only; MPIRMA_ALL=1 runs it)"
      continue
    fi
    configs="$configs $impl-$win"
    for mode in $modes; do
      echo "$impl-$win, $mode: ..." >&2
      t0=$(date +%s)
      run_one "$impl" "$win" "$mode" "$@"
      f=$logs/$impl-$win-$mode.csv
      bench_launch_line "$impl-$win $mode" $? "$timeout" "$t0" "$f" "$impl-$win"
      grep -v '^config,' "$f" 2>/dev/null >>"$csv.tmp"
      echo "# $bench_line" >>"$csv.tmp"
    done
  done
done
bench_csv_end "$csv"

# ---- one CSV per measurement: size, then a column per configuration ----
# The list of what was written (file, number of columns, number of sizes)
# goes to measurements.txt for the plots.
rm -f "$results"/lat-*.csv "$results"/bw-*.csv "$results"/bibw-*.csv "$results"/*.png
awk -F, -v configs="$configs" -v dir="$results" '
  /^#/ || $1 == "config" || NF < 8 { next }
  {
    split($2, om, "-"); op = om[1]; mode = om[2]
    if (op == "bput" || op == "bget") { m = "bibw-" substr(op, 2) "-" mode; v = $8 }
    else { m = "lat-" op "-" mode; v = $5 }
    put(m, $3, $1, v)
    if ((op == "put" || op == "get") && $8 != "") put("bw-" op "-" mode, $3, $1, $8)
  }
  function put(m, size, cfg, v) {
    if (v == "") return
    if (!(m in seen)) { seen[m] = 1; order[++nm] = m }
    if (!((m, size) in hassize)) { hassize[m, size] = 1; sizes[m] = sizes[m] " " size }
    val[m, size, cfg] = v
  }
  END {
    nc = split(configs, cf, " ")
    for (i = 1; i <= nm; i++) {
      m = order[i]; file = dir "/" m ".csv"
      ns = split(sizes[m], sz, " ")
      # Sizes ascending (insertion sort: a few dozen at most).
      for (a = 2; a <= ns; a++) for (b = a; b > 1 && sz[b] + 0 < sz[b - 1] + 0; b--) {
        t = sz[b]; sz[b] = sz[b - 1]; sz[b - 1] = t
      }
      printf "size" >file
      for (c = 1; c <= nc; c++) printf ",%s", cf[c] >file
      print "" >file
      for (a = 1; a <= ns; a++) {
        printf "%s", sz[a] >file
        for (c = 1; c <= nc; c++) printf ",%s", ((m, sz[a], cf[c]) in val) ? val[m, sz[a], cf[c]] : "" >file
        print "" >file
      }
      close(file)
      print m, nc + 1, ns
    }
  }' "$csv" >"$results/measurements.txt"

# ---- plots: one PNG per measurement ----
if command -v gnuplot >/dev/null 2>&1; then
  : >"$logs/plot.err"
  while read -r m ncols nsizes; do
    kind=${m%%-*} rest=${m#*-}
    op=${rest%-*} mode=${rest##*-}
    case $kind in
      lat) title="$op latency, $mode mode (median of single operations)"; ylabel="latency (us)" ;;
      bw) title="$op bandwidth, $mode mode (a window of operations per epoch)"; ylabel="MB/s" ;;
      bibw) title="bi-directional $op bandwidth, $mode mode (both ranks at once, sum of both directions)"
            ylabel="MB/s" ;;
    esac
    bars=0
    [ "$nsizes" -gt 1 ] || bars=1
    bench_gnuplot "$here/plot-mpi-rma.gp" "$logs/plot-$m.err" \
      -e "csv='$results/$m.csv'; png='$results/$m.png'; ncols=$ncols; bars=$bars" \
      -e "title='$title ($started)'; ylabel='$ylabel'" || break
  done <"$results/measurements.txt"
else
  echo "run-mpi-rma.sh: gnuplot not found, no plots (apt-get install gnuplot-nox)" >&2
fi

# ---- summary ----
echo
echo "MPI one-sided, 2 workers, one program built three ways ($csv)"
echo "per measurement: $results/{lat,bw,bibw}-OP-MODE.{csv,png} ($(wc -l <"$results/measurements.txt") measurements)"
awk -F, -v configs="$configs" '
  /^#/ || $1 == "config" { next }
  { lat[$1, $2, $3] = $5; bw[$1, $2, $3] = $8; if ($2 == "put-flush" && $3 + 0 > big) big = $3 + 0 }
  function f(v) {
    if (v == "") return "-"
    if (v + 0 >= 100) return sprintf("%.0f", v)
    if (v + 0 >= 10) return sprintf("%.1f", v)
    return sprintf("%.2f", v)
  }
  # The lowest value (lowest = 1) or highest of the non-praas configurations
  # of one window flavor.
  function best(arr_is_lat, op, size, flavor, lowest,   c, v, b) {
    b = ""
    for (c = 1; c <= nc; c++) {
      if (cf[c] ~ /^praas/ || cf[c] !~ ("-" flavor "$")) continue
      v = arr_is_lat ? lat[cf[c], op, size] : bw[cf[c], op, size]
      if (v == "") continue
      if (b == "" || (lowest ? v + 0 < b + 0 : v + 0 > b + 0)) b = v
    }
    return b
  }
  function ratio(a, b) { return (a == "" || b == "" || b + 0 == 0) ? "-" : sprintf("%.2f", a / b) }
  function table(title, what, cols, is_lat, size,   nk, k, c, fl) {
    nk = split(cols, col, " ")
    print ""; print title
    printf "| %-22s |", "configuration"; for (k = 1; k <= nk; k++) printf " %10s |", col[k]; print ""
    printf "|------------------------|"; for (k = 1; k <= nk; k++) printf "------------|"; print ""
    for (c = 1; c <= nc; c++) {
      printf "| %-22s |", cf[c]
      for (k = 1; k <= nk; k++) {
        op = what == "mode" ? "put-" col[k] : col[k] "-flush"
        printf " %10s |", f(is_lat ? lat[cf[c], op, size] : bw[cf[c], op, size])
      }
      print ""
    }
    for (fl = 1; fl <= 2; fl++) {
      flavor = fl == 1 ? "allocate" : "create"
      if (!(("praas-" flavor) in isconf)) continue
      printf "| %-22s |", "praas-" flavor " / best"
      for (k = 1; k <= nk; k++) {
        op = what == "mode" ? "put-" col[k] : col[k] "-flush"
        v = is_lat ? lat["praas-" flavor, op, size] : bw["praas-" flavor, op, size]
        printf " %10s |", ratio(v, best(is_lat, op, size, flavor, is_lat))
      }
      print ""
    }
  }
  END {
    nc = split(configs, cf, " ")
    for (c = 1; c <= nc; c++) isconf[cf[c]] = 1
    table("1. 8-byte latency, flush mode (lock_all; op + flush), median us; last rows: praas over the best MPI of the same window flavor (lower is better)",
          "op", "put get acc accd gacc fop cas", 1, 8)
    table("2. 8-byte put latency per synchronization mode, median us",
          "mode", "flush lock fence pscw", 1, 8)
    table(sprintf("3. Bandwidth at %d bytes, flush mode, MB/s (bput/bget: both ranks at once, summed); last rows: praas / best MPI (higher is better)", big),
          "op", "put get bput bget", 0, big)
  }' "$csv"
echo
echo "Runs (total $(( $(date +%s) - t_start )) s):$status_lines"
