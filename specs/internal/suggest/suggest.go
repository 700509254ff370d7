// Package suggest finds the known word a mistyped one was meant to be, for the "did you mean"
// hints of strict decoders (spec trees, the bundle manifest).
package suggest

import "strings"

// Nearest returns the word of known nearest to word, or "" when none is close enough to be a
// likely typo. Case and the '-'/'_' spelling are ignored first ("pkg_path" → "pkg-path"); then the
// edit distance (an adjacent transposition counts as one edit) must be at most 2 (1 for words of
// up to 3 letters) or a third of the word's length. Ties go to the word that sorts first, so the hint never depends on the order of known.
func Nearest(word string, known []string) string {
	norm := func(s string) string { return strings.ReplaceAll(strings.ToLower(s), "_", "-") }
	for _, k := range known {
		if norm(k) == norm(word) {
			return k
		}
	}
	best, bestDist := "", -1
	for _, k := range known {
		d := Distance(norm(word), norm(k))
		if bestDist < 0 || d < bestDist || d == bestDist && k < best {
			best, bestDist = k, d
		}
	}
	limit := 2
	if len(word) <= 3 {
		limit = 1
	}
	if bestDist < 0 || bestDist > limit && bestDist > len(word)/3 {
		return ""
	}
	return best
}

// Related returns the known word that word most likely stands for when it is not a typo of
// one (Nearest finds none) but a longer or shorter spelling of it: "environment" for "env",
// "require" for "requires_final_images". The known word must be at least 3 letters; the longest
// one wins. It returns "" when none is related.
func Related(word string, known []string) string {
	norm := func(s string) string { return strings.ReplaceAll(strings.ToLower(s), "_", "-") }
	w := norm(word)
	best := ""
	for _, k := range known {
		nk := norm(k)
		if len(nk) < 3 || len(w) < 3 {
			continue
		}
		if (strings.HasPrefix(w, nk) || strings.HasPrefix(nk, w)) && (len(k) > len(best) || len(k) == len(best) && k < best) {
			best = k
		}
	}
	return best
}

// Distance is the Levenshtein distance between a and b in runes, counting an adjacent
// transposition as one edit (optimal string alignment).
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
