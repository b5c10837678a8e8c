# Plots of bench/results/invoke_*.csv (bench/README-invoke.md), drawn by
# bench/run-invoke.sh:
#   invoke_rtt.png    echo round trip vs payload: raw TCP (plain, and with a
#                     thread hand-off), direct (rt_conn and
#                     the client library), through the control plane; median
#                     and p99, and the ratio to raw TCP
#   invoke_chain.png  a K-stage pipeline through session memory, Redis, S3
#   invoke_swap.png   swap-out and swap-in time vs session size per backend,
#                     a fresh allocation, and the disk read of the same bytes
#
#   gnuplot -e "outdir='bench/results'" bench/plot-invoke.gp

if (!exists("outdir")) outdir = 'bench/results'
if (!exists("subtitle")) subtitle = ''

set datafile separator ','
set terminal pngcairo size 1300,600 enhanced font 'sans,10'
set grid xtics ytics lw 0.5 lc rgb '#dddddd'
set key outside right top vertical Left reverse noenhanced
set xlabel 'size (bytes)'
set format y '%g'
set pointsize 0.7
rows(f, c, o) = sprintf("< awk -F, '$1 == \"%s\" && $2 == \"%s\"' '%s/%s'", c, o, outdir, f)
color(n) = n eq 'raw-tcp' ? '#000000' : n eq 'raw-tcp-proc' ? '#555555' : \
    n eq 'raw-tcp-poll' ? '#bcbd22' : n eq 'raw-tcp-handoff' ? '#8c564b' : n eq 'direct-rt' ? '#1f77b4' : \
    n eq 'direct-client' ? '#17becf' : n eq 'control' ? '#9467bd' : n eq 'session' ? '#1f77b4' : \
    n eq 'redis' ? '#d62728' : n eq 's3' ? '#ff7f0e' : n eq 'file' ? '#2ca02c' : \
    n eq 'fresh' ? '#7f7f7f' : '#000000'

have(f) = system(sprintf("test -s '%s/%s' && echo 1 || echo 0", outdir, f)) eq "1"

# ---- rtt ----
if (have('invoke_rtt.csv')) {
set output outdir . '/invoke_rtt.png'
set multiplot layout 1,2 title 'echo invocation round trip' . subtitle noenhanced
set logscale xy
set xtics ('1' 1, '64' 64, '1K' 1024, '16K' 16384, '256K' 262144, '4M' 4194304, '16M' 16777216)
set title 'median (lines) and p99 (dashed)' noenhanced
set ylabel 'round trip (us)'
cfgs = 'raw-tcp raw-tcp-proc raw-tcp-poll raw-tcp-handoff direct-rt direct-client control'
plot for [c in cfgs] rows('invoke_rtt.csv', c, 'rtt') \
         using 3:5 with linespoints lc rgb color(c) title c, \
     for [c in cfgs] rows('invoke_rtt.csv', c, 'rtt') \
         using 3:6 with lines dt 2 lc rgb color(c) notitle
set title 'median over raw-tcp-proc (solid; target <= 1.2) and over raw-tcp-poll (dashed)' noenhanced
set ylabel 'ratio'
unset logscale y
set yrange [0:*]
# ratio(floor): "config,size,median / floor's median" of the direct configurations
ratio(f) = sprintf("< awk -F, 'NR == FNR { if ($1 == \"%s\") r[$3] = $5; next } ($1 == \"direct-rt\" || $1 == \"direct-client\") && r[$3] > 0 { print $1 \",\" $3 \",\" $5 / r[$3] }' '%s/invoke_rtt.csv' '%s/invoke_rtt.csv'", f, outdir, outdir)
plot for [c in 'direct-rt direct-client'] \
         sprintf("%s | awk -F, '$1 == \"%s\"'", ratio('raw-tcp-proc'), c) using 2:3 \
         with linespoints lc rgb color(c) title c . ' / raw-tcp-proc', \
     for [c in 'direct-rt direct-client'] \
         sprintf("%s | awk -F, '$1 == \"%s\"'", ratio('raw-tcp-poll'), c) using 2:3 \
         with linespoints dt 2 lc rgb color(c) title c . ' / raw-tcp-poll', \
     1.2 with lines dt 2 lc rgb '#d62728' title 'target 1.2'
unset multiplot
}
set autoscale y
set yrange [*:*]

# ---- chain ----
if (have('invoke_chain.csv')) {
set output outdir . '/invoke_chain.png'
set multiplot layout 1,1 title 'pipeline of K stages passing S bytes, median per pipeline' . subtitle noenhanced
set logscale xy
set xtics ('1K' 1024, '4K' 4096, '16K' 16384, '64K' 65536, '256K' 262144, '1M' 1048576, '4M' 4194304, '16M' 16777216)
set title 'through session memory vs through Redis and S3' noenhanced
set ylabel 'time (us)'
plot for [c in 'session redis s3'] rows('invoke_chain.csv', c, 'chain') using 3:5 \
    with linespoints lc rgb color(c) title c
unset multiplot
}

# ---- swap ----
if (have('invoke_swap.csv')) {
set output outdir . '/invoke_swap.png'
set multiplot layout 1,2 title 'swapping vs session size, median' . subtitle noenhanced
set xtics ('1M' 1048576, '16M' 16777216, '64M' 67108864, '256M' 268435456, '1G' 1073741824)
set ylabel 'time (ms)'
set title 'swap-out' noenhanced
plot for [c in 'file redis s3'] rows('invoke_swap.csv', c, 'swap-out') using 3:($5/1000) \
         with linespoints lc rgb color(c) title c, \
     rows('invoke_swap.csv', 'fresh', 'alloc+fill') using 3:($5/1000) with linespoints \
         dt 2 lc rgb color('fresh') title 'alloc+fill'
set title 'swap-in' noenhanced
plot for [c in 'file redis s3'] rows('invoke_swap.csv', c, 'swap-in') using 3:($5/1000) \
         with linespoints lc rgb color(c) title c, \
     rows('invoke_swap.csv', 'fresh', 'alloc+fill') using 3:($5/1000) with linespoints \
         dt 2 lc rgb color('fresh') title 'alloc+fill', \
     rows('invoke_swap.csv', 'disk', 'disk-read-cold') using 3:($5/1000) with linespoints \
         dt 3 lc rgb '#000000' title 'disk read (cold)', \
     rows('invoke_swap.csv', 'disk', 'disk-read-warm') using 3:($5/1000) with linespoints \
         dt 4 lc rgb '#8c564b' title 'disk read (page cache)'
unset multiplot
}
