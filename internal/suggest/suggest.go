// Package suggest finds the known field path nearest to a misspelt one, for
// the "did you mean" of the template and filter schema checks.
package suggest

// Closest returns the path in known nearest to path by edit distance, or ""
// when none is within a third of path's length (plus two): far enough to
// catch requestor for requester, near enough not to suggest nonsense.
func Closest(path string, known []string) string {
	best, bestDist := "", len(path)/3+2
	for _, k := range known {
		if d := Distance(path, k, bestDist); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// Distance is the Levenshtein distance between a and b, or limit when it is
// at least limit (the search stops there).
func Distance(a, b string, limit int) int {
	if d := len(a) - len(b); d >= limit || -d >= limit {
		return limit
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		low := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			low = min(low, cur[j])
		}
		if low >= limit {
			return limit
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], limit)
}
