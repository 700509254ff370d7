package flavor

import "testing"

func parseAll(ss ...string) []Flavor {
	out := make([]Flavor, len(ss))
	for i, s := range ss {
		out[i] = MustParse(s)
	}
	return out
}

func TestChoose(t *testing.T) {
	tests := []struct {
		name       string
		systems    []string
		candidates []string
		want       Choice
		ok         bool
	}{
		{
			name:       "highest score wins",
			systems:    []string{"~ssl is: x86_64"},
			candidates: []string{"~!ssl is: x86_64", "ssl is: x86_64"},
			want:       Choice{Candidate: 1, System: 0, Score: 2, Preference: 0},
			ok:         true,
		},
		{
			name:       "incompatible candidates are dropped even with a high score elsewhere",
			systems:    []string{"!xen is: x86_64"},
			candidates: []string{"xen is: x86_64", "~!xen is: x86_64"},
			want:       Choice{Candidate: 1, System: 0, Score: 2, Preference: 0},
			ok:         true,
		},
		{
			name:       "the flavor list is searched in order",
			systems:    []string{"!xen is: x86_64", "~xen is: x86_64", "xen is: x86_64"},
			candidates: []string{"xen is: x86_64"},
			want:       Choice{Candidate: 0, System: 1, Score: 2, Preference: 0},
			ok:         true,
		},
		{
			name:       "an earlier system flavor decides even if a later one scores higher",
			systems:    []string{"is: x86_64", "ssl is: x86_64"},
			candidates: []string{"~!ssl is: x86_64", "~ssl is: x86_64"},
			want:       Choice{Candidate: 0, System: 0, Score: 2, Preference: 0},
			ok:         true,
		},
		{
			name:       "architecture preference beats score",
			systems:    []string{"~ssl is: x86 x86_64"},
			candidates: []string{"ssl is: x86", "~!ssl is: x86_64"},
			want:       Choice{Candidate: 1, System: 0, Score: 0, Preference: 0},
			ok:         true,
		},
		{
			name:       "multilib and x86_64 share a preference; score decides",
			systems:    []string{"is: x86 x86_64"},
			candidates: []string{"is: x86_64", "is: x86 x86_64", "is: x86"},
			want:       Choice{Candidate: 1, System: 0, Score: 2, Preference: 0},
			ok:         true,
		},
		{
			name:       "candidates without an instruction set match no preference but stay",
			systems:    []string{"~ssl is: x86_64"},
			candidates: []string{"~!ssl", "ssl"},
			want:       Choice{Candidate: 1, System: 0, Score: 1, Preference: -1},
			ok:         true,
		},
		{
			name:       "a matching preference drops candidates that match none",
			systems:    []string{"~ssl is: x86_64"},
			candidates: []string{"ssl", "~!ssl is: x86_64"},
			want:       Choice{Candidate: 1, System: 0, Score: 0, Preference: 0},
			ok:         true,
		},
		{
			name:       "ties go to the earlier candidate",
			systems:    []string{"is: aarch64"},
			candidates: []string{"~!a is: aarch64", "~!b is: aarch64"},
			want:       Choice{Candidate: 0, System: 0, Score: 2, Preference: 0},
			ok:         true,
		},
		{
			name:       "a system without instruction sets has no preferences",
			systems:    []string{"~ssl"},
			candidates: []string{"~!ssl", "~ssl"},
			want:       Choice{Candidate: 1, System: 0, Score: 2, Preference: -1},
			ok:         true,
		},
		{
			name:       "nothing fits",
			systems:    []string{"is: aarch64", "is: x86"},
			candidates: []string{"is: x86_64", "ssl is: x86"},
			ok:         false,
		},
		{
			name:       "no candidates",
			systems:    []string{"is: x86_64"},
			candidates: nil,
			ok:         false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Choose(parseAll(tt.systems...), parseAll(tt.candidates...))
			if ok != tt.ok || (ok && got != tt.want) {
				t.Fatalf("Choose = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

// chooseReference is Choose written the way trovesource.py reads: preferences as flavors, matched
// with the strong form of each candidate. Choose takes a shortcut (arch membership); the
// differential test and the benchmark below compare the two.
func chooseReference(systems []Flavor, candidates []Flavor) (Choice, bool) {
	for si, system := range systems {
		scoreOf := map[int]int{}
		var compatible []int
		for ci, c := range candidates {
			if s, ok := system.Score(c); ok {
				compatible = append(compatible, ci)
				scoreOf[ci] = s
			}
		}
		if len(compatible) == 0 {
			continue
		}
		prefs, _ := PreferenceFlavors(system)
		bestPref, kept := -1, compatible
		var matched []int
		for _, ci := range compatible {
			strong := candidates[ci].Strong()
			for pi, p := range prefs {
				if strong.Satisfies(p) {
					if bestPref == -1 || pi < bestPref {
						bestPref, matched = pi, []int{ci}
					} else if pi == bestPref {
						matched = append(matched, ci)
					}
					break
				}
			}
		}
		if bestPref >= 0 {
			kept = matched
		}
		best := kept[0]
		for _, ci := range kept[1:] {
			if scoreOf[ci] > scoreOf[best] {
				best = ci
			}
		}
		return Choice{Candidate: best, System: si, Score: scoreOf[best], Preference: bestPref}, true
	}
	return Choice{}, false
}

func TestChooseMatchesReference(t *testing.T) {
	systems := [][]string{
		{"~ssl is: x86(i686) x86_64"},
		{"!ssl is: x86", "~ssl is: x86_64"},
		{"~!debug is: aarch64"},
		{"ssl"},
		{"is: ppc ppc64", "is: x86"},
	}
	pool := []string{"is: x86", "is: x86_64(~sse3)", "is: x86(!i686) x86_64", "ssl", "~!ssl is: x86_64",
		"is: aarch64", "is:", "debug is: aarch64", "~!debug is: aarch64", "is: ppc", "is: ppc64", "!ssl is: x86"}
	for _, sys := range systems {
		for i := range pool {
			for j := i; j < len(pool); j++ {
				cands := parseAll(pool[i], pool[j], pool[(i+j)%len(pool)])
				got, ok := Choose(parseAll(sys...), cands)
				want, wok := chooseReference(parseAll(sys...), cands)
				if ok != wok || got != want {
					t.Fatalf("systems %q, candidates %q: Choose = %+v %v, reference = %+v %v", sys, []string{pool[i], pool[j], pool[(i+j)%len(pool)]}, got, ok, want, wok)
				}
			}
		}
	}
}
