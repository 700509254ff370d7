package launcherbuild

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// patch is one exact text replacement in a dependency's source file.
type patch struct {
	module string // module path, at the version go.mod requires
	file   string // slash-separated path in the module
	old    string // must occur exactly once
	new    string
}

// patches make the dependencies' start-up checksum tables lazy (see the package documentation).
var patches = concat(
	lazyTable("github.com/klauspost/compress", "internal/snapref/snappy.go", "crcTable", "crc32.MakeTable(crc32.Castagnoli)", "crc32.Update(0, %s, b)"),
	lazyTable("github.com/klauspost/compress", "zstd/snappy.go", "crcTable", "crc32.MakeTable(crc32.Castagnoli)", "crc32.Update(0, %s, b)"),
	lazyTable("github.com/ulikunitz/xz", "crc.go", "crc64Table", "crc64.MakeTable(crc64.ECMA)", "crc64.New(%s)"),
)

// lazyTable is the two patches that turn "var table = make" into a call of make where the table
// is used (use, with %s for the table): hash/crc32.MakeTable(Castagnoli) and
// hash/crc64.MakeTable(ECMA) build their tables once and return the cached table afterwards,
// so the call costs an atomic load after the first.
func lazyTable(module, file, table, make, use string) []patch {
	return []patch{
		{module: module, file: file,
			old: "var " + table + " = " + make + "\n",
			new: "// flavor: " + table + " is made on first use (internal/launcherbuild).\n"},
		{module: module, file: file, old: fmt.Sprintf(use, table), new: fmt.Sprintf(use, make)},
	}
}

func concat(lists ...[]patch) []patch {
	var out []patch
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// patchedModules lists the modules patches touches, in order of first appearance.
func patchedModules() []string {
	var mods []string
	for _, p := range patches {
		if len(mods) == 0 || mods[len(mods)-1] != p.module {
			mods = append(mods, p.module)
		}
	}
	return mods
}

// patchID names the patches of module: a new patch text gives a new copy directory.
func patchID(module string) string {
	h := sha256.New()
	for _, p := range patches {
		if p.module == module {
			fmt.Fprintf(h, "%q %q %q\n", p.file, p.old, p.new)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// copyModule copies the module source at src to dst: every file but tests and testdata, which no
// build reads, made writable.
func copyModule(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != src && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
}

// applyPatches applies the patches of module to its copy in dir.
func applyPatches(dir, module, version string) error {
	for _, p := range patches {
		if p.module != module {
			continue
		}
		path := filepath.Join(dir, filepath.FromSlash(p.file))
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("patching %s@%s for the launcher: %w", module, version, err)
		}
		if n := strings.Count(string(b), p.old); n != 1 {
			return fmt.Errorf("patching %s@%s/%s for the launcher: the text to replace, %q, occurs %d times, expected once. "+
				"The upstream code changed: see whether it still builds the table at initialisation "+
				"(GODEBUG=inittrace=1 on a launcher) and update or drop the patch in internal/launcherbuild/patch.go",
				module, version, p.file, p.old, n)
		}
		if err := os.WriteFile(path, []byte(strings.Replace(string(b), p.old, p.new, 1)), 0o644); err != nil {
			return fmt.Errorf("patching %s@%s for the launcher: %w", module, version, err)
		}
	}
	return nil
}
