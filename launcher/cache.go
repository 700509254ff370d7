package launcher

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/flavor-dev/flavor/internal/cachedir"
)

// CacheDir returns the root of the launcher's cache for the environment env ("KEY=value" strings):
// $FLAVOR_CACHE, else $XDG_CACHE_HOME/flavor, else ~/.cache/flavor; on Windows
// %LocalAppData%\flavor comes before the home directory. Workenvs live in its "workenv" folder.
func CacheDir(env []string) (string, error) {
	return cacheDirFor(newEnviron(env, runtime.GOOS == "windows"), runtime.GOOS)
}

func cacheDirFor(e *environ, goos string) (string, error) {
	return cachedir.Resolve(func(k string) string { v, _ := e.get(k); return v }, goos)
}

// WorkenvName is the directory name of a package's workenv: its name, made safe for a file name,
// then the first 16 hex digits of the SHA-256 of its signed metadata JSON. Two versions of a
// package live side by side, and a package whose metadata changed in any way (including any slot
// checksum) never reuses an older tree.
func WorkenvName(packageName string, metadataJSON []byte) string {
	sum := sha256.Sum256(metadataJSON)
	return workenvName(packageName, sum)
}

func workenvName(packageName string, sum [32]byte) string {
	return safeName(packageName) + "-" + hex.EncodeToString(sum[:8])
}

// safeName keeps letters, digits, '.', '_', '+' and '-', replaces anything else with '_', never
// starts with '.', and keeps at most 64 bytes: a package name from the metadata must never name a
// path outside the cache.
func safeName(name string) string {
	var b strings.Builder
	for i := 0; i < len(name) && b.Len() < 64; i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '+', c == '-':
			b.WriteByte(c)
		case c == '.' && b.Len() > 0:
			b.WriteByte(c)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "package"
	}
	return b.String()
}

// layout names the files of one workenv in the cache:
//
//	<cache>/workenv/<name>-<digest>/                 the tree the command runs from
//	<cache>/workenv/.<name>-<digest>.pspf/lock       flock / LockFileEx, held while changing the tree
//	<cache>/workenv/.<name>-<digest>.pspf/complete   "sha256:<metadata digest>\n", written last
//	<cache>/workenv/.<name>-<digest>.pspf/slot-N     marker of a lazy slot extracted on demand
//	<cache>/workenv/.<name>-<digest>.pspf/stage-*    private staging dirs (stale ones are removed)
type layout struct {
	workenv string
	side    string
	digest  string // "sha256:<hex>" of the metadata JSON
}

func newLayout(cache, packageName string, sum [32]byte) layout {
	name := workenvName(packageName, sum)
	dir := filepath.Join(cache, "workenv")
	return layout{
		workenv: filepath.Join(dir, name),
		side:    filepath.Join(dir, "."+name+".pspf"),
		digest:  "sha256:" + hex.EncodeToString(sum[:]),
	}
}

func (l layout) lockPath() string     { return filepath.Join(l.side, "lock") }
func (l layout) completePath() string { return filepath.Join(l.side, "complete") }
func (l layout) slotMarker(n int) string {
	return filepath.Join(l.side, "slot-"+strconv.Itoa(n))
}

// complete reports whether the workenv was fully extracted for this exact metadata. It is the
// whole warm-path check: one open and one read.
func (l layout) complete() bool {
	b, err := readSmall(l.completePath(), 4096)
	return err == nil && string(b) == l.digest+"\n"
}
