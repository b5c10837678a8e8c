# Plots of bench/results/gmem.csv (bench/README-gmem.md), drawn by
# bench/run-gmem.sh:
#   gmem_latency.png    put and get latency vs size: praas objects (local
#                       owner, remote owner, first access), Redis, S3
#   gmem_bandwidth.png  the same as bandwidth
#   gmem_persist.png    persist and restore time vs object size per backend
#
#   gnuplot -e "csv='...gmem.csv'; outdir='...'" bench/plot-gmem.gp

if (!exists("csv")) csv = 'bench/results/gmem.csv'
if (!exists("outdir")) outdir = 'bench/results'
if (!exists("subtitle")) subtitle = ''

set datafile separator ','
set terminal pngcairo size 1300,600 enhanced font 'sans,10'
set logscale xy
set grid xtics ytics lw 0.5 lc rgb '#dddddd'
set key outside right top vertical Left reverse noenhanced
set xlabel 'size (bytes)'
set xtics ('1' 1, '64' 64, '4K' 4096, '256K' 262144, '16M' 16777216, '64M' 67108864)
set format y '%g'
set pointsize 0.7
rows(c, o) = sprintf("< awk -F, '$1 == \"%s\" && $2 == \"%s\"' '%s'", c, o, csv)
configs = 'praas-local praas-remote praas-first redis s3'
color(n) = n eq 'praas-local' ? '#000000' : n eq 'praas-remote' ? '#1f77b4' : \
    n eq 'praas-first' ? '#17becf' : n eq 'redis' ? '#d62728' : n eq 's3' ? '#ff7f0e' : '#7f7f7f'

set output outdir . '/gmem_latency.png'
set multiplot layout 1,2 title 'object latency, median of one operation' . subtitle noenhanced
do for [op in 'put get'] {
    set title op noenhanced
    set ylabel 'latency (us)'
    plot for [c in configs] rows(c, op) using 3:5 with linespoints lc rgb color(c) title c
}
unset multiplot

set output outdir . '/gmem_bandwidth.png'
set multiplot layout 1,2 title 'object bandwidth (size / median latency)' . subtitle noenhanced
do for [op in 'put get'] {
    set title op noenhanced
    set ylabel 'MB/s'
    plot for [c in configs] rows(c, op) using 3:8 with linespoints lc rgb color(c) title c
}
unset multiplot

set output outdir . '/gmem_persist.png'
set multiplot layout 1,2 title 'persist and restore time vs object size' . subtitle noenhanced
set ylabel 'time (us)'
set title 'praas_obj_persist' noenhanced
plot for [b in 'file redis s3'] rows('persist-' . b, 'persist') using 3:5 with linespoints \
    lc rgb (b eq 'file' ? '#2ca02c' : b eq 'redis' ? '#d62728' : '#ff7f0e') title b
set title 'restore at the first open in a later run' noenhanced
plot for [b in 'file redis s3'] rows('restore-' . b, 'restore') using 3:5 with linespoints \
    lc rgb (b eq 'file' ? '#2ca02c' : b eq 'redis' ? '#d62728' : '#ff7f0e') title b
unset multiplot
