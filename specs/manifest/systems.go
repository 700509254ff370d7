package manifest

import (
	"fmt"
	"slices"
	"strings"
)

// launcherSystems are the systems a launcher is built for (the Makefile's LAUNCHERS).
var launcherSystems = []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64"}

// LauncherSystems returns the systems a launcher is built for (the Makefile's LAUNCHERS); a .psp
// can target only these.
func LauncherSystems() []string { return slices.Clone(launcherSystems) }

// floxSystems maps Flox system names to OCI platforms.
var floxSystems = map[string]string{
	"x86_64-linux":   "linux/amd64",
	"aarch64-linux":  "linux/arm64",
	"x86_64-darwin":  "darwin/amd64",
	"aarch64-darwin": "darwin/arm64",
}

// NormalizeSystem turns a system name into OCI form ("x86_64-linux" → "linux/amd64",
// "linux/arm64/v8" → "linux/arm64") and checks that a launcher exists for it.
func NormalizeSystem(s string) (string, error) {
	if oci, ok := floxSystems[s]; ok {
		return oci, nil
	}
	norm := strings.TrimSuffix(s, "/v8")
	if slices.Contains(launcherSystems, norm) {
		return norm, nil
	}
	return "", fmt.Errorf("no launcher is built for system %q; want one of %s (or the Flox names %s)",
		s, strings.Join(launcherSystems, ", "), strings.Join(sortedKeys(floxSystems), ", "))
}

// slotPlatforms are the plain operating systems a slot's platform may name.
var slotPlatforms = []string{"any", "linux", "darwin", "windows"}

// normalizeSlotPlatform checks a slot's platform: any, an OS, or a launcher system.
func normalizeSlotPlatform(p string) (string, error) {
	if slices.Contains(slotPlatforms, p) {
		return p, nil
	}
	if strings.Contains(p, "/") || strings.Contains(p, "-") {
		return NormalizeSystem(p)
	}
	return "", fmt.Errorf("unknown platform %q; want any, linux, darwin, windows or a system such as linux/arm64%s",
		p, didYouMean(p, slotPlatforms))
}
