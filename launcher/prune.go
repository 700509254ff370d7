package launcher

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// PruneOptions says what [Prune] removes beyond what is always garbage.
type PruneOptions struct {
	// All also removes complete workenvs and the launch records (the launcher records no last
	// use, so there is no "unused for N days"); they are made again on the next run.
	All bool
	// DryRun removes nothing and reports what would be removed.
	DryRun bool
}

// PruneItem is one path Prune removed (or would remove), or kept and why.
type PruneItem struct {
	Path   string `json:"path"`
	Kind   string `json:"kind"`
	Bytes  int64  `json:"bytes"`
	Reason string `json:"reason,omitempty"` // why it was kept
}

// PruneResult is what Prune removed and kept.
type PruneResult struct {
	Removed []PruneItem
	Kept    []PruneItem
}

// isWorkenvName reports whether n has the shape of a workenv name: a safe package name, a dash
// and 16 lowercase hex digits (see WorkenvName); as a regular expression,
// ^[A-Za-z0-9_+-][A-Za-z0-9._+-]*-[0-9a-f]{16}$. It is written out because a package-level
// regexp would be compiled at every start of every package, warm ones included (issue 14).
func isWorkenvName(n string) bool {
	const digits = 16
	if len(n) < digits+2 || n[len(n)-digits-1] != '-' || n[0] == '.' {
		return false
	}
	for i := len(n) - digits; i < len(n); i++ {
		if c := n[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	for i := 0; i < len(n)-digits-1; i++ {
		c := n[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// Prune cleans the workenvs under cache (as returned by CacheDir), following the launcher's own
// layout: staging and retired trees left by interrupted extractions and workenvs whose
// extraction never completed are always removed; complete workenvs and launch records only with
// opts.All. A workenv whose lock is held (being extracted or changed) is never touched, and a
// complete one is invalidated (its completion marker removed) before its tree goes, so a
// launcher starting meanwhile extracts afresh. Entries of any other shape are not the
// launcher's and are left alone.
func Prune(cache string, opts PruneOptions) (PruneResult, error) {
	p := &pruner{opts: opts, res: PruneResult{Removed: []PruneItem{}, Kept: []PruneItem{}}}
	dir := filepath.Join(cache, "workenv")
	if err := p.workenvs(dir); err != nil {
		return p.res, err
	}
	if opts.All {
		if err := p.remove(filepath.Join(dir, ".launch"), "launch records"); err != nil {
			return p.res, err
		}
	}
	return p.res, nil
}

type pruner struct {
	opts PruneOptions
	res  PruneResult
}

func (p *pruner) workenvs(dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	names := map[string]bool{}
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, ".") && strings.HasSuffix(n, ".pspf") {
			n = strings.TrimSuffix(n[1:], ".pspf")
		}
		if isWorkenvName(n) && e.IsDir() {
			names[n] = true
		}
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	for _, n := range sorted {
		l := layout{workenv: filepath.Join(dir, n), side: filepath.Join(dir, "."+n+".pspf")}
		if err := p.workenv(l); err != nil {
			return err
		}
	}
	return nil
}

func (p *pruner) workenv(l layout) error {
	unlock, held, err := tryLockFile(l.lockPath())
	if err != nil {
		return err
	}
	if held {
		p.res.Kept = append(p.res.Kept, PruneItem{Path: l.workenv, Kind: "workenv", Bytes: du(l.workenv), Reason: "in use: its lock is held"})
		return nil
	}
	defer unlock()
	if !finished(l) {
		if err := p.remove(l.workenv, "incomplete workenv"); err != nil {
			return err
		}
		return p.remove(l.side, "incomplete workenv state")
	}
	ents, _ := os.ReadDir(l.side)
	for _, e := range ents {
		if n := e.Name(); strings.HasPrefix(n, "stage-") || strings.HasPrefix(n, "old-") {
			if err := p.remove(filepath.Join(l.side, n), "interrupted extraction"); err != nil {
				return err
			}
		}
	}
	if !p.opts.All {
		p.res.Kept = append(p.res.Kept, PruneItem{Path: l.workenv, Kind: "workenv", Bytes: du(l.workenv), Reason: "complete; --all removes it"})
		return nil
	}
	// Invalidate first, so a launcher that starts meanwhile extracts afresh instead of trusting a
	// half-removed tree.
	sideBytes := du(l.side)
	if !p.opts.DryRun {
		if err := os.Remove(l.completePath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if err := p.remove(l.workenv, "workenv"); err != nil {
		return err
	}
	if err := p.remove(l.side, "workenv state"); err != nil {
		return err
	}
	p.res.Removed[len(p.res.Removed)-1].Bytes = sideBytes
	return nil
}

// finished reports whether the launcher finished extracting l's tree: its completion marker holds
// the metadata digest whose first 16 hex digits end the tree's name.
func finished(l layout) bool {
	if st, err := os.Stat(l.workenv); err != nil || !st.IsDir() {
		return false
	}
	b, err := os.ReadFile(l.completePath())
	if err != nil {
		return false
	}
	digest, ok := strings.CutPrefix(strings.TrimSuffix(string(b), "\n"), "sha256:")
	return ok && len(digest) == 64 && strings.HasSuffix(filepath.Base(l.workenv), "-"+digest[:16])
}

// remove removes path (recursively) and records it with its size; a missing path is no error.
func (p *pruner) remove(path, kind string) error {
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	it := PruneItem{Path: path, Kind: kind, Bytes: du(path)}
	if !p.opts.DryRun {
		if err := os.RemoveAll(path); err != nil {
			return fmt.Errorf("removing %s: %w", path, err)
		}
	}
	p.res.Removed = append(p.res.Removed, it)
	return nil
}

// du is the apparent size of everything under path.
func du(path string) int64 {
	var n int64
	filepath.WalkDir(path, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}
