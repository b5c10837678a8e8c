#!/bin/sh
# Invocations, chaining and swapping in one run (bench/README-invoke.md):
#
#   bench/run-invoke.sh [BUILD_DIR] [OPTIONS FOR invoke_bench...]
#
# - rtt: round trip of the echo function (1 B to 16 MiB) straight to a
#   praas-process (rt_conn), through the public client library straight to
#   the session, through the control plane (HTTP POST .../invoke/echo), and a
#   raw TCP ping-pong of the same bytes over loopback (the floor), also with
#   the echo handed from a reader thread to a sender thread;
# - chain: a pipeline of K stages passing 1 KiB to 16 MiB through session
#   memory, through Redis and through S3 (s3rver);
# - swap: swap-out and swap-in per backend (file, redis, s3) against session
#   size, a fresh allocation, and reading the same bytes from the disk.
# Writes bench/results/invoke_rtt.csv, invoke_chain.csv, invoke_swap.csv,
# invoke_rtt.png, invoke_chain.png, invoke_swap.png, and prints a summary
# with the two targets (direct <= 1.2 x raw TCP at every size; swap-in of a
# 64 MiB session from the file backend <= 2 x reading 64 MiB from the disk).
#
# Environment:
#   BUILD               the build directory, when not the first argument
#   RESULTS             where to write (default bench/results beside this script)
#   INVOKE_PHASES       which phases (default "rtt chain swap")
#   INVOKE_MAX_SESSION  largest session swapped (default 1G; 1G needs about
#                       4 GiB of RAM at once and 1 GiB of disk)
#   INVOKE_REPS         swaps per backend and size (default 3)
#   INVOKE_STAGES       pipeline length (default 4)
#   INVOKE_DIR          the file backend's directory, also where the disk is
#                       read (default RESULTS/invoke-logs/storage)
#   INVOKE_TIMEOUT      seconds allowed to one phase (default 1800)
#   S3RVER              the s3rver program (else testsuite/with-s3.sh looks for it)
# With no options invoke_bench gets --budget-ms 1000 --rounds 10 --warmup 20
# --iters 200000 --min-iters 5 --max 16M (about a minute for rtt: with a
# tenth of that, single runs on these VMs scattered by 1.5x).
set -u

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh" # src, build (BUILD_DIR taken off the arguments), bench_*

# Private Redis and S3 servers for the whole run (the testsuite's helpers).
bench_with_redis_s3 "$@"

results=${RESULTS:-$here/results}
logs=$results/invoke-logs
phases=${INVOKE_PHASES:-rtt chain swap}
timeout=${INVOKE_TIMEOUT:-1800}
dir=${INVOKE_DIR:-$logs/storage}
prog=$build/bench/invoke_bench
pbin=$build/launcher/praas-process
cbin=$build/launcher/praas-control
lib=$build/bench/.libs/invoke_funcs.so
[ $# -gt 0 ] || set -- --budget-ms 1000 --rounds 10 --warmup 20 --iters 200000 --min-iters 5 \
  --max 16M
bench_need -e "$prog" "$pbin" "$cbin" "$lib"
mkdir -p "$results" "$logs" "$dir" || exit 2
dir=$(cd "$dir" && pwd)
bucket=${PRAAS_TEST_S3##*/}
unset PRAAS_STORAGE PRAAS_CONTROL PRAAS_PROCESS_BIN
common="--process-bin $pbin --library $lib --redis $PRAAS_TEST_REDIS --s3 s3://$bucket \
  --stages ${INVOKE_STAGES:-4} --reps ${INVOKE_REPS:-3} --max-session ${INVOKE_MAX_SESSION:-1G}"

# praas-control on an ephemeral port, for the rtt phase's control and client
# columns (the testsuite's daemon_start, its stderr in $logs/daemon.log);
# stopped (SIGTERM, then SIGKILL after 10 s) after the phase and on exit.
. "$src/testsuite/lib/daemon.sh"
CONTROL=$cbin
TMP=$logs
stop_daemon() { [ -z "$daemon" ] || daemon_stop; }
trap stop_daemon EXIT
trap 'exit 130' INT TERM

for ph in $phases; do
  csv=$results/invoke_$ph.csv
  ctl=
  if [ "$ph" = rtt ]; then
    rm -f "$logs/daemon.log"
    if daemon_start --process-bin "$pbin" --max-payload 64M --storage "file://$dir/control"; then
      ctl="--control $URL"
    else
      echo "run-invoke.sh: praas-control did not start (see $logs/daemon.log);" \
        "no control or client columns" >&2
      stop_daemon
    fi
  fi
  echo "run-invoke.sh: $ph" >&2
  # shellcheck disable=SC2086
  timeout -k 10 "$timeout" "$prog" --only "$ph" $common $ctl --file-dir "$dir" "$@" \
    >"$csv" 2>"$logs/$ph.err" ||
    echo "run-invoke.sh: the $ph phase failed (status $?), see $logs/$ph.err" >&2
  stop_daemon
done

subtitle=" (2 cores shared with other jobs; load $(cut -d' ' -f1 /proc/loadavg))"
bench_gnuplot "$here/plot-invoke.gp" "$logs/plot.err" \
  -e "outdir='$results'; subtitle='$subtitle'" &&
  echo "run-invoke.sh: plots in $results/invoke_*.png" >&2

# ---- summary ----
if [ -s "$results/invoke_rtt.csv" ]; then
  echo "== invocation round trip, median / p99 us; ratios of medians: direct over raw-tcp-proc (over raw-tcp-poll) =="
  awk -F, 'NR > 1 && $1 !~ /^#/ { m[$1, $3] = $5; p[$1, $3] = $6; s[$3] = 1 }
    function ratio(c, f, z) {
      return (((c, z) in m) && m[f, z] > 0) ? sprintf("%.2f", m[c, z] / m[f, z]) : "-"
    }
    END {
      split("raw-tcp raw-tcp-proc raw-tcp-poll raw-tcp-handoff direct-rt direct-client control", cs, " ")
      line = sprintf("%9s", "size")
      for (k = 1; k <= 7; k++)
        line = line sprintf(" %15s", cs[k])
      print line sprintf(" %11s %11s", "rt/raw", "cli/raw")
      n = 0; for (x in s) sz[++n] = x + 0
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (sz[j] < sz[i]) { t = sz[i]; sz[i] = sz[j]; sz[j] = t }
      for (i = 1; i <= n; i++) {
        z = sz[i]; line = sprintf("%9d", z)
        for (k = 1; k <= 7; k++)
          line = line sprintf(" %15s", ((cs[k], z) in m) ? sprintf("%.1f / %.1f", m[cs[k], z], p[cs[k], z]) : "-")
        line = line sprintf(" %11s", ratio("direct-rt", "raw-tcp-proc", z) " (" ratio("direct-rt", "raw-tcp-poll", z) ")")
        print line sprintf(" %11s", ratio("direct-client", "raw-tcp-proc", z) " (" ratio("direct-client", "raw-tcp-poll", z) ")")
      }
      print "target: direct <= 1.2 x the raw TCP round trip (raw-tcp-proc) at every size"
    }' "$results/invoke_rtt.csv"
fi
if [ -s "$results/invoke_chain.csv" ]; then
  echo "== chain of ${INVOKE_STAGES:-4} stages, median us per pipeline =="
  awk -F, 'NR > 1 && $1 !~ /^#/ { m[$1, $3] = $5; s[$3] = 1 }
    END {
      printf "%9s %12s %12s %12s %10s %10s\n", "size", "session", "redis", "s3", "redis/ses", "s3/ses"
      n = 0; for (x in s) sz[++n] = x + 0
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (sz[j] < sz[i]) { t = sz[i]; sz[i] = sz[j]; sz[j] = t }
      for (i = 1; i <= n; i++) {
        z = sz[i]; ses = m["session", z]
        printf "%9d %12s %12s %12s %10s %10s\n", z, ses, m["redis", z], m["s3", z],
          (ses > 0 && m["redis", z] != "") ? sprintf("%.1f", m["redis", z] / ses) : "-",
          (ses > 0 && m["s3", z] != "") ? sprintf("%.1f", m["s3", z] / ses) : "-"
      }
    }' "$results/invoke_chain.csv"
fi
if [ -s "$results/invoke_swap.csv" ]; then
  echo "== swapping, median ms =="
  grep '^#' "$results/invoke_swap.csv"
  awk -F, 'NR > 1 && $1 !~ /^#/ { m[$1 " " $2, $3] = $5 / 1000; s[$3] = 1 }
    END {
      split("file swap-out|file swap-in|redis swap-out|redis swap-in|s3 swap-out|s3 swap-in|fresh alloc|fresh alloc+fill|disk disk-read-cold|disk disk-read-warm", cs, "|")
      printf "%10s", "size"
      for (k = 1; k <= 10; k++) printf " %11s", substr(cs[k], index(cs[k], " ") + 1) "/" substr(cs[k], 1, index(cs[k], " ") - 1)
      printf "\n"
      n = 0; for (x in s) sz[++n] = x + 0
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (sz[j] < sz[i]) { t = sz[i]; sz[i] = sz[j]; sz[j] = t }
      for (i = 1; i <= n; i++) {
        printf "%10d", sz[i]
        for (k = 1; k <= 10; k++) printf " %11s", ((cs[k], sz[i]) in m) ? sprintf("%.2f", m[cs[k], sz[i]]) : "-"
        printf "\n"
      }
      z = 67108864
      if (("file swap-in", z) in m && ("disk disk-read-cold", z) in m)
        printf "target: swap-in of 64 MiB from file = %.2f x the cold disk read (target <= 2)\n",
          m["file swap-in", z] / m["disk disk-read-cold", z]
    }' "$results/invoke_swap.csv"
fi
