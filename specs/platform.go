package specs

import (
	"fmt"
	"runtime"
	"strings"
)

// Platform is a build's target: operating system, architecture and optional variant, written
// "linux/arm64" or "linux/arm/v7" as OCI and Docker do. Templates see it as .Platform with
// .OS, .Arch, .Variant and .String.
type Platform struct {
	OS      string
	Arch    string
	Variant string
}

// String returns "os/arch" or "os/arch/variant".
func (p Platform) String() string {
	if p.Variant != "" {
		return p.OS + "/" + p.Arch + "/" + p.Variant
	}
	return p.OS + "/" + p.Arch
}

// IsZero reports whether p is unset.
func (p Platform) IsZero() bool { return p == Platform{} }

// archAliases maps names other tools use to the OCI architecture names.
var archAliases = map[string]string{
	"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "armhf": "arm",
	"i386": "386", "i686": "386", "ppc64el": "ppc64le",
}

// ParsePlatform reads "os/arch[/variant]", lower-casing it and normalising common aliases
// (x86_64 → amd64, aarch64 → arm64; arm64/v8 → arm64, as containerd does).
func ParsePlatform(s string) (Platform, error) {
	parts := strings.Split(strings.ToLower(strings.TrimSpace(s)), "/")
	if len(parts) < 2 || len(parts) > 3 {
		return Platform{}, fmt.Errorf("parsing platform %q: want os/arch or os/arch/variant, e.g. linux/amd64", s)
	}
	for _, p := range parts {
		if p == "" || strings.ContainsAny(p, " \t,:") {
			return Platform{}, fmt.Errorf("parsing platform %q: empty or malformed part", s)
		}
	}
	p := Platform{OS: parts[0], Arch: parts[1]}
	if a, ok := archAliases[p.Arch]; ok {
		p.Arch = a
	}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	if p.Arch == "arm64" && p.Variant == "v8" {
		p.Variant = ""
	}
	return p, nil
}

// HostPlatform returns linux with the architecture this program runs on: builds run in Linux
// containers, natively unless another platform is asked for.
func HostPlatform() Platform {
	p := Platform{OS: "linux", Arch: runtime.GOARCH}
	if p.Arch == "arm" {
		p.Variant = "v7"
	}
	return p
}

// supportedBy reports whether a build.yaml `platforms:` entry admits p; an entry without a variant
// admits every variant.
func (p Platform) supportedBy(entry Platform) bool {
	return entry.OS == p.OS && entry.Arch == p.Arch && (entry.Variant == "" || entry.Variant == p.Variant)
}
