package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/flavor-dev/flavor/builder"
	"github.com/flavor-dev/flavor/bundle"
	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/lock"
	"github.com/flavor-dev/flavor/platform"
	"github.com/flavor-dev/flavor/specs/manifest"
)

// installFlags are the flags of the commands that build [install] entries (pack, lock).
func installFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "cache", Usage: "artifact cache `DIR` (default: $FLAVOR_CACHE, $XDG_CACHE_HOME/flavor or ~/.cache/flavor)"},
		&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Value: runtime.NumCPU(), Usage: "`N` packages built at once per system"},
	}
}

// lockPath is the lock beside a manifest.
func lockPath(m *manifest.Manifest) string { return filepath.Join(m.Dir(), "flavor.lock") }

// readLockFile reads the manifest's lock; a missing lock is nil without error.
func readLockFile(ctx context.Context, m *manifest.Manifest) (*manifest.Lock, error) {
	l, err := manifest.ReadLock(ctx, lockPath(m))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return l, err
}

// installRun is what resolveInstall was asked: the lock options beyond the common ones.
type installRun struct {
	frozen    bool
	update    []string
	updateAll bool
	systems   []string
	launchers bundle.LauncherSource
}

// resolveInstall resolves and builds the manifest's [install] entries with the engine, showing
// build progress on the error stream.
func resolveInstall(c *cli.Context, o *output, m *manifest.Manifest, old *manifest.Lock, run installRun) (*lock.Result, error) {
	opts := []lock.Option{lock.WithLogger(o.logger()), lock.WithLock(old)}
	if run.frozen {
		opts = append(opts, lock.WithFrozen())
	}
	if run.updateAll {
		opts = append(opts, lock.WithUpdateAll())
	}
	if len(run.update) > 0 {
		opts = append(opts, lock.WithUpdate(run.update...))
	}
	if len(run.systems) > 0 {
		opts = append(opts, lock.WithSystems(run.systems...))
	}
	for _, sys := range launcherSystems(m, run.systems) {
		if d, ok := launcherDigest(c.Context, run.launchers, sys); ok {
			opts = append(opts, lock.WithLauncherDigest(sys, d))
		}
	}
	bopts := []builder.Option{builder.WithJobs(c.Int("jobs"))}
	if dir := c.String("cache"); dir != "" {
		bopts = append(bopts, builder.WithCacheDir(dir))
	}
	opts = append(opts, lock.WithBuildOptions(bopts...))
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
	opts = append(opts, lock.WithProgress(func(u lock.Update) {
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
	}))
	defer r.close()
	plan, err := lock.NewPlan(c.Context, m, opts...)
	if err != nil {
		return nil, err
	}
	var eng engine.Engine
	if !m.PackOnly() {
		d, err := openEngine(c, o.logger())
		if err != nil {
			return nil, err
		}
		defer d.Close()
		eng = d
	}
	return plan.Build(c.Context, eng)
}

// launcherSystems are the systems whose launcher digests go into the lock.
func launcherSystems(m *manifest.Manifest, chosen []string) []string {
	if len(chosen) > 0 {
		return chosen
	}
	if s := m.Options().Systems; len(s) > 0 {
		return s
	}
	host, err := manifest.NormalizeSystem(platform.HostLinux().String())
	if err != nil {
		return nil
	}
	return []string{host}
}

// launcherDigest is "sha256:<hex>" of the launcher packed for a system; false when this flavor
// has none for it (packing for it then fails with the reason).
func launcherDigest(ctx context.Context, src bundle.LauncherSource, system string) (string, bool) {
	if src == nil {
		src = bundle.Embedded()
	}
	b, err := src.Launcher(ctx, system)
	if err != nil {
		return "", false
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:]), true
}

// writeLockIfChanged writes the lock beside the manifest unless it holds these bytes already,
// and says whether it wrote.
func writeLockIfChanged(ctx context.Context, m *manifest.Manifest, l *manifest.Lock) (bool, error) {
	data, err := l.Encode()
	if err != nil {
		return false, err
	}
	if old, err := os.ReadFile(lockPath(m)); err == nil && bytes.Equal(old, data) {
		return false, nil
	}
	if err := manifest.WriteLock(ctx, lockPath(m), l); err != nil {
		return false, err
	}
	return true, nil
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

// launcherSource is --launcher-bin's source, or the embedded launchers, each read once: the lock
// records their digests and the packages carry them.
func launcherSource(c *cli.Context) (bundle.LauncherSource, error) {
	files := c.StringSlice("launcher-bin")
	if len(files) == 0 {
		return &onceLaunchers{src: bundle.Embedded()}, nil
	}
	src, err := bundle.LauncherFiles(files...)
	if err != nil {
		return nil, fmt.Errorf("--launcher-bin: %w", err)
	}
	return &onceLaunchers{src: src}, nil
}

// onceLaunchers remembers the launchers a source gave.
type onceLaunchers struct {
	src bundle.LauncherSource
	mu  sync.Mutex
	got map[string][]byte
}

func (l *onceLaunchers) Launcher(ctx context.Context, platform string) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.got[platform]; ok {
		return b, nil
	}
	b, err := l.src.Launcher(ctx, platform)
	if err != nil {
		return nil, err
	}
	if l.got == nil {
		l.got = map[string][]byte{}
	}
	l.got[platform] = b
	return b, nil
}

// Platforms passes on the platforms of a source that has fixed ones (launcher files), so
// bundle.Pack and packSystems can pick them.
func (l *onceLaunchers) Platforms() []string {
	if p, ok := l.src.(interface{ Platforms() []string }); ok {
		return p.Platforms()
	}
	return nil
}
