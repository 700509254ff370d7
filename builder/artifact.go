package builder

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/flavor-dev/flavor/delta"
	"github.com/flavor-dev/flavor/progress"
	"github.com/flavor-dev/flavor/specs"
)

// artifact settles n's artifact: from the local cache, else from the --pull registry, else by
// building it; then pushes it (--push) unless it was pulled, and copies it to the destination.
func (b *builder) artifact(ctx context.Context, n *node) error {
	e, ok, err := b.o.cache.Get(ctx, n.key)
	if errors.Is(err, ErrCacheCorrupt) {
		b.o.logger.Warn("discarding a corrupt cache entry; rebuilding", "package", n.id(), "err", err)
		if rmErr := b.o.cache.Remove(n.key); rmErr != nil {
			return fmt.Errorf("building %s for %s: %w", n.id(), n.platform, rmErr)
		}
		ok, err = false, nil
	}
	if err != nil {
		return fmt.Errorf("building %s for %s: %w", n.id(), n.platform, err)
	}
	n.source = SourceCached
	if !ok && b.o.pull != "" {
		if e, ok = b.pull(ctx, n); ok {
			n.source = SourcePulled
		}
	}
	if !ok {
		n.source = SourceBuilt
		if e, err = b.buildArtifact(ctx, n); err != nil {
			return err
		}
	}
	if b.o.push != "" && n.source != SourcePulled {
		// Cached artifacts are pushed too: the registry may not have what an earlier build
		// without --push made. Blobs it has are not sent again.
		if err := b.push(ctx, n, e); err != nil {
			return err
		}
	}
	n.entry = e
	switch n.source {
	case SourceCached:
		b.rep.send(progress.Event{Stage: StageCached, Package: n.id(), Platform: n.platform.String(), Message: n.key})
	case SourcePulled:
		b.rep.send(progress.Event{Stage: StagePulled, Package: n.id(), Platform: n.platform.String(), Message: n.key})
	}
	if err := b.publish(e); err != nil {
		return fmt.Errorf("building %s for %s: %w", n.id(), n.platform, err)
	}
	return nil
}

// buildArtifact makes n's artifacts in a staging directory of the cache and stores them.
func (b *builder) buildArtifact(ctx context.Context, n *node) (*CacheEntry, error) {
	stage, err := b.o.cache.stage()
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stage) // a no-op once Put has moved it
	spec := n.pkg.Spec
	if spec.Virtual() || spec.Empty() {
		// No container: a virtual package and an image-only seed ship nothing.
		if err := b.writeArtifacts(ctx, n, stage, emptyTree, "empty"); err != nil {
			return nil, err
		}
	} else if b.solverFor(n.platform) != nil {
		if err := b.solveArtifacts(ctx, n, stage); err != nil {
			return nil, err
		}
	} else {
		if b.eng == nil {
			return nil, fmt.Errorf("building %s for %s: no builder for %s and no container engine", n.id(), n.platform, n.platform)
		}
		b.rep.send(progress.Event{Stage: StageBuild, Package: n.id(), Platform: n.platform.String()})
		if err := b.runContainers(ctx, n, stage); err != nil {
			return nil, err
		}
	}
	e, err := b.o.cache.Put(ctx, n.key, stage)
	if err != nil {
		return nil, fmt.Errorf("building %s for %s: %w", n.id(), n.platform, err)
	}
	return e, nil
}

// emptyTree opens a tree with no entries.
func emptyTree(ctx context.Context) (*delta.Tree, error) {
	var buf bytes.Buffer
	if err := tar.NewWriter(&buf).Close(); err != nil {
		return nil, err
	}
	return delta.FromTar(ctx, &buf)
}

// writeArtifacts writes n's artifact from the tree open gives, its metadata, and the artifacts
// of its subpackages carved out of it, into dir.
func (b *builder) writeArtifacts(ctx context.Context, n *node, dir string, open func(context.Context) (*delta.Tree, error), strategy string) error {
	what := fmt.Sprintf("writing the artifact of %s for %s", n.id(), n.platform)
	tree, err := open(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer tree.Close()
	path := filepath.Join(dir, ArtifactName(n.pkg, n.platform))
	if err := b.writeOne(ctx, n, n.pkg, tree, path, strategy); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	for _, sp := range n.subs {
		if err := b.carve(ctx, n, sp, path, dir); err != nil {
			return fmt.Errorf("%s: subpackage %s: %w", what, sp.ID(), err)
		}
	}
	return nil
}

// carve cuts subpackage sp out of the parent's artifact at parent.
func (b *builder) carve(ctx context.Context, n *node, sp *specs.Package, parent, dir string) error {
	f, err := os.Open(parent)
	if err != nil {
		return err
	}
	defer f.Close()
	var opts []delta.Option
	if sp.Split != nil {
		inc, exc, err := compileFilters(sp.Split.Includes, sp.Split.Excludes)
		if err != nil {
			return err
		}
		opts = append(opts, delta.WithIncludes(inc...), delta.WithExcludes(exc...))
	}
	opts = append(opts, delta.WithLogger(b.o.logger), delta.WithTempDir(b.o.tempDir))
	tree, err := delta.Carve(ctx, f, opts...)
	if err != nil {
		return err
	}
	defer tree.Close()
	return b.writeOne(ctx, n, sp, tree, filepath.Join(dir, ArtifactName(sp, n.platform)), "carved")
}

// writeOne writes one artifact file and its metadata file.
func (b *builder) writeOne(ctx context.Context, n *node, p *specs.Package, tree *delta.Tree, path, strategy string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	var wopts []delta.Option
	if b.o.epoch != nil {
		wopts = append(wopts, delta.WithSourceDateEpoch(*b.o.epoch))
	}
	a, err := tree.WriteArtifact(ctx, f, wopts...)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	m := newMetadata(p, n.platform, n.key)
	m.BaseImage = n.base
	m.Strategy = strategy
	m.Size = a.Size
	m.Checksums = map[string]string{"sha256": a.SHA256}
	if !p.Hidden && a.Files != nil {
		m.Files = a.Files
	}
	if a.Removed != nil {
		m.Removed = a.Removed
	}
	for _, d := range n.deps {
		m.BuildDeps = append(m.BuildDeps, BuildDep{Package: d.id(), CacheKey: d.key})
	}
	if m.Distro, err = n.distro.record(ctx, a.Files); err != nil {
		return err
	}
	if err := writeMetadata(filepath.Join(filepath.Dir(path), MetadataName(p, n.platform)), m); err != nil {
		return err
	}
	b.rep.send(progress.Event{Stage: StageArtifact, Package: p.ID(), Platform: n.platform.String(), Message: m.Artifact})
	return nil
}

// compileFilters compiles include and exclude patterns (specs validated them at load).
func compileFilters(includes, excludes []string) (inc, exc []*regexp.Regexp, err error) {
	for _, s := range includes {
		re, err := regexp.Compile(s)
		if err != nil {
			return nil, nil, fmt.Errorf("include pattern %q: %w", s, err)
		}
		inc = append(inc, re)
	}
	for _, s := range excludes {
		re, err := regexp.Compile(s)
		if err != nil {
			return nil, nil, fmt.Errorf("exclude pattern %q: %w", s, err)
		}
		exc = append(exc, re)
	}
	return inc, exc, nil
}
