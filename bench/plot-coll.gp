# Allreduce latency and bandwidth against size, log-log, one line per
# implementation (colour) and worker count (dash: solid for the largest N).
#   gnuplot -e "csv='coll-best.csv'; outdir='.'; impls='praas ompi'; ns='2 4'; subtitle=''" plot-coll.gp
if (!exists("subtitle")) subtitle = ''
set datafile separator ','
set terminal pngcairo size 1100,700 noenhanced font ',10'
set logscale xy
set grid
set key outside right top
set xlabel 'message size (bytes)'
set xtics ('8' 8, '64' 64, '512' 512, '4K' 4096, '32K' 32768, '256K' 262144, '2M' 2097152, '16M' 16777216, '64M' 67108864)

nn = words(ns)
cfg(i, j) = word(impls, i) . '-n' . word(ns, j)
# One flat iteration k over (implementation i, worker count j).
ki(k) = (k - 1) / nn + 1
kj(k) = (k - 1) % nn + 1
nk = words(impls) * nn
# Solid for the largest worker count, dashed for the others.
dtk(k) = nn - kj(k) + 1

set output outdir . '/coll_latency.png'
set title 'allreduce latency, doubles, SUM (median; lower is better)' . subtitle
set ylabel 'latency (us)'
plot for [k = 1:nk] csv \
    using 3:(strcol(1) eq cfg(ki(k), kj(k)) ? $5 : NaN) with linespoints \
    lc ki(k) dt dtk(k) pt 7 ps 0.6 title cfg(ki(k), kj(k))

set output outdir . '/coll_bandwidth.png'
set title 'allreduce algorithmic bandwidth, size / median latency (higher is better)' . subtitle
set ylabel 'MB/s'
set key outside right top
plot for [k = 1:nk] csv \
    using 3:(strcol(1) eq cfg(ki(k), kj(k)) ? $8 : NaN) with linespoints \
    lc ki(k) dt dtk(k) pt 7 ps 0.6 title cfg(ki(k), kj(k))
