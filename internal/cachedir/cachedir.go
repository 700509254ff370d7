// Package cachedir is the one rule for flavor's cache directory, shared by the build cache
// (package builder) and the launcher's workenvs, so `flavor build`, `flavor clean` and a running
// .psp agree on where the cache is.
package cachedir

import (
	"errors"
	"path/filepath"
)

// Resolve returns the cache root for an environment read through get: $FLAVOR_CACHE, else
// $XDG_CACHE_HOME/flavor when XDG_CACHE_HOME is absolute (the XDG spec says a relative one is
// invalid and is ignored), else, on Windows, %LocalAppData%\flavor, else ~/.cache/flavor under
// HOME (USERPROFILE on Windows). goos is runtime.GOOS's spelling.
func Resolve(get func(key string) string, goos string) (string, error) {
	if v := get("FLAVOR_CACHE"); v != "" {
		return v, nil
	}
	if v := get("XDG_CACHE_HOME"); v != "" && filepath.IsAbs(v) {
		return filepath.Join(v, "flavor"), nil
	}
	if goos == "windows" {
		if v := get("LocalAppData"); v != "" {
			return filepath.Join(v, "flavor"), nil
		}
	}
	home := get("HOME")
	if goos == "windows" && home == "" {
		home = get("USERPROFILE")
	}
	if home == "" {
		return "", errors.New("no cache directory: none of FLAVOR_CACHE, XDG_CACHE_HOME or HOME is set (set FLAVOR_CACHE)")
	}
	return filepath.Join(home, ".cache", "flavor"), nil
}
