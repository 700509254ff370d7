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

	"github.com/flavor-dev/flavor/builder"
	"github.com/flavor-dev/flavor/launcher"
	"github.com/flavor-dev/flavor/packer"
)

// cleanCommand is `flavor clean`: remove what runs and builds left in the cache.
func cleanCommand() *cli.Command {
	return &cli.Command{
		Name:  "clean",
		Usage: "remove unused launcher workenvs (and, with --all, every workenv and the build caches)",
		Description: "The cache is $FLAVOR_CACHE, else $XDG_CACHE_HOME/flavor, else ~/.cache/flavor (the\n" +
			"launcher's). Always removed: staging and retired trees left by interrupted extractions,\n" +
			"workenvs whose extraction never completed, and the hidden working files of killed packs\n" +
			"(.NAME.psp.N.slots, .NAME.psp.N.tmp) in the pack output directories (--output; default dist/).\n" +
			"With --all: also complete workenvs (the launcher\n" +
			"records no last use, so there is no \"unused for N days\"), launch records, the build artifact\n" +
			"cache and build leftovers: containers of killed builds, and the engine images (flavor.local/pkg,\n" +
			"flavor.local/join) this cache's artifacts reference. The engine may be shared: other flavor.local\n" +
			"images are kept and counted unless --engine-images, and an image a container uses is always kept.\n" +
			"A workenv whose lock is held (being extracted) is never touched.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "all", Usage: "also remove complete workenvs, build caches and build leftovers"},
			&cli.BoolFlag{Name: "engine-images", Usage: "with --all, also remove the engine's flavor.local images no artifact of this cache references (made by other caches or users)"},
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "only say what would be removed"},
			&cli.StringSliceFlag{Name: "output", Aliases: []string{"o"}, Usage: "pack output `DIR` to clear of killed packs' working files (repeat for several; default: dist/ in the current directory)"},
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
	outputs := c.StringSlice("output")
	if len(outputs) == 0 {
		outputs = []string{"dist"}
	}
	for _, dir := range outputs {
		left, err := packer.RemoveLeftovers(dir, "", cl.res.DryRun)
		for _, l := range left {
			cl.res.Removed = append(cl.res.Removed, cleanItem{Path: l.Path, Kind: "working file of a killed pack", Bytes: l.Size})
		}
		if err != nil {
			return fmt.Errorf("clean: %w", err)
		}
	}
	if c.Bool("engine-images") && !cl.all {
		return errors.New("clean: --engine-images goes with --all (it prunes the engine's build images along with the build caches)")
	}
	if cl.all {
		// The engine images to remove are those this cache's artifacts reference: read their keys
		// before the cache goes.
		keys, err := builder.CachedKeys(cache)
		if err != nil {
			return fmt.Errorf("clean: %w", err)
		}
		for _, dir := range builder.CacheFolders(cache) {
			if err := cl.remove(dir, "build cache"); err != nil {
				return fmt.Errorf("clean: %w", err)
			}
		}
		for _, lc := range buildLeftovers(c, keys, c.Bool("engine-images")) {
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
