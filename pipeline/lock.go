package pipeline

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
	"sync"

	"github.com/flavor-dev/flavor/bundle"
	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/lock"
	"github.com/flavor-dev/flavor/platform"
	"github.com/flavor-dev/flavor/specs/manifest"
)

// LockPath is the lock beside a manifest: flavor.lock in its directory.
func LockPath(m *manifest.Manifest) string { return filepath.Join(m.Dir(), "flavor.lock") }

// LockResult is what [Lock] did: the resolution and builds (lock.Result, whose Close removes the
// artifacts it copied out), the lock's path, and whether the file was written.
type LockResult struct {
	*lock.Result
	Path    string
	Written bool
}

// Lock resolves the manifest's [install] entries against its trees for each system, builds what
// they need on the engine of [WithEngine] (the artifact cache makes unchanged packages free), and
// writes flavor.lock beside the manifest when its bytes change — unless [WithFrozen], which
// checks the lock instead. The caller closes the result.
func Lock(ctx context.Context, m *manifest.Manifest, opts ...Option) (*LockResult, error) {
	if m == nil {
		return nil, errors.New("locking: nil manifest")
	}
	o, err := makeOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", m.File(), err)
	}
	o.launchers = once(o.launchers)
	return o.lock(ctx, m, o.platforms)
}

// lock resolves and builds for systems (the manifest's when empty) and writes the lock when it
// changed and is not frozen. The engine is opened while the lock is read and the trees are
// resolved; a mistake found there is reported as before, without waiting for the engine.
func (o *options) lock(ctx context.Context, m *manifest.Manifest, systems []string) (*LockResult, error) {
	var opening *openingEngine
	if !m.PackOnly() && o.open != nil {
		opening = o.openAsync(ctx)
	}
	old, err := manifest.ReadLock(ctx, LockPath(m))
	if errors.Is(err, fs.ErrNotExist) {
		old, err = nil, nil
	}
	if err != nil {
		opening.abandon()
		return nil, err
	}
	lopts := []lock.Option{lock.WithLogger(o.logger), lock.WithLock(old), lock.WithBuildOptions(o.buildOpts...)}
	if o.frozen {
		lopts = append(lopts, lock.WithFrozen())
	}
	if o.updateAll {
		lopts = append(lopts, lock.WithUpdateAll())
	}
	if len(o.update) > 0 {
		lopts = append(lopts, lock.WithUpdate(o.update...))
	}
	if len(systems) > 0 {
		lopts = append(lopts, lock.WithSystems(systems...))
	}
	for _, sys := range launcherSystems(m, systems) {
		if d, ok := launcherDigest(ctx, o.launchers, sys); ok {
			lopts = append(lopts, lock.WithLauncherDigest(sys, d))
		}
	}
	if o.progress != nil {
		lopts = append(lopts, lock.WithProgress(o.progress))
	}
	plan, err := lock.NewPlan(ctx, m, lopts...)
	if err != nil {
		opening.abandon()
		return nil, err
	}
	var eng engine.Engine
	if !m.PackOnly() {
		if opening == nil {
			return nil, fmt.Errorf("locking %s: [install] entries need a container engine (pipeline.WithEngine)", m.File())
		}
		defer opening.cancel() // after eng.Close below
		got := <-opening.done
		if got.err != nil {
			return nil, got.err
		}
		eng = got.eng
		defer eng.Close()
	}
	res, err := plan.Build(ctx, eng)
	if err != nil {
		return nil, err
	}
	out := &LockResult{Result: res, Path: LockPath(m)}
	if !o.frozen {
		if out.Written, err = writeLockIfChanged(ctx, out.Path, res.Lock); err != nil {
			res.Close()
			return nil, err
		}
	}
	return out, nil
}

// openingEngine is the engine being opened on another goroutine (openAsync).
type openingEngine struct {
	done   chan opened // receives the result once
	cancel context.CancelFunc
}

type opened struct {
	eng engine.Engine
	err error
}

// openAsync starts opening the engine, so its round trips (a ping, the engine's info) overlap
// loading and resolving the trees, which need no engine. The caller receives the result from
// done, or calls abandon.
func (o *options) openAsync(ctx context.Context) *openingEngine {
	ctx, cancel := context.WithCancel(ctx)
	e := &openingEngine{done: make(chan opened, 1), cancel: cancel}
	go func() {
		eng, err := o.open(ctx)
		e.done <- opened{eng, err}
	}()
	return e
}

// abandon stops the opening without waiting for it; an engine that opens anyway is closed.
// A nil e does nothing.
func (e *openingEngine) abandon() {
	if e == nil {
		return
	}
	e.cancel()
	go func() {
		if got := <-e.done; got.err == nil {
			got.eng.Close()
		}
	}()
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

// launcherDigest is "sha256:<hex>" of the launcher packed for a system; false when there is
// none for it (packing for it then fails with the reason).
func launcherDigest(ctx context.Context, src bundle.LauncherSource, system string) (string, bool) {
	b, err := src.Launcher(ctx, system)
	if err != nil {
		return "", false
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:]), true
}

// writeLockIfChanged writes the lock unless the file holds these bytes already, and says whether
// it wrote.
func writeLockIfChanged(ctx context.Context, path string, l *manifest.Lock) (bool, error) {
	data, err := l.Encode()
	if err != nil {
		return false, err
	}
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return false, nil
	}
	if err := manifest.WriteLock(ctx, path, l); err != nil {
		return false, err
	}
	return true, nil
}

// once wraps src (the embedded launchers when nil) so each launcher is read once.
func once(src bundle.LauncherSource) bundle.LauncherSource {
	if src == nil {
		src = bundle.Embedded()
	}
	if _, ok := src.(*onceLaunchers); ok {
		return src
	}
	return &onceLaunchers{src: src}
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
// bundle.Pack and Pack's lock pick them.
func (l *onceLaunchers) Platforms() []string {
	if p, ok := l.src.(interface{ Platforms() []string }); ok {
		return p.Platforms()
	}
	return nil
}
