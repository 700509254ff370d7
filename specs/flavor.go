package specs

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/flavor-dev/flavor/platform"
	"github.com/flavor-dev/flavor/specs/flavor"
)

// flagName is a Conary identifier, optionally scoped to one package ("openssh.static").
var flagName = regexp.MustCompile(`^[0-9A-Za-z_-]+(\.[0-9A-Za-z_-]+)?$`)

// flavorFlags is the one place that turns a requested flavor into the flag values a package is
// built with (.Flavor in templates, FlavorString in the cache key and the artifact).
//
// requested is a Conary flavor (specs/flavor syntax, e.g. "ssl,~!debug is: x86_64"). Every flag
// the package declares starts at its default (definition.yaml `flags:`); a flag the requested
// flavor names overrides it: `ssl` and `~ssl` turn it on, `!ssl` and `~!ssl` turn it off, and
// `pkg.flag` applies only to the package named pkg. Flags the package does not declare are
// ignored, so they neither show up in its templates nor change its cache key. The `is:` and
// `target:` parts are ignored here: the platform is given separately.
func flavorFlags(pkgName string, defaults map[string]bool, requested string) (map[string]bool, error) {
	out := make(map[string]bool, len(defaults))
	for k, v := range defaults {
		out[k] = v
	}
	f, err := flavor.Parse(requested)
	if err != nil {
		return nil, err // names the flavor and the column
	}
	for _, fl := range f.UseFlags() {
		name := fl.Name
		if scope, local, ok := strings.Cut(name, "."); ok {
			if scope != pkgName {
				continue
			}
			name = local
		}
		if _, declared := out[name]; declared {
			out[name] = fl.Sense == flavor.Required || fl.Sense == flavor.Preferred
		}
	}
	return out, nil
}

// artifactFlavor is the Conary flavor an artifact built with flags on platform records: as
// Conary's use.py does for consulted flags, a flag that is on is required ("ssl"), one that is
// off is prefer-not ("~!debug"), and the platform gives the instruction set ("is: x86_64").
func artifactFlavor(flags map[string]bool, platform platform.Platform) string {
	names := make([]string, 0, len(flags))
	for n := range flags {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		if !flags[n] {
			b.WriteString("~!")
		}
		b.WriteString(n)
	}
	if is, err := flavor.ForPlatform(platform.String()); err == nil && !is.IsEmpty() {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(is.String())
	}
	return b.String()
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
