#!/bin/sh
# Raw transport latency and bandwidth on the four transport configurations,
# with the floors (loopback TCP ping-pong, memcpy) measured in the same run.
#
#   bench/run-tp.sh [BUILD_DIR] [OPTIONS FOR BOTH PROGRAMS...]
#
# BUILD_DIR (or $BUILD; default ./build) is a configured and built tree:
# this script builds nothing. Options after it go to tp_bench and
# floor_bench alike (--min, --max, --iters, --budget-ms, ...; see
# bench/README.md). Writes bench/results/tp.csv and three PNG plots, and
# prints a summary table. A configuration that fails or times out is noted
# in the summary; the others still run.
#
# Environment:
#   BUILD          the build directory, when not given as the first argument
#   RESULTS        where to write (default: bench/results beside this script)
#   TP_CONFIGS     configurations to run (default: "ofi-tcp ofi-shm ucx-tcp ucx-shm")
#   TP_TIMEOUT     seconds praas-run allows one configuration (default 900)
#   TP_BIND        praas-run --bind-to value (default core: rank 0 on one core,
#                  rank 1 and its progress thread on the other)
#   TP_ORIGIN_PROGRESS   manual or thread: rank 0's progress engine (default manual)
#   TP_PASSIVE     1 (default): run each configuration a second time with the
#                  target asleep (--target-wait sleep, label NAME-passive), so
#                  that only its progress thread serves; 0: skip that pass
set -u

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh" # src, build (BUILD_DIR taken off the arguments), bench_*
results=${RESULTS:-$here/results}
configs=${TP_CONFIGS:-ofi-tcp ofi-shm ucx-tcp ucx-shm}
timeout=${TP_TIMEOUT:-900}
bind=${TP_BIND:-core}
origin_progress=${TP_ORIGIN_PROGRESS:-manual}
passive=${TP_PASSIVE:-1}
run=$build/launcher/praas-run
csv=$results/tp.csv

bench_need -x "$build/bench/floor_bench" "$build/bench/tp_bench" "$run"
mkdir -p "$results" || exit 2

# Run tp_bench on one configuration, the environment set as
# testsuite/launch.sh sets it. Rows to $results/NAME.csv, diagnostics to
# $results/NAME.err; returns praas-run's status.
# NAME is a configuration, or one with -passive appended (target asleep).
run_config() {
  name=$1; shift
  config=${name%-passive}
  wait=barrier
  [ "$config" = "$name" ] || wait=sleep
  (
    unset FI_PROVIDER UCX_TLS PRAAS_TRANSPORT PRAAS_PROGRESS
    FI_TCP_IFACE=lo FI_SOCKETS_IFACE=lo UCX_NET_DEVICES=lo UCX_WARN_UNUSED_ENV_VARS=n
    export FI_TCP_IFACE FI_SOCKETS_IFACE UCX_NET_DEVICES UCX_WARN_UNUSED_ENV_VARS
    case $config in
      ucx-tcp) PRAAS_TRANSPORT=ucx; UCX_TLS=tcp; export UCX_TLS ;;
      ucx-shm) PRAAS_TRANSPORT=ucx; UCX_TLS=sm,self; export UCX_TLS ;;
      ofi-tcp) PRAAS_TRANSPORT=ofi; FI_PROVIDER=tcp; export FI_PROVIDER ;;
      ofi-shm) PRAAS_TRANSPORT=ofi; FI_PROVIDER=shm; export FI_PROVIDER ;;
      *) echo "unknown configuration $name (use ofi-tcp ofi-shm ucx-tcp ucx-shm)" >&2; exit 2 ;;
    esac
    export PRAAS_TRANSPORT
    exec "$run" -n 2 --bind-to "$bind" --timeout "$timeout" "$build/bench/tp_bench" \
      --no-header --label "$name" --origin-progress "$origin_progress" --target-wait "$wait" "$@"
  ) >"$results/$name.csv" 2>"$results/$name.err"
  status=$?
  bench_clean_shm
  return $status
}

# One line of words for a launch's status.
describe_status() {
  bench_describe_status "$1" "$timeout"
}

bench_csv_begin "$csv" "" \
  "options: ${*:-(defaults)}; bind-to $bind; origin progress $origin_progress"

echo "floor: loopback TCP and memcpy ..." >&2
"$build/bench/floor_bench" "$@" >>"$csv.tmp" 2>"$results/floor.err"
floor_status=$?
summary_status="floor: $(describe_status $floor_status)"

runs=$configs
if [ "$passive" = 1 ]; then
  for c in $configs; do runs="$runs $c-passive"; done
fi
for c in $runs; do
  echo "$c: tp_bench under praas-run -n 2 ..." >&2
  start=$(date +%s)
  run_config "$c" "$@"
  st=$?
  secs=$(( $(date +%s) - start ))
  rows=$(grep -c "^$c," "$results/$c.csv" 2>/dev/null || true)
  summary_status="$summary_status
$c: $(describe_status $st), ${rows:-0} rows in ${secs} s"
  if [ "$st" -ne 0 ]; then
    summary_status="$summary_status; see $results/$c.err"
    echo "$c: $(describe_status $st); the rows it printed are kept" >&2
  fi
  grep -v '^config,' "$results/$c.csv" >>"$csv.tmp"
  echo "# $c: $(describe_status $st)" >>"$csv.tmp"
done
mv "$csv.tmp" "$csv"

# ---- plots ----
bench_gnuplot "$here/plot-tp.gp" "$results/plot.err" \
  -e "csv='$csv'; outdir='$results'; subtitle=' ($started)'"

# ---- summary: sizes 8 B / 4 KiB / 64 KiB / 1 MiB, as in TRANSPORTS.md ----
echo
echo "Raw transport and floors, median us per operation and MB/s, at 8 B / 4 KiB / 64 KiB / 1 MiB"
echo "($csv; plots tp_latency_put.png, tp_latency_get.png, tp_bandwidth.png)"
echo
awk -F, -v configs="$runs" '
  /^#/ || $1 == "config" { next }
  { key = $1 SUBSEP $2 SUBSEP $3; lat[key] = $5; bw[key] = $8; seen[$1 SUBSEP $2] = 1 }
  function fmt(v) {
    if (v == "") return "-"
    if (v + 0 >= 100) return sprintf("%.0f", v)
    if (v + 0 >= 10) return sprintf("%.1f", v)
    return sprintf("%.2f", v)
  }
  function four(arr, c, op,   s, i, n, sz) {
    n = split("8 4096 65536 1048576", sz, " ")
    s = ""
    for (i = 1; i <= n; i++)
      s = s (i > 1 ? " / " : "") fmt(arr[c, op, sz[i]])
    return s
  }
  function row(label, a, b, c, d) {
    printf "| %-26s | %-26s | %-26s | %-28s | %-28s |\n", label, a, b, c, d
  }
  END {
    row("path", "put latency (us)", "get latency (us)", "put bandwidth (MB/s)", "get bandwidth (MB/s)")
    row("--", "--", "--", "--", "--")
    n = split(configs, cs, " ")
    for (i = 1; i <= n; i++) {
      c = cs[i]
      if (!((c SUBSEP "put") in seen) && !((c SUBSEP "get") in seen)) {
        row(c, "no data", "", "", "")
        continue
      }
      row(c, four(lat, c, "put"), four(lat, c, "get"), four(bw, c, "put"), four(bw, c, "get"))
    }
    split("tcp-loopback-poll tcp-loopback-block memcpy memcpy-cold", fl, " ")
    for (i = 1; i <= 4; i++) {
      c = fl[i]; op = c ~ /^tcp/ ? "pingpong" : "copy"
      if ((c SUBSEP op) in seen)
        row(c, four(lat, c, op), "(same)", four(bw, c, op), "(same)")
    }
  }' "$csv"
echo
echo "$summary_status"
echo
echo "NAME: the target waits in core_barrier() (polling beside its progress thread);"
echo "NAME-passive: the target sleeps and its progress thread alone serves."
echo "Floors: tcp-loopback latency is half a round trip, its bandwidth a stream of"
echo "a window of messages; memcpy latency is the time of one copy."
