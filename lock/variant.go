package lock

import (
	"fmt"
	"sort"
	"strings"

	"github.com/flavor-dev/flavor/specs"
	"github.com/flavor-dev/flavor/specs/flavor"
)

// variant is one way of building a package: its flag values and the artifact flavor they give.
type variant struct {
	flags  map[string]bool
	flavor string
}

// chooseVariant picks p's variant for the requested flavor (see the package doc). p is the
// package that is built: a subpackage's parent.
func chooseVariant(p *specs.Package, req flavor.Flavor) (variant, error) {
	cands := p.Candidates()
	flavors := make([]flavor.Flavor, len(cands))
	strs := make([]string, len(cands))
	for i, c := range cands {
		strs[i] = p.VariantFlavor(c)
		f, err := flavor.Parse(strs[i])
		if err != nil {
			return variant{}, fmt.Errorf("reading the flavor %q of a variant of %s: %w", strs[i], p.ID(), err)
		}
		flavors[i] = f
	}
	choice, ok := flavor.Choose([]flavor.Flavor{req}, flavors)
	if !ok {
		e := &VariantError{Package: p.ID(), Requested: req.String()}
		for i, f := range flavors {
			e.Candidates = append(e.Candidates, Candidate{Flavor: strs[i], Why: whyNot(req, f)})
		}
		return variant{}, e
	}
	return variant{flags: cands[choice.Candidate], flavor: strs[choice.Candidate]}, nil
}

// whyNot explains why the system flavor sys does not accept the trove flavor trove, flag by flag
// as the scoring table decides (shared/spec/conary-flavors.md §1.5).
func whyNot(sys, trove flavor.Flavor) string {
	var reasons []string
	for _, fl := range trove.UseFlags() {
		s := sys.UseFlag(fl.Name)
		if _, ok := flavor.FlagScore(s, fl.Sense); ok {
			continue
		}
		switch s {
		case flavor.Unspecified:
			reasons = append(reasons, fmt.Sprintf("it is built with %s, which the requested flavor does not name (add ~%s or %s)", fl.Name, fl.Name, fl.Name))
		default:
			reasons = append(reasons, fmt.Sprintf("it has %q, the requested flavor has %q", fl.String(), s.Prefix()+fl.Name))
		}
	}
	if len(reasons) == 0 {
		if sys.Satisfies(trove) {
			return "accepted"
		}
		return "its instruction set is not the requested one"
	}
	return strings.Join(reasons, "; ")
}

// lockedVariant reads the flag values back from a locked artifact flavor ("~!debug,ssl is:
// x86_64"): on for "flag" and "~flag", off otherwise. It fails when the flags are not exactly
// those p declares (the spec changed).
func lockedVariant(p *specs.Package, locked string) (variant, error) {
	f, err := flavor.Parse(locked)
	if err != nil {
		return variant{}, fmt.Errorf("reading the locked flavor %q: %w", locked, err)
	}
	flags := map[string]bool{}
	for _, fl := range f.UseFlags() {
		if _, ok := p.Flags[fl.Name]; !ok {
			return variant{}, fmt.Errorf("locked flavor %q names flag %q, which %s no longer declares", locked, fl.Name, p.ID())
		}
		flags[fl.Name] = fl.Sense == flavor.Required || fl.Sense == flavor.Preferred
	}
	if len(flags) != len(p.Flags) {
		return variant{}, fmt.Errorf("locked flavor %q does not give every flag %s declares (%s)", locked, p.ID(), strings.Join(sortedKeys(p.Flags), ", "))
	}
	v := variant{flags: flags, flavor: p.VariantFlavor(flags)}
	if v.flavor != locked {
		return variant{}, fmt.Errorf("locked flavor %q is now written %q", locked, v.flavor)
	}
	return v, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
