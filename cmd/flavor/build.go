package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/flavor-dev/flavor/builder"
	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/platform"
)

// buildCommand is `flavor build`: Luet's `luet build`, building packages of spec trees into
// artifacts.
func buildCommand() *cli.Command {
	return &cli.Command{
		Name:      "build",
		Usage:     "build packages of spec trees into artifacts, in containers",
		ArgsUsage: "PKG…",
		Description: "Each PKG (cat/name, cat/name@1.0, cat/name@>=1.0, =cat/name-1.0) is built with its build\n" +
			"dependencies for every --platform, each package's steps running in containers of the\n" +
			"engine ($DOCKER_HOST or the local socket). Artifacts are written to --destination as\n" +
			"<name>-<category>-<version>-<os>-<arch>[-<flavor>].package.tar.zst with a .metadata.json,\n" +
			"and kept in the cache ($FLAVOR_CACHE, else $XDG_CACHE_HOME/flavor, else ~/.cache/flavor),\n" +
			"so an unchanged package starts no container. Containers left by a killed flavor are\n" +
			"removed when the next build starts.",
		Flags: append([]cli.Flag{
			&cli.StringSliceFlag{Name: "tree", Aliases: []string{"t"}, Usage: "spec tree `DIR` (repeatable; default: the current directory)"},
			&cli.StringFlag{Name: "destination", Aliases: []string{"d"}, Value: "build", Usage: "`DIR` artifacts are written to"},
			&cli.StringSliceFlag{Name: "platform", Usage: "target `os/arch` (repeatable, or comma-separated; default: the engine's own)"},
			&cli.StringFlag{Name: "flavor", Usage: "flavor `FLAGS` to build with, e.g. 'ssl,!debug'"},
			&cli.StringSliceFlag{Name: "values", Usage: "values `FILE` merged over the definitions (repeatable; the rightmost wins)"},
			&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Value: runtime.NumCPU(), Usage: "`N` packages built at once"},
			&cli.StringFlag{Name: "push", Usage: "push built artifacts to `REPO` (e.g. 127.0.0.1:5000/flavor/cache), tagged by cache key"},
			&cli.StringFlag{Name: "pull", Usage: "fetch missing artifacts from `REPO` before building them"},
			&cli.StringFlag{Name: "cache", Usage: "artifact cache `DIR` (default: $FLAVOR_CACHE, $XDG_CACHE_HOME/flavor or ~/.cache/flavor)"},
			&cli.BoolFlag{Name: "all", Usage: "build every package of the trees"},
			&cli.BoolFlag{Name: "strict", Usage: "make what luet ignores in the trees (unknown keys, repeated keys, odd names, unorderable versions) an error of the package that has it"},
			&cli.StringFlag{Name: "progress", Value: "auto", EnvVars: []string{"FLAVOR_PROGRESS"}, Usage: "`MODE` of showing progress: auto, plain, tty, json or none"},
		}, buildkitFlags()...),
		Action: buildAction,
	}
}

// buildOutput is one artifact as `flavor build --output-format json` reports it.
type buildOutput struct {
	Package  string `json:"package"`
	Platform string `json:"platform"`
	Source   string `json:"source"`
	Artifact string `json:"artifact"`
	Metadata string `json:"metadata"`
	CacheKey string `json:"cache_key"`
}

type buildReport struct {
	Artifacts  []buildOutput `json:"artifacts"`
	Skipped    []string      `json:"skipped,omitempty"`
	Containers int           `json:"containers"`
	Executed   int           `json:"executed"` // stages a buildkitd ran (--engine buildkit)
	Engine     string        `json:"engine"`
	Removed    []string      `json:"removed_leftovers,omitempty"`
}

func buildAction(c *cli.Context) error {
	o, err := newOutput(c)
	if err != nil {
		return err
	}
	req, err := buildRequest(c)
	if err != nil {
		return err
	}
	mode, err := parseProgress(o.progress, o.err)
	if err != nil {
		return err
	}
	r := newRenderer(mode, o.err)
	opts, err := buildOptions(c, r)
	if err != nil {
		return err
	}
	var eng engine.Engine
	if c.String("engine") == "buildkit" {
		sopts, platforms, closeAll, err := openSolvers(c, os.Getenv)
		if err != nil {
			return err
		}
		defer closeAll()
		opts = append(opts, sopts...)
		if len(req.Platforms) == 0 {
			req.Platforms = platforms // the platforms given builders of their own
		}
	} else {
		d, err := openEngine(c, buildLogger(c))
		if err != nil {
			return err
		}
		defer d.Close()
		eng = d
	}
	res, err := builder.Build(c.Context, eng, req, opts...)
	r.close()
	if res != nil && len(res.Removed) > 0 && !c.Bool("quiet") {
		fmt.Fprintf(errWriter(c), "flavor: removed %d containers left by killed flavor processes\n", len(res.Removed))
	}
	if err != nil {
		return err
	}
	for _, p := range res.Warnings {
		o.warnf("%v%s", p.Err, packagesNote(p.Packages, ""))
	}
	rep := buildJSON(res)
	rep.Engine = c.String("engine")
	return o.result(rep, func(w io.Writer) error { return printBuild(w, rep) })
}

// buildRequest turns the arguments and flags into a builder.Request.
func buildRequest(c *cli.Context) (builder.Request, error) {
	req := builder.Request{
		Trees: c.StringSlice("tree"), Packages: c.Args().Slice(), All: c.Bool("all"),
		Flavor: c.String("flavor"), Values: c.StringSlice("values"), Destination: c.String("destination"),
		Strict: c.Bool("strict"),
	}
	if len(req.Packages) == 0 && !req.All {
		return req, errors.New("build: name the packages to build (e.g. flavor build --tree . cat/name), or give --all")
	}
	if len(req.Trees) == 0 {
		req.Trees = []string{"."}
	}
	for _, s := range c.StringSlice("platform") {
		for _, part := range strings.Split(s, ",") {
			p, err := platform.Parse(strings.TrimSpace(part))
			if err != nil {
				return req, fmt.Errorf("build: --platform: %w", err)
			}
			req.Platforms = append(req.Platforms, p)
		}
	}
	return req, nil
}

// buildOptions turns flags into build options.
func buildOptions(c *cli.Context, r *renderer) ([]builder.Option, error) {
	opts := []builder.Option{builder.WithJobs(c.Int("jobs")), builder.WithLogger(buildLogger(c)), builder.WithProgress(r.update)}
	epoch, err := sourceDateEpoch()
	if err != nil {
		return nil, err
	}
	if epoch != nil {
		opts = append(opts, builder.WithSourceDateEpoch(*epoch))
	}
	cache, err := cacheDir(c)
	if err != nil {
		return nil, err
	}
	opts = append(opts, builder.WithCacheDir(cache))
	if repo := c.String("push"); repo != "" {
		opts = append(opts, builder.WithPush(repo))
	}
	if repo := c.String("pull"); repo != "" {
		opts = append(opts, builder.WithPull(repo))
	}
	return opts, nil
}

// buildLogger logs warnings to the error writer, and debug detail with --verbose.
func buildLogger(c *cli.Context) *slog.Logger {
	level := slog.LevelWarn
	if c.Bool("verbose") {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(errWriter(c), &slog.HandlerOptions{Level: level}))
}

func errWriter(c *cli.Context) io.Writer {
	if c.App.ErrWriter != nil {
		return c.App.ErrWriter
	}
	return io.Discard
}

// buildJSON is what `flavor build` reports.
func buildJSON(res *builder.Result) buildReport {
	rep := buildReport{Skipped: res.Skipped, Containers: res.Containers, Executed: res.Executed, Removed: res.Removed, Artifacts: []buildOutput{}}
	for _, a := range res.Artifacts {
		rep.Artifacts = append(rep.Artifacts, buildOutput{
			Package: a.Package, Platform: a.Platform.String(), Source: string(a.Source),
			Artifact: a.Path, Metadata: a.MetaPath, CacheKey: a.Metadata.CacheKey,
		})
	}
	return rep
}

// printBuild reports the artifacts written, for people.
func printBuild(w io.Writer, rep buildReport) error {
	for _, a := range rep.Artifacts {
		fmt.Fprintf(w, "%-6s  %-12s  %s\n", a.Source, a.Platform, filepath.ToSlash(a.Artifact))
	}
	for _, s := range rep.Skipped {
		fmt.Fprintf(w, "skipped %s (not in its builder.yaml platforms)\n", s)
	}
	if rep.Engine == "buildkit" {
		fmt.Fprintf(w, "%d artifacts, %d stages run by buildkitd\n", len(rep.Artifacts), rep.Executed)
	} else {
		fmt.Fprintf(w, "%d artifacts, %d containers started\n", len(rep.Artifacts), rep.Containers)
	}
	return nil
}
