package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/flavor-dev/flavor/pipeline"
	"github.com/flavor-dev/flavor/specs/manifest"
)

// lockCommand is `flavor lock`: resolve the manifest's [install] entries and pin them.
func lockCommand() *cli.Command {
	return &cli.Command{
		Name:      "lock",
		Usage:     "resolve the manifest's [install] entries and pin versions, flavors and base images in flavor.lock",
		ArgsUsage: "[ID…]",
		Description: "Writes flavor.lock beside the manifest: one entry per install id per system with the\n" +
			"version and flavor variant chosen, the spec digest, the base image by digest, the build\n" +
			"dependencies, the cache key and the artifact digest, plus the launcher digest per system.\n" +
			"Packages are built (or taken from the artifact cache) to know their digests.\n\n" +
			"Entries that still stand are kept as they are: an entry is resolved again only when its\n" +
			"pkg-path, version, pkg-group or flavor changed, or the specs it resolved to changed.\n" +
			"--update resolves every entry again; --update ID… only those.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "manifest", Aliases: []string{"m"}, Usage: "the bundle manifest `FILE` (default: flavor.toml, else pyproject.toml, in the working directory)"},
			&cli.BoolFlag{Name: "update", Usage: "resolve entries again even when their lock entries stand: the IDs given, else all"},
			&cli.StringSliceFlag{Name: "platform", Aliases: []string{"p"}, Usage: "lock only for `OS/ARCH` (repeat or separate with commas)"},
			&cli.StringSliceFlag{Name: "launcher-bin", Usage: "launcher executable `FILE` whose digest is locked instead of the embedded one's"},
		}, installFlags()...),
		Action: lockAction,
	}
}

// lockReport is what `flavor lock` reports.
type lockReport struct {
	Lock     string                   `json:"lock"`
	Written  bool                     `json:"written"`
	Packages []manifest.LockedPackage `json:"packages"`
	Changed  []lockChange             `json:"changed"`
	Launch   map[string]string        `json:"launchers"`
}

type lockChange struct {
	InstallID string `json:"install_id"`
	System    string `json:"system"`
	Why       string `json:"why"`
}

func lockAction(c *cli.Context) error {
	o, err := newOutput(c)
	if err != nil {
		return err
	}
	if c.NArg() > 0 && !c.Bool("update") {
		return fmt.Errorf("lock: install ids (%s) are only read with --update", c.Args().First())
	}
	if _, err := sourceDateEpoch(); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	path, err := findManifest(c.String("manifest"))
	if err != nil {
		return err
	}
	m, err := manifest.Load(c.Context, path, manifest.WithLogger(o.logger()))
	if err != nil {
		return err
	}
	m, cleanup, err := pythonApp(c.Context, m)
	if err != nil {
		return err
	}
	defer cleanup()
	launchers, err := launcherSource(c)
	if err != nil {
		return err
	}
	r := newRenderer(progressModeOf(o), o.err)
	defer r.close()
	opts, err := pipelineOptions(c, o, launchers, r)
	if err != nil {
		return err
	}
	if c.Bool("update") {
		if c.NArg() == 0 {
			opts = append(opts, pipeline.WithUpdateAll())
		} else {
			opts = append(opts, pipeline.WithUpdate(c.Args().Slice()...))
		}
	}
	res, err := pipeline.Lock(c.Context, m, opts...)
	r.close()
	if err != nil {
		return err
	}
	defer res.Close()
	wrote := res.Written
	rep := lockReport{Lock: res.Path, Written: wrote, Packages: res.Lock.Packages, Launch: res.Lock.Launchers, Changed: []lockChange{}}
	changed := map[[2]string]string{}
	for _, ch := range res.Changed {
		rep.Changed = append(rep.Changed, lockChange{InstallID: ch.InstallID, System: ch.System, Why: ch.Why})
		changed[[2]string{ch.InstallID, ch.System}] = ch.Why
	}
	if rep.Packages == nil {
		rep.Packages = []manifest.LockedPackage{}
	}
	return o.result(rep, func(w io.Writer) error {
		rows := [][]string{{"entry", "system", "package", "flavor", ""}}
		for _, p := range rep.Packages {
			state := "kept"
			if why, ok := changed[[2]string{p.InstallID, p.System}]; ok {
				state = "resolved: " + why
			}
			rows = append(rows, []string{p.InstallID, p.System, p.Package + "@" + p.Version, p.Flavor, state})
		}
		if err := table(w, rows); err != nil {
			return err
		}
		if wrote {
			fmt.Fprintf(w, "wrote %s\n", rep.Lock)
		} else {
			fmt.Fprintf(w, "%s is up to date\n", rep.Lock)
		}
		return nil
	})
}
