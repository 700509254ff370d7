package bundle

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/flavor-dev/flavor/builder"
	"github.com/flavor-dev/flavor/lock"
	"github.com/flavor-dev/flavor/ops"
	"github.com/flavor-dev/flavor/packer"
	"github.com/flavor-dev/flavor/sbom"
)

// ErrPathConflict: two packages of one slot ship the same path with different content.
var ErrPathConflict = errors.New("two packages ship one path differently")

// InstallSource is the SlotSource of the [install] entries a lock.Result built: one tar slot per
// pkg-group, named after the group, holding the artifacts of its packages merged in dependency
// order and unpacked at {workenv} (a package's /usr/bin/x is {workenv}/usr/bin/x). A path two
// packages ship alike is kept once; shipped differently (content, mode, type or link target) it
// is an error wrapping ErrPathConflict that names both packages and the path. Each package's
// finalizer (finalize.yaml install commands, through its shell or `sh -c`) becomes a setup
// command of the slot, run once after the first extraction.
//
// A group of several packages is merged by NewInstallSource into a temporary tar, for every
// system at once, so a conflict is found before any package is written; Close removes them. A
// group of one package cannot conflict with another, so its tar is merged while the packer
// reads it (see groupStream): no temporary tar, and decoding the artifact overlaps encoding the
// slot.
type InstallSource struct {
	dir   string
	slots map[string][]installSlot // by system
}

type installSlot struct {
	group  string
	file   string     // the merged tar; "" when the group is streamed
	stream lock.Group // the group of one package, merged as it is read
	prov   map[string]any
	setup  []packer.SetupCommand
	comps  []sbom.Component
	owners map[string]string
	notes  []string
}

var _ SlotSource = (*InstallSource)(nil)

// NewInstallSource merges the artifacts of every group of several packages of res into temporary
// tars under tempDir (the system's temporary directory when empty); groups of one package are
// merged when their slot is read.
func NewInstallSource(ctx context.Context, res *lock.Result, tempDir string) (*InstallSource, error) {
	dir, err := os.MkdirTemp(tempDir, "flavor-slots-")
	if err != nil {
		return nil, fmt.Errorf("merging the [install] slots: %w", err)
	}
	s := &InstallSource{dir: dir, slots: map[string][]installSlot{}}
	for _, sys := range res.Systems {
		for i, g := range sys.Groups {
			is := installSlot{group: g.Name, prov: groupProvenance(g), setup: finalizers(g)}
			is.comps, is.owners, is.notes = groupSBOM(g, specDigests(res, sys.Platform))
			if len(g.Packages) == 1 {
				is.stream = g
			} else {
				is.file = filepath.Join(dir, fmt.Sprintf("%s-%d.tar", strings.ReplaceAll(sys.Platform, "/", "-"), i))
				if err := mergeGroup(ctx, is.file, g); err != nil {
					s.Close()
					return nil, fmt.Errorf("merging pkg-group %s for %s: %w", g.Name, sys.Platform, err)
				}
			}
			s.slots[sys.Platform] = append(s.slots[sys.Platform], is)
		}
	}
	return s, nil
}

// Slots returns the system's slots, each reading its merged tar.
func (s *InstallSource) Slots(ctx context.Context, t Target) ([]Slot, error) {
	list, ok := s.slots[t.Platform]
	if !ok {
		return nil, fmt.Errorf("no [install] packages were built for %s", t.Platform)
	}
	var out []Slot
	for _, is := range list {
		f, err := is.open(ctx, t.Platform, s.dir)
		if err != nil {
			for _, o := range out {
				closeReader(o.Reader)
			}
			return nil, fmt.Errorf("slot %s: %w", is.group, err)
		}
		ps := packer.Slot{
			ID: is.group, Reader: f, Source: "pkg-group " + is.group, Target: "{workenv}",
			Operations: ops.Chain{ops.Tar, ops.Zstd}, Purpose: "code", Lifecycle: "runtime",
			Permissions: 0o755,
		}
		if err := groupSettings(t, is.group, &ps); err != nil {
			f.Close()
			for _, o := range out {
				closeReader(o.Reader)
			}
			return nil, err
		}
		out = append(out, Slot{Slot: ps, Provenance: is.prov, Setup: is.setup,
			Components: is.comps, FileOwners: is.owners, Notes: is.notes})
	}
	return out, nil
}

// open returns the slot's merged tar: the temporary file, or the stream of a group of one package.
func (is installSlot) open(ctx context.Context, system, dir string) (io.ReadCloser, error) {
	if is.file == "" {
		return streamGroup(ctx, is.stream, system, dir), nil
	}
	return os.Open(is.file)
}

// groupSettings applies the slot settings the manifest gives the group's slot (a generated
// build's, such as a Python application's runtime): operations, purpose, lifecycle, priority.
func groupSettings(t Target, group string, ps *packer.Slot) error {
	if t.Manifest == nil {
		return nil
	}
	gs, ok := t.Manifest.GroupSlot(group)
	if !ok {
		return nil
	}
	if gs.Operations != nil {
		chain, err := ops.ParseChainList(gs.Operations)
		if err != nil {
			return fmt.Errorf("slot %s: operations: %w: %w", group, ErrSlot, err)
		}
		if !chain.HasTar() {
			return fmt.Errorf("slot %s holds a tree, so operations must start with tar (they are %q): %w", group, chain, ErrSlot)
		}
		ps.Operations = chain
	}
	if gs.Purpose != "" {
		ps.Purpose = gs.Purpose
	}
	if gs.Lifecycle != "" {
		ps.Lifecycle = gs.Lifecycle
	}
	if gs.Priority != 0 {
		ps.Priority = gs.Priority
	}
	return nil
}

// Close removes the merged tars.
func (s *InstallSource) Close() error { return os.RemoveAll(s.dir) }

// groupProvenance is what the signed metadata records about a group's slot.
func groupProvenance(g lock.Group) map[string]any {
	var pkgs []map[string]any
	for _, p := range g.Packages {
		md := p.Artifact.Metadata
		e := map[string]any{
			"package":         p.Package,
			"version":         md.Version,
			"flavor":          p.Flavor,
			"cache_key":       md.CacheKey,
			"artifact_digest": "sha256:" + md.Checksums["sha256"],
		}
		if p.BaseImage != "" {
			e["base_image"] = p.BaseImage
		}
		if len(p.InstallIDs) > 0 {
			e["install_ids"] = p.InstallIDs
		} else {
			e["runtime_dependency"] = true
		}
		pkgs = append(pkgs, e)
	}
	return map[string]any{"origin": "install", "pkg_group": g.Name, "packages": pkgs}
}

// finalizers turns the group's finalizers into setup commands, in package order.
func finalizers(g lock.Group) []packer.SetupCommand {
	var out []packer.SetupCommand
	for _, p := range g.Packages {
		f := p.Artifact.Metadata.Finalizer
		if f == nil {
			continue
		}
		shell := f.Shell
		if len(shell) == 0 {
			shell = []string{"sh", "-c"}
		}
		for _, c := range f.Install {
			if strings.TrimSpace(c) == "" {
				continue
			}
			out = append(out, packer.SetupCommand{Command: QuoteCommand(append(append([]string{}, shell...), c)...)})
		}
	}
	return out
}

// shipped is what a merged tar holds at one path, to tell a repeat from a conflict.
type shipped struct {
	pkg  string
	typ  byte
	mode int64
	link string
	sum  string
}

func (s shipped) same(o shipped) bool {
	return s.typ == o.typ && s.mode == o.mode && s.link == o.link && s.sum == o.sum
}

// mergeGroup writes the tar of a group's artifacts to file.
func mergeGroup(ctx context.Context, file string, g lock.Group) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if err := writeGroup(ctx, f, g); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeGroup writes the tar of a group's artifacts to w.
func writeGroup(ctx context.Context, w io.Writer, g lock.Group) error {
	tw := tar.NewWriter(w)
	seen := map[string]shipped{}
	shared := sharedPaths(g)
	buf := make([]byte, 256<<10) // one copy buffer for every file (io.Copy would allocate one per file)
	for _, p := range g.Packages {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := mergeArtifact(tw, seen, shared, p.Package, p.Artifact, buf); err != nil {
			return err
		}
	}
	return tw.Close()
}

// sharedPaths are the files (as artifact metadata lists them) that more than one package of the
// group ships: only their content is hashed to tell a repeat from a conflict. nil means that
// some artifact lists no files, so every file is hashed.
func sharedPaths(g lock.Group) map[string]bool {
	count := map[string]int{}
	for _, p := range g.Packages {
		md := p.Artifact.Metadata
		if len(md.Files) == 0 && md.Strategy != "empty" {
			return nil
		}
		for _, f := range md.Files {
			count[strings.TrimPrefix(path.Clean("/"+f), "/")]++
		}
	}
	out := map[string]bool{}
	for f, n := range count {
		if n > 1 {
			out[f] = true
		}
	}
	return out
}

// mergeArtifact appends the entries of one artifact that the tar does not hold yet. Files are
// hashed when shared is nil or names them. buf is the copy buffer.
func mergeArtifact(tw *tar.Writer, seen map[string]shipped, shared map[string]bool, pkg string, a builder.Artifact, buf []byte) error {
	af, err := os.Open(a.Path)
	if err != nil {
		return fmt.Errorf("reading the artifact of %s: %w", pkg, err)
	}
	defer af.Close()
	zr, err := zstd.NewReader(af, zstd.WithDecoderConcurrency(2), zstd.WithDecoderLowmem(true))
	if err != nil {
		return fmt.Errorf("reading the artifact of %s: %w", pkg, err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the artifact of %s: %w", pkg, err)
		}
		name := strings.TrimPrefix(path.Clean("/"+hdr.Name), "/")
		if name == "" {
			continue
		}
		entry := shipped{pkg: pkg, typ: hdr.Typeflag, mode: hdr.Mode, link: hdr.Linkname}
		prev, repeat := seen[name]
		if repeat && hdr.Typeflag == tar.TypeDir && prev.typ == tar.TypeDir {
			continue // directories merge; the first one's attributes stay
		}
		var out io.Writer = io.Discard
		if !repeat {
			if err := tw.WriteHeader(hdr); err != nil {
				return fmt.Errorf("writing %s of %s: %w", name, pkg, err)
			}
			out = tw
		}
		if hdr.Typeflag == tar.TypeReg && !repeat && shared != nil && !shared[name] {
			if _, err := io.CopyBuffer(out, tr, buf); err != nil {
				return fmt.Errorf("copying %s of %s: %w", name, pkg, err)
			}
		} else if hdr.Typeflag == tar.TypeReg {
			h := sha256.New()
			if _, err := io.CopyBuffer(io.MultiWriter(out, h), tr, buf); err != nil {
				return fmt.Errorf("copying %s of %s: %w", name, pkg, err)
			}
			entry.sum = hex.EncodeToString(h.Sum(nil))
		}
		if !repeat {
			seen[name] = entry
		} else if !prev.same(entry) {
			return fmt.Errorf("%s and %s both ship /%s, differently (%s): %w", prev.pkg, pkg, name, difference(prev, entry), ErrPathConflict)
		}
	}
}

func difference(a, b shipped) string {
	switch {
	case a.typ != b.typ:
		return "one is a " + typeName(a.typ) + ", the other a " + typeName(b.typ)
	case a.link != b.link:
		return fmt.Sprintf("links to %q and %q", a.link, b.link)
	case a.sum != b.sum:
		return "other content"
	}
	return fmt.Sprintf("mode %o and %o", a.mode, b.mode)
}

func typeName(t byte) string {
	switch t {
	case tar.TypeReg:
		return "file"
	case tar.TypeDir:
		return "directory"
	case tar.TypeSymlink:
		return "symbolic link"
	case tar.TypeLink:
		return "hard link"
	}
	return fmt.Sprintf("tar type %q", t)
}
