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
	if keys, _ := env.get(EnvTrustedKeys); strings.TrimSpace(keys) != "" {
		c.trusted, err = parseTrustedKeys(keys)
		if err != nil {
			return nil, fail(CategoryUsage, "reading "+EnvTrustedKeys, fmt.Errorf("%w: %w", ErrBadSetting, err),
				"list Ed25519 public keys as 64 hex digits or key file paths, separated by commas")
		}
		c.trustSet = true
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
