package oci

import (
	"fmt"
	"runtime"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Platform is a target platform in OCI terms: an operating system, an architecture and, for some
// architectures, a variant ("linux/arm/v7"). The zero value is not a valid platform.
type Platform struct {
	OS      string
	Arch    string
	Variant string
}

// String formats p as "os/arch" or "os/arch/variant".
func (p Platform) String() string {
	if p.Variant == "" {
		return p.OS + "/" + p.Arch
	}
	return p.OS + "/" + p.Arch + "/" + p.Variant
}

// IsZero reports whether p is the zero Platform.
func (p Platform) IsZero() bool { return p == Platform{} }

// V1 returns p as a go-containerregistry platform.
func (p Platform) V1() v1.Platform {
	return v1.Platform{OS: p.OS, Architecture: p.Arch, Variant: p.Variant}
}

// archAliases maps names that tools print (uname -m, old Docker) to GOARCH-style names.
var archAliases = map[string]string{
	"x86_64":  "amd64",
	"x86-64":  "amd64",
	"aarch64": "arm64",
	"armhf":   "arm",
	"armel":   "arm",
	"i386":    "386",
	"i686":    "386",
}

// defaultVariant is the variant an architecture gets when none is given; arm64's "v8" is its only
// variant in practice and is dropped instead (see Normalize).
var defaultVariant = map[string]string{"arm": "v7"}

// ParsePlatform parses "os/arch[/variant]" and returns it normalised (see [Platform.Normalize]).
// "arm64/v8", "aarch64" and "x86_64" are accepted; an empty part or a fourth part is an error.
func ParsePlatform(s string) (Platform, error) {
	parts := strings.Split(strings.TrimSpace(s), "/")
	if len(parts) < 2 || len(parts) > 3 {
		return Platform{}, fmt.Errorf("parsing platform %q: %w (want os/arch or os/arch/variant, e.g. linux/arm64)", s, ErrBadPlatform)
	}
	for _, part := range parts {
		if part == "" {
			return Platform{}, fmt.Errorf("parsing platform %q: %w (empty part; want e.g. linux/amd64)", s, ErrBadPlatform)
		}
		if strings.ContainsAny(part, " \t:@") {
			return Platform{}, fmt.Errorf("parsing platform %q: %w (unexpected character in %q)", s, ErrBadPlatform, part)
		}
	}
	p := Platform{OS: parts[0], Arch: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p.Normalize(), nil
}

// MustParsePlatform is ParsePlatform for constants in code; it panics on a bad string.
func MustParsePlatform(s string) Platform {
	p, err := ParsePlatform(s)
	if err != nil {
		panic(err)
	}
	return p
}

// Normalize returns p with lower-case names, architecture aliases replaced by their GOARCH names
// (x86_64 → amd64, aarch64 → arm64), arm64's redundant "v8" variant dropped and arm's default
// variant "v7" filled in, the way containerd's platforms package does.
func (p Platform) Normalize() Platform {
	p.OS = strings.ToLower(p.OS)
	p.Arch = strings.ToLower(p.Arch)
	p.Variant = strings.ToLower(p.Variant)
	if a, ok := archAliases[p.Arch]; ok {
		p.Arch = a
	}
	switch {
	case p.Arch == "arm64" && p.Variant == "v8":
		p.Variant = ""
	case p.Variant == "":
		p.Variant = defaultVariant[p.Arch]
	}
	return p
}

// Matches reports whether an image made for have can run as p: the same OS and architecture,
// and the same variant once both are normalised (a missing variant matches any).
func (p Platform) Matches(have Platform) bool {
	a, b := p.Normalize(), have.Normalize()
	if a.OS != b.OS || a.Arch != b.Arch {
		return false
	}
	return a.Variant == b.Variant || a.Variant == "" || b.Variant == ""
}

// HostPlatform is the platform this program was built for, as Linux: containers are Linux
// wherever the engine runs, so the host's architecture is what matters.
func HostPlatform() Platform {
	p := Platform{OS: "linux", Arch: runtime.GOARCH}
	if runtime.GOARCH == "arm" {
		p.Variant = "v7"
	}
	return p.Normalize()
}

// Supported lists the platforms flavor builds packages for: Linux containers of the
// architectures it ships a launcher for. The order is stable (amd64 first).
func Supported() []Platform {
	return []Platform{{OS: "linux", Arch: "amd64"}, {OS: "linux", Arch: "arm64"}}
}

// IsSupported reports whether p (normalised) is one of [Supported].
func IsSupported(p Platform) bool {
	p = p.Normalize()
	for _, s := range Supported() {
		if s == p {
			return true
		}
	}
	return false
}
