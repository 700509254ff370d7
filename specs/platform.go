package specs

import "github.com/flavor-dev/flavor/platform"

// supportedBy reports whether a build.yaml `platforms:` entry admits p; an entry without a variant
// admits every variant.
func supportedBy(p, entry platform.Platform) bool {
	return entry.OS == p.OS && entry.Arch == p.Arch && (entry.Variant == "" || entry.Variant == p.Variant)
}
