package launcher

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// lookPath resolves the first word of a command the way a shell would, but against the child's
// PATH (which holds <workenv>/bin), not the launcher's: a word with a path separator is used as it
// is (an absolute workenv path works); a bare name is searched in the directories of pathEnv.
// pathExt is %PATHEXT% on Windows and ignored elsewhere.
func lookPath(name, pathEnv, pathExt string) (string, error) {
	windows := runtime.GOOS == "windows"
	if strings.ContainsRune(name, '/') || (windows && strings.ContainsAny(name, `\:`)) {
		if p, ok := executable(name, pathExt, windows); ok {
			return p, nil
		}
		return "", fmt.Errorf("%w: %s is not an executable file", ErrNotFound, name)
	}
	if name == "" {
		return "", fmt.Errorf("%w: empty command word", ErrNotFound)
	}
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			continue // an empty entry would mean the caller's cwd: never search it implicitly
		}
		if p, ok := executable(filepath.Join(dir, name), pathExt, windows); ok {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: %s is not in any directory of the package's PATH", ErrNotFound, name)
}

// executable returns p (or, on Windows, p with the first %PATHEXT% extension that exists) when it
// is a regular file the caller may execute.
func executable(p, pathExt string, windows bool) (string, bool) {
	if !windows {
		fi, err := os.Stat(p)
		return p, err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
	}
	if pathExt == "" {
		pathExt = ".COM;.EXE;.BAT;.CMD"
	}
	exts := strings.Split(strings.ToLower(pathExt), ";")
	if ext := strings.ToLower(filepath.Ext(p)); ext != "" {
		for _, e := range exts {
			if e == ext {
				fi, err := os.Stat(p)
				return p, err == nil && fi.Mode().IsRegular()
			}
		}
	}
	for _, e := range exts {
		if e == "" {
			continue
		}
		if fi, err := os.Stat(p + e); err == nil && fi.Mode().IsRegular() {
			return p + e, true
		}
	}
	return "", false
}
