package flavor

// Choice is the candidate Choose picked and why.
type Choice struct {
	Candidate  int // index into the candidates
	System     int // index of the system flavor in the search list that matched
	Score      int // the candidate's score against that system flavor
	Preference int // index in the system's architecture preferences the candidate matched, or -1
}

// Choose picks the best of several flavors of one package version for a system, the way Conary's
// trove sources do (findtrove.py, trovesource.py _filterByFlavorQuery):
//
//   - The system flavors are searched in order; the first one that accepts any candidate decides
//     and later ones are not consulted.
//   - Candidates it finds incompatible are dropped.
//   - Architecture preferences come next (see PreferenceFlavors): the candidates whose strong
//     flavor satisfies the earliest preference win, and an earlier preference beats any score.
//     When no candidate matches any preference, all compatible ones stay.
//   - Among what is left the highest score wins; on a tie the earlier candidate wins.
//
// ok is false when no system flavor accepts any candidate.
func Choose(systems []Flavor, candidates []Flavor) (choice Choice, ok bool) {
	scores := make([]int, len(candidates))
	var compatible []int
	for si, system := range systems {
		compatible = compatible[:0]
		for ci, c := range candidates {
			if s, ok := system.Score(c); ok {
				compatible = append(compatible, ci)
				scores[ci] = s
			}
		}
		if len(compatible) == 0 {
			continue
		}
		var prefs []string
		if major, err := MajorArch(system); err == nil && major != "" {
			prefs = Preferences(major)
		}
		kept, pref := filterByPreferences(candidates, compatible, prefs)
		best := kept[0]
		for _, ci := range kept[1:] {
			if scores[ci] > scores[best] {
				best = ci
			}
		}
		return Choice{Candidate: best, System: si, Score: scores[best], Preference: pref}, true
	}
	return Choice{}, false
}

// filterByPreferences keeps the candidates matching the earliest preference they can, or all of
// them when none matches any preference. A preference is "is: <arch>" without flags, which a
// candidate's strong flavor satisfies exactly when its "is:" class names arch.
func filterByPreferences(candidates []Flavor, idx []int, prefs []string) ([]int, int) {
	bestPref := -1
	var best []int
	for _, ci := range idx {
		is := candidates[ci].classes[kindIS]
		for pi, arch := range prefs {
			if _, ok := is.find(arch); !ok {
				continue
			}
			switch {
			case bestPref == -1 || pi < bestPref:
				bestPref, best = pi, []int{ci}
			case pi == bestPref:
				best = append(best, ci)
			}
			break
		}
	}
	if bestPref == -1 {
		return idx, -1
	}
	return best, bestPref
}
