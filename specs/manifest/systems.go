package manifest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/flavor-dev/flavor/platform"
)

// LauncherSystems returns the systems a launcher is built for (platform.LauncherSystems, the
// Makefile's LAUNCHERS) in OCI form; a .psp can target only these.
func LauncherSystems() []string {
	var out []string
	for _, p := range platform.LauncherSystems() {
		out = append(out, p.String())
	}
	return out
}

// NormalizeSystem turns a system name in any spelling platform.Parse reads into OCI form
// ("x86_64-linux" → "linux/amd64", "linux/arm64/v8" → "linux/arm64", "linux_amd64" →
// "linux/amd64") and checks that a launcher exists for it.
func NormalizeSystem(s string) (string, error) {
	p, err := platform.ParseSystem(s)
	if err != nil {
		return "", err
	}
	return p.String(), nil
}

// slotPlatforms are the plain operating systems a slot's platform may name.
var slotPlatforms = []string{"any", "linux", "darwin", "windows"}

// normalizeSlotPlatform checks a slot's platform: any, an OS, or a launcher system.
func normalizeSlotPlatform(p string) (string, error) {
	if slices.Contains(slotPlatforms, p) {
		return p, nil
	}
	if strings.ContainsAny(p, "/-_") {
		return NormalizeSystem(p)
	}
	return "", fmt.Errorf("unknown platform %q; want any, linux, darwin, windows or a system such as linux/arm64%s",
		p, didYouMean(p, slotPlatforms))
}
