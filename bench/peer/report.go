package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// report prints, per system, the median and range over the rounds of each
// figure; then each system's ratios to Outpost's medians, and each Outhook
// system's to river-by-hand's (the same work by hand on River).
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
	// Each system beside Outpost, and each Outhook system beside the same
	// work by hand on River, measured in the same run.
	ratios := func(name, anchor string, f, a *figures) {
		fmt.Fprintf(w, "%s / %s: throughput %.2fx (rounds %s)", name, anchor,
			median(f.perSec)/median(a.perSec), pairwise(f.perSec, a.perSec))
		if len(f.p50) > 0 && len(a.p50) > 0 {
			fmt.Fprintf(w, ", p50 %.2fx, p99 %.2fx, worst %.2fx",
				median(f.p50)/median(a.p50), median(f.p99)/median(a.p99), median(f.worst)/median(a.worst))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
	for _, anchor := range []string{"outpost", "river-by-hand"} {
		a := by[anchor]
		if a == nil {
			continue
		}
		for _, s := range systems {
			f := by[s.Name()]
			if f == nil || f == a || anchor == "river-by-hand" && !strings.HasPrefix(s.Name(), "outhook") {
				continue
			}
			ratios(s.Name(), anchor, f, a)
		}
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
