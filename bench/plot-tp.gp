# Plots of bench/results/tp.csv (bench/README.md): put latency, get latency
# and bandwidth against message size, log-log, one line per configuration
# with the floors (loopback TCP, memcpy) beside them.
#
#   gnuplot -e "csv='bench/results/tp.csv'; outdir='bench/results'" bench/plot-tp.gp
#
# Rows are picked by their config and op columns (with awk); a configuration
# without rows (one that failed) is skipped with a warning.

if (!exists("csv")) csv = 'bench/results/tp.csv'
if (!exists("outdir")) outdir = 'bench/results'
if (!exists("subtitle")) subtitle = ''

set datafile separator ','
set datafile missing ''
set terminal pngcairo size 1200,700 enhanced font 'sans,10'
set logscale xy
set grid xtics ytics mxtics mytics lw 0.5 lc rgb '#dddddd'
set key outside right top vertical Left reverse samplen 2 spacing 1.1
set xlabel 'message size (bytes)'
set xtics ('8' 8, '64' 64, '512' 512, '4K' 4096, '32K' 32768, '256K' 262144, '2M' 2097152)
set mxtics 8
set format y '%g'
set pointsize 0.7

# The configurations tp_bench ran under (run-tp.sh's labels; NAME-passive is
# the same with the target asleep, drawn dashed in the same colour) and the
# floors.
tps = 'ofi-tcp ofi-shm ucx-tcp ucx-shm'
tpcolor(i) = word('#d62728 #ff7f0e #1f77b4 #17becf', i)
# The rows whose config is c and op is o. Selected by awk rather than by a
# conditional in `using`, because the rows skipped that way would break
# each line into points.
rows(c, o) = sprintf("< awk -F, '$1 == \"%s\" && $2 == \"%s\"' '%s'", c, o, csv)

# ---- latency: one figure per operation ----
do for [op in 'put get'] {
    set output sprintf('%s/tp_latency_%s.png', outdir, op)
    set title sprintf("Raw transport %s latency (%s), median with p10-p90 bars%s", \
        op, op eq 'put' ? 'tp_put + tp_flush to remote completion' : \
        'tp_get + tp_comp_wait', subtitle) noenhanced
    set ylabel 'latency (µs)'
    plot for [i=1:words(tps)] rows(word(tps, i), op) \
            using 3:5:6:7 \
            with yerrorlines lw 2 pt 7 lc rgb tpcolor(i) title word(tps, i), \
         for [i=1:words(tps)] rows(word(tps, i).'-passive', op) using 3:5 \
            with linespoints lw 1.5 dt 4 pt 5 ps 0.5 lc rgb tpcolor(i) \
            title word(tps, i).' (target asleep)', \
         rows('tcp-loopback-poll', 'pingpong') using 3:5 \
            with linespoints lw 1.5 dt 2 pt 6 lc rgb '#2ca02c' title 'TCP loopback ping-pong, busy-poll (half RTT)', \
         rows('tcp-loopback-block', 'pingpong') using 3:5 \
            with linespoints lw 1.5 dt 2 pt 4 lc rgb '#9467bd' title 'TCP loopback ping-pong, blocking (half RTT)', \
         rows('memcpy', 'copy') using 3:5 \
            with linespoints lw 1.5 dt 3 pt 1 lc rgb '#555555' title 'memcpy (in cache)', \
         rows('memcpy-cold', 'copy') using 3:5 \
            with linespoints lw 1.5 dt 3 pt 2 lc rgb '#aaaaaa' title 'memcpy (cache-cold)'
}

# ---- bandwidth: put and get side by side ----
set output sprintf('%s/tp_bandwidth.png', outdir)
set terminal pngcairo size 1500,650 enhanced font 'sans,10'
set multiplot layout 1,2 title sprintf("Raw transport bandwidth: a window of non-blocking operations, then one flush (put) or wait (get)%s", subtitle) noenhanced
set ylabel 'bandwidth (MB/s = 10^6 bytes/s)'
set key inside right bottom vertical Left reverse samplen 2 spacing 1.0 font ',9' box opaque
do for [op in 'put get'] {
    set title sprintf('%s', op eq 'put' ? 'put (tp_put x window, tp_flush)' : 'get (tp_get x window, tp_comp_wait)') noenhanced
    plot for [i=1:words(tps)] rows(word(tps, i), op) using 3:8 \
            with linespoints lw 2 pt 7 lc rgb tpcolor(i) title word(tps, i), \
         for [i=1:words(tps)] rows(word(tps, i).'-passive', op) using 3:8 \
            with linespoints lw 1.5 dt 4 pt 5 ps 0.5 lc rgb tpcolor(i) \
            title word(tps, i).' (target asleep)', \
         rows('tcp-loopback-poll', 'pingpong') using 3:8 \
            with linespoints lw 1.5 dt 2 pt 6 lc rgb '#2ca02c' title 'TCP loopback stream, busy-poll', \
         rows('tcp-loopback-block', 'pingpong') using 3:8 \
            with linespoints lw 1.5 dt 2 pt 4 lc rgb '#9467bd' title 'TCP loopback stream, blocking', \
         rows('memcpy', 'copy') using 3:8 \
            with linespoints lw 1.5 dt 3 pt 1 lc rgb '#555555' title 'memcpy (in cache)', \
         rows('memcpy-cold', 'copy') using 3:8 \
            with linespoints lw 1.5 dt 3 pt 2 lc rgb '#aaaaaa' title 'memcpy (cache-cold)'
}
unset multiplot
unset output
