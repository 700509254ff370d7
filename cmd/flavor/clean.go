package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/flavor-dev/flavor/launcher"
)

// cleanCommand is `flavor clean`: remove what runs and builds left in the cache.
func cleanCommand() *cli.Command {
	return &cli.Command{
		Name:  "clean",
		Usage: "remove unused launcher workenvs (and, with --all, every workenv and the build caches)",
		Description: "The cache is $FLAVOR_CACHE, else $XDG_CACHE_HOME/flavor, else ~/.cache/flavor (the\n" +
			"launcher's). Always removed: staging and retired trees left by interrupted extractions, and\n" +
			"workenvs whose extraction never completed. With --all: also complete workenvs (the launcher\n" +
			"records no last use, so there is no \"unused for N days\"), launch records, the build artifact\n" +
			"cache and build leftovers. A workenv whose lock is held (being extracted) is never touched.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "all", Usage: "also remove complete workenvs, build caches and build leftovers"},
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "only say what would be removed"},
		},
		Action: cleanAction,
	}
}

// cleanItem is one thing clean removed, or kept and why.
type cleanItem struct {
	Path   string `json:"path"`
	Kind   string `json:"kind"`
	Bytes  int64  `json:"bytes"`
	Reason string `json:"reason,omitempty"` // why it was kept
}

type cleanResult struct {
	Cache   string      `json:"cache"`
	DryRun  bool        `json:"dry_run"`
	Removed []cleanItem `json:"removed"`
	Kept    []cleanItem `json:"kept"`
	Freed   int64       `json:"freed"`
}

// leftoverCleaner removes what builds leave outside the cache, such as stopped build containers
// and package images.
type leftoverCleaner interface {
	Clean(ctx context.Context, dryRun bool) ([]cleanItem, error)
}

func cleanAction(c *cli.Context) error {
	o, err := newOutput(c)
	if err != nil {
		return err
	}
	if c.NArg() > 0 {
		return fmt.Errorf("clean: unexpected argument %q", c.Args().First())
	}
	cache, err := launcher.CacheDir(os.Environ())
	if err != nil {
		return fmt.Errorf("clean: %w", err)
	}
	cl := &cleaner{res: cleanResult{Cache: cache, DryRun: c.Bool("dry-run"), Removed: []cleanItem{}, Kept: []cleanItem{}}, all: c.Bool("all")}
	if err := cl.workenvs(filepath.Join(cache, "workenv")); err != nil {
		return fmt.Errorf("clean: %w", err)
	}
	if cl.all {
		// Launch records let a warm start skip re-verifying a package's header; they are rebuilt
		// on the next run.
		if err := cl.remove(filepath.Join(cache, "workenv", ".launch"), "launch records"); err != nil {
			return fmt.Errorf("clean: %w", err)
		}
		for _, name := range []string{"artifacts", "tmp"} {
			if err := cl.remove(filepath.Join(cache, name), "build cache"); err != nil {
				return fmt.Errorf("clean: %w", err)
			}
		}
		for _, lc := range buildLeftovers(c) {
			items, err := lc.Clean(c.Context, cl.res.DryRun)
			for _, it := range items {
				if it.Reason != "" { // a cleaner says why it kept something
					cl.res.Kept = append(cl.res.Kept, it)
				} else {
					cl.res.Removed = append(cl.res.Removed, it)
				}
			}
			if err != nil {
				return fmt.Errorf("clean: %w", err)
			}
		}
	}
	for _, it := range cl.res.Removed {
		cl.res.Freed += it.Bytes
	}
	res := cl.res
	return o.result(res, func(w io.Writer) error {
		verb := "removed"
		if res.DryRun {
			verb = "would remove"
		}
		var rows [][]string
		for _, it := range res.Removed {
			rows = append(rows, []string{verb, bytesize(it.Bytes), it.Path, "(" + it.Kind + ")"})
		}
		for _, it := range res.Kept {
			rows = append(rows, []string{"kept", bytesize(it.Bytes), it.Path, "(" + it.Kind + ": " + it.Reason + ")"})
		}
		if err := table(w, rows); err != nil {
			return err
		}
		freed := "freed"
		if res.DryRun {
			freed = "would free"
		}
		fmt.Fprintf(w, "%s %s in %s\n", freed, bytesize(res.Freed), res.Cache)
		return nil
	})
}

type cleaner struct {
	res cleanResult
	all bool
}

// workenvName matches the launcher's workenv names: <safe package name>-<16 hex digits>.
var workenvName = regexp.MustCompile(`^[A-Za-z0-9_+\-][A-Za-z0-9._+\-]*-[0-9a-f]{16}$`)

// workenvs applies the rules to every workenv under dir (the launcher's layout, see
// launcher.WorkenvName): <name>/ is the tree, .<name>.pspf/ holds lock, complete, slot markers
// and stage-*/old-* directories. Entries of any other shape are not the launcher's and are left
// alone.
func (cl *cleaner) workenvs(dir string) error {
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
		if workenvName.MatchString(n) && e.IsDir() {
			names[n] = true
		}
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	for _, n := range sorted {
		if err := cl.workenv(filepath.Join(dir, n), filepath.Join(dir, "."+n+".pspf")); err != nil {
			return err
		}
	}
	return nil
}

func (cl *cleaner) workenv(tree, side string) error {
	unlock, held, err := tryLock(filepath.Join(side, "lock"))
	if err != nil {
		return err
	}
	if held {
		cl.res.Kept = append(cl.res.Kept, cleanItem{Path: tree, Kind: "workenv", Bytes: du(tree), Reason: "in use: its lock is held"})
		return nil
	}
	defer unlock()
	complete := isComplete(tree, side)
	if !complete {
		if err := cl.remove(tree, "incomplete workenv"); err != nil {
			return err
		}
		return cl.remove(side, "incomplete workenv state")
	}
	ents, _ := os.ReadDir(side)
	for _, e := range ents {
		if n := e.Name(); strings.HasPrefix(n, "stage-") || strings.HasPrefix(n, "old-") {
			if err := cl.remove(filepath.Join(side, n), "interrupted extraction"); err != nil {
				return err
			}
		}
	}
	if !cl.all {
		cl.res.Kept = append(cl.res.Kept, cleanItem{Path: tree, Kind: "workenv", Bytes: du(tree), Reason: "complete; --all removes it"})
		return nil
	}
	// Invalidate first, so a launcher that starts meanwhile extracts afresh instead of trusting a
	// half-removed tree.
	sideBytes := du(side)
	if !cl.res.DryRun {
		if err := os.Remove(filepath.Join(side, "complete")); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if err := cl.remove(tree, "workenv"); err != nil {
		return err
	}
	if err := cl.remove(side, "workenv state"); err != nil {
		return err
	}
	cl.res.Removed[len(cl.res.Removed)-1].Bytes = sideBytes
	return nil
}

// isComplete reports whether the launcher finished extracting tree: its completion marker holds
// the metadata digest whose first 16 hex digits end the tree's name.
func isComplete(tree, side string) bool {
	if st, err := os.Stat(tree); err != nil || !st.IsDir() {
		return false
	}
	b, err := os.ReadFile(filepath.Join(side, "complete"))
	if err != nil {
		return false
	}
	digest, ok := strings.CutPrefix(strings.TrimSuffix(string(b), "\n"), "sha256:")
	return ok && len(digest) == 64 && strings.HasSuffix(filepath.Base(tree), "-"+digest[:16])
}

// remove removes path (recursively) and records it with its size; a missing path is no error.
func (cl *cleaner) remove(path, kind string) error {
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	it := cleanItem{Path: path, Kind: kind, Bytes: du(path)}
	if !cl.res.DryRun {
		if err := os.RemoveAll(path); err != nil {
			return fmt.Errorf("removing %s: %w", path, err)
		}
	}
	cl.res.Removed = append(cl.res.Removed, it)
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

// tryLock takes the workenv's flock without waiting. held reports that another process holds it;
// a missing lock file means nobody does.
func tryLock(path string) (unlock func(), held bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return func() {}, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if errors.Is(err, unix.EWOULDBLOCK) {
		f.Close()
		return nil, true, nil
	}
	if err != nil {
		f.Close()
		return nil, false, fmt.Errorf("locking %s: %w", path, err)
	}
	return func() { f.Close() }, false, nil
}
