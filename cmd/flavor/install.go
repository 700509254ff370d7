package main

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/flavor-dev/flavor/builder"
	"github.com/flavor-dev/flavor/bundle"
	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/lock"
	"github.com/flavor-dev/flavor/pipeline"
)

// installFlags are the flags of the commands that build [install] entries (pack, lock).
func installFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "cache", Usage: "artifact cache `DIR` (default: $FLAVOR_CACHE, $XDG_CACHE_HOME/flavor or ~/.cache/flavor)"},
		&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Value: runtime.NumCPU(), Usage: "`N` packages built at once per system"},
	}
}

// pipelineOptions turns the flags the lock-and-build commands share into pipeline options:
// the engine (opened by the pipeline only for [install] entries), the launchers, cache and
// jobs, and the progress of resolution and builds rendered on the error stream. The returned
// function stops the renderer (more calls do nothing); Pack's first event stops it too, so
// packing progress does not draw under the build bars.
func pipelineOptions(c *cli.Context, o *output, launchers bundle.LauncherSource) ([]pipeline.Option, func()) {
	bopts := []builder.Option{builder.WithJobs(c.Int("jobs"))}
	// A bad SOURCE_DATE_EPOCH is reported by lockAction and packOptions, which return errors.
	if epoch, err := sourceDateEpoch(); err == nil && epoch != nil {
		bopts = append(bopts, builder.WithSourceDateEpoch(*epoch))
	}
	if dir := c.String("cache"); dir != "" {
		bopts = append(bopts, builder.WithCacheDir(dir))
	}
	mode := progressNone
	switch o.progress {
	case "plain":
		mode = progressPlain
	case "tty":
		mode = progressTTY
	case "json":
		mode = progressJSON
	}
	r := newRenderer(mode, o.err)
	var once sync.Once
	stop := func() { once.Do(r.close) }
	opts := []pipeline.Option{
		pipeline.WithLogger(o.logger()),
		pipeline.WithBuildOptions(bopts...),
		pipeline.WithLauncher(launchers),
		pipeline.WithEngine(func(context.Context) (engine.Engine, error) { return openEngine(c, o.logger()) }),
		pipeline.WithProgress(func(u lock.Update) {
			switch u.Stage {
			case lock.StageBuild:
				r.update(u.Build)
			case lock.StageResolved:
				if mode == progressPlain || mode == progressTTY {
					how := "resolved"
					if u.Locked {
						how = "locked"
					}
					o.notef("[%s] %s → %s (%s, %s)", u.System, u.InstallID, u.Package, u.Flavor, how)
				}
			}
		}),
	}
	for _, p := range platformFlags(c) {
		opts = append(opts, pipeline.WithPlatforms(p))
	}
	return opts, stop
}

// platformFlags reads --platform (repeatable, comma-separated).
func platformFlags(c *cli.Context) []string {
	var out []string
	for _, p := range c.StringSlice("platform") {
		for _, one := range strings.Split(p, ",") {
			if one = strings.TrimSpace(one); one != "" {
				out = append(out, one)
			}
		}
	}
	return out
}

// launcherSource is --launcher-bin's source, or nil for the embedded launchers.
func launcherSource(c *cli.Context) (bundle.LauncherSource, error) {
	files := c.StringSlice("launcher-bin")
	if len(files) == 0 {
		return bundle.Embedded(), nil
	}
	src, err := bundle.LauncherFiles(files...)
	if err != nil {
		return nil, fmt.Errorf("--launcher-bin: %w", err)
	}
	return src, nil
}
