package flavor

import (
	"errors"
	"fmt"
)

// MergeType says how conflicting senses of one flag are resolved when flavors are combined.
type MergeType int

// The merge types of deps.py.
const (
	// MergeNormal keeps the stronger sense and fails on a conflict at equal strength
	// ("ssl" against "!ssl", or "~ssl" against "~!ssl").
	MergeNormal MergeType = iota + 1
	// MergeOverride lets the later flavor win.
	MergeOverride
	// MergePrefs lets a strong original survive a weak conflicting sense and otherwise takes the
	// newer sense, weakened; at equal strength the newer sense wins.
	MergePrefs
	// MergeDropConflicts removes flags that conflict at equal strength.
	MergeDropConflicts
)

func (t MergeType) String() string {
	switch t {
	case MergeNormal:
		return "normal"
	case MergeOverride:
		return "override"
	case MergePrefs:
		return "prefs"
	case MergeDropConflicts:
		return "drop-conflicts"
	}
	return fmt.Sprintf("MergeType(%d)", int(t))
}

// ErrMergeConflict is wrapped by the error a MergeNormal merge returns on conflicting senses.
var ErrMergeConflict = errors.New("invalid flag combination in merge")

// MergeError names the two senses of a flag that a MergeNormal merge cannot combine.
type MergeError struct {
	A, B Flag
}

func (e *MergeError) Error() string {
	return fmt.Sprintf("invalid flag combination in merge: %s and %s", e.A, e.B)
}

// Is makes errors.Is(err, ErrMergeConflict) true for a *MergeError.
func (e *MergeError) Is(target error) bool { return target == ErrMergeConflict }

// Merge combines flavors flag by flag (deps.py mergeFlavorList). Every class and dependency of
// any input is kept; each flag's senses, in input order, are resolved by t. Explicitly empty
// classes contribute nothing.
func Merge(t MergeType, flavors ...Flavor) (Flavor, error) {
	if err := t.check(); err != nil {
		return Flavor{}, err
	}
	b := &builder{}
	for k := kindUse; k < numKinds; k++ {
		var names []string
		byName := map[string][]dep{}
		for _, f := range flavors {
			for _, d := range f.classes[k].deps {
				if _, ok := byName[d.Name]; !ok {
					names = append(names, d.Name)
				}
				byName[d.Name] = append(byName[d.Name], d)
			}
		}
		for _, name := range names {
			flags, err := mergeDeps(byName[name], t)
			if err != nil {
				return Flavor{}, err
			}
			if k == kindUse && t == MergeDropConflicts && len(flags) == 0 {
				continue
			}
			b.addDep(k, name, flags)
		}
	}
	return b.flavor(), nil
}

func (t MergeType) check() error {
	if t < MergeNormal || t > MergeDropConflicts {
		return fmt.Errorf("merging flavors: unknown merge type %d", int(t))
	}
	return nil
}

// strength ranks senses of one direction: 2 strong, 1 weak, 0 absent.
func strength(s Sense) int {
	switch s {
	case Required, Disallowed:
		return 2
	case Preferred, PreferNot:
		return 1
	}
	return 0
}

// mergeDeps is _mergeDeps: it resolves every flag of same-named dependencies.
func mergeDeps(deps []dep, t MergeType) ([]Flag, error) {
	var names []string
	senses := map[string][]Sense{}
	for _, d := range deps {
		for _, f := range d.Flags {
			if _, ok := senses[f.Name]; !ok {
				names = append(names, f.Name)
			}
			senses[f.Name] = append(senses[f.Name], f.Sense)
		}
	}
	var out []Flag
	for _, name := range names {
		ss := senses[name]
		if t == MergeOverride {
			out = append(out, Flag{name, ss[len(ss)-1]})
			continue
		}
		pos, neg := Unspecified, Unspecified
		for _, s := range ss {
			switch {
			case s == Required || s == Preferred && pos != Required:
				pos = s
			case s == Disallowed || s == PreferNot && neg != Disallowed:
				neg = s
			}
		}
		posStrength, negStrength := strength(pos), strength(neg)
		switch {
		case posStrength == negStrength:
			switch t {
			case MergeDropConflicts:
				continue
			case MergePrefs:
				for i := len(ss) - 1; i >= 0; i-- {
					if ss[i] == pos || ss[i] == neg {
						out = append(out, Flag{name, ss[i]})
						break
					}
				}
				continue
			}
			return nil, &MergeError{A: Flag{name, neg}, B: Flag{name, pos}}
		case t == MergePrefs:
			orig := ss[0]
			if orig.IsStrong() && (pos == Unspecified || neg == Unspecified) {
				out = append(out, Flag{name, orig})
			} else {
				out = append(out, Flag{name, ss[len(ss)-1].Weak()})
			}
		case posStrength > negStrength:
			out = append(out, Flag{name, pos})
		default:
			out = append(out, Flag{name, neg})
		}
	}
	return out, nil
}

// mergeFlags is Dependency.mergeFlags: it merges other's flags into this pairwise.
func mergeFlags(this, other dep, t MergeType) (dep, error) {
	all := map[string]Sense{}
	for _, f := range this.Flags {
		all[f.Name] = f.Sense
	}
	for _, f := range other.Flags {
		cur, ok := all[f.Name]
		if t == MergeOverride || !ok {
			all[f.Name] = f.Sense
			continue
		}
		if cur == f.Sense {
			continue
		}
		curStrong, otherStrong := cur.IsStrong(), f.Sense.IsStrong()
		if curStrong == otherStrong {
			switch t {
			case MergeDropConflicts:
				delete(all, f.Name)
				continue
			case MergePrefs:
				all[f.Name] = f.Sense
				continue
			}
			return dep{}, &MergeError{A: Flag{f.Name, cur}, B: f}
		}
		switch {
		case t == MergePrefs:
			if !(curStrong && f.Sense.Strong() == cur) {
				all[f.Name] = f.Sense.Weak()
			}
		case otherStrong:
			all[f.Name] = f.Sense
		}
	}
	return dep{Name: this.Name, Flags: sortedFlags(all)}, nil
}

// Override applies a user's flavor over a base flavor the way Conary applies a command-line
// flavor to each flavor of the configured list (deps.py overrideFlavor): the user's use flags
// replace the matching flags of base (resolved by t; Conary's default is MergeOverride); if both
// name instruction sets (or targets), only the user's architectures are kept, with the base's
// flags for them merged in.
func Override(base, user Flavor, t MergeType) (Flavor, error) {
	if err := t.check(); err != nil {
		return Flavor{}, err
	}
	out := base
	for _, k := range []kind{kindIS, kindTarget} {
		if !base.classes[k].present || !user.classes[k].present {
			continue
		}
		var kept []dep
		for _, d := range base.classes[k].deps {
			if _, ok := user.classes[k].find(d.Name); ok {
				kept = append(kept, d)
			}
		}
		// removeDeps drops a class left with no members.
		out.classes[k] = class{present: len(kept) > 0, deps: kept}
	}
	for k := kindUse; k < numKinds; k++ {
		uc := user.classes[k]
		if !uc.present {
			continue
		}
		oc := out.classes[k]
		if !oc.present {
			if len(uc.deps) > 0 {
				out.classes[k] = class{present: true, deps: append([]dep(nil), uc.deps...)}
			}
			continue
		}
		merged, err := unionClass(oc, uc, t)
		if err != nil {
			return Flavor{}, err
		}
		if k == kindUse && t == MergeDropConflicts {
			if d, ok := merged.find(useName); !ok || len(d.Flags) == 0 {
				merged = class{}
			}
		}
		out.classes[k] = merged
	}
	return out, nil
}

// unionClass adds other's dependencies to c, merging same-named ones with mergeFlags.
func unionClass(c, other class, t MergeType) (class, error) {
	byName := map[string]dep{}
	var names []string
	for _, d := range c.deps {
		byName[d.Name] = d
		names = append(names, d.Name)
	}
	for _, d := range other.deps {
		cur, ok := byName[d.Name]
		if !ok {
			byName[d.Name] = d
			names = append(names, d.Name)
			continue
		}
		if cur.equal(d) {
			continue
		}
		m, err := mergeFlags(cur, d, t)
		if err != nil {
			return class{}, err
		}
		byName[d.Name] = m
	}
	b := &builder{}
	b.markClass(kindIS)
	for _, n := range names {
		b.addDep(kindIS, n, byName[n].Flags)
	}
	return b.flavor().classes[kindIS], nil
}

// Fill completes f from base (deps.py mergeFlavor): base's use flags are taken only when f has
// no use class at all, and base's instruction sets only when f has no "is:" class. An explicitly
// empty class in f ("is:") therefore keeps base's instruction sets out.
func Fill(f, base Flavor) Flavor {
	out := f
	for _, k := range []kind{kindIS, kindUse} {
		if !f.classes[k].present && len(base.classes[k].deps) > 0 {
			out.classes[k] = class{present: true, deps: append([]dep(nil), base.classes[k].deps...)}
		}
	}
	return out
}
