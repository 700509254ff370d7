package flavor

import (
	"fmt"
	"sort"
)

// Artifact is the flavor a package was built with, and its flags as template values.
type Artifact struct {
	// Flavor is the artifact's flavor: every flag the package declares, then "is: <arch>".
	Flavor Flavor
	// Flags holds the value of every declared flag, for templates ({{ if .Flags.ssl }}).
	Flags map[string]bool
}

// BuildArtifact works out the flavor of a package built for platform from the flags the package
// declares (definition.yaml "flags: {ssl: true, debug: false}", name → default) and the build
// flavor asked for ("ssl,!debug", usually the manifest's options.flavor overridden by the
// install entry's).
//
// A declared flag takes its default unless requested names it: "flag" or "~flag" turns it on,
// "!flag" or "~!flag" off. Requested flags the package does not declare are ignored, and so are
// requested instruction sets: the platform decides the architecture. As in Conary's use.py,
// every declared flag counts as consulted: a flag that is on is written "flag" (required, the
// buildRequired default) and a flag that is off "~!flag" (prefer-not), so the artifact stays
// installable on systems that say nothing about the flag, while a flag that is on must be named
// by the system flavor ("~ssl" or "ssl"), just as Conary systems list their flags in
// /etc/conary/use. The result is "~!debug,ssl is: x86_64" for the example on linux/amd64.
func BuildArtifact(declared map[string]bool, requested Flavor, platform string) (Artifact, error) {
	is, err := ForPlatform(platform)
	if err != nil {
		return Artifact{}, fmt.Errorf("working out the flavor for %s: %w", platform, err)
	}
	names := make([]string, 0, len(declared))
	for n := range declared {
		if !validFlagName(n) {
			return Artifact{}, fmt.Errorf("working out the flavor for %s: flag name %q: want letters, digits, '_' or '-', with at most one '.'", platform, n)
		}
		names = append(names, n)
	}
	sort.Strings(names)
	values := make(map[string]bool, len(declared))
	flags := make([]Flag, 0, len(names))
	for _, n := range names {
		on := declared[n]
		switch requested.UseFlag(n) {
		case Required, Preferred:
			on = true
		case PreferNot, Disallowed:
			on = false
		}
		values[n] = on
		sense := PreferNot
		if on {
			sense = Required
		}
		flags = append(flags, Flag{Name: n, Sense: sense})
	}
	out := is
	if len(flags) > 0 {
		out.classes[kindUse] = class{present: true, deps: []dep{{Name: useName, Flags: flags}}}
	}
	return Artifact{Flavor: out, Flags: values}, nil
}

// validFlagName reports whether n is IDENT or IDENT.IDENT.
func validFlagName(n string) bool {
	parts := 0
	start := 0
	for i := 0; i <= len(n); i++ {
		if i < len(n) && isIdent(n[i]) {
			continue
		}
		if i == start || (i < len(n) && n[i] != '.') {
			return false
		}
		parts++
		start = i + 1
	}
	return parts <= 2
}
