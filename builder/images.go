package builder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/flavor-dev/flavor/delta"
	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/oci"
	"github.com/flavor-dev/flavor/progress"
	"github.com/flavor-dev/flavor/specs"
)

// rootImage makes n's build root available in the engine and returns its id or tag.
func (b *builder) rootImage(ctx context.Context, n *node) (string, error) {
	spec := n.pkg.Spec
	switch {
	case spec.Image != "":
		res, err := b.resolve(ctx, spec.Image, n.platform)
		if err != nil {
			return "", fmt.Errorf("building %s for %s: %w", n.id(), n.platform, err)
		}
		id, err := b.resolver.Provide(ctx, res, "")
		if err != nil {
			return "", fmt.Errorf("building %s for %s: %w", n.id(), n.platform, err)
		}
		return id, nil
	case spec.RequiresFinalImages:
		return b.joinImage(ctx, n)
	case n.root != nil:
		return b.packageImage(ctx, n.root)
	}
	return "", fmt.Errorf("building %s for %s: %w: no image and no requires", n.id(), n.platform, specs.ErrNotBuildable)
}

// imageExists reports whether the engine has ref.
func (b *builder) imageExists(ctx context.Context, ref string) (bool, error) {
	_, err := b.eng.InspectImage(ctx, ref)
	if errors.Is(err, oci.ErrImageNotFound) {
		return false, nil
	}
	return err == nil, err
}

// packageImage returns the tag of d's package image (the committed package-stage container;
// for an image-only seed, its builder image), rebuilding it when the engine no longer has it.
// d's artifact is settled before any dependent asks, so only a cached artifact leaves the
// image to be made here.
func (b *builder) packageImage(ctx context.Context, d *node) (string, error) {
	d.imageMu.Lock()
	defer d.imageMu.Unlock()
	tag := d.pkgTag()
	ok, err := b.imageExists(ctx, tag)
	if err != nil {
		return "", fmt.Errorf("looking up the package image of %s for %s: %w", d.id(), d.platform, err)
	}
	if ok {
		return tag, nil
	}
	b.rep.send(progress.Event{Stage: StageImage, Package: d.id(), Platform: d.platform.String(),
		Message: "making the package image " + tag + " for its dependents"})
	if err := b.runContainers(ctx, d, ""); err != nil {
		return "", err
	}
	return tag, nil
}

// joinImage returns the tag of n's requires_final_images root: the artifacts of its join set
// applied in order (removed paths first) into one directory, made a single-layer image of the
// platform and loaded into the engine. It is reused while the engine has it.
func (b *builder) joinImage(ctx context.Context, n *node) (string, error) {
	tag := n.joinTag()
	what := fmt.Sprintf("making the build root of %s for %s from its requires' artifacts", n.id(), n.platform)
	if ok, err := b.imageExists(ctx, tag); err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	} else if ok {
		return tag, nil
	}
	dir, err := b.joinDir(ctx, n)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	defer os.RemoveAll(dir)
	var iopts []oci.Option
	if b.o.epoch != nil {
		iopts = append(iopts, oci.WithSourceDateEpoch(*b.o.epoch))
	}
	img, err := oci.NewBaseImage(ctx, dir, n.platform, append(iopts, oci.WithLogger(b.o.logger))...)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	defer img.Close()
	if _, err := oci.Load(ctx, b.eng, img, tag, oci.WithLogger(b.o.logger)); err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	return tag, nil
}

// joinDir squashes the artifacts of n's join set into a new temporary directory, in order,
// each after removing the paths it lists as removed; the caller removes the directory.
func (b *builder) joinDir(ctx context.Context, n *node) (string, error) {
	b.reportJoin(n, "squashing")
	dir, err := os.MkdirTemp(b.o.tempDir, "flavor-join-")
	if err != nil {
		return "", err
	}
	for _, m := range n.joins {
		if err := b.applyArtifact(ctx, n, m, dir); err != nil {
			os.RemoveAll(dir)
			return "", err
		}
	}
	if needsShell(n.pkg.Spec) && !hasShell(dir) {
		os.RemoveAll(dir)
		return "", noJoinShell(n)
	}
	return dir, nil
}

// reportJoin says that n's build root is being made from its join set's artifacts.
func (b *builder) reportJoin(n *node, verb string) {
	b.rep.send(progress.Event{Stage: StageImage, Package: n.id(), Platform: n.platform.String(),
		Message: verb + " the artifacts of " + strings.Join(joinNames(n), ", ")})
}

func joinNames(n *node) []string {
	names := make([]string, len(n.joins))
	for i, m := range n.joins {
		names[i] = m.ID()
	}
	return names
}

// noJoinShell is the error for a join set whose artifacts give n's commands no shell.
func noJoinShell(n *node) error {
	return fmt.Errorf("%w: the artifacts of %s ship no /bin/sh for the build's commands (prelude, steps, or env values with $); ship a shell in one of them (for example a package with image: and unpack: true), or give %s an image: instead",
		ErrNoShell, strings.Join(joinNames(n), ", "), n.id())
}

// applyArtifact extracts m's artifact into dir, after removing the paths it lists as removed.
func (b *builder) applyArtifact(ctx context.Context, n *node, m *specs.Package, dir string) error {
	file, removed, err := joinArtifact(n, m)
	if err != nil {
		return err
	}
	if err := delta.RemovePaths(ctx, dir, removed); err != nil {
		return fmt.Errorf("applying the removals of %s: %w", m.ID(), err)
	}
	return b.extractArtifact(ctx, m, file, dir)
}

// extractArtifact extracts m's artifact file into dir.
func (b *builder) extractArtifact(ctx context.Context, m *specs.Package, file, dir string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := delta.Apply(ctx, dir, f, delta.WithLogger(b.o.logger)); err != nil {
		return fmt.Errorf("applying the artifact of %s: %w", m.ID(), err)
	}
	return nil
}

// joinArtifact returns the file of m's artifact and the paths it lists as removed, from the
// node that built it (m's own, or its parent's for a subpackage) among n's dependencies.
func joinArtifact(n *node, m *specs.Package) (string, []string, error) {
	owner := m
	if m.Parent != nil {
		owner = m.Parent
	}
	var src *node
	for _, d := range n.deps {
		if d.pkg == owner {
			src = d
		}
	}
	if src == nil || src.entry == nil {
		return "", nil, fmt.Errorf("the artifact of %s is not built (it is not among the build dependencies of %s)", m.ID(), n.id())
	}
	for _, a := range src.entry.Artifacts {
		if a.Fingerprint == m.Fingerprint() {
			return filepath.Join(src.entry.Dir, a.Artifact), a.Removed, nil
		}
	}
	return "", nil, fmt.Errorf("the cache entry of %s holds no artifact of %s", src.id(), m.ID())
}

// joinLayers extracts each artifact of n's join set into a temporary directory of its own, for
// a solver to merge as n's build root (see engine.RootLayer); the directories join b.sj.dirs.
func (b *builder) joinLayers(ctx context.Context, n *node) ([]engine.RootLayer, error) {
	b.reportJoin(n, "merging")
	var out []engine.RootLayer
	for _, m := range n.joins {
		file, removed, err := joinArtifact(n, m)
		if err != nil {
			return nil, err
		}
		dir, err := os.MkdirTemp(b.o.tempDir, "flavor-layer-")
		if err != nil {
			return nil, err
		}
		b.sj.mu.Lock()
		b.sj.dirs = append(b.sj.dirs, dir)
		b.sj.mu.Unlock()
		if err := b.extractArtifact(ctx, m, file, dir); err != nil {
			return nil, err
		}
		out = append(out, engine.RootLayer{Remove: removed, Dir: dir})
	}
	if needsShell(n.pkg.Spec) && !hasShellIn(layersFind(out)) {
		return nil, noJoinShell(n)
	}
	return out, nil
}

// layersFind finds an absolute path in layers as their merge shows it: in the topmost layer
// that holds it, unless a layer above that one removed it or a directory holding it.
func layersFind(layers []engine.RootLayer) func(string) (string, bool) {
	return func(p string) (string, bool) {
		for k := len(layers) - 1; k >= 0; k-- {
			hp := filepath.Join(layers[k].Dir, p)
			if _, err := os.Lstat(hp); err == nil {
				return hp, true
			}
			for _, r := range layers[k].Remove {
				if rc := path.Clean("/" + r); p == rc || strings.HasPrefix(p, rc+"/") {
					return "", false
				}
			}
		}
		return "", false
	}
}

// hasShell reports whether root holds an executable /bin/sh, resolving symbolic links (of the
// file and of its parent directories) inside root, never on the host.
func hasShell(root string) bool {
	return hasShellIn(func(p string) (string, bool) { return filepath.Join(root, p), true })
}

// hasShellIn is hasShell for a root whose absolute paths find maps to host paths (false: the
// root has no such path).
func hasShellIn(find func(string) (string, bool)) bool {
	fi, ok := statIn(find, "/bin/sh", 0)
	return ok && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// statIn stats p inside the root find maps, following symbolic links as if it were "/".
func statIn(find func(string) (string, bool), p string, depth int) (os.FileInfo, bool) {
	if depth > 32 {
		return nil, false
	}
	cur := "/"
	parts := strings.Split(strings.Trim(path.Clean(p), "/"), "/")
	for i, part := range parts {
		next := path.Join(cur, part)
		hp, ok := find(next)
		if !ok {
			return nil, false
		}
		fi, err := os.Lstat(hp)
		if err != nil {
			return nil, false
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			target, err := os.Readlink(hp)
			if err != nil {
				return nil, false
			}
			if !path.IsAbs(target) {
				target = path.Join(cur, target)
			}
			rest := path.Join(append([]string{target}, parts[i+1:]...)...)
			return statIn(find, rest, depth+1)
		}
		if i == len(parts)-1 {
			return fi, true
		}
		cur = next
	}
	return nil, false
}
