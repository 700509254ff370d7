package launcherbuild

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// MainPackage is the import path of the launcher's main package.
const MainPackage = "github.com/flavor-dev/flavor/launcher/cmd/flavor-launcher"

// Tag is the build tag of the launcher: package ops leaves out the encoders (the launcher only
// reads slots), so their libraries' initialisers do not run at every start.
const Tag = "flavorlauncher"

// Flags are the go build flags of every shipped launcher, besides -modfile: reproducible bytes
// (no paths, no build id, no VCS stamp), stripped.
var Flags = []string{"-trimpath", "-buildvcs=false", "-tags=" + Tag, "-ldflags=-s -w -buildid="}

// DepsDir holds the patched modules and the launcher's go.mod, relative to the module root. It
// is inside the module (ignored by git and by ./... patterns, being a dot directory) so that the
// replace paths, which the build records, are the same relative paths on every machine: the
// launcher's bytes do not depend on where the clone is.
const DepsDir = ".cache/launcher-deps"

// Build builds the launcher for goos/goarch into out, from the module at root: Prepare, then
// Compile.
func Build(ctx context.Context, root, goos, goarch, out string) error {
	modfile, err := Prepare(ctx, root)
	if err != nil {
		return err
	}
	return Compile(ctx, root, modfile, goos, goarch, out)
}

// Compile builds the launcher for goos/goarch into out with the go.mod Prepare wrote (a caller
// building several platforms prepares once).
func Compile(ctx context.Context, root, modfile, goos, goarch, out string) error {
	args := append([]string{"build", "-modfile=" + modfile}, Flags...)
	args = append(args, "-o", out, MainPackage)
	cmd := exec.CommandContext(ctx, goCommand(), args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building the launcher for %s/%s: %w\n%s", goos, goarch, err, stderr.Bytes())
	}
	return nil
}

// Prepare makes the patched copies of the modules patches touches (once per version and patch
// set; safe when several processes prepare at once) and writes the launcher's go.mod, the
// module's go.mod plus a replace directive for each copy, with go.sum beside it. It returns the
// go.mod's path, for -modfile.
func Prepare(ctx context.Context, root string) (string, error) {
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("preparing the launcher build: %w", err)
	}
	gosum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("preparing the launcher build: %w", err)
	}
	deps := filepath.Join(root, filepath.FromSlash(DepsDir))
	if err := os.MkdirAll(deps, 0o755); err != nil {
		return "", fmt.Errorf("preparing the launcher build: %w", err)
	}
	var mod bytes.Buffer
	mod.Write(gomod)
	mod.WriteString("\n// Written by internal/launcherbuild for the launcher's build: the modules below, patched.\n")
	for _, m := range patchedModules() {
		version, dir, err := download(ctx, root, m)
		if err != nil {
			return "", err
		}
		rel := m + "@" + version + "-flavor-" + patchID(m)
		dst := filepath.Join(deps, filepath.FromSlash(rel))
		if err := ensureCopy(dir, dst, m, version); err != nil {
			return "", err
		}
		pruneCopies(dst, m)
		fmt.Fprintf(&mod, "replace %s %s => ./%s/%s\n", m, version, DepsDir, rel)
	}
	modfile := filepath.Join(deps, "launcher.mod")
	if err := writeAtomic(modfile, mod.Bytes()); err != nil {
		return "", err
	}
	if err := writeAtomic(filepath.Join(deps, "launcher.sum"), gosum); err != nil {
		return "", err
	}
	return modfile, nil
}

// download returns the version go.mod requires of module and its directory in the module
// cache, downloading it if needed.
func download(ctx context.Context, root, module string) (version, dir string, err error) {
	cmd := exec.CommandContext(ctx, goCommand(), "mod", "download", "-json", module)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var info struct{ Version, Dir, Error string }
	if jerr := json.Unmarshal(out, &info); err == nil && jerr != nil {
		err = jerr
	}
	if err == nil && (info.Error != "" || info.Dir == "") {
		err = errors.New(info.Error)
	}
	if err != nil {
		return "", "", fmt.Errorf("downloading %s for the launcher build (go mod download): %w\n%s", module, err, stderr.Bytes())
	}
	return info.Version, info.Dir, nil
}

// ensureCopy makes dst a patched copy of the module at src unless it is one already. The copy is
// made in a temporary directory beside dst and renamed into place: dst exists only complete.
func ensureCopy(src, dst, module, version string) error {
	if _, err := os.Stat(dst); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("copying %s@%s for the launcher build: %w", module, version, err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dst), ".tmp-"+filepath.Base(dst)+"-")
	if err != nil {
		return fmt.Errorf("copying %s@%s for the launcher build: %w", module, version, err)
	}
	defer os.RemoveAll(tmp)
	if err := copyModule(src, tmp); err != nil {
		return fmt.Errorf("copying %s@%s for the launcher build: %w", module, version, err)
	}
	if err := applyPatches(tmp, module, version); err != nil {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		if _, serr := os.Stat(dst); serr == nil {
			return nil // another build made it meanwhile
		}
		return fmt.Errorf("copying %s@%s for the launcher build: %w", module, version, err)
	}
	return nil
}

// pruneCopies removes the copies of module other than keep (older versions or patch sets), best
// effort: they are never used again.
func pruneCopies(keep, module string) {
	old, _ := filepath.Glob(filepath.Join(filepath.Dir(keep), filepath.Base(module)+"@*-flavor-*"))
	for _, d := range old {
		if d != keep {
			os.RemoveAll(d)
		}
	}
}

// writeAtomic replaces path with b (a reader sees the old or the new file, never part of one).
func writeAtomic(path string, b []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, b) {
		return nil
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-")
	if err != nil {
		return fmt.Errorf("preparing the launcher build: %w", err)
	}
	defer os.Remove(f.Name())
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("preparing the launcher build: %w", err)
	}
	return nil
}

// goCommand is the go command: $GO when set (the Makefile's GO), else go.
func goCommand() string {
	if g := strings.TrimSpace(os.Getenv("GO")); g != "" {
		return g
	}
	return "go"
}

// ModuleRoot finds the directory holding go.mod, from the working directory upwards (a test runs
// in its package's directory).
func ModuleRoot() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", errors.New("no go.mod above the working directory")
		}
		d = parent
	}
}
