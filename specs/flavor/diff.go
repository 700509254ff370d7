package flavor

import (
	"errors"
	"fmt"
	"strings"
)

// ErrAmbiguousDescriptors is returned by ShortDescriptors when even full differences leave two
// distinct flavors with the same label (Conary raises NotImplementedError there).
var ErrAmbiguousDescriptors = errors.New("flavors cannot be told apart by short descriptors")

// Differences returns, for each flavor, only what sets it apart from the others (deps.py
// flavorDifferences): the intersection of all flavors is removed from each. With strict false,
// "~foo" and "foo" count as the same (and "~!foo" and "!foo"), while "~foo" and "~!foo" still
// differ. Instruction sets common to all flavors are removed too. The result is aligned with the
// input.
func Differences(flavors []Flavor, strict bool) []Flavor {
	if len(flavors) == 0 {
		return nil
	}
	base := flavors[0]
	for _, f := range flavors[1:] {
		base = intersect(base, f, strict)
	}
	out := make([]Flavor, len(flavors))
	for i, f := range flavors {
		out[i] = difference(f, base, strict)
	}
	return out
}

// intersect keeps, class by class and dependency by dependency, what a and b share. A shared
// dependency whose flags have nothing in common survives without flags.
func intersect(a, b Flavor, strict bool) Flavor {
	var out Flavor
	for k := kindUse; k < numKinds; k++ {
		ac, bc := a.classes[k], b.classes[k]
		if !ac.present || !bc.present {
			continue
		}
		var deps []dep
		for _, d := range ac.deps {
			o, ok := bc.find(d.Name)
			if !ok {
				continue
			}
			if x, ok := intersectDep(d, o, strict); ok {
				deps = append(deps, x)
			} else {
				deps = append(deps, dep{Name: d.Name})
			}
		}
		if len(deps) > 0 {
			out.classes[k] = class{present: true, deps: deps}
		}
	}
	return out
}

// intersectDep is Dependency.intersection: flags present in both with the same sense (or, not
// strict, the same direction, kept in strong form). ok is false when nothing is shared and the
// flags differ.
func intersectDep(a, b dep, strict bool) (dep, bool) {
	var flags []Flag
	for _, f := range a.Flags {
		other := b.sense(f.Name)
		switch {
		case other == Unspecified:
		case strict && other == f.Sense:
			flags = append(flags, f)
		case !strict && other.Strong() == f.Sense.Strong():
			flags = append(flags, Flag{f.Name, f.Sense.Strong()})
		}
	}
	if len(flags) == 0 && !a.equal(dep{Name: a.Name, Flags: b.Flags}) {
		return dep{}, false
	}
	return dep{Name: a.Name, Flags: flags}, true
}

// difference removes from f what base holds; a dependency left without flags disappears, and
// so does a class left without dependencies.
func difference(f, base Flavor, strict bool) Flavor {
	var out Flavor
	for k := kindUse; k < numKinds; k++ {
		fc, bc := f.classes[k], base.classes[k]
		var deps []dep
		for _, d := range fc.deps {
			o, ok := bc.find(d.Name)
			if !bc.present || !ok {
				deps = append(deps, d)
				continue
			}
			var flags []Flag
			for _, fl := range d.Flags {
				s := o.sense(fl.Name)
				same := s != Unspecified && (strict && s == fl.Sense || !strict && s.Strong() == fl.Sense.Strong())
				if !same {
					flags = append(flags, fl)
				}
			}
			if len(flags) > 0 {
				deps = append(deps, dep{Name: d.Name, Flags: flags})
			}
		}
		if len(deps) > 0 {
			out.classes[k] = class{present: true, deps: deps}
		}
	}
	return out
}

// ShortDescriptors labels each flavor with a short dash-joined name for builds and groups
// (deps.py getShortFlavorDescriptors), in stages until the labels are unique:
//
//  1. the major architecture alone ("x86_64");
//  2. plus the positive use flags that differ, strict=false ("x86_64-dom0-xen");
//  3. the full strict difference with the major architecture, split at commas.
//
// Equal flavors share a label. The error wraps ErrAmbiguousDescriptors when stage 3 still
// collides, or ErrIncompatibleArches for a flavor whose instruction sets have no major one.
func ShortDescriptors(flavors []Flavor) ([]string, error) {
	// Conary keys its tables by flavor, so equal flavors are one entry.
	index := map[string]int{}
	var uniq []Flavor
	pos := make([]int, len(flavors))
	for i, f := range flavors {
		key := f.Key()
		j, ok := index[key]
		if !ok {
			j = len(uniq)
			index[key] = j
			uniq = append(uniq, f)
		}
		pos[i] = j
	}
	majors := make([]string, len(uniq))
	labels := make([][]string, len(uniq))
	for i, f := range uniq {
		m, err := MajorArch(f)
		if err != nil {
			return nil, fmt.Errorf("shortening flavor %q: %w", f, err)
		}
		majors[i] = m
		if m != "" {
			labels[i] = []string{m}
		}
	}
	if !distinct(labels) {
		for i, d := range Differences(uniq, false) {
			labels[i] = labels[i][:len(labels[i]):len(labels[i])]
			for _, fl := range d.UseFlags() {
				if fl.Sense.positive() {
					labels[i] = append(labels[i], fl.Name)
				}
			}
		}
	}
	if !distinct(labels) {
		for i, d := range Differences(uniq, true) {
			var short Flavor
			short.classes[kindUse] = d.classes[kindUse]
			if majors[i] != "" {
				short.classes[kindIS] = class{present: true, deps: []dep{{Name: majors[i]}}}
			}
			labels[i] = strings.Split(short.String(), ",")
		}
	}
	if !distinct(labels) {
		return nil, fmt.Errorf("shortening %d flavors: %w", len(uniq), ErrAmbiguousDescriptors)
	}
	out := make([]string, len(flavors))
	for i, j := range pos {
		out[i] = strings.Join(labels[j], "-")
	}
	return out, nil
}

func distinct(labels [][]string) bool {
	seen := map[string]bool{}
	for _, l := range labels {
		k := strings.Join(l, "\x00")
		if len(l) == 0 {
			k = "\x01" // () differs from ("",)
		}
		if seen[k] {
			return false
		}
		seen[k] = true
	}
	return true
}
