package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

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
type cleanItem = launcher.PruneItem

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
	cl := &cleaner{res: cleanResult{Cache: cache, DryRun: c.Bool("dry-run")}, all: c.Bool("all")}
	pruned, err := launcher.Prune(cache, launcher.PruneOptions{All: cl.all, DryRun: cl.res.DryRun})
	cl.res.Removed, cl.res.Kept = pruned.Removed, pruned.Kept
	if err != nil {
		return fmt.Errorf("clean: %w", err)
	}
	if cl.all {
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
