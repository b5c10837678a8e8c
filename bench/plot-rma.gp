# Plots of bench/results/rma.csv (bench/README-rma.md), drawn by
# bench/run-rma.sh:
#   rma_latency_put.png, rma_latency_get.png  latency vs size, flush mode, one
#       line per implementation, the raw transports dashed beside them (the
#       CONFIG-inline rows: rma_bench --raw, paired with praas's samples)
#   rma_latency_8B.png   8-byte latency of every op and mode, bars per implementation
#   rma_bandwidth.png    put and get bandwidth vs size (flush mode), with the
#       raw transports and memcpy
#
#   gnuplot -e "csv='...rma.csv'; dat='...rma_8B.dat'; outdir='...'; impls='praas-shm ...'" bench/plot-rma.gp

if (!exists("csv")) csv = 'bench/results/rma.csv'
if (!exists("dat")) dat = 'bench/results/rma_8B.dat'
if (!exists("outdir")) outdir = 'bench/results'
if (!exists("subtitle")) subtitle = ''
if (!exists("impls")) impls = 'praas-shm praas-ucx-tcp praas-ucx-sm praas-ofi-tcp praas-ofi-shm ompi-default ompi-osc-sm mpich'

set datafile separator ','
set datafile missing ''
set terminal pngcairo size 1200,700 enhanced font 'sans,10'
set logscale xy
set grid xtics ytics mxtics mytics lw 0.5 lc rgb '#dddddd'
set key outside right top vertical Left reverse samplen 2 spacing 1.1 noenhanced
set xlabel 'message size (bytes)'
set xtics ('8' 8, '64' 64, '512' 512, '4K' 4096, '32K' 32768, '256K' 262144, '2M' 2097152)
set format y '%g'
set pointsize 0.7

# A colour per implementation name; the raw transports share their praas
# configuration's colour.
color(n) = n eq 'praas-shm' ? '#000000' : n eq 'praas-ucx-tcp' || n eq 'ucx-tcp' ? '#1f77b4' : \
    n eq 'praas-ucx-sm' || n eq 'ucx-shm' ? '#17becf' : n eq 'praas-ofi-tcp' || n eq 'ofi-tcp' ? '#d62728' : \
    n eq 'praas-ofi-shm' || n eq 'ofi-shm' ? '#ff7f0e' : n eq 'ompi-default' ? '#2ca02c' : \
    n eq 'ompi-osc-sm' ? '#98df8a' : n eq 'mpich' ? '#9467bd' : '#7f7f7f'
rows(c, o) = sprintf("< awk -F, '$1 == \"%s\" && $2 == \"%s\"' '%s'", c, o, csv)
tps = 'ucx-tcp ucx-shm ofi-tcp ofi-shm'

do for [op in 'put get'] {
    set output sprintf('%s/rma_latency_%s.png', outdir, op)
    set title sprintf("%s latency, flush mode (lock\\_all; %s + flush per iteration), median%s", \
        op, op, subtitle) noenhanced
    set ylabel 'latency (µs)'
    plot for [i=1:words(impls)] rows(word(impls, i), op.'-flush') using 3:5 \
            with linespoints lw 2 pt 7 lc rgb color(word(impls, i)) title word(impls, i), \
         for [i=1:words(tps)] rows(word(tps, i).'-inline', op.'-flush') using 3:5 \
            with linespoints lw 1.2 dt 2 pt 6 lc rgb color(word(tps, i)) title 'raw tp '.word(tps, i)
}

set output sprintf('%s/rma_bandwidth.png', outdir)
set terminal pngcairo size 1500,650 enhanced font 'sans,10'
set multiplot layout 1,2 title sprintf("Bandwidth: a window of operations, then one flush (flush mode)%s", subtitle) noenhanced
set ylabel 'bandwidth (MB/s)'
set key inside left top vertical Left reverse samplen 2 spacing 1.0 font ',8'
do for [op in 'put get'] {
    set title op noenhanced
    plot for [i=1:words(impls)] rows(word(impls, i), op.'-flush') using 3:8 \
            with linespoints lw 2 pt 7 lc rgb color(word(impls, i)) title word(impls, i), \
         for [i=1:words(tps)] rows(word(tps, i).'-inline', op.'-flush') using 3:8 \
            with linespoints lw 1.2 dt 2 pt 6 lc rgb color(word(tps, i)) title 'raw tp '.word(tps, i), \
         rows('memcpy', 'copy') using 3:8 with linespoints lw 1.2 dt 3 pt 1 lc rgb '#555555' title 'memcpy (in cache)', \
         rows('memcpy-cold', 'copy') using 3:8 with linespoints lw 1.2 dt 3 pt 2 lc rgb '#aaaaaa' title 'memcpy (cache-cold)'
}
unset multiplot

# ---- 8-byte latency of every op and mode: clustered bars ----
reset
set terminal pngcairo size 1800,700 enhanced font 'sans,10'
set output sprintf('%s/rma_latency_8B.png', outdir)
set datafile separator whitespace
set datafile missing 'NaN'
set title sprintf("8-byte latency per operation and synchronization mode, median%s", subtitle) noenhanced
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.9 border -1
set boxwidth 0.9
set logscale y
set ylabel 'latency (µs, log scale)'
set yrange [0.01:*]
set grid ytics lw 0.5 lc rgb '#dddddd'
set xtics rotate by -45 scale 0 noenhanced font ',9'
set key outside right top vertical noenhanced
plot for [i=2:words(impls)+1] dat using i:xtic(1) lc rgb color(word(impls, i-1)) title columnheader(i)
unset output
