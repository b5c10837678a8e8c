# The plot of bench/run-sgd.sh: seconds per epoch (left) and final test
# accuracy (right), one cluster of bars per worker count, one bar per
# variant. The two tables (whitespace-separated, NaN where a run failed)
# have a header line: workers, then the variants.
#
#   gnuplot -e "time='time.dat'; acc='accuracy.dat'; png='sgd.png'; nv=3" bench/plot-sgd.gp

if (!exists("subtitle")) subtitle = ''
set terminal pngcairo size 1400,600 noenhanced font 'sans,10'
set output png
set datafile missing 'NaN'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.9 border -1
set boxwidth 0.9
set grid ytics lw 0.5 lc rgb '#dddddd'
set key top left noenhanced
set xlabel 'workers'
set xtics scale 0
set multiplot layout 1,2 title 'SGD, softmax regression on Fashion-MNIST' . subtitle

set title 'seconds per epoch (median, first epoch left out; lower is better)'
set ylabel 's / epoch'
set yrange [0:*]
plot for [i=2:nv+1] time using i:xtic(1) title columnheader(i)

set title 'final test accuracy'
set ylabel 'accuracy (%)'
# From a point below the lowest bar, so that every bar shows.
lo = 100
do for [i=2:nv+1] {
    stats acc using i nooutput
    if (STATS_records > 0 && STATS_min < lo) { lo = STATS_min }
}
set yrange [floor(lo) - 1:*]
plot for [i=2:nv+1] acc using i:xtic(1) title columnheader(i)
unset multiplot
unset output
