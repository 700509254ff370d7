package flavor

import (
	"errors"
	"fmt"

	"github.com/flavor-dev/flavor/platform"
)

// ErrIncompatibleArches is wrapped when a flavor names instruction sets of which none is a
// superset of the others ("is: x86 ppc"), so it has no major architecture.
var ErrIncompatibleArches = errors.New("incompatible instruction sets")

// ErrUnsupportedPlatform is wrapped when a platform has no instruction set mapping.
var ErrUnsupportedPlatform = errors.New("unsupported platform")

// preferences is the flavorPreferences table of deps/arch.py, keyed by the major architecture:
// the architectures a system of that kind runs, best first. aarch64 is ours: arm64 systems are
// not assumed to run 32-bit arm code.
var preferences = map[string][]string{
	"x86_64":  {"x86_64", "x86"},
	"ppc64":   {"ppc64", "ppc"},
	"sparc64": {"sparc64", "sparc"},
	"s390x":   {"s390x", "s390"},
	"aarch64": {"aarch64"},
}

// Preferences returns the architectures a system whose major architecture is arch runs, best
// first: x86_64 → [x86_64 x86], aarch64 → [aarch64]. An architecture missing from the table runs
// only itself.
func Preferences(arch string) []string {
	if p, ok := preferences[arch]; ok {
		return append([]string(nil), p...)
	}
	return []string{arch}
}

// MajorArch returns the instruction set of f that all its others are subsets of ("x86_64" for
// "is: x86 x86_64"), or "" when f names none. The error wraps ErrIncompatibleArches.
func MajorArch(f Flavor) (string, error) {
	major := ""
	var majorSet []string
	for _, d := range f.classes[kindIS].deps {
		prefs := Preferences(d.Name)
		switch {
		case subset(majorSet, prefs):
			major, majorSet = d.Name, prefs
		case subset(prefs, majorSet):
		default:
			return "", fmt.Errorf("%w: %s and %s", ErrIncompatibleArches, major, d.Name)
		}
	}
	return major, nil
}

func subset(a, b []string) bool {
	for _, x := range a {
		found := false
		for _, y := range b {
			if x == y {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// PreferenceFlavors returns the architecture preference list of a system flavor as flavors
// ("is: x86_64", "is: x86"), taken from its major architecture; nil when it names none.
func PreferenceFlavors(system Flavor) ([]Flavor, error) {
	major, err := MajorArch(system)
	if err != nil || major == "" {
		return nil, err
	}
	var out []Flavor
	for _, a := range Preferences(major) {
		var f Flavor
		f.classes[kindIS] = class{present: true, deps: []dep{{Name: a}}}
		out = append(out, f)
	}
	return out, nil
}

// instructionSets maps GOARCH-style architectures to Conary instruction set names.
var instructionSets = map[string]string{
	"amd64": "x86_64",
	"arm64": "aarch64",
	"386":   "x86",
	"arm":   "arm",
}

// InstructionSet returns the Conary instruction set of a platform in any spelling platform.Parse
// reads: linux/amd64 → x86_64, linux/arm64 → aarch64, linux/386 → x86, linux/arm/v7 → arm. The
// operating system may be linux, darwin or windows. The error wraps ErrUnsupportedPlatform.
func InstructionSet(system string) (string, error) {
	p, err := platform.Parse(system)
	if err != nil {
		return "", fmt.Errorf("%w %q: want os/arch[/variant], e.g. linux/amd64: %w", ErrUnsupportedPlatform, system, err)
	}
	switch p.OS {
	case "linux", "darwin", "windows":
	default:
		return "", fmt.Errorf("%w %q: unknown operating system %q; want linux, darwin or windows", ErrUnsupportedPlatform, system, p.OS)
	}
	is, ok := instructionSets[p.Arch]
	if !ok {
		return "", fmt.Errorf("%w %q: unknown architecture %q; want amd64, arm64, 386 or arm", ErrUnsupportedPlatform, system, p.Arch)
	}
	if p.Variant != "" && p.Arch != "arm" {
		return "", fmt.Errorf("%w %q: architecture %s takes no variant %q", ErrUnsupportedPlatform, system, p.Arch, p.Variant)
	}
	return is, nil
}

// ForPlatform returns the flavor "is: <instruction set>" of an OCI platform (see InstructionSet).
func ForPlatform(platform string) (Flavor, error) {
	is, err := InstructionSet(platform)
	if err != nil {
		return Flavor{}, err
	}
	var f Flavor
	f.classes[kindIS] = class{present: true, deps: []dep{{Name: is}}}
	return f, nil
}
