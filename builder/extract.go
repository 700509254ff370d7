package builder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/flavor-dev/flavor/delta"
	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/progress"
	"github.com/flavor-dev/flavor/specs"
)

// extract turns what the package container holds into n's artifacts in out: the delta of the
// steps (read from the overlay upper directory when the engine is local, else from its change
// list), the whole filesystem (unpack) or one directory (package_dir), filtered.
func (s *stage) extract(ctx context.Context, out string) error {
	n, spec := s.n, s.n.pkg.Spec
	b := s.b
	b.rep.send(progress.Event{Stage: StageExtract, Package: n.id(), Platform: n.platform.String()})
	opts, err := b.deltaOptions(n)
	if err != nil {
		return err
	}
	var strategy string
	var open func(context.Context) (*delta.Tree, error)
	switch {
	case spec.PackageDir != "":
		strategy = "package_dir"
		dir := path.Clean("/" + spec.PackageDir)
		open = func(ctx context.Context) (*delta.Tree, error) {
			rc, err := b.eng.CopyFrom(ctx, s.packageID, dir)
			if err != nil {
				return nil, err
			}
			defer rc.Close()
			return delta.FromTar(ctx, rc, append(opts, delta.WithTarRoot(path.Dir(dir)), delta.WithPackageDir(dir))...)
		}
	case spec.Unpack:
		strategy = "unpack"
		open = func(ctx context.Context) (*delta.Tree, error) {
			rc, err := b.eng.Export(ctx, s.packageID)
			if err != nil {
				return nil, err
			}
			defer rc.Close()
			return delta.FromTar(ctx, rc, opts...)
		}
	default:
		strategy = deltaStrategy(spec)
		var dirs engine.OverlayDirs
		local := false
		if or, ok := b.eng.(engine.OverlayReader); ok {
			if dirs, local, err = or.OverlayDirs(ctx, s.packageID); err != nil {
				return fmt.Errorf("building %s for %s: %w", n.id(), n.platform, err)
			}
		}
		if local {
			open = func(ctx context.Context) (*delta.Tree, error) {
				return delta.FromOverlay(ctx, delta.Overlay{Upper: dirs.Upper, Lowers: dirs.Lower}, opts...)
			}
		} else {
			open = func(ctx context.Context) (*delta.Tree, error) {
				return delta.FromChanges(ctx, &changeSource{s: s}, opts...)
			}
		}
	}
	if n.distro, err = s.readDistro(ctx); err != nil {
		return err
	}
	return b.writeArtifacts(ctx, n, out, open, strategy)
}

// deltaOptions are the options every way of reading n's tree takes: its filters, and
// delta: added.
func (b *builder) deltaOptions(n *node) ([]delta.Option, error) {
	spec := n.pkg.Spec
	inc, exc, err := compileFilters(spec.Includes, spec.Excludes)
	if err != nil {
		return nil, fmt.Errorf("building %s for %s: %w", n.id(), n.platform, err)
	}
	opts := []delta.Option{delta.WithIncludes(inc...), delta.WithExcludes(exc...),
		delta.WithLogger(b.o.logger), delta.WithTempDir(b.o.tempDir)}
	if spec.Delta == specs.DeltaAdded && !spec.Unpack && spec.PackageDir == "" {
		opts = append(opts, delta.WithAddedOnly())
	}
	return opts, nil
}

// deltaStrategy is the metadata's name of a delta build of spec.
func deltaStrategy(spec *specs.Spec) string {
	if spec.Delta == specs.DeltaAdded {
		return "delta-added"
	}
	return "delta"
}

// changeSource shows the package container to delta.FromChanges through the engine's API
// alone: its change list, paths copied out of it, and paths copied out of a container of the
// builder image (started on first use) for comparison.
// ADAPTER: engine.Differ speaks per container id and has no "base" side; this joins the two.
type changeSource struct {
	s *stage
}

func (c *changeSource) Changes(ctx context.Context) ([]delta.Change, error) {
	list, err := c.s.b.eng.Changes(ctx, c.s.packageID)
	if err != nil {
		return nil, err
	}
	out := make([]delta.Change, 0, len(list))
	for _, ch := range list {
		var k delta.ChangeKind
		switch ch.Kind {
		case engine.Added:
			k = delta.ChangeAdd
		case engine.Deleted:
			k = delta.ChangeDelete
		default:
			k = delta.ChangeModify
		}
		out = append(out, delta.Change{Path: ch.Path, Kind: k})
	}
	return out, nil
}

func (c *changeSource) ReadPath(ctx context.Context, p string) (io.ReadCloser, error) {
	return copyPath(ctx, c.s.b.eng, c.s.packageID, p)
}

func (c *changeSource) ReadBasePath(ctx context.Context, p string) (io.ReadCloser, error) {
	if c.s.baseID == "" {
		base := c.s.builderImg
		if base == "" {
			base = c.s.root // the steps ran in the builder container: the root is the baseline
		}
		id, err := c.s.create(ctx, base, false)
		if err != nil {
			return nil, err
		}
		c.s.baseID = id
	}
	return copyPath(ctx, c.s.b.eng, c.s.baseID, p)
}

// copyPath copies p out of a container, turning "no such path" into fs.ErrNotExist.
func copyPath(ctx context.Context, eng engine.Engine, id, p string) (io.ReadCloser, error) {
	rc, err := eng.CopyFrom(ctx, id, p)
	if err == nil {
		return rc, nil
	}
	msg := strings.ToLower(err.Error())
	if errors.Is(err, engine.ErrContainerNotFound) || strings.Contains(msg, "no such file") || strings.Contains(msg, "could not find the file") {
		return nil, fmt.Errorf("%s: %w (%w)", p, fs.ErrNotExist, err)
	}
	return nil, err
}
