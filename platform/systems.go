package platform

import (
	"fmt"
	"slices"
	"strings"
)

// launcherSystems are the systems a launcher is built for: the Makefile's LAUNCHERS and
// launcher/embedded's list. A .psp can target only these.
var launcherSystems = []Platform{
	{OS: "linux", Arch: "amd64"}, {OS: "linux", Arch: "arm64"},
	{OS: "darwin", Arch: "amd64"}, {OS: "darwin", Arch: "arm64"},
	{OS: "windows", Arch: "amd64"},
}

// LauncherSystems returns the systems a launcher is built for, linux/amd64 first.
func LauncherSystems() []Platform { return slices.Clone(launcherSystems) }

// HasLauncher reports whether a launcher is built for p (normalised first).
func HasLauncher(p Platform) bool { return slices.Contains(launcherSystems, p.Normalize()) }

// ParseSystem is Parse for the system a package targets: it also checks that a launcher is built
// for it, and says which systems are when not.
func ParseSystem(s string) (Platform, error) {
	p, err := Parse(s)
	if err != nil {
		return Platform{}, err
	}
	if !HasLauncher(p) {
		names := make([]string, len(launcherSystems))
		for i, l := range launcherSystems {
			names[i] = l.String()
		}
		read := ""
		if p.String() != s {
			read = " (" + p.String() + ")"
		}
		return Platform{}, fmt.Errorf("no launcher is built for system %q%s; want one of %s (also written x86_64-linux or linux_amd64)",
			s, read, strings.Join(names, ", "))
	}
	return p, nil
}
