package specs

import (
	"fmt"
	"regexp"
	"strings"
)

// flagName is a Conary identifier, optionally scoped to one package ("openssh.static").
var flagName = regexp.MustCompile(`^[0-9A-Za-z_-]+(\.[0-9A-Za-z_-]+)?$`)

// flavorFlags is the one place that turns a requested flavor into the flag values a package is
// built with (.Flavor in templates, FlavorString in the cache key and the artifact).
//
// Every flag the package declares starts at its default (definition.yaml `flags:`); a flag the
// requested flavor names overrides it: `ssl` and `~ssl` turn it on, `!ssl` and `~!ssl` turn it
// off, and `pkg.flag` applies only to the package named pkg. Flags the package does not declare
// are ignored, so they neither show up in its templates nor change its cache key. An `is:` or
// `target:` part is ignored here: the platform is given separately.
//
// SEAM: today requested is a plain comma-separated list. When package specs/flavor lands, this
// function takes its parsed Conary flavor (flavor.Parse) instead, and the lead wires it here;
// nothing else in this package reads the requested flavor.
func flavorFlags(pkgName string, defaults map[string]bool, requested string) (map[string]bool, error) {
	out := make(map[string]bool, len(defaults))
	for k, v := range defaults {
		out[k] = v
	}
	use := requested
	for _, cls := range []string{"is:", "target:"} {
		if i := strings.Index(use, cls); i >= 0 {
			use = use[:i]
		}
	}
	use = strings.TrimPrefix(strings.TrimSpace(use), "use:")
	if strings.TrimSpace(use) == "" {
		return out, nil
	}
	for _, f := range strings.Split(use, ",") {
		f = strings.TrimSpace(f)
		on := true
		name := f
		switch {
		case strings.HasPrefix(name, "~!"):
			on, name = false, name[2:]
		case strings.HasPrefix(name, "~"):
			name = name[1:]
		case strings.HasPrefix(name, "!"):
			on, name = false, name[1:]
		}
		if !flagName.MatchString(name) {
			return nil, fmt.Errorf("parsing flavor %q: %q is not a flag (write ssl, !ssl, ~ssl, ~!ssl or pkg.flag)", requested, f)
		}
		if scope, local, ok := strings.Cut(name, "."); ok {
			if scope != pkgName {
				continue
			}
			name = local
		}
		if _, declared := out[name]; declared {
			out[name] = on
		}
	}
	return out, nil
}

// flagsYAML is definition.yaml's `flags:` map of flag → default.
type flagsYAML map[string]bool

func (f flagsYAML) validate() error {
	for name := range f {
		if !flagName.MatchString(name) || strings.Contains(name, ".") {
			return fmt.Errorf("flag %q is not a valid name (letters, digits, '_' and '-')", name)
		}
	}
	return nil
}
