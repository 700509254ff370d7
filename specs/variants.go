package specs

import (
	"fmt"
	"sort"
	"strings"

	"github.com/flavor-dev/flavor/platform"
	"github.com/flavor-dev/flavor/specs/flavor"
)

// maxVariantFlags bounds the flags whose every combination is a candidate variant (2^12 = 4096);
// a package declaring more must list its variants.
const maxVariantFlags = 12

// variantYAML is one entry of definition.yaml's `variants:` (our addition): use flags only, each
// with its sense ("ssl", "!ssl,debug"). Flags it does not name keep their defaults.
type variantYAML string

func (v variantYAML) validate() error {
	f, err := flavor.Parse(string(v))
	if err != nil {
		return fmt.Errorf("variant %q: %w", string(v), err)
	}
	if f.HasInstructionSets() || f.HasTargets() {
		return fmt.Errorf("variant %q: only flags belong in a variant (the platform gives the architecture)", string(v))
	}
	for _, fl := range f.UseFlags() {
		if strings.Contains(fl.Name, ".") {
			return fmt.Errorf("variant %q: flag %q: a variant names the package's own flags, without a package prefix", string(v), fl.Name)
		}
	}
	return nil
}

// variantFlags turns the variants a definition lists into flag values over its declared flags,
// checking that each names declared flags only and that no two are the same.
func variantFlags(declared map[string]bool, variants []variantYAML) ([]map[string]bool, error) {
	if len(variants) == 0 {
		return nil, nil
	}
	out := make([]map[string]bool, 0, len(variants))
	seen := map[string]string{}
	for _, v := range variants {
		f, err := flavor.Parse(string(v))
		if err != nil {
			return nil, fmt.Errorf("variant %q: %w", string(v), err)
		}
		for _, fl := range f.UseFlags() {
			if _, ok := declared[fl.Name]; !ok {
				return nil, fmt.Errorf("variant %q names flag %q, which `flags:` does not declare (declared: %s)",
					string(v), fl.Name, flagList(declared))
			}
		}
		flags, err := flavorFlags("", declared, string(v))
		if err != nil {
			return nil, fmt.Errorf("variant %q: %w", string(v), err)
		}
		k := artifactFlavor(flags, platform.Platform{})
		if prev, dup := seen[k]; dup {
			return nil, fmt.Errorf("variants %q and %q are the same variant (%s)", prev, string(v), k)
		}
		seen[k] = string(v)
		out = append(out, flags)
	}
	return out, nil
}

func flagList(declared map[string]bool) string {
	if len(declared) == 0 {
		return "none"
	}
	names := make([]string, 0, len(declared))
	for n := range declared {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// Candidates returns the variants the package can be built in, as flag values: the list
// definition.yaml gives under `variants:` (our addition; flags a variant does not name keep
// their defaults), or else every combination of the declared flags, the defaults first and then
// the others in binary order over the sorted flag names. A package without flags has one
// candidate, the empty one. Each call returns fresh maps.
func (p *Package) Candidates() []map[string]bool {
	if p.Variants != nil {
		out := make([]map[string]bool, len(p.Variants))
		for i, v := range p.Variants {
			out[i] = cloneFlags(v)
		}
		return out
	}
	names := make([]string, 0, len(p.Flags))
	for n := range p.Flags {
		names = append(names, n)
	}
	sort.Strings(names)
	out := []map[string]bool{cloneFlags(p.Flags)}
	for bits := 0; bits < 1<<len(names); bits++ {
		c := make(map[string]bool, len(names))
		same := true
		for i, n := range names {
			c[n] = bits&(1<<i) != 0
			same = same && c[n] == p.Flags[n]
		}
		if !same {
			out = append(out, c)
		}
	}
	return out
}

// VariantFlavor returns the flavor an artifact of p built with the given flag values records,
// as FlavorString would give for a tree loaded with those values: the flags in Conary syntax,
// then "is: <arch>" of the tree's platform.
func (p *Package) VariantFlavor(flags map[string]bool) string {
	return artifactFlavor(flags, p.platform)
}

// VariantRequest returns the requested flavor (for WithFlavor or the build request) that builds
// p, and p alone, with the given flag values: each flag scoped to p's name ("hello.ssl,
// !hello.debug"), so other packages of the tree keep their own values. It fails when p's name
// cannot scope a flag (it holds characters outside letters, digits, '_' and '-').
func (p *Package) VariantRequest(flags map[string]bool) (string, error) {
	names := make([]string, 0, len(flags))
	for n := range flags {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, n := range names {
		if _, ok := p.Flags[n]; !ok {
			return "", fmt.Errorf("%s does not declare flag %q", p.ID(), n)
		}
		s := p.Name + "." + n
		if !flagName.MatchString(s) {
			return "", fmt.Errorf("%s: its name cannot scope the flag %q in a flavor (only letters, digits, '_' and '-')", p.ID(), n)
		}
		if !flags[n] {
			s = "!" + s
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ","), nil
}

func cloneFlags(m map[string]bool) map[string]bool {
	out := make(map[string]bool, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// checkVariants is called at load: a package with more flags than maxVariantFlags must list its
// variants, so candidates stay few.
func checkVariants(declared map[string]bool, variants []variantYAML) ([]map[string]bool, error) {
	vs, err := variantFlags(declared, variants)
	if err != nil {
		return nil, err
	}
	if vs == nil && len(declared) > maxVariantFlags {
		return nil, fmt.Errorf("%d flags make %d variants; list the ones that make sense under `variants:`",
			len(declared), 1<<len(declared))
	}
	return vs, nil
}
