package main

import (
	"context"
	"fmt"
	"runtime"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/flavor-dev/flavor/builder"
	"github.com/flavor-dev/flavor/bundle"
	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/lock"
	"github.com/flavor-dev/flavor/pipeline"
	"github.com/flavor-dev/flavor/progress"
)

// installFlags are the flags of the commands that build [install] entries (pack, lock).
func installFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "cache", Usage: "artifact cache `DIR` (default: $FLAVOR_CACHE, $XDG_CACHE_HOME/flavor or ~/.cache/flavor)"},
		&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Value: runtime.NumCPU(), Usage: "`N` packages built at once per system"},
	}
}

// pipelineOptions turns the flags the lock-and-build commands share into pipeline options:
// the engine (opened by the pipeline only for [install] entries), the launchers, cache and jobs,
// and the progress of resolution and builds, shown by r.
func pipelineOptions(c *cli.Context, o *output, launchers bundle.LauncherSource, r *renderer) ([]pipeline.Option, error) {
	cache, err := cacheDir(c)
	if err != nil {
		return nil, err
	}
	bopts := []builder.Option{builder.WithJobs(c.Int("jobs")), builder.WithCacheDir(cache)}
	// A bad SOURCE_DATE_EPOCH is reported by lockAction and packOptions, which return errors.
	if epoch, err := sourceDateEpoch(); err == nil && epoch != nil {
		bopts = append(bopts, builder.WithSourceDateEpoch(*epoch))
	}
	notes := !o.quiet && !o.json
	opts := []pipeline.Option{
		pipeline.WithLogger(o.logger()),
		pipeline.WithBuildOptions(bopts...),
		pipeline.WithLauncher(launchers),
		pipeline.WithEngine(func(context.Context) (engine.Engine, error) { return openEngine(c, o.logger()) }),
		pipeline.WithProgress(func(u progress.Event) {
			switch u.Stage {
			case lock.StageResolved, lock.StageLocked:
				r.resolved(u, notes)
			default: // the builds' own events
				r.update(u)
			}
		}),
	}
	for _, p := range platformFlags(c) {
		opts = append(opts, pipeline.WithPlatforms(p))
	}
	return opts, nil
}

// progressModeOf is the progress mode of --progress as newOutput settled it.
func progressModeOf(o *output) progressMode {
	switch o.progress {
	case "plain":
		return progressPlain
	case "tty":
		return progressTTY
	case "json":
		return progressJSON
	}
	return progressNone
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
