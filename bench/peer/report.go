package main

import (
	"fmt"
	"io"
	"slices"
	"time"
)

// report prints, per system, the median and range over the rounds of each
// figure, and each Outhook system's ratios to Outpost's medians.
func report(w io.Writer, systems []system, results []result) {
	type figures struct{ perSec, p50, p99, worst []float64 }
	by := map[string]*figures{}
	var loads []float64
	for _, r := range results {
		f := by[r.system]
		if f == nil {
			f = &figures{}
			by[r.system] = f
		}
		loads = append(loads, r.load[0][0], r.load[1][0])
		switch r.kind {
		case trialThroughput:
			f.perSec = append(f.perSec, r.perSec)
		case trialLatency:
			f.p50 = append(f.p50, msf(r.p50))
			f.p99 = append(f.p99, msf(r.p99))
			f.worst = append(f.worst, msf(r.worst))
		}
	}
	fmt.Fprintf(w, "\nload average (1 min) over the trials: %.2f to %.2f\n\n", slices.Min(loads), slices.Max(loads))
	fmt.Fprintln(w, "| system | deliveries/s | p50 at 200/s | p99 at 200/s | worst at 200/s |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|")
	for _, s := range systems {
		f := by[s.Name()]
		if f == nil {
			continue
		}
		fmt.Fprintf(w, "| %s | %s | %s ms | %s ms | %s ms |\n", s.Name(),
			spread(f.perSec, "%.0f"), spread(f.p50, "%.1f"), spread(f.p99, "%.1f"), spread(f.worst, "%.1f"))
	}
	peer := by["outpost"]
	if peer == nil {
		return
	}
	fmt.Fprintln(w)
	for _, s := range systems {
		f := by[s.Name()]
		if f == peer {
			continue
		}
		fmt.Fprintf(w, "%s / outpost: throughput %.2fx (rounds %s), p50 %.2fx, p99 %.2fx, worst %.2fx\n", s.Name(),
			median(f.perSec)/median(peer.perSec), pairwise(f.perSec, peer.perSec),
			median(f.p50)/median(peer.p50), median(f.p99)/median(peer.p99), median(f.worst)/median(peer.worst))
	}
}

// spread prints the median and, across rounds, the lowest and highest.
func spread(v []float64, format string) string {
	if len(v) == 0 {
		return "-"
	}
	return fmt.Sprintf(format+" ("+format+"–"+format+")", median(v), slices.Min(v), slices.Max(v))
}

// pairwise prints the ratio of a to b round by round.
func pairwise(a, b []float64) string {
	s := ""
	for i := range min(len(a), len(b)) {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%.2fx", a[i]/b[i])
	}
	return s
}

func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func msf(d time.Duration) float64 { return float64(d) / 1e6 }
