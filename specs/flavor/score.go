package flavor

// incompatible marks a None entry of the scoring table.
const incompatible = -128

// scores is flavorScores from deps.py: rows are the system's sense, columns the trove's.
var scores = [5][5]int8{
	Unspecified: {Required: incompatible, Disallowed: 0, Preferred: -1, PreferNot: 1},
	Required:    {Required: 2, Disallowed: incompatible, Preferred: 1, PreferNot: incompatible},
	Disallowed:  {Required: incompatible, Disallowed: 2, Preferred: incompatible, PreferNot: 1},
	Preferred:   {Required: 1, Disallowed: incompatible, Preferred: 2, PreferNot: -1},
	PreferNot:   {Required: -2, Disallowed: 1, Preferred: -1, PreferNot: 1},
}

// FlagScore looks up the scoring table for one flag: system is the system's sense (Unspecified
// when it does not mention the flag), trove the trove's. ok is false where the table says None,
// meaning the two are incompatible; a score of 0 is a compatible match.
func FlagScore(system, trove Sense) (score int, ok bool) {
	if system > Disallowed || trove > Disallowed || trove == Unspecified {
		return 0, false
	}
	s := scores[system][trove]
	if s == incompatible {
		return 0, false
	}
	return int(s), true
}

// Score matches a trove's flavor against f, the system's (DependencySet.score: the system
// provides, the trove requires). ok is false when they are incompatible; otherwise score is the
// sum of the table over the trove's flags, plus 1 for every matched "is:" or "target:"
// architecture. Empty classes of the trove are skipped; flags the system has and the trove does
// not mention cost nothing; when the system has no use class at all, the trove's use flags are
// scored against the "not mentioned" row.
func (f Flavor) Score(trove Flavor) (score int, ok bool) {
	total := 0
	for k := kindUse; k < numKinds; k++ {
		tc := trove.classes[k]
		if len(tc.deps) == 0 {
			continue // absent or explicitly empty: ignored when scoring
		}
		var s int
		if sc := f.classes[k]; sc.present {
			s, ok = classScore(k, sc, tc)
		} else {
			s, ok = emptyClassScore(k, tc)
		}
		if !ok {
			return 0, false
		}
		total += s
	}
	return total, true
}

// Satisfies reports whether the system flavor f accepts the trove flavor (its score is not None).
func (f Flavor) Satisfies(trove Flavor) bool {
	_, ok := f.Score(trove)
	return ok
}

// StronglySatisfies reports whether f accepts trove once both are made strong (Conary's
// stronglySatisfies; what architecture preferences and installed-database searches use).
func (f Flavor) StronglySatisfies(trove Flavor) bool {
	return f.Strong().Satisfies(trove.Strong())
}

func classScore(k kind, system, trove class) (int, bool) {
	total := 0
	for _, req := range trove.deps {
		var s int
		var ok bool
		if have, found := system.find(req.Name); found {
			s, ok = depScore(have, req)
		} else if k.significant() {
			return 0, false // a trove needing x86 never matches a system without x86
		} else {
			s, ok = emptyDepScore(req)
		}
		if !ok {
			return 0, false
		}
		total += s
		if k.significant() {
			total++ // +1 for each matched architecture name
		}
	}
	return total, true
}

// emptyClassScore scores a trove class against a system without that class (emptyDepsScore).
func emptyClassScore(k kind, trove class) (int, bool) {
	if k.significant() {
		return 0, false
	}
	total := 0
	for _, d := range trove.deps {
		s, ok := emptyDepScore(d)
		if !ok {
			return 0, false
		}
		total += s
	}
	return total, true
}

// depScore scores one trove dependency against the system's dependency of the same name, over
// the trove's flags only.
func depScore(system, trove dep) (int, bool) {
	total := 0
	for _, fl := range trove.Flags {
		s := scores[system.sense(fl.Name)][fl.Sense]
		if s == incompatible {
			return 0, false
		}
		total += int(s)
	}
	return total, true
}

// emptyDepScore scores a trove dependency against a system that says nothing about it; a
// dependency without flags cannot match nothing.
func emptyDepScore(trove dep) (int, bool) {
	if len(trove.Flags) == 0 {
		return 0, false
	}
	total := 0
	for _, fl := range trove.Flags {
		s := scores[Unspecified][fl.Sense]
		if s == incompatible {
			return 0, false
		}
		total += int(s)
	}
	return total, true
}
