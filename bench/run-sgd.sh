#!/bin/sh
# SGD time per epoch (issue 4): examples/sgd's training on 1, 2 and 4
# workers, three ways, in one run (bench/README-sgd.md):
#
#   bench/run-sgd.sh [BUILD_DIR] [OPTIONS FOR THE TRAINING...]
#
# Variants (the variant column):
# - praas-sync: examples/sgd/sgd --mode sync (one praas_allreduce of the
#   gradient per step) under praas-run, default configuration;
# - praas-async: examples/sgd/sgd --mode async (each worker accumulates its
#   update into a model in global memory at rank 0 and gets it back, no
#   barrier per step);
# - redis: bench/sgd_redis, the sync training with the gradients summed
#   through a private redis-server (one reducer; LambdaML / FMI style),
#   started for the run by testsuite/with-redis.sh.
# Every launch has a timeout; a failing one is noted and the run goes on.
#
# Writes RESULTS/ (default bench/results):
#   sgd.csv          variant,workers,epochs,s_per_epoch_median,s_per_epoch_min,
#                    s_per_epoch_max,final_accuracy,final_loss,status
#                    (per-epoch seconds: the differences of the curve's
#                    elapsed-time column, which includes each epoch's test
#                    evaluation; the median leaves out epoch 1)
#   sgd.png          seconds per epoch and final accuracy, bars per variant
#   sgd-logs/VARIANT-nN.{csv,out,err}   each run's curve, stdout, stderr
# and prints a summary table.
#
# Environment:
#   BUILD          the build directory, when not the first argument
#   RESULTS        where to write (default bench/results beside this script)
#   SGD_VARIANTS   subset of: praas-sync praas-async redis (default: all)
#   SGD_NS         worker counts (default "1 2 4")
#   SGD_TIMEOUT    seconds allowed to one launch (default 900)
#   SGD_BIND       binding for every launch (default: core for N <= CPUs,
#                  none when oversubscribed)
# With no options the training gets --epochs 5 (the full 60,000 images,
# batch 128: about a minute per run on 2 cores); options given replace it
# and go to every variant (--epochs, --batch, --lr, --decay, --seed, --data,
# --train-limit, --test-limit). At least 2 epochs are needed for a median
# without the first.
set -u

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh" # src, build (BUILD_DIR taken off the arguments), bench_*
results=${RESULTS:-$here/results}
variants=${SGD_VARIANTS:-praas-sync praas-async redis}
ns=${SGD_NS:-1 2 4}
timeout=${SGD_TIMEOUT:-900}
csv=$results/sgd.csv
logs=$results/sgd-logs
[ $# -gt 0 ] || set -- --epochs 5

# The Redis variant needs a server of its own: run the rest of this script
# under testsuite/with-redis.sh, which starts one on a free loopback port,
# exports PRAAS_TEST_REDIS and stops it at the end.
case " $variants " in
  *" redis "*)
    bench_with_redis SGD_REDIS_URL "$@"
    ;;
esac

bench_need -x "$build/examples/sgd/sgd" "$build/bench/sgd_redis" "$build/launcher/praas-run"
mkdir -p "$results" "$logs" || exit 2
. "$here/lib/mpi.sh"

# Run one variant on N workers; the curve to $logs/VARIANT-nN.csv.
run_one() { # VARIANT N OPTIONS...
  v=$1 np=$2; shift 2
  base=$logs/$v-n$np
  rm -f "$base.csv"
  bind=${SGD_BIND:-}
  if [ -z "$bind" ]; then
    if [ "$np" -le "$bench_ncpu" ]; then bind=core; else bind=none; fi
  fi
  case $v in
    praas-sync|praas-async)
      mpi_launch praas "$np" "$bind" "$timeout" default "$build/examples/sgd/sgd" \
        --mode "${v#praas-}" --csv "$base.csv" "$@" ;;
    redis)
      mpi_launch praas "$np" "$bind" "$timeout" default "$build/bench/sgd_redis" \
        --redis "$SGD_REDIS_URL" --wait-s "$timeout" --csv "$base.csv" "$@" ;;
    *) echo "unknown variant $v (praas-sync praas-async redis)"; return 2 ;;
  esac >"$base.out" 2>"$base.err"
}

bench_csv_begin "$csv" \
  "variant,workers,epochs,s_per_epoch_median,s_per_epoch_min,s_per_epoch_max,final_accuracy,final_loss,status" \
  "options: $*; workers $ns; bind ${SGD_BIND:-core if N <= CPUs else none}"

status_lines=""
for np in $ns; do
  for v in $variants; do
    echo "$v, $np worker(s): ..." >&2
    t0=$(date +%s)
    run_one "$v" "$np" "$@"
    st=$?
    status=$(bench_describe_status $st "$timeout")
    line="$v-n$np: $status in $(( $(date +%s) - t0 )) s"
    [ "$st" -eq 0 ] || line="$line; see $logs/$v-n$np.err"
    status_lines="$status_lines
$line"
    [ "$st" -eq 0 ] || echo "  $line" >&2
    # Seconds per epoch from the curve (epoch,loss,accuracy,seconds,bytes):
    # the median of epochs 2.. (epoch 1 alone if that is all there is).
    awk -F, -v v="$v" -v np="$np" -v status="$status" '
      NR == 1 || $1 !~ /^[0-9]+$/ { next }
      { d[++n] = $4 - prev; prev = $4; acc = $3; loss = $2 }
      END {
        if (n == 0) { printf "%s,%d,0,,,,,,%s\n", v, np, status; exit }
        k = 0
        for (i = (n > 1 ? 2 : 1); i <= n; i++) s[++k] = d[i]
        for (i = 2; i <= k; i++) for (j = i; j > 1 && s[j] < s[j - 1]; j--) {
          t = s[j]; s[j] = s[j - 1]; s[j - 1] = t
        }
        med = k % 2 ? s[(k + 1) / 2] : (s[k / 2] + s[k / 2 + 1]) / 2
        printf "%s,%d,%d,%.3f,%.3f,%.3f,%.4f,%.4f,%s\n", v, np, n, med, s[1], s[k], acc, loss, status
      }' "$logs/$v-n$np.csv" 2>/dev/null >>"$csv.tmp" ||
      echo "$v,$np,0,,,,,,$status" >>"$csv.tmp"
  done
done
bench_csv_end "$csv"

# ---- plot: the two tables gnuplot's clustered histograms want ----
for col in 4 7; do
  case $col in 4) dat=$logs/time.dat ;; 7) dat=$logs/accuracy.dat ;; esac
  awk -F, -v variants="$variants" -v ns="$ns" -v col="$col" '
    /^#/ || $1 == "variant" { next }
    { val[$1, $2] = $col }
    END {
      nv = split(variants, vv, " "); nn = split(ns, nw, " ")
      printf "workers"; for (i = 1; i <= nv; i++) printf " %s", vv[i]; print ""
      for (j = 1; j <= nn; j++) {
        printf "%s", nw[j]
        for (i = 1; i <= nv; i++) {
          x = val[vv[i], nw[j]]
          if (x != "" && col == 7) x = 100 * x
          printf " %s", x == "" ? "NaN" : x
        }
        print ""
      }
    }' "$csv" >"$dat"
done
bench_gnuplot "$here/plot-sgd.gp" "$logs/plot.err" \
  -e "time='$logs/time.dat'; acc='$logs/accuracy.dat'; png='$results/sgd.png'" \
  -e "nv=$(echo "$variants" | wc -w); subtitle=' ($started)'"

# ---- summary ----
echo
echo "SGD on Fashion-MNIST, softmax regression: seconds per epoch (median of epochs 2..E) and final test accuracy ($csv, $results/sgd.png)"
awk -F, -v variants="$variants" -v ns="$ns" '
  /^#/ || $1 == "variant" { next }
  { med[$1, $2] = $4; lo[$1, $2] = $5; hi[$1, $2] = $6; acc[$1, $2] = $7; ep[$1, $2] = $3; st[$1, $2] = $9 }
  END {
    nv = split(variants, vv, " "); nn = split(ns, nw, " ")
    printf "| %-12s | %7s | %6s | %12s | %17s | %9s | %13s |\n", "variant", "workers", "epochs",
      "s/epoch", "min..max", "accuracy", "/ praas-sync"
    print "|--------------|---------|--------|--------------|-------------------|-----------|---------------|"
    for (j = 1; j <= nn; j++) for (i = 1; i <= nv; i++) {
      v = vv[i]; n = nw[j]; m = med[v, n]; b = med["praas-sync", n]
      printf "| %-12s | %7s | %6s | %12s | %17s | %9s | %13s |\n", v, n, ep[v, n] == "" ? "-" : ep[v, n],
        m == "" ? "-" : sprintf("%.3f", m),
        m == "" ? "-" : sprintf("%.3f..%.3f", lo[v, n], hi[v, n]),
        acc[v, n] == "" ? "-" : sprintf("%.2f%%", 100 * acc[v, n]),
        (m == "" || b == "" || b + 0 == 0) ? "-" : sprintf("%.2f", m / b)
      if (st[v, n] != "ok") printf "|   (%s)\n", st[v, n]
    }
  }' "$csv"
echo
echo "Runs (total $(( $(date +%s) - t_start )) s):$status_lines"
