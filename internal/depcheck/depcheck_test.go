package depcheck

import (
	"errors"
	"fmt"
	"go/build"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/flavor-dev/flavor"

// allowed maps a folder (relative to the module root) to the folders its packages may import.
// A folder's own subpackages are always allowed. Folders not listed may import nothing of ours.
var allowed = map[string][]string{
	"platform":               {}, // the one platform model; a leaf every layer may use
	"ops":                    {}, // the slot operations vocabulary and codecs; a leaf
	"progress":               {}, // the one progress event every library emits; a leaf
	"specs":                  {"platform", "ops", "progress"},
	"packer":                 {"ops", "progress", "internal/sidehash"},
	"portable":               {},                                              // ELF closure of a package's command, at pack time; never in the launcher
	"pkgdb":                  {},                                              // package databases of a root (dpkg, apk, dist-info); a leaf
	"sbom":                   {"packer", "pkgdb", "ops", "internal/sidehash"}, // SPDX, CycloneDX, provenance; never in the launcher
	"oci":                    {"specs", "platform", "progress"},
	"delta":                  {"specs", "oci", "platform", "progress"},
	"launcher":               {"packer", "ops", "internal/testbin", "internal/launcherbuild", "internal/cachedir"},
	"internal/cachedir":      {},                         // the cache directory rule, shared by the launcher and the build cache
	"internal/testbin":       {"internal/launcherbuild"}, // builds the launcher for the launcher's own tests, as make does
	"internal/launcherbuild": {},                         // builds the launcher as flavor ships it (tag, patched dependencies)
	"internal/sidehash":      {},                         // hashes a stream on a goroutine of its own; a leaf
	"launcher/embedded":      {"platform"},
	"engine":                 {"oci", "platform"},
	"engine/buildkit":        {"engine", "oci", "platform", "delta"}, // implements engine.Solver; unpacks exports with delta.Apply
	"builder":                {"specs", "oci", "engine", "delta", "platform", "internal/cachedir", "pkgdb", "progress"},
	"lock":                   {"specs", "oci", "engine", "builder", "platform", "progress"},
	"bundle":                 {"specs", "builder", "lock", "packer", "portable", "launcher/embedded", "platform", "ops", "sbom", "pkgdb", "progress"},
	"pipeline":               {"specs", "oci", "engine", "builder", "lock", "bundle", "platform", "ops", "progress"},
	"cmd":                    {"*"},
	"integration":            {"*"},
	"internal":               {"*"},
	"bench":                  {"*"},
	"examples":               {"*"},
}

// folderOf returns the most specific key of allowed that holds pkg ("launcher/embedded" before
// "launcher").
func folderOf(rel string) string {
	best := ""
	for k := range allowed {
		if (rel == k || strings.HasPrefix(rel, k+"/")) && len(k) > len(best) {
			best = k
		}
	}
	if best == "" {
		return strings.SplitN(rel, "/", 2)[0]
	}
	return best
}

func TestImportGraph(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	// go/build reads the files itself, so `go test` notices changes and never serves a stale pass.
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		name := d.Name()
		if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata") {
			return filepath.SkipDir
		}
		pkg, err := build.ImportDir(path, 0)
		if err != nil {
			var noGo *build.NoGoError
			if errors.As(err, &noGo) {
				return nil
			}
			return fmt.Errorf("reading %s: %w", path, err)
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		imports := append(append(append([]string{}, pkg.Imports...), pkg.TestImports...), pkg.XTestImports...)
		checkImports(t, rel, imports)
		checked++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 5 {
		t.Fatalf("checked only %d packages", checked)
	}
}

func checkImports(t *testing.T, rel string, imports []string) {
	t.Helper()
	from := folderOf(rel)
	rules, known := allowed[from]
	for _, imp := range imports {
		if !strings.HasPrefix(imp, module+"/") {
			continue
		}
		irel := strings.TrimPrefix(imp, module+"/")
		to := folderOf(irel)
		if to == from || (known && ok(rules, to)) {
			continue
		}
		t.Errorf("%s imports %s: %s may import only %v (see the README's layout table)", rel, irel, from, rules)
	}
}

func ok(rules []string, to string) bool {
	for _, r := range rules {
		if r == "*" || r == to {
			return true
		}
	}
	return false
}
