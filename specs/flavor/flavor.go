package flavor

import (
	"fmt"
	"sort"
	"strings"
)

// Sense says how strongly a flavor asks for a flag, and in which direction.
type Sense uint8

// The four senses of deps.py, plus Unspecified for a flag a flavor does not mention.
const (
	Unspecified Sense = iota // not mentioned
	Required                 // "flag": built with it and needs it; on a system: has or requires it
	Preferred                // "~flag": built with it, does not insist; on a system: prefers it
	PreferNot                // "~!flag": built without it, does not insist; on a system: prefers not
	Disallowed               // "!flag": must not be used where the flag is present; on a system: forbids it
)

// Prefix returns the sense's prefix in flavor strings: "", "~", "~!" or "!".
func (s Sense) Prefix() string {
	switch s {
	case Preferred:
		return "~"
	case PreferNot:
		return "~!"
	case Disallowed:
		return "!"
	}
	return ""
}

// String returns the sense's name as /etc/conary/use files spell it (required, preferred,
// prefernot, disallowed), or "unspecified".
func (s Sense) String() string {
	switch s {
	case Required:
		return "required"
	case Preferred:
		return "preferred"
	case PreferNot:
		return "prefernot"
	case Disallowed:
		return "disallowed"
	case Unspecified:
		return "unspecified"
	}
	return fmt.Sprintf("Sense(%d)", uint8(s))
}

// ParseSense reads a sense by the name /etc/conary/use files give it (flavorcfg.py): required,
// preferred, prefernot or disallowed.
func ParseSense(name string) (Sense, error) {
	for s := Required; s <= Disallowed; s++ {
		if s.String() == name {
			return s, nil
		}
	}
	return Unspecified, fmt.Errorf("unknown flag sense %q; want required, preferred, prefernot or disallowed", name)
}

// Strong maps a sense to its strong form (toStrongMap): "~f" becomes "f", "~!f" becomes "!f".
func (s Sense) Strong() Sense {
	switch s {
	case Preferred:
		return Required
	case PreferNot:
		return Disallowed
	}
	return s
}

// Weak maps a sense to its weak form (toWeakMap): "f" becomes "~f", "!f" becomes "~!f".
func (s Sense) Weak() Sense {
	switch s {
	case Required:
		return Preferred
	case Disallowed:
		return PreferNot
	}
	return s
}

// IsStrong reports whether s is Required or Disallowed.
func (s Sense) IsStrong() bool { return s == Required || s == Disallowed }

// positive reports whether s asks for the flag (Required or Preferred).
func (s Sense) positive() bool { return s == Required || s == Preferred }

// Flag is one use flag or architecture flag with its sense. Use flags may be local to a package,
// written with a dot ("kernel.smp").
type Flag struct {
	Name  string
	Sense Sense
}

// String returns the flag as written in a flavor: sense prefix then name ("~!ssl").
func (f Flag) String() string { return f.Sense.Prefix() + f.Name }

// Arch is one instruction set of an "is:" or "target:" class with its flags, sorted by name.
type Arch struct {
	Name  string
	Flags []Flag
}

// String returns the instruction set as written in a canonical flavor: "x86(i686,~sse2)".
func (a Arch) String() string { return dep(a).format() }

// kind indexes the three dependency classes a flavor holds, in the order they are printed.
type kind int

const (
	kindUse kind = iota
	kindIS
	kindTarget
	numKinds
)

// keyword is the section keyword of each class.
var keyword = [numKinds]string{"use:", "is:", "target:"}

// significant reports whether dependency names matter in a class (depNameSignificant): true for
// instruction sets, false for the single "use" dependency.
func (k kind) significant() bool { return k != kindUse }

// useName is the name of the single dependency of the use class.
const useName = "use"

// dep is one dependency of a class: a name and its flags, sorted by flag name.
type dep struct {
	Name  string
	Flags []Flag
}

func (d dep) format() string {
	if len(d.Flags) == 0 {
		return d.Name
	}
	return d.Name + "(" + joinFlags(d.Flags) + ")"
}

// sense returns the sense of the named flag, or Unspecified.
func (d dep) sense(name string) Sense {
	i := sort.Search(len(d.Flags), func(i int) bool { return d.Flags[i].Name >= name })
	if i < len(d.Flags) && d.Flags[i].Name == name {
		return d.Flags[i].Sense
	}
	return Unspecified
}

func (d dep) equal(o dep) bool {
	if d.Name != o.Name || len(d.Flags) != len(o.Flags) {
		return false
	}
	for i := range d.Flags {
		if d.Flags[i] != o.Flags[i] {
			return false
		}
	}
	return true
}

// class is one dependency class. A present class with no deps is the explicitly empty class
// ("is:" with nothing after it), which differs from an absent class when flavors are merged.
type class struct {
	present bool
	deps    []dep // sorted by name
}

func (c class) find(name string) (dep, bool) {
	i := sort.Search(len(c.deps), func(i int) bool { return c.deps[i].Name >= name })
	if i < len(c.deps) && c.deps[i].Name == name {
		return c.deps[i], true
	}
	return dep{}, false
}

// Flavor is a parsed Conary flavor. The zero value is the empty flavor "". Flavors are immutable.
type Flavor struct {
	classes [numKinds]class
}

// IsEmpty reports whether f has no class at all, not even an explicitly empty one.
func (f Flavor) IsEmpty() bool {
	for _, c := range f.classes {
		if c.present {
			return false
		}
	}
	return true
}

// HasUse reports whether f has a use class (possibly the explicitly empty "use:").
func (f Flavor) HasUse() bool { return f.classes[kindUse].present }

// HasInstructionSets reports whether f has an "is:" class (possibly the explicitly empty "is:").
func (f Flavor) HasInstructionSets() bool { return f.classes[kindIS].present }

// HasTargets reports whether f has a "target:" class (possibly the explicitly empty "target:").
func (f Flavor) HasTargets() bool { return f.classes[kindTarget].present }

// UseFlags returns a copy of f's use flags, sorted by name.
func (f Flavor) UseFlags() []Flag {
	d, ok := f.classes[kindUse].find(useName)
	if !ok || len(d.Flags) == 0 {
		return nil
	}
	return append([]Flag(nil), d.Flags...)
}

// UseFlag returns the sense f gives the named use flag, or Unspecified.
func (f Flavor) UseFlag(name string) Sense {
	d, _ := f.classes[kindUse].find(useName)
	return d.sense(name)
}

// InstructionSets returns a copy of f's "is:" architectures, sorted by name.
func (f Flavor) InstructionSets() []Arch { return f.arches(kindIS) }

// Targets returns a copy of f's "target:" architectures, sorted by name.
func (f Flavor) Targets() []Arch { return f.arches(kindTarget) }

func (f Flavor) arches(k kind) []Arch {
	deps := f.classes[k].deps
	if len(deps) == 0 {
		return nil
	}
	out := make([]Arch, len(deps))
	for i, d := range deps {
		out[i] = Arch{Name: d.Name, Flags: append([]Flag(nil), d.Flags...)}
	}
	return out
}

// String returns the canonical form of f, exactly as Conary's formatFlavor prints it: use flags
// sorted and comma-joined, then "is: " with the architectures sorted and space-separated (each
// with its sorted, comma-joined flags), then "target: ". Explicitly empty classes print nothing;
// use Key to keep them.
func (f Flavor) String() string { return f.format(false) }

// Key returns a canonical string that, unlike String, keeps explicitly empty classes ("use:",
// "is:", "target:"). Two flavors are Equal exactly when their keys are equal, so Key suits map
// keys and digests. Parse(f.Key()) gives back f.
func (f Flavor) Key() string { return f.format(true) }

func (f Flavor) format(explicit bool) string {
	var parts []string
	for k := kindUse; k < numKinds; k++ {
		c := f.classes[k]
		if !c.present {
			continue
		}
		var body string
		if k == kindUse {
			if d, ok := c.find(useName); ok {
				body = joinFlags(d.Flags)
			}
		} else {
			words := make([]string, len(c.deps))
			for i, d := range c.deps {
				words[i] = d.format()
			}
			body = strings.Join(words, " ")
		}
		switch {
		case body == "" && explicit:
			parts = append(parts, keyword[k])
		case body == "":
		case k == kindUse:
			parts = append(parts, body) // use flags come first, so "use:" may be left out
		default:
			parts = append(parts, keyword[k]+" "+body)
		}
	}
	return strings.Join(parts, " ")
}

// Equal reports whether f and o hold the same classes, dependencies and flags.
func (f Flavor) Equal(o Flavor) bool {
	for k := range f.classes {
		a, b := f.classes[k], o.classes[k]
		if a.present != b.present || len(a.deps) != len(b.deps) {
			return false
		}
		for i := range a.deps {
			if !a.deps[i].equal(b.deps[i]) {
				return false
			}
		}
	}
	return true
}

// MarshalText encodes f as its Key, so explicitly empty classes survive a round trip.
func (f Flavor) MarshalText() ([]byte, error) { return []byte(f.Key()), nil }

// UnmarshalText parses a flavor string into f.
func (f *Flavor) UnmarshalText(b []byte) error {
	p, err := Parse(string(b))
	if err != nil {
		return err
	}
	*f = p
	return nil
}

// Strong returns f with every sense replaced by its strong form (toStrongFlavor).
func (f Flavor) Strong() Flavor { return f.mapSenses(Sense.Strong) }

// Weak returns f with every sense replaced by its weak form.
func (f Flavor) Weak() Flavor { return f.mapSenses(Sense.Weak) }

func (f Flavor) mapSenses(m func(Sense) Sense) Flavor {
	var out Flavor
	for k, c := range f.classes {
		nc := class{present: c.present, deps: make([]dep, len(c.deps))}
		for i, d := range c.deps {
			flags := make([]Flag, len(d.Flags))
			for j, fl := range d.Flags {
				flags[j] = Flag{Name: fl.Name, Sense: m(fl.Sense)}
			}
			nc.deps[i] = dep{Name: d.Name, Flags: flags}
		}
		out.classes[k] = nc
	}
	return out
}

func joinFlags(flags []Flag) string {
	var b strings.Builder
	for i, f := range flags {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(f.Sense.Prefix())
		b.WriteString(f.Name)
	}
	return b.String()
}

// builder accumulates dependencies of a flavor under construction, keyed by class and name.
type builder struct {
	present [numKinds]bool
	deps    [numKinds]map[string]map[string]Sense
	order   [numKinds][]string
}

func (b *builder) markClass(k kind) { b.present[k] = true }

// addDep adds (or extends) a dependency; flags with the same name replace earlier ones.
func (b *builder) addDep(k kind, name string, flags []Flag) {
	b.present[k] = true
	if b.deps[k] == nil {
		b.deps[k] = map[string]map[string]Sense{}
	}
	m, ok := b.deps[k][name]
	if !ok {
		m = map[string]Sense{}
		b.deps[k][name] = m
		b.order[k] = append(b.order[k], name)
	}
	for _, f := range flags {
		m[f.Name] = f.Sense
	}
}

// removeClass drops a class entirely.
func (b *builder) removeClass(k kind) {
	b.present[k] = false
	b.deps[k] = nil
	b.order[k] = nil
}

func (b *builder) flavor() Flavor {
	var f Flavor
	for k := kindUse; k < numKinds; k++ {
		if !b.present[k] {
			continue
		}
		c := class{present: true}
		names := append([]string(nil), b.order[k]...)
		sort.Strings(names)
		for _, n := range names {
			c.deps = append(c.deps, dep{Name: n, Flags: sortedFlags(b.deps[k][n])})
		}
		f.classes[k] = c
	}
	return f
}

func sortedFlags(m map[string]Sense) []Flag {
	if len(m) == 0 {
		return nil
	}
	out := make([]Flag, 0, len(m))
	for n, s := range m {
		out = append(out, Flag{Name: n, Sense: s})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// toBuilder copies f into a builder for transformations.
func (f Flavor) toBuilder() *builder {
	b := &builder{}
	for k, c := range f.classes {
		if !c.present {
			continue
		}
		b.markClass(kind(k))
		for _, d := range c.deps {
			b.addDep(kind(k), d.Name, d.Flags)
		}
	}
	return b
}
