# bench/results/bench.png from the two data files bench/report.py writes.
# Left: throughput of each route relative to a direct connection in the same
# run (1.0 = no cost; dashed: the 0.95 target). Middle and right: produce
# request latency at p50 and p99 per route.
# Usage: gnuplot -e "tput='...'; lat='...'; out='...png'" bench/chart.gp
set terminal pngcairo size 1500,480 font "sans,10"
set output out
set multiplot layout 1,3
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set key top left
set grid ytics
set xtics rotate by -30 noenhanced
set title "Throughput relative to direct (median, same run)"
set yrange [0:*]
set arrow 1 from graph 0, first 0.95 to graph 1, first 0.95 nohead dashtype 2 lc rgb "#888888"
plot tput using 2:xtic(1) title "turnout" lc rgb "#1f77b4", \
     '' using 3 title "haproxy" lc rgb "#ff7f0e"
unset arrow 1
set xtics norotate
set yrange [0:*]
set title "Produce latency p50, acks=all, 100 B (µs)"
plot lat using 2:xtic(1) title "direct" lc rgb "#2ca02c", \
     '' using 3 title "turnout" lc rgb "#1f77b4", \
     '' using 4 title "haproxy" lc rgb "#ff7f0e"
set title "Produce latency p99 (µs)"
plot lat using 5:xtic(1) title "direct" lc rgb "#2ca02c", \
     '' using 6 title "turnout" lc rgb "#1f77b4", \
     '' using 7 title "haproxy" lc rgb "#ff7f0e"
unset multiplot
