package ops

import (
	"fmt"
	"sort"
)

// didYouMean returns ` (did you mean "x"?)` for the known word closest to s, or "" when nothing
// is close (edit distance above a third of the word's length, at least 2).
func didYouMean(s string, known []string) string {
	sorted := append([]string(nil), known...)
	sort.Strings(sorted) // ties resolve the same way every time
	best, bestD := "", -1
	for _, k := range sorted {
		d := editDistance(s, k)
		if bestD < 0 || d < bestD {
			best, bestD = k, d
		}
	}
	limit := max(2, len(s)/3)
	if bestD < 0 || bestD > limit {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance between a and b, by bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
