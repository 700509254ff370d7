package platform

import (
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/containerd/platforms"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ErrInvalid is wrapped by every error of Parse.
var ErrInvalid = errors.New("bad platform")

// Platform is a target platform: an operating system, an architecture and, for some
// architectures, a variant, in OCI's lower-case names ("linux", "arm", "v7"). Values returned by
// Parse, Host and HostLinux are normalised; compare normalised values with ==. Templates see it
// as .Platform with .OS, .Arch, .Variant and .String.
type Platform struct {
	OS      string
	Arch    string
	Variant string
}

// String returns "os/arch" or "os/arch/variant", the form Parse reads back.
func (p Platform) String() string {
	if p.Variant != "" {
		return p.OS + "/" + p.Arch + "/" + p.Variant
	}
	return p.OS + "/" + p.Arch
}

// IsZero reports whether p is unset.
func (p Platform) IsZero() bool { return p == Platform{} }

// extraArch holds the architecture names containerd's Normalize does not know: Debian's
// (ppc64el, armel is known), uname -m's (i686, armv7l) and spellings seen in build files.
var extraArch = map[string]Platform{
	"ppc64el": {Arch: "ppc64le"},
	"i686":    {Arch: "386"},
	"x86":     {Arch: "386"},
	"armv7l":  {Arch: "arm", Variant: "v7"},
	"armv7":   {Arch: "arm", Variant: "v7"},
	"armv6l":  {Arch: "arm", Variant: "v6"},
	"armv6":   {Arch: "arm", Variant: "v6"},
	"arm64v8": {Arch: "arm64"},
}

// Normalize returns p in canonical form: lower-case names, architecture aliases replaced by
// their GOARCH names (x86_64 → amd64, aarch64 → arm64, ppc64el → ppc64le, armhf → arm/v7),
// arm64's redundant "v8" variant dropped and arm's default variant "v7" filled in, as
// containerd's platforms.Normalize does.
func (p Platform) Normalize() Platform {
	if p.IsZero() {
		return p
	}
	p.OS = strings.ToLower(p.OS)
	p.Arch = strings.ToLower(p.Arch)
	p.Variant = strings.ToLower(p.Variant)
	if a, ok := extraArch[p.Arch]; ok {
		p.Arch = a.Arch
		if p.Variant == "" {
			p.Variant = a.Variant
		}
	}
	os := p.OS
	n := platforms.Normalize(ocispec.Platform{OS: p.OS, Architecture: p.Arch, Variant: p.Variant})
	if os == "" {
		n.OS = "" // containerd fills in runtime.GOOS; an unset OS stays unset here
	}
	return Platform{OS: n.OS, Arch: n.Architecture, Variant: n.Variant}
}

// Normalize is Parse for callers that hold a string and want its canonical spelling.
func Normalize(s string) (string, error) {
	p, err := Parse(s)
	if err != nil {
		return "", err
	}
	return p.String(), nil
}

// Parse reads a platform in any of the spellings flavor accepts and returns it normalised:
//
//   - OCI and Docker: "linux/amd64", "linux/arm/v7", "linux/arm64/v8";
//   - Nix and Flox systems, architecture first: "x86_64-linux", "aarch64-darwin";
//   - FlavorPack and Go release names, OS first: "linux_amd64", "linux-arm64", "darwin_arm64";
//   - architecture aliases in any of them: x86_64, x86-64, aarch64, armhf, armel, i386, i686,
//     ppc64el, armv7l.
//
// Case and surrounding space do not matter. An OS alone or an architecture alone is an error,
// as is an empty or malformed part; errors wrap ErrInvalid.
func Parse(s string) (Platform, error) {
	in := strings.ToLower(strings.TrimSpace(s))
	parts := strings.Split(in, "/")
	if len(parts) == 1 {
		parts = splitSystem(in)
	}
	if len(parts) < 2 || len(parts) > 3 {
		return Platform{}, fmt.Errorf("parsing platform %q: %w (want os/arch or os/arch/variant, e.g. linux/amd64, linux/arm/v7 or x86_64-linux)", s, ErrInvalid)
	}
	for _, part := range parts {
		if part == "" {
			return Platform{}, fmt.Errorf("parsing platform %q: %w (empty part; want e.g. linux/amd64)", s, ErrInvalid)
		}
		if !wellFormed(part) {
			return Platform{}, fmt.Errorf("parsing platform %q: %w (unexpected character in %q; want letters, digits, '_', '-' or '.')", s, ErrInvalid, part)
		}
	}
	p := Platform{OS: parts[0], Arch: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p.Normalize(), nil
}

// MustParse is Parse for constants in code and tests; it panics on a bad string.
func MustParse(s string) Platform {
	p, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return p
}

// wellFormed reports whether a part is made of the characters OCI platform parts use.
func wellFormed(part string) bool {
	for _, r := range part {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '-', r == '.':
		default:
			return false
		}
	}
	return true
}

// knownOS are the operating systems a slash-less spelling may name.
var knownOS = map[string]bool{
	"linux": true, "darwin": true, "macos": true, "windows": true, "freebsd": true, "netbsd": true,
	"openbsd": true, "solaris": true, "illumos": true, "aix": true, "android": true, "ios": true,
}

// splitSystem splits a spelling without slashes into os, arch[, variant]: "x86_64-linux"
// (architecture first, as Nix and Flox write it), "linux_amd64" or "linux-arm-v7" (OS first, as
// FlavorPack and Go release archives write it). Anything else comes back whole, which Parse
// refuses.
func splitSystem(s string) []string {
	if i := strings.LastIndexByte(s, '-'); i > 0 && knownOS[s[i+1:]] {
		return []string{s[i+1:], s[:i]}
	}
	i := strings.IndexAny(s, "_-")
	if i <= 0 || !knownOS[s[:i]] {
		return []string{s}
	}
	os, rest := s[:i], s[i+1:]
	if _, alias := archWithSeparator[rest]; alias {
		return []string{os, rest}
	}
	if j := strings.IndexAny(rest, "_-"); j > 0 {
		return []string{os, rest[:j], rest[j+1:]}
	}
	return []string{os, rest}
}

// archWithSeparator are architecture names that contain a separator themselves.
var archWithSeparator = map[string]struct{}{"x86_64": {}, "x86-64": {}}

// Host is the platform this program runs on (runtime.GOOS and runtime.GOARCH), normalised: the
// system whose launcher a package for this machine needs.
func Host() Platform {
	return Platform{OS: runtime.GOOS, Arch: runtime.GOARCH}.Normalize()
}

// HostLinux is Linux on this machine's architecture: builds run in Linux containers wherever the
// engine runs, natively when their platform is this one.
func HostLinux() Platform {
	p := Host()
	p.OS = "linux"
	return p
}

// Matches reports whether something made for have can run as p: the same OS and architecture,
// and the same variant once both are normalised (a missing variant matches any).
func (p Platform) Matches(have Platform) bool {
	a, b := p.Normalize(), have.Normalize()
	if a.OS != b.OS || a.Arch != b.Arch {
		return false
	}
	return a.Variant == b.Variant || a.Variant == "" || b.Variant == ""
}
