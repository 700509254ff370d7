package lock

import (
	"archive/tar"
	"bufio"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/flavor-dev/flavor/builder"
	"github.com/flavor-dev/flavor/specs/manifest"
	"github.com/flavor-dev/flavor/specs/pyproject"
)

// pythonResolved is where a Python application's runtime artifact lists the dependencies pip
// resolved, "name==version" one a line (specs/pyproject's build.py writes it).
const pythonResolved = "lib/python3/flavor-resolved.txt"

// isPythonRuntime reports whether an entry is the runtime of a Python application, whose lock
// entry records the resolved Python dependencies.
func (r *resolver) isPythonRuntime(in manifest.Install) bool {
	return r.m.Python() != nil && in.ID == pyproject.RuntimeID
}

// pythonDependencies reads the resolved dependency list out of a runtime artifact. An artifact
// without the list is an error: the runtime build writes it even when it resolved nothing.
func pythonDependencies(a *builder.Artifact) ([]string, error) {
	f, err := os.Open(a.Path)
	if err != nil {
		return nil, fmt.Errorf("reading the resolved Python dependencies of %s: %w", a.Package, err)
	}
	defer f.Close()
	zr, err := zstd.NewReader(f, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
	if err != nil {
		return nil, fmt.Errorf("reading the resolved Python dependencies of %s: %w", a.Package, err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("reading the resolved Python dependencies of %s: the artifact %s has no %s (built by an older flavor? run \"flavor lock --update %s\")",
				a.Package, a.Path, pythonResolved, pyproject.RuntimeID)
		}
		if err != nil {
			return nil, fmt.Errorf("reading the resolved Python dependencies of %s: %w", a.Package, err)
		}
		if strings.TrimPrefix(path.Clean("/"+hdr.Name), "/") != pythonResolved || hdr.Typeflag != tar.TypeReg {
			continue
		}
		return parseResolved(tr)
	}
}

// parseResolved reads "name==version" lines, skipping blank ones, in their order.
func parseResolved(rd io.Reader) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(rd)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if name, ver, ok := strings.Cut(line, "=="); !ok || name == "" || ver == "" {
			return nil, fmt.Errorf("reading %s: line %q is not name==version", pythonResolved, line)
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", pythonResolved, err)
	}
	return out, nil
}

// pythonDepsDiff says, dependency by dependency, how a resolution differs from the locked one.
// Names compare as pip normalises them (case, and "-", "_", "." alike).
func pythonDepsDiff(locked, now []string) []string {
	split := func(deps []string) (map[string]string, map[string]string) {
		ver, name := map[string]string{}, map[string]string{}
		for _, d := range deps {
			n, v, _ := strings.Cut(d, "==")
			k := normalizeDist(n)
			ver[k], name[k] = v, n
		}
		return ver, name
	}
	lv, ln := split(locked)
	nv, nn := split(now)
	keys := map[string]bool{}
	for k := range lv {
		keys[k] = true
	}
	for k := range nv {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	var out []string
	for _, k := range sorted {
		l, inLock := lv[k]
		n, inNow := nv[k]
		switch {
		case inLock && inNow && l != n:
			out = append(out, fmt.Sprintf("Python dependency %s resolved to %s, locked %s", nn[k], n, l))
		case !inLock:
			out = append(out, fmt.Sprintf("Python dependency %s==%s resolved, not in the lock", nn[k], n))
		case !inNow:
			out = append(out, fmt.Sprintf("Python dependency %s==%s is locked, no longer resolved", ln[k], l))
		}
	}
	return out
}

// normalizeDist is a distribution name as PEP 503 compares it.
func normalizeDist(n string) string {
	n = strings.ToLower(n)
	return strings.NewReplacer("_", "-", ".", "-").Replace(n)
}
