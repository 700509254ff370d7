package launcher

import (
	"crypto/ed25519"
	"fmt"
	"runtime"
	"strings"

	"github.com/flavor-dev/flavor/packer"
)

// config is what the caller's environment asks of the launcher.
type config struct {
	level      packer.Level
	trusted    []ed25519.PublicKey
	trustSet   bool
	spawn      bool
	fresh      bool // FLAVOR_WORKENV_CACHE=0: extract again even when the tree is complete
	cache      string
	levelNamed string
}

// Settings the launcher reads from the environment.
const (
	EnvValidation   = "FLAVOR_VALIDATION"    // strict|standard|relaxed|minimal|none
	EnvTrustedKeys  = "FLAVOR_TRUSTED_KEYS"  // hex keys or key files, comma or path-list separated
	EnvExecMode     = "FLAVOR_EXEC_MODE"     // exec (default on Unix) | spawn
	EnvWorkenvCache = "FLAVOR_WORKENV_CACHE" // 0/false/no/off: extract afresh
	EnvCache        = "FLAVOR_CACHE"         // cache root
	EnvLogLevel     = "FLAVOR_LAUNCHER_LOG_LEVEL"
	EnvCLI          = "FLAVOR_LAUNCHER_CLI"
)

func readConfig(env *environ) (*config, error) {
	c := &config{}
	v, _ := env.get(EnvValidation)
	lvl, err := packer.ParseLevel(v)
	if err != nil {
		return nil, fail(CategoryUsage, "reading "+EnvValidation, fmt.Errorf("%w: %w", ErrBadSetting, err),
			"set "+EnvValidation+" to strict, standard, relaxed, minimal or none, or unset it")
	}
	c.level, c.levelNamed = lvl, v
	// A set FLAVOR_TRUSTED_KEYS pins the signer whatever it holds: a list that names no key is a
	// mistake to report, never "unpinned", and no level may skip the signature it pins.
	if keys, set := env.get(EnvTrustedKeys); set {
		const fix = "list Ed25519 public keys as 64 hex digits or key file paths, separated by commas, or unset it"
		c.trusted, err = parseTrustedKeys(keys)
		if err != nil {
			return nil, fail(CategoryUsage, "reading "+EnvTrustedKeys, fmt.Errorf("%w: %w", ErrBadSetting, err), fix)
		}
		if len(c.trusted) == 0 {
			return nil, fail(CategoryUsage, "reading "+EnvTrustedKeys, fmt.Errorf("%w: %q names no key", ErrBadSetting, keys), fix)
		}
		c.trustSet = true
		if lvl < packer.LevelRelaxed {
			return nil, fail(CategoryUsage, "reading "+EnvValidation, fmt.Errorf("%w: %s does not check the signature %s pins", ErrBadSetting, lvl, EnvTrustedKeys),
				"set "+EnvValidation+" to relaxed or above, or unset "+EnvTrustedKeys)
		}
	}
	switch m, _ := env.get(EnvExecMode); strings.ToLower(strings.TrimSpace(m)) {
	case "", "exec":
		c.spawn = !canExec
	case "spawn":
		c.spawn = true
	default:
		return nil, fail(CategoryUsage, "reading "+EnvExecMode, fmt.Errorf("%w: %q is not a mode", ErrBadSetting, m),
			"set "+EnvExecMode+" to exec or spawn, or unset it")
	}
	if on, ok := env.get(EnvWorkenvCache); ok {
		b, known := parseBool(on)
		if !known {
			return nil, fail(CategoryUsage, "reading "+EnvWorkenvCache, fmt.Errorf("%w: %q is not a boolean", ErrBadSetting, on),
				"set "+EnvWorkenvCache+" to 0 to extract afresh, or 1")
		}
		c.fresh = !b
	}
	if c.cache, err = cacheDirFor(env, runtime.GOOS); err != nil {
		return nil, fail(CategoryUsage, "finding the cache directory", err, "set "+EnvCache+" to a writable directory")
	}
	return c, nil
}

// parseBool reads 1/true/yes/on and 0/false/no/off (any case; "" is true).
func parseBool(s string) (value, known bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "1", "true", "yes", "on":
		return true, true
	case "0", "false", "no", "off":
		return false, true
	}
	return false, false
}
