# One plot of bench/run-mpi-rma.sh: a measurement's CSV (size, then one
# column per configuration; an empty field is "not measured") drawn as lines
# against the message size, or as bars when it has one size only (fop, cas).
# Columns keep their order in every file, so a configuration keeps its
# colour from plot to plot.
#
#   gnuplot -e "csv='lat-put-flush.csv'; png='lat-put-flush.png'; ncols=8; bars=0" \
#           -e "title='put latency'; ylabel='latency (us)'" bench/plot-mpi-rma.gp

if (!exists("bars")) bars = 0
if (!exists("title")) title = csv
if (!exists("ylabel")) ylabel = ''
set datafile separator ','
set datafile missing ''
set terminal pngcairo size 1100,650 noenhanced font 'sans,10'
set output png
set title title
set ylabel ylabel
set grid ytics mytics lw 0.5 lc rgb '#dddddd'
set key outside right top vertical Left reverse noenhanced
set logscale y
set format y '%g'

if (bars) {
    set style data histograms
    set style histogram clustered gap 1
    set style fill solid 0.9 border -1
    set boxwidth 0.9
    set xlabel 'message size (bytes)'
    set xtics scale 0
    plot for [i=2:ncols] csv using i:xtic(1) title columnheader(i)
} else {
    set logscale x 2
    set grid xtics
    set xlabel 'message size (bytes)'
    set xtics ('8' 8, '64' 64, '512' 512, '4K' 4096, '32K' 32768, '256K' 262144, '2M' 2097152, '16M' 16777216)
    set pointsize 0.7
    plot for [i=2:ncols] csv using 1:i with linespoints lw 2 pt 7 title columnheader(i)
}
unset output
