#!/bin/sh
# Global memory objects against Redis and S3, and persist/restore time per
# storage backend, in one run (bench/README-gmem.md):
#
#   bench/run-gmem.sh [BUILD_DIR] [OPTIONS FOR gmem_bench...]
#
# - access (2 workers, rank 0 measures): put and get of one object of each
#   size at rank 0 itself (praas-local), at rank 1 (praas-remote), and the
#   first access of an object at rank 1 (praas-first: open, whose directory
#   lookup goes to the control plane, the access, close), beside SET/GET of
#   one key in a private redis-server (redis) and PUT/GET of one object in a
#   private S3-compatible server, s3rver (s3, through praas's S3 storage);
# - persist (1 worker): praas_obj_persist of an object of each size to each
#   storage backend (file, redis, s3);
# - restore: GMEM_RESTORE_RUNS later runs of the same process
#   (praas-run --process on a Redis store) each open the objects, which
#   restores them from storage onto the new worker; the row is the median.
# Writes bench/results/gmem.csv (bench.h's schema), gmem_latency.png,
# gmem_bandwidth.png, gmem_persist.png, and prints a summary.
#
# Environment:
#   BUILD              the build directory, when not the first argument
#   RESULTS            where to write (default bench/results beside this script)
#   GMEM_TRANSPORT     ucx_tcp (default), ucx_shm, ofi_tcp or ofi_shm
#   GMEM_RESTORE_RUNS  restore runs per backend (default 3)
#   GMEM_TIMEOUT       seconds allowed to one launch (default 600)
#   S3RVER             the s3rver program (else testsuite/with-s3.sh looks for it)
# With no options gmem_bench gets --min 1 --max 64M --factor 4 --budget-ms 20
# --warmup 1 --iters 30 --min-iters 3 (a few minutes on 2 busy cores).
set -u

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh" # src, build (BUILD_DIR taken off the arguments), bench_*

# Private Redis and S3 servers for the whole run (the testsuite's helpers).
bench_with_redis_s3 "$@"

results=${RESULTS:-$here/results}
restore_runs=${GMEM_RESTORE_RUNS:-3}
timeout=${GMEM_TIMEOUT:-600}
run=$build/launcher/praas-run
prog=$build/bench/gmem_bench
csv=$results/gmem.csv
logs=$results/gmem-logs
[ $# -gt 0 ] || set -- --min 1 --max 64M --factor 4 --budget-ms 20 --warmup 1 --iters 30 \
  --min-iters 3
bench_need -x "$prog" "$run"
mkdir -p "$results" "$logs" || exit 2
. "$src/testsuite/lib/transport.sh"
transport_env "${GMEM_TRANSPORT:-ucx_tcp}"
bucket=${PRAAS_TEST_S3##*/}
unset PRAAS_STORAGE PRAAS_OBJ_PERSIST_ON_EXIT

echo "$bench_columns" >"$csv"
echo "run-gmem.sh: access (praas over ${GMEM_TRANSPORT:-ucx_tcp}, Redis, S3)" >&2
"$run" -n 2 --timeout "$timeout" "$prog" access --no-header --redis "$PRAAS_TEST_REDIS" \
  --s3 "s3://$bucket" "$@" >>"$csv" 2>"$logs/access.err" ||
  echo "run-gmem.sh: the access run failed, see $logs/access.err" >&2

for b in file redis s3; do
  case $b in
    file) st=file://$logs/storage ;;
    redis) st=$PRAAS_TEST_REDIS ;;
    s3) st=s3://$bucket ;;
  esac
  p=gmem-bench-$b-$$
  echo "run-gmem.sh: persist and restore through $b" >&2
  PRAAS_STORAGE=$st PRAAS_OBJ_PERSIST_ON_EXIT=0 "$run" -n 1 --timeout "$timeout" \
    --store "$PRAAS_TEST_REDIS" --process "$p" "$prog" persist --no-header --label "$b" "$@" \
    >>"$csv" 2>"$logs/persist-$b.err" ||
    echo "run-gmem.sh: persist through $b failed, see $logs/persist-$b.err" >&2
  : >"$logs/restore-$b.csv"
  i=0
  while [ $i -lt "$restore_runs" ]; do
    PRAAS_STORAGE=$st PRAAS_OBJ_PERSIST_ON_EXIT=0 "$run" -n 1 --timeout "$timeout" \
      --store "$PRAAS_TEST_REDIS" --process "$p" "$prog" restore --no-header --label "$b" "$@" \
      >>"$logs/restore-$b.csv" 2>>"$logs/restore-$b.err" ||
      echo "run-gmem.sh: restore run $i through $b failed, see $logs/restore-$b.err" >&2
    i=$((i + 1))
  done
  # The median of the runs per size (one sample each).
  awk -F, '{ v[$3] = v[$3] " " $5; n[$3]++ } END {
      for (s in v) {
        k = split(substr(v[s], 2), a, " ")
        for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
        med = a[int((k + 1) / 2)]
        printf "%s,restore,%s,%d,%.3f,%.3f,%.3f,%.4g\n", "restore-" b, s, k, med, a[1], a[k], s / med
      }
    }' b="$b" "$logs/restore-$b.csv" | sort -t, -k3,3n >>"$csv"
done

subtitle=" (2 cores shared with other jobs; load $(cut -d' ' -f1 /proc/loadavg))"
bench_gnuplot "$here/plot-gmem.gp" "$logs/plot.err" \
  -e "csv='$csv'; outdir='$results'; subtitle='$subtitle'" &&
  echo "run-gmem.sh: plots in $results/gmem_*.png" >&2

# ---- summary: latency at 8 B and 4 KiB, bandwidth at 16 MiB ----
awk -F, 'NR > 1 && $1 !~ /^#/ {
    if ($3 == 4 || $3 == 8) small[$1 " " $2] = $5
    if ($3 == 4096) mid[$1 " " $2] = $5
    if ($3 == 16777216) big[$1 " " $2] = $8
    seen[$1 " " $2] = 1
  } END {
    printf "%-24s %14s %14s %16s\n", "config op", "lat@4B us", "lat@4KiB us", "bw@16MiB MB/s"
    for (k in seen) printf "%-24s %14s %14s %16s\n", k, small[k], mid[k], big[k]
  }' "$csv" | sort
