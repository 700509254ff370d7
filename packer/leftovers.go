package packer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Write keeps two hidden files next to the package while it works: the slot spool
// ".NAME.psp.<random>.slots" and the package being assembled ".NAME.psp.<random>.tmp". It removes
// both when it returns; a killed Write leaves them (each as big as the slots). Write holds an
// exclusive lock on each while it lives (flock where there is one), so a file nobody holds is a
// leftover.

// leftoverSuffixes are the endings of Write's working files.
var leftoverSuffixes = []string{".slots", ".tmp"}

// freshGrace is how long an empty, unheld working file is given: Write creates a file and then
// locks it, and never writes to it unlocked, so only an empty file can be one a live Write has
// not locked yet.
const freshGrace = time.Minute

// Leftover is a working file of a killed Write.
type Leftover struct {
	Path string
	Size int64
}

// RemoveLeftovers removes from dir the working files killed Writes left for the package named
// base (".base.<random>.slots" and ".tmp"), or, with base "", for any package whose name ends in
// .psp. Files a live Write holds are left alone. With dryRun it only lists them. A missing dir
// has none.
func RemoveLeftovers(dir, base string, dryRun bool) ([]Leftover, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("looking for leftovers of killed packs in %s: %w", dir, err)
	}
	var out []Leftover
	var errs []error
	for _, e := range ents {
		if !e.Type().IsRegular() || !isLeftoverName(e.Name(), base) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		size, removed, err := removeIfUnheld(p, dryRun)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if removed {
			out = append(out, Leftover{Path: p, Size: size})
		}
	}
	if err := errors.Join(errs...); err != nil {
		return out, fmt.Errorf("removing leftovers of killed packs in %s: %w", dir, err)
	}
	return out, nil
}

// isLeftoverName reports whether name is ".base.<random>.slots" or ".tmp" (CreateTemp's random
// part is digits); with base "", base is any name ending in .psp.
func isLeftoverName(name, base string) bool {
	for _, suf := range leftoverSuffixes {
		rest, ok := strings.CutSuffix(name, suf)
		if !ok || !strings.HasPrefix(rest, ".") {
			continue
		}
		i := strings.LastIndexByte(rest, '.')
		if i <= 0 || i == len(rest)-1 || strings.Trim(rest[i+1:], "0123456789") != "" {
			continue
		}
		pkg := rest[1:i]
		if base != "" && pkg == base || base == "" && strings.HasSuffix(pkg, ".psp") && len(pkg) > len(".psp") {
			return true
		}
	}
	return false
}

// removeIfUnheld removes p unless a live Write holds it, or it is empty and younger than
// freshGrace; it reports p's size and whether it was (or, with dryRun, would be) removed.
func removeIfUnheld(p string, dryRun bool) (int64, bool, error) {
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, false, err
	}
	held, err := heldByWriter(f, fi)
	if err != nil || held {
		return 0, false, err
	}
	if fi.Size() == 0 && time.Since(fi.ModTime()) < freshGrace {
		return 0, false, nil
	}
	if !dryRun {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return 0, false, err
		}
	}
	return fi.Size(), true, nil
}
