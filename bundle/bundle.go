package bundle

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/flavor-dev/flavor/packer"
	"github.com/flavor-dev/flavor/platform"
	"github.com/flavor-dev/flavor/progress"
	"github.com/flavor-dev/flavor/sbom"
	"github.com/flavor-dev/flavor/specs/manifest"
)

// Output describes one written package.
type Output struct {
	Platform  string       `json:"platform"`
	Path      string       `json:"path"`
	Size      int64        `json:"size"`
	SHA256    string       `json:"sha256"`     // "sha256:<hex>" of the whole file
	PublicKey string       `json:"public_key"` // hex of the Ed25519 key it is signed with
	Slots     []OutputSlot `json:"slots"`
	// Skipped lists the manifest slots left out because their platform is another one.
	Skipped []string `json:"skipped,omitempty"`
	// Documents are the slots holding the SBOM and provenance (not in Slots).
	Documents []string `json:"documents,omitempty"`
	// SBOMNotes say what the SBOM could not know (a build root without a package database).
	SBOMNotes []string `json:"sbom_notes,omitempty"`
	// Sidecars are the files the sinks (WithSinks) wrote beside the package.
	Sidecars []string `json:"sidecars,omitempty"`
}

// OutputSlot is one slot of a written package.
type OutputSlot struct {
	ID         string `json:"id"`
	Source     string `json:"source"`
	Target     string `json:"target"`
	Operations string `json:"operations"`
	Input      int64  `json:"input"`  // bytes before the operations
	Stored     int64  `json:"stored"` // bytes in the package
}

// Pack writes one signed .psp per platform for the manifest m: the platforms of WithPlatforms,
// else the manifest's options.systems, else those of a launcher source holding fixed platforms
// (LauncherFiles), else the host's. Packages are written in that order; when one fails, Pack
// returns the outputs already written together with the error. WithSigner is required.
func Pack(ctx context.Context, m *manifest.Manifest, opts ...Option) ([]Output, error) {
	if m == nil {
		return nil, errors.New("packing: nil manifest")
	}
	o, err := makeOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("packing %s: %w", m.File(), err)
	}
	if o.signer == nil {
		return nil, fmt.Errorf("packing %s: no signing key (use WithSigner with a key from ChooseKey): %w", m.File(), ErrKey)
	}
	if !m.PackOnly() && o.install == nil {
		ids := make([]string, 0, len(m.Install()))
		for _, in := range m.Install() {
			ids = append(ids, in.ID)
		}
		return nil, fmt.Errorf("packing %s: [install] entries %s: %w", m.File(), strings.Join(ids, ", "), ErrInstallNeedsBuild)
	}
	platforms, err := o.choosePlatforms(m)
	if err != nil {
		return nil, fmt.Errorf("packing %s: %w", m.File(), err)
	}
	if o.outFile != "" && len(platforms) > 1 {
		return nil, fmt.Errorf("packing %s: one output file for %d platforms (%s); give a directory or one platform: %w",
			m.File(), len(platforms), strings.Join(platforms, ", "), ErrOutput)
	}
	var outs []Output
	for _, p := range platforms {
		out, err := o.packOne(ctx, m, p)
		if err != nil {
			if out.SHA256 != "" { // written and checked; a sink failed after it
				outs = append(outs, out)
			}
			return outs, fmt.Errorf("packing %s for %s: %w", m.File(), p, err)
		}
		outs = append(outs, out)
	}
	return outs, nil
}

// choosePlatforms decides which packages to write (see Pack).
func (o *options) choosePlatforms(m *manifest.Manifest) ([]string, error) {
	systems := m.Options().Systems
	if len(o.platforms) > 0 {
		var out []string
		for _, p := range o.platforms {
			if len(systems) > 0 && !slices.Contains(systems, p) {
				return nil, fmt.Errorf("platform %s is not in options.systems (%s): %w", p, strings.Join(systems, ", "), ErrPlatform)
			}
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
		return out, nil
	}
	if len(systems) > 0 {
		return systems, nil
	}
	if l, ok := o.launchers.(platformLister); ok && len(l.Platforms()) > 0 {
		return l.Platforms(), nil
	}
	host, err := NormalizePlatform(platform.Host().String())
	if err != nil {
		return nil, fmt.Errorf("no platform given and the host cannot be packed for: %w", err)
	}
	return []string{host}, nil
}

// outputPath is where the package for platform goes.
func (o *options) outputPath(m *manifest.Manifest, platform string) string {
	if o.outFile != "" {
		return o.outFile
	}
	dir := o.outDir
	if dir == "" {
		dir = filepath.Join(m.Dir(), "dist")
	}
	pkg := m.Package()
	osName, arch, _ := strings.Cut(platform, "/")
	return filepath.Join(dir, fmt.Sprintf("%s-%s-%s-%s.psp", pkg.Name, pkg.Version, osName, arch))
}

func (o *options) packOne(ctx context.Context, m *manifest.Manifest, platform string) (Output, error) {
	out := Output{Platform: platform, Path: o.outputPath(m, platform)}
	o.progress(progress.Event{Platform: platform, Path: out.Path, Stage: StagePackage})
	launcherBytes, err := o.launchers.Launcher(ctx, platform)
	if err != nil {
		return out, fmt.Errorf("getting the launcher: %w", err)
	}
	slots, err := o.slots(ctx, m, platform)
	defer func() {
		for _, s := range slots {
			closeReader(s.Reader)
		}
	}()
	if err != nil {
		return out, err
	}
	for _, ms := range m.Slots() {
		if !platformIncludes(ms.Platform, platform) {
			out.Skipped = append(out.Skipped, ms.ID)
		}
	}
	spec := baseSpec(m, o.toolVersion)
	spec.Launcher = launcherBytes
	spec.Extra = extras(m, platform, o.toolVersion, slots)
	var setup []packer.SetupCommand
	for _, s := range slots {
		spec.Slots = append(spec.Slots, s.Slot)
		setup = append(setup, s.Setup...)
	}
	spec.SetupCommands = append(setup, spec.SetupCommands...)
	if err := portableExecution(ctx, &spec, slots, m.Execution().Portable); err != nil {
		return out, err
	}
	var run *sbomRun
	if !o.noSBOM {
		run = o.newSBOMRun(ctx, m, platform, slots, launcherBytes)
		spec.Slots = append(spec.Slots, run.documentSlots()...)
	}
	if err := os.MkdirAll(filepath.Dir(out.Path), 0o755); err != nil {
		return out, fmt.Errorf("creating the output directory: %w", err)
	}
	popts := []packer.Option{
		packer.WithSigner(o.signer),
		packer.WithLogger(o.logger),
		packer.WithProgress(func(u progress.Event) { o.progress(fromPacker(platform, out.Path, u)) }),
	}
	if o.epoch != nil {
		popts = append(popts, packer.WithSourceDateEpoch(*o.epoch))
	}
	if run != nil {
		popts = append(popts, packer.WithSlotTap(run.tap))
	}
	if o.concurrency > 0 {
		popts = append(popts, packer.WithConcurrency(o.concurrency))
	}
	res, err := packer.Write(ctx, out.Path, spec, popts...)
	if err != nil {
		return out, err
	}
	out.Size, out.PublicKey = res.Size, hex.EncodeToString(res.PublicKey)
	for i, d := range res.Descriptors {
		info := res.Metadata.Slots[i]
		if run != nil && sbom.IsEmbeddedSlot(info.ID) {
			out.Documents = append(out.Documents, info.ID)
			continue
		}
		out.Slots = append(out.Slots, OutputSlot{
			ID: info.ID, Source: info.Source, Target: info.Target, Operations: info.Operations,
			Input: int64(d.OriginalSize), Stored: int64(d.Size),
		})
	}
	if run != nil {
		out.SBOMNotes = run.desc.Notes
	}
	o.progress(progress.Event{Platform: platform, Path: out.Path, Stage: StageCheck})
	if err = o.checkWritten(ctx, out.Path); err != nil {
		os.Remove(out.Path)
		return out, fmt.Errorf("checking the written package (removed it): %w", err)
	}
	out.SHA256 = packer.FormatSHA256(res.SHA256)
	if err := o.emit(ctx, m, &out); err != nil {
		return out, err
	}
	o.progress(progress.Event{Platform: platform, Path: out.Path, Stage: StageDone, Done: out.Size, Total: out.Size})
	o.logger.Debug("packed", "platform", platform, "path", out.Path, "size", out.Size, "slots", len(out.Slots))
	return out, nil
}

// slots gathers the package's slots: [install] first, then the caller's sources, then the
// manifest's [[slots]]. On error the readers gathered so far are returned to be closed.
func (o *options) slots(ctx context.Context, m *manifest.Manifest, platform string) ([]Slot, error) {
	var sources []SlotSource
	if o.install != nil {
		sources = append(sources, o.install)
	}
	sources = append(append(sources, o.extra...), manifestSlots{epoch: o.epoch})
	t := Target{Manifest: m, Platform: platform}
	var all []Slot
	seen := map[string]bool{}
	for _, src := range sources {
		got, err := src.Slots(ctx, t)
		all = append(all, got...)
		if err != nil {
			return all, err
		}
		for _, s := range got {
			if seen[s.ID] {
				return all, fmt.Errorf("slot id %q is used twice: %w", s.ID, ErrSlot)
			}
			seen[s.ID] = true
		}
	}
	return all, nil
}

// checkWritten opens the written package at the check level. (Its SHA-256 comes from
// packer.Write, which computes it from the bytes it writes.)
func (o *options) checkWritten(ctx context.Context, path string) error {
	if o.check > packer.LevelNone {
		popts := []packer.Option{packer.WithLevel(o.check), packer.WithLogger(o.logger)}
		if o.check == packer.LevelStrict {
			if _, err := packer.Verify(ctx, path, popts...); err != nil {
				return err
			}
		} else {
			p, err := packer.Open(ctx, path, popts...)
			if err != nil {
				return err
			}
			p.Close()
		}
	}
	return nil
}

// fromPacker is a packer event as Pack reports it: with the platform and the package file, and
// packer's done as assembling, since Pack reports its own done after checking.
func fromPacker(platform, path string, u progress.Event) progress.Event {
	u.Platform, u.Path = platform, path
	if u.Stage == packer.StageDone {
		u.Stage = StageAssemble
	}
	return u
}
