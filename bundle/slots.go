package bundle

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/flavor-dev/flavor/ops"
	"github.com/flavor-dev/flavor/packer"
	"github.com/flavor-dev/flavor/sbom"
	"github.com/flavor-dev/flavor/specs/manifest"
)

// Slot is one slot a SlotSource adds to a package: its content and labels, and what to record
// about where it came from.
type Slot struct {
	packer.Slot
	// Provenance is recorded under provenance.slots.<id> in the package metadata: the packages,
	// versions, flavors, base image digests and cache keys a built slot came from, for example.
	// Each value is encoded with encoding/json.
	Provenance map[string]any
	// Setup are commands the slot's content needs once after the first extraction (the
	// finalizers of built packages). They run in slot order, before the manifest's [hook].
	Setup []packer.SetupCommand
	// Components are the packages the slot's content comes from, for the SBOM: spec-tree
	// packages, the distribution packages among their files, the base images they were built
	// on. FileOwners maps a path of the slot (relative to the workenv) to the Ref of the
	// component that ships it; Notes say what the SBOM cannot know about the slot.
	Components []sbom.Component
	FileOwners map[string]string
	Notes      []string
}

// SlotSource makes slots that the manifest's [[slots]] do not describe: the build integration
// makes the slots of [install] entries (WithInstall), a caller may add others (WithSlotSource).
type SlotSource interface {
	// Slots returns the slots for one package, in order. A slot's Reader, if any, is read once
	// and, when it is an io.Closer, closed after the package is written.
	Slots(ctx context.Context, t Target) ([]Slot, error)
}

// Target is the package a SlotSource is asked to fill.
type Target struct {
	Manifest *manifest.Manifest
	Platform string // "linux/amd64"
}

// SlotSourceFunc adapts a function to a SlotSource.
type SlotSourceFunc func(ctx context.Context, t Target) ([]Slot, error)

// Slots calls f.
func (f SlotSourceFunc) Slots(ctx context.Context, t Target) ([]Slot, error) { return f(ctx, t) }

// manifestSlots is the SlotSource of the manifest's own [[slots]]: local files and directories.
type manifestSlots struct {
	epoch *time.Time
}

func (s manifestSlots) Slots(ctx context.Context, t Target) ([]Slot, error) {
	var out []Slot
	for _, ms := range t.Manifest.Slots() {
		if !platformIncludes(ms.Platform, t.Platform) {
			continue
		}
		sl, err := s.slot(ctx, t.Manifest, ms)
		if err != nil {
			for _, done := range out {
				closeReader(done.Reader)
			}
			return nil, fmt.Errorf("%s: slot %s: %w", t.Manifest.File(), ms.ID, err)
		}
		out = append(out, sl)
	}
	return out, nil
}

func (s manifestSlots) slot(ctx context.Context, m *manifest.Manifest, ms manifest.Slot) (Slot, error) {
	src := m.Abs(ms.Source)
	st, err := os.Stat(src)
	if err != nil {
		return Slot{}, fmt.Errorf("source %s: %w: %w", ms.Source, ErrSlot, err)
	}
	target, err := slotTarget(ms.Target)
	if err != nil {
		return Slot{}, err
	}
	ps := packer.Slot{
		ID: ms.ID, Path: src, Source: ms.Source, Purpose: ms.Purpose, Lifecycle: ms.Lifecycle,
		Priority: ms.Priority, Platform: ms.Platform, Permissions: ms.Permissions,
	}
	if ms.Operations != nil {
		if ps.Operations, err = ops.ParseChainList(ms.Operations); err != nil {
			return Slot{}, fmt.Errorf("operations: %w: %w", ErrSlot, err)
		}
		if ps.Operations == nil {
			ps.Operations = ops.Chain{} // raw, not the default
		}
	}
	switch {
	case st.IsDir():
		if ps.Operations == nil {
			ps.Operations = ops.Chain{ops.Tar, ops.Zstd}
		}
		if !ps.Operations.HasTar() {
			return Slot{}, fmt.Errorf("source %s is a directory, so operations must start with tar (they are %q): %w", ms.Source, ps.Operations, ErrSlot)
		}
		ps.Target = "{workenv}"
		if target != "" {
			// Tar slots always unpack at {workenv} (pspf-2025.md §13.5); the target becomes the
			// entries' prefix.
			ps.Path, ps.TreeRoot = "", target
			ps.Reader = &prefixedTar{ctx: ctx, dir: src, prefix: target, mode: st.Mode(), epoch: s.epoch}
			if ps.Permissions == 0 {
				ps.Permissions = st.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
			}
		}
	case st.Mode().IsRegular():
		if ps.Operations.HasTar() {
			return Slot{}, fmt.Errorf("source %s is a file, so operations cannot start with tar (they are %q): %w", ms.Source, ps.Operations, ErrSlot)
		}
		switch {
		case target == "":
			ps.Target = filepath.Base(src)
		case strings.HasSuffix(ms.Target, "/"):
			ps.Target = target + "/" + filepath.Base(src)
		default:
			ps.Target = target
		}
	default:
		return Slot{}, fmt.Errorf("source %s is neither a file nor a directory: %w", ms.Source, ErrSlot)
	}
	return Slot{Slot: ps, Provenance: map[string]any{"origin": "local", "source": ms.Source}}, nil
}

// slotTarget cleans a manifest target into a workenv-relative slash path, "" for the workenv
// root. It refuses targets that leave the workenv.
func slotTarget(t string) (string, error) {
	rest := t
	switch {
	case strings.HasPrefix(rest, "{workenv}"):
		rest = strings.TrimPrefix(strings.TrimPrefix(rest, "{workenv}"), "/")
	case strings.HasPrefix(rest, "/") || filepath.IsAbs(rest):
		return "", fmt.Errorf("target %q must be a path inside the workenv, not an absolute path: %w", t, ErrSlot)
	}
	if strings.ContainsAny(rest, "\\\x00") {
		return "", fmt.Errorf("target %q: use forward slashes: %w", t, ErrSlot)
	}
	for _, c := range strings.Split(rest, "/") {
		if c == ".." {
			return "", fmt.Errorf("target %q leaves the workenv: %w", t, ErrSlot)
		}
	}
	return path.Clean("/" + rest)[1:], nil
}

// platformIncludes reports whether a manifest slot platform ("any", "linux", "linux/arm64")
// includes the package platform ("linux/arm64").
func platformIncludes(slotPlatform, platform string) bool {
	switch slotPlatform {
	case "", "any":
		return true
	}
	if strings.Contains(slotPlatform, "/") {
		return slotPlatform == platform
	}
	return strings.HasPrefix(platform, slotPlatform+"/")
}

func closeReader(r io.Reader) {
	if c, ok := r.(io.Closer); ok {
		c.Close()
	}
}
